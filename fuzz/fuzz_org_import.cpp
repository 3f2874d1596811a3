// Fuzzes organisation import (JSON and CSV, constituency/org_io.h), validation and the snapshot
// build. Invariants: whatever imports exports again and reads back the same; a set that
// validates builds; lookups of arbitrary names never crash.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "constituency/constituency.h"
#include "constituency/org_io.h"
#include "constituency/validate.h"

using namespace lachan::constituency;
using lachan::store::Organisation;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool same(const Organisation& a, const Organisation& b) {
  if (a.contacts.size() != b.contacts.size()) return false;
  for (size_t i = 0; i < a.contacts.size(); ++i) {
    const auto &x = a.contacts[i], &y = b.contacts[i];
    if (x.name != y.name || x.email != y.email || x.phone != y.phone || x.role != y.role) return false;
  }
  return a.id == b.id && a.name == b.name && a.kind == b.kind && a.parent == b.parent && a.province == b.province &&
         a.sectors == b.sectors && a.criticality == b.criticality && a.it_providers == b.it_providers &&
         a.networks == b.networks && a.asns == b.asns && a.domains == b.domains && a.hosts == b.hosts;
}

void same_sets(const std::vector<Organisation>& a, const std::vector<Organisation>& b) {
  check(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) check(same(a[i], b[i]));
}

const Reference& reference() {
  static const Reference ref = [] {
    auto r = parse_reference(
        R"({"units":[{"id":"ha-noi","code":"01","name":"Ha Noi","name_vi":"Hà Nội","kind":"city"},
                     {"id":"hue","code":"46","name":"Hue","name_vi":"Huế","kind":"city"}]})",
        R"({"sectors":[{"id":"energy","name":"Energy","name_vi":"Năng lượng"},
                       {"id":"banking","name":"Banking","name_vi":"Ngân hàng"}]})");
    check(r.ok());
    return std::move(r).value();
  }();
  return ref;
}

void exercise(const std::vector<Organisation>& orgs, const std::string& input) {
  auto again = parse_orgs_json(write_orgs_json(orgs));
  check(again.ok());
  same_sets(orgs, *again);
  if (auto csv = write_orgs_csv(orgs)) {
    auto back = parse_orgs_csv(*csv);
    check(back.ok());
    same_sets(orgs, *back);
  }
  const bool valid = validate(orgs, reference()).empty();
  auto c = Constituency::build(orgs, reference());
  check(c.ok() == valid);
  if (!c) return;
  const std::string_view probe(input.data(), std::min<size_t>(input.size(), 300));
  (void)(*c)->owner_of_ip(probe);
  (void)(*c)->owner_of_domain(probe);
  (void)(*c)->owner_of_host(probe);
  for (const auto& o : orgs) {
    check(!(*c)->routes(o.id).empty());
    for (const auto& n : o.networks) {
      const auto* owner = (*c)->owner_of_ip(n.substr(0, n.find('/')));
      check(owner != nullptr);
    }
    for (const auto& d : o.domains) check((*c)->owner_of_domain(d) != nullptr);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::vector<Problem> problems;
  if (auto orgs = parse_orgs_json(input, &problems)) {
    check(problems.empty());
    exercise(*orgs, input);
  } else {
    check(!problems.empty() || orgs.error().code == lachan::Errc::limit);
  }
  if (auto orgs = parse_orgs_csv(input)) exercise(*orgs, input);
  return 0;
}
