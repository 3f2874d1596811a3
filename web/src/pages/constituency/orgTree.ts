// The constituency as a tree from GET /api/v1/organisations (a flat list with parent ids): the
// national centre at the top, then provincial units and sector teams, then their members. A
// caller below the centre sees only part of it, so an organisation whose parent is not in the
// list is a root; a parent chain that loops (bad data) is cut where it closes.

export interface OrgContact {
  name: string;
  email: string;
  phone: string;
  role: string;
}

export interface Org {
  id: string;
  name: string;
  kind: string;
  parent: string;
  province: string;
  sectors: string[];
  criticality?: string | number;
  contacts: OrgContact[];
  it_providers?: string[];
  networks: string[];
  asns: number[];
  domains: string[];
  hosts?: string[];
  [extra: string]: unknown;
}

export interface OrgNode {
  org: Org;
  children: OrgNode[];
  depth: number;
}

// Higher in the hierarchy first, then by name (Vietnamese collation).
// Kinds as in src/store/model.h (OrgKind).
const KIND_ORDER: Record<string, number> = {
  national_centre: 0,
  provincial_unit: 1,
  ministry: 2,
  sector_team: 3,
  important_operator: 4,
  enterprise: 5,
  it_provider: 6,
};

const collator = new Intl.Collator('vi', { sensitivity: 'base', numeric: true });

export function compareOrgs(a: Org, b: Org): number {
  const ka = KIND_ORDER[a.kind] ?? 9;
  const kb = KIND_ORDER[b.kind] ?? 9;
  if (ka !== kb) return ka - kb;
  return collator.compare(a.name || a.id, b.name || b.id) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Builds the forest; every organisation appears exactly once (duplicates by id: the first). */
export function buildOrgTree(orgs: Org[]): OrgNode[] {
  const byId = new Map<string, Org>();
  for (const o of orgs) if (o && o.id && !byId.has(o.id)) byId.set(o.id, o);

  // An organisation is a root when it has no parent, its parent is not visible, or following
  // parents from it comes back to it (a cycle: the member of the cycle met first is the root).
  const parentOf = (o: Org): string | undefined => {
    const p = o.parent;
    return p && p !== o.id && byId.has(p) ? p : undefined;
  };
  const roots = new Set<string>();
  const settled = new Set<string>();
  for (const o of byId.values()) {
    if (settled.has(o.id)) continue;
    const path: string[] = [];
    const onPath = new Set<string>();
    let cur: string | undefined = o.id;
    while (cur !== undefined && !settled.has(cur) && !onPath.has(cur)) {
      path.push(cur);
      onPath.add(cur);
      cur = parentOf(byId.get(cur)!);
    }
    if (cur !== undefined && onPath.has(cur)) roots.add(cur); // cut the loop at its entry
    else if (cur === undefined) roots.add(path[path.length - 1]);
    for (const id of path) settled.add(id);
  }

  const children = new Map<string, Org[]>();
  for (const o of byId.values()) {
    if (roots.has(o.id)) continue;
    const p = parentOf(o)!;
    const list = children.get(p);
    if (list) list.push(o);
    else children.set(p, [o]);
  }
  const build = (o: Org, depth: number): OrgNode => ({
    org: o,
    depth,
    children: (children.get(o.id) ?? []).sort(compareOrgs).map((c) => build(c, depth + 1)),
  });
  return [...roots].map((id) => byId.get(id)!).sort(compareOrgs).map((o) => build(o, 0));
}

function normalise(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase();
}

/** Whether an organisation matches a search: id, name (accents ignored), province, domain, network. */
export function orgMatches(o: Org, query: string): boolean {
  const q = normalise(query.trim());
  if (!q) return true;
  const hay = [o.id, o.name, o.province, ...(o.sectors ?? []), ...(o.domains ?? []), ...(o.networks ?? [])];
  return hay.some((h) => typeof h === 'string' && normalise(h).includes(q));
}

/**
 * The tree cut down to the matches and their ancestors (so a match is shown where it sits);
 * a matching node keeps all its children.
 */
export function filterTree(nodes: OrgNode[], query: string): OrgNode[] {
  if (!query.trim()) return nodes;
  const out: OrgNode[] = [];
  for (const n of nodes) {
    if (orgMatches(n.org, query)) out.push(n);
    else {
      const kids = filterTree(n.children, query);
      if (kids.length) out.push({ ...n, children: kids });
    }
  }
  return out;
}

/** The ids of every node in the forest (e.g. to expand all after a search). */
export function allIds(nodes: OrgNode[], acc: string[] = []): string[] {
  for (const n of nodes) {
    acc.push(n.org.id);
    allIds(n.children, acc);
  }
  return acc;
}

/** The path of ids from a root to `id` (inclusive), or [] when absent. */
export function pathTo(nodes: OrgNode[], id: string): string[] {
  for (const n of nodes) {
    if (n.org.id === id) return [id];
    const sub = pathTo(n.children, id);
    if (sub.length) return [n.org.id, ...sub];
  }
  return [];
}
