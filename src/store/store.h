// Store: the platform's relational state behind one backend-independent interface.
// Backends: store/sqlite/ (embedded default). A PostgreSQL backend implements the same class
// and passes the same test suite (tests/unit/store/, parameterised by a factory).
//
// Promises every backend keeps:
// - Thread-safe: any method may be called from several threads at once. Writes are serialised;
//   reads see the last committed state and do not wait for writes.
// - Every method that changes state does so in one transaction: all of it or none of it.
// - No exception escapes; failures are Errc codes (core/result.h):
//   not_found  no such record, or one the caller may not see (the two are never told apart);
//   conflict   the record exists already, or a state change is not allowed from here;
//   denied     bad credentials, or the caller's role may not do this;
//   malformed  an argument cannot be parsed (a cursor, a key);
//   io/internal the database failed.
// - Times are milliseconds since the Unix epoch (TimeMs). Methods that need "now" take it as an
//   argument or read the clock the backend was opened with.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "store/incident.h"
#include "store/model.h"
#include "store/outbox.h"

namespace lachan::store {

// The source of "now" for timestamps a method does not take as an argument.
using Clock = std::function<TimeMs()>;
TimeMs system_now();

inline constexpr int kMaxPageSize = 500;
inline constexpr int kMaxIntelVersions = 10;                 // versions kept per intelligence ref
inline constexpr std::size_t kMaxEvidence = 10;              // evidence texts kept per warning
inline constexpr std::size_t kMaxDeadLetterRaw = 64 * 1024;  // bytes of a dead letter's raw record kept

// ---- Warnings ----

// One warning the pipeline wants stored: merged into an open warning with the same dedup_key
// seen within window_ms, else inserted. warning.first_seen/last_seen are event times,
// warning.count the number of events it stands for; id, status, created, updated are ignored.
struct WarningUpsert {
  Warning warning;
  TimeMs window_ms = 0;
};

// How far a consumer (the pipeline's warn stage) has got in its input log.
struct Checkpoint {
  std::string consumer;
  std::uint64_t offset = 0;
};

struct UpsertOutcome {
  std::int64_t warning_id = 0;
  bool created = false;  // false: merged into an existing warning
};

enum class WarningSort { last_seen, first_seen, severity, count, id };

// All set conditions must hold. Empty vectors/strings and nullopt mean "any".
struct WarningFilter {
  std::vector<WarningStatus> statuses;
  std::vector<Severity> severities;
  std::optional<Severity> min_severity;
  std::string org_id;  // the victim organisation
  std::string province;
  std::string sector;  // one of the warning's sectors
  std::string rule_id;
  std::optional<TimeMs> since;  // last_seen >= since
  std::optional<TimeMs> until;  // last_seen < until
  std::string text;             // case-insensitive (ASCII) substring of rule_title
};

struct WarningQuery {
  WarningFilter filter;
  WarningSort sort = WarningSort::last_seen;
  bool descending = true;
  int limit = 50;      // 1..kMaxPageSize; larger values are clamped
  std::string cursor;  // next_cursor of the previous page; empty for the first page
};

struct WarningPage {
  std::vector<Warning> items;
  std::string next_cursor;  // empty when there is nothing after this page
};

// May this role change the state of a warning? (admin, analyst, responder)
bool may_change_status(Role role);
// Is from -> to an allowed state change? new -> acknowledged|in_progress|resolved|false_positive,
// acknowledged -> in_progress|resolved|false_positive, in_progress -> resolved|false_positive,
// resolved|false_positive -> in_progress (reopen). Nothing else, and never to itself.
bool transition_allowed(WarningStatus from, WarningStatus to);

// ---- Warning statistics (the console's overview) ----

struct OverviewQuery {
  TimeMs since = 0;  // series and top lists: warnings with first_seen in [since, until)
  TimeMs until = 0;
  TimeMs bucket_ms = 86'400'000;  // series bucket width; buckets start at multiples of it (UTC)
  int top = 10;                   // length of each top list
  TimeMs now = 0;                 // for the incidents' SLA breaches
};

// open: status new, acknowledged or in_progress.
struct OpenTotal {
  std::string key;
  std::int64_t open = 0;
  std::int64_t total = 0;
};

struct RankedCount {
  std::string key;    // rule id, ATT&CK technique (upper case) or organisation id
  std::string label;  // the rule's title; empty otherwise
  std::int64_t count = 0;
};

struct SeriesPoint {
  TimeMs t = 0;  // bucket start
  std::int64_t count = 0, critical = 0, high = 0;
};

// Aggregates over every warning the caller may see (its routes, as query_warnings).
struct WarningOverview {
  std::array<std::int64_t, 5> by_status{};         // indexed by WarningStatus
  std::array<std::int64_t, 5> open_by_severity{};  // indexed by Severity
  std::vector<OpenTotal> provinces;  // by the victim's province id; only provinces with warnings
  std::vector<OpenTotal> sectors;    // by each sector of the victim; only sectors with warnings
  std::vector<SeriesPoint> series;   // by first_seen in [since, until); only non-empty buckets, ascending
  std::vector<RankedCount> top_rules;          // first_seen in [since, until), most first
  std::vector<RankedCount> top_techniques;     // from tags attack.tNNNN[.NNN], first_seen in range
  std::vector<RankedCount> top_organisations;  // victims, first_seen in range
  // Incidents the caller may see (not merged into another): count by status name, and how many
  // not yet resolved or closed are past a first-response or resolution due time at `now`.
  std::vector<std::pair<std::string, std::int64_t>> incidents_by_status;
  std::int64_t incidents_sla_breached = 0;
};

// ---- Keys and users ----

struct NewApiKey {
  ApiKey key;
  std::string plaintext;  // "lk_<id>_<secret>": shown once, never stored
};

// ---- Audit and dead letters ----

struct AuditFilter {
  std::string actor;            // exact; empty: any
  std::string action;           // exact; empty: any
  std::optional<TimeMs> since;  // at >= since
  std::optional<TimeMs> until;  // at < until
};

struct AuditPage {
  std::vector<AuditEntry> items;  // newest first
  std::string next_cursor;
};

struct DeadLetter {
  std::int64_t id = 0;
  std::string source;  // e.g. "http:suricata", "syslog"
  std::string org_id;  // the sending organisation; empty when unknown
  std::string reason;
  std::string raw;             // the record as received, at most kMaxDeadLetterRaw bytes
  std::uint64_t raw_size = 0;  // its size before truncation
  TimeMs at = 0;
};

struct DeadLetterPage {
  std::vector<DeadLetter> items;  // newest first
  std::string next_cursor;
};

struct StoreStats {
  std::array<std::int64_t, 5> warnings_by_status{};  // indexed by WarningStatus
  std::int64_t warnings = 0;
  std::int64_t audit_entries = 0;
  std::int64_t dead_letters = 0;
};

// ---- Threat intelligence ----

// One version of an intelligence record: an indicator, or another STIX object (malware, threat
// actor, relationship, …). The body is the intel module's JSON, opaque to the store; the other
// fields are what queries filter on. A version is identified by (ref, modified).
struct IntelRecord {
  std::int64_t seq = 0;    // assigned when stored: versions in the order they were added
  std::string ref;         // "indicator--<uuid>", "malware--<uuid>", "feed--<feed>--<type>--<value>", …
  std::string kind;        // "indicator", or the STIX type of another object
  std::string collection;  // the collection it was added to
  std::string source;
  int tlp = 2;             // 0 clear, 1 green, 2 amber, 3 amber+strict, 4 red
  TimeMs modified = 0;
  TimeMs valid_until = 0;  // 0: open-ended
  bool revoked = false;
  TimeMs added = 0;        // when this version was stored (TAXII's date_added)
  bool latest = false;     // the version with the greatest `modified` of its ref
  std::string body;
};

struct IntelWriteStats {
  std::int64_t added = 0;      // new versions stored (of new refs or of known ones)
  std::int64_t unchanged = 0;  // versions already stored (same ref and modified): skipped
};

enum class IntelVersions { latest, first, all };

// All set conditions must hold; empty lists mean "any".
struct IntelQuery {
  std::vector<std::string> collections;
  std::vector<std::string> kinds;
  std::vector<std::string> refs;
  int max_tlp = 4;                     // records above this TLP are left out
  std::optional<TimeMs> added_after;   // added > this
  std::optional<TimeMs> added_before;  // added <= this
  IntelVersions versions = IntelVersions::latest;
  std::vector<TimeMs> modified;        // only these versions (TAXII match[version]=<timestamp>)
  bool include_revoked = true;
  int limit = 100;  // 1..kMaxPageSize*10 (5000); larger values are clamped
  std::string cursor;
};

struct IntelPage {
  std::vector<IntelRecord> items;  // in the order they were added (seq)
  std::string next_cursor;
  bool more = false;
};

// An organisation saw an indicator: merged per (ref, org).
struct IntelSighting {
  std::string ref;
  std::string org_id;
  std::int64_t count = 0;
  TimeMs first_seen = 0;
  TimeMs last_seen = 0;
  std::int64_t listed = 0;  // of count, how many were on a warning list (recorded, not raised)
};

class Store {
 public:
  virtual ~Store() = default;
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // ---- Organisations ----
  // Inserts or replaces each organisation by id (all fields, lists included), in one transaction.
  virtual Result<void> upsert_organisations(const std::vector<Organisation>& orgs) = 0;
  // All organisations, ordered by id. Visibility is the constituency's business, not the store's.
  virtual Result<std::vector<Organisation>> list_organisations() = 0;
  virtual Result<Organisation> get_organisation(std::string_view id) = 0;

