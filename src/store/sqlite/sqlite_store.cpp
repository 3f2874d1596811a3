// SQLite backend of Store. One writer connection behind a mutex (BEGIN IMMEDIATE per change) and
// a pool of reader connections: in WAL mode readers see the last commit and never wait for the
// writer. Every connection is used by one thread at a time, so each keeps its own cache of
// prepared statements.
#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <variant>

#include <boost/json.hpp>

#include "store/common.h"
#include "store/sqlite/db.h"
#include "store/sqlite/incidents.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/sql_util.h"


namespace lachan::store {
namespace {

using sqlite::Db;
using sqlite::SqlBuilder;
using sqlite::Stmt;
using sqlite::Transaction;
using sqlite::Use;

Error closed_error() {
  return make_error(Errc::io, "store is closed");
}
Error corrupt(std::string_view what) {
  return make_error(Errc::internal, "corrupt stored value: " + std::string(what));
}
Error denied() {
  return make_error(Errc::denied, "authentication failed");
}
Error warning_not_found(std::int64_t id) {
  return make_error(Errc::not_found, "no warning " + std::to_string(id));
}

int clamp_limit(int limit) {
  return std::clamp(limit, 1, kMaxPageSize);
}

// ---- Row mapping ----

constexpr const char* kOrgCols =
    "id, name, kind, parent, province, sectors, criticality, contacts, it_providers, networks, asns, domains, hosts";

Result<Organisation> read_org(const Stmt& s) {
  Organisation o;
  o.id = s.text(0);
  o.name = s.text(1);
  auto kind = parse_org_kind(s.text(2));
  if (!kind) return corrupt("organisation kind");
  o.kind = *kind;
  o.parent = s.text(3);
  o.province = s.text(4);
  o.criticality = static_cast<int>(s.i64(6));
  if (!from_json(s.text(5), o.sectors) || !from_json(s.text(7), o.contacts) || !from_json(s.text(8), o.it_providers) ||
      !from_json(s.text(9), o.networks) || !from_json(s.text(10), o.asns) || !from_json(s.text(11), o.domains) ||
      !from_json(s.text(12), o.hosts)) {
    return corrupt("organisation lists of " + o.id);
  }
  return o;
}

constexpr const char* kKeyCols = "id, org_id, role, secret_hash, label, created, revoked, revoked_at";

Result<ApiKey> read_key(const Stmt& s) {
  ApiKey k;
  k.id = s.text(0);
  k.org_id = s.text(1);
  auto role = parse_role(s.text(2));
  if (!role) return corrupt("api key role");
  k.role = *role;
  k.secret_hash = s.text(3);
  k.label = s.text(4);
  k.created = s.i64(5);
  k.revoked = s.i64(6) != 0;
  k.revoked_at = s.i64(7);
  return k;
}

// Never the password hash: nothing that lists or changes users needs it.
constexpr const char* kUserCols = "username, org_id, role, display_name, created, disabled";

Result<User> read_user(const Stmt& s) {
  User u;
  u.username = s.text(0);
  u.org_id = s.text(1);
  auto role = parse_role(s.text(2));
  if (!role) return corrupt("user role");
  u.role = *role;
  u.display_name = s.text(3);
  u.created = s.i64(4);
  u.disabled = s.i64(5) != 0;
  return u;
}

#define LS_WARNING_COLS                                                                                       \
  "w.id, w.org_id, w.detector, w.rule_id, w.rule_title, w.severity, w.tags, w.tlp, w.entities, w.dedup_key, " \
  "w.first_seen, w.last_seen, w.event_count, w.status, w.province, w.sectors, w.routed_to, w.evidence_count, "\
  "w.created, w.updated"

Result<Warning> read_warning(const Stmt& s) {
  Warning w;
  w.id = s.i64(0);
  w.org_id = s.text(1);
  w.detector = s.text(2);
  w.rule_id = s.text(3);
  w.rule_title = s.text(4);
  auto sev = s.i64(5);
  if (sev < 0 || sev > static_cast<int>(Severity::critical)) return corrupt("warning severity");
  w.severity = static_cast<Severity>(sev);
  w.tlp = s.text(7);
  w.dedup_key = s.text(9);
  w.first_seen = s.i64(10);
  w.last_seen = s.i64(11);
  w.count = s.i64(12);
  auto status = parse_warning_status(s.text(13));
  if (!status) return corrupt("warning status");
  w.status = *status;
  w.province = s.text(14);
  w.created = s.i64(18);
  w.updated = s.i64(19);
  if (!from_json(s.text(6), w.tags) || !from_json(s.text(8), w.entities) || !from_json(s.text(15), w.sectors) ||
      !from_json(s.text(16), w.routed_to)) {
    return corrupt("warning lists of " + std::to_string(w.id));
  }
  return w;
}

constexpr const char* kAuditCols = "id, at, actor, org_id, action, target, detail";

AuditEntry read_audit(const Stmt& s) {
  AuditEntry e;
  e.id = s.i64(0);
  e.at = s.i64(1);
  e.actor = s.text(2);
  e.org_id = s.text(3);
  e.action = s.text(4);
  e.target = s.text(5);
  e.detail = s.text(6);
  return e;
}


std::string like_pattern(std::string_view text) {
  std::string p = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') p += '\\';
    p += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  p += '%';
  return p;
}

// Is the caller routed to every warning (the national centre)? Its queries then need no join
// with the routes, so the database walks the warnings' own indexes (sorted pages, covering
// aggregates) instead of sorting everything the routes give. Route rows are unique per
// (organisation, warning) and warnings are never deleted, so equal counts mean all of them.
Result<bool> sees_every_warning(Db& db, const Caller& caller) {
  LS_TRY(q, db.cached("SELECT (SELECT COUNT(*) FROM warning_routes WHERE org_id = ?) = (SELECT COUNT(*) FROM warnings)"));
  q->bind(1, caller.org_id);
  LS_TRY(row, q->step());
  bool all = row && q->i64(0) != 0;
  q->reset();
  return all;
}

// FROM + WHERE of the warnings the caller may see that match the filter; `all`: the caller sees
// every warning (sees_every_warning).
void warning_scope(SqlBuilder& b, const Caller& caller, const WarningFilter& f, bool all = false) {
  if (all) b.add(" FROM warnings w");
  else b.add(" FROM warnings w JOIN warning_routes r ON r.warning_id = w.id AND r.org_id = ?", caller.org_id);
  b.add(" WHERE 1 = 1");
  if (!f.statuses.empty()) {
    std::vector<std::string> names;
    for (auto s : f.statuses) names.emplace_back(to_string(s));
    b.in_list("w.status", names);
  }
  if (!f.severities.empty()) {
    b.add(" AND w.severity IN (");
    for (std::size_t i = 0; i < f.severities.size(); ++i) {
      b.add(i ? ",?" : "?", static_cast<std::int64_t>(f.severities[i]));
    }
    b.add(")");
  }
  if (f.min_severity) b.add(" AND w.severity >= ?", static_cast<std::int64_t>(*f.min_severity));
  if (!f.org_id.empty()) b.add(" AND w.org_id = ?", f.org_id);
  if (!f.province.empty()) b.add(" AND w.province = ?", f.province);
  if (!f.sector.empty()) {
    b.add(" AND EXISTS (SELECT 1 FROM warning_sectors s WHERE s.warning_id = w.id AND s.sector = ?)", f.sector);
  }
  if (!f.rule_id.empty()) b.add(" AND w.rule_id = ?", f.rule_id);
  if (f.since) b.add(" AND w.last_seen >= ?", *f.since);
  if (f.until) b.add(" AND w.last_seen < ?", *f.until);
  if (!f.text.empty()) b.add(" AND LOWER(w.rule_title) LIKE ? ESCAPE '\\'", like_pattern(f.text));
}

const char* sort_column(WarningSort s) {
  switch (s) {
    case WarningSort::last_seen:
      return "w.last_seen";
    case WarningSort::first_seen:
      return "w.first_seen";
    case WarningSort::severity:
      return "w.severity";
    case WarningSort::count:
      return "w.event_count";
    case WarningSort::id:
      return "w.id";
  }
  return "w.id";
}

std::int64_t sort_value(const Warning& w, WarningSort s) {
  switch (s) {
    case WarningSort::last_seen:
      return w.last_seen;
    case WarningSort::first_seen:
      return w.first_seen;
    case WarningSort::severity:
      return static_cast<std::int64_t>(w.severity);
    case WarningSort::count:
      return w.count;
    case WarningSort::id:
      return w.id;
  }
  return w.id;
}

std::string warning_cursor_tag(const WarningQuery& q) {
  std::string tag = "w:";
  tag += sort_column(q.sort) + 2;  // without "w."
  tag += q.descending ? ":d" : ":a";
  return tag;
}

// ---- Reader pool ----

class ReaderPool {
 public:
  class Lease {
   public:
    Lease(ReaderPool* pool, std::unique_ptr<Db> db) : pool_(pool), db_(std::move(db)) {}
    Lease(Lease&& o) noexcept = default;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (db_) pool_->release(std::move(db_));
    }
    Db& operator*() const { return *db_; }
    Db* operator->() const { return db_.get(); }

