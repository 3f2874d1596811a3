// Rules that break the specification are rejected with a stable diagnostic code (asserted here;
// never the message text), and loading goes on with the other rules.
#include <gtest/gtest.h>

#include "sigma_test_util.h"

using namespace lachan::sigma;
using namespace lachan::sigma::test;

namespace {
std::string sel(const std::string& lines) { return make_rule("  sel:\n" + lines + "  condition: sel\n"); }
// Error codes of loading one rule, and whether the rule was rejected.
std::vector<std::string> errors(const std::string& yaml, size_t* loaded = nullptr) {
  auto l = load_rules({yaml});
  if (loaded) *loaded = l.rs->rules().size();
  return l.error_codes();
}
}  // namespace

TEST(RuleDiagnostics, ValidRuleHasNoErrors) {
  size_t n = 0;
  EXPECT_EQ(errors(sel("    Image|endswith: '\\cmd.exe'\n"), &n), std::vector<std::string>{});
  EXPECT_EQ(n, 1u);
}

// Title: "Use: mandatory".
TEST(RuleDiagnostics, MissingTitle) {
  size_t n = 1;
  auto e = errors("logsource:\n  product: test\ndetection:\n  sel:\n    A: 1\n  condition: sel\n", &n);
  EXPECT_TRUE(has(e, "missing-title"));
  EXPECT_EQ(n, 0u);
}

// Level: "one of five string values".
TEST(RuleDiagnostics, InvalidLevel) {
  size_t n = 1;
  EXPECT_TRUE(has(errors(make_rule("  sel:\n    A: 1\n  condition: sel\n", "t", "  product: test\n", "level: severe\n"), &n),
                  "invalid-level"));
  EXPECT_EQ(n, 0u);
  for (const char* ok : {"informational", "low", "medium", "high", "critical"}) {
    auto l = load_rules({make_rule("  sel:\n    A: 1\n  condition: sel\n", "t", "  product: test\n", std::string("level: ") + ok + "\n")});
    EXPECT_EQ(l.error_codes(), std::vector<std::string>{}) << ok;
    ASSERT_EQ(l.rs->rules().size(), 1u);
    EXPECT_STREQ(level_name(l.rs->rules()[0].level), ok);
  }
}

TEST(RuleDiagnostics, MissingLogsourceDetectionCondition) {
  EXPECT_TRUE(has(errors("title: t\ndetection:\n  sel:\n    A: 1\n  condition: sel\n"), "missing-logsource"));
  EXPECT_TRUE(has(errors("title: t\nlogsource:\n  product: x\ndetection:\n  sel:\n    A: 1\n"), "missing-condition"));
  auto l = load_rules({"title: t\nlogsource:\n  product: x\n"});
  EXPECT_TRUE(has(l.error_codes(), "not-a-rule"));
}

TEST(RuleDiagnostics, UnknownModifier) {
  size_t n = 1;
  EXPECT_TRUE(has(errors(sel("    Image|endswidth: 'x'\n"), &n), "unknown-modifier"));
  EXPECT_EQ(n, 0u);
}

TEST(RuleDiagnostics, IncompatibleModifiers) {
  for (const char* mods : {"contains|startswith", "re|cidr", "re|contains", "cidr|base64", "gt|lt|re", "exists|contains",
                           "i", "base64offset|re"}) {
    size_t n = 1;
    auto e = errors(sel(std::string("    F|") + mods + ": '1'\n"), &n);
    EXPECT_TRUE(has(e, "incompatible-modifiers")) << mods;
    EXPECT_EQ(n, 0u) << mods;
  }
}

TEST(RuleDiagnostics, InvalidRegex) {
  size_t n = 1;
  EXPECT_TRUE(has(errors(sel("    CommandLine|re: '(unclosed'\n"), &n), "invalid-regex"));
  EXPECT_EQ(n, 0u);
}

TEST(RuleDiagnostics, InvalidCidr) {
  for (const char* v : {"10.0.0.0/33", "not-a-network", "10.0.0/8"}) {
    size_t n = 1;
    EXPECT_TRUE(has(errors(sel(std::string("    DestinationIp|cidr: '") + v + "'\n"), &n), "invalid-cidr")) << v;
    EXPECT_EQ(n, 0u);
  }
}

TEST(RuleDiagnostics, ExistsNeedsABoolean) {
  for (const char* v : {"'maybe'", "1", "null", "\n      - true\n      - false"}) {
    size_t n = 1;
    EXPECT_TRUE(has(errors(sel(std::string("    F|exists: ") + v + "\n"), &n), "invalid-exists")) << v;
    EXPECT_EQ(n, 0u) << v;
  }
}

