// The segment frame format and its scanner: what open() and readers rely on to tell intact
// records from torn tails and damage.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bus/local/segment_format.h"

using namespace lachan::bus;
using namespace lachan::bus::local;

namespace {

std::string encode_many(uint64_t first, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    const std::string payload = "event-" + std::to_string(first + i);
    encode_frame(first + i, Record{"zeek", "org-7", 1000 + i, payload}, out);
  }
  return out;
}

std::vector<uint64_t> scan_offsets(std::string_view bytes, uint64_t min_offset, ScanResult* res = nullptr) {
  std::vector<uint64_t> got;
  auto r = scan_segment(bytes, min_offset, [&](size_t, const FrameView& f) { got.push_back(f.offset); });
  if (res) *res = r;
  return got;
}

}  // namespace

TEST(SegmentFormat, Crc32cKnownAnswer) {
  // The CRC-32C check value from RFC 3720 / the Castagnoli catalogue.
  EXPECT_EQ(crc32c(0, "123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c(0, "", 0), 0u);
  // Incremental equals one-shot, across the 8-byte fast path boundary.
  const std::string s = "The quick brown fox jumps over the lazy dog";
  EXPECT_EQ(crc32c(crc32c(0, s.data(), 13), s.data() + 13, s.size() - 13), crc32c(0, s.data(), s.size()));
}

TEST(SegmentFormat, FrameRoundTrip) {
  std::string bytes;
  const std::string payload("line with \0 nul and \xff bytes", 28);
  encode_frame(42, Record{"suricata", "org-1", -5, payload}, bytes);
  ASSERT_EQ(bytes.size(), frame_size(Record{"suricata", "org-1", 0, payload}));
  FrameView f;
  ASSERT_EQ(parse_frame(bytes, 0, f), FrameStatus::ok);
  EXPECT_EQ(f.offset, 42u);
  EXPECT_EQ(f.record.source_type, "suricata");
  EXPECT_EQ(f.record.org_id, "org-1");
  EXPECT_EQ(f.record.received_at_ms, -5);
  EXPECT_EQ(f.record.payload, payload);
  EXPECT_EQ(f.size, bytes.size());
}

TEST(SegmentFormat, EveryFlippedByteIsDetected) {
  std::string bytes;
  encode_frame(1, Record{"wazuh", "o", 7, "payload"}, bytes);
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    FrameView f;
    EXPECT_NE(parse_frame(bad, 0, f), FrameStatus::ok) << "flip at byte " << i;
  }
}

TEST(SegmentFormat, TruncatedFrameIsTruncatedNotOk) {
  std::string bytes;
  encode_frame(1, Record{"wazuh", "o", 7, "payload"}, bytes);
  for (size_t n = 0; n < bytes.size(); ++n) {
    FrameView f;
    EXPECT_EQ(parse_frame(std::string_view(bytes).substr(0, n), 0, f), FrameStatus::truncated) << n;
  }
}

TEST(SegmentFormat, ScanStopsAtTornTail) {
  const std::string full = encode_many(10, 5);
  std::string torn = full.substr(0, full.size() - 3);
  ScanResult r;
  EXPECT_EQ(scan_offsets(torn, 10, &r), (std::vector<uint64_t>{10, 11, 12, 13}));
  EXPECT_TRUE(r.corrupt.empty());
  EXPECT_EQ(r.last_offset, 13u);
  // valid_end is exactly the end of the fourth frame: re-scanning the prefix finds all four.
  EXPECT_EQ(scan_offsets(std::string_view(torn).substr(0, r.valid_end), 10).size(), 4u);
  torn += std::string(100, '\0');  // zero-filled tail (a crash after the file grew)
  EXPECT_EQ(scan_offsets(torn, 10, &r).size(), 4u);
  EXPECT_TRUE(r.corrupt.empty());
}

TEST(SegmentFormat, ScanSkipsDamageInTheMiddleAndReportsWhere) {
  std::string bytes = encode_many(1, 3);
  const size_t second = bytes.size() / 3;  // equal-sized frames
  bytes[second + 20] ^= 0x40;              // damage the second frame's body
  ScanResult r;
  EXPECT_EQ(scan_offsets(bytes, 1, &r), (std::vector<uint64_t>{1, 3}));
  ASSERT_EQ(r.corrupt.size(), 1u);
  EXPECT_EQ(r.corrupt[0].pos, second);
  EXPECT_EQ(r.corrupt[0].length, second);
  EXPECT_EQ(r.valid_end, bytes.size());
}

TEST(SegmentFormat, ScanRejectsOutOfOrderOffsets) {
  std::string bytes = encode_many(5, 2) + encode_many(3, 1) + encode_many(7, 1);
  ScanResult r;
  EXPECT_EQ(scan_offsets(bytes, 5, &r), (std::vector<uint64_t>{5, 6, 7}));
  EXPECT_EQ(r.corrupt.size(), 1u);
  // Offsets below the segment's first (its file name) are damage too.
  EXPECT_EQ(scan_offsets(encode_many(1, 3), 2), (std::vector<uint64_t>{2, 3}));
}

TEST(SegmentFormat, FileNames) {
  EXPECT_EQ(segment_file_name(1), "00000000000000000001.seg");
  uint64_t v = 0;
  EXPECT_TRUE(parse_segment_file_name("00000000000000004242.seg", v));
  EXPECT_EQ(v, 4242u);
  EXPECT_TRUE(parse_segment_file_name(segment_file_name(kMaxOffset), v));
  EXPECT_EQ(v, kMaxOffset);
  EXPECT_FALSE(parse_segment_file_name(segment_file_name(kMaxOffset + 1), v));
  EXPECT_FALSE(parse_segment_file_name("00000000000000000000.seg", v));
  EXPECT_FALSE(parse_segment_file_name("0000000000000000001.seg", v));
  EXPECT_FALSE(parse_segment_file_name("0000000000000000000a.seg", v));
  EXPECT_FALSE(parse_segment_file_name("00000000000000000001.tmp", v));
  EXPECT_FALSE(parse_segment_file_name("99999999999999999999.seg", v));  // overflows uint64
}