   private:
    ReaderPool* pool_;
    std::unique_ptr<Db> db_;
  };

  ReaderPool(std::string path, int max, int busy_timeout_ms)
      : path_(std::move(path)), max_(std::max(1, max)), busy_timeout_ms_(busy_timeout_ms) {}

  Result<Lease> acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !idle_.empty() || open_ < max_; });
    if (closed_) return closed_error();
    if (!idle_.empty()) {
      auto db = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(db));
    }
    ++open_;
    lock.unlock();
    auto db = Db::open(path_, false, busy_timeout_ms_);
    if (db) {
      if (auto r = (*db)->exec("PRAGMA query_only = ON"); !r) db = r.error();
    }
    if (!db) {
      std::lock_guard relock(mu_);
      --open_;
      cv_.notify_one();
      return std::move(db).error();
    }
    return Lease(this, std::move(*db));
  }

  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    idle_.clear();
    cv_.notify_all();
  }

 private:
  void release(std::unique_ptr<Db> db) {
    std::lock_guard lock(mu_);
    if (closed_) {
      --open_;
      db.reset();
    } else {
      idle_.push_back(std::move(db));
    }
    cv_.notify_one();
  }

  std::string path_;
  int max_;
  int busy_timeout_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Db>> idle_;
  int open_ = 0;
  bool closed_ = false;
};

