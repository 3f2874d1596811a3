#include "match/cidr.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <string>

namespace lachan::match {

namespace {

// Dotted-quad IPv4 exactly as inet_pton(AF_INET) accepts it (four decimal parts of at most 255,
// no leading zeros, nothing else), without its copy and call: addresses are parsed for every
// event that carries one.
bool parse_v4(std::string_view s, uint8_t out[4]) noexcept {
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
    size_t start = i;
    unsigned v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 3) v = v * 10 + static_cast<unsigned>(s[i++] - '0');
    if (i == start || v > 255 || (s[start] == '0' && i - start > 1)) return false;
    out[part] = static_cast<uint8_t>(v);
  }
  return i == s.size();
}

}  // namespace

std::optional<IpAddress> parse_ip(std::string_view text) noexcept {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty() || text.size() > 45) return std::nullopt;
  if (text.size() <= 15 && text[0] >= '0' && text[0] <= '9') {
    IpAddress a;
    if (parse_v4(text, &a.bytes[12])) {
      a.v4 = true;
      a.bytes[10] = 0xff;
      a.bytes[11] = 0xff;
      return a;
    }
  }
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  // Strip an IPv6 zone ("fe80::1%eth0") and brackets.
  char* s = buf;
  if (*s == '[') {
    ++s;
    char* e = std::strchr(s, ']');
    if (!e) return std::nullopt;
    *e = '\0';
  }
  if (char* z = std::strchr(s, '%')) *z = '\0';
  IpAddress a;
  unsigned char v4[4];
  if (inet_pton(AF_INET, s, v4) == 1) {
    a.v4 = true;
    a.bytes[10] = 0xff;
    a.bytes[11] = 0xff;
    std::memcpy(&a.bytes[12], v4, 4);
    return a;
  }
  if (inet_pton(AF_INET6, s, a.bytes.data()) == 1) return a;
  return std::nullopt;
}

std::optional<Cidr> Cidr::parse(std::string_view text) noexcept {
  size_t slash = text.find('/');
  auto addr = parse_ip(text.substr(0, slash));
  if (!addr) return std::nullopt;
  unsigned max_bits = addr->v4 ? 32 : 128;
  unsigned bits = max_bits;
  if (slash != std::string_view::npos) {
    std::string_view b = text.substr(slash + 1);
    auto [p, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
    if (ec != std::errc() || p != b.data() + b.size() || bits > max_bits) return std::nullopt;
  }
  Cidr c;
  c.net_ = *addr;
  c.bits_ = addr->v4 ? bits + 96 : bits;
  // Clear host bits so that "10.1.2.3/8" means 10.0.0.0/8.
  for (unsigned i = 0; i < 128; ++i)
    if (i >= c.bits_) c.net_.bytes[i / 8] &= static_cast<uint8_t>(~(0x80u >> (i % 8)));
  return c;
}

bool Cidr::contains(const IpAddress& a) const noexcept {
  unsigned full = bits_ / 8, rem = bits_ % 8;
  if (std::memcmp(a.bytes.data(), net_.bytes.data(), full) != 0) return false;
  if (rem == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff00u >> rem);
  return (a.bytes[full] & mask) == net_.bytes[full];
}

}  // namespace lachan::match