TEST(RuleDiagnostics, NumericModifierNeedsANumber) {
  EXPECT_TRUE(has(errors(sel("    Count|gt: 'many'\n")), "invalid-number"));
}

TEST(RuleDiagnostics, EncodingAWildcardIsRejected) {
  EXPECT_TRUE(has(errors(sel("    P|base64: 'who*'\n")), "wildcard-in-encoded-value"));
}

TEST(RuleDiagnostics, ValueStructureErrors) {
  EXPECT_TRUE(has(errors(sel("    F:\n      a: b\n")), "invalid-value"));
  EXPECT_TRUE(has(errors(sel("    F: []\n")), "empty-value-list"));
  EXPECT_TRUE(has(errors(make_rule("  sel: {}\n  condition: sel\n")), "empty-selection"));
  EXPECT_TRUE(has(errors(make_rule("  sel:\n    - a\n    - B: 1\n  condition: sel\n")), "mixed-list"));
  EXPECT_TRUE(has(errors(make_rule("  sel:\n    - null\n  condition: sel\n")), "invalid-value"));
}

TEST(RuleDiagnostics, KeywordsTakeOnlyStringModifiers) {
  EXPECT_TRUE(has(errors(make_rule("  kw:\n    '|cidr': '10.0.0.0/8'\n  condition: kw\n")), "invalid-keyword-modifier"));
}

// A YAML syntax error is reported with the line it is on (1-based) and loading continues.
TEST(RuleDiagnostics, YamlSyntaxErrorWithLine) {
  std::string bad = "title: t\nlogsource:\n  product: x\ndetection:\n  sel:\n    A: [1, 2\n  condition: sel\n";
  auto l = load_rules({bad, sel("    A: 1\n")});
  bool found = false;
  for (const auto& d : l.diags.items())
    if (d.code == "yaml-syntax") {
      found = true;
      EXPECT_EQ(d.file, "rule0.yml");
      EXPECT_GE(d.line, 6u);  // the unclosed list opens on line 6; yaml-cpp reports where it gives up
      EXPECT_LE(d.line, 8u);
    }
  EXPECT_TRUE(found);
  EXPECT_EQ(l.rs->rules().size(), 1u);  // the other rule still loads
}

TEST(RuleDiagnostics, YamlSyntaxErrorInALaterDocumentKeepsItsLine) {
  std::string text = sel("    A: 1\n") + "---\ntitle: second\nlogsource:\n  product: x\ndetection:\n  sel:\n    A: [1, 2\n";
  auto l = load_rules({text});
  bool found = false;
  for (const auto& d : l.diags.items())
    if (d.code == "yaml-syntax") {
      found = true;
      EXPECT_GE(d.line, 13u) << "lines count from the start of the file, not of the document";
    }
  EXPECT_TRUE(found);
  EXPECT_EQ(l.rs->rules().size(), 1u);
}

TEST(RuleDiagnostics, PositionsPointAtTheProblem) {
  // line 7: the key with the unknown modifier.
  auto l = load_rules({make_rule("  sel:\n    A: 1\n    B|nosuch: 2\n  condition: sel\n")});
  bool found = false;
  for (const auto& d : l.diags.items())
    if (d.code == "unknown-modifier") {
      found = true;
      EXPECT_EQ(d.line, 7u);
      EXPECT_EQ(d.column, 5u);
    }
  EXPECT_TRUE(found);
}

TEST(RuleDiagnostics, AllOnASingleValueWarns) {
  auto l = load_rules({sel("    F|contains|all: 'x'\n")});
  EXPECT_TRUE(has(l.codes(), "all-single-value"));
  EXPECT_EQ(l.error_codes(), std::vector<std::string>{});
}

TEST(RuleDiagnostics, DuplicateIdWarns) {
  std::string a = "title: a\nid: 929a690e-bef0-4204-a928-ef5e620d6fcc\nlogsource:\n  product: x\ndetection:\n  s:\n    A: 1\n  condition: s\n";
  auto l = load_rules({a, a});
  EXPECT_TRUE(has(l.codes(), "duplicate-id"));
}

TEST(RuleDiagnostics, OneBadRuleDoesNotStopTheOthers) {
  auto l = load_rules({sel("    A|nosuch: 1\n"), sel("    A: 1\n"), "title: [\n"});
  EXPECT_EQ(l.rs->rules().size(), 1u);
  EXPECT_EQ(l.stats.rules_loaded, 1u);
  EXPECT_GE(l.stats.rules_rejected, 2u);
}
