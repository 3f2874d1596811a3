// SQLite implementation of incidents, evidence and custody, the outbox, subscriptions and the
// live stream. The transaction is the caller's (see incidents.h); statements are cached per
// connection, dynamic SQL (filters) prepared per use.
#include "store/sqlite/incidents.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <variant>

#include <boost/json.hpp>

#include "store/common.h"
#include "store/store.h"
#include "store/sqlite/sql_util.h"


namespace lachan::store::sqlite {
namespace {

namespace json = boost::json;

Error corrupt(std::string_view what) {
  return make_error(Errc::internal, "corrupt stored value: " + std::string(what));
}
Error incident_not_found(std::int64_t id) {
  return make_error(Errc::not_found, "no incident " + std::to_string(id));
}
Error may_not_change(const Caller& c) {
  return make_error(Errc::denied, "role " + std::string(to_string(c.role)) + " may not change incidents");
}
int clamp_limit(int limit) {
  return std::clamp(limit, 1, kMaxPageSize);
}
std::string target_of(std::int64_t id) {
  return "incident:" + std::to_string(id);
}
bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}
std::int64_t b2i(bool b) {
  return b ? 1 : 0;
}


// ---- Incidents: rows ----

#define LS_INCIDENT_COLS                                                                                     \
  "i.id, i.ref, i.title, i.description, i.category, i.severity, i.tlp, i.pap, i.affected_orgs, i.team, "     \
  "i.assignee, i.status, i.source, i.reported_by, i.routed_to, i.created, i.updated, i.first_response_due, " \
  "i.resolution_due, i.first_response_at, i.resolved_at, i.closed_at, i.first_response_breach_notified, "    \
  "i.resolution_breach_notified, i.merged_into"

Result<Incident> read_incident(const Stmt& s) {
  Incident i;
  i.id = s.i64(0);
  i.ref = s.text(1);
  i.title = s.text(2);
  i.description = s.text(3);
  i.category = s.text(4);
  auto sev = s.i64(5);
  if (sev < 0 || sev > static_cast<int>(Severity::critical)) return corrupt("incident severity");
  i.severity = static_cast<Severity>(sev);
  i.tlp = s.text(6);
  i.pap = s.text(7);
  i.team = s.text(9);
  i.assignee = s.text(10);
  auto st = parse_incident_status(s.text(11));
  if (!st) return corrupt("incident status");
  i.status = *st;
  i.source = s.text(12);
  i.reported_by = s.text(13);
  i.created = s.i64(15);
  i.updated = s.i64(16);
  i.first_response_due = s.i64(17);
  i.resolution_due = s.i64(18);
  i.first_response_at = s.i64(19);
  i.resolved_at = s.i64(20);
  i.closed_at = s.i64(21);
  i.first_response_breach_notified = s.i64(22);
  i.resolution_breach_notified = s.i64(23);
  i.merged_into = s.i64(24);
  if (!from_json(s.text(8), i.affected_orgs) || !from_json(s.text(14), i.routed_to)) {
    return corrupt("incident lists of " + std::to_string(i.id));
  }
  return i;
}

Result<void> load_warning_ids(Db& db, Incident& i) {
  LS_TRY(q, db.cached("SELECT warning_id FROM incident_warnings WHERE incident_id = ? ORDER BY warning_id"));
  q->bind(1, i.id);
  i.warning_ids.clear();
  for (;;) {
    LS_TRY(row, q->step());
    if (!row) break;
    i.warning_ids.push_back(q->i64(0));
  }
  return {};
}

// The incident if the caller may see it, else not_found.
Result<Incident> visible_incident(Db& db, const Caller& caller, std::int64_t id) {
  Incident inc;
  {
    LS_TRY(q, db.cached("SELECT " LS_INCIDENT_COLS
                        " FROM incidents i JOIN incident_routes r ON r.incident_id = i.id AND r.org_id = ? "
                        "WHERE i.id = ?"));
    q->bind_all(caller.org_id, id);
    LS_TRY(row, q->step());
    if (!row) return incident_not_found(id);
    LS_TRY(got, read_incident(*q));
    inc = std::move(got);
  }
  LS_CHECK(load_warning_ids(db, inc));
  return inc;
}

// Visible, and the caller's role may change it, and it is not merged away.
Result<Incident> changeable_incident(Db& db, const Caller& caller, std::int64_t id) {
  LS_TRY(inc, visible_incident(db, caller, id));
  if (!may_change_status(caller.role)) return may_not_change(caller);
  if (inc.merged_into != 0) {
    return make_error(Errc::conflict, "incident " + inc.ref + " was merged into " + std::to_string(inc.merged_into));
  }
  return std::move(inc);
}

// Routes: the given ones plus the affected organisations and the team, sorted, unique, no empties.
std::vector<std::string> all_routes(const std::vector<std::string>& routes, const std::vector<std::string>& affected,
                                    const std::string& team) {
  std::set<std::string> s(routes.begin(), routes.end());
  s.insert(affected.begin(), affected.end());
  s.insert(team);
  s.erase(std::string());
  return {s.begin(), s.end()};
}

std::vector<std::string> unique_sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  v.erase(std::remove(v.begin(), v.end(), std::string()), v.end());
  return v;
}

Result<void> write_routes(Db& db, std::int64_t id, const std::vector<std::string>& routes,
                          const std::vector<std::string>& affected) {
  {
    LS_TRY(q, db.cached("DELETE FROM incident_routes WHERE incident_id = ?"));
    q->bind(1, id);
    LS_CHECK(q->run());
  }
  {
    LS_TRY(q, db.cached("DELETE FROM incident_affected WHERE incident_id = ?"));
    q->bind(1, id);
    LS_CHECK(q->run());
  }
  LS_TRY(r, db.cached("INSERT INTO incident_routes (org_id, incident_id) VALUES (?,?) ON CONFLICT DO NOTHING"));
  for (const auto& org : routes) {
    r->reset();
    r->bind_all(org, id);
    LS_CHECK(r->run());
  }
  r->reset();
  LS_TRY(a, db.cached("INSERT INTO incident_affected (incident_id, org_id) VALUES (?,?) ON CONFLICT DO NOTHING"));
  for (const auto& org : affected) {
    a->reset();
    a->bind_all(id, org);
    LS_CHECK(a->run());
  }
  return {};
}

Result<std::int64_t> add_timeline(Db& db, std::int64_t id, std::string_view kind, std::string_view author, TimeMs at,
                                  std::string_view body) {
  LS_TRY(q, db.cached("INSERT INTO incident_timeline (incident_id, kind, author, at, body) VALUES (?,?,?,?,?)"));
  q->bind_all(id, kind, author, at, body);
  LS_CHECK(q->run());
  return db.last_insert_id();
}

Result<void> audit(Db& db, const Caller& caller, TimeMs now, std::string_view action, std::int64_t id,
                   const json::object& detail) {
  AuditEntry e{0, now, caller.actor, caller.org_id, std::string(action), target_of(id), json::serialize(detail)};
  LS_CHECK(append_audit_row(db, e));
  return {};
}

Result<void> touch(Db& db, std::int64_t id, TimeMs now) {
  LS_TRY(q, db.cached("UPDATE incidents SET updated = ? WHERE id = ?"));
  q->bind_all(now, id);
  return q->run();
}

Result<void> require_visible_warning(Db& db, const Caller& caller, std::int64_t warning_id) {
  LS_TRY(q, db.cached("SELECT 1 FROM warning_routes WHERE org_id = ? AND warning_id = ?"));
  q->bind_all(caller.org_id, warning_id);
  LS_TRY(row, q->step());
  if (!row) return make_error(Errc::not_found, "no warning " + std::to_string(warning_id));
  return {};
}

Result<void> add_warning_refs(Db& db, std::int64_t id, const std::vector<std::int64_t>& warning_ids) {
  LS_TRY(q, db.cached("INSERT INTO incident_warnings (incident_id, warning_id) VALUES (?,?) ON CONFLICT DO NOTHING"));
  for (auto w : warning_ids) {
    q->reset();
    q->bind_all(id, w);
    LS_CHECK(q->run());
  }
  return {};
}

