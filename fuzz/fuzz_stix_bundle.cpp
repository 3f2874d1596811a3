// Fuzzes STIX 2.1 import (bundles, TAXII envelopes, single objects: untrusted). Invariants: the
// importer accepts or rejects with a message; what it accepts exports to a bundle that imports
// again with the same indicators (ref, terms, TLP, confidence, tags, ATT&CK ids, kill chain,
// revocation, validity).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "intel/stix_export.h"
#include "intel/stix_import.h"

using namespace lachan::intel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ImportOptions opts;
  opts.max_objects = 1000;
  auto b = import_stix(text, opts);
  if (!b) {
    if (b.error().message.empty()) std::abort();
    return 0;
  }
  auto again = import_stix(export_stix_bundle(b->indicators, b->objects), {});
  if (!again || again->indicators.size() != b->indicators.size()) std::abort();
  for (size_t i = 0; i < b->indicators.size(); ++i) {
    const Indicator& x = b->indicators[i];
    const Indicator& y = again->indicators[i];
    if (x.ref != y.ref || x.any_of != y.any_of || x.tlp != y.tlp || x.confidence != y.confidence ||
        x.tags != y.tags || x.attack != y.attack || x.kill_chain != y.kill_chain || x.revoked != y.revoked ||
        (x.valid_from_ms && x.valid_from_ms != y.valid_from_ms))
      std::abort();
  }
  return 0;
}
