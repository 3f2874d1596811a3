// Sigma conditions.
//
// Grammar (precedence from loosest to tightest: or, and, not, "x of", parentheses):
//   expr     := and_expr ( "or" and_expr )*
//   and_expr := not_expr ( "and" not_expr )*
//   not_expr := "not" not_expr | primary
//   primary  := "(" expr ")" | quant | IDENT
//   quant    := ( "1" | "any" | "all" | NUMBER ) "of" ( "them" | PATTERN )
// IDENT is a search identifier; PATTERN may contain `*` wildcards. Keywords are
// case-insensitive. `them` covers every identifier not starting with `_`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lachan::sigma {

struct CondExpr {
  enum Kind { ref, op_and, op_or, op_not, of };
  Kind kind = ref;
  std::string name;        // ref: identifier; of: pattern ("them" for all)
  uint32_t count = 1;      // of: how many must hold; 0 means all
  std::vector<CondExpr> children;
  uint32_t offset = 0;     // position in the condition text, for messages
};

// Parses a condition; the Error message names the offending token and its column.
Result<CondExpr> parse_condition(std::string_view text);

// Identifier wildcard matching for "x of pattern" (`*` any run, case-sensitive as in pySigma).
bool identifier_matches(std::string_view pattern, std::string_view name) noexcept;

}  // namespace lachan::sigma
