// Event: one log record flattened into (FieldId -> values), the unit every detector reads.
//
// Field names are interned once, when rules compile (FieldRegistry); per event the engine looks
// fields up by FieldId, never by string. An Event is per-thread scratch: reset() between records
// is O(1) (an epoch bump), values are string_views into the parser's buffers or the event's
// arena, and nothing is allocated per event once the buffers have grown.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/strings.h"

namespace lachan {

using FieldId = uint32_t;
inline constexpr FieldId kNoField = UINT32_MAX;

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// Field names interned once; find() runs for every leaf of every event, so it is an
// open-addressing table with a cheap hash rather than std::unordered_map.
class FieldRegistry {
 public:
  FieldId intern(std::string_view name);
  FieldId find(std::string_view name) const noexcept { return find(name, hash(name)); }
  // As find(name), with `h` == hash(name) already computed by the caller.
  FieldId find(std::string_view name, uint64_t h) const noexcept {
    if (slots_.empty()) return kNoField;
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id == kNoField) return kNoField;
      // A 64-bit hash match is almost always the name; the length in the slot and an inline
      // compare confirm it without a memcmp call.
      if (s.hash == h && s.size == name.size() && same_bytes(names_[s.id].data(), name.data(), name.size()))
        return s.id;
    }
  }
  const std::string& name(FieldId id) const { return names_[id]; }
  size_t size() const noexcept { return names_.size(); }

  static uint64_t hash(std::string_view s) noexcept {
    bool unused;
    return hash(s, unused);
  }
  // hash(s), also telling whether `s` has a space, in the same pass over its bytes: the
  // flattener strips the spaces from Windows names that have them.
  static uint64_t hash(std::string_view s, bool& has_space) noexcept {
    constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull, kSpaces = kOnes * ' ';
    // A word XOR spaces has a zero byte where the word has a space; (x - ones) & ~x & highs is
    // nonzero exactly when x has a zero byte.
    auto spaces = [](uint64_t w) { return ((w ^ kSpaces) - kOnes) & ~(w ^ kSpaces) & kHighs; };
    const char* p = s.data();
    const size_t n = s.size();
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    uint64_t found = 0;
    uint64_t last;
    if (n >= 8) {
      // Whole words, then the last eight bytes, overlapping the word before unless n is a
      // multiple of 8: no tail to assemble byte by byte.
      for (size_t i = 0; i + 8 < n; i += 8) {
        const uint64_t w = load8(p + i);
        found |= spaces(w);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
      }
      last = load8(p + n - 8);
    } else {
      last = load_prefix8(p, n);  // its missing bytes are zero, not spaces
    }
    has_space = (found | spaces(last)) != 0;
    h = (h ^ last) * 0xC4CEB9FE1A85EC53ull;
    return h ^ (h >> 29);
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    FieldId id = kNoField;
    uint32_t size = 0;  // of the name, checked before its bytes
  };
  static bool same_bytes(const char* a, const char* b, size_t n) noexcept {
    if (n < 8) return load_prefix8(a, n) == load_prefix8(b, n);
    for (size_t i = 0; i + 8 < n; i += 8)
      if (load8(a + i) != load8(b + i)) return false;
    return load8(a + n - 8) == load8(b + n - 8);
  }
  void rehash(size_t capacity);
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  std::vector<std::string> names_;
};

enum class ValueKind : uint8_t { string, number, boolean, null };

struct FieldValue {
  std::string_view text;          // numbers as their decimal text, booleans "true"/"false", null ""
  mutable std::string_view lower; // ASCII-lowercased text, filled on first use
  uint32_t next;                  // next value of the same field (arrays), or UINT32_MAX
  FieldId field;                  // kNoField for values kept only for keyword search
  ValueKind kind;
  mutable bool has_lower;
};

// A bump allocator for text that must outlive a parse step (numbers rendered as text, lowercased
// copies). Memory is reused across events.
class Arena {
 public:
  std::string_view copy(std::string_view s);
  char* alloc(size_t n) {
    if (n <= room_ - used_) {  // inline: every number rendered and every lowercased value
      char* p = base_ + used_;
      used_ += n;
      return p;
    }
    return alloc_chunk(n);
  }
  void reset() noexcept;

 private:
  char* alloc_chunk(size_t n);
  void use_chunk(size_t i) noexcept;

  static constexpr size_t kChunk = 64 * 1024;
  std::vector<std::unique_ptr<char[]>> chunks_;
  std::vector<size_t> sizes_;
  size_t cur_ = 0;
  char* base_ = nullptr;  // chunks_[cur_], or none yet
  size_t room_ = 0;       // sizes_[cur_], or 0
  size_t used_ = 0;       // <= room_
};

class Event {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // Prepares for a new record with `field_count` interned fields.
  void reset(size_t field_count);
  // Adds a value of field `f` (kNoField, or any id not interned: a value of no field);
  // `keyword`: also a value for keyword (field-less) searches.
  void add(FieldId f, std::string_view text, ValueKind kind, bool keyword = false) {
    const uint32_t idx = static_cast<uint32_t>(values_.size());
    if (keyword) all_values_.push_back(idx);
    values_.push_back(FieldValue{text, {}, kNone, f < epoch_.size() ? f : kNoField, kind, false});
    if (f >= epoch_.size()) return;
    if (epoch_[f] != epoch_now_) {
      epoch_[f] = epoch_now_;
      head_[f] = idx;
    } else {
      values_[tail_[f]].next = idx;
    }
    tail_[f] = idx;
  }

  bool has(FieldId f) const noexcept { return f < epoch_.size() && epoch_[f] == epoch_now_; }
  uint32_t first(FieldId f) const noexcept { return has(f) ? head_[f] : kNone; }
  const FieldValue& value(uint32_t i) const noexcept { return values_[i]; }
  // The value's ASCII-lowercased text, made on first use (inline: rules ask for it often).
  std::string_view lower(uint32_t i) const {
    const FieldValue& v = values_[i];
    return v.has_lower ? v.lower : make_lower(v);
  }
  size_t value_count() const noexcept { return values_.size(); }
  const std::vector<uint32_t>& keyword_values() const noexcept { return all_values_; }  // value indices

  Arena& arena() noexcept { return arena_; }
  std::string_view raw;  // the record's JSON text

 private:
  std::string_view make_lower(const FieldValue& v) const;
  std::vector<uint32_t> epoch_, head_, tail_;
  uint32_t epoch_now_ = 0;
  std::vector<FieldValue> values_;
  std::vector<uint32_t> all_values_;
  mutable Arena arena_;
};

}  // namespace lachan