int utc_year(TimeMs t) {
  using namespace std::chrono;
  auto day = floor<days>(sys_time<milliseconds>(milliseconds(t)));
  return static_cast<int>(year_month_day(day).year());
}

// Writes every column of the incident that update_incident and the workflow may change.
Result<void> write_incident(Db& db, const Incident& i) {
  LS_TRY(q, db.cached("UPDATE incidents SET title = ?, description = ?, category = ?, severity = ?, tlp = ?, "
                      "pap = ?, affected_orgs = ?, team = ?, assignee = ?, status = ?, routed_to = ?, updated = ?, "
                      "first_response_due = ?, resolution_due = ?, first_response_at = ?, resolved_at = ?, "
                      "closed_at = ?, merged_into = ? WHERE id = ?"));
  q->bind_all(i.title, i.description, i.category, static_cast<std::int64_t>(i.severity), i.tlp, i.pap,
              to_json(i.affected_orgs), i.team, i.assignee, std::string(to_string(i.status)), to_json(i.routed_to),
              i.updated, i.first_response_due, i.resolution_due, i.first_response_at, i.resolved_at, i.closed_at,
              i.merged_into, i.id);
  return q->run();
}

Result<void> record_change(Db& db, std::int64_t id, IncidentStatus from, IncidentStatus to, std::string_view actor,
                           std::string_view reason, TimeMs now) {
  LS_TRY(q, db.cached("INSERT INTO incident_changes (incident_id, from_status, to_status, actor, reason, at) "
                      "VALUES (?,?,?,?,?,?)"));
  q->bind_all(id, std::string(to_string(from)), std::string(to_string(to)), actor, reason, now);
  return q->run();
}

// ---- Tasks, observables, links, evidence, custody: rows ----

constexpr const char* kTaskCols = "id, incident_id, title, status, assignee, due, created_by, created, updated";

Result<IncidentTask> read_task(const Stmt& s) {
  IncidentTask t;
  t.id = s.i64(0);
  t.incident_id = s.i64(1);
  t.title = s.text(2);
  auto st = parse_task_status(s.text(3));
  if (!st) return corrupt("task status");
  t.status = *st;
  t.assignee = s.text(4);
  t.due = s.i64(5);
  t.created_by = s.text(6);
  t.created = s.i64(7);
  t.updated = s.i64(8);
  return t;
}

Result<IncidentTask> task_by_id(Db& db, std::int64_t task_id) {
  static const std::string sql = std::string("SELECT ") + kTaskCols + " FROM incident_tasks WHERE id = ?";
  LS_TRY(q, db.cached(sql.c_str()));
  q->bind(1, task_id);
  LS_TRY(row, q->step());
  if (!row) return make_error(Errc::not_found, "no task " + std::to_string(task_id));
  return read_task(*q);
}

IncidentObservable read_observable(const Stmt& s) {
  return IncidentObservable{s.i64(0), s.i64(1), s.text(2), s.text(3), s.i64(4) != 0, s.text(5), s.i64(6)};
}

Result<IncidentLink> read_link(const Stmt& s) {
  auto kind = parse_incident_link_kind(s.text(2));
  if (!kind) return corrupt("incident link kind");
  return IncidentLink{s.i64(0), s.i64(1), *kind, s.text(3), s.i64(4)};
}

constexpr const char* kEvidenceCols = "id, incident_id, sha256, name, media_type, size, uploaded_by, uploaded_at";

Evidence read_evidence(const Stmt& s) {
  return Evidence{s.i64(0), s.i64(1), s.text(2), s.text(3), s.text(4), s.i64(5), s.text(6), s.i64(7)};
}

constexpr const char* kCustodyCols = "id, evidence_id, sha256, action, actor, org_id, remote, at";

Result<CustodyEntry> read_custody(const Stmt& s) {
  auto action = parse_custody_action(s.text(3));
  if (!action) return corrupt("custody action");
  return CustodyEntry{s.i64(0), s.i64(1), s.text(2), *action, s.text(4), s.text(5), s.text(6), s.i64(7)};
}

Result<std::int64_t> append_custody_row(Db& db, const CustodyEntry& e) {
  std::string prev;
  {
    LS_TRY(q, db.cached("SELECT hash FROM evidence_custody ORDER BY id DESC LIMIT 1"));
    LS_TRY(row, q->step());
    if (row) prev = q->text(0);
  }
  LS_TRY(q, db.cached("INSERT INTO evidence_custody (evidence_id, sha256, action, actor, org_id, remote, at, "
                      "prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?)"));
  q->bind_all(e.evidence_id, e.sha256, std::string(to_string(e.action)), e.actor, e.org_id, e.remote, e.at, prev,
              custody_chain_hash(prev, e));
  LS_CHECK(q->run());
  return db.last_insert_id();
}

// Evidence whose incident the caller may see, else not_found.
Result<Evidence> visible_evidence(Db& db, const Caller& caller, std::int64_t evidence_id) {
  static const std::string sql = std::string("SELECT ") + kEvidenceCols + " FROM evidence WHERE id = ?";
  Evidence ev;
  {
    LS_TRY(q, db.cached(sql.c_str()));
    q->bind(1, evidence_id);
    LS_TRY(row, q->step());
    if (!row) return make_error(Errc::not_found, "no evidence " + std::to_string(evidence_id));
    ev = read_evidence(*q);
  }
  auto inc = visible_incident(db, caller, ev.incident_id);
  if (!inc) {
    if (inc.error().code == Errc::not_found)
      return make_error(Errc::not_found, "no evidence " + std::to_string(evidence_id));
    return std::move(inc).error();
  }
  return ev;
}

