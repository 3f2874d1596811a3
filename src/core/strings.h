// Small string helpers used on the per-event path: ASCII case folding without locale calls.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lachan {

// Eight bytes at `p` as a little-endian word (hashing and comparing names a word at a time).
inline uint64_t load8(const char* p) noexcept {
  uint64_t w;
  __builtin_memcpy(&w, p, 8);
  return w;
}
// The first min(n, 8) bytes at `p` as a little-endian word, the rest zero, reading no byte past
// p + n: a memcpy of a variable `n` bytes would be a libc call, and this runs per name or value.
inline uint64_t load_prefix8(const char* p, size_t n) noexcept {
  if (n >= 8) return load8(p);
  if (n >= 4) {  // two overlapping 4-byte loads; the bytes they share are the same
    uint32_t lo, hi;
    __builtin_memcpy(&lo, p, 4);
    __builtin_memcpy(&hi, p + n - 4, 4);
    return lo | (static_cast<uint64_t>(hi) << (8 * (n - 4)));
  }
  if (n == 0) return 0;
  const auto b = [p](size_t k) { return static_cast<uint64_t>(static_cast<unsigned char>(p[k])) << (8 * k); };
  return b(0) | b(n / 2) | b(n - 1);
}

inline char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

inline bool has_ascii_upper(std::string_view s) noexcept {
  for (char c : s)
    if (c >= 'A' && c <= 'Z') return true;
  return false;
}

inline std::string to_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = ascii_lower(c);
  return out;
}

inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

inline bool starts_with(std::string_view s, std::string_view p) noexcept { return s.substr(0, p.size()) == p; }
inline bool ends_with(std::string_view s, std::string_view p) noexcept {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// Appends `s` to `out` as a JSON string literal (quotes included), escaping what JSON requires;
// invalid UTF-8 becomes U+FFFD, so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view s);

}  // namespace lachan
