#include "constituency/constituency.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <set>

#include "constituency/syntax.h"
#include "constituency/validate.h"
#include "core/strings.h"

namespace lachan::constituency {
using store::Organisation;
using store::OrgKind;

namespace {

template <typename K>
struct Range {
  K lo, hi;  // inclusive
  std::int32_t owner;
};

// Flattens nested prefixes into disjoint ranges owned by the innermost prefix. CIDR prefixes
// either nest or are disjoint, so a sweep with a stack of the open prefixes does it.
template <typename K>
void flatten(std::vector<Range<K>> ranges, std::vector<K>& starts, std::vector<std::int32_t>& owners) {
  std::sort(ranges.begin(), ranges.end(), [](const Range<K>& a, const Range<K>& b) {
    return a.lo != b.lo ? a.lo < b.lo : a.hi > b.hi;  // outer before inner
  });
  auto emit = [&](K start, std::int32_t owner) {
    if (!starts.empty() && starts.back() == start) {
      starts.pop_back();
      owners.pop_back();
    }
    if (owners.empty() ? owner < 0 : owners.back() == owner) return;  // same owner continues
    starts.push_back(start);
    owners.push_back(owner);
  };
  std::vector<Range<K>> open;
  auto close = [&](bool all, K before) {
    while (!open.empty() && (all || open.back().hi < before)) {
      const K hi = open.back().hi;
      open.pop_back();
      if (hi != static_cast<K>(~K{0})) emit(hi + 1, open.empty() ? -1 : open.back().owner);
    }
  };
  for (const auto& r : ranges) {
    close(false, r.lo);
    emit(r.lo, r.owner);
    open.push_back(r);
  }
  close(true, 0);
}

template <typename K>
std::int32_t find_range(const std::vector<K>& starts, const std::vector<std::int32_t>& owners, K key) noexcept {
  auto it = std::upper_bound(starts.begin(), starts.end(), key);
  if (it == starts.begin()) return -1;
  return owners[static_cast<size_t>(it - starts.begin()) - 1];
}

bool is_v4_mapped(const std::array<std::uint8_t, 16>& b) noexcept {
  static constexpr std::uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(b.data(), prefix, 12) == 0;
}

std::uint32_t v4_key(const std::array<std::uint8_t, 16>& b) noexcept {
  return (std::uint32_t{b[12]} << 24) | (std::uint32_t{b[13]} << 16) | (std::uint32_t{b[14]} << 8) | b[15];
}

unsigned __int128 v6_key(const std::array<std::uint8_t, 16>& b) noexcept {
  unsigned __int128 k = 0;
  for (auto byte : b) k = (k << 8) | byte;
  return k;
}

// Host bits of a prefix of `bits` over a key of width W (bits < W).
template <typename K>
K host_mask(unsigned bits, unsigned width) {
  return bits == 0 ? ~K{0} : (K{1} << (width - bits)) - 1;
}

constexpr size_t kMaxName = 256;

// Lowercases `name` without a trailing dot into `buf`. A name longer than any owned name can be
// is empty, unless `suffix`: then it is cut to its longest suffix that fits and starts a label.
std::string_view fold(std::string_view name, char (&buf)[kMaxName], bool suffix) noexcept {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.size() > 253) {
    if (!suffix) return {};
    const size_t from = name.size() - 253;
    const size_t dot = name[from - 1] == '.' ? from - 1 : name.find('.', from);
    if (dot == std::string_view::npos) return {};
    name.remove_prefix(dot + 1);
  }
  for (size_t i = 0; i < name.size(); ++i) buf[i] = ascii_lower(name[i]);
  return {buf, name.size()};
}

}  // namespace