bool is_sha256(std::string_view s) {
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// ---- Outbox: rows ----

#define LS_NOTIFICATION_COLS                                                                               \
  "id, channel, destination, org_id, payload, dedup_key, state, attempts, max_attempts, next_attempt_at, " \
  "lease_until, last_error, created, sent_at"

Result<Notification> read_notification(const Stmt& s) {
  Notification n;
  n.id = s.i64(0);
  auto ch = parse_channel_kind(s.text(1));
  auto st = parse_notification_state(s.text(6));
  if (!ch || !st) return corrupt("notification channel or state");
  n.channel = *ch;
  n.destination = s.text(2);
  n.org_id = s.text(3);
  n.payload = s.text(4);
  n.dedup_key = s.text(5);
  n.state = *st;
  n.attempts = static_cast<int>(s.i64(7));
  n.max_attempts = static_cast<int>(s.i64(8));
  n.next_attempt_at = s.i64(9);
  n.lease_until = s.i64(10);
  n.last_error = s.text(11);
  n.created = s.i64(12);
  n.sent_at = s.i64(13);
  return n;
}

Result<Notification> notification_by_id(Db& db, std::int64_t id) {
  LS_TRY(q, db.cached("SELECT " LS_NOTIFICATION_COLS " FROM notifications WHERE id = ?"));
  q->bind(1, id);
  LS_TRY(row, q->step());
  if (!row) return make_error(Errc::not_found, "no notification " + std::to_string(id));
  return read_notification(*q);
}

Result<Notification> visible_notification(Db& db, const std::vector<std::string>& visible_org_ids, std::int64_t id) {
  auto n = notification_by_id(db, id);
  if (n && !contains(visible_org_ids, n->org_id)) {
    return make_error(Errc::not_found, "no notification " + std::to_string(id));
  }
  return n;
}

// ---- Subscriptions: rows ----

#define LS_SUBSCRIPTION_COLS                                                                                     \
  "id, org_id, username, topics, min_severity, categories, orgs, channel, destination, secret, digest_minutes, " \
  "enabled, created, updated, language"

std::string topics_json(const std::vector<SubscriptionTopic>& topics) {
  std::vector<std::string> names;
  for (auto t : topics) names.emplace_back(to_string(t));
  return to_json(names);
}

Result<Subscription> read_subscription(const Stmt& s) {
  Subscription sub;
  sub.id = s.i64(0);
  sub.org_id = s.text(1);
  sub.username = s.text(2);
  std::vector<std::string> topics;
  auto sev = s.i64(4);
  auto ch = parse_channel_kind(s.text(7));
  if (!from_json(s.text(3), topics) || !from_json(s.text(5), sub.categories) || !from_json(s.text(6), sub.orgs) ||
      !ch || sev < 0 || sev > static_cast<int>(Severity::critical)) {
    return corrupt("subscription " + std::to_string(sub.id));
  }
  for (const auto& t : topics) {
    auto topic = parse_subscription_topic(t);
    if (!topic) return corrupt("subscription topic");
    sub.topics.push_back(*topic);
  }
  sub.min_severity = static_cast<Severity>(sev);
  sub.channel = *ch;
  sub.destination = s.text(8);
  sub.secret = s.text(9);
  sub.digest_minutes = static_cast<int>(s.i64(10));
  sub.enabled = s.i64(11) != 0;
  sub.created = s.i64(12);
  sub.updated = s.i64(13);
  sub.language = s.text(14);
  return sub;
}

bool owns(const Caller& caller, const Subscription& sub) {
  return !sub.username.empty() && caller.actor == "user:" + sub.username;
}
bool may_see(const Caller& caller, const Subscription& sub) {
  return sub.org_id == caller.org_id && (sub.username.empty() || owns(caller, sub) || caller.role == Role::admin);
}
bool may_write(const Caller& caller, const Subscription& sub) {
  if (sub.org_id != caller.org_id) return false;
  if (caller.role == Role::admin) return true;
  return sub.username.empty() ? caller.role == Role::analyst : owns(caller, sub);
}
Result<void> validate(const Subscription& sub) {
  if (sub.topics.empty() || sub.destination.empty() || sub.digest_minutes < 0) {
    return make_error(Errc::malformed, "a subscription needs topics, a destination and digest_minutes >= 0");
  }
  if (!sub.language.empty() && sub.language != "vi" && sub.language != "en") {
    return make_error(Errc::malformed, "a subscription's language is vi or en");
  }
  return {};
}

Result<Subscription> visible_subscription(Db& db, const Caller& caller, std::int64_t id) {
  LS_TRY(q, db.cached("SELECT " LS_SUBSCRIPTION_COLS " FROM subscriptions WHERE id = ?"));
  q->bind(1, id);
  LS_TRY(row, q->step());
  if (!row) return make_error(Errc::not_found, "no subscription " + std::to_string(id));
  LS_TRY(sub, read_subscription(*q));
  if (!may_see(caller, sub)) return make_error(Errc::not_found, "no subscription " + std::to_string(id));
  return std::move(sub);
}

}  // namespace

Result<std::int64_t> append_audit_row(Db& db, const AuditEntry& e) {
  std::string prev;
  {
    LS_TRY(q, db.cached("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1"));
    LS_TRY(row, q->step());
    if (row) prev = q->text(0);
  }
  LS_TRY(q, db.cached("INSERT INTO audit_log (at, actor, org_id, action, target, detail, prev_hash, hash) "
                      "VALUES (?,?,?,?,?,?,?,?)"));
  q->bind_all(e.at, e.actor, e.org_id, e.action, e.target, e.detail, prev, audit_chain_hash(prev, e));
  LS_CHECK(q->run());
  return db.last_insert_id();
}

// ---- Incidents ----

Result<Incident> create_incident(Db& db, const Caller& caller, const NewIncident& n, const SlaPolicy& sla, TimeMs now) {
  if (n.title.empty() || (n.affected_orgs.empty() && n.team.empty())) {
    return make_error(Errc::malformed, "an incident needs a title and an affected organisation or a team");
  }
  if (!may_report_incident(caller.role)) {
    return make_error(Errc::denied, "role " + std::string(to_string(caller.role)) + " may not report incidents");
  }
  auto affected = unique_sorted(n.affected_orgs);
  auto routes = all_routes(n.routed_to, affected, n.team);
  if (!contains(routes, caller.org_id)) {
    return make_error(Errc::denied, "the caller's organisation would not see the incident");
  }
  for (auto w : n.warning_ids) LS_CHECK(require_visible_warning(db, caller, w));
  if (!n.source_key.empty()) {
    // Inside the write transaction: a report with the same key at the same time waits for this one.
    LS_TRY(q, db.cached("SELECT id FROM incidents WHERE source_key = ?"));
    q->bind(1, n.source_key);
    LS_TRY(row, q->step());
    if (row) {
      LS_TRY(old, visible_incident(db, caller, q->i64(0)));
      old.existing = true;
      return old;
    }
  }
  int year = utc_year(now);
  std::int64_t seq = 0;
  {
    LS_TRY(q, db.cached("SELECT COALESCE(MAX(ref_seq), 0) + 1 FROM incidents WHERE ref_year = ?"));
    q->bind(1, static_cast<std::int64_t>(year));
    LS_TRY(row, q->step());
    if (row) seq = q->i64(0);
  }
  std::string ref = format_incident_ref(year, seq);
  SlaDue due = sla_due(sla, n.severity, now);
  std::int64_t id = 0;
  {
    LS_TRY(q, db.cached("INSERT INTO incidents (ref, ref_year, ref_seq, title, description, category, severity, tlp, "
                        "pap, affected_orgs, team, assignee, status, source, reported_by, routed_to, created, "
                        "updated, first_response_due, resolution_due, source_key) "
                        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,'new',?,?,?,?,?,?,?,?)"));
    q->bind_all(ref, static_cast<std::int64_t>(year), seq, n.title, n.description, n.category,
                static_cast<std::int64_t>(n.severity), n.tlp, n.pap, to_json(affected), n.team, n.assignee, n.source,
                caller.actor, to_json(routes), now, now, due.first_response_due, due.resolution_due, n.source_key);
    LS_CHECK(q->run());
    id = db.last_insert_id();
  }
  LS_CHECK(write_routes(db, id, routes, affected));
  LS_CHECK(add_warning_refs(db, id, n.warning_ids));
  json::object detail{{"ref", ref}, {"source", n.source}, {"warnings", n.warning_ids.size()}};
  LS_CHECK(add_timeline(db, id, "created", caller.actor, now, json::serialize(detail)));
  LS_CHECK(audit(db, caller, now, "incident.create", id, detail));
  return visible_incident(db, caller, id);
}

Result<Incident> get_incident(Db& db, const Caller& caller, std::int64_t id) {
  return visible_incident(db, caller, id);
}

Result<IncidentPage> query_incidents(Db& db, const Caller& caller, const IncidentQuery& query) {
  std::optional<std::vector<std::int64_t>> after;
  if (!query.cursor.empty()) {
    after = decode_cursor("inc", query.cursor, 1);
    if (!after) return make_error(Errc::malformed, "bad cursor");
  }
  int limit = clamp_limit(query.limit);
  const IncidentFilter& f = query.filter;
  SqlBuilder b;
  b.add("SELECT " LS_INCIDENT_COLS
        " FROM incidents i JOIN incident_routes r ON r.incident_id = i.id AND r.org_id = ? WHERE 1 = 1",
        caller.org_id);
  if (!f.statuses.empty()) {
    std::vector<std::string> names;
    for (auto s : f.statuses) names.emplace_back(to_string(s));
    b.in_list("i.status", names);
  }
  if (f.min_severity) b.add(" AND i.severity >= ?", static_cast<std::int64_t>(*f.min_severity));
  if (!f.team.empty()) b.add(" AND i.team = ?", f.team);
  if (!f.assignee.empty()) b.add(" AND i.assignee = ?", f.assignee);
  if (!f.category.empty()) b.add(" AND i.category = ?", f.category);
  if (!f.ref.empty()) b.add(" AND i.ref = ?", f.ref);
  if (!f.affected_org.empty()) {
    b.add(" AND EXISTS (SELECT 1 FROM incident_affected a WHERE a.incident_id = i.id AND a.org_id = ?)",
          f.affected_org);
  }
  if (!f.include_merged) b.add(" AND i.merged_into = 0");
  if (f.updated_after > 0) b.add(" AND i.updated > ?", f.updated_after);
  if (after) b.add(" AND i.id < ?", (*after)[0]);
  b.add(" ORDER BY i.id DESC LIMIT ?", static_cast<std::int64_t>(limit) + 1);
  LS_TRY(q, b.prepare(db));
  IncidentPage page;
  for (;;) {
    LS_TRY(row, q->step());
    if (!row) break;
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_cursor = encode_cursor("inc", {page.items.back().id});
      break;
    }
    LS_TRY(inc, read_incident(*q));
    page.items.push_back(std::move(inc));
  }
  for (auto& inc : page.items) LS_CHECK(load_warning_ids(db, inc));
  return page;
}

