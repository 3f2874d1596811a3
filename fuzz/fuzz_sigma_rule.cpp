// Fuzzes the whole Sigma rule loader: YAML → rule/correlation/filter parsing → compilation
// against a small log-source mapping → (if anything loaded) matching one fixed event.
// Invariants: no crash, no leak, every diagnostic has a code, load() always returns a ruleset.
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "detect/flatten.h"
#include "sigma/ruleset.h"

namespace {

constexpr const char* kMapping = R"(name: fuzz
logsources:
  - match: {product: windows, category: process_creation}
    variants:
      - name: sysmon
        when: {Channel: Microsoft-Windows-Sysmon/Operational, EventID: 1}
      - name: security-4688
        when: {Channel: Security, EventID: 4688}
        fields:
          Image: NewProcessName
  - match: {product: linux}
    when: {hostname|exists: true, message|exists: true}
)";

constexpr const char* kEvent =
    R"({"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},)"
    R"("EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"ws01",)"
    R"("TimeCreated":{"#attributes":{"SystemTime":"2024-03-01T10:00:00.000Z"}}},)"
    R"("EventData":{"Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd.exe /c whoami /all",)"
    R"("ParentImage":"C:\\Windows\\explorer.exe","User":"CORP\\alice","IntegrityLevel":"High",)"
    R"("ProcessId":4242,"Hashes":"SHA256=00AA,MD5=11BB","DestinationIp":"10.1.2.3","Tags":["a","b"]}}})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;  // big inputs only slow the fuzzer down
  using namespace lachan;
  sigma::RulesetOptions o;
  o.rule_texts = {{"fuzz.yml", std::string(reinterpret_cast<const char*>(data), size)}};
  o.mapping_text = kMapping;
  o.use_prefilter = (size % 2) == 0;  // both the prefiltered and the plain path
  sigma::Diagnostics diags;
  sigma::LoadStats st;
  auto rs = sigma::Ruleset::load(o, diags, st);
  if (!rs) std::abort();
  for (const auto& d : diags.items())
    if (d.code.empty()) std::abort();
  if (st.rules_loaded == 0) return 0;

  detect::Flattener flat(rs->fields(), rs->needs_keyword_values(), rs->has_event_paths());
  simdjson::padded_string json{std::string_view(kEvent)};
  Event ev;
  auto ok = flat.flatten(std::string_view(json.data(), json.size()), ev);
  if (!ok.ok()) std::abort();  // the fixed event is valid JSON
  sigma::MatchContext ctx(*rs);
  std::vector<uint32_t> hits;
  rs->match(ev, ctx, hits);
  for (uint32_t ci : hits)
    if (rs->compiled(ci).rule >= rs->rules().size()) std::abort();
  return 0;
}
