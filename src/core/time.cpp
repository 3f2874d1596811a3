#include "core/time.h"

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iterator>

namespace lachan {

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

namespace {

bool digits(std::string_view s, size_t pos, size_t n, int& out) noexcept {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

// "Now" for years that logs leave out: SOURCE_DATE_EPOCH when set (reproducible tests), else
// the clock.
int64_t reference_now_seconds() noexcept {
  static const int64_t fixed = [] {
    const char* e = std::getenv("SOURCE_DATE_EPOCH");
    int64_t v = -1;
    if (e && *e) {
      auto [p, ec] = std::from_chars(e, e + std::strlen(e), v);
      if (ec != std::errc() || *p != '\0') v = -1;
    }
    return v;
  }();
  return fixed >= 0 ? fixed : static_cast<int64_t>(std::time(nullptr));
}

}  // namespace

std::optional<int64_t> parse_timestamp(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '"')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '"')) s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (s.size() >= 10 && digits(s, 0, 4, y) && s[4] == '-' && digits(s, 5, 2, mo) && s[7] == '-' && digits(s, 8, 2, d)) {
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
    size_t p = 10;
    int64_t frac_ns = 0;
    int64_t offset_s = 0;
    if (p < s.size() && (s[p] == 'T' || s[p] == 't' || s[p] == ' ')) {
      ++p;
      if (!digits(s, p, 2, h) || p + 2 >= s.size() || s[p + 2] != ':' || !digits(s, p + 3, 2, mi)) return std::nullopt;
      p += 5;
      if (p < s.size() && s[p] == ':') {
        if (!digits(s, p + 1, 2, sec)) return std::nullopt;
        p += 3;
      }
      if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
        ++p;
        int64_t scale = 100000000;
        while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
          frac_ns += (s[p] - '0') * scale;
          scale /= 10;
          ++p;
        }
      }
      if (p < s.size()) {
        if (s[p] == 'Z' || s[p] == 'z') {
          ++p;
        } else if (s[p] == '+' || s[p] == '-') {
          int oh = 0, om = 0;
          int sign = s[p] == '-' ? -1 : 1;
          if (!digits(s, p + 1, 2, oh)) return std::nullopt;
          size_t q = p + 3;
          if (q < s.size() && s[q] == ':') ++q;
          if (q < s.size() && !digits(s, q, 2, om)) return std::nullopt;
          offset_s = sign * (oh * 3600 + om * 60);
          p = std::min(s.size(), q + 2);
        }
      }
      if (p != s.size()) return std::nullopt;
    } else if (p != s.size()) {
      return std::nullopt;
    }
    if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
    int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_s;
    // Nanoseconds since the epoch fit int64 only for 1677..2262: other years are not a time we can hold.
    int64_t ns = 0;
    if (__builtin_mul_overflow(secs, int64_t{1000000000}, &ns) || __builtin_add_overflow(ns, frac_ns, &ns))
      return std::nullopt;
    return ns;
  }
  // BSD syslog (RFC 3164) "Mmm dd hh:mm:ss", which has no year: the current year, or the
  // previous one when that would put the time more than a day in the future.
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() == 15 && s[3] == ' ' && s[6] == ' ' && s[9] == ':' && s[12] == ':') {
    int mon = -1;
    for (int k = 0; k < 12; ++k)
      if (s.substr(0, 3) == kMonths[k]) mon = k + 1;
    int day = 0, hh = 0, mm = 0, ss = 0;
    std::string_view ds = s.substr(4, 2);
    if (ds[0] == ' ') ds.remove_prefix(1);
    bool ok = mon > 0 && !ds.empty() && std::from_chars(ds.data(), ds.data() + ds.size(), day).ec == std::errc() &&
              digits(s, 7, 2, hh) && digits(s, 10, 2, mm) && digits(s, 13, 2, ss) && day >= 1 && day <= 31 &&
              hh < 24 && mm < 60 && ss <= 60;
    if (!ok) return std::nullopt;
    int64_t now = reference_now_seconds();
    int year = civil_from_ns(now * 1000000000).year;
    auto at = [&](int y) {
      return (days_from_civil(y, static_cast<unsigned>(mon), static_cast<unsigned>(day)) * 86400 + hh * 3600 + mm * 60 + ss);
    };
    int64_t t = at(year);
    if (t > now + 86400) t = at(year - 1);
    return t * 1000000000;
  }
  // Epoch seconds (or milliseconds when the integer part is too large for seconds).
  // Plain decimals are converted exactly: a double would lose the microseconds of today's epochs.
  size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot), frac = dot == std::string_view::npos ? "" : s.substr(dot + 1);
  auto all_digits = [](std::string_view t) { return t.find_first_not_of("0123456789") == std::string_view::npos; };
  if (!whole.empty() && whole.size() <= 18 && all_digits(whole) && all_digits(frac)) {
    int64_t w = 0;
    for (char c : whole) w = w * 10 + (c - '0');
    bool ms = w > 100000000000LL || (w == 100000000000LL && frac.find_first_not_of('0') != std::string_view::npos);
    int64_t unit = ms ? 1000000 : 1000000000;
    if (w >= INT64_MAX / unit - 1) return std::nullopt;
    int64_t f = 0, scale = unit / 10;
    for (size_t i = 0; i < frac.size() && scale > 0; ++i, scale /= 10) f += (frac[i] - '0') * scale;
    return w * unit + f;
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < 0) return std::nullopt;
  if (v > 1e11) v /= 1000.0;  // milliseconds
  if (!(v * 1e9 < 9.2e18)) return std::nullopt;
  return static_cast<int64_t>(v * 1e9);
}

