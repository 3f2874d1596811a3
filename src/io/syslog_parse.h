// Internal: syslog line recognition, shared by the syslog reader and format detection.
#pragma once

#include <cstddef>
#include <string_view>

namespace lachan::io {

// Length of a "<PRI>" prefix (0..191), or 0 when there is none.
size_t syslog_pri_length(std::string_view s);
// Length of a BSD timestamp "Mmm dd hh:mm:ss" at the start of s, or 0.
size_t bsd_timestamp_length(std::string_view s);
// Length of an RFC 3339 timestamp token "YYYY-MM-DDThh:mm:ss…" at the start of s, or 0.
size_t rfc3339_timestamp_length(std::string_view s);

}  // namespace lachan::io
