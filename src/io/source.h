// Byte sources for the readers: a file descriptor, memory, and gzip/zstd decoders stacked on
// another source. Internal to the io module, but exposed so tests and fuzz targets can build
// readers over short reads and small blocks (to exercise block-boundary handling).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/strings.h"

#include "io/reader.h"

namespace lachan::io {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `n` bytes into `dst`; returns 0 at end of input, an Error if reading fails.
  virtual Result<size_t> read(char* dst, size_t n) = 0;
  // The file name for messages ("<stdin>", "<memory>" or the path).
  virtual const std::string& name() const noexcept = 0;
};

// Opens `path` ("-" = standard input). Error{io, "cannot open PATH: ..."} when it cannot.
Result<std::unique_ptr<ByteSource>> open_file_source(const std::string& path);
// Reads from memory; each read returns at most `max_read` bytes (simulates short reads).
std::unique_ptr<ByteSource> make_memory_source(std::string data, size_t max_read = SIZE_MAX,
                                               std::string name = "<memory>");
// Replays `prefix` first, then reads from `inner`.
std::unique_ptr<ByteSource> make_prefixed_source(std::string prefix, std::unique_ptr<ByteSource> inner);
// Streaming decoders (gzip: multi-member; zstd: multi-frame).
std::unique_ptr<ByteSource> make_gzip_source(std::unique_ptr<ByteSource> inner);
std::unique_ptr<ByteSource> make_zstd_source(std::unique_ptr<ByteSource> inner);

// Reads until `n` bytes are gathered or the input ends.
Result<size_t> read_full(ByteSource& src, char* dst, size_t n);

// Knobs for tests and fuzzing: block size of the line/JSON buffers and the size of each read.
struct ReaderTuning {
  size_t block_size = 4u << 20;
  size_t max_read = SIZE_MAX;  // memory sources only
};

// open_memory_reader with explicit tuning.
Result<std::unique_ptr<RecordReader>> open_memory_reader_tuned(std::string data, const ReaderOptions& options,
                                                               const ReaderTuning& tuning);

// Builds the reader for `format` (never automatic or evtx) over an already opened source.
Result<std::unique_ptr<RecordReader>> make_stream_reader(Format format, std::unique_ptr<ByteSource> src,
                                                         const ReaderOptions& options,
                                                         const ReaderTuning& tuning = {});

// Detects the format from the first bytes of the decompressed content (`at_eof`: `head` is the
// whole input). Returns Format::automatic when nothing fits.
Format detect_format(std::string_view head, bool at_eof);

// Converts one syslog line (RFC 5424 or RFC 3164, or anything: then {"message": line}) to a
// JSON object appended to `out`.
void syslog_line_to_json(std::string_view line, std::string& out);


}  // namespace lachan::io
