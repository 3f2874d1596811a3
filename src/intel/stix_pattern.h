// STIX 2.1 patterning (STIX 2.1 section 9): a parser to an AST, the indexable terms of a
// pattern in disjunctive normal form (what Indicator::any_of holds), and the canonical pattern
// of one observable.
//
// Grammar (after the OASIS STIXPattern.g4; keywords in any case, AND binds tighter than OR,
// OR tighter than FOLLOWEDBY, qualifiers bind tightest):
//
//   pattern      := obs_followed EOF
//   obs_followed := obs_or ( FOLLOWEDBY obs_or )*
//   obs_or       := obs_and ( OR obs_and )*
//   obs_and      := obs_qual ( AND obs_qual )*
//   obs_qual     := obs_primary ( WITHIN num SECONDS | REPEATS int TIMES
//                               | START t'…' STOP t'…' )*
//   obs_primary  := '[' cmp_or ']' | '(' obs_followed ')'
//   cmp_or       := cmp_and ( OR cmp_and )*
//   cmp_and      := cmp_primary ( AND cmp_primary )*
//   cmp_primary  := '(' cmp_or ')' | EXISTS path
//                 | path [NOT] ( '=' | '!=' | '<' | '>' | '<=' | '>=' ) constant
//                 | path [NOT] IN '(' [ constant ( ',' constant )* ] ')'
//                 | path [NOT] ( LIKE | MATCHES | ISSUBSET | ISSUPERSET ) string
//   path         := object_type ':' step ( '.' step | '[' ( int | '*' ) ']' )*
//   step         := identifier | string
//   constant     := string | int | float | true | false | t'RFC 3339' | h'hex' | b'base64'
//
// Strings are single-quoted with \' and \\ the only escapes. One leniency: a property name after
// '.' may contain '-' unquoted (`file:hashes.SHA-256`), which real feeds write.
//
// Limits: a pattern over 64 KiB or nested deeper than 64 brackets/parentheses is refused
// (Errc::limit), so the parser's recursion and the AST's depth stay bounded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "intel/model.h"

namespace lachan::intel {

inline constexpr size_t kMaxPatternBytes = 64 * 1024;
inline constexpr int kMaxPatternDepth = 64;
inline constexpr size_t kMaxPatternConjunctions = 4096;

struct PatternConstant {
  enum class Kind : uint8_t { string, integer, floating, boolean, timestamp, hex, binary, list };
  Kind kind = Kind::string;
  std::string text;    // string: unescaped; timestamp/hex/binary: between the quotes; numbers: as written
  int64_t integer = 0;   // integer, boolean (0/1), timestamp (ms since the epoch)
  double floating = 0;   // floating
  std::vector<PatternConstant> items;  // list (the right side of IN)
};

struct PathStep {
  enum class Kind : uint8_t { property, index, any_index };  // .name, [n], [*]
  Kind kind = Kind::property;
  std::string name;
  int64_t index = 0;
};

struct ObjectPath {
  std::string object_type;      // "file"
  std::vector<PathStep> steps;  // hashes, 'SHA-256'
  std::string text() const;     // canonical: file:hashes.'SHA-256'
};

enum class CompareOp : uint8_t { eq, ne, lt, gt, le, ge, in, like, matches, issubset, issuperset, exists };
const char* compare_op_name(CompareOp op) noexcept;  // "=", "IN", …

struct Comparison {
  ObjectPath path;
  CompareOp op = CompareOp::eq;
  bool negated = false;       // NOT
  PatternConstant value;      // unused for EXISTS
  size_t offset = 0;          // byte offset of the path in the pattern
};

// Inside one observation: comparisons joined by AND / OR.
struct ComparisonExpr {
  enum class Kind : uint8_t { comparison, all, any };  // a leaf, AND, OR
  Kind kind = Kind::comparison;
  Comparison comparison;                 // kind == comparison
  std::vector<ComparisonExpr> operands;  // kind == all / any: two or more
};

struct Qualifier {
  enum class Kind : uint8_t { within, repeats, start_stop };
  Kind kind = Kind::within;
  double seconds = 0;             // within
  int64_t times = 0;              // repeats
  int64_t start_ms = 0, stop_ms = 0;  // start_stop
};

// Observations joined by AND / OR / FOLLOWEDBY, each possibly qualified.
struct ObservationExpr {
  enum class Kind : uint8_t { observation, all, any, followed_by };
  Kind kind = Kind::observation;
  ComparisonExpr comparisons;             // kind == observation: the bracket's content
  std::vector<ObservationExpr> operands;  // otherwise: two or more, in order
  std::vector<Qualifier> qualifiers;      // applied to this expression, as written left to right
};

struct Pattern {
  ObservationExpr root;
};

// Parses a STIX 2.1 pattern. Errors (Errc::malformed, Errc::limit for size and depth) name the
// byte offset and what was expected there.
Result<Pattern> parse_pattern(std::string_view text);

// The indexable comparisons of a pattern in disjunctive normal form, for Indicator::any_of.
// Indexable: '=' and IN (not negated) with string values on ipv4-addr:value, ipv6-addr:value
// (ip, address or CIDR), domain-name:value, url:value, email-addr:value, file:hashes.MD5/SHA-1/
// SHA1/SHA-256/SHA256 (key in any case), file:name, network-traffic:src_ref.value/dst_ref.value
// (ip, else domain), network-traffic:extensions.'x-ja3'.hash / 'x-ja4'.hash.
// AND and FOLLOWEDBY conjoin, OR and IN alternate, qualifiers are ignored. A non-indexable
// comparison inside a conjunction that has indexable ones is dropped, so the match is broader than
// the pattern (the matcher's hit is a candidate, not proof); a conjunction with no indexable
// comparison is dropped, so such an alternative is never matched. Conjunctions are deduplicated,
// their observables sorted. More than kMaxPatternConjunctions: Errc::limit.
// A value that does not normalise for its type is Errc::malformed, unless `rejected` is given:
// then the comparison is treated as non-indexable and described there (for importers that must
// keep real-world data whose patterns carry the odd bad value).
Result<std::vector<std::vector<Observable>>> indexable_terms(const Pattern& p,
                                                             std::vector<std::string>* rejected = nullptr);

// The canonical pattern for one observable, its value escaped: "[ipv4-addr:value = '1.2.3.4']".
// parse_pattern + indexable_terms of the result give the observable back.
std::string pattern_for(const Observable& o);
// The pattern of a disjunction of conjunctions: "[a = 'x' AND b = 'y'] OR [c = 'z']".
std::string pattern_for(const std::vector<std::vector<Observable>>& any_of);

// A STIX string literal: quotes added, ' and \ escaped.
std::string quote_pattern_string(std::string_view s);

// RFC 3339 timestamp as STIX writes them ("2016-04-06T20:03:48.000Z", an offset also accepted)
// to milliseconds since the epoch; nullopt when it is not one.
std::optional<int64_t> parse_stix_timestamp(std::string_view s) noexcept;
// "2016-04-06T20:03:48.123Z".
std::string format_stix_timestamp(int64_t ms);

}  // namespace lachan::intel