  // ---- API keys ----
  // A new key for an existing organisation (not_found otherwise). Only SHA-256 of the secret is
  // kept; the plaintext is returned here and never again.
  virtual Result<NewApiKey> create_api_key(std::string_view org_id, Role role, std::string_view label) = 0;
  // The caller ("key:<id>") a plaintext key stands for; denied for a malformed, unknown or revoked
  // key (one answer for all three). The secret's hash is compared in constant time.
  virtual Result<Caller> authenticate_api_key(std::string_view plaintext) = 0;
  // not_found for an unknown id; revoking twice is fine (revoked_at keeps the first time).
  virtual Result<void> revoke_api_key(std::string_view id) = 0;
  // The organisation's keys (revoked ones included), ordered by creation.
  virtual Result<std::vector<ApiKey>> list_api_keys(std::string_view org_id) = 0;
  // The key with this id, revoked or not; not_found for an unknown id.
  virtual Result<ApiKey> get_api_key(std::string_view id) = 0;

  // ---- Users and sessions ----
  // conflict when the username exists, not_found when the organisation does not; the password is
  // kept as an Argon2id hash (t=2, m=19 MiB, p=1, 16-byte random salt).
  virtual Result<User> add_user(std::string_view username, std::string_view org_id, Role role,
                                std::string_view display_name, std::string_view password) = 0;
  // The caller ("user:<name>"); denied for an unknown user, a wrong password or a disabled user,
  // one answer for all.
  virtual Result<Caller> authenticate_password(std::string_view username, std::string_view password) = 0;
  // An opaque session token (64 hex chars) valid for ttl_ms from the clock's now; kept hashed.
  // not_found for an unknown user.
  virtual Result<std::string> create_session(std::string_view username, TimeMs ttl_ms) = 0;
  // The session's caller; denied for an unknown, deleted or expired (expiry <= now) token.
  virtual Result<Caller> authenticate_session(std::string_view token, TimeMs now) = 0;
  // Ends a session; ending an unknown one is not an error.
  virtual Result<void> delete_session(std::string_view token) = 0;
  // When the session with this token ends; not_found for an unknown or expired token.
  virtual Result<TimeMs> session_expires(std::string_view token, TimeMs now) = 0;
  // Removes sessions expired at now; returns how many.
  virtual Result<std::int64_t> purge_expired_sessions(TimeMs now) = 0;
  // Reads of users never return the password hash (password_hash is left empty).
  // The user with this name; not_found for an unknown one.
  virtual Result<User> get_user(std::string_view username) = 0;
  // The organisation's users, disabled ones included, ordered by username.
  virtual Result<std::vector<User>> list_users(std::string_view org_id) = 0;
  // Disables or enables a user and returns it as changed; disabling also deletes all of the
  // user's sessions, in the same transaction. Setting the state it has already is fine.
  // not_found for an unknown user.
  virtual Result<User> set_user_disabled(std::string_view username, bool disabled) = 0;

