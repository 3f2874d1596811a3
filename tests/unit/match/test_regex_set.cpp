// RegexSet (Vectorscan in UTF-8 prefilter mode, the prefilter's regex atoms): which patterns it
// accepts, and that it reports every pattern RE2 finds in a value (it may report more: RE2
// confirms). The values mix ASCII, multi-byte characters (where a byte-wise `.` or `[^x]` would
// go wrong) and the literal-like parts of the patterns at random places, near the ends too
// (Vectorscan 5.4.9 misses some literals near the end of a buffer in its literal API).
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "match/regex_set.h"

using lachan::match::LiteralSet;
using lachan::match::RegexSet;

namespace {

int collect(unsigned id, unsigned long long, unsigned long long, unsigned, void* ctx) {
  static_cast<std::set<unsigned>*>(ctx)->insert(id);
  return 0;
}

}  // namespace

TEST(RegexSet, Supported) {
  EXPECT_TRUE(RegexSet::supported(R"(\s[a-fA-F0-9]{64}\s[a-fA-F0-9]{16})"));
  EXPECT_TRUE(RegexSet::supported(R"((?i)\^\^)"));
  EXPECT_TRUE(RegexSet::supported(R"(\x{e9}t)"));  // an escape, no flags: the same code point for both
  EXPECT_FALSE(RegexSet::supported("(?i)\xC3\xA9t"));        // bytes outside ASCII
  EXPECT_FALSE(RegexSet::supported(R"((?i)\x{c9}t)"));       // RE2 folds the case of É, Vectorscan does not
  EXPECT_FALSE(RegexSet::supported(R"(\p{Lu}(?:a))"));       // a Unicode class with a group that could hold flags
  EXPECT_FALSE(RegexSet::supported("a*"));                    // matches the empty string
  EXPECT_FALSE(RegexSet::supported("(?:x|)"));                // likewise
  EXPECT_FALSE(RegexSet::supported("(a"));                    // not a regex
  EXPECT_FALSE(RegexSet::supported(std::string("a\0b", 3)));  // NUL
}

TEST(RegexSet, ReportsEveryPatternRe2Finds) {
  const std::vector<std::string> patterns = {
      R"(\s[a-f0-9]{4}\s)",  R"(\\.t)",       R"(\\[^\\]{1,3}\.)", R"(^a.b)",        R"(x\Sx$)",
      R"((?i)\^\^)",         R"((?i)~1\\)",   R"(\w+`\w+)",        R"([A-Z]:\\)",     R"(\d{2,}\s*-f)",
      R"((?s)a.c)",          R"((?m)^b$)",    R"(\x{e9}t)",        R"(.\x{20ac}.)",   R"(\bab\b)",
      R"([^a-z]{2}z)",       R"((?i)cmd\s+/c)", R"(\+.*\+.*\+)",   R"(\.\w{1,3}")"};
  for (const auto& p : patterns) ASSERT_TRUE(RegexSet::supported(p)) << p;
  auto built = RegexSet::build(patterns);
  ASSERT_TRUE(built.ok()) << built.error().message;
  const auto& set = *built;
  LiteralSet::Scratch scratch;
  ASSERT_TRUE(set->prepare(scratch).ok());
  std::vector<std::unique_ptr<RE2>> res;
  for (const auto& p : patterns) res.push_back(std::make_unique<RE2>(p));

  const std::vector<std::string> parts = {"a", "b", "c", "x", "z", "t", "\\", "~1\\", "^^", "^", " ", "  ", "\t",
                                          "\n", "`", "+", "\"", ".", "-f", "12", "0f3a", "AB", "ab", "C:\\",
                                          "cmd /C", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", ".exe\""};
  std::mt19937 rng(7);
  size_t reported = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string v;
    const size_t n = 1 + rng() % 12;
    for (size_t k = 0; k < n; ++k) v += parts[rng() % parts.size()];
    std::set<unsigned> got;
    ASSERT_TRUE(set->scan(v, scratch, &collect, &got));
    for (unsigned id = 0; id < patterns.size(); ++id) {
      if (RE2::PartialMatch(v, *res[id])) {
        EXPECT_TRUE(got.count(id)) << "pattern " << patterns[id] << " missed in '" << v << "'";
        ++reported;
      }
    }
  }
  EXPECT_GT(reported, 5000u) << "too few matches for the comparison to mean much";
}

TEST(RegexSet, EmptySetAndEmptyText) {
  auto built = RegexSet::build({});
  ASSERT_TRUE(built.ok());
  LiteralSet::Scratch scratch;
  std::set<unsigned> got;
  EXPECT_TRUE((*built)->scan("abc", scratch, &collect, &got));
  EXPECT_TRUE(got.empty());
  auto one = RegexSet::build({"ab"});
  ASSERT_TRUE(one.ok());
  ASSERT_TRUE((*one)->prepare(scratch).ok());
  EXPECT_TRUE((*one)->scan("", scratch, &collect, &got));
  EXPECT_TRUE(got.empty());
}
