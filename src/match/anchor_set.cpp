#include "match/anchor_set.h"

namespace lachan::match {

AnchorSet::AnchorSet() : slots_(16), mask_(15), filter_(1, 0), filter_shift_(58) {}

uint64_t AnchorSet::literal_key(const Group& g, Kind kind, std::string_view literal) const {
  const char* p = literal.data();
  const size_t n = literal.size();
  switch (kind) {
    case whole: return n > kMaxAffix ? long_key(p, n, g.salt[whole]) : key(lower8(load_prefix8(p, n)), n, g.salt[whole]);
    case prefix: return key(lower8(load_prefix8(p, n)), n, g.salt[prefix]);
    case suffix: return key(lower8(last8_reversed(p, n)), n, g.salt[suffix]);
  }
  return 0;
}

bool AnchorSet::add(uint32_t group, Kind kind, std::string_view literal, uint32_t& id) {
  if (literal.empty()) return false;
  literal = cut(kind, literal);
  std::string name(reinterpret_cast<const char*>(&group), sizeof group);
  name.push_back(static_cast<char>(kind));
  name += to_lower(literal);
  auto [it, fresh] = ids_.emplace(std::move(name), static_cast<uint32_t>(count_));
  id = it->second;
  if (!fresh) return true;
  ++count_;
  while (group >= groups_.size()) {
    Group& added = groups_.emplace_back();
    for (uint64_t k = 0; k < 3; ++k) added.salt[k] = (((groups_.size() - 1) << 2 | k) + 1) * 0xD6E8FEB86659FD93ull;
  }
  Group& g = groups_[group];
  const size_t n = literal.size();
  switch (kind) {
    case whole:
      if (n >= g.whole_lens.size() * 64) g.whole_lens.resize(n / 64 + 1, 0);
      g.whole_lens[n >> 6] |= uint64_t{1} << (n & 63);
      break;
    case prefix: g.prefix_lens |= uint32_t{1} << n; break;
    case suffix: g.suffix_lens |= uint32_t{1} << n; break;
  }
  insert(literal_key(g, kind, literal), id);
  return true;
}

void AnchorSet::insert(uint64_t k, uint32_t id) {
  if (2 * (used_ + 1) > slots_.size()) {  // at most half full: probes stay short
    std::vector<Slot> old(2 * slots_.size());
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    used_ = 0;
    filter_.assign(slots_.size() * 4 / 64, 0);
    filter_shift_ = static_cast<unsigned>(64 - __builtin_ctzll(slots_.size() * 4));
    for (const Slot& s : old)
      if (s.key) insert(s.key, s.id);
  }
  size_t i = k & mask_;
  while (slots_[i].key) i = (i + 1) & mask_;
  slots_[i] = Slot{k, id};
  ++used_;
  const uint64_t bit = k >> filter_shift_;
  filter_[bit >> 6] |= uint64_t{1} << (bit & 63);
}

}  // namespace lachan::match
