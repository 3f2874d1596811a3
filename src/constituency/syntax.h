// Syntax and normal forms of the ownership fields of an organisation: networks, domains, host
// names and AS numbers. Shared by import, validation and the snapshot so all three agree.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lachan::constituency {

// A network in 128-bit form; IPv4 is IPv4-mapped (::ffff:a.b.c.d) with bits counted from
// the 128-bit start, so "10.0.0.0/8" has bits 104.
struct Network {
  std::array<std::uint8_t, 16> bytes{};  // host bits cleared
  unsigned bits = 0;                     // 0..128
  bool v4 = false;
  bool host_bits_set = false;  // the text had bits set past the prefix ("10.0.0.1/8")
  bool operator==(const Network& o) const noexcept { return bytes == o.bytes && bits == o.bits; }
};

// "10.0.0.0/8", "2001:ee0::/48", or a bare address (a /32 or /128). nullopt if invalid.
std::optional<Network> parse_network(std::string_view text) noexcept;

// Lowercase, without surrounding blanks and trailing dots: how domains and hosts are kept.
std::string normalise_name(std::string_view name);

// A host name in normal form: 1..253 characters, dot-separated labels of 1..63 of [a-z0-9_-].
bool is_valid_host(std::string_view name) noexcept;
// A host name with at least two labels, so that nobody can own a whole top-level domain.
bool is_valid_domain(std::string_view name) noexcept;

// "45899", "AS45899" or "as45899"; 1..4294967295. nullopt otherwise.
std::optional<std::uint32_t> parse_asn(std::string_view text) noexcept;

}  // namespace lachan::constituency
