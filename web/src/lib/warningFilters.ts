// The queue's filters and sort ⇄ the URL query string (same names as GET /api/v1/warnings, so
// a link like /warnings?province=ha-noi&status=new is both a console URL and an API filter).
import { SEVERITIES, WARNING_STATUSES, type Query, type Severity, type WarningStatus } from '../api';

export const SORTS = ['last_seen', 'first_seen', 'severity', 'count', 'id'] as const;
export type Sort = (typeof SORTS)[number];
export type Order = 'asc' | 'desc';

export interface WarningFilters {
  status: WarningStatus[];
  severity: Severity[];
  min_severity?: Severity;
  organisation?: string;
  province?: string;
  sector?: string;
  rule?: string;
  q?: string;
  since?: string;
  until?: string;
  sort: Sort;
  order: Order;
}

export const DEFAULT_FILTERS: WarningFilters = { status: [], severity: [], sort: 'last_seen', order: 'desc' };

const TEXT_KEYS = ['organisation', 'province', 'sector', 'rule', 'q', 'since', 'until'] as const;

function listOf<T extends string>(params: URLSearchParams, key: string, allowed: readonly T[]): T[] {
  const out: T[] = [];
  for (const v of params.getAll(key))
    for (const part of v.split(',')) {
      const p = part.trim() as T;
      if (allowed.includes(p) && !out.includes(p)) out.push(p);
    }
  return out;
}

export function filtersFromSearch(search: string | URLSearchParams): WarningFilters {
  const p = typeof search === 'string' ? new URLSearchParams(search) : search;
  const f: WarningFilters = {
    status: listOf(p, 'status', WARNING_STATUSES),
    severity: listOf(p, 'severity', SEVERITIES),
    sort: (SORTS as readonly string[]).includes(p.get('sort') ?? '') ? (p.get('sort') as Sort) : 'last_seen',
    order: p.get('order') === 'asc' ? 'asc' : 'desc',
  };
  const min = p.get('min_severity');
  if (min && (SEVERITIES as string[]).includes(min)) f.min_severity = min as Severity;
  for (const k of TEXT_KEYS) {
    const v = p.get(k)?.trim();
    if (v) f[k] = v;
  }
  return f;
}

/** The query string of the filters, defaults left out, in a stable order. */
export function filtersToSearch(f: WarningFilters): string {
  const p = new URLSearchParams();
  for (const s of f.status) p.append('status', s);
  for (const s of f.severity) p.append('severity', s);
  if (f.min_severity) p.set('min_severity', f.min_severity);
  for (const k of TEXT_KEYS) {
    const v = f[k]?.trim();
    if (v) p.set(k, v);
  }
  if (f.sort !== 'last_seen') p.set('sort', f.sort);
  if (f.order !== 'desc') p.set('order', f.order);
  return p.toString();
}

/** The filter part as an api() query (no sort: /count takes the same filters). */
export function filterQuery(f: WarningFilters): Query {
  const q: Query = { status: f.status, severity: f.severity, min_severity: f.min_severity };
  for (const k of TEXT_KEYS) q[k] = f[k]?.trim() || undefined;
  return q;
}

export function listQuery(f: WarningFilters): Query {
  return { ...filterQuery(f), sort: f.sort, order: f.order };
}

export function hasFilters(f: WarningFilters): boolean {
  return filtersToSearch({ ...f, sort: 'last_seen', order: 'desc' }) !== '';
}
