// Helpers shared by the io unit tests.
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>
#include <vector>

#include "io/reader.h"
#include "io/source.h"

namespace lachan::io::test {

struct Drained {
  std::vector<std::string> texts;
  std::vector<Record> records;
  std::vector<Malformed> malformed;
  size_t batches = 0;
};

// Reads everything, checking the batch invariants on the way.
inline Drained drain(RecordReader& reader, size_t max_records = 1000) {
  Drained d;
  RecordBatch batch;
  for (;;) {
    auto r = reader.next(batch, max_records);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    if (!r.ok() || !*r) break;
    ++d.batches;
    EXPECT_LE(batch.records.size(), max_records);
    EXPECT_GE(batch.buffer.capacity() - batch.buffer.size(), kPadding);
    for (const auto& rec : batch.records) {
      EXPECT_LE(size_t{rec.offset} + rec.length, batch.buffer.size());
      d.texts.emplace_back(batch.text(rec));
      d.records.push_back(rec);
    }
    for (auto& m : batch.malformed) d.malformed.push_back(m);
  }
  return d;
}

inline Drained read_memory(std::string data, Format f = Format::automatic, size_t max_records = 1000,
                           ReaderTuning tuning = {}, size_t max_record_bytes = 16u << 20) {
  ReaderOptions o;
  o.format = f;
  o.max_record_bytes = max_record_bytes;
  auto r = open_memory_reader_tuned(std::move(data), o, tuning);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (!r.ok()) return {};
  return drain(**r, max_records);
}

// Parses one record with simdjson (as the detector does) and returns the element.
class Parsed {
 public:
  explicit Parsed(const std::string& text) : padded_(text) {
    auto err = parser_.parse(padded_).get(doc_);
    EXPECT_FALSE(err) << "record is not valid JSON: " << simdjson::error_message(err) << "\n" << text;
  }
  simdjson::dom::element doc() const { return doc_; }
  std::string str(const char* key) const {
    std::string_view v;
    if (doc_[key].get_string().get(v)) return "<absent>";
    return std::string(v);
  }
  int64_t num(const char* key) const {
    int64_t v = -1;
    if (doc_[key].get_int64().get(v)) return -999;
    return v;
  }
  bool has(const char* key) const { return !doc_[key].error(); }

 private:
  simdjson::padded_string padded_;
  simdjson::dom::parser parser_;
  simdjson::dom::element doc_;
};

inline bool shared_file_exists(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  std::fclose(f);
  return true;
}

}  // namespace lachan::io::test
