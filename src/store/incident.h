// The records of incident response: incidents and their workflow, SLA, tasks, observables,
// timeline, links, the warnings they were escalated from, and evidence with its chain of custody.
// Plain values; the Store interface (store/store.h) persists them. Tenancy is the warnings' rule:
// an incident is visible to a caller iff caller.org_id is among its routes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/model.h"

namespace lachan::store {

// new -> triage -> in_progress -> contained -> resolved -> closed; see incident_transition_allowed.
enum class IncidentStatus { new_, triage, in_progress, contained, resolved, closed };
enum class TaskStatus { open, done, cancelled };
// related and duplicate are symmetric; parent: `a` is the parent of `b`.
enum class IncidentLinkKind { related, duplicate, parent };
enum class SlaKind { first_response, resolution };
enum class CustodyAction { upload, view, download, export_ };

// The human-readable reference "LC-<year>-<6-digit sequence>", unique, the sequence per UTC year.
inline constexpr std::string_view kIncidentRefPrefix = "LC";

struct Incident {
  std::int64_t id = 0;
  std::string ref;  // "LC-2026-000123"
  std::string title;
  std::string description;
  std::string category;  // ENISA RSIT machine tag value, e.g. "malicious-code:ransomware" (not validated here)
  Severity severity = Severity::medium;
  std::string tlp = "amber";               // clear, green, amber, amber+strict, red
  std::string pap = "amber";               // red, amber, green, clear (or white)
  std::vector<std::string> affected_orgs;  // org ids
  std::string team;      // the responsible organisation (sector team, provincial unit, national centre)
  std::string assignee;  // username; empty: nobody
  IncidentStatus status = IncidentStatus::new_;
  std::string source;                     // "warning", "api", "console", "email"
  std::string reported_by;                // the creating caller's actor
  std::vector<std::string> routed_to;     // org ids that may see it: always includes affected orgs and team
  std::vector<std::int64_t> warning_ids;  // the warnings it was escalated from (or linked to), ascending
  TimeMs created = 0;
  TimeMs updated = 0;
  // SLA: due times computed from the severity when created (and when the severity changes).
  TimeMs first_response_due = 0;
  TimeMs resolution_due = 0;
  TimeMs first_response_at = 0;  // the first status change away from new; 0 until then
  TimeMs resolved_at = 0;        // the latest change to resolved; 0 while not resolved (reopen clears it)
  TimeMs closed_at = 0;
  TimeMs first_response_breach_notified = 0;  // when the breach was notified; 0: not (yet)
  TimeMs resolution_breach_notified = 0;
  std::int64_t merged_into = 0;  // the incident this one was merged into; 0: none
  // Set only by create_incident: its source_key had been reported before, and this is that
  // incident, unchanged.
  bool existing = false;
};

// What create_incident needs; the rest is assigned (id, ref, status new, times, SLA).
struct NewIncident {
  std::string title;
  std::string description;
  std::string category;
  Severity severity = Severity::medium;
  std::string tlp = "amber";
  std::string pap = "amber";
  std::vector<std::string> affected_orgs;
  std::string team;
  std::string assignee;
  std::string source = "console";
  // Who may see it, computed by the caller (constituency routes of the affected orgs and the
  // team); the affected orgs and the team are added by the store.
  std::vector<std::string> routed_to;
  std::vector<std::int64_t> warning_ids;  // each must be visible to the caller
  // An idempotency key (e.g. "mail:<Message-ID>"): a report with a key already reported creates
  // nothing and returns that incident (existing = true), even when two arrive at once.
  std::string source_key;
};

// Fields to change; nullopt leaves a field as it is. affected_orgs and routed_to go together:
// the new routes replace the old ones (affected orgs and team are always added).
struct IncidentUpdate {
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<std::string> category;
  std::optional<Severity> severity;  // recomputes the SLA due times from `created`
  std::optional<std::string> tlp;
  std::optional<std::string> pap;
  std::optional<std::string> team;
  std::optional<std::string> assignee;
  std::optional<std::vector<std::string>> affected_orgs;
  std::optional<std::vector<std::string>> routed_to;
};

// Times allowed per severity (indexed by Severity), in milliseconds.
struct SlaPolicy {
  std::array<TimeMs, 5> first_response_ms{24 * 3'600'000LL, 8 * 3'600'000LL, 4 * 3'600'000LL, 3'600'000LL,
                                          15 * 60'000LL};
  std::array<TimeMs, 5> resolution_ms{30 * 86'400'000LL, 14 * 86'400'000LL, 7 * 86'400'000LL, 3 * 86'400'000LL,
                                      86'400'000LL};
};

struct SlaDue {
  TimeMs first_response_due = 0;
  TimeMs resolution_due = 0;
};
SlaDue sla_due(const SlaPolicy& policy, Severity severity, TimeMs created);

// An incident whose SLA of `kind` is past due, not met, and not yet notified.
struct SlaBreach {
  std::int64_t incident_id = 0;
  std::string ref;
  SlaKind kind = SlaKind::first_response;
  TimeMs due = 0;
  std::vector<std::string> routed_to;  // who to tell
};

struct IncidentChange {
  std::int64_t incident_id = 0;
  IncidentStatus from = IncidentStatus::new_;
  IncidentStatus to = IncidentStatus::new_;
  std::string actor;
  std::string reason;
  TimeMs at = 0;
};

// The timeline: comments ("comment") and system events ("status", "task", "observable",
// "evidence", "link", "merge", "warnings", "update").
struct TimelineEntry {
  std::int64_t id = 0;
  std::int64_t incident_id = 0;
  std::string kind;
  std::string author;  // actor
  TimeMs at = 0;
  std::string body;  // comment text, or a JSON object for system events
};

struct IncidentTask {
  std::int64_t id = 0;
  std::int64_t incident_id = 0;
  std::string title;
  TaskStatus status = TaskStatus::open;
  std::string assignee;
  TimeMs due = 0;  // 0: none
  std::string created_by;
  TimeMs created = 0;
  TimeMs updated = 0;
};

struct TaskUpdate {
  std::optional<std::string> title;
  std::optional<TaskStatus> status;
  std::optional<std::string> assignee;
  std::optional<TimeMs> due;
};

struct IncidentObservable {
  std::int64_t id = 0;
  std::int64_t incident_id = 0;
  std::string type;  // ip, domain, url, hash, email, host, ...
  std::string value;
  bool indicator = false;  // flagged to be shared as an indicator
  std::string added_by;
  TimeMs added_at = 0;
};

struct IncidentLink {
  std::int64_t a = 0;
  std::int64_t b = 0;
  IncidentLinkKind kind = IncidentLinkKind::related;
  std::string created_by;
  TimeMs created = 0;
};

enum class IncidentSort { id, updated };
struct IncidentFilter {
  std::vector<IncidentStatus> statuses;
  std::optional<Severity> min_severity;
  std::string team;
  std::string assignee;
  std::string category;
  std::string ref;
  std::string affected_org;  // one of the affected organisations
  bool include_merged = true;
  TimeMs updated_after = 0;  // only incidents changed after this time (0: any)
};
struct IncidentQuery {
  IncidentFilter filter;
  int limit = 50;  // 1..kMaxPageSize
  std::string cursor;
};
struct IncidentPage {
  std::vector<Incident> items;  // newest (greatest id) first
  std::string next_cursor;
};

// Evidence: metadata only; the bytes live on disk, named by their SHA-256.
struct Evidence {
  std::int64_t id = 0;
  std::int64_t incident_id = 0;
  std::string sha256;  // 64 lowercase hex
  std::string name;
  std::string media_type;
  std::int64_t size = 0;
  std::string uploaded_by;
  TimeMs uploaded_at = 0;
};

struct NewEvidence {
  std::string sha256;
  std::string name;
  std::string media_type;
  std::int64_t size = 0;
};

// One entry of the chain-of-custody log: append-only, hash-chained like the audit log.
struct CustodyEntry {
  std::int64_t id = 0;
  std::int64_t evidence_id = 0;
  std::string sha256;
  CustodyAction action = CustodyAction::view;
  std::string actor;
  std::string org_id;  // the actor's organisation
  std::string remote;  // where from: remote address
  TimeMs at = 0;
};

// Incidents may be reported by every role but viewer; changed by admin, analyst and responder
// (may_change_status).
bool may_report_incident(Role role);
// new -> triage; triage -> in_progress | closed (rejected); in_progress -> contained | resolved;
// contained -> resolved; resolved -> closed | triage (reopen); closed -> triage (reopen).
// Nothing else, and never to itself.
bool incident_transition_allowed(IncidentStatus from, IncidentStatus to);
// "LC-2026-000123"
std::string format_incident_ref(int year, std::int64_t seq);

std::string_view to_string(IncidentStatus s);
std::string_view to_string(TaskStatus s);
std::string_view to_string(IncidentLinkKind k);
std::string_view to_string(SlaKind k);
std::string_view to_string(CustodyAction a);
std::optional<IncidentStatus> parse_incident_status(std::string_view s);
std::optional<TaskStatus> parse_task_status(std::string_view s);
std::optional<IncidentLinkKind> parse_incident_link_kind(std::string_view s);
std::optional<CustodyAction> parse_custody_action(std::string_view s);

}  // namespace lachan::store
