#include "store/sqlite/db.h"

namespace lachan::store::sqlite {

Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return make_error(Errc::busy, std::move(msg));
    case SQLITE_CONSTRAINT:
      return make_error(Errc::conflict, std::move(msg));
    default:
      return make_error(Errc::io, std::move(msg));
  }
}

Result<bool> Stmt::step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e = sqlite_error(db_, rc, "step");
  // The extended code tells a foreign key failure (an unknown referenced record) apart.
  if (sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_FOREIGNKEY) e.code = Errc::not_found;
  sqlite3_reset(s_);
  return e;
}

Result<void> Stmt::run() {
  for (;;) {
    auto r = step();
    if (!r) return std::move(r).error();
    if (!*r) return {};
  }
}

Result<std::unique_ptr<Db>> Db::open(const std::string& path, bool create, int busy_timeout_ms) {
  sqlite3* h = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &h, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error e = sqlite_error(h, rc, "open " + path);
    e.code = Errc::io;
    sqlite3_close(h);
    return e;
  }
  sqlite3_extended_result_codes(h, 1);
  sqlite3_busy_timeout(h, busy_timeout_ms);
  return std::unique_ptr<Db>(new Db(h));
}

Db::~Db() {
  cache_.clear();  // finalize before closing
  sqlite3_close(db_);
}

Result<void> Db::exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    Error e = sqlite_error(db_, rc, err ? err : "exec");
    sqlite3_free(err);
    return e;
  }
  return {};
}

Result<Use> Db::cached(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto s = prepare(sql);
    if (!s) return std::move(s).error();
    it = cache_.emplace(sql, std::move(*s)).first;
  }
  return Use(it->second.get());
}

Result<std::unique_ptr<Stmt>> Db::prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(db_, rc, "prepare");
  return std::make_unique<Stmt>(db_, s);
}

Result<Transaction> Transaction::begin(Db& db, bool write) {
  auto r = db.exec(write ? "BEGIN IMMEDIATE" : "BEGIN");
  if (!r) return r.error();
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_) (void)db_->exec("ROLLBACK");
}

Result<void> Transaction::commit() {
  Db* db = db_;
  db_ = nullptr;
  auto r = db->exec("COMMIT");
  if (!r) (void)db->exec("ROLLBACK");
  return r;
}

}  // namespace lachan::store::sqlite