Result<Incident> update_incident(Db& db, const Caller& caller, std::int64_t id, const IncidentUpdate& u,
                                 const SlaPolicy& sla, TimeMs now) {
  LS_TRY(inc, changeable_incident(db, caller, id));
  json::array changed;
  auto set = [&](auto& field, const auto& value, const char* name) {
    if (value && field != *value) {
      field = *value;
      changed.emplace_back(name);
    }
  };
  set(inc.title, u.title, "title");
  set(inc.description, u.description, "description");
  set(inc.category, u.category, "category");
  set(inc.tlp, u.tlp, "tlp");
  set(inc.pap, u.pap, "pap");
  set(inc.assignee, u.assignee, "assignee");
  if (u.severity && *u.severity != inc.severity) {
    inc.severity = *u.severity;
    SlaDue due = sla_due(sla, inc.severity, inc.created);
    inc.first_response_due = due.first_response_due;
    inc.resolution_due = due.resolution_due;
    changed.emplace_back("severity");
  }
  bool reroute = (u.team && *u.team != inc.team) || u.affected_orgs || u.routed_to;
  set(inc.team, u.team, "team");
  if (u.affected_orgs) {
    inc.affected_orgs = unique_sorted(*u.affected_orgs);
    changed.emplace_back("affected_orgs");
  }
  if (u.routed_to) changed.emplace_back("routed_to");
  if (reroute) {
    if (inc.affected_orgs.empty() && inc.team.empty()) {
      return make_error(Errc::malformed, "an incident needs an affected organisation or a team");
    }
    auto routes = all_routes(u.routed_to ? *u.routed_to : inc.routed_to, inc.affected_orgs, inc.team);
    if (!contains(routes, caller.org_id)) {
      return make_error(Errc::denied, "the caller's organisation would no longer see the incident");
    }
    inc.routed_to = std::move(routes);
    LS_CHECK(write_routes(db, id, inc.routed_to, inc.affected_orgs));
  }
  if (changed.empty()) return std::move(inc);
  inc.updated = now;
  LS_CHECK(write_incident(db, inc));
  json::object detail{{"changed", changed}};
  LS_CHECK(add_timeline(db, id, "update", caller.actor, now, json::serialize(detail)));
  LS_CHECK(audit(db, caller, now, "incident.update", id, detail));
  return std::move(inc);
}

Result<Incident> change_incident_status(Db& db, const Caller& caller, std::int64_t id, IncidentStatus to,
                                        std::string_view reason, TimeMs now) {
  LS_TRY(inc, changeable_incident(db, caller, id));
  IncidentStatus from = inc.status;
  if (!incident_transition_allowed(from, to)) {
    return make_error(Errc::conflict, "incident " + inc.ref + " cannot go from " + std::string(to_string(from)) +
                                          " to " + std::string(to_string(to)));
  }
  inc.status = to;
  inc.updated = now;
  if (from == IncidentStatus::new_ && inc.first_response_at == 0) inc.first_response_at = now;
  if (to == IncidentStatus::resolved) inc.resolved_at = now;
  if (to == IncidentStatus::closed) inc.closed_at = now;
  if (to == IncidentStatus::triage && (from == IncidentStatus::resolved || from == IncidentStatus::closed)) {
    inc.resolved_at = 0;  // reopened: the resolution SLA runs again
    inc.closed_at = 0;
  }
  LS_CHECK(write_incident(db, inc));
  LS_CHECK(record_change(db, id, from, to, caller.actor, reason, now));
  json::object detail{{"from", to_string(from)}, {"to", to_string(to)}, {"reason", reason}};
  LS_CHECK(add_timeline(db, id, "status", caller.actor, now, json::serialize(detail)));
  LS_CHECK(audit(db, caller, now, "incident.status", id, detail));
  return std::move(inc);
}

Result<std::vector<IncidentChange>> list_incident_changes(Db& db, const Caller& caller, std::int64_t id) {
  LS_CHECK(visible_incident(db, caller, id));
  LS_TRY(q, db.cached("SELECT from_status, to_status, actor, reason, at FROM incident_changes "
                      "WHERE incident_id = ? ORDER BY id"));
  q->bind(1, id);
  std::vector<IncidentChange> out;
  for (;;) {
    LS_TRY(row, q->step());
    if (!row) break;
    auto from = parse_incident_status(q->text(0));
    auto to = parse_incident_status(q->text(1));
    if (!from || !to) return corrupt("incident change status");
    out.push_back({id, *from, *to, q->text(2), q->text(3), q->i64(4)});
  }
  return out;
}

Result<void> link_incident_warnings(Db& db, const Caller& caller, std::int64_t id,
                                    const std::vector<std::int64_t>& warning_ids, TimeMs now) {
  LS_CHECK(changeable_incident(db, caller, id));
  for (auto w : warning_ids) LS_CHECK(require_visible_warning(db, caller, w));
  LS_CHECK(add_warning_refs(db, id, warning_ids));
  json::array ids(warning_ids.begin(), warning_ids.end());
  LS_CHECK(add_timeline(db, id, "warnings", caller.actor, now, json::serialize(json::object{{"linked", ids}})));
  return touch(db, id, now);
}

Result<TimelineEntry> add_incident_comment(Db& db, const Caller& caller, std::int64_t id, std::string_view text,
                                           TimeMs now) {
  LS_TRY(inc, visible_incident(db, caller, id));
  if (!may_report_incident(caller.role)) {
    return make_error(Errc::denied, "role " + std::string(to_string(caller.role)) + " may not comment");
  }
  if (inc.merged_into != 0) return make_error(Errc::conflict, "incident " + inc.ref + " was merged");
  if (text.empty()) return make_error(Errc::malformed, "empty comment");
  LS_TRY(entry_id, add_timeline(db, id, "comment", caller.actor, now, text));
  LS_CHECK(touch(db, id, now));
  return TimelineEntry{entry_id, id, "comment", caller.actor, now, std::string(text)};
}

Result<std::vector<TimelineEntry>> list_incident_timeline(Db& db, const Caller& caller, std::int64_t id) {
  LS_CHECK(visible_incident(db, caller, id));
  LS_TRY(q, db.cached("SELECT id, kind, author, at, body FROM incident_timeline WHERE incident_id = ? ORDER BY id"));
  q->bind(1, id);
  std::vector<TimelineEntry> out;
  for (;;) {
    LS_TRY(row, q->step());
    if (!row) break;
    out.push_back({q->i64(0), id, q->text(1), q->text(2), q->i64(3), q->text(4)});
  }
  return out;
}

Result<IncidentTask> add_incident_task(Db& db, const Caller& caller, std::int64_t id, const IncidentTask& task,
                                       TimeMs now) {
  LS_CHECK(changeable_incident(db, caller, id));
  if (task.title.empty()) return make_error(Errc::malformed, "a task needs a title");
  {
    LS_TRY(q, db.cached("INSERT INTO incident_tasks (incident_id, title, status, assignee, due, created_by, created, "
                        "updated) VALUES (?,?,?,?,?,?,?,?)"));
    q->bind_all(id, task.title, std::string(to_string(task.status)), task.assignee, task.due, caller.actor, now, now);
    LS_CHECK(q->run());
  }
  std::int64_t task_id = db.last_insert_id();
  LS_CHECK(add_timeline(db, id, "task", caller.actor, now,
                        json::serialize(json::object{{"task", task_id}, {"title", task.title}})));
  LS_CHECK(touch(db, id, now));
  return task_by_id(db, task_id);
}

