// Record readers: turn an input file (or stdin) into batches of JSON records.
//
// Every reader yields each record as one JSON object text, whatever the input format:
// NDJSON, a JSON array, concatenated JSON objects, EVTX (rendered in the evtx_dump shape
// {"Event":{"System":...,"EventData":...}}), syslog lines (RFC 3164 / RFC 5424 into fields),
// CSV with a header. Input may be gzip- or zstd-compressed; the format is detected from
// content unless given. The detector parses every record the same way, so an EVTX file and
// its JSON form yield the same events and the same fields.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lachan::io {

enum class Format { automatic, ndjson, json_array, json_concat, evtx, syslog, csv };

// "auto", "ndjson"/"jsonl", "json" (array or concatenated objects), "evtx", "syslog", "csv".
Result<Format> parse_format(std::string_view name);
const char* format_name(Format f) noexcept;

// simdjson needs this many readable bytes after the end of a document.
inline constexpr size_t kPadding = 64;

struct Record {
  uint32_t offset = 0;   // into RecordBatch::buffer
  uint32_t length = 0;
  uint64_t index = 0;    // 0-based ordinal of the record in its input (malformed records count)
  uint64_t line = 0;     // 1-based line where the record starts; 0 when not meaningful (EVTX)
};

struct Malformed {
  uint64_t index = 0;
  uint64_t line = 0;
  std::string reason;    // names what is wrong, e.g. "invalid JSON: unclosed string"
};

// A batch of records. `buffer` holds the record texts back to back and always has at least
// kPadding readable bytes after the last record, so records can be parsed in place.
struct RecordBatch {
  std::string buffer;
  std::vector<Record> records;
  std::vector<Malformed> malformed;

  std::string_view text(const Record& r) const { return {buffer.data() + r.offset, r.length}; }
  void clear() {
    buffer.clear();
    records.clear();
    malformed.clear();
  }
  // Appends one record text (the reader keeps the padding invariant through finish()).
  void add(std::string_view json, uint64_t index, uint64_t line);
  // Ensures the padding invariant; readers call it before returning a batch.
  void finish();
};

class RecordReader {
 public:
  virtual ~RecordReader() = default;
  // Clears `batch` and fills it with up to `max_records` records (plus any malformed ones met
  // on the way). Returns false once the input is exhausted and nothing was added. An Error is
  // returned only when the input cannot be read at all (I/O failure, corrupt compression).
  virtual Result<bool> next(RecordBatch& batch, size_t max_records) = 0;
  virtual Format format() const noexcept = 0;
};

struct ReaderOptions {
  Format format = Format::automatic;
  size_t max_record_bytes = 16u << 20;  // a longer record is reported malformed and skipped
};

// Opens `path` ("-" for standard input), undoing gzip/zstd compression and detecting the
// format from the first bytes when options.format is automatic.
Result<std::unique_ptr<RecordReader>> open_reader(const std::string& path, const ReaderOptions& options = {});

// Builds a reader over bytes already in memory (used by tests and fuzz targets).
Result<std::unique_ptr<RecordReader>> open_memory_reader(std::string data, const ReaderOptions& options = {});

}  // namespace lachan::io
