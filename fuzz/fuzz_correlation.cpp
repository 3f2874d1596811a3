// Fuzzes the Sigma correlation rule parser and, for rules it accepts, the streaming engine with
// a few synthetic inputs derived from the remaining bytes.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sigma/correlation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lachan::sigma;
  std::string text(reinterpret_cast<const char*>(data), size);
  // Documents are split on "---" lines and loaded one by one: YAML::LoadAll of yaml-cpp 0.7
  // never returns on some inputs (e.g. ",tinutlutl: F: F", kept in the corpus), YAML::Load does.
  std::vector<YAML::Node> docs;
  size_t start = 0;
  while (start <= text.size() && docs.size() < 16) {
    size_t end = text.find("\n---", start);
    std::string part = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    try {
      docs.push_back(YAML::Load(part));
    } catch (const std::exception&) {
      // yaml-cpp throws on malformed YAML
    }
    if (end == std::string::npos) break;
    start = end + 4;
  }
  std::vector<CorrelationRule> rules;
  for (const auto& doc : docs) {
    Diagnostics diags;
    std::optional<CorrelationRule> r;
    try {
      r = parse_correlation(doc, "fuzz.yml", diags);
    } catch (const YAML::Exception&) {
      continue;  // yaml-cpp may throw on odd node access; the loader catches it the same way
    }
    for (const auto& d : diags.items())
      // Every problem has a code, and a place unless the document itself is empty.
      if (d.code.empty() || (d.line == 0 && d.code != "invalid-rule-document")) __builtin_trap();
    if (r) {
      if (r->rules.empty() || r->timespan_ns <= 0) __builtin_trap();
      rules.push_back(std::move(*r));
    }
  }
  if (rules.empty() || rules.size() > 16) return 0;
  Diagnostics refs;
  check_correlation_references(rules, refs);

  CorrelationLimits lim;
  lim.max_entries_per_group = 64;
  lim.max_entries_total = 256;
  auto sat = [](int64_t a, int64_t b) {
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
  };
  const int64_t tol = static_cast<int64_t>(size % 7) * (rules[0].timespan_ns / 8);
  CorrelationEngine engine(rules, tol, lim);
  std::vector<CorrelationHit> hits;
  const char* values[] = {"1", "2", "x", "", "3.5", "-4"};
  int64_t ts = 0;
  for (size_t i = 0; i < size && i < 512; ++i) {
    const uint8_t b = data[i];
    const uint32_t c = b % rules.size();
    const auto& r = rules[c];
    CorrelationInput in;
    in.correlation = c;
    in.rule_pos = static_cast<uint32_t>((b >> 2) % r.rules.size());
    ts = sat(ts, static_cast<int64_t>(b % 5) * (r.timespan_ns / 5 + 1));
    if (b & 1) ts = sat(ts, -(tol / 2));
    in.ts_ns = ts;
    for (size_t g = 0; g < r.group_by.size(); ++g) in.group.push_back(std::string(1, static_cast<char>('a' + (b >> 5))));
    if (b % 11 == 0 && !in.group.empty()) in.group[0].reset();
    in.value = values[b % 6];
    in.event = i;
    engine.add(in, hits);
    if (engine.state_entries() > lim.max_entries_total) __builtin_trap();
  }
  engine.flush(hits);
  if (engine.state_entries() != 0) __builtin_trap();
  for (const auto& h : hits)
    if (h.events.empty() || h.first_ts_ns > h.last_ts_ns) __builtin_trap();
  return 0;
}
