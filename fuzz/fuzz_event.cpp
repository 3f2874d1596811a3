// Fuzzes event flattening and rule evaluation: the bytes are one JSON record (with simdjson
// padding), flattened against a fixed ruleset (field, keyword, regex, CIDR, numeric and
// Windows-path rules, built once) and matched. Invalid JSON must be rejected with a message.
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "detect/flatten.h"
#include "sigma/ruleset.h"

namespace {

using namespace lachan;

constexpr const char* kRules = R"(title: Whoami execution
id: 6f0d4c8e-1a2b-4c3d-8e9f-000000000001
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\whoami.exe'
  filter:
    User|startswith: 'NT AUTHORITY\'
  condition: selection and not filter
level: medium
---
title: Encoded PowerShell
id: 6f0d4c8e-1a2b-4c3d-8e9f-000000000002
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: [powershell.exe, pwsh.exe]
    CommandLine|contains|all: [' -e', 'JAB']
  condition: selection
level: high
---
title: Keyword mimikatz
id: 6f0d4c8e-1a2b-4c3d-8e9f-000000000003
logsource: {product: any}
detection:
  keywords:
    - 'sekurlsa::logonpasswords'
    - 'mimikatz'
  condition: keywords
level: high
---
title: Regex DGA-like domain
id: 6f0d4c8e-1a2b-4c3d-8e9f-000000000004
logsource: {category: dns}
detection:
  selection:
    query|re: '^[a-z0-9]{20,}\.(com|net|xyz)$'
  condition: selection
level: low
---
title: Internal destination and port
id: 6f0d4c8e-1a2b-4c3d-8e9f-000000000005
logsource: {product: any}
detection:
  net:
    dest_ip|cidr: ['10.0.0.0/8', 'fd00::/8']
  port:
    dest_port|gte: 4444
  b64:
    payload|base64offset|contains: 'http'
  nul:
    alert.signature: null
  has_dest:
    dest_ip|exists: true
  condition: (net and port) or b64 or (1 of nul* and has_dest)
level: medium
---
title: Sshd failures
id: 6f0d4c8e-1a2b-4c3d-8e9f-000000000006
logsource: {product: linux, service: sshd}
detection:
  selection:
    message|contains: 'Failed password'
  condition: selection
level: low
)";

constexpr const char* kMapping = R"(name: fuzz
logsources:
  - match: {product: windows, category: process_creation}
    when: {Channel: Microsoft-Windows-Sysmon/Operational, EventID: 1}
  - match: {category: dns}
    variants:
      - when: {event_type: dns}
        fields: {query: dns.rrname}
      - when: {query|exists: true}
  - match: {product: linux, service: sshd}
    when: {app_name: sshd}
)";

struct Fixture {
  std::shared_ptr<const sigma::Ruleset> rs;
  Fixture() {
    sigma::RulesetOptions o;
    o.rule_texts = {{"fuzz_event_rules.yml", kRules}};
    o.mapping_text = kMapping;
    sigma::Diagnostics diags;
    sigma::LoadStats st;
    rs = sigma::Ruleset::load(o, diags, st);
    if (!rs || st.rules_loaded != 6 || diags.error_count() != 0) {
      for (const auto& d : diags.items()) std::fprintf(stderr, "%s\n", sigma::format_diagnostic(d).c_str());
      std::abort();  // the fixed ruleset must load completely
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fx;  // built once
  static detect::Flattener flat(fx.rs->fields(), fx.rs->needs_keyword_values(), fx.rs->has_event_paths());
  static sigma::MatchContext ctx(*fx.rs);
  // A fresh buffer of exactly `size` bytes plus simdjson's padding, so reads past the record are
  // caught by ASan if the padding is not honoured.
  std::unique_ptr<char[]> buf(new char[size + simdjson::SIMDJSON_PADDING]);
  if (size) std::memcpy(buf.get(), data, size);
  std::memset(buf.get() + size, 0, simdjson::SIMDJSON_PADDING);
  Event ev;
  auto ok = flat.flatten(std::string_view(buf.get(), size), ev);
  if (!ok.ok()) {
    if (ok.error().message.empty()) std::abort();
    return 0;
  }
  std::vector<uint32_t> hits;
  fx.rs->match(ev, ctx, hits);
  for (size_t i = 0; i < hits.size(); ++i) {
    if (fx.rs->compiled(hits[i]).rule >= fx.rs->rules().size()) std::abort();
    if (i > 0 && fx.rs->compiled(hits[i]).rule <= fx.rs->compiled(hits[i - 1]).rule) std::abort();  // rule order, one each
  }
  return 0;
}
