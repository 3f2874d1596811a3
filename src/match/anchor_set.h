// Literals that must be a whole value, its start or its end (Sigma's plain, startswith and
// endswith values), found by hashing the value's ends instead of scanning it. Per value: its
// first and last kMaxAffix bytes read as one word each (lowercased eight at a time), one key and
// probe per literal length its group holds, and the whole value hashed only when a literal of
// the group has its exact length. The prefilter keeps these literals out of the Vectorscan
// literal sets, whose cost grows with the set (process_creation's Image, ParentImage,
// OriginalFileName... hold thousands of endswith and plain values).
//
// ASCII case-insensitive, like LiteralSet. A reported literal is in the value but for a 64-bit
// hash collision, which makes a prefilter evaluate a rule for nothing, never miss one.
// Immutable once built; find() is safe from any number of threads.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/strings.h"

namespace lachan::match {

class AnchorSet {
 public:
  enum Kind : uint8_t { whole, prefix, suffix };
  // Prefixes and suffixes longer than this are cut (to their first, or last, kMaxAffix bytes:
  // still a necessary condition, and eight bytes of a file name's end are rare enough) so that
  // a value's end is one word and a lookup probes at most kMaxAffix lengths.
  static constexpr size_t kMaxAffix = 8;

  AnchorSet();
  // A prefix's first, or a suffix's last, kMaxAffix bytes: what add() keeps of it.
  static std::string_view cut(Kind kind, std::string_view literal) noexcept {
    if (literal.size() <= kMaxAffix || kind == whole) return literal;
    return kind == prefix ? literal.substr(0, kMaxAffix) : literal.substr(literal.size() - kMaxAffix);
  }
  // Adds a literal of `group` (the prefilter's groups are fields) and gives its id (ids are
  // given in order from 0; the same group, kind and literal again gets the same id).
  // Prefix and suffix literals are cut (cut()); an empty literal is refused (false).
  bool add(uint32_t group, Kind kind, std::string_view literal, uint32_t& id);
  size_t size() const noexcept { return count_; }

  // Reports to hit(id) each literal of `group` that `value` equals (whole), starts with
  // (prefix) or ends with (suffix).
  template <class F>
  void find(uint32_t group, std::string_view value, F&& hit) const {
    if (group >= groups_.size()) return;
    const Group& g = groups_[group];
    const size_t n = value.size();
    const char* p = value.data();
    const uint32_t lens = n >= kMaxAffix ? 0x1FEu : (2u << n) - 2;  // bits 1..min(n, 8)
    uint32_t pre = g.prefix_lens & lens, suf = g.suffix_lens & lens;
    const bool whole_len = n < g.whole_lens.size() * 64 && (g.whole_lens[n >> 6] >> (n & 63)) & 1;
    if (pre || (whole_len && n <= kMaxAffix)) {
      const uint64_t w = lower8(load_prefix8(p, n));
      for (; pre; pre &= pre - 1) probe(key(w, __builtin_ctz(pre), g.salt[prefix]), hit);
      if (whole_len && n <= kMaxAffix) probe(key(w, n, g.salt[whole]), hit);
    }
    if (suf) {
      const uint64_t w = lower8(last8_reversed(p, n));
      for (; suf; suf &= suf - 1) probe(key(w, __builtin_ctz(suf), g.salt[suffix]), hit);
    }
    if (whole_len && n > kMaxAffix) probe(long_key(p, n, g.salt[whole]), hit);
  }

 private:
  // Which literal lengths a group holds (bit L for length L), and its keys' salt by kind.
  struct Group {
    uint32_t prefix_lens = 0, suffix_lens = 0;
    std::vector<uint64_t> whole_lens;  // a bitset, up to the longest whole literal
    uint64_t salt[3] = {};
  };
  static constexpr uint64_t kOnes = 0x0101010101010101ull;
  // ASCII-lowercases eight bytes at once; other bytes are kept.
  static uint64_t lower8(uint64_t w) noexcept {
    const uint64_t seven = w & (0x7F * kOnes);
    const uint64_t above_z = seven + (0x7F - 'Z') * kOnes;  // high bit set where the byte > 'Z'
    const uint64_t from_a = seven + (0x80 - 'A') * kOnes;   // high bit set where the byte >= 'A'
    const uint64_t upper = ~w & (from_a ^ above_z) & (0x80 * kOnes);
    return w | (upper >> 2);
  }
  // The last min(n, 8) bytes reversed (the low byte is the value's last), the rest zero: a
  // suffix of length L is then the word's first L bytes, as a prefix is in load_prefix8().
  static uint64_t last8_reversed(const char* p, size_t n) noexcept {
    if (n >= 8) return __builtin_bswap64(load8(p + n - 8));
    return n ? __builtin_bswap64(load_prefix8(p, n)) >> (8 * (8 - n)) : 0;
  }
  // The key of the first `len` (1..8) bytes of w, for a group and kind (salt).
  static uint64_t key(uint64_t w, size_t len, uint64_t salt) noexcept {
    const uint64_t x = len >= 8 ? w : w & ((uint64_t{1} << (8 * len)) - 1);
    uint64_t k = (x ^ salt ^ len) * 0x9E3779B97F4A7C15ull;
    k ^= k >> 32;
    return k ? k : 1;  // 0 marks an empty slot
  }
  // The key of a whole value longer than 8 bytes: its lowercased words hashed in turn.
  static uint64_t long_key(const char* p, size_t n, uint64_t salt) noexcept {
    uint64_t h = salt ^ n;
    for (size_t i = 0; i + 8 < n; i += 8) {
      h = (h ^ lower8(load8(p + i))) * 0xFF51AFD7ED558CCDull;
      h ^= h >> 32;
    }
    return key(lower8(load8(p + n - 8)) ^ h, 8, salt);  // the last word overlaps the one before
  }
  template <class F>
  void probe(uint64_t k, F& hit) const {
    const uint64_t bit = k >> filter_shift_;  // a bitmap of the keys' top bits answers most probes
    if (!((filter_[bit >> 6] >> (bit & 63)) & 1)) return;
    for (size_t i = k & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key == k) hit(s.id);  // not returning: another literal may share the key (a collision)
      else if (s.key == 0) return;
    }
  }
  void insert(uint64_t k, uint32_t id);
  uint64_t literal_key(const Group& g, Kind kind, std::string_view literal) const;

  struct Slot {
    uint64_t key = 0;
    uint32_t id = 0;
  };
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t used_ = 0;
  std::vector<uint64_t> filter_;  // 4 bits per slot
  unsigned filter_shift_ = 0;
  size_t count_ = 0;
  std::vector<Group> groups_;
  std::unordered_map<std::string, uint32_t> ids_;  // group, kind and literal -> id, for add()
};

}  // namespace lachan::match
