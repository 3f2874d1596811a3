// Fuzzes the Sigma condition parser. Any text is either parsed or rejected with a message;
// never a crash, a hang or unbounded recursion.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sigma/condition.h"

namespace {

// Walks the tree: every node kind is one the grammar produces, and `of` nodes have a pattern.
size_t check(const lachan::sigma::CondExpr& e, int depth) {
  using K = lachan::sigma::CondExpr;
  if (depth > 100000) std::abort();
  size_t n = 1;
  switch (e.kind) {
    case K::ref:
      if (e.name.empty() || !e.children.empty()) std::abort();
      break;
    case K::of:
      if (e.name.empty()) std::abort();
      break;
    case K::op_not:
      if (e.children.size() != 1) std::abort();
      break;
    case K::op_and:
    case K::op_or:
      if (e.children.empty()) std::abort();
      break;
  }
  for (const auto& c : e.children) n += check(c, depth + 1);
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = lachan::sigma::parse_condition(text);
  if (r.ok()) {
    check(*r, 0);
  } else if (r.error().message.empty()) {
    std::abort();
  }
  // Identifier wildcard matching with the input split into pattern and name.
  const size_t half = size / 2;
  (void)lachan::sigma::identifier_matches(text.substr(0, half), text.substr(half));
  return 0;
}
