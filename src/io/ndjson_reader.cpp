// NDJSON: one record per non-blank line, copied as is (the detector validates the JSON).
#include "io/readers.h"
#include "io/line_reader.h"

namespace lachan::io {

std::unique_ptr<RecordReader> make_ndjson_reader(std::unique_ptr<ByteSource> src, const ReaderOptions& o,
                                                 const ReaderTuning& t) {
  return make_line_reader(std::move(src), o, t, Format::ndjson,
                          [](std::string_view line, std::string& out) { out.append(line); });
}

}  // namespace lachan::io
