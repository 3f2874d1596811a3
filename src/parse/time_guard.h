// Internal: parse_timestamp for untrusted text, refusing ISO years whose nanoseconds would not
// fit in int64 (core's parse_timestamp multiplies without checking; years past 2261 overflow).
#pragma once

#include <optional>
#include <string_view>

#include "core/time.h"

namespace lachan::parse::detail {

inline std::optional<int64_t> event_time_ns(std::string_view text) noexcept {
  std::string_view t = text;
  while (!t.empty() && (t.front() == ' ' || t.front() == '"')) t.remove_prefix(1);
  if (t.size() >= 5 && t[4] == '-') {
    int year = 0;
    for (int i = 0; i < 4; ++i) {
      if (t[i] < '0' || t[i] > '9') return std::nullopt;
      year = year * 10 + (t[i] - '0');
    }
    if (year < 1900 || year > 2261) return std::nullopt;
  }
  return parse_timestamp(text);
}

}  // namespace lachan::parse::detail
