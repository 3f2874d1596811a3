#include "store/sqlite/schema.h"

#include <string>

namespace lachan::store::sqlite {
namespace {

struct Migration {
  int version;
  const char* sql;
};

// Column types are the portable spellings (TEXT, BIGINT, INTEGER, BLOB); `INTEGER PRIMARY KEY`
// (SQLite's rowid alias, AUTOINCREMENT where a number must never be reused) and the append-only
// triggers are SQLite's own.
constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE organisations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  parent TEXT NOT NULL,
  province TEXT NOT NULL,
  sectors TEXT NOT NULL,
  criticality INTEGER NOT NULL,
  contacts TEXT NOT NULL,
  it_providers TEXT NOT NULL,
  networks TEXT NOT NULL,
  asns TEXT NOT NULL,
  domains TEXT NOT NULL,
  hosts TEXT NOT NULL
);
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  role TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  label TEXT NOT NULL,
  created BIGINT NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_keys_org ON api_keys(org_id, created);
CREATE TABLE users (
  username TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  role TEXT NOT NULL,
  display_name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created BIGINT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
  created BIGINT NOT NULL,
  expires BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(username);
CREATE INDEX sessions_expires ON sessions(expires);
CREATE TABLE warnings (
  id INTEGER PRIMARY KEY,
  org_id TEXT NOT NULL,
  detector TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  rule_title TEXT NOT NULL,
  severity INTEGER NOT NULL,
  tags TEXT NOT NULL,
  tlp TEXT NOT NULL,
  entities TEXT NOT NULL,
  dedup_key TEXT NOT NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  event_count BIGINT NOT NULL,
  status TEXT NOT NULL,
  province TEXT NOT NULL,
  sectors TEXT NOT NULL,
  routed_to TEXT NOT NULL,
  evidence TEXT NOT NULL,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL
);
CREATE INDEX warnings_dedup ON warnings(dedup_key, last_seen);
CREATE INDEX warnings_last_seen ON warnings(last_seen, id);
CREATE TABLE warning_routes (
  org_id TEXT NOT NULL,
  warning_id BIGINT NOT NULL REFERENCES warnings(id),
  PRIMARY KEY (org_id, warning_id)
);
CREATE TABLE warning_sectors (
  warning_id BIGINT NOT NULL REFERENCES warnings(id),
  sector TEXT NOT NULL,
  PRIMARY KEY (warning_id, sector)
);
CREATE TABLE warning_changes (
  id INTEGER PRIMARY KEY,
  warning_id BIGINT NOT NULL REFERENCES warnings(id),
  from_status TEXT NOT NULL,
  to_status TEXT NOT NULL,
  actor TEXT NOT NULL,
  comment TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX warning_changes_warning ON warning_changes(warning_id, id);
CREATE TABLE checkpoints (
  consumer TEXT PRIMARY KEY,
  position BIGINT NOT NULL
);
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at BIGINT NOT NULL,
  actor TEXT NOT NULL,
  org_id TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_org ON audit_log(org_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TABLE dead_letters (
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  org_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  raw BLOB NOT NULL,
  raw_size BIGINT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX dead_letters_org ON dead_letters(org_id, id);
)sql"},
    {2, R"sql(
ALTER TABLE api_keys ADD COLUMN revoked_at BIGINT NOT NULL DEFAULT 0;
)sql"},
    // Evidence events in rows of their own: a repeating detection appends a row instead of
    // rewriting the warning's whole evidence list. warnings.evidence is no longer used ('[]').
    {3, R"sql(
CREATE TABLE warning_evidence (
  warning_id BIGINT NOT NULL REFERENCES warnings(id),
  n INTEGER NOT NULL,
  event TEXT NOT NULL,
  PRIMARY KEY (warning_id, n)
);
ALTER TABLE warnings ADD COLUMN evidence_count INTEGER NOT NULL DEFAULT 0;
INSERT INTO warning_evidence (warning_id, n, event)
  SELECT w.id, CAST(j.key AS INTEGER), j.value FROM warnings w, json_each(w.evidence) j;
UPDATE warnings SET evidence_count = json_array_length(evidence), evidence = '[]';
)sql"},
    // Threat intelligence: every version of every record (TAXII serves versions and pages by the
    // order of addition), sightings per organisation, and small named state (feed status, …).
    {4, R"sql(
CREATE TABLE intel_records (
  seq INTEGER PRIMARY KEY,
  ref TEXT NOT NULL,
  kind TEXT NOT NULL,
  collection TEXT NOT NULL,
  source TEXT NOT NULL,
  tlp INTEGER NOT NULL,
  modified BIGINT NOT NULL,
  valid_until BIGINT NOT NULL,
  revoked INTEGER NOT NULL,
  added BIGINT NOT NULL,
  latest INTEGER NOT NULL,
  body TEXT NOT NULL,
  UNIQUE (ref, modified)
);
CREATE INDEX intel_latest ON intel_records(kind, latest, seq);
CREATE INDEX intel_collection ON intel_records(collection, seq);
CREATE TABLE intel_sightings (
  ref TEXT NOT NULL,
  org_id TEXT NOT NULL,
  count BIGINT NOT NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  listed BIGINT NOT NULL,
  PRIMARY KEY (ref, org_id)
);
CREATE TABLE named_state (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  updated BIGINT NOT NULL,
  PRIMARY KEY (scope, key)
);
)sql"},
    // Incident response (incidents, workflow history, tasks, observables, timeline, links, the
    // warnings they came from, evidence and its append-only, hash-chained custody log), the
    // notification outbox with its delivery log, subscriptions, and the live stream's events.
    // Additive only. Lists a query filters on get rows of their own (incident_routes,
    // incident_affected, stream_event_orgs); other lists are JSON text.
    {5, R"sql(
CREATE TABLE incidents (
  id INTEGER PRIMARY KEY,
  ref TEXT NOT NULL UNIQUE,
  ref_year INTEGER NOT NULL,
  ref_seq BIGINT NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  category TEXT NOT NULL,
  severity INTEGER NOT NULL,
  tlp TEXT NOT NULL,
  pap TEXT NOT NULL,
  affected_orgs TEXT NOT NULL,
  team TEXT NOT NULL,
  assignee TEXT NOT NULL,
  status TEXT NOT NULL,
  source TEXT NOT NULL,
  reported_by TEXT NOT NULL,
  routed_to TEXT NOT NULL,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL,
  first_response_due BIGINT NOT NULL,
  resolution_due BIGINT NOT NULL,
  first_response_at BIGINT NOT NULL DEFAULT 0,
  resolved_at BIGINT NOT NULL DEFAULT 0,
  closed_at BIGINT NOT NULL DEFAULT 0,
  first_response_breach_notified BIGINT NOT NULL DEFAULT 0,
  resolution_breach_notified BIGINT NOT NULL DEFAULT 0,
  merged_into BIGINT NOT NULL DEFAULT 0,
  UNIQUE (ref_year, ref_seq)
);
CREATE INDEX incidents_first_response_due ON incidents(first_response_at, first_response_due);
CREATE INDEX incidents_resolution_due ON incidents(resolved_at, resolution_due);
CREATE TABLE incident_routes (
  org_id TEXT NOT NULL,
  incident_id BIGINT NOT NULL REFERENCES incidents(id),
  PRIMARY KEY (org_id, incident_id)
);
CREATE TABLE incident_affected (
  incident_id BIGINT NOT NULL REFERENCES incidents(id),
  org_id TEXT NOT NULL,
  PRIMARY KEY (incident_id, org_id)
);
CREATE TABLE incident_changes (
  id INTEGER PRIMARY KEY,
  incident_id BIGINT NOT NULL REFERENCES incidents(id),
  from_status TEXT NOT NULL,
  to_status TEXT NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX incident_changes_incident ON incident_changes(incident_id, id);
CREATE TABLE incident_warnings (
  incident_id BIGINT NOT NULL REFERENCES incidents(id),
  warning_id BIGINT NOT NULL REFERENCES warnings(id),
  PRIMARY KEY (incident_id, warning_id)
);
CREATE INDEX incident_warnings_warning ON incident_warnings(warning_id);
CREATE TABLE incident_tasks (
  id INTEGER PRIMARY KEY,
  incident_id BIGINT NOT NULL REFERENCES incidents(id),
  title TEXT NOT NULL,
  status TEXT NOT NULL,
  assignee TEXT NOT NULL,
  due BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL
);
CREATE INDEX incident_tasks_incident ON incident_tasks(incident_id, id);
CREATE TABLE incident_observables (
  id INTEGER PRIMARY KEY,
  incident_id BIGINT NOT NULL REFERENCES incidents(id),
  type TEXT NOT NULL,
  value TEXT NOT NULL,
  indicator INTEGER NOT NULL,
  added_by TEXT NOT NULL,
  added_at BIGINT NOT NULL,
  UNIQUE (incident_id, type, value)
);
CREATE TABLE incident_timeline (
  id INTEGER PRIMARY KEY,
  incident_id BIGINT NOT NULL REFERENCES incidents(id),
  kind TEXT NOT NULL,
  author TEXT NOT NULL,
  at BIGINT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX incident_timeline_incident ON incident_timeline(incident_id, id);
CREATE TABLE incident_links (
  a BIGINT NOT NULL REFERENCES incidents(id),
  b BIGINT NOT NULL REFERENCES incidents(id),
  kind TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created BIGINT NOT NULL,
  PRIMARY KEY (a, b)
);
CREATE INDEX incident_links_b ON incident_links(b);
CREATE TABLE evidence (
  id INTEGER PRIMARY KEY,
  incident_id BIGINT NOT NULL REFERENCES incidents(id),
  sha256 TEXT NOT NULL,
  name TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  uploaded_by TEXT NOT NULL,
  uploaded_at BIGINT NOT NULL
);
CREATE INDEX evidence_incident ON evidence(incident_id, id);
CREATE INDEX evidence_sha256 ON evidence(sha256);
CREATE TABLE evidence_custody (
  id INTEGER PRIMARY KEY,
  evidence_id BIGINT NOT NULL REFERENCES evidence(id),
  sha256 TEXT NOT NULL,
  action TEXT NOT NULL,
  actor TEXT NOT NULL,
  org_id TEXT NOT NULL,
  remote TEXT NOT NULL,
  at BIGINT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX evidence_custody_evidence ON evidence_custody(evidence_id, id);
CREATE TRIGGER evidence_custody_no_update BEFORE UPDATE ON evidence_custody
BEGIN SELECT RAISE(ABORT, 'chain of custody is append-only'); END;
CREATE TRIGGER evidence_custody_no_delete BEFORE DELETE ON evidence_custody
BEGIN SELECT RAISE(ABORT, 'chain of custody is append-only'); END;
CREATE TABLE notifications (
  id INTEGER PRIMARY KEY,
  channel TEXT NOT NULL,
  destination TEXT NOT NULL,
  org_id TEXT NOT NULL,
  payload TEXT NOT NULL,
  dedup_key TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  lease_until BIGINT NOT NULL,
  last_error TEXT NOT NULL,
  created BIGINT NOT NULL,
  sent_at BIGINT NOT NULL
);
CREATE INDEX notifications_due ON notifications(state, next_attempt_at, id);
CREATE INDEX notifications_lease ON notifications(state, lease_until, id);
CREATE INDEX notifications_org ON notifications(org_id, id);
CREATE TABLE notification_deliveries (
  id INTEGER PRIMARY KEY,
  notification_id BIGINT NOT NULL REFERENCES notifications(id),
  attempt INTEGER NOT NULL,
  at BIGINT NOT NULL,
  outcome TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  latency_ms BIGINT NOT NULL,
  error TEXT NOT NULL
);
CREATE INDEX notification_deliveries_notification ON notification_deliveries(notification_id, id);
CREATE TABLE subscriptions (
  id INTEGER PRIMARY KEY,
  org_id TEXT NOT NULL,
  username TEXT NOT NULL,
  topics TEXT NOT NULL,
  min_severity INTEGER NOT NULL,
  categories TEXT NOT NULL,
  orgs TEXT NOT NULL,
  channel TEXT NOT NULL,
  destination TEXT NOT NULL,
  secret TEXT NOT NULL,
  digest_minutes INTEGER NOT NULL,
  enabled INTEGER NOT NULL,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL
);
CREATE INDEX subscriptions_org ON subscriptions(org_id, id);
CREATE TABLE stream_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at BIGINT NOT NULL,
  kind TEXT NOT NULL,
  org_ids TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX stream_events_at ON stream_events(at);
CREATE TABLE stream_event_orgs (
  org_id TEXT NOT NULL,
  seq BIGINT NOT NULL REFERENCES stream_events(seq) ON DELETE CASCADE,
  PRIMARY KEY (org_id, seq)
);
)sql"},
    // The language of a subscription's messages ('' = the notifier's default); an incident's
    // idempotency key (mail-in: the Message-ID), unique when set. The web console sorts and pages
    // warnings by severity and first_seen (last_seen has its index already); its overview reads
    // the state counts and the first_seen ranges from covering indexes (warnings are wide rows:
    // tags, entities).
    {6, R"sql(
ALTER TABLE subscriptions ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN source_key TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX incidents_source_key ON incidents(source_key) WHERE source_key <> '';
CREATE INDEX warnings_severity ON warnings(severity, id);
CREATE INDEX warnings_first_seen ON warnings(first_seen, id);
CREATE INDEX warnings_state ON warnings(status, severity, province);
CREATE INDEX warnings_seen_rule ON warnings(first_seen, severity, rule_id, org_id);
)sql"},
};

}  // namespace

namespace {
Result<std::int64_t> current_version(Db& db) {
  auto q = db.cached("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  if (!q) return std::move(q).error();
  auto row = (*q)->step();
  if (!row) return std::move(row).error();
  return (*q)->i64(0);
}
}  // namespace

Result<void> migrate(Db& db) {
  if (auto r = db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"); !r) return r;
  for (const auto& m : kMigrations) {
    // Read the version inside the write transaction: another process may be migrating too.
    auto tx = Transaction::begin(db, true);
    if (!tx) return std::move(tx).error();
    auto current = current_version(db);
    if (!current) return std::move(current).error();
    if (*current > kSchemaVersion) {
      return make_error(Errc::unsupported, "database schema version " + std::to_string(*current) +
                                               " is newer than this build's " + std::to_string(kSchemaVersion));
    }
    if (m.version <= *current) continue;
    if (auto r = db.exec(m.sql); !r) return r;
    {
      auto ins = db.cached("INSERT INTO schema_version (version) VALUES (?)");
      if (!ins) return std::move(ins).error();
      (*ins)->bind(1, m.version);
      if (auto r = (*ins)->run(); !r) return r;
    }
    if (auto r = tx->commit(); !r) return r;
  }
  return {};
}

}  // namespace lachan::store::sqlite
