// CSV (RFC 4180): quoted fields with "" escapes and newlines, CRLF line ends. The first row is
// the header; every other row becomes {"header": "value", ...}.
#include <string>
#include <unordered_set>
#include <vector>

#include "core/strings.h"
#include "io/readers.h"
#include "io/stream_buffer.h"

namespace lachan::io {
namespace {

class CsvReader final : public RecordReader {
 public:
  CsvReader(std::unique_ptr<ByteSource> src, const ReaderOptions& o, const ReaderTuning& t)
      : max_(effective_max_record(o)), lines_(std::move(src), t.block_size, max_) {}

  Result<bool> next(RecordBatch& batch, size_t max_records) override {
    batch.clear();
    if (max_records == 0) max_records = 1;
    std::string_view line;
    while (batch.records.size() < max_records && batch.malformed.size() < max_records &&
           batch.buffer.size() < kMaxBatchBytes) {
      auto st = lines_.next(line);
      if (st == LineSplitter::Status::line) {
        if (!in_record_) {
          if (line.empty()) continue;  // blank lines separate nothing
          start_record();
        }
        record_bytes_ += line.size() + 1;
        if (record_bytes_ > max_) {
          too_long(batch);
          continue;
        }
        feed(line);
        if (in_quotes_) {
          field_.push_back('\n');  // a quoted field goes on past the line end
          continue;
        }
        end_record(batch);
      } else if (st == LineSplitter::Status::too_long) {
        if (!in_record_) {
          start_record();
          record_line_ = lines_.line_no();
        }
        too_long(batch);
      } else {
        if (in_record_) {
          batch.malformed.push_back(Malformed{index_++, record_line_,
                                              "unterminated quoted field (the row starts at line " +
                                                  std::to_string(record_line_) + ")"});
          in_record_ = false;
        }
        if (st == LineSplitter::Status::error && batch.records.empty() && batch.malformed.empty())
          return lines_.error();
        break;
      }
    }
    batch.finish();
    return !batch.records.empty() || !batch.malformed.empty();
  }
  Format format() const noexcept override { return Format::csv; }

 private:
  void start_record() {
    in_record_ = true;
    in_quotes_ = false;
    at_field_start_ = true;
    record_line_ = lines_.line_no();
    record_bytes_ = 0;
    fields_.clear();
    field_.clear();
  }

  void too_long(RecordBatch& batch) {
    if (have_header_) {
      batch.malformed.push_back(Malformed{index_++, record_line_, too_long_reason(max_)});
    } else {
      batch.malformed.push_back(Malformed{index_, record_line_, "CSV header " + too_long_reason(max_)});
    }
    in_record_ = false;
    // Lines that belonged to the dropped row are read as new rows; a quoted field spanning
    // lines may yield column-count errors until the data is back in step.
  }

  void feed(std::string_view line) {
    for (size_t i = 0; i < line.size(); ++i) {
      char c = line[i];
      if (in_quotes_) {
        if (c == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field_.push_back('"');
            ++i;
          } else {
            in_quotes_ = false;
          }
        } else {
          field_.push_back(c);
        }
      } else if (c == ',') {
        fields_.push_back(std::move(field_));
        field_.clear();
        at_field_start_ = true;
      } else if (c == '"' && at_field_start_) {
        in_quotes_ = true;
        at_field_start_ = false;
      } else {
        field_.push_back(c);
        at_field_start_ = false;
      }
    }
  }

  void end_record(RecordBatch& batch) {
    fields_.push_back(std::move(field_));
    field_.clear();
    in_record_ = false;
    if (!have_header_) {
      have_header_ = true;
      std::unordered_set<std::string> seen;
      for (size_t k = 0; k < fields_.size(); ++k) {
        std::string name = fields_[k].empty() ? "column_" + std::to_string(k + 1) : fields_[k];
        if (!seen.insert(name).second) {
          std::string base = name;
          for (size_t n = 2; !seen.insert(name = base + "_" + std::to_string(n)).second; ++n) {
          }
        }
        header_.push_back(std::move(name));
      }
      return;
    }
    if (fields_.size() != header_.size()) {
      batch.malformed.push_back(Malformed{
          index_++, record_line_,
          "line " + std::to_string(record_line_) + ": expected " + std::to_string(header_.size()) +
              " columns, found " + std::to_string(fields_.size())});
      return;
    }
    Record r;
    r.offset = static_cast<uint32_t>(batch.buffer.size());
    std::string& out = batch.buffer;
    out.push_back('{');
    for (size_t k = 0; k < fields_.size(); ++k) {
      if (k) out.push_back(',');
      append_json_string(out, header_[k]);
      out.push_back(':');
      append_json_string(out, fields_[k]);
    }
    out.push_back('}');
    r.length = static_cast<uint32_t>(out.size() - r.offset);
    r.index = index_++;
    r.line = record_line_;
    out.push_back('\n');
    batch.records.push_back(r);
  }

  size_t max_;
  LineSplitter lines_;
  uint64_t index_ = 0;
  bool have_header_ = false;
  std::vector<std::string> header_;
  bool in_record_ = false;
  bool in_quotes_ = false;
  bool at_field_start_ = true;
  uint64_t record_line_ = 0;
  size_t record_bytes_ = 0;
  std::vector<std::string> fields_;
  std::string field_;
};

}  // namespace

std::unique_ptr<RecordReader> make_csv_reader(std::unique_ptr<ByteSource> src, const ReaderOptions& o,
                                              const ReaderTuning& t) {
  return std::make_unique<CsvReader>(std::move(src), o, t);
}

}  // namespace lachan::io