Result<std::shared_ptr<const Constituency>> Constituency::build(std::vector<Organisation> orgs, Reference ref,
                                                                std::vector<Problem>* problems) {
  std::vector<Problem> found = validate(orgs, ref);
  if (!found.empty()) {
    if (problems) problems->insert(problems->end(), found.begin(), found.end());
    return to_error(Errc::invalid_config, found);
  }
  std::shared_ptr<Constituency> c(new Constituency());
  c->orgs_ = std::move(orgs);
  c->ref_ = std::move(ref);
  const auto& all = c->orgs_;
  const auto n = static_cast<std::int32_t>(all.size());

  std::vector<Range<std::uint32_t>> v4;
  std::vector<Range<unsigned __int128>> v6;
  for (std::int32_t i = 0; i < n; ++i) {
    const Organisation& o = all[i];
    c->ids_.emplace(o.id, i);
    if (o.kind == OrgKind::national_centre) c->centre_ = static_cast<size_t>(i);
    for (const auto& text : o.networks) {
      auto net = parse_network(text);
      assert(net);  // validated
      if (is_v4_mapped(net->bytes) && net->bits >= 96) {
        const auto lo = v4_key(net->bytes);
        v4.push_back({lo, lo | host_mask<std::uint32_t>(net->bits - 96, 32), i});
      } else {
        const auto lo = v6_key(net->bytes);
        v6.push_back({lo, lo | host_mask<unsigned __int128>(net->bits, 128), i});
      }
    }
    for (const auto& d : o.domains) c->domains_.emplace(d, i);
    for (const auto& h : o.hosts) c->hosts_.emplace(h, i);
    for (auto a : o.asns) c->asns_.emplace_back(a, i);
  }
  flatten(std::move(v4), c->starts4_, c->owners4_);
  flatten(std::move(v6), c->starts6_, c->owners6_);
  c->first4_.resize((1u << 16) + 1);
  for (std::uint64_t h = 0; h <= (1u << 16); ++h)
    c->first4_[h] =
        static_cast<std::uint32_t>(std::lower_bound(c->starts4_.begin(), c->starts4_.end(), h << 16,
                                                    [](std::uint32_t s, std::uint64_t k) { return s < k; }) -
                                   c->starts4_.begin());
  std::sort(c->asns_.begin(), c->asns_.end());

  // Routes: the org, its ancestors, its provincial unit, its sector teams, the national centre.
  std::unordered_map<std::string_view, std::string_view> unit_of_province;
  std::unordered_map<std::string_view, std::vector<std::string_view>> teams_of_sector;
  for (const auto& o : all) {
    if (o.kind == OrgKind::provincial_unit) unit_of_province.emplace(o.province, o.id);
    if (o.kind == OrgKind::sector_team)
      for (const auto& s : o.sectors) teams_of_sector[s].push_back(o.id);
  }
  c->routes_.resize(all.size());
  c->visible_.resize(all.size());
  for (std::int32_t i = 0; i < n; ++i) {
    const Organisation& o = all[i];
    std::set<std::string_view> r{o.id, c->national_centre()};
    for (std::int32_t p = c->index_of(o.parent); p >= 0; p = c->index_of(all[p].parent))
      if (!r.insert(all[p].id).second) break;  // validated acyclic; stop anyway
    if (auto it = unit_of_province.find(o.province); !o.province.empty() && it != unit_of_province.end())
      r.insert(it->second);
    for (const auto& s : o.sectors)
      if (auto it = teams_of_sector.find(s); it != teams_of_sector.end())
        r.insert(it->second.begin(), it->second.end());
    c->routes_[i].assign(r.begin(), r.end());
    for (auto viewer : r) c->visible_[c->index_of(viewer)].push_back(o.id);
  }
  for (auto& v : c->visible_) std::sort(v.begin(), v.end());
  return std::shared_ptr<const Constituency>(std::move(c));
}

std::int32_t Constituency::index_of(std::string_view id) const noexcept {
  auto it = ids_.find(id);
  return it == ids_.end() ? -1 : it->second;
}

const Organisation* Constituency::find(std::string_view id) const noexcept {
  return org_at(index_of(id));
}

const Organisation* Constituency::owner_of_ip(const match::IpAddress& ip) const noexcept {
  // Every IPv6 table entry that covers mapped addresses is shorter than /96, so any IPv4 match
  // is the longer one.
  if (is_v4_mapped(ip.bytes)) {
    // The ranges starting in this /16 are [first4_[h], first4_[h + 1]); the one before them
    // covers the start of the /16.
    const std::uint32_t key = v4_key(ip.bytes);
    const std::uint32_t h = key >> 16;
    const auto* begin = starts4_.data();
    const auto* it = std::upper_bound(begin + first4_[h], begin + first4_[h + 1], key);
    if (it != begin)
      if (std::int32_t i = owners4_[static_cast<size_t>(it - begin) - 1]; i >= 0) return org_at(i);
  }
  return org_at(find_range(starts6_, owners6_, v6_key(ip.bytes)));
}

const Organisation* Constituency::owner_of_ip(std::string_view ip) const noexcept {
  auto a = match::parse_ip(ip);
  return a ? owner_of_ip(*a) : nullptr;
}

const Organisation* Constituency::owner_of_domain(std::string_view name) const noexcept {
  char buf[kMaxName];
  std::string_view s = fold(name, buf, true);
  // Longest suffix first: the whole name, then after each dot.
  while (!s.empty()) {
    if (auto it = domains_.find(s); it != domains_.end()) return org_at(it->second);
    const size_t dot = s.find('.');
    if (dot == std::string_view::npos) break;
    s.remove_prefix(dot + 1);
  }
  return nullptr;
}

const Organisation* Constituency::owner_of_asn(std::uint32_t asn) const noexcept {
  auto it = std::lower_bound(asns_.begin(), asns_.end(), std::pair<std::uint32_t, std::int32_t>(asn, -1));
  return it != asns_.end() && it->first == asn ? org_at(it->second) : nullptr;
}

const Organisation* Constituency::owner_of_host(std::string_view name) const noexcept {
  char buf[kMaxName];
  std::string_view s = fold(name, buf, false);
  if (s.empty()) return nullptr;
  auto it = hosts_.find(s);
  return it == hosts_.end() ? nullptr : org_at(it->second);
}

std::span<const std::string> Constituency::routes(std::string_view org_id) const noexcept {
  const std::int32_t i = index_of(org_id);
  return i < 0 ? std::span<const std::string>() : std::span<const std::string>(routes_[i]);
}

std::span<const std::string> Constituency::visible_orgs(std::string_view viewer_id) const noexcept {
  const std::int32_t i = index_of(viewer_id);
  return i < 0 ? std::span<const std::string>() : std::span<const std::string>(visible_[i]);
}

}  // namespace lachan::constituency
