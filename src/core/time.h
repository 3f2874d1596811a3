// Event time: nanoseconds since the Unix epoch, UTC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lachan {

// Parses the timestamp forms seen in logs: ISO 8601 / RFC 3339 ("2019-04-27T15:57:25.868864Z",
// "2019-04-27 15:57:25.868", offsets like +07:00), and epoch seconds or milliseconds as a decimal
// number ("1588765874.123", Zeek's ts). Returns nullopt when the text is none of these.
std::optional<int64_t> parse_timestamp(std::string_view text) noexcept;

// BSD syslog "Mmm dd hh:mm:ss" has no year: the year of "now" is assumed (the previous year if
// that would be more than a day ahead), where "now" is SOURCE_DATE_EPOCH when set, else the clock.

// "2019-04-27T15:57:25.868864Z" (microsecond precision, trailing zeros kept at 6 digits).
std::string format_timestamp(int64_t ns);
// The same for milliseconds since the epoch, and "" for 0 (a time not set), as the API writes them.
std::string format_ms(int64_t ms);

// Days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant's algorithm.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) noexcept;

// Calendar parts of a timestamp, for the Sigma time modifiers (UTC).
struct CivilTime {
  int year, month, day, hour, minute, second;
  int iso_week;  // 1..53
};
CivilTime civil_from_ns(int64_t ns) noexcept;

}  // namespace lachan