Result<IncidentTask> update_incident_task(Db& db, const Caller& caller, std::int64_t task_id, const TaskUpdate& u,
                                          TimeMs now) {
  LS_TRY(t, task_by_id(db, task_id));
  auto inc = changeable_incident(db, caller, t.incident_id);
  if (!inc) {
    if (inc.error().code == Errc::not_found) return make_error(Errc::not_found, "no task " + std::to_string(task_id));
    return std::move(inc).error();
  }
  if (u.title) t.title = *u.title;
  if (u.status) t.status = *u.status;
  if (u.assignee) t.assignee = *u.assignee;
  if (u.due) t.due = *u.due;
  if (t.title.empty()) return make_error(Errc::malformed, "a task needs a title");
  t.updated = now;
  {
    LS_TRY(q, db.cached("UPDATE incident_tasks SET title = ?, status = ?, assignee = ?, due = ?, updated = ? "
                        "WHERE id = ?"));
    q->bind_all(t.title, std::string(to_string(t.status)), t.assignee, t.due, now, task_id);
    LS_CHECK(q->run());
  }
  LS_CHECK(add_timeline(db, t.incident_id, "task", caller.actor, now,
                        json::serialize(json::object{{"task", task_id}, {"status", to_string(t.status)}})));
  LS_CHECK(touch(db, t.incident_id, now));
  return std::move(t);
}

Result<std::vector<IncidentTask>> list_incident_tasks(Db& db, const Caller& caller, std::int64_t id) {
  LS_CHECK(visible_incident(db, caller, id));
  static const std::string sql =
      std::string("SELECT ") + kTaskCols + " FROM incident_tasks WHERE incident_id = ? ORDER BY id";
  LS_TRY(q, db.cached(sql.c_str()));
  q->bind(1, id);
  std::vector<IncidentTask> out;
  for (;;) {
    LS_TRY(row, q->step());
    if (!row) break;
    LS_TRY(t, read_task(*q));
    out.push_back(std::move(t));
  }
  return out;
}

Result<IncidentObservable> add_incident_observable(Db& db, const Caller& caller, std::int64_t id,
                                                   const IncidentObservable& o, TimeMs now) {
  LS_CHECK(changeable_incident(db, caller, id));
  if (o.type.empty() || o.value.empty()) return make_error(Errc::malformed, "an observable needs a type and a value");
  {
    LS_TRY(q, db.cached("INSERT INTO incident_observables (incident_id, type, value, indicator, added_by, added_at) "
                        "VALUES (?,?,?,?,?,?) ON CONFLICT (incident_id, type, value) DO UPDATE SET "
                        "indicator = excluded.indicator"));
    q->bind_all(id, o.type, o.value, b2i(o.indicator), caller.actor, now);
    LS_CHECK(q->run());
  }
  IncidentObservable out;
  {
    LS_TRY(q, db.cached("SELECT id, incident_id, type, value, indicator, added_by, added_at FROM incident_observables "
                        "WHERE incident_id = ? AND type = ? AND value = ?"));
    q->bind_all(id, o.type, o.value);
    LS_TRY(row, q->step());
    if (!row) return corrupt("observable vanished");
    out = read_observable(*q);
  }
  LS_CHECK(
      add_timeline(db, id, "observable", caller.actor, now,
                   json::serialize(json::object{{"type", o.type}, {"value", o.value}, {"indicator", o.indicator}})));
  LS_CHECK(touch(db, id, now));
  return out;
}

Result<std::vector<IncidentObservable>> list_incident_observables(Db& db, const Caller& caller, std::int64_t id) {
  LS_CHECK(visible_incident(db, caller, id));
  LS_TRY(q, db.cached("SELECT id, incident_id, type, value, indicator, added_by, added_at FROM incident_observables "
                      "WHERE incident_id = ? ORDER BY id"));
  q->bind(1, id);
  std::vector<IncidentObservable> out;
  for (;;) {
    LS_TRY(row, q->step());
    if (!row) break;
    out.push_back(read_observable(*q));
  }
  return out;
}

namespace {
Result<bool> linked(Db& db, std::int64_t a, std::int64_t b) {
  LS_TRY(q, db.cached("SELECT 1 FROM incident_links WHERE (a = ? AND b = ?) OR (a = ? AND b = ?)"));
  q->bind_all(a, b, b, a);
  return q->step();
}
Result<void> insert_link(Db& db, const IncidentLink& l) {
  LS_TRY(q, db.cached("INSERT INTO incident_links (a, b, kind, created_by, created) VALUES (?,?,?,?,?)"));
  q->bind_all(l.a, l.b, std::string(to_string(l.kind)), l.created_by, l.created);
  return q->run();
}
}  // namespace

Result<IncidentLink> link_incidents(Db& db, const Caller& caller, std::int64_t a, std::int64_t b, IncidentLinkKind kind,
                                    TimeMs now) {
  LS_TRY(ia, changeable_incident(db, caller, a));
  LS_TRY(ib, visible_incident(db, caller, b));
  if (a == b) return make_error(Errc::conflict, "an incident cannot be linked to itself");
  LS_TRY(exists, linked(db, a, b));
  if (exists) return make_error(Errc::conflict, "incidents " + ia.ref + " and " + ib.ref + " are linked already");
  IncidentLink l{a, b, kind, caller.actor, now};
  LS_CHECK(insert_link(db, l));
  LS_CHECK(add_timeline(db, a, "link", caller.actor, now,
                        json::serialize(json::object{{"kind", to_string(kind)}, {"to", ib.ref}})));
  LS_CHECK(add_timeline(db, b, "link", caller.actor, now,
                        json::serialize(json::object{{"kind", to_string(kind)}, {"from", ia.ref}})));
  return l;
}

Result<std::vector<IncidentLink>> list_incident_links(Db& db, const Caller& caller, std::int64_t id) {
  LS_CHECK(visible_incident(db, caller, id));
  LS_TRY(q,
         db.cached("SELECT l.a, l.b, l.kind, l.created_by, l.created FROM incident_links l "
                   "JOIN incident_routes r ON r.org_id = ? AND r.incident_id = CASE WHEN l.a = ? THEN l.b ELSE l.a END "
                   "WHERE l.a = ? OR l.b = ? ORDER BY l.created, l.a, l.b"));
  q->bind_all(caller.org_id, id, id, id);
  std::vector<IncidentLink> out;
  for (;;) {
    LS_TRY(row, q->step());
    if (!row) break;
    LS_TRY(l, read_link(*q));
    out.push_back(l);
  }
  return out;
}