// ---- The store ----

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Db> writer, const std::string& path, SqliteOptions opt)
      : clock_(opt.clock ? std::move(opt.clock) : Clock(system_now)),
        writer_(std::move(writer)),
        readers_(path, opt.readers, opt.busy_timeout_ms) {}
  ~SqliteStore() override { (void)close(); }

  // ---- Organisations ----

  Result<void> upsert_organisations(const std::vector<Organisation>& orgs) override {
    std::lock_guard lock(write_mu_);
    if (!writer_) return closed_error();
    LS_TRY(tx, Transaction::begin(*writer_, true));
    LS_TRY(q, writer_->cached(
                  "INSERT INTO organisations (id, name, kind, parent, province, sectors, criticality, contacts, "
                  "it_providers, networks, asns, domains, hosts) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
                  "ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, "
                  "parent = excluded.parent, province = excluded.province, sectors = excluded.sectors, "
                  "criticality = excluded.criticality, contacts = excluded.contacts, "
                  "it_providers = excluded.it_providers, networks = excluded.networks, asns = excluded.asns, "
                  "domains = excluded.domains, hosts = excluded.hosts"));
    for (const auto& o : orgs) {
      if (o.id.empty()) return make_error(Errc::malformed, "organisation without id");
      q->reset();
      q->bind_all(o.id, o.name, std::string(to_string(o.kind)), o.parent, o.province, to_json(o.sectors),
                  static_cast<std::int64_t>(o.criticality), to_json(o.contacts), to_json(o.it_providers),
                  to_json(o.networks), to_json(o.asns), to_json(o.domains), to_json(o.hosts));
      LS_CHECK(q->run());
    }
    return tx.commit();
  }

  Result<std::vector<Organisation>> list_organisations() override {
    LS_TRY(db, readers_.acquire());
    static const std::string sql = std::string("SELECT ") + kOrgCols + " FROM organisations ORDER BY id";
    LS_TRY(q, db->cached(sql.c_str()));
    std::vector<Organisation> out;
    for (;;) {
      LS_TRY(row, q->step());
      if (!row) break;
      LS_TRY(o, read_org(*q));
      out.push_back(std::move(o));
    }
    return out;
  }

  Result<Organisation> get_organisation(std::string_view id) override {
    LS_TRY(db, readers_.acquire());
    static const std::string sql = std::string("SELECT ") + kOrgCols + " FROM organisations WHERE id = ?";
    LS_TRY(q, db->cached(sql.c_str()));
    q->bind(1, id);
    LS_TRY(row, q->step());
    if (!row) return make_error(Errc::not_found, "no organisation " + std::string(id));
    return read_org(*q);
  }

  // ---- API keys ----

  Result<NewApiKey> create_api_key(std::string_view org_id, Role role, std::string_view label) override {
    LS_TRY(id, random_base32(kApiKeyIdChars));
    LS_TRY(secret, random_hex(kApiKeySecretBytes));
    NewApiKey k;
    k.key.id = id;
    k.key.org_id = org_id;
    k.key.role = role;
    k.key.secret_hash = sha256_hex(secret);
    k.key.label = label;
    k.key.created = clock_();
    k.plaintext = format_api_key(id, secret);
    std::lock_guard lock(write_mu_);
    if (!writer_) return closed_error();
    LS_TRY(q, writer_->cached("INSERT INTO api_keys (id, org_id, role, secret_hash, label, created, revoked) "
                              "VALUES (?,?,?,?,?,?,0)"));
    q->bind_all(k.key.id, k.key.org_id, std::string(to_string(role)), k.key.secret_hash, k.key.label, k.key.created);
    LS_CHECK(q->run());
    return k;
  }

  Result<Caller> authenticate_api_key(std::string_view plaintext) override {
    auto parts = parse_api_key(plaintext);
    if (!parts) return denied();
    LS_TRY(db, readers_.acquire());
    LS_TRY(q, db->cached("SELECT org_id, role, secret_hash, revoked FROM api_keys WHERE id = ?"));
    q->bind(1, parts->id);
    LS_TRY(row, q->step());
    if (!row) return denied();
    bool match = constant_time_equal(sha256_hex(parts->secret), q->text(2));
    auto role = parse_role(q->text(1));
    if (!match || q->i64(3) != 0 || !role) return denied();
    return Caller{"key:" + parts->id, q->text(0), *role};
  }

  Result<void> revoke_api_key(std::string_view id) override {
    TimeMs now = clock_();
    std::lock_guard lock(write_mu_);
    if (!writer_) return closed_error();
    // Revoking again keeps the first time.
    LS_TRY(q, writer_->cached("UPDATE api_keys SET revoked = 1, "
                              "revoked_at = CASE WHEN revoked = 0 THEN ? ELSE revoked_at END WHERE id = ?"));
    q->bind_all(now, id);
    LS_CHECK(q->run());
    if (writer_->changes() == 0) return make_error(Errc::not_found, "no api key " + std::string(id));
    return {};
  }

  Result<std::vector<ApiKey>> list_api_keys(std::string_view org_id) override {
    LS_TRY(db, readers_.acquire());
    static const std::string sql =
        std::string("SELECT ") + kKeyCols + " FROM api_keys WHERE org_id = ? ORDER BY created, id";
    LS_TRY(q, db->cached(sql.c_str()));
    q->bind(1, org_id);
    std::vector<ApiKey> out;
    for (;;) {
      LS_TRY(row, q->step());
      if (!row) break;
      LS_TRY(k, read_key(*q));
      out.push_back(std::move(k));
    }
    return out;
  }

  Result<ApiKey> get_api_key(std::string_view id) override {
    LS_TRY(db, readers_.acquire());
    static const std::string sql = std::string("SELECT ") + kKeyCols + " FROM api_keys WHERE id = ?";
    LS_TRY(q, db->cached(sql.c_str()));
    q->bind(1, id);
    LS_TRY(row, q->step());
    if (!row) return make_error(Errc::not_found, "no api key " + std::string(id));
    return read_key(*q);
  }

  // ---- Users and sessions ----

  Result<User> add_user(std::string_view username, std::string_view org_id, Role role, std::string_view display_name,
                        std::string_view password) override {
    if (username.empty()) return make_error(Errc::malformed, "empty username");
    LS_TRY(hash, hash_password(password));  // slow: outside the write lock
    User u{std::string(username), std::string(org_id), role, std::string(display_name), hash, clock_(), false};
    std::lock_guard lock(write_mu_);
    if (!writer_) return closed_error();
    LS_TRY(q,
           writer_->cached("INSERT INTO users (username, org_id, role, display_name, password_hash, created, disabled) "
                           "VALUES (?,?,?,?,?,?,0)"));
    q->bind_all(u.username, u.org_id, std::string(to_string(role)), u.display_name, u.password_hash, u.created);
    auto r = q->run();
    if (!r) {
      Error e = r.error();
      if (e.code == Errc::conflict) e.message = "user " + u.username + " exists";
      return e;
    }
    return u;
  }

  Result<Caller> authenticate_password(std::string_view username, std::string_view password) override {
    std::string hash;
    Caller c;
    bool usable = false;
    {
      LS_TRY(db, readers_.acquire());
      LS_TRY(q, db->cached("SELECT org_id, role, password_hash, disabled FROM users WHERE username = ?"));
      q->bind(1, username);
      LS_TRY(row, q->step());
      if (row) {
        auto role = parse_role(q->text(1));
        hash = q->text(2);
        usable = role.has_value() && q->i64(3) == 0;
        c = Caller{"user:" + std::string(username), q->text(0), role.value_or(Role::viewer)};
      }
    }
    // An unknown user costs one Argon2 verification too, so timing does not tell them apart.
    bool ok = verify_password(hash.empty() ? decoy_password_hash() : hash, password);
    if (!ok || !usable || hash.empty()) return denied();
    return c;
  }

  Result<std::string> create_session(std::string_view username, TimeMs ttl_ms) override {
    LS_TRY(token, random_hex(32));
    TimeMs now = clock_();
    std::lock_guard lock(write_mu_);
    if (!writer_) return closed_error();
    LS_TRY(q, writer_->cached("INSERT INTO sessions (token_hash, username, created, expires) VALUES (?,?,?,?)"));
    q->bind_all(sha256_hex(token), username, now, now + ttl_ms);
    auto r = q->run();
    if (!r) {
      Error e = r.error();
      if (e.code == Errc::not_found) e.message = "no user " + std::string(username);
      return e;
    }
    return std::move(token);
  }

  Result<Caller> authenticate_session(std::string_view token, TimeMs now) override {
    if (token.size() != 64) return denied();
    LS_TRY(db, readers_.acquire());
    LS_TRY(q, db->cached("SELECT u.username, u.org_id, u.role, s.expires, u.disabled FROM sessions s "
                         "JOIN users u ON u.username = s.username WHERE s.token_hash = ?"));
    q->bind(1, sha256_hex(token));
    LS_TRY(row, q->step());
    if (!row) return denied();
    auto role = parse_role(q->text(2));
    if (!role || q->i64(3) <= now || q->i64(4) != 0) return denied();
    return Caller{"user:" + q->text(0), q->text(1), *role};
  }

  Result<TimeMs> session_expires(std::string_view token, TimeMs now) override {
    if (token.size() != 64) return make_error(Errc::not_found, "no such session");
    LS_TRY(db, readers_.acquire());
    LS_TRY(q, db->cached("SELECT expires FROM sessions WHERE token_hash = ?"));
    q->bind(1, sha256_hex(token));
    LS_TRY(row, q->step());
    if (!row || q->i64(0) <= now) return make_error(Errc::not_found, "no such session");
    return q->i64(0);
  }

  Result<void> delete_session(std::string_view token) override {
    std::lock_guard lock(write_mu_);
    if (!writer_) return closed_error();
    LS_TRY(q, writer_->cached("DELETE FROM sessions WHERE token_hash = ?"));
    q->bind(1, sha256_hex(token));
    return q->run();
  }

  Result<std::int64_t> purge_expired_sessions(TimeMs now) override {
    std::lock_guard lock(write_mu_);
    if (!writer_) return closed_error();
    LS_TRY(q, writer_->cached("DELETE FROM sessions WHERE expires <= ?"));
    q->bind(1, now);
    LS_CHECK(q->run());
    return static_cast<std::int64_t>(writer_->changes());
  }

  Result<User> get_user(std::string_view username) override {
    LS_TRY(db, readers_.acquire());
    return user_by_name(*db, username);
  }

  Result<std::vector<User>> list_users(std::string_view org_id) override {
    LS_TRY(db, readers_.acquire());
    static const std::string sql =
        std::string("SELECT ") + kUserCols + " FROM users WHERE org_id = ? ORDER BY username";
    LS_TRY(q, db->cached(sql.c_str()));
    q->bind(1, org_id);
    std::vector<User> out;
    for (;;) {
      LS_TRY(row, q->step());
      if (!row) break;
      LS_TRY(u, read_user(*q));
      out.push_back(std::move(u));
    }
    return out;
  }

  Result<User> set_user_disabled(std::string_view username, bool disabled) override {
    std::lock_guard lock(write_mu_);
    if (!writer_) return closed_error();
    Db& db = *writer_;
    LS_TRY(tx, Transaction::begin(db, true));
    {
      LS_TRY(q, db.cached("UPDATE users SET disabled = ? WHERE username = ?"));
      q->bind_all(static_cast<std::int64_t>(disabled ? 1 : 0), username);
      LS_CHECK(q->run());
      if (db.changes() == 0) return make_error(Errc::not_found, "no user " + std::string(username));
    }
    if (disabled) {
      LS_TRY(q, db.cached("DELETE FROM sessions WHERE username = ?"));
      q->bind(1, username);
      LS_CHECK(q->run());
    }
    LS_TRY(u, user_by_name(db, username));
    LS_CHECK(tx.commit());
    return std::move(u);
  }

  // ---- Warnings: the pipeline's writer ----

  Result<std::vector<UpsertOutcome>> apply_warnings(const std::vector<WarningUpsert>& upserts,
                                                    const Checkpoint& cp) override {
    if (cp.consumer.empty()) return make_error(Errc::malformed, "checkpoint without consumer name");
    TimeMs now = clock_();
    std::lock_guard lock(write_mu_);
    if (!writer_) return closed_error();
    Db& db = *writer_;
    LS_TRY(tx, Transaction::begin(db, true));
    LS_TRY(find,
           db.cached("SELECT id, first_seen, last_seen, event_count, severity, evidence_count FROM warnings "
                     "WHERE dedup_key = ? AND status IN ('new', 'acknowledged', 'in_progress') AND last_seen >= ? "
                     "ORDER BY last_seen DESC, id DESC LIMIT 1"));
    LS_TRY(update, db.cached("UPDATE warnings SET first_seen = ?, last_seen = ?, event_count = ?, severity = ?, "
                             "evidence_count = ?, updated = ? WHERE id = ?"));
    LS_TRY(add_evidence, db.cached("INSERT INTO warning_evidence (warning_id, n, event) VALUES (?,?,?)"));
    LS_TRY(insert,
           db.cached("INSERT INTO warnings (org_id, detector, rule_id, rule_title, severity, tags, tlp, entities, "
                     "dedup_key, first_seen, last_seen, event_count, status, province, sectors, routed_to, "
                     "evidence, evidence_count, created, updated) "
                     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,'new',?,?,?,'[]',?,?,?)"));
    LS_TRY(route, db.cached("INSERT INTO warning_routes (org_id, warning_id) VALUES (?,?) ON CONFLICT DO NOTHING"));
    LS_TRY(sector, db.cached("INSERT INTO warning_sectors (warning_id, sector) VALUES (?,?) ON CONFLICT DO NOTHING"));
    LS_TRY(checkpoint, db.cached("INSERT INTO checkpoints (consumer, position) VALUES (?,?) "
                                 "ON CONFLICT (consumer) DO UPDATE SET position = excluded.position"));

    // Warnings touched by this batch, merged in memory and written once at the end: a batch where
    // many detections share a dedup key costs one statement per key (and one per evidence event
    // kept), not one per detection. A warning new in this batch (id 0 until then) is inserted
    // with everything merged into it.
    struct Open {
      std::int64_t id = 0;
      const Warning* created = nullptr;  // the upsert that creates it, for a new warning
      TimeMs first = 0, last = 0;
      std::int64_t count = 0, severity = 0;
      std::size_t stored_evidence = 0;           // evidence rows it has in the store
      std::vector<const std::string*> evidence;  // evidence to add
      bool dirty = false;
    };
    std::vector<Open> open;
    std::unordered_map<std::string_view, std::size_t> by_key;  // dedup key -> newest entry in `open`
    std::vector<std::size_t> entry_of(upserts.size());         // upsert -> its entry in `open`
    auto keep_evidence = [](Open& o, const Warning& w) {
      for (const auto& e : w.evidence) {
        if (o.stored_evidence + o.evidence.size() >= kMaxEvidence) break;
        o.evidence.push_back(&e);
      }
    };

    std::vector<UpsertOutcome> out;
    out.reserve(upserts.size());
    for (std::size_t i = 0; i < upserts.size(); ++i) {
      const Warning& w = upserts[i].warning;
      TimeMs window = upserts[i].window_ms;
      if (w.dedup_key.empty() || w.org_id.empty() || w.count < 1 || w.first_seen > w.last_seen || window < 0) {
        return make_error(Errc::malformed, "upsert " + std::to_string(i) +
                                               ": needs dedup_key, org_id, count >= 1, first_seen <= last_seen "
                                               "and a window >= 0");
      }
      TimeMs horizon = w.first_seen >= std::numeric_limits<TimeMs>::min() + window ? w.first_seen - window
                                                                                   : std::numeric_limits<TimeMs>::min();
      // The newest open warning of this key: from this batch when it is recent enough (the stored
      // row is then older still, so the store cannot have a better one), else from the store.
      std::optional<std::size_t> hit;
      if (auto it = by_key.find(w.dedup_key); it != by_key.end() && open[it->second].last >= horizon) {
        hit = it->second;
      } else {
        find->reset();
        find->bind_all(w.dedup_key, horizon);
        LS_TRY(found, find->step());
        if (found) {
          Open o;
          o.id = find->i64(0);
          o.first = find->i64(1);
          o.last = find->i64(2);
          o.count = find->i64(3);
          o.severity = find->i64(4);
          o.stored_evidence = static_cast<std::size_t>(std::max<std::int64_t>(0, find->i64(5)));
          hit = open.size();
          open.push_back(std::move(o));
          by_key[w.dedup_key] = *hit;
        }
        find->reset();
      }
      if (hit) {
        Open& o = open[*hit];
        o.first = std::min(o.first, w.first_seen);
        o.last = std::max(o.last, w.last_seen);
        o.count += w.count;
        o.severity = std::max(o.severity, static_cast<std::int64_t>(w.severity));
        keep_evidence(o, w);
        o.dirty = true;
        entry_of[i] = *hit;
        out.push_back({o.id, false});
        continue;
      }
      Open o;
      o.created = &w;
      o.first = w.first_seen;
      o.last = w.last_seen;
      o.count = w.count;
      o.severity = static_cast<std::int64_t>(w.severity);
      keep_evidence(o, w);
      entry_of[i] = open.size();
      by_key[w.dedup_key] = open.size();
      open.push_back(std::move(o));
      out.push_back({0, true});
    }
    for (Open& o : open) {
      auto total_evidence = static_cast<std::int64_t>(o.stored_evidence + o.evidence.size());
      if (o.created) {
        const Warning& w = *o.created;
        std::vector<std::string> routes = w.routed_to;
        if (std::find(routes.begin(), routes.end(), w.org_id) == routes.end()) routes.insert(routes.begin(), w.org_id);
        insert->reset();
        insert->bind_all(w.org_id, w.detector, w.rule_id, w.rule_title, o.severity, to_json(w.tags), w.tlp,
                         to_json(w.entities), w.dedup_key, o.first, o.last, o.count, w.province, to_json(w.sectors),
                         to_json(routes), total_evidence, now, now);
        LS_CHECK(insert->run());
        o.id = db.last_insert_id();
        for (const auto& org : routes) {
          route->reset();
          route->bind_all(org, o.id);
          LS_CHECK(route->run());
        }
        for (const auto& sec : w.sectors) {
          sector->reset();
          sector->bind_all(o.id, sec);
          LS_CHECK(sector->run());
        }
      } else if (o.dirty) {
        update->reset();
        update->bind_all(o.first, o.last, o.count, o.severity, total_evidence, now, o.id);
        LS_CHECK(update->run());
      }
      for (std::size_t k = 0; k < o.evidence.size(); ++k) {
        add_evidence->reset();
        add_evidence->bind_all(o.id, static_cast<std::int64_t>(o.stored_evidence + k), *o.evidence[k]);
        LS_CHECK(add_evidence->run());
      }
    }
    for (std::size_t i = 0; i < out.size(); ++i) out[i].warning_id = open[entry_of[i]].id;
    checkpoint->bind_all(cp.consumer, static_cast<std::int64_t>(cp.offset));
    LS_CHECK(checkpoint->run());
    LS_CHECK(tx.commit());
    return out;
  }

  Result<std::uint64_t> get_checkpoint(std::string_view consumer) override {
    LS_TRY(db, readers_.acquire());
    LS_TRY(q, db->cached("SELECT position FROM checkpoints WHERE consumer = ?"));
    q->bind(1, consumer);
    LS_TRY(row, q->step());
    return row ? static_cast<std::uint64_t>(q->i64(0)) : std::uint64_t{0};
  }

  // ---- Warnings: scoped reads and changes ----

  Result<WarningPage> query_warnings(const Caller& caller, const WarningQuery& query) override {
    std::string tag = warning_cursor_tag(query);
    std::optional<std::vector<std::int64_t>> after;
    if (!query.cursor.empty()) {
      after = decode_cursor(tag, query.cursor, 2);
      if (!after) return make_error(Errc::malformed, "bad cursor");
    }
    int limit = clamp_limit(query.limit);
    LS_TRY(db, readers_.acquire());
    LS_TRY(tx, Transaction::begin(*db, false));  // one snapshot for the check and the page
    (void)tx;
    LS_TRY(all, sees_every_warning(*db, caller));
    SqlBuilder b;
    b.add("SELECT " LS_WARNING_COLS);
    warning_scope(b, caller, query.filter, all);
    const char* col = sort_column(query.sort);
    const char* cmp = query.descending ? " < ?" : " > ?";
    if (after) {
      if (query.sort == WarningSort::id) {
        b.add(std::string(" AND w.id") + cmp, (*after)[1]);
      } else {
        b.add(std::string(" AND (") + col + cmp, (*after)[0]);
        b.add(std::string(" OR (") + col + " = ?", (*after)[0]);
        b.add(std::string(" AND w.id") + cmp + "))", (*after)[1]);
      }
    }
    const char* dir = query.descending ? " DESC" : " ASC";
    b.add(std::string(" ORDER BY ") + col + dir);
    if (query.sort != WarningSort::id) b.add(std::string(", w.id") + dir);
    b.add(" LIMIT ?", static_cast<std::int64_t>(limit) + 1);

    LS_TRY(q, b.prepare(*db));
    WarningPage page;
    for (;;) {
      LS_TRY(row, q->step());
      if (!row) break;
      if (static_cast<int>(page.items.size()) == limit) {
        const Warning& last = page.items.back();
        page.next_cursor = encode_cursor(tag, {sort_value(last, query.sort), last.id});
        break;
      }
      LS_TRY(w, read_warning(*q));
      page.items.push_back(std::move(w));
    }
    return page;
  }

  Result<std::int64_t> count_warnings(const Caller& caller, const WarningFilter& filter) override {
    LS_TRY(db, readers_.acquire());
    LS_TRY(tx, Transaction::begin(*db, false));
    (void)tx;
    LS_TRY(all, sees_every_warning(*db, caller));
    SqlBuilder b;
    b.add("SELECT COUNT(*)");
    warning_scope(b, caller, filter, all);
    LS_TRY(q, b.prepare(*db));
    LS_TRY(row, q->step());
    return row ? q->i64(0) : std::int64_t{0};
  }

  Result<Warning> get_warning(const Caller& caller, std::int64_t id) override {
    LS_TRY(db, readers_.acquire());
    return visible_warning(*db, caller, id);
  }

  Result<Warning> update_warning_status(const Caller& caller, std::int64_t id, WarningStatus to,
                                        std::string_view comment, TimeMs now) override {
    std::lock_guard lock(write_mu_);
    if (!writer_) return closed_error();
    Db& db = *writer_;
    LS_TRY(tx, Transaction::begin(db, true));
    LS_TRY(w, visible_warning(db, caller, id));
    if (!may_change_status(caller.role)) {
      return make_error(Errc::denied, "role " + std::string(to_string(caller.role)) + " may not change warnings");
    }
    if (!transition_allowed(w.status, to)) {
      return make_error(Errc::conflict, "warning " + std::to_string(id) + " cannot go from " +
                                            std::string(to_string(w.status)) + " to " + std::string(to_string(to)));
    }
    {
      LS_TRY(q, db.cached("UPDATE warnings SET status = ?, updated = ? WHERE id = ?"));
      q->bind_all(std::string(to_string(to)), now, id);
      LS_CHECK(q->run());
    }
    {
      LS_TRY(q, db.cached("INSERT INTO warning_changes (warning_id, from_status, to_status, actor, comment, at) "
                          "VALUES (?,?,?,?,?,?)"));
      q->bind_all(id, std::string(to_string(w.status)), std::string(to_string(to)), caller.actor, comment, now);
      LS_CHECK(q->run());
    }
    boost::json::object detail{{"from", to_string(w.status)}, {"to", to_string(to)}, {"comment", comment}};
    AuditEntry e{0,
                 now,
                 caller.actor,
                 caller.org_id,
                 "warning.update",
                 "warning:" + std::to_string(id),
                 boost::json::serialize(detail)};
    LS_CHECK(append_audit_locked(db, e));
    LS_CHECK(tx.commit());
    w.status = to;
    w.updated = now;
    return std::move(w);
  }

  Result<std::vector<WarningChange>> list_warning_changes(const Caller& caller, std::int64_t id) override {
    LS_TRY(db, readers_.acquire());
    LS_TRY(tx, Transaction::begin(*db, false));  // one snapshot for the check and the list
    (void)tx;
    LS_CHECK(visible_warning(*db, caller, id));
    LS_TRY(q, db->cached("SELECT from_status, to_status, actor, comment, at FROM warning_changes WHERE warning_id = ? "
                         "ORDER BY id"));
    q->bind(1, id);
    std::vector<WarningChange> out;
    for (;;) {
      LS_TRY(row, q->step());
      if (!row) break;
      auto from = parse_warning_status(q->text(0));
      auto to = parse_warning_status(q->text(1));
      if (!from || !to) return corrupt("warning change status");
      out.push_back({id, *from, *to, q->text(2), q->text(3), q->i64(4)});
    }
    return out;
  }

  // ---- Warning statistics ----

  Result<WarningOverview> warning_overview(const Caller& caller, const OverviewQuery& query) override {
    WarningOverview out;
    TimeMs bucket = std::max<TimeMs>(query.bucket_ms, 1);
    auto top = static_cast<std::int64_t>(std::clamp(query.top, 1, 100));
    LS_TRY(db, readers_.acquire());
    LS_TRY(tx, Transaction::begin(*db, false));  // one snapshot for every aggregate
    (void)tx;
    LS_TRY(all, sees_every_warning(*db, caller));
    // Every statement binds the caller's organisation first (?1): `all` only tests it against
    // itself, so that the same binding serves both shapes.
    const std::string from = all ? " FROM warnings w" : " FROM warning_routes r JOIN warnings w ON w.id = r.warning_id";
    const std::string who = all ? " WHERE ?1 = ?1" : " WHERE r.org_id = ?1";
    const std::string kScope = from + who;
    constexpr const char* kOpen = "w.status IN ('new','acknowledged','in_progress')";
    // Status, open severity and province in one pass: few groups, summed here.
    {
      LS_TRY(q, db->prepare("SELECT w.status, w.severity, w.province, COUNT(*)" + kScope +
                            " GROUP BY w.status, w.severity, w.province"));
      q->bind(1, caller.org_id);
      std::vector<OpenTotal> prov;
      for (;;) {
        LS_TRY(row, q->step());
        if (!row) break;
        auto st = parse_warning_status(q->text(0));
        auto sev = q->i64(1);
        if (!st || sev < 0 || sev > static_cast<std::int64_t>(Severity::critical)) return corrupt("warning status");
        std::int64_t n = q->i64(3);
        bool open = *st == WarningStatus::new_ || *st == WarningStatus::acknowledged || *st == WarningStatus::in_progress;
        out.by_status[static_cast<std::size_t>(*st)] += n;
        if (open) out.open_by_severity[static_cast<std::size_t>(sev)] += n;
        std::string p = q->text(2);
        auto it = std::find_if(prov.begin(), prov.end(), [&](const OpenTotal& o) { return o.key == p; });
        if (it == prov.end()) it = prov.insert(prov.end(), OpenTotal{p, 0, 0});
        it->total += n;
        if (open) it->open += n;
      }
      std::sort(prov.begin(), prov.end(), [](const OpenTotal& a, const OpenTotal& b) { return a.key < b.key; });
      out.provinces = std::move(prov);
    }
    {
      LS_TRY(q, db->prepare(std::string("SELECT s.sector, SUM(") + kOpen + "), COUNT(*)" + from +
                            " JOIN warning_sectors s ON s.warning_id = w.id" + who + " GROUP BY s.sector ORDER BY s.sector"));
      q->bind(1, caller.org_id);
      for (;;) {
        LS_TRY(row, q->step());
        if (!row) break;
        out.sectors.push_back(OpenTotal{q->text(0), q->i64(1), q->i64(2)});
      }
    }
    std::string range = kScope + " AND w.first_seen >= ?2 AND w.first_seen < ?3";
    {
      // Buckets start at multiples of the width (floor, also for times before 1970).
      LS_TRY(q, db->prepare("SELECT (w.first_seen - (((w.first_seen % ?4) + ?4) % ?4)) AS b, COUNT(*), "
                            "SUM(w.severity = 4), SUM(w.severity = 3)" + range + " GROUP BY b ORDER BY b"));
      q->bind_all(caller.org_id, query.since, query.until, bucket);
      for (;;) {
        LS_TRY(row, q->step());
        if (!row) break;
        out.series.push_back(SeriesPoint{q->i64(0), q->i64(1), q->i64(2), q->i64(3)});
      }
    }
    {
      // Counted from the (first_seen, severity, rule_id, org_id) index; the title is read for
      // the top ones only.
      LS_TRY(q, db->prepare("SELECT t.rule_id, (SELECT x.rule_title FROM warnings x WHERE x.rule_id = t.rule_id "
                            "LIMIT 1), t.n FROM (SELECT w.rule_id, COUNT(*) AS n" + range +
                            " GROUP BY w.rule_id ORDER BY n DESC, w.rule_id LIMIT ?4) t ORDER BY t.n DESC, t.rule_id"));
      q->bind_all(caller.org_id, query.since, query.until, top);
      for (;;) {
        LS_TRY(row, q->step());
        if (!row) break;
        out.top_rules.push_back(RankedCount{q->text(0), q->text(1), q->i64(2)});
      }
    }
    {
      LS_TRY(q, db->prepare("SELECT UPPER(SUBSTR(j.value, 8)) AS t, COUNT(*) AS n" + range.substr(0, range.find(" WHERE")) +
                            ", json_each(w.tags) j" + range.substr(range.find(" WHERE")) +
                            " AND LOWER(j.value) GLOB 'attack.t[0-9][0-9][0-9][0-9]*' "
                            "GROUP BY t ORDER BY n DESC, t LIMIT ?4"));
      q->bind_all(caller.org_id, query.since, query.until, top);
      for (;;) {
        LS_TRY(row, q->step());
        if (!row) break;
        out.top_techniques.push_back(RankedCount{q->text(0), {}, q->i64(1)});
      }
    }
    {
      LS_TRY(q, db->prepare("SELECT w.org_id, COUNT(*) AS n" + range + " GROUP BY w.org_id ORDER BY n DESC, w.org_id LIMIT ?4"));
      q->bind_all(caller.org_id, query.since, query.until, top);
      for (;;) {
        LS_TRY(row, q->step());
        if (!row) break;
        out.top_organisations.push_back(RankedCount{q->text(0), {}, q->i64(1)});
      }
    }
    {
      LS_TRY(q, db->prepare(
                    "SELECT i.status, COUNT(*), SUM(i.status NOT IN ('resolved','closed') AND "
                    "((i.first_response_at = 0 AND i.first_response_due > 0 AND i.first_response_due < ?1) OR "
                    "(i.resolved_at = 0 AND i.resolution_due > 0 AND i.resolution_due < ?1))) "
                    "FROM incident_routes r JOIN incidents i ON i.id = r.incident_id "
                    "WHERE r.org_id = ?2 AND i.merged_into = 0 GROUP BY i.status"));
      q->bind_all(query.now, caller.org_id);
      for (;;) {
        LS_TRY(row, q->step());
        if (!row) break;
        out.incidents_by_status.emplace_back(q->text(0), q->i64(1));
        out.incidents_sla_breached += q->i64(2);
      }
    }
    return out;
  }

  Result<std::vector<std::pair<std::string, std::int64_t>>> count_warnings_by_rule(const Caller& caller) override {
    LS_TRY(db, readers_.acquire());
    LS_TRY(tx, Transaction::begin(*db, false));
    (void)tx;
    LS_TRY(all, sees_every_warning(*db, caller));
    LS_TRY(q, db->prepare(all ? "SELECT w.rule_id, COUNT(*) FROM warnings w WHERE ?1 = ?1 GROUP BY w.rule_id"
                              : "SELECT w.rule_id, COUNT(*) FROM warning_routes r JOIN warnings w ON w.id = r.warning_id "
                                "WHERE r.org_id = ?1 GROUP BY w.rule_id"));
    q->bind(1, caller.org_id);
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (;;) {
      LS_TRY(row, q->step());
      if (!row) break;
      out.emplace_back(q->text(0), q->i64(1));
    }
    return out;
  }

  Result<std::int64_t> insert_warnings(const std::vector<Warning>& warnings) override {
    TimeMs now = clock_();
    std::lock_guard lock(write_mu_);
    if (!writer_) return closed_error();
    Db& db = *writer_;
    LS_TRY(tx, Transaction::begin(db, true));
    LS_TRY(insert,
           db.cached("INSERT INTO warnings (org_id, detector, rule_id, rule_title, severity, tags, tlp, entities, "
                     "dedup_key, first_seen, last_seen, event_count, status, province, sectors, routed_to, "
                     "evidence, evidence_count, created, updated) "
                     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'[]',?,?,?)"));
    LS_TRY(add_evidence, db.cached("INSERT INTO warning_evidence (warning_id, n, event) VALUES (?,?,?)"));
    LS_TRY(route, db.cached("INSERT INTO warning_routes (org_id, warning_id) VALUES (?,?) ON CONFLICT DO NOTHING"));
    LS_TRY(sector, db.cached("INSERT INTO warning_sectors (warning_id, sector) VALUES (?,?) ON CONFLICT DO NOTHING"));
    std::int64_t n = 0;
    for (const Warning& w : warnings) {
      if (w.org_id.empty() || w.dedup_key.empty() || w.first_seen > w.last_seen)
        return make_error(Errc::malformed, "warning " + std::to_string(n) + ": needs org_id, dedup_key and first_seen <= last_seen");
      std::vector<std::string> routes = w.routed_to;
      if (std::find(routes.begin(), routes.end(), w.org_id) == routes.end()) routes.insert(routes.begin(), w.org_id);
      auto evidence = std::min(w.evidence.size(), kMaxEvidence);
      insert->reset();
      insert->bind_all(w.org_id, w.detector, w.rule_id, w.rule_title, static_cast<std::int64_t>(w.severity),
                       to_json(w.tags), w.tlp, to_json(w.entities), w.dedup_key, w.first_seen, w.last_seen,
                       std::max<std::int64_t>(w.count, 1), std::string(to_string(w.status)), w.province,
                       to_json(w.sectors), to_json(routes), static_cast<std::int64_t>(evidence), now, now);
      LS_CHECK(insert->run());
      std::int64_t id = db.last_insert_id();
      for (const auto& org : routes) {
        route->reset();
        route->bind_all(org, id);
        LS_CHECK(route->run());
      }
      for (const auto& sec : w.sectors) {
        sector->reset();
        sector->bind_all(id, sec);
        LS_CHECK(sector->run());
      }
      for (std::size_t k = 0; k < evidence; ++k) {
        add_evidence->reset();
        add_evidence->bind_all(id, static_cast<std::int64_t>(k), w.evidence[k]);
        LS_CHECK(add_evidence->run());
      }
      ++n;
    }
    LS_CHECK(tx.commit());
    return n;
  }

  // ---- Audit ----

  Result<std::int64_t> append_audit(const AuditEntry& entry) override {
    AuditEntry e = entry;
    if (e.at == 0) e.at = clock_();
    std::lock_guard lock(write_mu_);
    if (!writer_) return closed_error();
    LS_TRY(tx, Transaction::begin(*writer_, true));
    LS_TRY(id, append_audit_locked(*writer_, e));
    LS_CHECK(tx.commit());
    return id;
  }

  Result<AuditPage> query_audit(const Caller& /*caller: roles are the api's business*/,
                                const std::vector<std::string>& visible_org_ids, const AuditFilter& filter, int limit,
                                std::string_view cursor) override {
    std::optional<std::vector<std::int64_t>> after;
    if (!cursor.empty()) {
      after = decode_cursor("audit", cursor, 1);
      if (!after) return make_error(Errc::malformed, "bad cursor");
    }
    AuditPage page;
    if (visible_org_ids.empty()) return page;
    limit = clamp_limit(limit);
    SqlBuilder b;
    b.add(std::string("SELECT ") + kAuditCols + " FROM audit_log WHERE 1 = 1");
    b.in_list("org_id", visible_org_ids);
    if (!filter.actor.empty()) b.add(" AND actor = ?", filter.actor);
    if (!filter.action.empty()) b.add(" AND action = ?", filter.action);
    if (filter.since) b.add(" AND at >= ?", *filter.since);
    if (filter.until) b.add(" AND at < ?", *filter.until);
    if (after) b.add(" AND id < ?", (*after)[0]);
    b.add(" ORDER BY id DESC LIMIT ?", static_cast<std::int64_t>(limit) + 1);
    LS_TRY(db, readers_.acquire());
    LS_TRY(q, b.prepare(*db));
    for (;;) {
      LS_TRY(row, q->step());
      if (!row) break;
      if (static_cast<int>(page.items.size()) == limit) {
        page.next_cursor = encode_cursor("audit", {page.items.back().id});
        break;
      }
      page.items.push_back(read_audit(*q));
    }
    return page;
  }

  Result<std::int64_t> verify_audit_chain() override {
    LS_TRY(db, readers_.acquire());
    static const std::string sql = std::string("SELECT ") + kAuditCols + ", prev_hash, hash FROM audit_log ORDER BY id";
    LS_TRY(q, db->cached(sql.c_str()));
    std::string prev;
    std::int64_t n = 0;
    for (;;) {
      LS_TRY(row, q->step());
      if (!row) break;
      AuditEntry e = read_audit(*q);
      if (q->text(7) != prev || audit_chain_hash(prev, e) != q->text(8)) {
        return make_error(Errc::conflict, "audit chain broken at entry " + std::to_string(e.id));
      }
      prev = q->text(8);
      ++n;
    }
    return n;
  }

  // ---- Dead letters ----

  Result<std::int64_t> add_dead_letter(std::string_view source, std::string_view org_id, std::string_view reason,
                                       std::string_view raw, TimeMs at) override {
    std::lock_guard lock(write_mu_);
    if (!writer_) return closed_error();
    LS_TRY(q, writer_->cached(
                  "INSERT INTO dead_letters (source, org_id, reason, raw, raw_size, at) VALUES (?,?,?,?,?,?)"));
    q->bind_all(source, org_id, reason);
    q->bind_blob(4, raw.substr(0, kMaxDeadLetterRaw));
    q->bind(5, static_cast<std::int64_t>(raw.size()));
    q->bind(6, at);
    LS_CHECK(q->run());
    return writer_->last_insert_id();
  }

  Result<DeadLetterPage> list_dead_letters(const std::vector<std::string>& visible_org_ids, int limit,
                                           std::string_view cursor) override {
    std::optional<std::vector<std::int64_t>> after;
    if (!cursor.empty()) {
      after = decode_cursor("dead", cursor, 1);
      if (!after) return make_error(Errc::malformed, "bad cursor");
    }
    DeadLetterPage page;
    if (visible_org_ids.empty()) return page;
    limit = clamp_limit(limit);
    SqlBuilder b;
    b.add("SELECT id, source, org_id, reason, raw, raw_size, at FROM dead_letters WHERE 1 = 1");
    b.in_list("org_id", visible_org_ids);
    if (after) b.add(" AND id < ?", (*after)[0]);
    b.add(" ORDER BY id DESC LIMIT ?", static_cast<std::int64_t>(limit) + 1);
    LS_TRY(db, readers_.acquire());
    LS_TRY(q, b.prepare(*db));
    for (;;) {
      LS_TRY(row, q->step());
      if (!row) break;
      if (static_cast<int>(page.items.size()) == limit) {
        page.next_cursor = encode_cursor("dead", {page.items.back().id});
        break;
      }
      page.items.push_back({q->i64(0), q->text(1), q->text(2), q->text(3), q->text(4),
                            static_cast<std::uint64_t>(q->i64(5)), q->i64(6)});
    }
    return page;
  }

  // ---- Threat intelligence ----

  Result<IntelWriteStats> put_intel(const std::vector<IntelRecord>& records, TimeMs now) override {
    std::lock_guard lock(write_mu_);
    if (!writer_) return closed_error();
    LS_TRY(tx, Transaction::begin(*writer_, true));
    IntelWriteStats st;
    for (const auto& r : records) {
      // One look-up per record: the newest version of the ref, and whether this one is stored.
      bool latest = true, known_ref = false;
      {
        LS_TRY(q, writer_->cached("SELECT MAX(modified), COALESCE(SUM(modified = ?), 0) FROM intel_records WHERE ref = ?"));
        q->bind_all(r.modified, r.ref);
        LS_TRY(row, q->step());
        if (row && !q->is_null(0)) {
          if (q->i64(1) > 0) {
            ++st.unchanged;
            continue;
          }
          known_ref = true;
          latest = q->i64(0) < r.modified;
        }
      }
      if (latest && known_ref) {
        LS_TRY(q, writer_->cached("UPDATE intel_records SET latest = 0 WHERE ref = ? AND latest = 1"));
        q->bind(1, r.ref);
        LS_CHECK(q->run());
      }
      LS_TRY(q, writer_->cached(
                    "INSERT INTO intel_records (ref, kind, collection, source, tlp, modified, valid_until, revoked, "
                    "added, latest, body) VALUES (?,?,?,?,?,?,?,?,?,?,?)"));
      q->bind_all(r.ref, r.kind, r.collection, r.source, r.tlp, r.modified, r.valid_until,
                  static_cast<std::int64_t>(r.revoked), now, static_cast<std::int64_t>(latest), r.body);
      LS_CHECK(q->run());
      ++st.added;
      if (known_ref) {
        // Bounded history: a feed re-asserts its values on every pull.
        LS_TRY(d, writer_->cached(
                      "DELETE FROM intel_records WHERE ref = ? AND modified < (SELECT modified FROM intel_records "
                      "WHERE ref = ? ORDER BY modified DESC LIMIT 1 OFFSET ?)"));
        d->bind_all(r.ref, r.ref, static_cast<std::int64_t>(kMaxIntelVersions - 1));
        LS_CHECK(d->run());
      }
    }
    LS_CHECK(tx.commit());
    return st;
  }

  static IntelRecord read_intel(const Stmt& q) {
    IntelRecord r;
    r.seq = q.i64(0);
    r.ref = q.text(1);
    r.kind = q.text(2);
    r.collection = q.text(3);
    r.source = q.text(4);
    r.tlp = static_cast<int>(q.i64(5));
    r.modified = q.i64(6);
    r.valid_until = q.i64(7);
    r.revoked = q.i64(8) != 0;
    r.added = q.i64(9);
    r.latest = q.i64(10) != 0;
    r.body = q.text(11);
    return r;
  }
  static constexpr const char* kIntelCols =
      "seq, ref, kind, collection, source, tlp, modified, valid_until, revoked, added, latest, body";

  Result<IntelPage> query_intel(const IntelQuery& query) override {
    std::optional<std::vector<std::int64_t>> after;
    if (!query.cursor.empty()) {
      after = decode_cursor("intel", query.cursor, 1);
      if (!after) return make_error(Errc::malformed, "bad cursor");
    }
    int limit = std::clamp(query.limit, 1, kMaxPageSize * 10);
    SqlBuilder b;
    b.add(std::string("SELECT ") + kIntelCols + " FROM intel_records r WHERE tlp <= ?",
          static_cast<std::int64_t>(query.max_tlp));
    if (!query.collections.empty()) b.in_list("collection", query.collections);
    if (!query.kinds.empty()) b.in_list("kind", query.kinds);
    if (!query.refs.empty()) b.in_list("ref", query.refs);
    if (query.added_after) b.add(" AND added > ?", *query.added_after);
    if (query.added_before) b.add(" AND added <= ?", *query.added_before);
    if (!query.include_revoked) b.add(" AND revoked = 0");
    if (!query.modified.empty()) {
      b.add(" AND modified IN (");
      for (std::size_t i = 0; i < query.modified.size(); ++i) b.add(i ? ",?" : "?", query.modified[i]);
      b.add(")");
    } else if (query.versions == IntelVersions::latest) {
      b.add(" AND latest = 1");
    } else if (query.versions == IntelVersions::first) {
      b.add(" AND modified = (SELECT MIN(modified) FROM intel_records f WHERE f.ref = r.ref)");
    }
    if (after) b.add(" AND seq > ?", (*after)[0]);
    b.add(" ORDER BY seq LIMIT ?", static_cast<std::int64_t>(limit) + 1);
    LS_TRY(db, readers_.acquire());
    LS_TRY(q, b.prepare(*db));
    IntelPage page;
    for (;;) {
      LS_TRY(row, q->step());
      if (!row) break;
      if (static_cast<int>(page.items.size()) == limit) {
        page.next_cursor = encode_cursor("intel", {page.items.back().seq});
        page.more = true;
        break;
      }
      page.items.push_back(read_intel(*q));
    }
    return page;
  }

  Result<void> scan_latest_intel(std::string_view kind, const std::function<void(IntelRecord&&)>& f) override {
    LS_TRY(db, readers_.acquire());
    LS_TRY(tx, Transaction::begin(*db, false));
    (void)tx;
    LS_TRY(q, db->prepare(std::string("SELECT ") + kIntelCols +
                          " FROM intel_records WHERE kind = ? AND latest = 1 AND revoked = 0 ORDER BY seq"));
    q->bind(1, kind);
    for (;;) {
      LS_TRY(row, q->step());
      if (!row) break;
      f(read_intel(*q));
    }
    return {};
  }

  Result<void> add_sightings(const std::vector<IntelSighting>& sightings) override {
    std::lock_guard lock(write_mu_);
    if (!writer_) return closed_error();
    LS_TRY(tx, Transaction::begin(*writer_, true));
    LS_TRY(q, writer_->cached(
                  "INSERT INTO intel_sightings (ref, org_id, count, first_seen, last_seen, listed) VALUES (?,?,?,?,?,?) "
                  "ON CONFLICT (ref, org_id) DO UPDATE SET count = count + excluded.count, "
                  "first_seen = MIN(first_seen, excluded.first_seen), last_seen = MAX(last_seen, excluded.last_seen), "
                  "listed = listed + excluded.listed"));
    for (const auto& s : sightings) {
      q->reset();
      q->bind_all(s.ref, s.org_id, s.count, s.first_seen, s.last_seen, s.listed);
      LS_CHECK(q->run());
    }
    LS_CHECK(tx.commit());
    return {};
  }

  Result<std::vector<IntelSighting>> list_sightings(std::string_view ref,
                                                    const std::vector<std::string>& visible_org_ids) override {
    std::vector<IntelSighting> out;
    if (visible_org_ids.empty()) return out;
    SqlBuilder b;
    b.add("SELECT ref, org_id, count, first_seen, last_seen, listed FROM intel_sightings WHERE ref = ?",
          std::string(ref));
    b.in_list("org_id", visible_org_ids);
    b.add(" ORDER BY last_seen DESC, org_id");
    LS_TRY(db, readers_.acquire());
    LS_TRY(q, b.prepare(*db));
    for (;;) {
      LS_TRY(row, q->step());
      if (!row) break;
      out.push_back({q->text(0), q->text(1), q->i64(2), q->i64(3), q->i64(4), q->i64(5)});
    }
    return out;
  }

  // ---- Named state ----

  Result<void> put_state(std::string_view scope, std::string_view key, std::string_view value, TimeMs at) override {
    std::lock_guard lock(write_mu_);
    if (!writer_) return closed_error();
    if (value.empty()) {
      LS_TRY(q, writer_->cached("DELETE FROM named_state WHERE scope = ? AND key = ?"));
      q->bind_all(scope, key);
      return q->run();
    }
    LS_TRY(q, writer_->cached(
                  "INSERT INTO named_state (scope, key, value, updated) VALUES (?,?,?,?) "
                  "ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, updated = excluded.updated"));
    q->bind_all(scope, key, value, at);
    return q->run();
  }

  Result<std::optional<std::string>> get_state(std::string_view scope, std::string_view key) override {
    LS_TRY(db, readers_.acquire());
    LS_TRY(q, db->cached("SELECT value FROM named_state WHERE scope = ? AND key = ?"));
    q->bind_all(scope, key);
    LS_TRY(row, q->step());
    if (!row) return std::optional<std::string>();
    return std::optional<std::string>(q->text(0));
  }

  Result<std::vector<std::pair<std::string, std::string>>> list_state(std::string_view scope) override {
    LS_TRY(db, readers_.acquire());
    LS_TRY(q, db->cached("SELECT key, value FROM named_state WHERE scope = ? ORDER BY key"));
    q->bind(1, scope);
    std::vector<std::pair<std::string, std::string>> out;
    for (;;) {
      LS_TRY(row, q->step());
      if (!row) break;
      out.emplace_back(q->text(0), q->text(1));
    }
    return out;
  }

  // ---- Incidents, evidence, outbox, subscriptions, stream: sqlite_incidents.cpp ----

  Result<Incident> create_incident(const Caller& c, const NewIncident& n, const SlaPolicy& sla, TimeMs now) override {
    return in_write([&](Db& db) { return sqlite::create_incident(db, c, n, sla, now); });
  }
  Result<Incident> get_incident(const Caller& c, std::int64_t id) override {
    return in_read([&](Db& db) { return sqlite::get_incident(db, c, id); });
  }
  Result<IncidentPage> query_incidents(const Caller& c, const IncidentQuery& q) override {
    return in_read([&](Db& db) { return sqlite::query_incidents(db, c, q); });
  }
  Result<Incident> update_incident(const Caller& c, std::int64_t id, const IncidentUpdate& u, const SlaPolicy& sla,
                                   TimeMs now) override {
    return in_write([&](Db& db) { return sqlite::update_incident(db, c, id, u, sla, now); });
  }
  Result<Incident> change_incident_status(const Caller& c, std::int64_t id, IncidentStatus to, std::string_view reason,
                                          TimeMs now) override {
    return in_write([&](Db& db) { return sqlite::change_incident_status(db, c, id, to, reason, now); });
  }
  Result<std::vector<IncidentChange>> list_incident_changes(const Caller& c, std::int64_t id) override {
    return in_read([&](Db& db) { return sqlite::list_incident_changes(db, c, id); });
  }
  Result<void> link_incident_warnings(const Caller& c, std::int64_t id, const std::vector<std::int64_t>& warning_ids,
                                      TimeMs now) override {
    return in_write([&](Db& db) { return sqlite::link_incident_warnings(db, c, id, warning_ids, now); });
  }
  Result<TimelineEntry> add_incident_comment(const Caller& c, std::int64_t id, std::string_view text,
                                             TimeMs now) override {
    return in_write([&](Db& db) { return sqlite::add_incident_comment(db, c, id, text, now); });
  }
  Result<std::vector<TimelineEntry>> list_incident_timeline(const Caller& c, std::int64_t id) override {
    return in_read([&](Db& db) { return sqlite::list_incident_timeline(db, c, id); });
  }
  Result<IncidentTask> add_incident_task(const Caller& c, std::int64_t id, const IncidentTask& t, TimeMs now) override {
    return in_write([&](Db& db) { return sqlite::add_incident_task(db, c, id, t, now); });
  }
  Result<IncidentTask> update_incident_task(const Caller& c, std::int64_t task_id, const TaskUpdate& u,
                                            TimeMs now) override {
    return in_write([&](Db& db) { return sqlite::update_incident_task(db, c, task_id, u, now); });
  }
  Result<std::vector<IncidentTask>> list_incident_tasks(const Caller& c, std::int64_t id) override {
    return in_read([&](Db& db) { return sqlite::list_incident_tasks(db, c, id); });
  }
  Result<IncidentObservable> add_incident_observable(const Caller& c, std::int64_t id, const IncidentObservable& o,
                                                     TimeMs now) override {
    return in_write([&](Db& db) { return sqlite::add_incident_observable(db, c, id, o, now); });
  }
  Result<std::vector<IncidentObservable>> list_incident_observables(const Caller& c, std::int64_t id) override {
    return in_read([&](Db& db) { return sqlite::list_incident_observables(db, c, id); });
  }
  Result<IncidentLink> link_incidents(const Caller& c, std::int64_t a, std::int64_t b, IncidentLinkKind kind,
                                      TimeMs now) override {
    return in_write([&](Db& db) { return sqlite::link_incidents(db, c, a, b, kind, now); });
  }
  Result<std::vector<IncidentLink>> list_incident_links(const Caller& c, std::int64_t id) override {
    return in_read([&](Db& db) { return sqlite::list_incident_links(db, c, id); });
  }
  Result<Incident> merge_incidents(const Caller& c, std::int64_t into, std::int64_t from, std::string_view reason,
                                   TimeMs now) override {
    return in_write([&](Db& db) { return sqlite::merge_incidents(db, c, into, from, reason, now); });
  }
  Result<std::vector<SlaBreach>> list_sla_breaches(TimeMs now, int limit) override {
    return in_read([&](Db& db) { return sqlite::list_sla_breaches(db, now, limit); });
  }
  Result<void> mark_sla_breach_notified(std::int64_t id, SlaKind kind, TimeMs now) override {
    return in_write([&](Db& db) { return sqlite::mark_sla_breach_notified(db, id, kind, now); });
  }
  Result<Evidence> add_evidence(const Caller& c, std::int64_t incident_id, const NewEvidence& e,
                                std::string_view remote, TimeMs now) override {
    return in_write([&](Db& db) { return sqlite::add_evidence(db, c, incident_id, e, remote, now); });
  }
  Result<std::vector<Evidence>> list_evidence(const Caller& c, std::int64_t incident_id) override {
    return in_read([&](Db& db) { return sqlite::list_evidence(db, c, incident_id); });
  }
  Result<CustodyEntry> record_custody(const Caller& c, std::int64_t evidence_id, CustodyAction action,
                                      std::string_view remote, TimeMs now) override {
    return in_write([&](Db& db) { return sqlite::record_custody(db, c, evidence_id, action, remote, now); });
  }
  Result<std::vector<CustodyEntry>> list_custody(const Caller& c, std::int64_t evidence_id) override {
    return in_read([&](Db& db) { return sqlite::list_custody(db, c, evidence_id); });
  }
  Result<std::int64_t> verify_custody_chain() override {
    return in_read([&](Db& db) { return sqlite::verify_custody_chain(db); });
  }
  Result<std::vector<EnqueueOutcome>> enqueue_notifications(const std::vector<NewNotification>& batch,
                                                            TimeMs now) override {
    return in_write([&](Db& db) { return sqlite::enqueue_notifications(db, batch, now); });
  }
  Result<std::vector<Notification>> claim_notifications(TimeMs now, int limit, TimeMs lease_ms) override {
    return in_write([&](Db& db) { return sqlite::claim_notifications(db, now, limit, lease_ms); });
  }
  Result<Notification> complete_notification(std::int64_t id, int attempt, const DeliveryReport& report,
                                             TimeMs now) override {
    return in_write([&](Db& db) { return sqlite::complete_notification(db, id, attempt, report, now); });
  }
  Result<NotificationPage> list_notifications(const std::vector<std::string>& visible_org_ids,
                                              const NotificationFilter& filter, int limit,
                                              std::string_view cursor) override {
    return in_read([&](Db& db) { return sqlite::list_notifications(db, visible_org_ids, filter, limit, cursor); });
  }
  Result<std::vector<Delivery>> list_deliveries(const std::vector<std::string>& visible_org_ids,
                                                std::int64_t notification_id) override {
    return in_read([&](Db& db) { return sqlite::list_deliveries(db, visible_org_ids, notification_id); });
  }
  Result<Notification> requeue_notification(const std::vector<std::string>& visible_org_ids, std::int64_t id,
                                            TimeMs now) override {
    return in_write([&](Db& db) { return sqlite::requeue_notification(db, visible_org_ids, id, now); });
  }
  Result<Subscription> create_subscription(const Caller& c, const Subscription& sub, TimeMs now) override {
    return in_write([&](Db& db) { return sqlite::create_subscription(db, c, sub, now); });
  }
  Result<Subscription> get_subscription(const Caller& c, std::int64_t id) override {
    return in_read([&](Db& db) { return sqlite::get_subscription(db, c, id); });
  }
  Result<std::vector<Subscription>> list_subscriptions(const Caller& c) override {
    return in_read([&](Db& db) { return sqlite::list_subscriptions(db, c); });
  }
  Result<Subscription> update_subscription(const Caller& c, const Subscription& sub, TimeMs now) override {
    return in_write([&](Db& db) { return sqlite::update_subscription(db, c, sub, now); });
  }
  Result<void> delete_subscription(const Caller& c, std::int64_t id) override {
    return in_write([&](Db& db) { return sqlite::delete_subscription(db, c, id); });
  }
  Result<std::vector<Subscription>> subscriptions_for(SubscriptionTopic topic) override {
    return in_read([&](Db& db) { return sqlite::subscriptions_for(db, topic); });
  }
  Result<std::int64_t> append_stream_event(const StreamEvent& e) override {
    TimeMs now = clock_();
    return in_write([&](Db& db) { return sqlite::append_stream_event(db, e, now); });
  }
  Result<StreamPage> read_stream_after(const Caller& c, std::int64_t after, int limit) override {
    return in_read([&](Db& db) { return sqlite::read_stream_after(db, c, after, limit); });
  }
  Result<std::int64_t> prune_stream(TimeMs before) override {
    return in_write([&](Db& db) { return sqlite::prune_stream(db, before); });
  }

  // ---- Operations ----

  Result<StoreStats> stats() override {
    LS_TRY(db, readers_.acquire());
    LS_TRY(tx, Transaction::begin(*db, false));
    (void)tx;
    StoreStats st;
    {
      LS_TRY(q, db->cached("SELECT status, COUNT(*) FROM warnings GROUP BY status"));
      for (;;) {
        LS_TRY(row, q->step());
        if (!row) break;
        auto s = parse_warning_status(q->text(0));
        if (!s) return corrupt("warning status");
        st.warnings_by_status[static_cast<std::size_t>(*s)] = q->i64(1);
        st.warnings += q->i64(1);
      }
    }
    {
      LS_TRY(q, db->cached("SELECT (SELECT COUNT(*) FROM audit_log), (SELECT COUNT(*) FROM dead_letters)"));
      LS_TRY(row, q->step());
      if (row) {
        st.audit_entries = q->i64(0);
        st.dead_letters = q->i64(1);
      }
    }
    return st;
  }

  Result<void> close() override {
    std::lock_guard lock(write_mu_);
    if (!writer_) return {};
    readers_.close();
    // Fold the WAL back into the database file so that it is complete on its own.
    auto r = writer_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    writer_.reset();
    return r;
  }

 private:
  // The user (without the password hash), else not_found. Runs on whichever connection is given.
  Result<User> user_by_name(Db& db, std::string_view username) {
    static const std::string sql = std::string("SELECT ") + kUserCols + " FROM users WHERE username = ?";
    LS_TRY(q, db.cached(sql.c_str()));
    q->bind(1, username);
    LS_TRY(row, q->step());
    if (!row) return make_error(Errc::not_found, "no user " + std::string(username));
    return read_user(*q);
  }

  // The warning if the caller may see it, else not_found. Runs on whichever connection is given.
  Result<Warning> visible_warning(Db& db, const Caller& caller, std::int64_t id) {
    LS_TRY(q, db.cached("SELECT " LS_WARNING_COLS
                        " FROM warnings w JOIN warning_routes r ON r.warning_id = w.id AND r.org_id = ? "
                        "WHERE w.id = ?"));
    q->bind_all(caller.org_id, id);
    LS_TRY(row, q->step());
    if (!row) return warning_not_found(id);
    LS_TRY(w, read_warning(*q));
    q->reset();
    LS_TRY(ev, db.cached("SELECT event FROM warning_evidence WHERE warning_id = ? ORDER BY n"));
    ev->bind(1, id);
    for (;;) {
      LS_TRY(more, ev->step());
      if (!more) break;
      w.evidence.push_back(ev->text(0));
    }
    ev->reset();
    return w;
  }

  // Appends to the hash chain inside the caller's write transaction.
  Result<std::int64_t> append_audit_locked(Db& db, const AuditEntry& e) { return sqlite::append_audit_row(db, e); }

  // f(writer) inside one write transaction, committed when f succeeds.
  template <typename F>
  auto in_write(F&& f) -> decltype(f(std::declval<Db&>())) {
    std::lock_guard lock(write_mu_);
    if (!writer_) return closed_error();
    auto tx = Transaction::begin(*writer_, true);
    if (!tx) return std::move(tx).error();
    auto r = f(*writer_);
    if (!r) return r;
    if (auto c = tx->commit(); !c) return c.error();
    return r;
  }
  // f(reader) inside one read transaction: a check and what follows it see one snapshot.
  template <typename F>
  auto in_read(F&& f) -> decltype(f(std::declval<Db&>())) {
    auto db = readers_.acquire();
    if (!db) return std::move(db).error();
    auto tx = Transaction::begin(**db, false);
    if (!tx) return std::move(tx).error();
    return f(**db);
  }

  Clock clock_;
  std::mutex write_mu_;
  std::unique_ptr<Db> writer_;  // null once closed
  ReaderPool readers_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path, SqliteOptions options) {
  LS_TRY(writer, Db::open(path, true, options.busy_timeout_ms));
  // WAL: readers never block the writer nor the writer them. synchronous=NORMAL is durable
  // against a process crash (a power loss may lose the last commits, never corrupt).
  LS_CHECK(writer->exec("PRAGMA journal_mode = WAL"));
  LS_CHECK(writer->exec("PRAGMA synchronous = NORMAL"));
  LS_CHECK(writer->exec("PRAGMA foreign_keys = ON"));
  LS_CHECK(sqlite::migrate(*writer));
  return std::unique_ptr<Store>(new SqliteStore(std::move(writer), path, std::move(options)));
}

}  // namespace lachan::store
