// One record per non-blank line, shared by the line-based readers (NDJSON, syslog): `Convert`
// appends the record text for a line to the batch buffer.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "io/readers.h"
#include "io/stream_buffer.h"

namespace lachan::io {

template <typename Convert>
class LineRecordReader final : public RecordReader {
 public:
  LineRecordReader(std::unique_ptr<ByteSource> src, const ReaderOptions& o, const ReaderTuning& t, Format format,
                   Convert convert)
      : max_(effective_max_record(o)), lines_(std::move(src), t.block_size, max_), format_(format),
        convert_(std::move(convert)) {}

  Result<bool> next(RecordBatch& batch, size_t max_records) override {
    batch.clear();
    if (max_records == 0) max_records = 1;
    std::string_view line;
    while (batch.records.size() < max_records && batch.buffer.size() < kMaxBatchBytes) {
      auto st = lines_.next(line);
      if (st == LineSplitter::Status::line) {
        // Fast path: a JSON record almost always starts with '{'.
        if (line.empty() || (line[0] != '{' && is_blank(line))) continue;
        Record r;
        r.offset = static_cast<uint32_t>(batch.buffer.size());
        convert_(line, batch.buffer);
        r.length = static_cast<uint32_t>(batch.buffer.size() - r.offset);
        r.index = index_++;
        r.line = lines_.line_no();
        batch.buffer.push_back('\n');
        batch.records.push_back(r);
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
  Format format() const noexcept override { return format_; }

 private:
  size_t max_;
  LineSplitter lines_;
  Format format_;
  Convert convert_;
  uint64_t index_ = 0;
};

template <typename Convert>
std::unique_ptr<RecordReader> make_line_reader(std::unique_ptr<ByteSource> src, const ReaderOptions& o,
                                               const ReaderTuning& t, Format format, Convert convert) {
  return std::make_unique<LineRecordReader<Convert>>(std::move(src), o, t, format, std::move(convert));
}

}  // namespace lachan::io
