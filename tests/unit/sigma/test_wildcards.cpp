// Wildcards and escapes in rule values, end to end from YAML (rules specification, "String
// Wildcard" and "Escaping"; values in single quotes, where YAML keeps backslashes as written).
#include <gtest/gtest.h>

#include "sigma_test_util.h"

using namespace lachan::sigma::test;

namespace {
std::string rule(const std::string& value, const std::string& mods = "") {
  return make_rule("  sel:\n    F" + mods + ": '" + value + "'\n  condition: sel\n");
}
// JSON for {"F": text}, escaping backslashes and quotes.
std::string ev(std::string_view text) {
  std::string j = "{\"F\":\"";
  for (char c : text) {
    if (c == '\\' || c == '"') j += '\\';
    j += c;
  }
  return j + "\"}";
}
bool fires(const std::string& value, std::string_view text, const std::string& mods = "") {
  Engine e(rule(value, mods));
  EXPECT_EQ(e.loaded().error_codes(), std::vector<std::string>{}) << value;
  return e.fires(ev(text));
}
}  // namespace

// "Plain backslash not followed by a wildcard can be expressed as single `\` or double `\\`."
TEST(Wildcards, PlainBackslashSingleOrDouble) {
  EXPECT_TRUE(fires(R"(C:\Windows\System32\cmd.exe)", R"(C:\Windows\System32\cmd.exe)"));
  EXPECT_TRUE(fires(R"(C:\\Windows\\System32\\cmd.exe)", R"(C:\Windows\System32\cmd.exe)"));
  EXPECT_FALSE(fires(R"(C:\\Windows)", R"(C:\\Windows)"));
}

// "A wildcard has to be escaped to be handled as a plain character. eg: `\*`, `\?`."
TEST(Wildcards, EscapedWildcards) {
  EXPECT_TRUE(fires(R"(select \*)", "select *"));
  EXPECT_FALSE(fires(R"(select \*)", "select name"));
  EXPECT_TRUE(fires(R"(what\?)", "what?"));
  EXPECT_FALSE(fires(R"(what\?)", "whats"));
  EXPECT_TRUE(fires(R"(\*)", "x*y", "|contains"));
  EXPECT_FALSE(fires(R"(\*)", "xy", "|contains"));
}

// "The backslash before a wildcard has to be escaped ... `\\*`."
TEST(Wildcards, BackslashThenWildcard) {
  EXPECT_TRUE(fires(R"(C:\Users\\*)", R"(C:\Users\bob\AppData)"));
  EXPECT_FALSE(fires(R"(C:\Users\\*)", R"(C:\Usersbob)"));
  EXPECT_TRUE(fires(R"(\\?)", R"(\x)"));
  EXPECT_FALSE(fires(R"(\\?)", R"(\)"));
}

// "Three backslashes are necessary to escape both, the backslash and the wildcard: `\\\*`."
TEST(Wildcards, ThreeBackslashesBeforeWildcard) {
  EXPECT_TRUE(fires(R"(a\\\*)", R"(a\*)"));
  EXPECT_FALSE(fires(R"(a\\\*)", R"(a\bc)"));
  EXPECT_FALSE(fires(R"(a\\\*)", R"(a\\*)"));
}

// "Three or four backslashes are handled as double backslash ... `\\\\` results in `\\`."
TEST(Wildcards, FourBackslashesAreTwo) {
  EXPECT_TRUE(fires(R"(\\\\server\share)", R"(\\server\share)"));
  EXPECT_TRUE(fires(R"(\\\server\share)", R"(\\server\share)"));
  EXPECT_FALSE(fires(R"(\\\\server\share)", R"(\server\share)"));
}

TEST(Wildcards, QuestionMarkIsExactlyOneCharacter) {
  EXPECT_TRUE(fires("prog?.exe", "progA.exe"));
  EXPECT_FALSE(fires("prog?.exe", "prog.exe"));
  EXPECT_FALSE(fires("prog?.exe", "progAB.exe"));
  EXPECT_TRUE(fires("prog?.exe", "prog\xC3\xA9.exe"));
  EXPECT_TRUE(fires("prog?.exe", "prog\xE6\x97\xA5.exe"));
  EXPECT_FALSE(fires("prog??.exe", "prog\xE6\x97\xA5.exe"));
  EXPECT_FALSE(fires("??", "\xE6\x97\xA5", "|endswith"));  // one character is not two
  EXPECT_TRUE(fires("??", "a\xE6\x97\xA5", "|endswith"));
}

TEST(Wildcards, StarIsAnyRunIncludingEmpty) {
  EXPECT_TRUE(fires("antivirus_V*.exe", "antivirus_V21.2.1.exe"));
  EXPECT_TRUE(fires("antivirus_V*.exe", "antivirus_V.exe"));
  EXPECT_FALSE(fires("antivirus_V*.exe", "xantivirus_V1.exe"));
  EXPECT_TRUE(fires("*", ""));
  EXPECT_TRUE(fires("*", "anything"));
}

TEST(Wildcards, WildcardsWithPositionModifiers) {
  EXPECT_TRUE(fires(R"(\Temp\\*.ps1)", R"(C:\Users\x\AppData\Local\Temp\a\b.ps1)", "|contains"));
  EXPECT_TRUE(fires("http?://", "curl https://x", "|contains"));
  EXPECT_FALSE(fires("http?://", "curl http://x", "|contains"));
  EXPECT_TRUE(fires("ad?", "administrator", "|startswith"));
  EXPECT_FALSE(fires("ad?", "ad", "|startswith"));
  EXPECT_TRUE(fires(".e?e", "file.exe", "|endswith"));
}

// "All values are treated as case-insensitive strings"; `cased` makes them case-sensitive.
TEST(Wildcards, CaseInsensitiveByDefault) {
  EXPECT_TRUE(fires(R"(C:\WINDOWS\\*\CMD.EXE)", R"(c:\windows\system32\cmd.exe)"));
  EXPECT_TRUE(fires(R"(c:\windows\\*\cmd.exe)", R"(C:\WINDOWS\SYSTEM32\CMD.EXE)"));
  EXPECT_FALSE(fires(R"(c:\windows\\*\cmd.exe)", R"(C:\WINDOWS\SYSTEM32\CMD.EXE)", "|cased"));
  EXPECT_TRUE(fires(R"(C:\WINDOWS\\*\CMD.EXE)", R"(C:\WINDOWS\System32\CMD.EXE)", "|cased"));
}
