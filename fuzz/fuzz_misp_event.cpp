// Fuzzes MISP event import (events come from other organisations' MISP instances and feeds:
// untrusted). Invariants: an accepted event yields indicators whose observables are in normal
// form and whose pattern is generated from them, one report per event, refs in the report; and
// exporting the indicators and importing the export gives back the same observables.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "intel/misp.h"
#include "intel/stix_export.h"
#include "intel/stix_pattern.h"

using namespace lachan::intel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ImportOptions opts;
  opts.max_objects = 10'000;
  auto r = import_misp_event(text, opts);
  if (!r) {
    if (r.error().message.empty()) std::abort();
    return 0;
  }
  if (r->objects.empty() && !r->indicators.empty()) std::abort();
  for (const auto& i : r->indicators) {
    if (i.any_of.empty() || i.pattern != pattern_for(i.any_of) || i.ref.rfind("misp-attribute--", 0) != 0)
      std::abort();
    for (const auto& conj : i.any_of)
      for (const auto& o : conj)
        if (normalise(o.type, o.value) != o.value) std::abort();
  }
  auto again = import_misp_event(export_misp_event(r->indicators, "fuzz"), opts);
  if (!again || again->indicators.size() != r->indicators.size()) std::abort();
  // JA4 travels in a ja4-plus object, read after the event's attributes: compare without order.
  auto key = [](const ImportBatch& b) {
    std::vector<std::pair<std::string, Tlp>> v;
    for (const auto& i : b.indicators) v.emplace_back(i.pattern, i.tlp);
    std::sort(v.begin(), v.end());
    return v;
  };
  if (key(*again) != key(*r)) std::abort();
  return 0;
}
