// Fuzz target: event XML → evtx_dump-shaped JSON. Any input must be either rejected with an
// Error or converted to JSON that parses (valid UTF-8 included); never a crash or a hang.
#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "io/evtx_reader.h"
#include "io/evtx_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view xml(reinterpret_cast<const char*>(data), size);
  auto json = lachan::io::evtx_xml_to_json(xml);
  if (!json) {
    if (json.error().message.empty()) std::abort();
    return 0;
  }
  static simdjson::dom::parser parser;
  simdjson::dom::element doc;
  auto err = parser.parse(simdjson::padded_string(*json)).get(doc);
  if (err != simdjson::SUCCESS) {
    std::fprintf(stderr, "invalid JSON (%s) from XML input:\n%.*s\n-> %s\n", simdjson::error_message(err),
                 static_cast<int>(size), reinterpret_cast<const char*>(data), json->c_str());
    std::abort();
  }
  // Tight limits exercise the limit paths too.
  lachan::io::evtx_xml::Limits small;
  small.max_depth = 4;
  small.max_attributes = 3;
  small.max_elements = 16;
  (void)lachan::io::evtx_xml::to_json(xml, small);
  return 0;
}