  // ---- Warnings (the pipeline's writer) ----
  // In ONE transaction: each upsert in order is merged into the newest warning with the same
  // dedup_key whose status is not resolved/false_positive and whose last_seen >= first_seen -
  // window_ms (count += n, first_seen = min, last_seen = max, severity = max, evidence appended up
  // to kMaxEvidence, updated = now), else inserted as a new warning (status new) routed to
  // routed_to (the victim org is always among the routes). The checkpoint is written in the same
  // transaction, so after a crash nothing before it is applied twice and nothing after it is lost.
  // Outcomes are in the order of the upserts.
  virtual Result<std::vector<UpsertOutcome>> apply_warnings(const std::vector<WarningUpsert>& upserts,
                                                            const Checkpoint& cp) = 0;
  // The consumer's last checkpointed offset; 0 when it has none.
  virtual Result<std::uint64_t> get_checkpoint(std::string_view consumer) = 0;

  // ---- Warnings (scoped reads and changes) ----
  // A warning is visible to a caller iff caller.org_id is among its routes. An invisible warning
  // behaves exactly as a missing one, for every role.
  // One page in the requested order (ties broken by id in the same direction). The cursor is
  // keyset-based: walking pages yields every matching warning once, whatever is inserted
  // meanwhile. malformed for a cursor that is not ours or was made for another sort order.
  // Listed warnings carry no evidence (get_warning and update_warning_status do).
  virtual Result<WarningPage> query_warnings(const Caller& caller, const WarningQuery& query) = 0;
  virtual Result<std::int64_t> count_warnings(const Caller& caller, const WarningFilter& filter) = 0;
  virtual Result<Warning> get_warning(const Caller& caller, std::int64_t id) = 0;
  // Changes the status: not_found if invisible, then denied unless may_change_status(role), then
  // conflict unless transition_allowed(from, to). The change is recorded in warning_changes and
  // in the audit log ("warning.update", target "warning:<id>") in the same transaction.
  // Returns the warning as changed.
  virtual Result<Warning> update_warning_status(const Caller& caller, std::int64_t id, WarningStatus to,
                                                std::string_view comment, TimeMs now) = 0;
  // The warning's status changes, oldest first; not_found if invisible.
  virtual Result<std::vector<WarningChange>> list_warning_changes(const Caller& caller, std::int64_t id) = 0;
  // The console's overview of the warnings the caller may see, aggregated in the database.
  virtual Result<WarningOverview> warning_overview(const Caller& caller, const OverviewQuery& query) = 0;
  // rule_id -> number of warnings the caller may see with that rule (rules without any left out).
  virtual Result<std::vector<std::pair<std::string, std::int64_t>>> count_warnings_by_rule(const Caller& caller) = 0;
  // Bulk load (the demo's synthetic warnings, imports): inserts every warning as given (status,
  // times, count; id, created and updated are assigned: now) routed to routed_to plus org_id, in
  // ONE transaction, without deduplication and without history. Returns the number inserted.
  virtual Result<std::int64_t> insert_warnings(const std::vector<Warning>& warnings) = 0;

