// The log-source mapping (config/logsources/README.md): a rule meets only events of its log
// source, with field renames per variant; the most specific entries win; a rule whose log source
// no entry covers is evaluated on events no variant covers.
#include <gtest/gtest.h>

#include "sigma/logsource_map.h"
#include "sigma_test_util.h"

using namespace lachan::sigma;
using namespace lachan::sigma::test;

namespace {
const std::string kMapping = R"(
name: test
logsources:
  - match: {product: windows, category: process_creation}
    variants:
      - name: sysmon
        when: {Channel: Microsoft-Windows-Sysmon/Operational, EventID: 1}
      - name: security-4688
        when: {Channel: Security, EventID: 4688}
        fields:
          Image: NewProcessName
          ParentImage: ParentProcessName
  - match: {product: linux, category: process_creation}
    when: {Channel: Linux-Sysmon/Operational, EventID: 1}
  - match: {product: windows}
    when: {Channel|exists: true}
  - match: {product: windows, service: security}
    when: {Channel: Security}
)";

std::string rule(const std::string& title, const std::string& logsource, const std::string& sel) {
  return make_rule("  sel:\n" + sel + "  condition: sel\n", title, logsource);
}
const std::string kWinProc = "  product: windows\n  category: process_creation\n";
const std::string kLinuxProc = "  product: linux\n  category: process_creation\n";
}  // namespace

TEST(LogSourceMapping, RuleMeetsOnlyEventsOfItsLogSource) {
  Engine e({rule("win", kWinProc, "    Image|endswith: 'whoami.exe'\n"),
            rule("lin", kLinuxProc, "    Image|endswith: 'whoami.exe'\n")},
           kMapping);
  EXPECT_EQ(e.loaded().error_codes(), std::vector<std::string>{});
  EXPECT_EQ(e.titles(R"({"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Image":"C:\\whoami.exe"})"),
            std::vector<std::string>{"win"});
  EXPECT_EQ(e.titles(R"({"Channel":"Linux-Sysmon/Operational","EventID":1,"Image":"/tmp/whoami.exe"})"),
            std::vector<std::string>{"lin"});
  // Wrong EventID for either entry: neither rule is evaluated.
  EXPECT_TRUE(e.titles(R"({"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":3,"Image":"whoami.exe"})").empty());
  // No channel at all.
  EXPECT_TRUE(e.titles(R"({"Image":"whoami.exe"})").empty());
}

TEST(LogSourceMapping, WhenValuesCompareCaseInsensitivelyAsText) {
  Engine e(rule("win", kWinProc, "    Image|endswith: 'whoami.exe'\n"), kMapping);
  EXPECT_TRUE(e.fires(R"({"Channel":"microsoft-windows-sysmon/operational","EventID":"1","Image":"whoami.exe"})"));
}

TEST(LogSourceMapping, FieldRenamesApplyPerVariant) {
  Engine e(rule("win", kWinProc, "    Image|endswith: '\\whoami.exe'\n    ParentImage|endswith: '\\cmd.exe'\n"), kMapping);
  // Sysmon variant: the rule's own names.
  EXPECT_TRUE(e.fires(R"({"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,
      "Image":"C:\\Windows\\whoami.exe","ParentImage":"C:\\Windows\\cmd.exe"})"));
  // 4688: Image -> NewProcessName, ParentImage -> ParentProcessName.
  EXPECT_TRUE(e.fires(R"({"Channel":"Security","EventID":4688,
      "NewProcessName":"C:\\Windows\\whoami.exe","ParentProcessName":"C:\\Windows\\cmd.exe"})"));
  // The renames apply only through that variant: a 4688 event with Sysmon names does not match...
  EXPECT_FALSE(e.fires(R"({"Channel":"Security","EventID":4688,
      "Image":"C:\\Windows\\whoami.exe","ParentImage":"C:\\Windows\\cmd.exe"})"));
  // ...nor a Sysmon event with 4688 names.
  EXPECT_FALSE(e.fires(R"({"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,
      "NewProcessName":"C:\\Windows\\whoami.exe","ParentProcessName":"C:\\Windows\\cmd.exe"})"));
}

