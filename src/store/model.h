// The records of the platform's relational state: organisations, people, keys, warnings and
// the audit log. Plain values shared by store/, constituency/, warn/ and api/; the Store
// interface (store/store.h) persists them, every backend the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lachan::store {

// Milliseconds since the Unix epoch, UTC.
using TimeMs = std::int64_t;

enum class OrgKind {
  national_centre,
  provincial_unit,
  ministry,
  sector_team,
  important_operator,  // operator of an important information system
  enterprise,
  it_provider,
};

struct Contact {
  std::string name;
  std::string email;
  std::string phone;
  std::string role;  // e.g. "security officer", "on-call"
};

struct Organisation {
  std::string id;      // stable slug, e.g. "ca-ha-noi", "evn"
  std::string name;
  OrgKind kind = OrgKind::enterprise;
  std::string parent;  // org id; empty for the national centre
  std::string province;              // province id from shared/reference (empty: national)
  std::vector<std::string> sectors;  // sector ids from shared/reference
  int criticality = 1;               // 1 (low) .. 5 (critical national infrastructure)
  std::vector<Contact> contacts;
  std::vector<std::string> it_providers;  // ids of the organisations that serve it
  // Ownership: what belongs to this organisation.
  std::vector<std::string> networks;  // CIDR, IPv4 or IPv6; the longest prefix wins
  std::vector<std::uint32_t> asns;
  std::vector<std::string> domains;   // suffix match: "evn.com.vn" owns "mail.evn.com.vn"
  std::vector<std::string> hosts;     // exact host names
};

enum class Role { admin, analyst, responder, reporter, viewer };

struct ApiKey {
  std::string id;           // public prefix shown in listings
  std::string org_id;
  Role role = Role::viewer;
  std::string secret_hash;  // SHA-256 of the secret, hex; the secret itself is never stored
  std::string label;
  TimeMs created = 0;
  bool revoked = false;
  TimeMs revoked_at = 0;  // when it was first revoked; 0 while it is not
};

struct User {
  std::string username;
  std::string org_id;
  Role role = Role::viewer;
  std::string display_name;
  std::string password_hash;  // Argon2id encoded string; empty where a read leaves it out
  TimeMs created = 0;
  bool disabled = false;  // a disabled user can neither log in nor use a session
};

// Who is asking. Every query of warnings, organisations and audit entries is filtered by it.
struct Caller {
  std::string actor;   // "user:<name>" or "key:<id>"
  std::string org_id;
  Role role = Role::viewer;
};

enum class Severity { informational, low, medium, high, critical };
enum class WarningStatus { new_, acknowledged, in_progress, resolved, false_positive };

struct Entity {
  std::string type;   // host, user, ip, domain, hash, url, process
  std::string value;
  bool operator==(const Entity&) const = default;
};

struct Warning {
  std::int64_t id = 0;
  std::string org_id;        // the victim organisation
  std::string detector;      // "sigma", "intel", "correlation", "anomaly"
  std::string rule_id;
  std::string rule_title;
  Severity severity = Severity::medium;
  std::vector<std::string> tags;  // ATT&CK and others, as in the rule
  std::string tlp = "amber";      // clear, green, amber, amber+strict, red
  std::vector<Entity> entities;
  std::string dedup_key;          // rule, organisation and entity: equal keys are one warning
  TimeMs first_seen = 0;
  TimeMs last_seen = 0;
  std::int64_t count = 1;
  WarningStatus status = WarningStatus::new_;
  std::string province;              // of the victim, for filters
  std::vector<std::string> sectors;  // of the victim, for filters
  std::vector<std::string> routed_to;  // org ids that may see it (see constituency routing)
  std::vector<std::string> evidence;   // JSON texts of the first evidence events (capped)
  TimeMs created = 0;
  TimeMs updated = 0;
};

struct WarningChange {
  std::int64_t warning_id = 0;
  WarningStatus from = WarningStatus::new_;
  WarningStatus to = WarningStatus::new_;
  std::string actor;
  std::string comment;
  TimeMs at = 0;
};

struct AuditEntry {
  std::int64_t id = 0;
  TimeMs at = 0;
  std::string actor;
  std::string org_id;  // the actor's organisation
  std::string action;  // e.g. "warning.update", "key.create", "org.import"
  std::string target;  // e.g. "warning:42"
  std::string detail;  // JSON object text
};

// Names as they appear in JSON, the API and the database; parse_* return nullopt for unknown names.
std::string_view to_string(OrgKind k);
std::string_view to_string(Role r);
std::string_view to_string(Severity s);
std::string_view to_string(WarningStatus s);
std::optional<OrgKind> parse_org_kind(std::string_view s);
std::optional<Role> parse_role(std::string_view s);
std::optional<Severity> parse_severity(std::string_view s);
std::optional<WarningStatus> parse_warning_status(std::string_view s);

}  // namespace lachan::store