Result<Incident> merge_incidents(Db& db, const Caller& caller, std::int64_t into, std::int64_t from,
                                 std::string_view reason, TimeMs now) {
  LS_TRY(a, changeable_incident(db, caller, into));
  LS_TRY(b, changeable_incident(db, caller, from));
  if (into == from) return make_error(Errc::conflict, "an incident cannot be merged into itself");
  if (a.status == IncidentStatus::closed) return make_error(Errc::conflict, "incident " + a.ref + " is closed");
  auto reassign = [&](const char* sql) -> Result<void> {
    LS_TRY(q, db.cached(sql));
    q->bind_all(into, from);
    return q->run();
  };
  LS_CHECK(
      reassign("INSERT INTO incident_warnings (incident_id, warning_id) SELECT ?, warning_id FROM incident_warnings "
               "WHERE incident_id = ? ON CONFLICT DO NOTHING"));
  LS_CHECK(reassign("UPDATE incident_tasks SET incident_id = ? WHERE incident_id = ?"));
  LS_CHECK(
      reassign("INSERT INTO incident_observables (incident_id, type, value, indicator, added_by, added_at) "
               "SELECT ?, type, value, indicator, added_by, added_at FROM incident_observables WHERE incident_id = ? "
               "ON CONFLICT (incident_id, type, value) DO UPDATE SET indicator = CASE WHEN excluded.indicator = 1 "
               "THEN 1 ELSE incident_observables.indicator END"));
  {
    LS_TRY(q, db.cached("DELETE FROM incident_observables WHERE incident_id = ?"));
    q->bind(1, from);
    LS_CHECK(q->run());
  }
  LS_CHECK(reassign("UPDATE incident_timeline SET incident_id = ? WHERE incident_id = ? AND kind = 'comment'"));
  LS_CHECK(reassign("UPDATE evidence SET incident_id = ? WHERE incident_id = ?"));

  std::vector<std::string> affected = a.affected_orgs;
  affected.insert(affected.end(), b.affected_orgs.begin(), b.affected_orgs.end());
  a.affected_orgs = unique_sorted(std::move(affected));
  std::vector<std::string> routes = a.routed_to;
  routes.insert(routes.end(), b.routed_to.begin(), b.routed_to.end());
  a.routed_to = all_routes(routes, a.affected_orgs, a.team);
  LS_CHECK(write_routes(db, into, a.routed_to, a.affected_orgs));
  a.updated = now;
  LS_CHECK(write_incident(db, a));

  IncidentStatus b_from = b.status;
  b.status = IncidentStatus::closed;
  b.closed_at = now;
  b.merged_into = into;
  b.updated = now;
  LS_CHECK(write_incident(db, b));
  std::string why = reason.empty() ? "merged into " + a.ref : std::string(reason);
  if (b_from != IncidentStatus::closed)
    LS_CHECK(record_change(db, from, b_from, IncidentStatus::closed, caller.actor, why, now));
  LS_TRY(already, linked(db, into, from));
  if (!already) LS_CHECK(insert_link(db, IncidentLink{into, from, IncidentLinkKind::duplicate, caller.actor, now}));

  json::object detail{{"into", a.ref}, {"from", b.ref}, {"reason", reason}};
  LS_CHECK(add_timeline(db, into, "merge", caller.actor, now, json::serialize(detail)));
  LS_CHECK(add_timeline(db, from, "merge", caller.actor, now, json::serialize(detail)));
  LS_CHECK(audit(db, caller, now, "incident.merge", into, detail));
  LS_CHECK(load_warning_ids(db, a));
  return std::move(a);
}

Result<std::vector<SlaBreach>> list_sla_breaches(Db& db, TimeMs now, int limit) {
  limit = clamp_limit(limit);
  std::vector<SlaBreach> out;
  auto scan = [&](const char* sql, SlaKind kind) -> Result<void> {
    LS_TRY(q, db.cached(sql));
    q->bind_all(now, static_cast<std::int64_t>(limit));
    for (;;) {
      LS_TRY(row, q->step());
      if (!row) break;
      SlaBreach br{q->i64(0), q->text(1), kind, q->i64(2), {}};
      if (!from_json(q->text(3), br.routed_to)) return corrupt("incident routes");
      out.push_back(std::move(br));
    }
    return {};
  };
  LS_CHECK(
      scan("SELECT id, ref, first_response_due, routed_to FROM incidents WHERE first_response_at = 0 "
           "AND first_response_breach_notified = 0 AND merged_into = 0 AND status NOT IN ('resolved', 'closed') "
           "AND first_response_due <= ? ORDER BY first_response_due, id LIMIT ?",
           SlaKind::first_response));
  LS_CHECK(
      scan("SELECT id, ref, resolution_due, routed_to FROM incidents WHERE resolved_at = 0 "
           "AND resolution_breach_notified = 0 AND merged_into = 0 AND status NOT IN ('resolved', 'closed') "
           "AND resolution_due <= ? ORDER BY resolution_due, id LIMIT ?",
           SlaKind::resolution));
  std::stable_sort(out.begin(), out.end(), [](const SlaBreach& x, const SlaBreach& y) {
    return x.due != y.due ? x.due < y.due : x.incident_id < y.incident_id;
  });
  if (out.size() > static_cast<std::size_t>(limit)) out.resize(static_cast<std::size_t>(limit));
  return out;
}

Result<void> mark_sla_breach_notified(Db& db, std::int64_t id, SlaKind kind, TimeMs now) {
  {
    LS_TRY(q, db.cached(kind == SlaKind::first_response
                            ? "UPDATE incidents SET first_response_breach_notified = ? WHERE id = ? "
                              "AND first_response_breach_notified = 0"
                            : "UPDATE incidents SET resolution_breach_notified = ? WHERE id = ? "
                              "AND resolution_breach_notified = 0"));
    q->bind_all(now, id);
    LS_CHECK(q->run());
  }
  if (db.changes() == 0) {
    LS_TRY(q, db.cached("SELECT 1 FROM incidents WHERE id = ?"));
    q->bind(1, id);
    LS_TRY(row, q->step());
    if (!row) return incident_not_found(id);
    return make_error(Errc::conflict, "the " + std::string(to_string(kind)) + " breach of incident " +
                                          std::to_string(id) + " was notified already");
  }
  LS_CHECK(add_timeline(db, id, "sla_breach", "system", now, json::serialize(json::object{{"kind", to_string(kind)}})));
  return {};
}

// ---- Evidence ----

Result<Evidence> add_evidence(Db& db, const Caller& caller, std::int64_t incident_id, const NewEvidence& e,
                              std::string_view remote, TimeMs now) {
  LS_TRY(inc, visible_incident(db, caller, incident_id));
  if (!may_report_incident(caller.role)) {
    return make_error(Errc::denied, "role " + std::string(to_string(caller.role)) + " may not add evidence");
  }
  if (inc.merged_into != 0) return make_error(Errc::conflict, "incident " + inc.ref + " was merged");
  if (!is_sha256(e.sha256) || e.size < 0) {
    return make_error(Errc::malformed, "evidence needs a lowercase hex SHA-256 and a size >= 0");
  }
  {
    LS_TRY(q, db.cached("INSERT INTO evidence (incident_id, sha256, name, media_type, size, uploaded_by, uploaded_at) "
                        "VALUES (?,?,?,?,?,?,?)"));
    q->bind_all(incident_id, e.sha256, e.name, e.media_type, e.size, caller.actor, now);
    LS_CHECK(q->run());
  }
  Evidence ev{db.last_insert_id(), incident_id, e.sha256, e.name, e.media_type, e.size, caller.actor, now};
  LS_CHECK(append_custody_row(db, CustodyEntry{0, ev.id, ev.sha256, CustodyAction::upload, caller.actor, caller.org_id,
                                               std::string(remote), now}));
  LS_CHECK(add_timeline(db, incident_id, "evidence", caller.actor, now,
                        json::serialize(json::object{{"evidence", ev.id}, {"sha256", ev.sha256}, {"name", ev.name}})));
  LS_CHECK(touch(db, incident_id, now));
  return ev;
}

Result<std::vector<Evidence>> list_evidence(Db& db, const Caller& caller, std::int64_t incident_id) {
  LS_CHECK(visible_incident(db, caller, incident_id));
  static const std::string sql =
      std::string("SELECT ") + kEvidenceCols + " FROM evidence WHERE incident_id = ? ORDER BY id";
  LS_TRY(q, db.cached(sql.c_str()));
  q->bind(1, incident_id);
  std::vector<Evidence> out;
  for (;;) {
    LS_TRY(row, q->step());
    if (!row) break;
    out.push_back(read_evidence(*q));
  }
  return out;
}

Result<CustodyEntry> record_custody(Db& db, const Caller& caller, std::int64_t evidence_id, CustodyAction action,
                                    std::string_view remote, TimeMs now) {
  LS_TRY(ev, visible_evidence(db, caller, evidence_id));
  CustodyEntry e{0, ev.id, ev.sha256, action, caller.actor, caller.org_id, std::string(remote), now};
  LS_TRY(id, append_custody_row(db, e));
  e.id = id;
  return e;
}

