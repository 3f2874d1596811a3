// The constituency snapshot: every organisation with its ownership indexes and its warning
// routes, built once from a validated set and shared immutable (std::shared_ptr<const
// Constituency>); a change of the registry builds a new snapshot and swaps it.
//
// Lookups allocate nothing and take no lock. IP ownership is a longest-prefix match, flattened
// at build into sorted disjoint address ranges, IPv4 and IPv6 apart; IPv4 ranges are indexed by
// their first 16 bits, so a lookup is a table read and a binary search over a few ranges.
// IPv4-mapped IPv6 addresses are looked up as IPv4.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "constituency/problem.h"
#include "constituency/reference.h"
#include "core/result.h"
#include "match/cidr.h"
#include "store/model.h"

namespace lachan::constituency {

class Constituency {
 public:
  // Validates `orgs` against `ref` (validate.h) and builds the snapshot. Fails with
  // Errc::invalid_config listing every problem (also appended to `problems` when given).
  static Result<std::shared_ptr<const Constituency>> build(std::vector<store::Organisation> orgs, Reference ref,
                                                           std::vector<Problem>* problems = nullptr);

  // The organisation with this id, or nullptr.
  const store::Organisation* find(std::string_view id) const noexcept;
  const std::vector<store::Organisation>& organisations() const noexcept { return orgs_; }
  const Reference& reference() const noexcept { return ref_; }
  const std::vector<Province>& provinces() const noexcept { return ref_.provinces; }
  const std::vector<Sector>& sectors() const noexcept { return ref_.sectors; }
  const std::string& national_centre() const noexcept { return orgs_[centre_].id; }

  // Owners, or nullptr when nobody owns it.
  // The org declaring the longest network prefix that contains `ip`.
  const store::Organisation* owner_of_ip(const match::IpAddress& ip) const noexcept;
  // The same for an address as text; nullptr when it is not an address.
  const store::Organisation* owner_of_ip(std::string_view ip) const noexcept;
  // The org owning the longest domain that is `name` or a parent of it on a label boundary;
  // case-insensitive, a trailing dot ignored ("evn.com.vn" owns "Mail.EVN.com.vn.", not "xevn.com.vn").
  const store::Organisation* owner_of_domain(std::string_view name) const noexcept;
  const store::Organisation* owner_of_asn(std::uint32_t asn) const noexcept;
  // The org declaring exactly this host name; case-insensitive, a trailing dot ignored.
  const store::Organisation* owner_of_host(std::string_view name) const noexcept;

  // Sorted ids of the orgs that may see warnings of `org_id`: itself, its ancestors, the
  // provincial unit of its province, the sector team of each of its sectors and the national
  // centre. Empty for an unknown id.
  std::span<const std::string> routes(std::string_view org_id) const noexcept;
  // Sorted ids of the orgs whose routes contain `viewer_id` (the inverse of routes). Empty for
  // an unknown id.
  std::span<const std::string> visible_orgs(std::string_view viewer_id) const noexcept;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  using NameIndex = std::unordered_map<std::string, std::int32_t, Hash, std::equal_to<>>;

  Constituency() = default;
  const store::Organisation* org_at(std::int32_t i) const noexcept { return i < 0 ? nullptr : &orgs_[i]; }
  std::int32_t index_of(std::string_view id) const noexcept;

  std::vector<store::Organisation> orgs_;
  Reference ref_;
  std::size_t centre_ = 0;
  NameIndex ids_, domains_, hosts_;
  std::vector<std::pair<std::uint32_t, std::int32_t>> asns_;  // sorted by AS number
  // Disjoint address ranges: range k starts at starts[k] and runs to the next start; owners[k]
  // is an org index or -1.
  std::vector<std::uint32_t> starts4_;
  std::vector<std::int32_t> owners4_;
  std::vector<std::uint32_t> first4_;  // per /16 of IPv4: the first range starting in it (65537 entries)
  std::vector<unsigned __int128> starts6_;
  std::vector<std::int32_t> owners6_;
  std::vector<std::vector<std::string>> routes_, visible_;  // per org index
};

}  // namespace lachan::constituency