  // ---- Audit log (append-only) ----
  // Appends an entry (id and, when 0, at are assigned) and returns its id. Entries form a hash
  // chain: each stores SHA-256(previous hash, entry), so a changed or removed entry is detectable.
  virtual Result<std::int64_t> append_audit(const AuditEntry& entry) = 0;
  // Entries whose org_id is in visible_org_ids (computed by the constituency for the caller),
  // newest first. limit is clamped to 1..kMaxPageSize; malformed for a bad cursor.
  virtual Result<AuditPage> query_audit(const Caller& caller, const std::vector<std::string>& visible_org_ids,
                                        const AuditFilter& filter, int limit, std::string_view cursor) = 0;
  // Recomputes the chain; returns the number of entries checked, or conflict naming the first
  // entry whose hash does not match.
  virtual Result<std::int64_t> verify_audit_chain() = 0;

  // ---- Dead letters ----
  // Records a record that could not be processed; raw is cut to kMaxDeadLetterRaw bytes.
  virtual Result<std::int64_t> add_dead_letter(std::string_view source, std::string_view org_id,
                                               std::string_view reason, std::string_view raw, TimeMs at) = 0;
  // Dead letters whose org_id is in visible_org_ids ("" stands for unattributed ones), newest first.
  virtual Result<DeadLetterPage> list_dead_letters(const std::vector<std::string>& visible_org_ids, int limit,
                                                   std::string_view cursor) = 0;

