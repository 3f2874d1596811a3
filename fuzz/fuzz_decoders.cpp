// Fuzzes the source decoders: the first byte picks the source type (modulo the number of types;
// odd "pages" of 16 use zeek_conn and tight limits), the rest is a request body that is split
// and decoded. Invariants: every decoded event is a JSON object that simdjson accepts, lies
// inside the output buffer, and the decoder never crashes or loops.
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "parse/decoder.h"

using namespace lachan::parse;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto type = static_cast<SourceType>(data[0] % kSourceTypeCount);
  const bool variant = (data[0] / 16) % 2 == 1;
  std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  Source source{type, {}};
  if (type == SourceType::zeek && variant) source.zeek_log = "conn";
  Limits limits;
  if (variant) {
    limits.max_record_bytes = 64;
    limits.max_depth = 3;
    limits.max_fields = 4;
  }
  Decoder decoder(source, limits);
  std::string out;
  simdjson::dom::parser parser;
  size_t events = 0;
  decoder.decode_body(
      body, out,
      [&](const Decoded& d, uint64_t) {
        ++events;
        check(d.offset + d.length <= out.size());
        simdjson::padded_string text(out.data() + d.offset, d.length);
        simdjson::dom::element root;
        check(!parser.parse(text).get(root));
        check(root.is_object());
      },
      [&](uint64_t, const lachan::Error& e) { check(!e.message.empty()); });
  check(events <= body.size() + 1);
  return 0;
}