Result<std::vector<CustodyEntry>> list_custody(Db& db, const Caller& caller, std::int64_t evidence_id) {
  LS_CHECK(visible_evidence(db, caller, evidence_id));
  static const std::string sql =
      std::string("SELECT ") + kCustodyCols + " FROM evidence_custody WHERE evidence_id = ? ORDER BY id";
  LS_TRY(q, db.cached(sql.c_str()));
  q->bind(1, evidence_id);
  std::vector<CustodyEntry> out;
  for (;;) {
    LS_TRY(row, q->step());
    if (!row) break;
    LS_TRY(e, read_custody(*q));
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::int64_t> verify_custody_chain(Db& db) {
  static const std::string sql =
      std::string("SELECT ") + kCustodyCols + ", prev_hash, hash FROM evidence_custody ORDER BY id";
  LS_TRY(q, db.cached(sql.c_str()));
  std::string prev;
  std::int64_t n = 0;
  for (;;) {
    LS_TRY(row, q->step());
    if (!row) break;
    std::int64_t id = q->i64(0);
    auto e = read_custody(*q);
    if (!e || q->text(8) != prev || custody_chain_hash(prev, *e) != q->text(9)) {
      return make_error(Errc::conflict, "custody chain broken at entry " + std::to_string(id));
    }
    prev = q->text(9);
    ++n;
  }
  return n;
}

// ---- Outbox ----

Result<std::vector<EnqueueOutcome>> enqueue_notifications(Db& db, const std::vector<NewNotification>& batch,
                                                          TimeMs now) {
  LS_TRY(ins, db.cached("INSERT INTO notifications (channel, destination, org_id, payload, dedup_key, state, attempts, "
                        "max_attempts, next_attempt_at, lease_until, last_error, created, sent_at) "
                        "VALUES (?,?,?,?,?,'pending',0,?,?,0,'',?,0) ON CONFLICT (dedup_key) DO NOTHING"));
  LS_TRY(find, db.cached("SELECT id FROM notifications WHERE dedup_key = ?"));
  std::vector<EnqueueOutcome> out;
  out.reserve(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const NewNotification& n = batch[i];
    if (n.dedup_key.empty() || n.max_attempts < 1) {
      return make_error(Errc::malformed,
                        "notification " + std::to_string(i) + ": needs a dedup key and max_attempts >= 1");
    }
    ins->reset();
    ins->bind_all(std::string(to_string(n.channel)), n.destination, n.org_id, n.payload, n.dedup_key,
                  static_cast<std::int64_t>(n.max_attempts), std::max(now, n.not_before), now);
    LS_CHECK(ins->run());
    if (db.changes() == 1) {
      out.push_back({db.last_insert_id(), true});
      continue;
    }
    find->reset();
    find->bind(1, n.dedup_key);
    LS_TRY(row, find->step());
    if (!row) return corrupt("notification vanished");
    out.push_back({find->i64(0), false});
    find->reset();
  }
  return out;
}

Result<std::vector<Notification>> claim_notifications(Db& db, TimeMs now, int limit, TimeMs lease_ms) {
  limit = clamp_limit(limit);
  {
    // A sender died during the last allowed attempt: nothing is left to try.
    LS_TRY(q, db.cached("UPDATE notifications SET state = 'dead', lease_until = 0, "
                        "last_error = 'lease expired on the last attempt' "
                        "WHERE state = 'in_flight' AND lease_until <= ? AND attempts >= max_attempts"));
    q->bind(1, now);
    LS_CHECK(q->run());
  }
  std::vector<std::int64_t> ids;
  {
    LS_TRY(q, db.cached("SELECT id FROM notifications WHERE (state = 'pending' AND next_attempt_at <= ?) "
                        "OR (state = 'in_flight' AND lease_until <= ?) "
                        "ORDER BY CASE WHEN state = 'pending' THEN next_attempt_at ELSE lease_until END, id LIMIT ?"));
    q->bind_all(now, now, static_cast<std::int64_t>(limit));
    for (;;) {
      LS_TRY(row, q->step());
      if (!row) break;
      ids.push_back(q->i64(0));
    }
  }
  std::vector<Notification> out;
  LS_TRY(claim, db.cached("UPDATE notifications SET state = 'in_flight', attempts = attempts + 1, lease_until = ? "
                          "WHERE id = ?"));
  for (auto id : ids) {
    claim->reset();
    claim->bind_all(now + lease_ms, id);
    LS_CHECK(claim->run());
    LS_TRY(n, notification_by_id(db, id));
    out.push_back(std::move(n));
  }
  return out;
}

Result<Notification> complete_notification(Db& db, std::int64_t id, int attempt, const DeliveryReport& report,
                                           TimeMs now) {
  LS_TRY(n, notification_by_id(db, id));
  if (n.state != NotificationState::in_flight || n.attempts != attempt) {
    return make_error(Errc::conflict, "notification " + std::to_string(id) + " is not in flight with attempt " +
                                          std::to_string(attempt));
  }
  {
    LS_TRY(q, db.cached("INSERT INTO notification_deliveries (notification_id, attempt, at, outcome, status_code, "
                        "latency_ms, error) VALUES (?,?,?,?,?,?,?)"));
    q->bind_all(id, attempt, now, std::string(to_string(report.outcome)), report.status_code, report.latency_ms,
                report.error);
    LS_CHECK(q->run());
  }
  n.lease_until = 0;
  if (report.outcome == DeliveryOutcome::sent) {
    n.state = NotificationState::sent;
    n.sent_at = now;
    n.last_error.clear();
  } else {
    n.last_error = report.error;
    if (report.outcome == DeliveryOutcome::failed || n.attempts >= n.max_attempts) {
      n.state = NotificationState::dead;
    } else {
      n.state = NotificationState::pending;
      n.next_attempt_at = report.retry_at > 0 ? report.retry_at : now + outbox_backoff(n.attempts);
    }
  }
  LS_TRY(q, db.cached("UPDATE notifications SET state = ?, lease_until = 0, next_attempt_at = ?, last_error = ?, "
                      "sent_at = ? WHERE id = ?"));
  q->bind_all(std::string(to_string(n.state)), n.next_attempt_at, n.last_error, n.sent_at, id);
  LS_CHECK(q->run());
  return std::move(n);
}

Result<NotificationPage> list_notifications(Db& db, const std::vector<std::string>& visible_org_ids,
                                            const NotificationFilter& filter, int limit, std::string_view cursor) {
  std::optional<std::vector<std::int64_t>> after;
  if (!cursor.empty()) {
    after = decode_cursor("notif", cursor, 1);
    if (!after) return make_error(Errc::malformed, "bad cursor");
  }
  NotificationPage page;
  if (visible_org_ids.empty()) return page;
  limit = clamp_limit(limit);
  SqlBuilder b;
  b.add("SELECT " LS_NOTIFICATION_COLS " FROM notifications WHERE 1 = 1");
  b.in_list("org_id", visible_org_ids);
  if (filter.state) b.add(" AND state = ?", std::string(to_string(*filter.state)));
  if (filter.channel) b.add(" AND channel = ?", std::string(to_string(*filter.channel)));
  if (after) b.add(" AND id < ?", (*after)[0]);
  b.add(" ORDER BY id DESC LIMIT ?", static_cast<std::int64_t>(limit) + 1);
  LS_TRY(q, b.prepare(db));
  for (;;) {
    LS_TRY(row, q->step());
    if (!row) break;
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_cursor = encode_cursor("notif", {page.items.back().id});
      break;
    }
    LS_TRY(n, read_notification(*q));
    page.items.push_back(std::move(n));
  }
  return page;
}

Result<std::vector<Delivery>> list_deliveries(Db& db, const std::vector<std::string>& visible_org_ids,
                                              std::int64_t notification_id) {
  LS_CHECK(visible_notification(db, visible_org_ids, notification_id));
  LS_TRY(q, db.cached("SELECT id, attempt, at, outcome, status_code, latency_ms, error FROM notification_deliveries "
                      "WHERE notification_id = ? ORDER BY id"));
  q->bind(1, notification_id);
  std::vector<Delivery> out;
  for (;;) {
    LS_TRY(row, q->step());
    if (!row) break;
    auto outcome = parse_delivery_outcome(q->text(3));
    if (!outcome) return corrupt("delivery outcome");
    out.push_back({q->i64(0), notification_id, static_cast<int>(q->i64(1)), q->i64(2), *outcome,
                   static_cast<int>(q->i64(4)), q->i64(5), q->text(6)});
  }
  return out;
}

Result<Notification> requeue_notification(Db& db, const std::vector<std::string>& visible_org_ids, std::int64_t id,
                                          TimeMs now) {
  LS_TRY(n, visible_notification(db, visible_org_ids, id));
  if (n.state != NotificationState::dead) {
    return make_error(Errc::conflict, "notification " + std::to_string(id) + " is " + std::string(to_string(n.state)));
  }
  LS_TRY(q, db.cached("UPDATE notifications SET state = 'pending', attempts = 0, next_attempt_at = ?, lease_until = 0 "
                      "WHERE id = ?"));
  q->bind_all(now, id);
  LS_CHECK(q->run());
  n.state = NotificationState::pending;
  n.attempts = 0;
  n.next_attempt_at = now;
  n.lease_until = 0;
  return std::move(n);
}

// ---- Subscriptions ----

Result<Subscription> create_subscription(Db& db, const Caller& caller, const Subscription& in, TimeMs now) {
  Subscription sub = in;
  if (sub.org_id.empty()) sub.org_id = caller.org_id;
  if (!may_write(caller, sub)) return make_error(Errc::denied, "the caller may not create this subscription");
  LS_CHECK(validate(sub));
  sub.created = sub.updated = now;
  LS_TRY(q, db.cached("INSERT INTO subscriptions (org_id, username, topics, min_severity, categories, orgs, channel, "
                      "destination, secret, digest_minutes, enabled, created, updated, language) "
                      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  q->bind_all(sub.org_id, sub.username, topics_json(sub.topics), static_cast<std::int64_t>(sub.min_severity),
              to_json(sub.categories), to_json(sub.orgs), std::string(to_string(sub.channel)), sub.destination,
              sub.secret, sub.digest_minutes, b2i(sub.enabled), now, now, sub.language);
  LS_CHECK(q->run());
  sub.id = db.last_insert_id();
  return sub;
}

Result<Subscription> get_subscription(Db& db, const Caller& caller, std::int64_t id) {
  return visible_subscription(db, caller, id);
}

Result<std::vector<Subscription>> list_subscriptions(Db& db, const Caller& caller) {
  LS_TRY(q, db.cached("SELECT " LS_SUBSCRIPTION_COLS " FROM subscriptions WHERE org_id = ? ORDER BY id"));
  q->bind(1, caller.org_id);
  std::vector<Subscription> out;
  for (;;) {
    LS_TRY(row, q->step());
    if (!row) break;
    LS_TRY(sub, read_subscription(*q));
    if (may_see(caller, sub)) out.push_back(std::move(sub));
  }
  return out;
}

Result<Subscription> update_subscription(Db& db, const Caller& caller, const Subscription& in, TimeMs now) {
  LS_TRY(old, visible_subscription(db, caller, in.id));
  if (!may_write(caller, old)) return make_error(Errc::denied, "the caller may not change this subscription");
  Subscription sub = in;
  sub.org_id = old.org_id;
  sub.username = old.username;
  sub.created = old.created;
  sub.updated = now;
  LS_CHECK(validate(sub));
  LS_TRY(q, db.cached("UPDATE subscriptions SET topics = ?, min_severity = ?, categories = ?, orgs = ?, channel = ?, "
                      "destination = ?, secret = ?, digest_minutes = ?, enabled = ?, updated = ?, language = ? WHERE id = ?"));
  q->bind_all(topics_json(sub.topics), static_cast<std::int64_t>(sub.min_severity), to_json(sub.categories),
              to_json(sub.orgs), std::string(to_string(sub.channel)), sub.destination, sub.secret, sub.digest_minutes,
              b2i(sub.enabled), now, sub.language, sub.id);
  LS_CHECK(q->run());
  return sub;
}

Result<void> delete_subscription(Db& db, const Caller& caller, std::int64_t id) {
  LS_TRY(old, visible_subscription(db, caller, id));
  if (!may_write(caller, old)) return make_error(Errc::denied, "the caller may not delete this subscription");
  LS_TRY(q, db.cached("DELETE FROM subscriptions WHERE id = ?"));
  q->bind(1, id);
  return q->run();
}

Result<std::vector<Subscription>> subscriptions_for(Db& db, SubscriptionTopic topic) {
  LS_TRY(q, db.cached("SELECT " LS_SUBSCRIPTION_COLS " FROM subscriptions WHERE enabled = 1 ORDER BY id"));
  std::vector<Subscription> out;
  for (;;) {
    LS_TRY(row, q->step());
    if (!row) break;
    LS_TRY(sub, read_subscription(*q));
    if (std::find(sub.topics.begin(), sub.topics.end(), topic) != sub.topics.end()) out.push_back(std::move(sub));
  }
  return out;
}

// ---- Live stream ----

Result<std::int64_t> append_stream_event(Db& db, const StreamEvent& e, TimeMs now) {
  auto orgs = unique_sorted(e.org_ids);
  {
    LS_TRY(q, db.cached("INSERT INTO stream_events (at, kind, org_ids, body) VALUES (?,?,?,?)"));
    q->bind_all(e.at != 0 ? e.at : now, std::string(to_string(e.kind)), to_json(orgs), e.body);
    LS_CHECK(q->run());
  }
  std::int64_t seq = db.last_insert_id();
  LS_TRY(q, db.cached("INSERT INTO stream_event_orgs (org_id, seq) VALUES (?,?)"));
  for (const auto& org : orgs) {
    q->reset();
    q->bind_all(org, seq);
    LS_CHECK(q->run());
  }
  return seq;
}

Result<StreamPage> read_stream_after(Db& db, const Caller& caller, std::int64_t after, int limit) {
  limit = clamp_limit(limit);
  StreamPage page;
  std::int64_t max_seq = 0;
  {
    LS_TRY(q, db.cached("SELECT COALESCE(MIN(seq), 0), COALESCE(MAX(seq), 0) FROM stream_events"));
    LS_TRY(row, q->step());
    if (row) {
      page.first_kept = q->i64(0);
      max_seq = q->i64(1);
    }
  }
  LS_TRY(q, db.cached("SELECT e.seq, e.at, e.kind, e.org_ids, e.body FROM stream_event_orgs o "
                      "JOIN stream_events e ON e.seq = o.seq WHERE o.org_id = ? AND o.seq > ? AND o.seq <= ? "
                      "ORDER BY o.seq LIMIT ?"));
  q->bind_all(caller.org_id, after, max_seq, static_cast<std::int64_t>(limit));
  for (;;) {
    LS_TRY(row, q->step());
    if (!row) break;
    StreamEvent e;
    e.seq = q->i64(0);
    e.at = q->i64(1);
    auto kind = parse_stream_kind(q->text(2));
    if (!kind || !from_json(q->text(3), e.org_ids)) return corrupt("stream event");
    e.kind = *kind;
    e.body = q->text(4);
    page.items.push_back(std::move(e));
  }
  page.last_seq = static_cast<int>(page.items.size()) == limit ? page.items.back().seq : std::max(after, max_seq);
  return page;
}

Result<std::int64_t> prune_stream(Db& db, TimeMs before) {
  {
    LS_TRY(q, db.cached("DELETE FROM stream_event_orgs WHERE seq IN (SELECT seq FROM stream_events WHERE at < ?)"));
    q->bind(1, before);
    LS_CHECK(q->run());
  }
  LS_TRY(q, db.cached("DELETE FROM stream_events WHERE at < ?"));
  q->bind(1, before);
  LS_CHECK(q->run());
  return static_cast<std::int64_t>(db.changes());
}

}  // namespace lachan::store::sqlite
