// Fuzzes the spool's segment scanner, and the spool opening a damaged newest segment.
// In memory: every intact frame lies inside the input, offsets increase, damage regions are in
// order and before valid_end, and the prefix up to valid_end scans to the same records.
// On disk: the bytes become the only segment of a fresh spool dir; open() must cut the tail,
// readers must return exactly the records the scanner found, and appends must continue after them.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bus/local/local_spool.h"
#include "bus/local/segment_format.h"

using namespace lachan::bus;
using namespace lachan::bus::local;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

std::vector<uint64_t> scan_checked(std::string_view bytes, ScanResult& res) {
  std::vector<uint64_t> offsets;
  res = scan_segment(bytes, 1, [&](size_t pos, const FrameView& f) {
    check(pos + f.size <= bytes.size());
    const char* lo = bytes.data() + pos;
    const char* hi = lo + f.size;
    for (std::string_view v : {f.record.source_type, f.record.org_id, f.record.payload})
      check(v.data() >= lo && v.data() + v.size() <= hi);
    check(offsets.empty() || f.offset > offsets.back());
    check(f.offset >= 1);
    offsets.push_back(f.offset);
  });
  check(res.valid_end <= bytes.size());
  check(res.records == offsets.size());
  size_t prev_end = 0;
  for (const auto& c : res.corrupt) {
    check(c.pos >= prev_end && c.length > 0 && c.pos + c.length <= res.valid_end);
    prev_end = c.pos + c.length;
  }
  return offsets;
}

void on_disk(std::string_view bytes, const std::vector<uint64_t>& expected) {
  namespace fs = std::filesystem;
  std::string tmpl = (fs::temp_directory_path() / "fuzz-spool-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) return;
  {
    std::ofstream(tmpl + "/" + segment_file_name(1), std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    auto s = open_local_spool(tmpl, LocalSpoolOptions{.segment_bytes = 1 << 16});
    check(s.ok());
    std::vector<uint64_t> got;
    ReadBatch rb;
    uint64_t from = 1;
    for (int guard = 0;; ++guard) {
      check(guard < 100000);
      check((*s)->read(from, 3, 64, rb).ok());
      for (const auto& r : rb.records) got.push_back(r.offset);
      if (rb.next_offset == from) break;
      check(rb.next_offset > from);
      from = rb.next_offset;
    }
    check(got == expected);
    const Record rec{"fuzz", "org", 1, "after"};
    auto a = (*s)->append(std::span<const Record>(&rec, 1));
    check(a.ok() && a->first_offset == (expected.empty() ? 1 : expected.back() + 1));
  }
  std::error_code ec;
  fs::remove_all(tmpl, ec);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  ScanResult res;
  const auto offsets = scan_checked(input, res);
  ScanResult prefix;
  check(scan_checked(std::string_view(input).substr(0, res.valid_end), prefix) == offsets);
  // Every position, as a reader resyncing after damage would try it.
  FrameView f;
  for (size_t pos = 0; pos <= input.size(); ++pos)
    if (parse_frame(input, pos, f) == FrameStatus::ok) check(pos + f.size <= input.size());
  check(find_next_frame(input, 0) <= input.size());
  if (size <= (1u << 16)) on_disk(input, offsets);
  return 0;
}