CivilTime civil_from_ns(int64_t ns) noexcept {
  int64_t secs = ns >= 0 ? ns / 1000000000 : (ns - 999999999) / 1000000000;
  int64_t z = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int64_t rem = secs - z * 86400;
  int64_t days = z;
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  CivilTime t{};
  t.year = static_cast<int>(y + (m <= 2));
  t.month = static_cast<int>(m);
  t.day = static_cast<int>(d);
  t.hour = static_cast<int>(rem / 3600);
  t.minute = static_cast<int>((rem % 3600) / 60);
  t.second = static_cast<int>(rem % 60);
  // ISO week: Thursday of the current week decides the year.
  int wday = static_cast<int>(((days % 7) + 7 + 3) % 7);  // 0 = Monday (1970-01-01 was a Thursday)
  int64_t thursday = days - wday + 3;
  CivilTime th{};
  {
    int64_t zz = thursday + 719468;
    const int64_t e2 = (zz >= 0 ? zz : zz - 146096) / 146097;
    const unsigned de = static_cast<unsigned>(zz - e2 * 146097);
    const unsigned ye = (de - de / 1460 + de / 36524 - de / 146096) / 365;
    const unsigned dy = de - (365 * ye + ye / 4 - ye / 100);
    const unsigned mpp = (5 * dy + 2) / 153;
    const unsigned mm = mpp < 10 ? mpp + 3 : mpp - 9;
    th.year = static_cast<int>(static_cast<int64_t>(ye) + e2 * 400 + (mm <= 2));
  }
  int64_t jan1 = days_from_civil(th.year, 1, 1);
  t.iso_week = static_cast<int>((thursday - jan1) / 7 + 1);
  return t;
}

std::string format_ms(int64_t ms) { return ms ? format_timestamp(ms * 1'000'000) : std::string(); }

std::string format_timestamp(int64_t ns) {
  CivilTime t = civil_from_ns(ns);
  int64_t frac = ns % 1000000000;
  if (frac < 0) frac += 1000000000;
  // Digit by digit (this runs for every detection written; snprintf cost more than the rest).
  // int64 nanoseconds span the years 1677 to 2262: always four digits.
  const int64_t parts[] = {t.year, t.month, t.day, t.hour, t.minute, t.second, frac / 1000};
  const int widths[] = {4, 2, 2, 2, 2, 2, 6};
  const char after[] = "--T::.Z";
  std::string out(27, '\0');
  char* p = out.data();
  for (size_t k = 0; k < std::size(parts); ++k) {
    int64_t v = parts[k];
    for (int i = widths[k] - 1; i >= 0; --i, v /= 10) p[i] = static_cast<char>('0' + v % 10);
    p += widths[k];
    *p++ = after[k];
  }
  return out;
}

}  // namespace lachan
