// Fuzzes feed definitions (TOML files an operator edits, or uploads through the API): parse or
// reject with invalid_config and a message naming the origin; what parses is consistent (a name,
// url or file, a known format) and can parse a small fixed body without crashing.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "intel/feed.h"

using namespace lachan::intel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto d = parse_feed_definition(text, "fuzz.toml");
  if (!d) {
    if (d.error().code != lachan::Errc::invalid_config || d.error().message.rfind("fuzz.toml", 0) != 0) std::abort();
    return 0;
  }
  if (d->name.empty() || d->url.empty() == d->file.empty()) std::abort();
  if (d->max_invalid_ratio < 0 || d->max_invalid_ratio > 1 || d->confidence > 100) std::abort();
  static const std::string body =
      "# comment\nStart,value,type,tags,seen\n198.51.100.0,24,ip,a b,2024-01-01\nevil.example,x,domain,,1700000000\n"
      "\"q,uoted\",\"x\"\"y\",url,,\n{\"v\": \"198.51.100.7\", \"t\": [\"x\"]}\nhxxp://evil[.]example/a\n";
  auto r = parse_feed(d.value(), body, 1);
  if (!r && r.error().message.empty()) std::abort();
  return 0;
}