  // ---- Threat intelligence ----
  // In one transaction: each record whose (ref, modified) is not stored yet becomes a new version
  // (added = now, seq assigned); the version with the greatest modified of each ref is its latest.
  // Only the newest kMaxIntelVersions versions of a ref are kept; older ones are dropped.
  virtual Result<IntelWriteStats> put_intel(const std::vector<IntelRecord>& records, TimeMs now) = 0;
  // One page, in the order versions were added. malformed for a bad cursor.
  virtual Result<IntelPage> query_intel(const IntelQuery& query) = 0;
  // Calls f for the latest version of every record of `kind` that is not revoked, in seq order,
  // from one consistent read (for building the matcher's snapshot).
  virtual Result<void> scan_latest_intel(std::string_view kind, const std::function<void(IntelRecord&&)>& f) = 0;
  // Adds sightings (count, first/last and listed merged into any for the same ref and org).
  virtual Result<void> add_sightings(const std::vector<IntelSighting>& sightings) = 0;
  // The sightings of `ref` by the organisations in visible_org_ids, most recent first.
  virtual Result<std::vector<IntelSighting>> list_sightings(std::string_view ref,
                                                            const std::vector<std::string>& visible_org_ids) = 0;

  // ---- Small named state (feed status, TAXII request status, …) ----
  // Sets (scope, key) to value. An empty value deletes it.
  virtual Result<void> put_state(std::string_view scope, std::string_view key, std::string_view value, TimeMs at) = 0;
  virtual Result<std::optional<std::string>> get_state(std::string_view scope, std::string_view key) = 0;
  // Every (key, value) of the scope, ordered by key.
  virtual Result<std::vector<std::pair<std::string, std::string>>> list_state(std::string_view scope) = 0;

  // ---- Incidents (scoped reads and changes) ----
  // Tenancy is the warnings' rule: an incident is visible to a caller iff caller.org_id is among
  // its routes (routed_to: the routes given when created or updated, plus the affected orgs and
  // the team). An invisible incident (or task, evidence, ...) is not_found, for every role.
  // Changes: not_found if invisible, then denied unless may_change_status(role) (creating and
  // commenting: may_report_incident), then conflict for a change not allowed from the state.
  // Every change adds to the incident's timeline and, for creation, status changes and merges,
  // the audit log ("incident.create", "incident.update", "incident.status", "incident.merge"), in
  // its transaction.

  // A new incident in status new, with the next reference of now's UTC year and SLA due times
  // from the policy. denied when the caller's organisation would not be among its routes;
  // not_found when a warning in warning_ids is invisible to the caller; malformed without a
  // title or without any affected organisation or team.
  virtual Result<Incident> create_incident(const Caller& caller, const NewIncident& incident, const SlaPolicy& sla,
                                           TimeMs now) = 0;
  virtual Result<Incident> get_incident(const Caller& caller, std::int64_t id) = 0;
  // Newest first; malformed for a bad cursor.
  virtual Result<IncidentPage> query_incidents(const Caller& caller, const IncidentQuery& query) = 0;
  // Changes the given fields (a new severity recomputes the SLA due times from `created`). Changing
  // affected_orgs or routed_to (or team) rewrites the routes; the caller's organisation must stay
  // among them (denied otherwise). conflict for a merged incident.
  virtual Result<Incident> update_incident(const Caller& caller, std::int64_t id, const IncidentUpdate& update,
                                           const SlaPolicy& sla, TimeMs now) = 0;
  // A workflow step (incident_transition_allowed), recorded with who, when and why. The first
  // step away from new sets first_response_at; resolved sets resolved_at, leaving resolved or
  // closed (reopen) clears it; closed sets closed_at. conflict for a merged incident.
  virtual Result<Incident> change_incident_status(const Caller& caller, std::int64_t id, IncidentStatus to,
                                                  std::string_view reason, TimeMs now) = 0;
  // The incident's status changes, oldest first.
  virtual Result<std::vector<IncidentChange>> list_incident_changes(const Caller& caller, std::int64_t id) = 0;
  // Links warnings (each visible to the caller, else not_found) to the incident; linking one
  // twice is fine.
  virtual Result<void> link_incident_warnings(const Caller& caller, std::int64_t id,
                                              const std::vector<std::int64_t>& warning_ids, TimeMs now) = 0;

