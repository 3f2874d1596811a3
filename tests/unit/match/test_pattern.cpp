// Sigma string values: escape processing (rules specification, "Escaping") and wildcard
// matching ("String Wildcard": `?` one mandatory character, `*` an unbounded run), with the
// direct-path classification (equals / contains / starts / ends) checked against the glob path.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/strings.h"
#include "match/pattern.h"

using namespace lachan::match;

namespace {

// Sigma value -> rendered tokens, with the token kinds spelled out: literals as themselves,
// `*` wildcard as <*>, `?` wildcard as <?>.
std::string show(std::string_view sigma) {
  std::string s;
  for (const auto& t : tokenize_sigma_string(sigma)) {
    if (t.kind == Token::star) s += "<*>";
    else if (t.kind == Token::any_one) s += "<?>";
    else s += t.c;
  }
  return s;
}

bool m(std::string_view sigma, std::string_view text, bool cased = false) {
  Pattern p(tokenize_sigma_string(sigma), cased);
  return p.match(cased ? std::string(text) : lachan::to_lower(text));
}

}  // namespace

// Spec: "Plain backslash not followed by a wildcard can be expressed as single `\` or double
// backslash `\\`."
TEST(SigmaEscaping, PlainBackslashSingleOrDouble) {
  EXPECT_EQ(show(R"(C:\Windows\cmd.exe)"), R"(C:\Windows\cmd.exe)");
  EXPECT_EQ(show(R"(C:\\Windows\\cmd.exe)"), R"(C:\Windows\cmd.exe)");
  EXPECT_EQ(show(R"(trailing\)"), R"(trailing\)");
}

// Spec: "A wildcard has to be escaped to be handled as a plain character. eg: `\*`, `\?`."
TEST(SigmaEscaping, EscapedWildcardsAreLiterals) {
  auto t = tokenize_sigma_string(R"(a\*b\?c)");
  ASSERT_EQ(t.size(), 5u);
  for (const auto& x : t) EXPECT_EQ(x.kind, Token::literal);
  EXPECT_EQ(t[1].c, '*');
  EXPECT_EQ(t[3].c, '?');
  EXPECT_TRUE(m(R"(a\*b)", "a*b"));
  EXPECT_FALSE(m(R"(a\*b)", "axxb"));
  EXPECT_TRUE(m(R"(a\?b)", "a?b"));
  EXPECT_FALSE(m(R"(a\?b)", "axb"));
}

// Spec: "The backslash before a wildcard has to be escaped to handle the value as a backslash
// followed by a wildcard: `\\*`."
TEST(SigmaEscaping, EscapedBackslashBeforeWildcard) {
  EXPECT_EQ(show(R"(dir\\*)"), R"(dir\<*>)");
  EXPECT_EQ(show(R"(dir\\?)"), R"(dir\<?>)");
  EXPECT_TRUE(m(R"(C:\\*)", R"(C:\anything\at\all)"));
  EXPECT_FALSE(m(R"(C:\\*)", "C:anything"));
}

// Spec: "Three backslashes are necessary to escape both, the backslash and the wildcard and
// handle them as plain values: `\\\*`."
TEST(SigmaEscaping, ThreeBackslashesBeforeWildcard) {
  EXPECT_EQ(show(R"(x\\\*)"), R"(x\*)");
  auto t = tokenize_sigma_string(R"(x\\\*)");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[2].kind, Token::literal);
  EXPECT_TRUE(m(R"(x\\\*)", R"(x\*)"));
  EXPECT_FALSE(m(R"(x\\\*)", R"(x\abc)"));
}

// Spec: "Three or four backslashes are handled as double backslash ... `\\\\` results in the
// plain value `\\`."
TEST(SigmaEscaping, ThreeOrFourBackslashesAreDouble) {
  EXPECT_EQ(show(R"(\\\\server)"), R"(\\server)");
  EXPECT_EQ(show(R"(\\\server)"), R"(\\server)");
  EXPECT_TRUE(m(R"(\\\\server\share)", R"(\\server\share)"));
}

TEST(SigmaEscaping, RenderTokensRoundTrips) {
  for (std::string v : {R"(a\*b)", R"(a\\*)", R"(C:\x\y)", "a*b?c", R"(\\\*)"}) {
    auto t = tokenize_sigma_string(v);
    EXPECT_EQ(show(render_tokens(t)), show(v)) << v;
  }
  std::string lit;
  EXPECT_TRUE(tokens_literal(tokenize_sigma_string(R"(a\*b)"), lit));
  EXPECT_EQ(lit, "a*b");
  EXPECT_FALSE(tokens_literal(tokenize_sigma_string("a*b"), lit));
  EXPECT_FALSE(tokens_literal(tokenize_sigma_string("a?b"), lit));
}

