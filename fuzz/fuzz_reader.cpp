// Fuzzes the record readers: the bytes go through automatic detection and every explicit
// non-EVTX format, with small blocks and short reads so block boundaries are exercised.
// Invariants: every record lies inside the batch buffer, the buffer keeps kPadding bytes of
// capacity past its end, and no batch exceeds max_records.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "io/reader.h"
#include "io/source.h"

using namespace lachan::io;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void drain(const std::string& data, Format format, const ReaderTuning& tuning, size_t max_record_bytes) {
  ReaderOptions o;
  o.format = format;
  o.max_record_bytes = max_record_bytes;
  auto r = open_memory_reader_tuned(data, o, tuning);
  if (!r) return;
  RecordBatch batch;
  const size_t max_records = 7;
  for (int guard = 0; guard < 1000000; ++guard) {
    auto more = (*r)->next(batch, max_records);
    if (!more || !*more) return;
    check(batch.records.size() <= max_records);
    check(!batch.records.empty() || !batch.malformed.empty());
    check(batch.buffer.capacity() - batch.buffer.size() >= kPadding);
    for (const auto& rec : batch.records) {
      check(size_t{rec.offset} + rec.length <= batch.buffer.size());
      // Records copied as written never exceed the limit (syslog/CSV output is rewritten JSON).
      if ((*r)->format() != Format::syslog && (*r)->format() != Format::csv) check(rec.length <= max_record_bytes);
    }
  }
  std::abort();  // a reader that never ends
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  // EVTX parsing has its own fuzz target; do not hand libevtx files from here.
  const bool evtx = input.compare(0, 8, std::string("ElfFile\0", 8)) == 0;
  const ReaderTuning small{16, 5};
  const ReaderTuning normal{4096, SIZE_MAX};
  if (!evtx) {
    drain(input, Format::automatic, small, 64);
    drain(input, Format::automatic, normal, 16u << 20);
  }
  for (Format f : {Format::ndjson, Format::json_array, Format::json_concat, Format::syslog, Format::csv}) {
    drain(input, f, small, 48);
    drain(input, f, normal, 16u << 20);
  }
  return 0;
}
