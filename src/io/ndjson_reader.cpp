// NDJSON: one record per non-blank line, copied as is (the detector validates the JSON).
#include "io/readers.h"
#include "io/stream_buffer.h"

namespace lachan::io {
namespace {

class NdjsonReader final : public RecordReader {
 public:
  NdjsonReader(std::unique_ptr<ByteSource> src, const ReaderOptions& o, const ReaderTuning& t)
      : max_(effective_max_record(o)), lines_(std::move(src), t.block_size, max_) {}

  Result<bool> next(RecordBatch& batch, size_t max_records) override {
    batch.clear();
    if (max_records == 0) max_records = 1;
    std::string_view line;
    while (batch.records.size() < max_records && batch.buffer.size() < kMaxBatchBytes) {
      auto st = lines_.next(line);
      if (st == LineSplitter::Status::line) {
        // Fast path: a record almost always starts with '{'.
        if (line.empty() || (line[0] != '{' && is_blank(line))) continue;
        batch.add(line, index_++, lines_.line_no());
      } else if (st == LineSplitter::Status::too_long) {
        batch.malformed.push_back(Malformed{index_++, lines_.line_no(), too_long_reason(max_)});
      } else if (st == LineSplitter::Status::end) {
        break;
      } else {
        if (batch.records.empty() && batch.malformed.empty()) return lines_.error();
        break;
      }
    }
    batch.finish();
    return !batch.records.empty() || !batch.malformed.empty();
  }
  Format format() const noexcept override { return Format::ndjson; }

 private:
  size_t max_;
  LineSplitter lines_;
  uint64_t index_ = 0;
};

}  // namespace

std::unique_ptr<RecordReader> make_ndjson_reader(std::unique_ptr<ByteSource> src, const ReaderOptions& o,
                                                 const ReaderTuning& t) {
  return std::make_unique<NdjsonReader>(std::move(src), o, t);
}

}  // namespace lachan::io
