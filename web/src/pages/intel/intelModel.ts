// Indicators as GET /api/v1/intel/indicators answers them, and the client-side filters over the
// pages loaded (the server pages by cursor and collection only).

export interface IndicatorObservable {
  type: string;
  value: string;
}

export interface Indicator {
  ref: string;
  name: string;
  description: string;
  pattern: string;
  observables: IndicatorObservable[][];
  source: string;
  tlp: string;
  confidence: number;
  score: number;
  valid_from: string;
  valid_until: string;
  modified: string;
  tags: string[];
  attack: string[];
  kill_chain: string[];
  revoked: boolean;
  collection: string;
  added: string;
  sightings?: { organisation: string; count: number; listed: boolean; first_seen: string; last_seen: string }[];
}

export function observableTypes(i: Indicator): string[] {
  const s = new Set<string>();
  for (const conj of i.observables ?? []) for (const o of conj) s.add(o.type);
  return [...s];
}

export function observableValues(i: Indicator): string[] {
  const out: string[] = [];
  for (const conj of i.observables ?? []) for (const o of conj) out.push(o.value);
  return out;
}

/** Every observable type present, sorted (the type filter's choices). */
export function typesOf(items: Indicator[]): string[] {
  const s = new Set<string>();
  for (const i of items) for (const t of observableTypes(i)) s.add(t);
  return [...s].sort();
}

/** Indicators with an observable of `type` (any when empty) whose value, name, ref or tag contains `text`. */
export function filterIndicators(items: Indicator[], type: string, text: string): Indicator[] {
  const q = text.trim().toLowerCase();
  return items.filter((i) => {
    if (type && !observableTypes(i).includes(type)) return false;
    if (!q) return true;
    return (
      observableValues(i).some((v) => v.toLowerCase().includes(q)) ||
      (i.name ?? '').toLowerCase().includes(q) ||
      i.ref.toLowerCase().includes(q) ||
      (i.tags ?? []).some((t) => t.toLowerCase().includes(q))
    );
  });
}

/** A TAXII api_roots entry (absolute URL or path) as a same-origin path ending in '/'. */
export function taxiiRootPath(root: string, origin: string): string {
  let p: string;
  try {
    p = new URL(root, origin).pathname;
  } catch {
    p = root;
  }
  return p.endsWith('/') ? p : `${p}/`;
}

export interface Sample {
  sha256: string;
  md5: string;
  sha1: string;
  size: number;
  file_name: string;
  magic: string;
  first_seen: string;
  last_seen: string;
  submitted_by: { org: string; actor: string; at: string }[];
  yara: { rule: string; namespace: string; tags: string[]; family: string }[];
  family: string;
  tags: string[];
}

export type Verdict = 'malicious' | 'no_match';
export function sampleVerdict(s: Sample): Verdict {
  return s.family || (s.yara ?? []).length > 0 ? 'malicious' : 'no_match';
}