// Spec, "String Wildcard": `prog?.exe` for progA.exe or progB.exe; `antivirus_V*.exe`.
TEST(SigmaWildcards, SpecExamples) {
  EXPECT_TRUE(m("prog?.exe", "progA.exe"));
  EXPECT_TRUE(m("prog?.exe", "progB.exe"));
  EXPECT_FALSE(m("prog?.exe", "prog.exe"));  // `?` is a mandatory character
  EXPECT_FALSE(m("prog?.exe", "progAB.exe"));
  EXPECT_TRUE(m("antivirus_V*.exe", "antivirus_V1.exe"));
  EXPECT_TRUE(m("antivirus_V*.exe", "antivirus_V21.2.1.exe"));
  EXPECT_TRUE(m("antivirus_V*.exe", "antivirus_V.exe"));  // `*` may be empty
  EXPECT_FALSE(m("antivirus_V*.exe", "antivirus_V1.exe.bak"));
}

TEST(SigmaWildcards, QuestionMarkMatchesOneMultiByteCharacter) {
  EXPECT_TRUE(m("prog?.exe", "prog\xC3\x84.exe"));          // Ä, 2 bytes
  EXPECT_TRUE(m("prog?.exe", "prog\xE2\x82\xAC.exe"));      // €, 3 bytes
  EXPECT_TRUE(m("prog?.exe", "prog\xF0\x9F\x98\x80.exe"));  // 😀, 4 bytes
  EXPECT_FALSE(m("prog??.exe", "prog\xE2\x82\xAC.exe"));    // one character, not two
  EXPECT_TRUE(m("*?", "\xE2\x82\xAC"));
  EXPECT_TRUE(m("?*", "\xE2\x82\xAC"));
  EXPECT_TRUE(m("*??", "a\xE2\x82\xAC"));
  // A `?` must not match the inside of a character: "€" is one character.
  EXPECT_FALSE(m("??", "\xE2\x82\xAC"));
  EXPECT_FALSE(m("*??", "\xE2\x82\xAC"));
  EXPECT_FALSE(m("*??*", "\xE2\x82\xAC"));
  EXPECT_FALSE(m("*???", "x\xC3\x84"));
}

// Spec, "General": "All values are treated as case-insensitive strings."
TEST(SigmaWildcards, CaseInsensitiveByDefaultCasedWhenAsked) {
  EXPECT_TRUE(m(R"(C:\\Windows\\*.EXE)", R"(c:\windows\system32\CMD.exe)"));
  EXPECT_TRUE(m("*PowerShell*", "x POWERSHELL y"));
  EXPECT_FALSE(m("*PowerShell*", "x POWERSHELL y", true));
  EXPECT_TRUE(m("*PowerShell*", "x PowerShell y", true));
  EXPECT_FALSE(m("Admin", "admin", true));
  EXPECT_TRUE(m("Admin", "Admin", true));
}

TEST(Pattern, Classification) {
  auto kind = [](std::string_view s) { return Pattern(tokenize_sigma_string(s), false).kind(); };
  EXPECT_EQ(kind("abc"), Pattern::Kind::equals);
  EXPECT_EQ(kind(""), Pattern::Kind::equals);
  EXPECT_EQ(kind("*abc*"), Pattern::Kind::contains);
  EXPECT_EQ(kind("abc*"), Pattern::Kind::starts_with);
  EXPECT_EQ(kind("*abc"), Pattern::Kind::ends_with);
  EXPECT_EQ(kind("*"), Pattern::Kind::any);
  EXPECT_EQ(kind("**"), Pattern::Kind::any);
  EXPECT_EQ(kind("a*b"), Pattern::Kind::glob);
  EXPECT_EQ(kind("a?"), Pattern::Kind::glob);
  EXPECT_EQ(kind(R"(a\*)"), Pattern::Kind::equals);
  Pattern p(tokenize_sigma_string("*\\Foo.EXE*"), false);
  EXPECT_EQ(p.text(), "\\foo.exe");
  EXPECT_EQ(Pattern(tokenize_sigma_string("ab*cdef?gh"), false).longest_literal(), "cdef");
}

TEST(Pattern, EmptyAndAnyValues) {
  EXPECT_TRUE(m("", ""));
  EXPECT_FALSE(m("", "x"));
  EXPECT_TRUE(m("*", ""));
  EXPECT_TRUE(m("*", "anything"));
  EXPECT_FALSE(m("?", ""));
  EXPECT_TRUE(m("a**b", "ab"));
}

