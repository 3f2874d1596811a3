// IPv4 and IPv6 networks (CIDR) and address parsing.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace lachan::match {

// An address as 16 bytes; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d).
struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  bool v4 = false;
};

std::optional<IpAddress> parse_ip(std::string_view text) noexcept;

class Cidr {
 public:
  // "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128). nullopt if invalid.
  static std::optional<Cidr> parse(std::string_view text) noexcept;
  bool contains(const IpAddress& a) const noexcept;
  // The prefix length over the 128-bit form (an IPv4 /24 is 120): comparable across families.
  unsigned prefix_bits() const noexcept { return bits_; }
  bool contains(std::string_view text) const noexcept {
    auto a = parse_ip(text);
    return a && contains(*a);
  }

 private:
  IpAddress net_;
  unsigned bits_ = 0;  // prefix length over the 128-bit form
};

}  // namespace lachan::match
