// Helpers LiteralSet and RegexSet share (internal to match/): scratch allocation and the error
// a failed compile reports.
#pragma once

#include <string_view>

#include "core/result.h"

struct hs_database;
struct hs_scratch;
struct hs_compile_error;

namespace lachan::match::detail {

// Makes `*scratch` usable with `db` (allocates or grows it).
Result<void> alloc_scratch(const hs_database* db, hs_scratch** scratch);
// The error of a compile of `count` `what` (literals, regular expressions) that failed with
// `err`, which it frees.
Error compile_error(hs_compile_error* err, size_t count, std::string_view what, std::string_view item);

}  // namespace lachan::match::detail
