// Internal: the stream readers, one per format (see reader.h for the contract).
#pragma once

#include <memory>

#include "io/source.h"

namespace lachan::io {

std::unique_ptr<RecordReader> make_ndjson_reader(std::unique_ptr<ByteSource> src, const ReaderOptions& o,
                                                 const ReaderTuning& t);
std::unique_ptr<RecordReader> make_json_concat_reader(std::unique_ptr<ByteSource> src, const ReaderOptions& o,
                                                      const ReaderTuning& t);
std::unique_ptr<RecordReader> make_json_array_reader(std::unique_ptr<ByteSource> src, const ReaderOptions& o,
                                                     const ReaderTuning& t);
std::unique_ptr<RecordReader> make_syslog_reader(std::unique_ptr<ByteSource> src, const ReaderOptions& o,
                                                 const ReaderTuning& t);
std::unique_ptr<RecordReader> make_csv_reader(std::unique_ptr<ByteSource> src, const ReaderOptions& o,
                                              const ReaderTuning& t);

inline std::string too_long_reason(size_t max) {
  return "record longer than " + std::to_string(max) + " bytes";
}

}  // namespace lachan::io