  virtual Result<TimelineEntry> add_incident_comment(const Caller& caller, std::int64_t id, std::string_view text,
                                                     TimeMs now) = 0;
  // Comments and system events, oldest first.
  virtual Result<std::vector<TimelineEntry>> list_incident_timeline(const Caller& caller, std::int64_t id) = 0;

  virtual Result<IncidentTask> add_incident_task(const Caller& caller, std::int64_t id, const IncidentTask& task,
                                                 TimeMs now) = 0;
  virtual Result<IncidentTask> update_incident_task(const Caller& caller, std::int64_t task_id,
                                                    const TaskUpdate& update, TimeMs now) = 0;
  virtual Result<std::vector<IncidentTask>> list_incident_tasks(const Caller& caller, std::int64_t id) = 0;

  // Adds an observable, or (same type and value) updates its indicator flag.
  virtual Result<IncidentObservable> add_incident_observable(const Caller& caller, std::int64_t id,
                                                             const IncidentObservable& observable, TimeMs now) = 0;
  virtual Result<std::vector<IncidentObservable>> list_incident_observables(const Caller& caller,
                                                                            std::int64_t id) = 0;

  // Links two incidents, both visible to the caller; conflict for a link to itself or when the
  // pair is linked already (in either direction).
  virtual Result<IncidentLink> link_incidents(const Caller& caller, std::int64_t a, std::int64_t b,
                                              IncidentLinkKind kind, TimeMs now) = 0;
  // The links of the incident to incidents the caller may see.
  virtual Result<std::vector<IncidentLink>> list_incident_links(const Caller& caller, std::int64_t id) = 0;

  // Merges `from` into `into` in one transaction: into references from's warnings, gains its
  // affected organisations and routes, and takes over its tasks, observables, comments and
  // evidence; from becomes closed with merged_into = into, and is linked to it as a duplicate.
  // Both must be visible; conflict when they are the same, either is merged already, or into is
  // closed. Returns `into` as merged.
  virtual Result<Incident> merge_incidents(const Caller& caller, std::int64_t into, std::int64_t from,
                                           std::string_view reason, TimeMs now) = 0;

  // For the SLA scanner (not scoped): incidents, not merged, whose SLA of a kind is due at or
  // before now, is not met (no first response; not resolved or closed) and was not notified;
  // oldest due first, at most limit.
  virtual Result<std::vector<SlaBreach>> list_sla_breaches(TimeMs now, int limit) = 0;
  // Records that the breach was notified; conflict when it was already (one notifier wins).
  virtual Result<void> mark_sla_breach_notified(std::int64_t id, SlaKind kind, TimeMs now) = 0;

  // ---- Evidence and its chain of custody ----
  // Records an uploaded file's metadata (sha256: 64 hex characters, else malformed) and its
  // custody "upload" entry.
  virtual Result<Evidence> add_evidence(const Caller& caller, std::int64_t incident_id, const NewEvidence& evidence,
                                        std::string_view remote, TimeMs now) = 0;
  virtual Result<std::vector<Evidence>> list_evidence(const Caller& caller, std::int64_t incident_id) = 0;
  // Appends a custody entry (view, download, export) for evidence the caller may see.
  virtual Result<CustodyEntry> record_custody(const Caller& caller, std::int64_t evidence_id, CustodyAction action,
                                              std::string_view remote, TimeMs now) = 0;
  // The evidence's custody entries, oldest first.
  virtual Result<std::vector<CustodyEntry>> list_custody(const Caller& caller, std::int64_t evidence_id) = 0;
  // Recomputes the custody hash chain (all evidence); the number of entries checked, or conflict
  // naming the first entry whose hash does not match.
  virtual Result<std::int64_t> verify_custody_chain() = 0;

