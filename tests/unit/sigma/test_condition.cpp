// Conditions (rules specification, "Condition"): and/or/not with the precedence "or, and, not,
// x of search-identifier, ( expression )" from loosest to tightest, `1/all of` patterns and
// `them` (which excludes identifiers starting with `_`), a condition list (OR), and the
// diagnostics for conditions that cannot be evaluated.
#include <gtest/gtest.h>

#include "sigma/condition.h"
#include "sigma_test_util.h"

using namespace lachan::sigma;
using namespace lachan::sigma::test;

namespace {
// Three selections a, b, c, each true when the event has that field set to 1.
std::string abc(const std::string& condition, const std::string& extra_ids = {}) {
  return make_rule("  a:\n    A: 1\n  b:\n    B: 1\n  c:\n    C: 1\n" + extra_ids + "  condition: " + condition + "\n");
}
// Event with the given subset of A, B, C set.
std::string evt(bool a, bool b, bool c) {
  return std::string("{\"A\":") + (a ? "1" : "0") + ",\"B\":" + (b ? "1" : "0") + ",\"C\":" + (c ? "1" : "0") + "}";
}
// The truth table of a condition over a, b, c, as 8 characters (abc = 000 ... 111).
std::string table(const std::string& condition) {
  Engine e(abc(condition));
  EXPECT_EQ(e.loaded().error_codes(), std::vector<std::string>{}) << condition;
  std::string out;
  for (int i = 0; i < 8; ++i) out += e.fires(evt(i & 4, i & 2, i & 1)) ? '1' : '0';
  return out;
}
}  // namespace

TEST(Condition, AndOrNot) {
  EXPECT_EQ(table("a"), "00001111");
  EXPECT_EQ(table("a and b"), "00000011");
  EXPECT_EQ(table("a or b"), "00111111");
  EXPECT_EQ(table("not a"), "11110000");
  EXPECT_EQ(table("a and not b"), "00001100");
}

// "Operator Precedence (least to most binding): or, and, not, x of, ( expression )".
TEST(Condition, AndBindsTighterThanOr) {
  EXPECT_EQ(table("a or b and c"), table("a or (b and c)"));
  EXPECT_NE(table("a or b and c"), table("(a or b) and c"));
  EXPECT_EQ(table("a or b and c"), "00011111");
  EXPECT_EQ(table("a and b or c"), "01010111");
}

TEST(Condition, NotBindsTighterThanAnd) {
  EXPECT_EQ(table("not a and b"), table("(not a) and b"));
  EXPECT_EQ(table("not a and b"), "00110000");
  EXPECT_EQ(table("not a or b"), "11110011");
  EXPECT_EQ(table("not not a"), table("a"));
  EXPECT_EQ(table("not (a or b)"), "11000000");
}

TEST(Condition, Parentheses) {
  EXPECT_EQ(table("(a or b) and c"), "00010101");
  EXPECT_EQ(table("a and (b or c)"), "00000111");
  EXPECT_EQ(table("((a))"), table("a"));
  EXPECT_EQ(table("(a or (b and not c))"), "00101111");
}

TEST(Condition, KeywordsAreCaseInsensitive) {
  EXPECT_EQ(table("a OR b AND NOT c"), table("a or (b and not c)"));
  EXPECT_EQ(table("1 OF them"), table("a or b or c"));
  EXPECT_EQ(table("ALL of them"), table("a and b and c"));
}

// "1 of search-identifier-pattern ... Matching is done with * wildcards".
TEST(Condition, OneOfAndAllOfPattern) {
  std::string ids = "  selection_1:\n    X: 1\n  selection_2:\n    Y: 1\n  filter_1:\n    Z: 1\n";
  Engine one(make_rule(ids + "  condition: 1 of selection_* and not 1 of filter*\n"));
  EXPECT_TRUE(one.fires(R"({"X":1})"));
  EXPECT_TRUE(one.fires(R"({"Y":1})"));
  EXPECT_FALSE(one.fires(R"({"X":1,"Z":1})"));
  EXPECT_FALSE(one.fires(R"({"Q":1})"));
  Engine all(make_rule(ids + "  condition: all of selection_*\n"));
  EXPECT_TRUE(all.fires(R"({"X":1,"Y":1})"));
  EXPECT_FALSE(all.fires(R"({"X":1})"));
  Engine any(make_rule(ids + "  condition: any of sel*\n"));
  EXPECT_TRUE(any.fires(R"({"Y":1})"));
  Engine mid(make_rule(ids + "  condition: 1 of *_2\n"));
  EXPECT_TRUE(mid.fires(R"({"Y":1})"));
  EXPECT_FALSE(mid.fires(R"({"X":1})"));
}

TEST(Condition, NOfWithTwo) {
  EXPECT_EQ(table("2 of them"), "00010111");
  Engine e(make_rule("  sel1:\n    A: 1\n  sel2:\n    B: 1\n  sel3:\n    C: 1\n  other:\n    D: 1\n"
                     "  condition: 2 of sel*\n"));
  EXPECT_FALSE(e.fires(R"({"A":1,"D":1})"));
  EXPECT_TRUE(e.fires(R"({"A":1,"C":1})"));
  EXPECT_TRUE(e.fires(R"({"A":1,"B":1,"C":1})"));
}

