// Concatenated JSON objects (pretty-printed or not, separated by whitespace). A small state
// machine tracks nesting depth and strings (with escapes) to find where each top-level object
// ends; each object is one record, kept as written.
//
// Errors and resynchronisation: text outside an object, a raw newline inside a string (never
// valid JSON, so an unclosed string) or a '{' at the start of a line that cannot continue the
// current object (the previous one was left open) report a Malformed, then reading resumes at
// the next line that starts with '{'.
#include <string>

#include "io/readers.h"
#include "io/stream_buffer.h"

namespace lachan::io {
namespace {

std::string describe_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7f) return std::string("'") + c + "'";
  static const char hex[] = "0123456789abcdef";
  return std::string("byte 0x") + hex[u >> 4] + hex[u & 15];
}

class JsonConcatReader final : public RecordReader {
 public:
  JsonConcatReader(std::unique_ptr<ByteSource> src, const ReaderOptions& o, const ReaderTuning& t)
      : max_(effective_max_record(o)), buf_(std::move(src), t.block_size) {}

  Result<bool> next(RecordBatch& batch, size_t max_records) override {
    batch.clear();
    if (max_records == 0) max_records = 1;
    while (batch.records.size() < max_records && batch.buffer.size() < kMaxBatchBytes &&
           batch.malformed.size() < max_records) {
      if (scan_ >= buf_.end()) {
        if (buf_.eof()) {
          if (mode_ == Mode::object) {
            bad(batch, obj_line_, "unterminated JSON object (it starts at line " + std::to_string(obj_line_) + ")");
            mode_ = Mode::between;
          }
          if (buf_.error() && batch.records.empty() && batch.malformed.empty()) return *buf_.error();
          break;
        }
        size_t keep = mode_ == Mode::object ? start_ : scan_;
        if (mode_ == Mode::object && buf_.end() - start_ > max_) {
          bad(batch, obj_line_, too_long_reason(max_));
          mode_ = Mode::resync;
          keep = scan_;
        }
        size_t shift = buf_.fill(keep, max_);
        start_ -= std::min(start_, shift);
        scan_ -= shift;
        continue;
      }
      step(batch);
    }
    batch.finish();
    return !batch.records.empty() || !batch.malformed.empty();
  }
  Format format() const noexcept override { return Format::json_concat; }

 private:
  enum class Mode { between, object, resync };

  void bad(RecordBatch& batch, uint64_t line, std::string reason) {
    batch.malformed.push_back(Malformed{index_++, line, std::move(reason)});
  }

  // Consumes bytes from scan_ until the buffer ends or one record/error is produced.
  void step(RecordBatch& batch) {
    char* d = buf_.data();
    const size_t end = buf_.end();
    while (scan_ < end) {
      char c = d[scan_];
      switch (mode_) {
        case Mode::between:
          if (c == '\n') {
            ++line_;
            at_line_start_ = true;
          } else if (c == '{') {
            mode_ = Mode::object;
            start_ = scan_;
            obj_line_ = line_;
            depth_ = 1;
            in_string_ = escape_ = false;
            last_sig_ = '{';
            at_line_start_ = false;
          } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            at_line_start_ = false;
          } else {
            bad(batch, line_, "unexpected " + describe_char(c) + " outside a JSON object");
            mode_ = Mode::resync;
            at_line_start_ = false;
            ++scan_;
            return;
          }
          ++scan_;
          break;
        case Mode::resync:
          if (c == '\n') {
            ++line_;
            at_line_start_ = true;
          } else if (c == '{' && at_line_start_) {
            mode_ = Mode::between;
            continue;  // the '{' is read again in `between`
          } else {
            at_line_start_ = false;
          }
          ++scan_;
          break;
        case Mode::object:
          if (in_string_) {
            // Skip quickly over ordinary string bytes.
            while (scan_ < end) {
              c = d[scan_];
              if (c == '\n') {
                ++line_;
                at_line_start_ = true;
                ++scan_;
                bad(batch, obj_line_, "unterminated string in JSON object starting at line " +
                                          std::to_string(obj_line_) + " (raw newline at line " +
                                          std::to_string(line_ - 1) + ")");
                mode_ = Mode::resync;
                return;
              } else if (escape_) {
                escape_ = false;
              } else if (c == '\\') {
                escape_ = true;
              } else if (c == '"') {
                in_string_ = false;
                last_sig_ = '"';
                ++scan_;
                break;
              }
              ++scan_;
            }
            break;
          }
          if (c == '\n') {
            ++line_;
            at_line_start_ = true;
            ++scan_;
            break;
          }
          if (c == ' ' || c == '\t' || c == '\r') {
            at_line_start_ = false;
            ++scan_;
            break;
          }
          if (c == '{' && at_line_start_ && last_sig_ != ':' && last_sig_ != ',' && last_sig_ != '[') {
            bad(batch, obj_line_, "unterminated JSON object (it starts at line " + std::to_string(obj_line_) +
                                      "; a new object starts at line " + std::to_string(line_) + ")");
            mode_ = Mode::between;
            return;  // the '{' is read again in `between`
          }
          at_line_start_ = false;
          ++scan_;
          if (c == '"') {
            in_string_ = true;
          } else if (c == '{' || c == '[') {
            ++depth_;
          } else if (c == '}' || c == ']') {
            if (--depth_ == 0) {
              mode_ = Mode::between;
              size_t len = scan_ - start_;
              if (len > max_) {
                bad(batch, obj_line_, too_long_reason(max_));
              } else {
                batch.add(std::string_view(d + start_, len), index_++, obj_line_);
              }
              return;
            }
          }
          last_sig_ = c;
          break;
      }
    }
  }

  size_t max_;
  StreamBuffer buf_;
  Mode mode_ = Mode::between;
  size_t scan_ = 0;
  size_t start_ = 0;
  uint64_t line_ = 1;
  uint64_t obj_line_ = 0;
  uint64_t index_ = 0;
  uint64_t depth_ = 0;
  bool in_string_ = false;
  bool escape_ = false;
  bool at_line_start_ = true;
  char last_sig_ = 0;
};

}  // namespace

std::unique_ptr<RecordReader> make_json_concat_reader(std::unique_ptr<ByteSource> src, const ReaderOptions& o,
                                                      const ReaderTuning& t) {
  return std::make_unique<JsonConcatReader>(std::move(src), o, t);
}

}  // namespace lachan::io