  // ---- Notification outbox (the notifier's side is not scoped; listings take visible orgs) ----
  // In one transaction: each notification whose dedup_key is new becomes pending (attempts 0,
  // next_attempt_at = max(now, not_before)); a known dedup_key changes nothing. Outcomes in order.
  virtual Result<std::vector<EnqueueOutcome>> enqueue_notifications(const std::vector<NewNotification>& batch,
                                                                    TimeMs now) = 0;
  // Claims up to limit notifications due at now: pending with next_attempt_at <= now, or in flight
  // with an expired lease (its sender died). Each becomes in_flight, attempts + 1, leased until
  // now + lease_ms. One whose expired lease was its last attempt becomes dead instead.
  // Oldest due first.
  virtual Result<std::vector<Notification>> claim_notifications(TimeMs now, int limit, TimeMs lease_ms) = 0;
  // Ends the claimed attempt (attempt = Notification::attempts as claimed; conflict when the
  // notification is not in flight with that attempt: its lease expired and another took it).
  // Records the attempt in the delivery log; then sent, or pending at retry_at (or now +
  // outbox_backoff(attempts)) while attempts < max_attempts, else dead. failed is dead at once.
  virtual Result<Notification> complete_notification(std::int64_t id, int attempt, const DeliveryReport& report,
                                                     TimeMs now) = 0;
  virtual Result<NotificationPage> list_notifications(const std::vector<std::string>& visible_org_ids,
                                                      const NotificationFilter& filter, int limit,
                                                      std::string_view cursor) = 0;
  // The attempts of a notification whose org_id is visible (else not_found), oldest first.
  virtual Result<std::vector<Delivery>> list_deliveries(const std::vector<std::string>& visible_org_ids,
                                                        std::int64_t notification_id) = 0;
  // Replays a dead notification: pending now, attempts 0. conflict unless dead.
  virtual Result<Notification> requeue_notification(const std::vector<std::string>& visible_org_ids,
                                                    std::int64_t id, TimeMs now) = 0;

  // ---- Subscriptions ----
  // A caller sees its organisation's subscriptions (org-wide ones, and personal ones: its own, or
  // anyone's for an admin); others are not_found. Org-wide subscriptions are created and changed
  // by admins and analysts, personal ones by their owner (actor "user:<username>") or an admin.
  // Creating one for another organisation is denied.
  virtual Result<Subscription> create_subscription(const Caller& caller, const Subscription& sub, TimeMs now) = 0;
  virtual Result<Subscription> get_subscription(const Caller& caller, std::int64_t id) = 0;
  virtual Result<std::vector<Subscription>> list_subscriptions(const Caller& caller) = 0;
  // Replaces the fields of sub.id (org_id and username cannot change).
  virtual Result<Subscription> update_subscription(const Caller& caller, const Subscription& sub, TimeMs now) = 0;
  virtual Result<void> delete_subscription(const Caller& caller, std::int64_t id) = 0;
  // For the notifier (not scoped): enabled subscriptions to the topic, ordered by id.
  virtual Result<std::vector<Subscription>> subscriptions_for(SubscriptionTopic topic) = 0;

  // ---- Live stream ----
  // Appends an event (seq and, when 0, at assigned); seq only grows, even across pruning.
  virtual Result<std::int64_t> append_stream_event(const StreamEvent& event) = 0;
  // Events after seq `after` whose org_ids include caller.org_id, ascending, at most limit
  // (clamped to 1..kMaxPageSize).
  virtual Result<StreamPage> read_stream_after(const Caller& caller, std::int64_t after, int limit) = 0;
  // Removes events older than `before`; returns how many.
  virtual Result<std::int64_t> prune_stream(TimeMs before) = 0;

  // ---- Operations ----
  virtual Result<StoreStats> stats() = 0;
  // Flushes and closes; afterwards every method answers Errc::io. Must not race other calls.
  // The destructor closes too.
  virtual Result<void> close() = 0;
};

}  // namespace lachan::store
