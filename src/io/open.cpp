// Opening inputs: decompression, format names and detection, EVTX hand-off.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "io/evtx_reader.h"
#include "io/readers.h"
#include "io/source.h"
#include "io/syslog_parse.h"

namespace lachan::io {

Result<Format> parse_format(std::string_view name) {
  if (name == "auto" || name == "automatic") return Format::automatic;
  if (name == "ndjson" || name == "jsonl") return Format::ndjson;
  // "json": an array or concatenated objects, told apart by the first byte when opening.
  if (name == "json" || name == "json-concat" || name == "json_concat") return Format::json_concat;
  if (name == "json-array" || name == "json_array") return Format::json_array;
  if (name == "evtx") return Format::evtx;
  if (name == "syslog") return Format::syslog;
  if (name == "csv") return Format::csv;
  return make_error(Errc::invalid_config,
                    "unknown input format '" + std::string(name) +
                        "' (expected auto, ndjson, jsonl, json, json-array, json-concat, evtx, syslog or csv)");
}

const char* format_name(Format f) noexcept {
  switch (f) {
    case Format::automatic: return "auto";
    case Format::ndjson: return "ndjson";
    case Format::json_array: return "json-array";
    case Format::json_concat: return "json-concat";
    case Format::evtx: return "evtx";
    case Format::syslog: return "syslog";
    case Format::csv: return "csv";
  }
  return "unknown";
}

namespace {

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

constexpr std::string_view kEvtxMagic("ElfFile\0", 8);

// For content starting with '{' at `i`: ndjson when the first object closes on its line and
// nothing else follows on that line, json_concat otherwise.
Format classify_object(std::string_view s, size_t i, bool at_eof) {
  size_t depth = 0;
  bool in_string = false, escape = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\n') return in_string ? Format::ndjson : Format::json_concat;
    if (in_string) {
      if (escape) escape = false;
      else if (c == '\\') escape = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && depth > 0 && --depth == 0) {
      for (++i; i < s.size() && s[i] != '\n'; ++i)
        if (!is_ws(s[i])) return Format::json_concat;
      return Format::ndjson;
    }
  }
  return at_eof ? Format::json_concat : Format::ndjson;
}

}  // namespace

Format detect_format(std::string_view head, bool at_eof) {
  if (head.substr(0, kEvtxMagic.size()) == kEvtxMagic) return Format::evtx;
  size_t i = 0;
  while (i < head.size() && is_ws(head[i])) ++i;
  if (i == head.size()) return Format::ndjson;  // nothing but whitespace: no records either way
  if (head[i] == '[') return Format::json_array;
  if (head[i] == '{') return classify_object(head, i, at_eof);
  // The first non-blank line.
  size_t ls = i;
  while (ls > 0 && head[ls - 1] != '\n') --ls;
  size_t le = head.find('\n', i);
  std::string_view line = head.substr(ls, le == std::string_view::npos ? head.size() - ls : le - ls);
  if (syslog_pri_length(line) || bsd_timestamp_length(line) || rfc3339_timestamp_length(line)) return Format::syslog;
  if (line.find(',') != std::string_view::npos && line.find('{') == std::string_view::npos &&
      line.find('}') == std::string_view::npos)
    return Format::csv;
  return Format::automatic;
}

Result<std::unique_ptr<RecordReader>> make_stream_reader(Format format, std::unique_ptr<ByteSource> src,
                                                         const ReaderOptions& options, const ReaderTuning& tuning) {
  switch (format) {
    case Format::ndjson: return make_ndjson_reader(std::move(src), options, tuning);
    case Format::json_concat: return make_json_concat_reader(std::move(src), options, tuning);
    case Format::json_array: return make_json_array_reader(std::move(src), options, tuning);
    case Format::syslog: return make_syslog_reader(std::move(src), options, tuning);
    case Format::csv: return make_csv_reader(std::move(src), options, tuning);
    case Format::automatic:
    case Format::evtx: break;
  }
  return make_error(Errc::internal, std::string("no stream reader for format ") + format_name(format));
}

namespace {

// An EVTX reader over a temporary copy (of a compressed file, stdin or memory); the copy is
// removed when the reader is destroyed.
class TempFileReader final : public RecordReader {
 public:
  TempFileReader(std::unique_ptr<RecordReader> inner, std::string path) : inner_(std::move(inner)), path_(std::move(path)) {}
  ~TempFileReader() override {
    inner_.reset();
    ::unlink(path_.c_str());
  }
  Result<bool> next(RecordBatch& batch, size_t max_records) override { return inner_->next(batch, max_records); }
  Format format() const noexcept override { return inner_->format(); }

