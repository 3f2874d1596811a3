// Fuzzes STIX 2.1 patterns (they come from STIX, TAXII and MISP feeds: untrusted). Invariants:
// parse_pattern accepts or rejects with a message; of a parsed pattern, the indexable terms are
// normalised (normalising again changes nothing), strict mode fails only where lenient mode
// reported a rejected value, and each term's canonical pattern parses back to that term alone.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "intel/stix_pattern.h"

using namespace lachan::intel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto p = parse_pattern(text);
  if (!p) {
    if (p.error().message.empty()) std::abort();
    return 0;
  }
  std::vector<std::string> rejected;
  auto lenient = indexable_terms(*p, &rejected);
  auto strict = indexable_terms(*p);
  if (lenient.ok() && rejected.empty() != strict.ok()) std::abort();
  if (!lenient) {
    if (lenient.error().code != lachan::Errc::limit || strict.ok()) std::abort();
    return 0;
  }
  if (lenient->size() > kMaxPatternConjunctions) std::abort();
  for (const auto& conj : *lenient) {
    if (conj.empty()) std::abort();
    for (const auto& o : conj) {
      auto n = normalise(o.type, o.value);
      if (!n || *n != o.value) std::abort();
      auto back = parse_pattern(pattern_for(o));
      if (!back) std::abort();
      auto t = indexable_terms(*back);
      if (!t || t->size() != 1 || (*t)[0].size() != 1 || (*t)[0][0] != o) std::abort();
    }
  }
  return 0;
}
