// Sigma filters (specification/sigma-filters-specification.md): a filter document names rules
// (`rules`: ids or names, or `any`), has a `logsource` and a detection with a `condition`; its
// condition is ANDed onto the named rules' conditions (as pySigma applies it), so
// `condition: not selection` suppresses matches.
#include <gtest/gtest.h>

#include "sigma_test_util.h"

using namespace lachan::sigma::test;

namespace {
const std::string kRule =
    "title: Data Compressed\n"
    "id: 6f3e2987-db24-4c78-a860-b4f4095a7095\n"
    "name: data_compressed_rar\n"
    "logsource:\n  category: process_creation\n  product: windows\n"
    "detection:\n  selection:\n    Image|endswith: '\\rar.exe'\n  condition: selection\n";
const std::string kOtherRule =
    "title: Whoami\n"
    "id: 11111111-2222-3333-4444-555555555555\n"
    "logsource:\n  category: process_creation\n  product: windows\n"
    "detection:\n  selection:\n    Image|endswith: '\\whoami.exe'\n  condition: selection\n";
const std::string kLinuxRule =
    "title: Linux Whoami\n"
    "id: 99999999-2222-3333-4444-555555555555\n"
    "logsource:\n  category: process_creation\n  product: linux\n"
    "detection:\n  selection:\n    Image|endswith: '/whoami'\n  condition: selection\n";

std::string filter(const std::string& rules, const std::string& logsource = "  category: process_creation\n  product: windows\n",
                   const std::string& condition = "not selection") {
  return "title: Filter Administrator account\n"
         "description: The valid administrator account start with adm_\n"
         "logsource:\n" + logsource +
         "filter:\n  rules:\n" + rules + "  selection:\n    User|startswith: 'adm_'\n  condition: " + condition + "\n";
}

const char* kRarAdmin = R"({"Image":"C:\\Program Files\\WinRAR\\rar.exe","User":"adm_bob"})";
const char* kRarUser = R"({"Image":"C:\\Program Files\\WinRAR\\rar.exe","User":"bob"})";
const char* kWhoamiAdmin = R"({"Image":"C:\\Windows\\System32\\whoami.exe","User":"adm_bob"})";
const char* kLinuxAdmin = R"({"Image":"/usr/bin/whoami","User":"adm_bob"})";
}  // namespace

TEST(Filters, ByRuleIdSuppressesOnlyThatRule) {
  Engine e({kRule, kOtherRule, filter("    - 6f3e2987-db24-4c78-a860-b4f4095a7095\n")});
  EXPECT_EQ(e.loaded().error_codes(), std::vector<std::string>{});
  EXPECT_EQ(e.loaded().stats.filters, 1u);
  EXPECT_FALSE(e.fires(kRarAdmin));
  EXPECT_EQ(e.titles(kRarUser), std::vector<std::string>{"Data Compressed"});
  EXPECT_EQ(e.titles(kWhoamiAdmin), std::vector<std::string>{"Whoami"});  // not named by the filter
}

TEST(Filters, ByRuleName) {
  Engine e({kRule, kOtherRule, filter("    - data_compressed_rar\n")});
  EXPECT_FALSE(e.fires(kRarAdmin));
  EXPECT_TRUE(e.fires(kRarUser));
  EXPECT_TRUE(e.fires(kWhoamiAdmin));
}

TEST(Filters, RulesAnyAppliesToEveryRuleOfTheLogSource) {
  Engine e({kRule, kOtherRule, filter("    any\n")});
  EXPECT_FALSE(e.fires(kRarAdmin));
  EXPECT_FALSE(e.fires(kWhoamiAdmin));
  EXPECT_TRUE(e.fires(kRarUser));
}

TEST(Filters, RulesAsScalar) {
  std::string f = "title: f\nlogsource:\n  product: windows\nfilter:\n  rules: 6f3e2987-db24-4c78-a860-b4f4095a7095\n"
                  "  selection:\n    User|startswith: 'adm_'\n  condition: not selection\n";
  Engine e({kRule, f});
  EXPECT_FALSE(e.fires(kRarAdmin));
  EXPECT_TRUE(e.fires(kRarUser));
}

