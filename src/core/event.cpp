#include "core/event.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <cstring>

#include "core/strings.h"

namespace lachan {

FieldId FieldRegistry::intern(std::string_view name) {
  FieldId found = find(name);
  if (found != kNoField) return found;
  FieldId id = static_cast<FieldId>(names_.size());
  names_.emplace_back(name);
  // At most a quarter full: most lookups are misses (leaves no rule names), and a miss ends at
  // the first empty slot.
  if (names_.size() * 4 > slots_.size()) {
    rehash(slots_.empty() ? 64 : slots_.size() * 2);
  } else {
    const uint64_t h = hash(name);
    size_t i = h & mask_;
    while (slots_[i].id != kNoField) i = (i + 1) & mask_;
    slots_[i] = {h, id, static_cast<uint32_t>(name.size())};
  }
  return id;
}

void FieldRegistry::rehash(size_t capacity) {
  slots_.assign(capacity, Slot{});
  mask_ = capacity - 1;
  for (FieldId id = 0; id < names_.size(); ++id) {
    const uint64_t h = hash(names_[id]);
    size_t i = h & mask_;
    while (slots_[i].id != kNoField) i = (i + 1) & mask_;
    slots_[i] = {h, id, static_cast<uint32_t>(names_[id].size())};
  }
}

void Arena::use_chunk(size_t i) noexcept {
  cur_ = i;
  base_ = chunks_[i].get();
  room_ = sizes_[i];
  used_ = 0;
}

char* Arena::alloc_chunk(size_t n) {
  // The current chunk is full: the next one if it is large enough, else a new one.
  if (cur_ + 1 < chunks_.size() && n <= sizes_[cur_ + 1]) {
    use_chunk(cur_ + 1);
  } else {
    size_t size = n > kChunk ? n : kChunk;
    // Insert the new chunk right after the current one so reset() reuses it in order.
    size_t pos = chunks_.empty() ? 0 : cur_ + 1;
    chunks_.insert(chunks_.begin() + static_cast<std::ptrdiff_t>(pos), std::make_unique<char[]>(size));
    sizes_.insert(sizes_.begin() + static_cast<std::ptrdiff_t>(pos), size);
    use_chunk(pos);
  }
  used_ = n;
  return base_;
}

std::string_view Arena::copy(std::string_view s) {
  if (s.empty()) return {};
  char* p = alloc(s.size());
  std::memcpy(p, s.data(), s.size());
  return {p, s.size()};
}

void Arena::reset() noexcept {
  if (!chunks_.empty()) use_chunk(0);
}

void Event::reset(size_t field_count) {
  if (epoch_.size() < field_count) {
    epoch_.resize(field_count, 0);
    head_.resize(field_count, 0);
    tail_.resize(field_count, 0);
  }
  if (++epoch_now_ == 0) {  // wrapped: clear stale stamps once every 2^32 events
    std::fill(epoch_.begin(), epoch_.end(), 0);
    epoch_now_ = 1;
  }
  values_.clear();
  all_values_.clear();
  arena_.reset();
  raw = {};
}

namespace {
// ASCII-lowercases `s` into `out` when it has an uppercase letter (16 bytes at a time); returns
// false, writing nothing, when it has none.
bool lower_into(std::string_view s, Arena& arena, std::string_view& out) {
  const char* src = s.data();
  const size_t n = s.size();
  size_t k = 0;
#if defined(__SSE2__)
  const __m128i before_a = _mm_set1_epi8('A' - 1), after_z = _mm_set1_epi8('Z' + 1), bit = _mm_set1_epi8(0x20);
  auto upper = [&](__m128i x) {  // bytes >= 0x80 compare as negative: never upper
    return _mm_and_si128(_mm_cmpgt_epi8(x, before_a), _mm_cmpgt_epi8(after_z, x));
  };
  for (; k + 16 <= n; k += 16)
    if (_mm_movemask_epi8(upper(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + k))))) break;
#endif
  while (k < n && !(src[k] >= 'A' && src[k] <= 'Z')) ++k;
  if (k == n) return false;
  char* p = arena.alloc(n);
  std::memcpy(p, src, k);
#if defined(__SSE2__)
  for (; k + 16 <= n; k += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + k));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p + k), _mm_add_epi8(x, _mm_and_si128(upper(x), bit)));
  }
#endif
  for (; k < n; ++k) p[k] = ascii_lower(src[k]);
  out = {p, n};
  return true;
}
}  // namespace

std::string_view Event::make_lower(const FieldValue& v) const {
  if (!lower_into(v.text, arena_, v.lower)) v.lower = v.text;
  v.has_lower = true;
  return v.lower;
}

}  // namespace lachan
