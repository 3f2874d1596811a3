// The frame format of the local spool's segment files, and the scanner that reads them back.
// Pure functions over bytes (no I/O), shared by the spool, its tests and the fuzz target.
//
// Frame (all integers little-endian, no padding):
//   0  u32 magic        0x4C53504C ("LPSL" in file order)
//   4  u32 crc32c       over bytes [8, 12 + body_len): the length field and the body
//   8  u32 body_len     bytes after this field = 24 + source_len + org_len + payload_len
//  12  u64 offset       the record's sequence number
//  20  i64 received_at  ms since the Unix epoch
//  28  u16 source_len   (<= 255)
//  30  u16 org_len      (<= 255)
//  32  u32 payload_len
//  36  source_type bytes, org_id bytes, payload bytes
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "bus/spool.h"

namespace lachan::bus::local {

inline constexpr uint32_t kFrameMagic = 0x4C53504C;
inline constexpr size_t kFrameHeader = 12;  // magic, crc, body_len
inline constexpr size_t kBodyFixed = 24;    // offset, received_at, three lengths
inline constexpr size_t kMaxNameBytes = 255;
inline constexpr size_t kMaxPayloadBytes = 64u << 20;
inline constexpr uint64_t kMaxOffset = uint64_t{1} << 62;  // larger offsets in a frame are damage
inline constexpr size_t kMaxBodyBytes = kBodyFixed + 2 * kMaxNameBytes + kMaxPayloadBytes;

uint32_t crc32c(uint32_t crc, const void* data, size_t size) noexcept;

inline size_t frame_size(const Record& r) noexcept {
  return kFrameHeader + kBodyFixed + r.source_type.size() + r.org_id.size() + r.payload.size();
}

// Appends the frame of `r` at `offset` to `out`. The caller has checked the name/payload limits.
void encode_frame(uint64_t offset, const Record& r, std::string& out);

struct FrameView {
  uint64_t offset = 0;
  Record record;    // views into the scanned bytes
  size_t size = 0;  // whole frame, header included
};

enum class FrameStatus { ok, truncated, corrupt };

// Decodes the frame starting exactly at `pos`. truncated: the bytes end inside a frame whose
// header is plausible (a torn write at the tail); corrupt: anything else that does not verify.
FrameStatus parse_frame(std::string_view bytes, size_t pos, FrameView& out) noexcept;

// The position of the first intact frame at or after `from` (bytes.size() if none).
size_t find_next_frame(std::string_view bytes, size_t from) noexcept;

struct CorruptRegion {
  size_t pos = 0;     // first damaged byte
  size_t length = 0;  // bytes skipped up to the next intact frame (or to the end)
};

struct ScanResult {
  size_t valid_end = 0;  // end of the last intact frame: a torn tail starts here
  uint64_t records = 0;
  uint64_t first_offset = 0;  // 0 when no record
  uint64_t last_offset = 0;
  std::vector<CorruptRegion> corrupt;  // damage before valid_end (the tail is not listed)
};

// Walks a whole segment. Frames must carry increasing offsets >= min_offset; a frame that breaks
// the order is treated as damage. Calls on_record for every intact frame (may be empty).
ScanResult scan_segment(std::string_view bytes, uint64_t min_offset,
                        const std::function<void(size_t pos, const FrameView&)>& on_record);

// "00000000000000000001.seg" <-> 1.
std::string segment_file_name(uint64_t first_offset);
bool parse_segment_file_name(std::string_view name, uint64_t& first_offset) noexcept;

}  // namespace lachan::bus::local