// A filter's log source must contain the rule's: windows/process_creation does not reach linux.
TEST(Filters, LogSourceContainment) {
  Engine e({kLinuxRule, kRule, filter("    any\n")});
  EXPECT_TRUE(e.fires(kLinuxAdmin));
  EXPECT_FALSE(e.fires(kRarAdmin));
  // A product-only filter covers every windows category, still not linux.
  Engine p({kLinuxRule, kRule, filter("    any\n", "  product: windows\n")});
  EXPECT_FALSE(p.fires(kRarAdmin));
  EXPECT_TRUE(p.fires(kLinuxAdmin));
  // A filter naming a linux rule by id but for windows logs does not apply to it.
  auto l = load_rules({kLinuxRule, filter("    - 99999999-2222-3333-4444-555555555555\n")});
  EXPECT_TRUE(has(l.codes(), "filter-unused"));
}

TEST(Filters, UnusedFilterWarns) {
  auto l = load_rules({kRule, filter("    - 00000000-0000-0000-0000-000000000000\n")});
  EXPECT_TRUE(has(l.codes(), "filter-unused"));
  EXPECT_EQ(l.error_codes(), std::vector<std::string>{});  // a warning, not an error
  for (const auto& d : l.diags.items())
    if (d.code == "filter-unused") {
      EXPECT_EQ(d.severity, lachan::sigma::Severity::warning);
    }
  EXPECT_EQ(l.rs->rules().size(), 1u);
}

// The filter's identifiers must not change what the rule's own `them` / patterns mean.
TEST(Filters, FilterIdentifiersDoNotJoinTheRulesThem) {
  std::string rule = "title: R\nid: r-1\nlogsource:\n  product: windows\n  category: process_creation\n"
                     "detection:\n  sel_a:\n    Image|endswith: '\\rar.exe'\n  selection:\n    CommandLine|contains: ' a '\n"
                     "  condition: all of them\n";
  Engine e({rule, filter("    - r-1\n")});
  EXPECT_TRUE(e.fires(R"({"Image":"C:\\rar.exe","CommandLine":"rar a x.rar","User":"bob"})"));
  EXPECT_FALSE(e.fires(R"({"Image":"C:\\rar.exe","CommandLine":"rar a x.rar","User":"adm_x"})"));
  EXPECT_FALSE(e.fires(R"({"Image":"C:\\rar.exe","User":"bob"})"));
}

TEST(Filters, SameIdentifierNamesInRuleAndFilterDoNotClash) {
  // Rule and filter both call their identifier `selection`.
  Engine e({kRule, filter("    - data_compressed_rar\n")});
  EXPECT_TRUE(e.fires(kRarUser));
  EXPECT_FALSE(e.fires(kRarAdmin));
}

TEST(Filters, ConditionListOfTheRuleIsFilteredEverywhere) {
  std::string rule = "title: R\nid: r-2\nlogsource:\n  product: windows\n"
                     "detection:\n  a:\n    A: 1\n  b:\n    B: 1\n  condition:\n    - a\n    - b\n";
  Engine e({rule, filter("    - r-2\n", "  product: windows\n")});
  EXPECT_TRUE(e.fires(R"({"A":1,"User":"bob"})"));
  EXPECT_FALSE(e.fires(R"({"A":1,"User":"adm_1"})"));
  EXPECT_FALSE(e.fires(R"({"B":1,"User":"adm_1"})"));
}

TEST(Filters, PositiveFilterConditionRestrictsTheRule) {
  // A condition without `not` is ANDed as written: only admin activity remains.
  Engine e({kRule, filter("    - data_compressed_rar\n", "  product: windows\n", "selection")});
  EXPECT_TRUE(e.fires(kRarAdmin));
  EXPECT_FALSE(e.fires(kRarUser));
}

TEST(Filters, FilterWithoutRulesIsAnError) {
  std::string f = "title: f\nlogsource:\n  product: windows\nfilter:\n  selection:\n    User: x\n  condition: not selection\n";
  auto l = load_rules({kRule, f});
  EXPECT_TRUE(has(l.error_codes(), "missing-filter-rules"));
}

TEST(Filters, FilterWithUnknownIdentifierIsAnError) {
  auto l = load_rules({kRule, filter("    any\n", "  product: windows\n", "not nothing")});
  EXPECT_TRUE(has(l.error_codes(), "unknown-identifier"));
}
