// SLA countdowns of an incident (incident_json's "sla": first_response_due, resolution_due,
// first_response_at, resolved_at, *_breached).
import type { Incident } from '../api';

export type SlaState = 'met' | 'pending' | 'soon' | 'breached' | 'none';

export interface SlaClock {
  state: SlaState;
  /** ms until due (negative: overdue); for met, how early it was met. */
  remainingMs: number;
  due: number | null;
}

export const SLA_SOON_MS = 60 * 60 * 1000;

function ms(s: string | null | undefined): number | null {
  if (!s) return null;
  const t = Date.parse(s);
  // format_ms(0) is the epoch: no due time set.
  return Number.isNaN(t) || t <= 0 ? null : t;
}

/**
 * One clock: met when done (at ≤ due, or done without a due); breached when past due and not
 * done, or when the server says it was breached; soon within SLA_SOON_MS.
 */
export function slaClock(due: string | null | undefined, doneAt: string | null | undefined, serverBreached: boolean, now: number): SlaClock {
  const d = ms(due);
  const done = ms(doneAt);
  if (d === null) return { state: done ? 'met' : 'none', remainingMs: 0, due: null };
  if (done !== null) return { state: done <= d && !serverBreached ? 'met' : 'breached', remainingMs: d - done, due: d };
  const left = d - now;
  if (left <= 0 || serverBreached) return { state: 'breached', remainingMs: left, due: d };
  return { state: left <= SLA_SOON_MS ? 'soon' : 'pending', remainingMs: left, due: d };
}

export function incidentSla(i: Incident, now: number): { firstResponse: SlaClock; resolution: SlaClock } {
  const s = i.sla;
  const closed = i.status === 'resolved' || i.status === 'closed';
  return {
    firstResponse: slaClock(s?.first_response_due, s?.first_response_at, !!s?.first_response_breached, now),
    resolution: slaClock(s?.resolution_due, s?.resolved_at ?? (closed ? i.closed_at ?? i.updated : null), !!s?.resolution_breached, now),
  };
}

/** The clock that matters now: the first one not met, or resolution. */
export function currentClock(i: Incident, now: number): { which: 'firstResponse' | 'resolution'; clock: SlaClock } {
  const c = incidentSla(i, now);
  if (c.firstResponse.state !== 'met' && c.firstResponse.state !== 'none') return { which: 'firstResponse', clock: c.firstResponse };
  return { which: 'resolution', clock: c.resolution };
}
