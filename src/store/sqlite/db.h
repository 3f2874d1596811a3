// Thin RAII wrappers over the SQLite C API: a connection with a cache of prepared statements,
// statements that reset themselves when a use ends, and a write transaction that rolls back
// unless committed. Errors become lachan::Error (busy -> Errc::busy, constraint -> conflict,
// the rest -> io).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"

namespace lachan::store::sqlite {

Error sqlite_error(sqlite3* db, int rc, std::string_view what);

class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // Parameters are numbered from 1.
  void bind(int i, std::int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void bind(int i, int v) { sqlite3_bind_int64(s_, i, v); }
  void bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bind(int i, const std::string& v) { bind(i, std::string_view(v)); }
  void bind(int i, const char* v) { bind(i, std::string_view(v)); }
  void bind_blob(int i, std::string_view v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  template <typename... A>
  void bind_all(const A&... a) {
    int i = 0;
    (bind(++i, a), ...);
  }

  // true: a row is ready; false: done.
  Result<bool> step();
  // Steps to the end (for statements that return no rows).
  Result<void> run();
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

  std::int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
  bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::string text(int col) const {
    const auto* p = sqlite3_column_blob(s_, col);
    int n = sqlite3_column_bytes(s_, col);
    return p ? std::string(static_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_;
};

// A statement in use: resets it (ending its implicit read) when the use ends.
class Use {
 public:
  explicit Use(Stmt* s) : s_(s) {}
  ~Use() {
    if (s_) s_->reset();
  }
  Use(Use&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
  Use& operator=(Use&&) = delete;
  Stmt* operator->() const { return s_; }
  Stmt& operator*() const { return *s_; }

 private:
  Stmt* s_;
};

class Db {
 public:
  // Opens (creating when `create`) the database file and applies the connection settings.
  static Result<std::unique_ptr<Db>> open(const std::string& path, bool create, int busy_timeout_ms);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* handle() const { return db_; }
  Result<void> exec(const char* sql);
  // A statement prepared once per connection and reused.
  Result<Use> cached(const char* sql);
  // A statement for one use (dynamic SQL).
  Result<std::unique_ptr<Stmt>> prepare(std::string_view sql);
  std::int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<const char*, std::unique_ptr<Stmt>> cache_;  // keyed by the literal's address
};

// BEGIN IMMEDIATE (or deferred, for a consistent multi-statement read); rolls back unless committed.
class Transaction {
 public:
  static Result<Transaction> begin(Db& db, bool write);
  Transaction(Transaction&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Result<void> commit();

 private:
  explicit Transaction(Db* db) : db_(db) {}
  Db* db_;
};

}  // namespace lachan::store::sqlite