TEST(Condition, OfBindsTighterThanNot) {
  Engine e(make_rule("  sel1:\n    A: 1\n  sel2:\n    B: 1\n  condition: not 1 of sel*\n"));
  EXPECT_TRUE(e.fires(R"({"C":1})"));
  EXPECT_FALSE(e.fires(R"({"B":1})"));
}

// "1 of them ... across all defined search identifiers not starting with an underscore `_`".
TEST(Condition, ThemExcludesUnderscoreIdentifiers) {
  std::string ids = "  sel:\n    A: 1\n  _helper:\n    H: 1\n";
  Engine one(make_rule(ids + "  condition: 1 of them\n"));
  EXPECT_TRUE(one.fires(R"({"A":1})"));
  EXPECT_FALSE(one.fires(R"({"H":1})"));
  Engine all(make_rule(ids + "  condition: all of them\n"));
  EXPECT_TRUE(all.fires(R"({"A":1})"));  // _helper is not required
  Engine explicit_ref(make_rule(ids + "  condition: sel and _helper\n"));
  EXPECT_FALSE(explicit_ref.fires(R"({"A":1})"));
  EXPECT_TRUE(explicit_ref.fires(R"({"A":1,"H":1})"));
}

// "The condition can be a list ... They are logically linked with OR."
TEST(Condition, ConditionListIsOr) {
  Engine e(make_rule("  a:\n    A: 1\n  b:\n    B: 1\n  c:\n    C: 1\n  condition:\n    - a and b\n    - c\n"));
  EXPECT_TRUE(e.fires(R"({"A":1,"B":1})"));
  EXPECT_TRUE(e.fires(R"({"C":1})"));
  EXPECT_FALSE(e.fires(R"({"A":1})"));
  auto titles = e.titles(R"({"A":1,"B":1,"C":1})");
  EXPECT_EQ(titles.size(), 1u);  // one match per rule, not one per condition
}

TEST(Condition, UnknownIdentifierIsRejected) {
  auto l = load_rules({abc("a and missing")});
  EXPECT_TRUE(has(l.error_codes(), "unknown-identifier"));
  EXPECT_EQ(l.rs->rules().size(), 0u);
}

TEST(Condition, PatternMatchingNothingIsRejected) {
  EXPECT_TRUE(has(load_rules({abc("1 of filter*")}).error_codes(), "empty-quantifier"));
  EXPECT_TRUE(has(load_rules({abc("all of x*")}).error_codes(), "empty-quantifier"));
  // `them` with only underscore identifiers covers nothing.
  auto l = load_rules({make_rule("  _a:\n    A: 1\n  condition: 1 of them\n")});
  EXPECT_TRUE(has(l.error_codes(), "empty-quantifier"));
}

TEST(Condition, SyntaxErrorsAreInvalidCondition) {
  for (const char* c : {"a and", "(a or b", "a or b)", "and a", "a b", "a or or b", "not", "1 of", "x of them",
                        "0 of them", "()", "", "a | count() > 5", "1 of (a)"}) {
    auto l = load_rules({abc(std::string("'") + c + "'")});
    EXPECT_TRUE(has(l.error_codes(), "invalid-condition") || has(l.error_codes(), "missing-condition"))
        << "condition '" << c << "'";
    EXPECT_EQ(l.rs->rules().size(), 0u) << c;
  }
}

// The parser directly: tree shapes and error positions.
TEST(ConditionParser, TreeShape) {
  auto r = parse_condition("a or b and not c");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->kind, CondExpr::op_or);
  ASSERT_EQ(r->children.size(), 2u);
  EXPECT_EQ(r->children[0].kind, CondExpr::ref);
  EXPECT_EQ(r->children[0].name, "a");
  ASSERT_EQ(r->children[1].kind, CondExpr::op_and);
  EXPECT_EQ(r->children[1].children[1].kind, CondExpr::op_not);
  EXPECT_EQ(r->children[1].children[1].children[0].name, "c");

  auto q = parse_condition("all of sel* or 3 of them");
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->kind, CondExpr::op_or);
  EXPECT_EQ(q->children[0].kind, CondExpr::of);
  EXPECT_EQ(q->children[0].count, 0u);
  EXPECT_EQ(q->children[0].name, "sel*");
  EXPECT_EQ(q->children[1].count, 3u);
  EXPECT_EQ(q->children[1].name, "them");
}

TEST(ConditionParser, ErrorsAreInvalidRule) {
  auto r = parse_condition("a and (b or");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, lachan::Errc::invalid_rule);
}

TEST(ConditionParser, IdentifierPatterns) {
  EXPECT_TRUE(identifier_matches("sel*", "selection"));
  EXPECT_TRUE(identifier_matches("sel*", "sel"));
  EXPECT_TRUE(identifier_matches("*", "anything"));
  EXPECT_TRUE(identifier_matches("*_2", "selection_2"));
  EXPECT_TRUE(identifier_matches("s*l*n", "selection"));
  EXPECT_FALSE(identifier_matches("sel*", "xsel"));
  EXPECT_FALSE(identifier_matches("selection", "selection2"));
  EXPECT_FALSE(identifier_matches("Sel*", "selection"));
}
