// Fuzzes MISP warning-list parsing (lists are downloaded from upstream or written by operators)
// and lookups. Invariants: a list that parses compiles, or is refused with a message; every
// string, hostname and cidr entry is listed under the value types its list applies to (in their
// normal form; a network by its own address); lookups of arbitrary values do not crash.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "intel/warninglist.h"

using namespace lachan::intel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto wl = parse_warninglist(text, "fuzz");
  if (!wl) {
    if (wl.error().message.empty()) std::abort();
    return 0;
  }
  WarningList copy = *wl;
  auto set = WarningListSet::build({std::move(*wl)});
  if (!set) {
    if (set.error().message.empty()) std::abort();
    return 0;
  }
  size_t n = 0;
  for (const auto& e : copy.entries) {
    if (++n > 64) break;
    for (unsigned t = 0; t <= static_cast<unsigned>(ValueType::file_name); ++t) {
      auto type = static_cast<ValueType>(t);
      auto v = normalise(type, e);
      if (!v) {
        (void)set->listed(type, e);
        continue;
      }
      auto hit = set->listed(type, *v);
      bool must = false;
      if (copy.applies_to(type)) {
        switch (copy.kind) {
          case WarningList::Kind::string:
            must = true;
            break;
          case WarningList::Kind::hostname:
            must = type == ValueType::domain;
            break;
          case WarningList::Kind::cidr:
            must = type == ValueType::ip;
            break;
          default:
            break;
        }
      }
      if (must && hit != std::string_view(copy.name)) std::abort();
    }
  }
  for (std::string_view probe :
       {"8.8.8.8", "10.0.0.0/8", "2001:db8::1", "example.com", "https://a.example/x", "a@b.example"})
    for (unsigned t = 0; t <= static_cast<unsigned>(ValueType::file_name); ++t)
      (void)set->listed(static_cast<ValueType>(t), probe);
  return 0;
}
