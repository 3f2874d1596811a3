// Internal to the SQLite backend: error propagation for Result and a builder of dynamic SQL with
// bound parameters, shared by sqlite_store.cpp and sqlite_incidents.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"
#include "store/sqlite/db.h"

// Propagate an error from a Result: LS_TRY binds the value, LS_CHECK only checks.
#define LS_CAT2(a, b) a##b
#define LS_CAT(a, b) LS_CAT2(a, b)
#define LS_TRY(var, expr)                                                    \
  auto LS_CAT(var, _result) = (expr);                                        \
  if (!LS_CAT(var, _result)) return std::move(LS_CAT(var, _result)).error(); \
  auto& var = *LS_CAT(var, _result)
#define LS_CHECK(expr)                                    \
  do {                                                    \
    auto ls_check_result = (expr);                        \
    if (!ls_check_result) return ls_check_result.error(); \
  } while (0)

namespace lachan::store::sqlite {

using Param = std::variant<std::int64_t, std::string>;

struct SqlBuilder {
  std::string sql;
  std::vector<Param> params;

  void add(std::string_view text) { sql += text; }
  void add(std::string_view text, Param p) {
    sql += text;
    params.push_back(std::move(p));
  }
  void in_list(std::string_view column, const std::vector<std::string>& values) {
    sql += " AND ";
    sql += column;
    sql += " IN (";
    for (std::size_t i = 0; i < values.size(); ++i) {
      sql += i ? ",?" : "?";
      params.emplace_back(values[i]);
    }
    sql += ")";
  }
  Result<std::unique_ptr<Stmt>> prepare(Db& db) const {
    auto s = db.prepare(sql);
    if (!s) return s;
    int i = 0;
    for (const auto& p : params) {
      ++i;
      if (const auto* n = std::get_if<std::int64_t>(&p)) {
        (*s)->bind(i, *n);
      } else {
        (*s)->bind(i, std::get<std::string>(p));
      }
    }
    return s;
  }
};

}  // namespace lachan::store::sqlite
