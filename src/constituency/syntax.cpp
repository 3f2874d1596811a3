#include "constituency/syntax.h"

#include <charconv>

#include "core/strings.h"
#include "match/cidr.h"

namespace lachan::constituency {

std::optional<Network> parse_network(std::string_view text) noexcept {
  const size_t slash = text.find('/');
  const std::string_view addr_text = text.substr(0, slash);
  // parse_ip tolerates blanks, brackets and zones; a network must be the plain address.
  if (addr_text.empty() || addr_text.find_first_of(" []%") != std::string_view::npos) return std::nullopt;
  auto addr = match::parse_ip(addr_text);
  if (!addr) return std::nullopt;
  Network n;
  n.bytes = addr->bytes;
  n.v4 = addr->v4;
  unsigned bits = n.v4 ? 32 : 128;
  if (slash != std::string_view::npos) {
    const std::string_view b = text.substr(slash + 1);
    auto [p, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
    if (b.empty() || ec != std::errc() || p != b.data() + b.size() || bits > (n.v4 ? 32u : 128u)) return std::nullopt;
  }
  n.bits = n.v4 ? bits + 96 : bits;
  for (unsigned i = n.bits; i < 128; ++i) {
    const auto mask = static_cast<std::uint8_t>(0x80u >> (i % 8));
    if (n.bytes[i / 8] & mask) {
      n.host_bits_set = true;
      n.bytes[i / 8] &= static_cast<std::uint8_t>(~mask);
    }
  }
  return n;
}

std::string normalise_name(std::string_view name) {
  // Dots and blanks together off the end, so that normalising twice changes nothing.
  while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t' || name.back() == '.')) name.remove_suffix(1);
  return to_lower(name);
}

bool is_valid_host(std::string_view name) noexcept {
  if (name.empty() || name.size() > 253) return false;
  size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

bool is_valid_domain(std::string_view name) noexcept {
  return is_valid_host(name) && name.find('.') != std::string_view::npos;
}

std::optional<std::uint32_t> parse_asn(std::string_view text) noexcept {
  if (text.size() > 2 && (text[0] == 'A' || text[0] == 'a') && (text[1] == 'S' || text[1] == 's'))
    text.remove_prefix(2);
  std::uint32_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || n == 0) return std::nullopt;
  return n;
}

}  // namespace lachan::constituency