TEST(LogSourceMapping, RenameToAListMeansAnyOfTheFields) {
  const std::string mapping = R"(
logsources:
  - match: {product: zeek, service: conn}
    when: {_path: conn}
    fields:
      id.orig_h: [id.orig_h, id_orig_h]
)";
  Engine e(rule("z", "  product: zeek\n  service: conn\n", "    id.orig_h|cidr: 10.0.0.0/8\n"), mapping);
  EXPECT_TRUE(e.fires(R"({"_path":"conn","id.orig_h":"10.1.1.1"})"));
  EXPECT_TRUE(e.fires(R"({"_path":"conn","id_orig_h":"10.1.1.1"})"));
  EXPECT_FALSE(e.fires(R"({"_path":"conn","id_orig_h":"8.8.8.8"})"));
  EXPECT_FALSE(e.fires(R"({"_path":"dns","id_orig_h":"10.1.1.1"})"));
}

// README: "Among the applicable entries, only the most specific are used".
TEST(LogSourceMapping, MostSpecificEntryWins) {
  Engine e({rule("proc", kWinProc, "    Marker: x\n"), rule("new-category", "  product: windows\n  category: something_new\n", "    Marker: x\n")},
           kMapping);
  // process_creation uses its 2-key entry, not the {product: windows} fallback.
  EXPECT_EQ(e.titles(R"({"Channel":"System","Marker":"x"})"), std::vector<std::string>{"new-category"});
  EXPECT_EQ(e.titles(R"({"Channel":"Security","EventID":4688,"Marker":"x"})"),
            (std::vector<std::string>{"proc", "new-category"}));

  LogSourceMap map;
  Diagnostics d;
  ASSERT_TRUE(map.load_text(kMapping, "m", d));
  LogSource ls;
  ls.product = "windows";
  ls.category = "process_creation";
  auto vars = map.variants_for(ls);
  ASSERT_EQ(vars.size(), 2u);
  EXPECT_EQ(vars[0]->name, "windows/process_creation/sysmon");
  EXPECT_EQ(vars[1]->name, "windows/process_creation/security-4688");
  ls.category = "something_new";
  ASSERT_EQ(map.variants_for(ls).size(), 1u);
  ls.category.clear();
  ls.service = "security";
  ASSERT_EQ(map.variants_for(ls).size(), 1u);
  EXPECT_EQ(map.variants_for(ls)[0]->when[0].values, std::vector<std::string>{"security"});
  ls.product = "macos";
  EXPECT_TRUE(map.variants_for(ls).empty());
}

TEST(LogSourceMapping, EntryKeysTheRuleLacksMakeItNotApply) {
  LogSourceMap map;
  Diagnostics d;
  ASSERT_TRUE(map.load_text(kMapping, "m", d));
  LogSource only_category;
  only_category.category = "process_creation";
  EXPECT_TRUE(map.variants_for(only_category).empty());
}

// README: "A rule with no applicable entry is evaluated against every event" — Lachan: every
// event that no variant covers.
TEST(LogSourceMapping, UnmappedRuleSeesOnlyUncoveredEvents) {
  Engine e({rule("okta", "  product: okta\n  service: okta\n", "    eventType: user.session.start\n"),
            rule("win", kWinProc, "    eventType: user.session.start\n")},
           kMapping);
  EXPECT_EQ(e.loaded().stats.unmapped_rules, 1u);
  EXPECT_EQ(e.titles(R"({"eventType":"user.session.start"})"), std::vector<std::string>{"okta"});
  // Covered by a windows variant: the unmapped rule is not evaluated there.
  EXPECT_EQ(e.titles(R"({"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"eventType":"user.session.start"})"),
            std::vector<std::string>{"win"});
}

TEST(LogSourceMapping, WithoutAMappingEveryRuleSeesEveryEvent) {
  Engine e({rule("win", kWinProc, "    Marker: x\n"), rule("lin", kLinuxProc, "    Marker: x\n")});
  EXPECT_EQ(e.titles(R"({"Marker":"x"})"), (std::vector<std::string>{"win", "lin"}));
}