TEST(Pattern, GlobAnchoring) {
  EXPECT_TRUE(m("a*b*c", "abc"));
  EXPECT_TRUE(m("a*b*c", "a-b-c"));
  EXPECT_FALSE(m("a*b*c", "a-b-c-"));
  EXPECT_FALSE(m("a*b*c", "-a-b-c"));
  EXPECT_TRUE(m("*a*b*c*", "xxaxxbxxcxx"));
  EXPECT_FALSE(m("*a*b*c*", "xxcxxbxxaxx"));
  EXPECT_TRUE(m("*ab?d", "xxabcd"));
  EXPECT_TRUE(m("*ab?d", "abab?dabxd"));  // needs the last start, not the first
  EXPECT_TRUE(m("*aba", "ababa"));         // overlapping occurrence at the end
  EXPECT_TRUE(m("a*a", "a a"));
  EXPECT_FALSE(m("a*a", "a"));             // both `a` need their own character
  EXPECT_TRUE(m("*x?y*", "--x-y--"));
}

// Reference: a plain backtracking glob over code points (valid UTF-8 input).
namespace {
std::vector<std::string> chars_of(std::string_view s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    out.emplace_back(s.substr(i, n));
    i += n;
  }
  return out;
}
bool ref_match(const std::vector<Token>& p, size_t pi, const std::vector<std::string>& t, size_t ti) {
  if (pi == p.size()) return ti == t.size();
  if (p[pi].kind == Token::star) {
    for (size_t k = ti; k <= t.size(); ++k)
      if (ref_match(p, pi + 1, t, k)) return true;
    return false;
  }
  if (ti == t.size()) return false;
  if (p[pi].kind == Token::any_one) return ref_match(p, pi + 1, t, ti + 1);
  // A literal token is one byte; compare byte-wise across the code point.
  std::string lit;
  size_t q = pi;
  while (q < p.size() && p[q].kind == Token::literal && lit.size() < t[ti].size()) lit += p[q++].c;
  if (lit != t[ti]) return false;
  return ref_match(p, q, t, ti + 1);
}
}  // namespace

TEST(Pattern, RandomizedAgainstReferenceGlob) {
  std::mt19937 rng(1234);
  const std::vector<std::string> alphabet = {"a", "b", "\xC3\xA9", "\xE2\x82\xAC"};
  const std::vector<std::string> palph = {"a", "b", "\xC3\xA9", "\xE2\x82\xAC", "*", "?"};
  for (int iter = 0; iter < 20000; ++iter) {
    std::string pat, text;
    size_t plen = rng() % 6, tlen = rng() % 7;
    for (size_t i = 0; i < plen; ++i) pat += palph[rng() % palph.size()];
    for (size_t i = 0; i < tlen; ++i) text += alphabet[rng() % alphabet.size()];
    auto toks = tokenize_sigma_string(pat);
    Pattern p(toks, true);
    bool want = ref_match(toks, 0, chars_of(text), 0);
    ASSERT_EQ(p.match(text), want) << "pattern '" << pat << "' text '" << text << "'";
  }
}

// Contains and glob segments search 16 positions at a time with a scalar tail: texts of every
// length around the block size, with the needle near the start, the end and the block edges.
TEST(Pattern, ContainsAndGlobOnLongTextsAgainstReference) {
  std::mt19937 rng(99);
  const std::string alphabet = "ab\\.";
  for (int iter = 0; iter < 20000; ++iter) {
    std::string needle, text, other;
    size_t nlen = 1 + rng() % 6, tlen = rng() % 70;
    for (size_t i = 0; i < nlen; ++i) needle += alphabet[rng() % alphabet.size()];
    for (size_t i = 0; i < nlen; ++i) other += alphabet[rng() % alphabet.size()];
    for (size_t i = 0; i < tlen; ++i) text += alphabet[rng() % alphabet.size()];
    auto esc = [](const std::string& s) {
      std::string o;
      for (char c : s) o += c == '\\' ? std::string("\\\\") : std::string(1, c);
      return o;
    };
    bool has = text.find(needle) != std::string::npos;
    ASSERT_EQ(Pattern(tokenize_sigma_string("*" + esc(needle) + "*"), true).match(text), has)
        << needle << " in " << text;
    size_t at = text.find(needle);
    bool both = at != std::string::npos && text.find(other, at + needle.size()) != std::string::npos;
    ASSERT_EQ(Pattern(tokenize_sigma_string("*" + esc(needle) + "*" + esc(other) + "*"), true).match(text), both)
        << needle << " then " << other << " in " << text;
  }
}
