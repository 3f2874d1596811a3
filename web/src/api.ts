// The one way the console talks to `lachan serve`: same-origin fetch with the session cookie,
// JSON in and out, `X-Lachan-Request: 1` on every non-GET (the server's CSRF guard for cookie
// sessions), errors as ApiError from the server's body, and 401 → the session-expired flow.

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export type QueryValue = string | number | boolean | null | undefined | Array<string | number>;
export type Query = Record<string, QueryValue>;

export interface ApiOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Query;
  signal?: AbortSignal;
  /** Raw body (a File or Blob) sent as is, e.g. evidence uploads. */
  raw?: BodyInit;
  headers?: Record<string, string>;
  /** Do not run the session-expired flow on 401 (the login call itself, /me probing). */
  no401Redirect?: boolean;
}

/** Builds `?a=1&status=new&status=acknowledged`; skips empty values, repeats arrays. */
export function buildQuery(q?: Query): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) for (const x of v) p.append(k, String(x));
    else p.append(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

/**
 * The server answers errors as {"error": {"code", "message"}} (api::error_response); older or
 * foreign bodies may be {"code","message"}, {"error":"text"} or not JSON at all.
 */
export function parseErrorBody(status: number, text: string, statusText = ''): ApiError {
  let code = status === 401 ? 'unauthenticated' : status === 404 ? 'not_found' : `http_${status}`;
  let message = statusText || `HTTP ${status}`;
  try {
    const j = JSON.parse(text) as unknown;
    if (j && typeof j === 'object') {
      const o = j as Record<string, unknown>;
      const e = o.error;
      if (e && typeof e === 'object') {
        const eo = e as Record<string, unknown>;
        if (typeof eo.code === 'string') code = eo.code;
        if (typeof eo.message === 'string') message = eo.message;
      } else {
        if (typeof e === 'string') message = e;
        if (typeof o.code === 'string') code = o.code;
        if (typeof o.message === 'string') message = o.message;
      }
    }
  } catch {
    if (text.trim()) message = text.trim().slice(0, 300);
  }
  return new ApiError(status, code, message);
}

// ---- Session expiry ----

type ExpiredHandler = (returnTo: string) => void;

/** Where the session-expired flow sends the person: /login?expired=1&next=<path>. */
export function expiredLoginUrl(returnTo: string): string {
  const safe = returnTo.startsWith('/') && !returnTo.startsWith('//') && !returnTo.startsWith('/login') ? returnTo : '/';
  return `/login?expired=1&next=${encodeURIComponent(safe)}`;
}

let expiredHandler: ExpiredHandler = (returnTo) => {
  window.location.assign(expiredLoginUrl(returnTo));
};
let expiredFired = false;

/** The auth provider installs a handler that navigates inside the app and clears the session. */
export function setSessionExpiredHandler(h: ExpiredHandler): void {
  expiredHandler = h;
}

/** Re-arms the flow after a successful login. */
export function resetSessionExpired(): void {
  expiredFired = false;
}

export function currentPath(): string {
  const l = window.location;
  return l.pathname + l.search + l.hash;
}

/** Runs the session-expired flow once until the next login (many requests may fail at once). */
export function sessionExpired(): void {
  if (expiredFired) return;
  if (window.location.pathname.startsWith('/login')) return;
  expiredFired = true;
  expiredHandler(currentPath());
}

// ---- Requests ----

export async function api<T>(path: string, opts: ApiOptions = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  let body: BodyInit | undefined;
  if (method !== 'GET') headers['X-Lachan-Request'] = '1';
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  const url = (path.startsWith('/') ? path : `/api/v1/${path}`) + buildQuery(opts.query);
  const res = await fetch(url, { method, headers, body, credentials: 'same-origin', signal: opts.signal });
  if (!res.ok) {
    const err = parseErrorBody(res.status, await res.text().catch(() => ''), res.statusText);
    if (res.status === 401 && !opts.no401Redirect) sessionExpired();
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const ct = res.headers.get('Content-Type') ?? '';
  if (ct.includes('json')) return (await res.json()) as T;
  return (await res.text()) as unknown as T;
}

// ---- Shapes (docs/openapi.json, src/app/rest.cpp, incident_api.cpp, notify_api.cpp) ----

export type Severity = 'informational' | 'low' | 'medium' | 'high' | 'critical';
export const SEVERITIES: Severity[] = ['informational', 'low', 'medium', 'high', 'critical'];
export type WarningStatus = 'new' | 'acknowledged' | 'in_progress' | 'resolved' | 'false_positive';
export const WARNING_STATUSES: WarningStatus[] = ['new', 'acknowledged', 'in_progress', 'resolved', 'false_positive'];
export type IncidentStatus = 'new' | 'triage' | 'in_progress' | 'contained' | 'resolved' | 'closed';
export const INCIDENT_STATUSES: IncidentStatus[] = ['new', 'triage', 'in_progress', 'contained', 'resolved', 'closed'];
export type Role = 'admin' | 'analyst' | 'responder' | 'reporter' | 'viewer';
export const TLPS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;
export const PAPS = ['clear', 'green', 'amber', 'red'] as const;

export interface Entity {
  type: string;
  value: string;
}

export interface Warning {
  id: number;
  organisation: string;
  detector: string;
  rule_id: string;
  title: string;
  severity: Severity;
  status: WarningStatus;
  tags: string[];
  tlp: string;
  entities: Entity[];
  count: number;
  first_seen: string;
  last_seen: string;
  created: string;
  updated: string;
  province: string;
  sectors: string[];
  routed_to: string[];
  evidence?: unknown[];
  [extra: string]: unknown;
}

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export interface WarningChange {
  from: WarningStatus;
  to: WarningStatus;
  actor: string;
  comment: string;
  at: string;
}

export type BulkAction = 'acknowledge' | 'resolve' | 'false_positive' | 'in_progress';
export interface BulkResult {
  results: { id: number; ok: boolean; error?: string }[];
  updated: number;
}

export interface Incident {
  id: number;
  ref: string;
  title: string;
  description: string;
  category: string;
  severity: Severity;
  tlp: string;
  pap: string;
  affected_orgs: string[];
  team: string;
  assignee: string;
  status: IncidentStatus;
  source: string;
  reported_by: string;
  routed_to: string[];
  warning_ids: number[];
  created: string;
  updated: string;
  closed_at: string | null;
  merged_into?: number | null;
  sla?: {
    first_response_due: string;
    resolution_due: string;
    first_response_at: string | null;
    resolved_at: string | null;
    first_response_breached: boolean;
    resolution_breached: boolean;
  };
  [extra: string]: unknown;
}

export interface IncidentChange {
  from: IncidentStatus;
  to: IncidentStatus;
  actor: string;
  reason: string;
  at: string;
}
export interface TimelineEntry {
  id: number;
  kind: string;
  author: string;
  at: string;
  body: Record<string, unknown>;
}
export interface Task {
  id: number;
  incident_id: number;
  title: string;
  status: 'open' | 'done' | 'cancelled';
  assignee: string;
  due: string | null;
  created_by: string;
  created: string;
  updated: string;
}
export interface Observable {
  id: number;
  incident_id: number;
  type: string;
  value: string;
  indicator: boolean;
  added_by: string;
  added_at: string;
  indicator_ref?: string;
}
export interface Evidence {
  id: number;
  incident_id: number;
  sha256: string;
  name: string;
  media_type: string;
  size: number;
  uploaded_by: string;
  uploaded_at: string;
}
export interface Custody {
  id: number;
  evidence_id: number;
  sha256: string;
  action: string;
  actor: string;
  organisation: string;
  remote: string;
  at: string;
}

export interface ScopeInfo {
  kind: 'national' | 'province' | 'sector' | 'organisation';
  province?: string;
  sector?: string;
}

export interface Me {
  actor: string;
  username?: string;
  display_name?: string;
  organisation: string;
  organisation_name: string;
  role: Role;
  expires?: string;
  province?: string;
  sectors?: string[];
  scope?: ScopeInfo;
}

export interface RefItem {
  code: string;
  id: string;
  name: string;
  name_vi: string;
}
export interface Reference {
  provinces: RefItem[];
  sectors: RefItem[];
}

export interface AreaCount {
  code: string;
  open: number;
  total: number;
}
export interface Overview {
  scope: ScopeInfo;
  open_total: number;
  by_status: Partial<Record<WarningStatus, number>>;
  open_by_severity: Partial<Record<Severity, number>>;
  provinces: AreaCount[];
  sectors: AreaCount[];
  series: { t: string; count: number; critical: number; high: number }[];
  top_rules: { rule_id: string; title: string; count: number }[];
  top_techniques: { technique: string; count: number }[];
  top_organisations: { org_id: string; name: string; count: number }[];
  incidents: { open: number; by_status: Partial<Record<IncidentStatus, number>>; sla_breached: number };
}

export interface Subscription {
  id: number;
  organisation: string;
  username: string;
  topics: string[];
  min_severity: Severity;
  channel: 'email' | 'webhook' | 'web_push';
  destination: unknown;
  enabled: boolean;
}

/** The session cookie login: POST /api/v1/auth/login. */
export interface LoginAnswer {
  token: string;
  expires: string;
  organisation: string;
  role: Role;
}