TEST(LogSourceMapping, ExistsTestsInWhen) {
  const std::string mapping = R"(
logsources:
  - match: {product: okta}
    when: {eventType|exists: true, actor.id|exists: true, legacy|exists: false}
)";
  Engine e(rule("okta", "  product: okta\n", "    eventType: x\n"), mapping);
  EXPECT_TRUE(e.fires(R"({"eventType":"x","actor":{"id":"1"}})"));
  EXPECT_FALSE(e.fires(R"({"eventType":"x"})"));
  EXPECT_FALSE(e.fires(R"({"eventType":"x","actor":{"id":"1"},"legacy":1})"));
}

TEST(LogSourceMapping, ListOfWhenValuesIsAnyOf) {
  const std::string mapping = R"(
logsources:
  - match: {product: linux, service: auth}
    when: {facility: [auth, authpriv, 4, 10]}
)";
  Engine e(rule("auth", "  product: linux\n  service: auth\n", "    message|contains: 'Failed password'\n"), mapping);
  EXPECT_TRUE(e.fires(R"({"facility":"authpriv","message":"Failed password for root"})"));
  EXPECT_TRUE(e.fires(R"({"facility":4,"message":"Failed password for root"})"));
  EXPECT_FALSE(e.fires(R"({"facility":"daemon","message":"Failed password for root"})"));
}

TEST(LogSourceMapping, InvalidMappingsAreDiagnosed) {
  for (const char* bad : {"logsources: 3\n", "nothing: here\n",
                          "logsources:\n  - when: {a: 1}\n",
                          "logsources:\n  - match: {vendor: x}\n",
                          "logsources:\n  - match: {product: x}\n    when: [a]\n",
                          "logsources:\n  - match: {product: x}\n    when: {a|contains: b}\n"}) {
    LogSourceMap map;
    Diagnostics d;
    EXPECT_FALSE(map.load_text(bad, "m", d)) << bad;
    EXPECT_TRUE(d.has_code("invalid-mapping")) << bad;
  }
  LogSourceMap map;
  Diagnostics d;
  EXPECT_FALSE(map.load_text("logsources: [\n", "m", d));
  EXPECT_TRUE(d.has_code("yaml-syntax"));
}

TEST(LogSourceMapping, BundledMappingsLoadCleanly) {
  LogSourceMap map;
  Diagnostics d;
  EXPECT_TRUE(map.load({std::string(LACHAN_SOURCE_DIR) + "/config/logsources"}, d));
  EXPECT_EQ(d.error_count(), 0u);
  LogSource ls;
  ls.product = "windows";
  ls.category = "process_creation";
  EXPECT_FALSE(map.variants_for(ls).empty());
}

// Variants are found through an index on their first two value tests (here after an exists
// test): lists on both, values in arrays, and the remaining tests still checked.
TEST(LogSourceMapping, TwoValueTestsWithListsAndArrays) {
  const std::string mapping = R"(
logsources:
  - match: {product: p}
    when: {host|exists: true, kind: [a, b], code: [1, 2], zone: z}
)";
  Engine e(rule("p", "  product: p\n", "    msg: x\n"), mapping);
  EXPECT_TRUE(e.fires(R"({"host":"h","kind":"B","code":2,"zone":"z","msg":"x"})"));
  EXPECT_TRUE(e.fires(R"({"host":"h","kind":["c","a"],"code":[3,1],"zone":"z","msg":"x"})"));
  EXPECT_FALSE(e.fires(R"({"host":"h","kind":"a","code":3,"zone":"z","msg":"x"})"));
  EXPECT_FALSE(e.fires(R"({"host":"h","kind":"c","code":1,"zone":"z","msg":"x"})"));
  EXPECT_FALSE(e.fires(R"({"kind":"a","code":1,"zone":"z","msg":"x"})"));
  EXPECT_FALSE(e.fires(R"({"host":"h","kind":"a","code":1,"zone":"y","msg":"x"})"));
}
