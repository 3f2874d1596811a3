// Value transformations (sigma/values.h) against the modifiers appendix and pySigma's
// definitions, and the value structures of a detection (rules specification, "Lists", "Maps",
// "Special Field Values").
#include <gtest/gtest.h>

#include "sigma/values.h"
#include "sigma_test_util.h"

using namespace lachan::sigma;
using namespace lachan::sigma::test;
using lachan::match::tokenize_sigma_string;

namespace {
std::vector<std::string> windash(std::string_view v) {
  std::vector<std::string> out;
  for (const auto& toks : windash_variants(tokenize_sigma_string(v))) {
    std::string s;
    for (const auto& t : toks) s += t.kind == lachan::match::Token::literal ? std::string(1, t.c) : t.kind == lachan::match::Token::star ? "*" : "?";
    out.push_back(s);
  }
  std::sort(out.begin(), out.end());
  return out;
}
const std::string kEn = "\xE2\x80\x93", kEm = "\xE2\x80\x94", kBar = "\xE2\x80\x95";
}  // namespace

TEST(Base64, Encode) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("a"), "YQ==");
  EXPECT_EQ(base64_encode("ab"), "YWI=");
  EXPECT_EQ(base64_encode("abc"), "YWJj");
  EXPECT_EQ(base64_encode("whoami"), "d2hvYW1p");
  EXPECT_EQ(base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

// pySigma: b64encode(i * b" " + value)[(0, 2, 3)[i] : (None, -3, -2)[(len(value) + i) % 3]].
TEST(Base64, OffsetVariantsArePySigmas) {
  EXPECT_EQ(base64_offset_variants("whoami"), (std::vector<std::string>{"d2hvYW1p", "dob2Fta", "3aG9hbW"}));
  EXPECT_EQ(base64_offset_variants("cmd"), (std::vector<std::string>{"Y21k", "NtZ", "jbW"}));
  EXPECT_EQ(base64_offset_variants("ab"), (std::vector<std::string>{"YW", "Fi", "hY"}));
  EXPECT_EQ(base64_offset_variants("http://"), (std::vector<std::string>{"aHR0cDovL", "h0dHA6Ly", "odHRwOi8v"}));
  EXPECT_EQ(base64_offset_variants(to_utf16("whoami", Utf16::le)),
            (std::vector<std::string>{"dwBoAG8AYQBtAGkA", "cAaABvAGEAbQBpA", "3AGgAbwBhAG0AaQ"}));
}

// Whatever sits before and after the value, one variant is a substring of the encoded text.
TEST(Base64, OffsetVariantsAreFoundAtEveryOffset) {
  for (std::string value : {"whoami", "Invoke-Mimikatz", "ab", "xyzw"}) {
    auto vars = base64_offset_variants(value);
    for (size_t pre = 0; pre < 7; ++pre)
      for (size_t post = 0; post < 4; ++post) {
        std::string text = std::string(pre, 'P') + value + std::string(post, 'Q');
        std::string enc = base64_encode(text);
        bool found = false;
        for (const auto& v : vars) found = found || (!v.empty() && enc.find(v) != std::string::npos);
        EXPECT_TRUE(found) << value << " pre " << pre << " post " << post;
      }
  }
}

// Modifiers appendix: utf16le `cmd` > 63 00 6d 00 64 00; utf16be 00 63 00 6d 00 64;
// utf16 FF FE 63 00 6d 00 64 00.
TEST(Utf16, SpecExamples) {
  EXPECT_EQ(to_utf16("cmd", Utf16::le), std::string("c\0m\0d\0", 6));
  EXPECT_EQ(to_utf16("cmd", Utf16::be), std::string("\0c\0m\0d", 6));
  EXPECT_EQ(to_utf16("cmd", Utf16::bom), std::string("\xFF\xFE" "c\0m\0d\0", 8));
}

TEST(Utf16, NonAscii) {
  EXPECT_EQ(to_utf16("\xC3\xA9", Utf16::le), std::string("\xE9\x00", 2));         // é U+00E9
  EXPECT_EQ(to_utf16("\xE2\x82\xAC", Utf16::be), std::string("\x20\xAC", 2));     // € U+20AC
  EXPECT_EQ(to_utf16("\xF0\x9F\x98\x80", Utf16::le), std::string("\x3D\xD8\x00\xDE", 4));  // U+1F600 surrogates
  EXPECT_EQ(to_utf16("\xFF", Utf16::le), std::string("\xFD\xFF", 2));             // invalid -> U+FFFD
}

// Modifiers appendix, windash: "Creates all possible permutations of the `-`, `/`, `–` (en dash),
// `—` (em dash), and `―` (horizontal bar) characters" — at flag positions, as pySigma's
// \B[-/]\b: a dash with no word character before it and one after it.
TEST(Windash, FiveDashesAtAFlagPosition) {
  EXPECT_EQ(windash(" -enc"), (std::vector<std::string>{" -enc", " /enc", " " + kEn + "enc", " " + kEm + "enc", " " + kBar + "enc"}));
  EXPECT_EQ(windash("/c").size(), 5u);
  EXPECT_EQ(windash("-a -b").size(), 25u);
}

TEST(Windash, DashInsideAWordIsKept) {
  EXPECT_EQ(windash("foo-bar"), std::vector<std::string>{"foo-bar"});
  EXPECT_EQ(windash("a/b"), std::vector<std::string>{"a/b"});
  EXPECT_EQ(windash("x - y"), std::vector<std::string>{"x - y"});  // no word character after it
  EXPECT_EQ(windash("--x").size(), 5u);                             // only the second dash is at a word start
}

// --- value structures ------------------------------------------------------------------------

// Spec, "Lists": values of a list are linked with OR.
TEST(DetectionValues, ListOfValuesIsOr) {
  Engine e(make_rule("  sel:\n    EventID:\n      - 517\n      - 1102\n  condition: sel\n"));
  EXPECT_TRUE(e.fires(R"({"EventID":517})"));
  EXPECT_TRUE(e.fires(R"({"EventID":"1102"})"));
  EXPECT_FALSE(e.fires(R"({"EventID":4624})"));
  EXPECT_FALSE(e.fires(R"({"Other":517})"));
}

// Spec, "Maps": all elements of a map are joined with AND.
TEST(DetectionValues, MapIsAnd) {
  Engine e(make_rule("  sel:\n    EventLog: Security\n    EventID:\n      - 517\n      - 1102\n  condition: sel\n"));
  EXPECT_TRUE(e.fires(R"({"EventLog":"Security","EventID":517})"));
  EXPECT_TRUE(e.fires(R"({"EventLog":"security","EventID":1102})"));
  EXPECT_FALSE(e.fires(R"({"EventLog":"System","EventID":517})"));
  EXPECT_FALSE(e.fires(R"({"EventID":517})"));
}

// Spec, "Lists": "All map items of a list are logically linked with 'OR'."
TEST(DetectionValues, ListOfMapsIsOr) {
  Engine e(make_rule("  sel:\n    - Image|endswith: '\\example.exe'\n    - Description|contains: 'Test executable'\n"
                     "  condition: sel\n"));
  EXPECT_TRUE(e.fires(R"({"Image":"C:\\x\\EXAMPLE.exe"})"));
  EXPECT_TRUE(e.fires(R"({"Description":"a test executable here"})"));
  EXPECT_FALSE(e.fires(R"({"Image":"C:\\x\\other.exe","Description":"nothing"})"));
}

TEST(DetectionValues, ListOfMapsEachMapIsAnd) {
  Engine e(make_rule("  sel:\n    - A: 1\n      B: 2\n    - C: 3\n  condition: sel\n"));
  EXPECT_TRUE(e.fires(R"({"A":1,"B":2})"));
  EXPECT_FALSE(e.fires(R"({"A":1,"B":3})"));
  EXPECT_TRUE(e.fires(R"({"C":3})"));
}

// Spec, "Special Field Values": `''` is the empty value; `null` a null value. Lachan: null
// matches a field that is absent or JSON null; the empty string is a value, not null.
TEST(DetectionValues, NullMatchesAbsentOrJsonNull) {
  Engine e(make_rule("  sel:\n    EventID: 4738\n  filter:\n    PasswordLastSet: null\n  condition: sel and filter\n"));
  EXPECT_TRUE(e.fires(R"({"EventID":4738})"));
  EXPECT_TRUE(e.fires(R"({"EventID":4738,"PasswordLastSet":null})"));
  EXPECT_FALSE(e.fires(R"({"EventID":4738,"PasswordLastSet":""})"));
  EXPECT_FALSE(e.fires(R"({"EventID":4738,"PasswordLastSet":"2024-01-01"})"));
}

// The spec's example: `selection and not filter` with `filter: {PasswordLastSet: null}`.
TEST(DetectionValues, NotNullThroughNegatedSelection) {
  Engine e(make_rule("  selection:\n    EventID: 4738\n  filter:\n    PasswordLastSet: null\n"
                     "  condition: selection and not filter\n"));
  EXPECT_FALSE(e.fires(R"({"EventID":4738})"));
  EXPECT_FALSE(e.fires(R"({"EventID":4738,"PasswordLastSet":null})"));
  EXPECT_TRUE(e.fires(R"({"EventID":4738,"PasswordLastSet":"x"})"));
  EXPECT_TRUE(e.fires(R"({"EventID":4738,"PasswordLastSet":""})"));
}

TEST(DetectionValues, EmptyStringMatchesOnlyEmpty) {
  Engine e(make_rule("  sel:\n    Description: ''\n  condition: sel\n"));
  EXPECT_TRUE(e.fires(R"({"Description":""})"));
  EXPECT_FALSE(e.fires(R"({"Description":"x"})"));
  EXPECT_FALSE(e.fires(R"({"Other":""})"));
  EXPECT_FALSE(e.fires(R"({"Description":null})"));
}

TEST(DetectionValues, NullInAListIsOneAlternative) {
  Engine e(make_rule("  sel:\n    User:\n      - null\n      - guest\n  condition: sel\n"));
  EXPECT_TRUE(e.fires(R"({"x":1})"));
  EXPECT_TRUE(e.fires(R"({"User":"GUEST"})"));
  EXPECT_FALSE(e.fires(R"({"User":"admin"})"));
}

TEST(DetectionValues, NumbersAndBooleansCompareAsText) {
  Engine e(make_rule("  sel:\n    Port: 443\n    Enabled: true\n  condition: sel\n"));
  EXPECT_TRUE(e.fires(R"({"Port":443,"Enabled":true})"));
  EXPECT_TRUE(e.fires(R"({"Port":"443","Enabled":"True"})"));
  EXPECT_FALSE(e.fires(R"({"Port":4430,"Enabled":true})"));
  EXPECT_FALSE(e.fires(R"({"Port":443,"Enabled":false})"));
}

TEST(DetectionValues, MultiValuedFieldMatchesAnyElement) {
  Engine e(make_rule("  sel:\n    tags: evil\n  condition: sel\n"));
  EXPECT_TRUE(e.fires(R"({"tags":["good","evil"]})"));
  EXPECT_FALSE(e.fires(R"({"tags":["good","fine"]})"));
  Engine nested(make_rule("  sel:\n    dns.answers.rdata|startswith: '10.'\n  condition: sel\n"));
  EXPECT_TRUE(nested.fires(R"({"dns":{"answers":[{"rdata":"1.1.1.1"},{"rdata":"10.0.0.5"}]}})"));
  EXPECT_FALSE(nested.fires(R"({"dns":{"answers":[{"rdata":"1.1.1.1"}]}})"));
}
