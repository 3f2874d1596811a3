// The admin forms' request shapes (notify_api.cpp apply_fields; rest.cpp /api/v1/audit).
import type { Query } from '../../api';

export interface SubscriptionForm {
  topics: string[];
  min_severity: string;
  categories: string; // comma-separated
  orgs: string[];
  channel: 'email' | 'webhook' | 'web_push';
  destination: string;
  secret: string;
  digest_minutes: number;
  personal: boolean;
  language: '' | 'vi' | 'en'; // '' = the notifier's default
}

/** The POST /api/v1/subscriptions body; a web push destination is sent as the JSON object it is. */
export function subscriptionBody(f: SubscriptionForm): Record<string, unknown> {
  const body: Record<string, unknown> = {
    topics: f.topics,
    min_severity: f.min_severity,
    categories: f.categories.split(',').map((s) => s.trim()).filter(Boolean),
    orgs: f.orgs,
    channel: f.channel,
    digest_minutes: f.digest_minutes,
  };
  if (f.channel === 'web_push') {
    try {
      body.destination = JSON.parse(f.destination) as unknown;
    } catch {
      body.destination = f.destination; // the server explains what it expects
    }
  } else body.destination = f.destination.trim();
  if (f.channel === 'webhook') body.secret = f.secret;
  if (f.personal) body.personal = true;
  if (f.language) body.language = f.language;
  return body;
}

/** A datetime-local value ("2026-11-30T10:15", local time) as an ISO instant; '' stays ''. */
export function localToIso(v: string): string {
  if (!v) return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

export function auditQuery(f: { actor: string; action: string; since: string; until: string }, cursor: string | null): Query {
  return {
    actor: f.actor.trim(),
    action: f.action.trim(),
    since: localToIso(f.since),
    until: localToIso(f.until),
    limit: 100,
    cursor: cursor ?? undefined,
  };
}
