// A top-level JSON array of objects. The whole input is validated with simdjson first (an
// invalid array is one Malformed for the input, with simdjson's message); then the validated
// text is split into its elements, each emitted as written, with its line number.
#include <simdjson.h>

#include <algorithm>
#include <string>

#include "io/readers.h"
#include "io/stream_buffer.h"

namespace lachan::io {
namespace {

const char* type_name(char c) {
  switch (c) {
    case '[': return "an array";
    case '"': return "a string";
    case 't': case 'f': return "a boolean";
    case 'n': return "null";
    default: return "a number";
  }
}

class JsonArrayReader final : public RecordReader {
 public:
  JsonArrayReader(std::unique_ptr<ByteSource> src, const ReaderOptions& o, const ReaderTuning&)
      : max_(effective_max_record(o)), src_(std::move(src)) {}

  Result<bool> next(RecordBatch& batch, size_t max_records) override {
    batch.clear();
    if (max_records == 0) max_records = 1;
    if (!loaded_) {
      loaded_ = true;
      auto r = load(batch);
      if (!r) return std::move(r).error();
    }
    while (pos_ < text_.size() && !done_ && batch.records.size() < max_records &&
           batch.malformed.size() < max_records && batch.buffer.size() < kMaxBatchBytes) {
      next_element(batch);
    }
    if (done_ || pos_ >= text_.size()) std::string().swap(text_);
    batch.finish();
    return !batch.records.empty() || !batch.malformed.empty();
  }
  Format format() const noexcept override { return Format::json_array; }

 private:
  Result<void> load(RecordBatch& batch) {
    for (;;) {
      size_t old = text_.size();
      const size_t kChunk = std::clamp<size_t>(old, 64u << 10, 64u << 20);  // grows with the input
      if (text_.size() > (size_t{4} << 30) - kChunk - simdjson::SIMDJSON_PADDING) {
        batch.malformed.push_back(Malformed{0, 1, "JSON array input of " + src_->name() + " is larger than 4 GiB"});
        done_ = true;
        return {};
      }
      text_.resize(old + kChunk);
      auto r = read_full(*src_, text_.data() + old, kChunk);
      if (!r) return std::move(r).error();
      text_.resize(old + *r);
      if (*r < kChunk) break;
    }
    src_.reset();
    if (is_blank_json(text_)) {
      done_ = true;
      return {};
    }
    text_.reserve(text_.size() + simdjson::SIMDJSON_PADDING);
    {
      simdjson::dom::parser parser;
      simdjson::dom::element doc;
      auto err = parser.parse(text_.data(), text_.size(), false).get(doc);
      if (err) {
        batch.malformed.push_back(Malformed{0, 1, std::string("invalid JSON array: ") + simdjson::error_message(err)});
        done_ = true;
        return {};
      }
      if (!doc.is_array()) {
        batch.malformed.push_back(Malformed{0, 1, "expected a JSON array at the top level"});
        done_ = true;
        return {};
      }
    }
    // Position after the opening '['.
    while (pos_ < text_.size() && text_[pos_] != '[') {
      if (text_[pos_] == '\n') ++line_;
      ++pos_;
    }
    ++pos_;
    return {};
  }

  static bool is_blank_json(const std::string& s) {
    for (char c : s)
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
    return true;
  }

  void skip_ws() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '\n') ++line_;
      else if (c != ' ' && c != '\t' && c != '\r') break;
      ++pos_;
    }
  }

  // The text is valid JSON here, so a simple scan finds the end of each element.
  void next_element(RecordBatch& batch) {
    skip_ws();
    if (pos_ >= text_.size() || text_[pos_] == ']') {
      done_ = true;
      return;
    }
    const size_t start = pos_;
    const uint64_t line = line_;
    size_t depth = 0;
    bool in_string = false;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (in_string) {
        if (c == '\\') ++pos_;
        else if (c == '"') in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (depth == 0) break;  // end of the array
        --depth;
      } else if (c == ',' && depth == 0) {
        break;
      } else if (c == '\n') {
        ++line_;
      }
      ++pos_;
    }
    size_t end = std::min(pos_, text_.size());
    while (end > start && (text_[end - 1] == ' ' || text_[end - 1] == '\t' || text_[end - 1] == '\r' ||
                           text_[end - 1] == '\n'))
      --end;
    if (pos_ < text_.size() && text_[pos_] == ',') ++pos_;
    const uint64_t index = index_++;
    if (text_[start] != '{') {
      batch.malformed.push_back(Malformed{index, line, "element " + std::to_string(index) +
                                                           " of the JSON array is " + type_name(text_[start]) +
                                                           ", not an object"});
    } else if (end - start > max_) {
      batch.malformed.push_back(Malformed{index, line, too_long_reason(max_)});
    } else {
      batch.add(std::string_view(text_.data() + start, end - start), index, line);
    }
  }

  size_t max_;
  std::unique_ptr<ByteSource> src_;
  std::string text_;
  size_t pos_ = 0;
  uint64_t line_ = 1;
  uint64_t index_ = 0;
  bool loaded_ = false;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<RecordReader> make_json_array_reader(std::unique_ptr<ByteSource> src, const ReaderOptions& o,
                                                     const ReaderTuning& t) {
  return std::make_unique<JsonArrayReader>(std::move(src), o, t);
}

}  // namespace lachan::io
