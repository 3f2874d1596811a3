// Validation of a whole set: every problem is found at once, with the code for its kind.
#include <gtest/gtest.h>

#include <algorithm>

#include "constituency/validate.h"
#include "fixtures.h"

using namespace lachan;
using namespace lachan::constituency;
using namespace lachan::constituency::fixtures;
using K = store::OrgKind;

namespace {

bool has(const std::vector<Problem>& ps, std::string_view org, std::string_view field, Errc code) {
  return std::any_of(ps.begin(), ps.end(),
                     [&](const Problem& p) { return p.org_id == org && p.field == field && p.code == code; });
}

std::string dump(const std::vector<Problem>& ps) {
  std::string s;
  for (const auto& p : ps) s += format(p) + "\n";
  return s;
}

}  // namespace

TEST(Validate, SmallSetIsConsistent) {
  auto ps = validate(small_set(), shipped_reference());
  EXPECT_TRUE(ps.empty()) << dump(ps);
}

TEST(Validate, CollectsAllProblems) {
  auto orgs = small_set();
  orgs[8].province = "ha-tay";
  orgs[8].sectors.push_back("tourism");
  orgs[8].criticality = 7;
  orgs[8].networks = {"14.160.32.0/33", "14.160.32.1/24", "14.160.0.0/16"};  // bad, host bits, cloudvn's
  orgs[8].domains = {"VCB.com.vn", "vn", "cloudvn.vn"};
  orgs[8].hosts = {"core01.vcb.com.vn", "core01.vcb.com.vn"};
  orgs[8].asns = {131353};
  orgs[8].it_providers = {"nobody"};
  orgs[8].contacts.push_back({"", "", "", "x"});
  orgs[8].contacts.push_back({"A", "a.example.vn", "", ""});
  orgs[9].parent = "ghost";
  orgs.push_back(org("vcb", K::enterprise, "ncsc"));  // same id
  orgs.push_back(org("Bad Id", K::enterprise, "ncsc"));
  orgs.push_back(org("ca-ha-noi-2", K::provincial_unit, "ncsc", "ha-noi"));
  orgs.push_back(org("ncsc-2", K::national_centre, ""));
  orgs.push_back(org("csirt-x", K::sector_team, "ncsc"));
  orgs.push_back(org("ca-x", K::provincial_unit, "ncsc"));
  auto ps = validate(orgs, shipped_reference());
  const std::string d = dump(ps);
  EXPECT_TRUE(has(ps, "vcb", "province", Errc::not_found)) << d;
  EXPECT_TRUE(has(ps, "vcb", "sectors[1]", Errc::not_found)) << d;
  EXPECT_TRUE(has(ps, "vcb", "criticality", Errc::invalid_config)) << d;
  EXPECT_TRUE(has(ps, "vcb", "networks[0]", Errc::malformed)) << d;
  EXPECT_TRUE(has(ps, "vcb", "networks[1]", Errc::malformed)) << d;
  // A clash is reported at the later declaration (cloudvn comes after vcb).
  EXPECT_TRUE(has(ps, "cloudvn", "networks[0]", Errc::conflict)) << d;
  EXPECT_TRUE(has(ps, "vcb", "domains[0]", Errc::malformed)) << d;
  EXPECT_TRUE(has(ps, "vcb", "domains[1]", Errc::malformed)) << d;
  EXPECT_TRUE(has(ps, "cloudvn", "domains[0]", Errc::conflict)) << d;
  EXPECT_TRUE(has(ps, "vcb", "hosts[1]", Errc::conflict)) << d;
  EXPECT_TRUE(has(ps, "cloudvn", "asns[0]", Errc::conflict)) << d;
  EXPECT_TRUE(has(ps, "vcb", "it_providers[0]", Errc::not_found)) << d;
  EXPECT_TRUE(has(ps, "vcb", "contacts[1]", Errc::malformed)) << d;
  EXPECT_TRUE(has(ps, "vcb", "contacts[2].email", Errc::malformed)) << d;
  EXPECT_TRUE(has(ps, "cloudvn", "parent", Errc::not_found)) << d;
  EXPECT_TRUE(has(ps, "vcb", "id", Errc::conflict)) << d;
  EXPECT_TRUE(has(ps, "Bad Id", "id", Errc::malformed)) << d;
  EXPECT_TRUE(has(ps, "ca-ha-noi-2", "province", Errc::conflict)) << d;
  EXPECT_TRUE(has(ps, "ncsc-2", "kind", Errc::conflict)) << d;
  EXPECT_TRUE(has(ps, "csirt-x", "sectors", Errc::invalid_config)) << d;
  EXPECT_TRUE(has(ps, "ca-x", "province", Errc::invalid_config)) << d;
  // The nested, distinct prefix of another org is fine: longest prefix wins.
  EXPECT_FALSE(has(ps, "kho-bac-dn", "networks[0]", Errc::conflict)) << d;
}

TEST(Validate, NeedsExactlyOneNationalCentre) {
  auto orgs = small_set();
  orgs.erase(orgs.begin());
  for (auto& o : orgs)
    if (o.parent == "ncsc") o.parent.clear();
  auto ps = validate(orgs, shipped_reference());
  EXPECT_TRUE(has(ps, "", "kind", Errc::invalid_config)) << dump(ps);
  orgs = small_set();
  orgs[0].parent = "vcb";
  ps = validate(orgs, shipped_reference());
  EXPECT_TRUE(has(ps, "ncsc", "parent", Errc::invalid_config)) << dump(ps);
}

TEST(Validate, FindsEachCycleOnce) {
  auto orgs = small_set();
  orgs[5].parent = "kho-bac-dn";  // bo-tai-chinh -> kho-bac-dn -> kho-bac -> bo-tai-chinh
  orgs.push_back(org("self", K::enterprise, "self"));
  auto ps = validate(orgs, shipped_reference());
  const auto cycles = std::count_if(
      ps.begin(), ps.end(), [](const Problem& p) { return p.field == "parent" && p.code == Errc::invalid_config; });
  EXPECT_EQ(cycles, 2) << dump(ps);
  EXPECT_TRUE(has(ps, "bo-tai-chinh", "parent", Errc::invalid_config)) << dump(ps);
  EXPECT_TRUE(has(ps, "self", "parent", Errc::invalid_config)) << dump(ps);
}