 private:
  std::unique_ptr<RecordReader> inner_;
  std::string path_;
};

Result<std::unique_ptr<RecordReader>> evtx_from_stream(std::unique_ptr<ByteSource> src) {
  const char* dir = std::getenv("TMPDIR");
  std::string path = std::string(dir && *dir ? dir : "/tmp") + "/lachan-evtx-XXXXXX";
  int fd = ::mkstemp(path.data());
  if (fd < 0) return make_error(Errc::io, "cannot create a temporary file for " + src->name() + ": " + std::strerror(errno));
  auto fail = [&](Error e) {
    ::close(fd);
    ::unlink(path.c_str());
    return e;
  };
  std::unique_ptr<char[]> buf(new char[1u << 20]);
  for (;;) {
    auto r = src->read(buf.get(), 1u << 20);
    if (!r) return fail(std::move(r).error());
    if (*r == 0) break;
    size_t off = 0;
    while (off < *r) {
      ssize_t w = ::write(fd, buf.get() + off, *r - off);
      if (w < 0) {
        if (errno == EINTR) continue;
        return fail(make_error(Errc::io, "cannot write temporary file " + path + ": " + std::strerror(errno)));
      }
      off += static_cast<size_t>(w);
    }
  }
  ::close(fd);
  auto reader = make_evtx_reader(path);
  if (!reader) {
    ::unlink(path.c_str());
    return std::move(reader).error();
  }
  return std::unique_ptr<RecordReader>(new TempFileReader(std::move(*reader), path));
}

Result<std::unique_ptr<RecordReader>> open_source(std::unique_ptr<ByteSource> src, const ReaderOptions& options,
                                                  const ReaderTuning& tuning, const std::string* plain_path) {
  const std::string name = src->name();
  // Decompression, from the magic bytes.
  std::string magic(4, '\0');
  auto got = read_full(*src, magic.data(), magic.size());
  if (!got) return std::move(got).error();
  magic.resize(*got);
  bool compressed = false;
  const auto* m = reinterpret_cast<const unsigned char*>(magic.data());
  if (magic.size() >= 2 && m[0] == 0x1f && m[1] == 0x8b) {
    src = make_gzip_source(make_prefixed_source(std::move(magic), std::move(src)));
    compressed = true;
  } else if (magic.size() >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) {
    src = make_zstd_source(make_prefixed_source(std::move(magic), std::move(src)));
    compressed = true;
  } else {
    src = make_prefixed_source(std::move(magic), std::move(src));
  }

  // The first bytes of the content: enough for the first line in nearly every input.
  constexpr size_t kPeek = 64u << 10, kPeekMax = 1u << 20;
  std::string head(kPeek, '\0');
  auto n = read_full(*src, head.data(), head.size());
  if (!n) return std::move(n).error();
  bool at_eof = *n < head.size();
  head.resize(*n);
  Format format = options.format;
  if (format == Format::automatic && !at_eof && head.find('\n') == std::string::npos) {
    head.resize(kPeekMax);
    auto more = read_full(*src, head.data() + *n, kPeekMax - *n);
    if (!more) return std::move(more).error();
    at_eof = *n + *more < kPeekMax;
    head.resize(*n + *more);
  }
  if (head.size() >= 3 && head.compare(0, 3, "\xEF\xBB\xBF") == 0) head.erase(0, 3);  // UTF-8 BOM

  if (format == Format::automatic) {
    format = detect_format(head, at_eof);
    if (format == Format::automatic)
      return make_error(Errc::unsupported, "cannot detect the format of " + name +
                                               " (not JSON, EVTX, syslog or CSV); use --input-format to set it");
  }
  if (format == Format::json_concat || format == Format::json_array) {
    size_t i = 0;
    while (i < head.size() && is_ws(head[i])) ++i;
    if (i < head.size()) format = head[i] == '[' ? Format::json_array : Format::json_concat;
  }
  if (format == Format::evtx) {
    if (plain_path && !compressed) {
      src.reset();
      return make_evtx_reader(*plain_path);
    }
    return evtx_from_stream(make_prefixed_source(std::move(head), std::move(src)));
  }
  return make_stream_reader(format, make_prefixed_source(std::move(head), std::move(src)), options, tuning);
}

}  // namespace

Result<std::unique_ptr<RecordReader>> open_reader(const std::string& path, const ReaderOptions& options) {
  auto src = open_file_source(path);
  if (!src) return std::move(src).error();
  struct stat st {};
  const bool regular = path != "-" && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  return open_source(std::move(*src), options, ReaderTuning{}, regular ? &path : nullptr);
}

Result<std::unique_ptr<RecordReader>> open_memory_reader(std::string data, const ReaderOptions& options) {
  return open_source(make_memory_source(std::move(data)), options, ReaderTuning{}, nullptr);
}

Result<std::unique_ptr<RecordReader>> open_memory_reader_tuned(std::string data, const ReaderOptions& options,
                                                               const ReaderTuning& tuning) {
  return open_source(make_memory_source(std::move(data), tuning.max_read), options, tuning, nullptr);
}

}  // namespace lachan::io
