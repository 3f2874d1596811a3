// The rules listing (GET /api/v1/rules): shapes, and the client-side sort of one page.

export interface RuleItem {
  id: string;
  title: string;
  level: string;
  status: string;
  tags: string[];
  logsource: { product?: string; category?: string; service?: string };
  file: string;
  hits: number;
}

export interface RuleDiagnostic {
  file: string;
  line: number;
  column: number;
  severity: string;
  message: string;
}

export interface RulesAnswer {
  items: RuleItem[];
  diagnostics: RuleDiagnostic[];
  total: number;
}

export const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type SortKey = 'title' | 'level' | 'status' | 'hits' | 'file' | 'logsource';
export interface SortState {
  key: SortKey;
  dir: 'asc' | 'desc';
}

export function levelRank(level: string): number {
  const i = (LEVELS as readonly string[]).indexOf(level);
  return i < 0 ? -1 : i;
}

export function logsourceText(l: RuleItem['logsource'] | undefined): string {
  if (!l) return '';
  return [l.product, l.category, l.service].filter(Boolean).join(' / ');
}

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

/** A sorted copy; ties broken by title then id, so the order is stable across reloads. */
export function sortRules(items: RuleItem[], s: SortState): RuleItem[] {
  const sign = s.dir === 'asc' ? 1 : -1;
  const primary = (a: RuleItem, b: RuleItem): number => {
    switch (s.key) {
      case 'hits':
        return (a.hits ?? 0) - (b.hits ?? 0);
      case 'level':
        return levelRank(a.level) - levelRank(b.level);
      case 'logsource':
        return collator.compare(logsourceText(a.logsource), logsourceText(b.logsource));
      default:
        return collator.compare(String(a[s.key] ?? ''), String(b[s.key] ?? ''));
    }
  };
  return [...items].sort(
    (a, b) => sign * primary(a, b) || collator.compare(a.title ?? '', b.title ?? '') || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/** Clicking a column: a new column sorts descending for numbers/levels, ascending for text; the same column flips. */
export function nextSort(cur: SortState, key: SortKey): SortState {
  if (cur.key === key) return { key, dir: cur.dir === 'asc' ? 'desc' : 'asc' };
  return { key, dir: key === 'hits' || key === 'level' ? 'desc' : 'asc' };
}

/** Diagnostics grouped by file, errors first, then by line and column. */
export function groupDiagnostics(ds: RuleDiagnostic[]): [string, RuleDiagnostic[]][] {
  const rank = (s: string) => (s === 'error' ? 0 : s === 'warning' ? 1 : 2);
  const m = new Map<string, RuleDiagnostic[]>();
  for (const d of ds) {
    const l = m.get(d.file);
    if (l) l.push(d);
    else m.set(d.file, [d]);
  }
  for (const l of m.values()) l.sort((a, b) => rank(a.severity) - rank(b.severity) || a.line - b.line || a.column - b.column);
  return [...m.entries()].sort((a, b) => rank(a[1][0].severity) - rank(b[1][0].severity) || a[0].localeCompare(b[0]));
}
