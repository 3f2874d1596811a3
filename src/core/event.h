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
  FieldId find(std::string_view name) const noexcept {
    if (slots_.empty()) return kNoField;
    const uint64_t h = hash(name);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id == kNoField) return kNoField;
      if (s.hash == h && names_[s.id] == name) return s.id;
    }
  }
  const std::string& name(FieldId id) const { return names_[id]; }
  size_t size() const noexcept { return names_.size(); }

  static uint64_t hash(std::string_view s) noexcept {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t w;
      __builtin_memcpy(&w, s.data() + i, 8);
      h = (h ^ w) * 0xFF51AFD7ED558CCDull;
      h ^= h >> 32;
    }
    uint64_t tail = 0;
    __builtin_memcpy(&tail, s.data() + i, s.size() - i);
    h = (h ^ tail) * 0xC4CEB9FE1A85EC53ull;
    return h ^ (h >> 29);
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    FieldId id = kNoField;
  };
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
  char* alloc(size_t n);
  void reset() noexcept;

 private:
  static constexpr size_t kChunk = 64 * 1024;
  std::vector<std::unique_ptr<char[]>> chunks_;
  std::vector<size_t> sizes_;
  size_t cur_ = 0;
  size_t used_ = 0;
};

class Event {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // Prepares for a new record with `field_count` interned fields.
  void reset(size_t field_count);
  void add(FieldId f, std::string_view text, ValueKind kind);
  // Records a leaf value for keyword (field-less) searches; returns its value index.
  void add_keyword_value(std::string_view text, ValueKind kind) {
    all_values_.push_back(static_cast<uint32_t>(values_.size()));
    values_.push_back(FieldValue{text, {}, kNone, kNoField, kind, false});
  }
  // Marks the value just added with add() as a keyword-search value too.
  void mark_last_keyword() { all_values_.push_back(static_cast<uint32_t>(values_.size() - 1)); }

  bool has(FieldId f) const noexcept { return f < epoch_.size() && epoch_[f] == epoch_now_; }
  uint32_t first(FieldId f) const noexcept { return has(f) ? head_[f] : kNone; }
  const FieldValue& value(uint32_t i) const noexcept { return values_[i]; }
  std::string_view lower(uint32_t i) const;
  size_t value_count() const noexcept { return values_.size(); }
  const std::vector<uint32_t>& keyword_values() const noexcept { return all_values_; }  // value indices

  Arena& arena() noexcept { return arena_; }
  std::string_view raw;  // the record's JSON text

 private:
  std::vector<uint32_t> epoch_, head_, tail_;
  uint32_t epoch_now_ = 0;
  std::vector<FieldValue> values_;
  std::vector<uint32_t> all_values_;
  mutable Arena arena_;
};

}  // namespace lachan
