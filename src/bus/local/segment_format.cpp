#include "bus/local/segment_format.h"

#include <array>
#include <bit>
#include <cstdio>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace lachan::bus::local {
namespace {

// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), slice-by-8 tables.
constexpr std::array<std::array<uint32_t, 256>, 8> make_tables() {
  std::array<std::array<uint32_t, 256>, 8> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i)
    for (size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  return t;
}
constexpr auto kTables = make_tables();

uint32_t crc32c_soft(uint32_t crc, const unsigned char* p, size_t n) noexcept {
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    w ^= crc;
    crc = kTables[7][w & 0xFF] ^ kTables[6][(w >> 8) & 0xFF] ^ kTables[5][(w >> 16) & 0xFF] ^
          kTables[4][(w >> 24) & 0xFF] ^ kTables[3][(w >> 32) & 0xFF] ^ kTables[2][(w >> 40) & 0xFF] ^
          kTables[1][(w >> 48) & 0xFF] ^ kTables[0][w >> 56];
    p += 8;
    n -= 8;
  }
  while (n--) crc = kTables[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crc32c_hw(uint32_t crc, const unsigned char* p, size_t n) noexcept {
  uint64_t c = crc;
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    c = _mm_crc32_u64(c, w);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n--) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}
const bool kHaveHw = __builtin_cpu_supports("sse4.2");
#endif

uint32_t load32(const char* p) noexcept {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;  // the format is little-endian; so are the hosts we build for
}
uint64_t load64(const char* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
uint16_t load16(const char* p) noexcept {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
template <typename T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}

}  // namespace

static_assert(std::endian::native == std::endian::little, "segment format is little-endian");

uint32_t crc32c(uint32_t crc, const void* data, size_t size) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
#if defined(__x86_64__)
  crc = kHaveHw ? crc32c_hw(crc, p, size) : crc32c_soft(crc, p, size);
#else
  crc = crc32c_soft(crc, p, size);
#endif
  return ~crc;
}

void encode_frame(uint64_t offset, const Record& r, std::string& out) {
  const size_t start = out.size();
  const auto body_len = static_cast<uint32_t>(kBodyFixed + r.source_type.size() + r.org_id.size() + r.payload.size());
  put<uint32_t>(out, kFrameMagic);
  put<uint32_t>(out, 0);  // crc, filled below
  put<uint32_t>(out, body_len);
  put<uint64_t>(out, offset);
  put<int64_t>(out, r.received_at_ms);
  put<uint16_t>(out, static_cast<uint16_t>(r.source_type.size()));
  put<uint16_t>(out, static_cast<uint16_t>(r.org_id.size()));
  put<uint32_t>(out, static_cast<uint32_t>(r.payload.size()));
  out.append(r.source_type);
  out.append(r.org_id);
  out.append(r.payload);
  const uint32_t crc = crc32c(0, out.data() + start + 8, out.size() - start - 8);
  std::memcpy(out.data() + start + 4, &crc, 4);
}

FrameStatus parse_frame(std::string_view bytes, size_t pos, FrameView& out) noexcept {
  if (pos > bytes.size()) return FrameStatus::corrupt;
  const size_t avail = bytes.size() - pos;
  const char* p = bytes.data() + pos;
  // A prefix of a valid header at the very end is a torn write, not damage.
  if (avail < kFrameHeader) {
    uint32_t magic = kFrameMagic;
    return std::memcmp(p, &magic, avail < 4 ? avail : 4) == 0 ? FrameStatus::truncated : FrameStatus::corrupt;
  }
  if (load32(p) != kFrameMagic) return FrameStatus::corrupt;
  const uint32_t body_len = load32(p + 8);
  if (body_len < kBodyFixed || body_len > kMaxBodyBytes) return FrameStatus::corrupt;
  if (avail - kFrameHeader < body_len) return FrameStatus::truncated;
  if (crc32c(0, p + 8, size_t{body_len} + 4) != load32(p + 4)) return FrameStatus::corrupt;
  const char* b = p + kFrameHeader;
  const uint16_t source_len = load16(b + 16);
  const uint16_t org_len = load16(b + 18);
  const uint32_t payload_len = load32(b + 20);
  if (source_len > kMaxNameBytes || org_len > kMaxNameBytes ||
      uint64_t{kBodyFixed} + source_len + org_len + payload_len != body_len)
    return FrameStatus::corrupt;
  out.offset = load64(b);
  if (out.offset == 0 || out.offset > kMaxOffset) return FrameStatus::corrupt;
  out.record.received_at_ms = static_cast<int64_t>(load64(b + 8));
  const char* s = b + kBodyFixed;
  out.record.source_type = std::string_view(s, source_len);
  out.record.org_id = std::string_view(s + source_len, org_len);
  out.record.payload = std::string_view(s + source_len + org_len, payload_len);
  out.size = kFrameHeader + body_len;
  return FrameStatus::ok;
}

size_t find_next_frame(std::string_view bytes, size_t from) noexcept {
  const char m0 = static_cast<char>(kFrameMagic & 0xFF);
  FrameView f;
  for (size_t pos = from; pos + kFrameHeader + kBodyFixed <= bytes.size(); ++pos) {
    const void* hit = std::memchr(bytes.data() + pos, m0, bytes.size() - pos);
    if (!hit) break;
    pos = static_cast<size_t>(static_cast<const char*>(hit) - bytes.data());
    if (parse_frame(bytes, pos, f) == FrameStatus::ok) return pos;
  }
  return bytes.size();
}

ScanResult scan_segment(std::string_view bytes, uint64_t min_offset,
                        const std::function<void(size_t pos, const FrameView&)>& on_record) {
  ScanResult r;
  size_t pos = 0;
  uint64_t next_min = min_offset;
  FrameView f;
  while (pos < bytes.size()) {
    const FrameStatus st = parse_frame(bytes, pos, f);
    if (st == FrameStatus::ok && f.offset >= next_min) {
      if (r.records == 0) r.first_offset = f.offset;
      ++r.records;
      r.last_offset = f.offset;
      next_min = f.offset + 1;
      if (on_record) on_record(pos, f);
      pos += f.size;
      r.valid_end = pos;
      continue;
    }
    // Damage (or a torn tail): skip to the next frame that verifies and keeps the order.
    size_t next = pos + 1;
    for (;;) {
      next = find_next_frame(bytes, next);
      if (next >= bytes.size()) break;
      if (parse_frame(bytes, next, f) == FrameStatus::ok && f.offset >= next_min) break;
      ++next;
    }
    if (next >= bytes.size()) break;  // nothing intact after: a tail, reported by valid_end
    r.corrupt.push_back(CorruptRegion{pos, next - pos});
    pos = next;
  }
  return r;
}

std::string segment_file_name(uint64_t first_offset) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu.seg", static_cast<unsigned long long>(first_offset));
  return buf;
}

bool parse_segment_file_name(std::string_view name, uint64_t& first_offset) noexcept {
  if (name.size() != 24 || name.substr(20) != ".seg") return false;
  uint64_t v = 0;
  for (size_t i = 0; i < 20; ++i) {
    const char c = name[i];
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (v == 0 || v > kMaxOffset) return false;
  first_offset = v;
  return true;
}

}  // namespace lachan::bus::local
