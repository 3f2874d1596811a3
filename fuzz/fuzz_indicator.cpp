// Fuzzes indicator values (they come from feeds, STIX and MISP: untrusted): the first byte picks
// the type, the rest is the value. Invariants: whatever normalise() accepts, the builder accepts
// and the index then finds by the same value (an address in it, for a network); normalising is
// idempotent.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "intel/indicator_index.h"

using namespace lachan::intel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  auto t = static_cast<ValueType>(data[0] % 10);
  std::string value(reinterpret_cast<const char*>(data + 1), size - 1);
  auto n = normalise(t, value);
  IndexBuilder b;
  auto added = b.add(t, value, 7);
  if (n.has_value() != added.ok()) std::abort();
  auto idx = b.build();
  if (n) {
    if (normalise(t, *n) != n) std::abort();
    // An address or network is found by an address inside it: its own, before any "/".
    std::string probe = t == ValueType::ip ? value.substr(0, value.find('/')) : value;
    if (idx->match(t, probe) != IndicatorId{7}) std::abort();
  } else if (idx->size() != 0) {
    std::abort();
  }
  (void)idx->match_domain(value);
  (void)idx->match_ip(value);
  return 0;
}
