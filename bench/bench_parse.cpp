// Parsing only: read NDJSON with the project's reader and parse every record with simdjson,
// touching nothing else. The ceiling for `lachan scan` on the same input.
// usage: bench_parse FILE
#include <simdjson.h>

#include <chrono>
#include <cstdio>

#include "io/reader.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: bench_parse FILE\n");
    return 2;
  }
  auto reader = lachan::io::open_reader(argv[1]);
  if (!reader.ok()) {
    std::fprintf(stderr, "bench_parse: %s\n", reader.error().message.c_str());
    return 1;
  }
  simdjson::dom::parser parser;
  lachan::io::RecordBatch batch;
  uint64_t events = 0, bad = 0, fields = 0;
  auto t0 = std::chrono::steady_clock::now();
  while (true) {
    auto more = (*reader)->next(batch, 1024);
    if (!more.ok()) return 1;
    for (const auto& r : batch.records) {
      simdjson::dom::element doc;
      auto text = batch.text(r);
      if (parser.parse(text.data(), text.size(), false).get(doc)) {
        ++bad;
        continue;
      }
      ++events;
      fields += doc.is_object();
    }
    if (!*more) break;
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("parse-only: %llu events in %.3f s: %.0f events/s (%llu invalid)\n",
              static_cast<unsigned long long>(events), s, events / s, static_cast<unsigned long long>(bad));
  return fields == events ? 0 : 1;
}
