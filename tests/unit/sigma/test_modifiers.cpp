// Every Sigma value modifier (specification/sigma-appendix-modifiers.md, v2.1.0), through whole
// rules: a rule loaded from YAML text, events built from JSON.
#include <gtest/gtest.h>

#include "sigma/values.h"
#include "sigma_test_util.h"

using namespace lachan::sigma;
using namespace lachan::sigma::test;

namespace {
// A rule with one selection `sel` (its lines indented four spaces) and `condition: sel`.
std::string sel(const std::string& lines, const std::string& title = "t") {
  return make_rule("  sel:\n" + lines + "  condition: sel\n", title);
}
std::string json_str(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      out += b;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}
std::string ev(const std::string& field, std::string_view value) { return "{\"" + field + "\":" + json_str(value) + "}"; }
}  // namespace

// "contains: Puts `*` wildcards around the values"; "startswith: The value is expected at the
// beginning"; "endswith: ... at the end".
TEST(Modifiers, ContainsStartswithEndswith) {
  Engine c(sel("    CommandLine|contains: 'whoami'\n"));
  EXPECT_TRUE(c.fires(ev("CommandLine", "cmd /c WHOAMI /all")));
  EXPECT_TRUE(c.fires(ev("CommandLine", "whoami")));
  EXPECT_FALSE(c.fires(ev("CommandLine", "who ami")));
  Engine s(sel("    Image|startswith: 'C:\\Windows\\'\n"));
  EXPECT_TRUE(s.fires(ev("Image", "c:\\windows\\system32\\cmd.exe")));
  EXPECT_FALSE(s.fires(ev("Image", "D:\\C:\\Windows\\x")));
  Engine e(sel("    Image|endswith: '\\cmd.exe'\n"));
  EXPECT_TRUE(e.fires(ev("Image", "C:\\Windows\\System32\\CMD.EXE")));
  EXPECT_FALSE(e.fires(ev("Image", "C:\\Windows\\System32\\cmd.exe.bak")));
  EXPECT_FALSE(e.fires(ev("Image", "C:\\Windows\\System32\\xcmd.exe")));
}

TEST(Modifiers, PositionModifiersKeepInnerWildcards) {
  Engine c(sel("    CommandLine|contains: 'net * user'\n"));
  EXPECT_TRUE(c.fires(ev("CommandLine", "c:\\net.exe x net localgroup user x")));
  EXPECT_FALSE(c.fires(ev("CommandLine", "user net")));
  Engine e(sel("    Image|endswith: '\\\\*.tmp'\n"));  // \\* : a backslash, then a wildcard
  EXPECT_TRUE(e.fires(ev("Image", "C:\\x\\abc.tmp")));
  Engine lit(sel("    Image|endswith: '\\*.tmp'\n"));  // \* : a literal star
  EXPECT_TRUE(lit.fires(ev("Image", "C:\\x*.tmp")));
  EXPECT_FALSE(lit.fires(ev("Image", "C:\\xabc.tmp")));
}

// "all: ... changes this to AND".
TEST(Modifiers, AllIsAndOfValues) {
  Engine e(sel("    CommandLine|contains|all:\n      - ' -nop '\n      - ' -enc '\n"));
  EXPECT_TRUE(e.fires(ev("CommandLine", "powershell -nop -w hidden -enc AAAA")));
  EXPECT_TRUE(e.fires(ev("CommandLine", "powershell -enc AAAA -nop x")));
  EXPECT_FALSE(e.fires(ev("CommandLine", "powershell -nop -w hidden")));
  Engine any(sel("    CommandLine|contains:\n      - ' -nop '\n      - ' -enc '\n"));
  EXPECT_TRUE(any.fires(ev("CommandLine", "powershell -nop -w hidden")));
}

TEST(Modifiers, AllOverAMultiValuedField) {
  Engine e(sel("    tags|all:\n      - a\n      - b\n"));
  EXPECT_TRUE(e.fires(R"({"tags":["b","x","a"]})"));
  EXPECT_FALSE(e.fires(R"({"tags":["a","x"]})"));
}

// "exists: Defines that a certain field has to exist or must not exist ... this check only
// verifies the presence of a field, not its value, be it empty or null."
TEST(Modifiers, ExistsTrueAndFalse) {
  Engine yes(sel("    EventID: 4738\n    PasswordLastSet|exists: true\n"));
  EXPECT_TRUE(yes.fires(R"({"EventID":4738,"PasswordLastSet":"x"})"));
  EXPECT_TRUE(yes.fires(R"({"EventID":4738,"PasswordLastSet":""})"));
  EXPECT_TRUE(yes.fires(R"({"EventID":4738,"PasswordLastSet":null})"));
  EXPECT_FALSE(yes.fires(R"({"EventID":4738})"));
  Engine no(sel("    EventID: 4738\n    PasswordLastSet|exists: false\n"));
  EXPECT_FALSE(no.fires(R"({"EventID":4738,"PasswordLastSet":"x"})"));
  EXPECT_FALSE(no.fires(R"({"EventID":4738,"PasswordLastSet":null})"));
  EXPECT_TRUE(no.fires(R"({"EventID":4738})"));
}

// "cased: Values are applied case sensitively."
TEST(Modifiers, Cased) {
  Engine e(sel("    CommandLine|cased: 'Invoke-Mimikatz'\n"));
  EXPECT_TRUE(e.fires(ev("CommandLine", "Invoke-Mimikatz")));
  EXPECT_FALSE(e.fires(ev("CommandLine", "invoke-mimikatz")));
  Engine c(sel("    CommandLine|contains|cased: 'DumpCreds'\n"));
  EXPECT_TRUE(c.fires(ev("CommandLine", "x -DumpCreds y")));
  EXPECT_FALSE(c.fires(ev("CommandLine", "x -dumpcreds y")));
  Engine plain(sel("    CommandLine|contains: 'DumpCreds'\n"));
  EXPECT_TRUE(plain.fires(ev("CommandLine", "x -dumpcreds y")));
}

// "neq: The field is different from the specified values. It's can be used with string or number."
// Lachan's documented choice: a missing field does not match `neq`.
TEST(Modifiers, NeqString) {
  Engine e(sel("    EventID: 1\n    User|neq: admin\n"));
  EXPECT_TRUE(e.fires(R"({"EventID":1,"User":"bob"})"));
  EXPECT_FALSE(e.fires(R"({"EventID":1,"User":"admin"})"));
  EXPECT_FALSE(e.fires(R"({"EventID":1,"User":"ADMIN"})"));  // case-insensitive like any value
  EXPECT_FALSE(e.fires(R"({"EventID":1})"));
}

TEST(Modifiers, NeqNumberAndList) {
  Engine e(sel("    DestinationPort|neq: 443\n"));
  EXPECT_TRUE(e.fires(R"({"DestinationPort":80})"));
  EXPECT_FALSE(e.fires(R"({"DestinationPort":443})"));
  EXPECT_FALSE(e.fires(R"({"DestinationPort":"443"})"));
  Engine l(sel("    DestinationPort|neq:\n      - 80\n      - 443\n"));
  EXPECT_TRUE(l.fires(R"({"DestinationPort":8080})"));
  EXPECT_FALSE(l.fires(R"({"DestinationPort":80})"));
  EXPECT_FALSE(l.fires(R"({"DestinationPort":443})"));
  Engine c(sel("    Image|endswith|neq: '\\svchost.exe'\n"));
  EXPECT_TRUE(c.fires(ev("Image", "C:\\evil.exe")));
  EXPECT_FALSE(c.fires(ev("Image", "C:\\Windows\\SVCHOST.exe")));
}

// "windash: Creates all possible permutations of the `-`, `/`, `–` (en dash), `—` (em dash), and
// `―` (horizontal bar) characters."
TEST(Modifiers, WindashAllFiveDashes) {
  Engine e(sel("    CommandLine|windash|contains: ' -enc '\n"));
  for (std::string dash : {"-", "/", "\xE2\x80\x93", "\xE2\x80\x94", "\xE2\x80\x95"})
    EXPECT_TRUE(e.fires(ev("CommandLine", "powershell " + dash + "enc AAAA"))) << dash;
  EXPECT_FALSE(e.fires(ev("CommandLine", "powershell enc AAAA")));
  EXPECT_FALSE(e.fires(ev("CommandLine", "powershell \\enc AAAA")));
}

TEST(Modifiers, WindashOnlyAtFlagPositions) {
  Engine e(sel("    CommandLine|windash|contains: 'foo-bar'\n"));
  EXPECT_TRUE(e.fires(ev("CommandLine", "x foo-bar y")));
  EXPECT_FALSE(e.fires(ev("CommandLine", "x foo/bar y")));
  EXPECT_FALSE(e.fires(ev("CommandLine", "x foo\xE2\x80\x93" "bar y")));
  Engine slash(sel("    CommandLine|windash|contains: '/c '\n"));
  EXPECT_TRUE(slash.fires(ev("CommandLine", "cmd.exe -c dir")));
  EXPECT_TRUE(slash.fires(ev("CommandLine", "cmd.exe /c dir")));
}

TEST(Modifiers, WindashTwoFlags) {
  Engine e(sel("    CommandLine|windash|contains: ' -a -b'\n"));
  EXPECT_TRUE(e.fires(ev("CommandLine", "x /a \xE2\x80\x94" "b")));
  EXPECT_TRUE(e.fires(ev("CommandLine", "x -a /b")));
  EXPECT_FALSE(e.fires(ev("CommandLine", "x -a b")));
}

// "re: ... Regex is matched case-sensitive by default"; i, m, s sub-modifiers.
TEST(Modifiers, RegexCaseSensitiveByDefault) {
  Engine e(sel("    CommandLine|re: 'Invoke-[A-Z][a-z]+'\n"));
  EXPECT_TRUE(e.fires(ev("CommandLine", "IEX; Invoke-Mimikatz -x")));  // unanchored
  EXPECT_FALSE(e.fires(ev("CommandLine", "invoke-mimikatz")));
  Engine anchored(sel("    CommandLine|re: '^cmd\\.exe$'\n"));
  EXPECT_TRUE(anchored.fires(ev("CommandLine", "cmd.exe")));
  EXPECT_FALSE(anchored.fires(ev("CommandLine", "xcmd.exe")));
  EXPECT_FALSE(anchored.fires(ev("CommandLine", "cmdxexe")));
}

TEST(Modifiers, RegexFlags) {
  Engine i(sel("    CommandLine|re|i: 'invoke-mimikatz'\n"));
  EXPECT_TRUE(i.fires(ev("CommandLine", "INVOKE-MIMIKATZ")));
  // m: ^ and $ match at line boundaries.
  Engine nom(sel("    Msg|re: '^second'\n"));
  Engine m(sel("    Msg|re|m: '^second'\n"));
  EXPECT_FALSE(nom.fires(ev("Msg", "first\nsecond")));
  EXPECT_TRUE(m.fires(ev("Msg", "first\nsecond")));
  // s: dot matches newline.
  Engine nos(sel("    Msg|re: 'a.b'\n"));
  Engine s(sel("    Msg|re|s: 'a.b'\n"));
  EXPECT_FALSE(nos.fires(ev("Msg", "a\nb")));
  EXPECT_TRUE(s.fires(ev("Msg", "a\nb")));
  Engine all(sel("    Msg|re|i|m|s: '^X.Y$'\n"));
  EXPECT_TRUE(all.fires(ev("Msg", "zz\nx\ny\nzz")));
}

// A list of regexes is evaluated as one alternation: each keeps its own flags and anchors.
TEST(Modifiers, RegexListKeepsEachRegexFlags) {
  Engine e(sel("    Msg|re:\n      - '(?i)^abc$'\n      - 'x.y'\n      - '(?s)p.q'\n"));
  EXPECT_TRUE(e.fires(ev("Msg", "ABC")));
  EXPECT_FALSE(e.fires(ev("Msg", "ABCD")));
  EXPECT_TRUE(e.fires(ev("Msg", "--x-y--")));
  EXPECT_FALSE(e.fires(ev("Msg", "X-Y")));  // (?i) of the first does not reach the second
  EXPECT_FALSE(e.fires(ev("Msg", "x\ny")));
  EXPECT_TRUE(e.fires(ev("Msg", "p\nq")));
  Engine none(sel("    Msg|re:\n      - 'a+b'\n      - 'c+d'\n"));
  EXPECT_FALSE(none.fires(ev("Msg", "acbd")));
}

TEST(Modifiers, RegexCountedRepetitionOfAnyCharacter) {
  // `.{N,}` is evaluated as "a line of at least N characters".
  Engine e(sel("    CommandLine|re: '.{10,}'\n"));
  EXPECT_TRUE(e.fires(ev("CommandLine", "0123456789")));
  EXPECT_FALSE(e.fires(ev("CommandLine", "012345678")));
  EXPECT_FALSE(e.fires(ev("CommandLine", "01234\n56789")));
  EXPECT_FALSE(e.fires(ev("CommandLine", "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9")));  // 5 characters, 10 bytes
}

// "base64: The value is encoded with Base64."
TEST(Modifiers, Base64IsTheExactEncoding) {
  Engine e(sel("    Payload|base64: 'whoami'\n"));
  EXPECT_TRUE(e.fires(ev("Payload", "d2hvYW1p")));
  EXPECT_FALSE(e.fires(ev("Payload", "whoami")));
  EXPECT_FALSE(e.fires(ev("Payload", "xd2hvYW1p")));
  Engine c(sel("    CommandLine|base64|contains: 'http://'\n"));
  EXPECT_TRUE(c.fires(ev("CommandLine", "powershell -e aHR0cDovLw==")));
  EXPECT_TRUE(c.fires(ev("CommandLine", "aHR0cDovLw==")));
}

// "base64offset: ... three variants for shifts by zero to two bytes".
TEST(Modifiers, Base64OffsetContainsAtEveryOffset) {
  Engine e(sel("    CommandLine|base64offset|contains: 'Invoke-Expression'\n"));
  for (size_t pre = 0; pre < 6; ++pre)
    for (size_t post = 0; post < 3; ++post) {
      std::string text = std::string("IEX (New-Object Net.WebClient); ").substr(0, pre) + "Invoke-Expression" +
                         std::string(" $x").substr(0, post);
      EXPECT_TRUE(e.fires(ev("CommandLine", "powershell -enc " + base64_encode(text)))) << text;
    }
  EXPECT_FALSE(e.fires(ev("CommandLine", "powershell -enc " + base64_encode("Get-Process; Write-Output"))));
}

// SigmaHQ writes `|utf16le|base64offset|contains` (and the alias `wide`) for PowerShell -enc
// payloads, which are Base64 of UTF-16LE text.
TEST(Modifiers, Utf16leThenBase64Offset) {
  for (const char* mods : {"utf16le", "wide"}) {
    Engine e(sel(std::string("    CommandLine|") + mods + "|base64offset|contains: 'Net.WebClient'\n"));
    for (size_t pre = 0; pre < 3; ++pre) {
      // Put the value at byte offsets 0, 2, 4 (mod 3: 0, 2, 1) inside the UTF-16 text.
      std::string inner = std::string("xx").substr(0, pre) + "Net.WebClient).Download";
      EXPECT_TRUE(e.fires(ev("CommandLine", "powershell -e " + base64_encode(to_utf16(inner, Utf16::le)))))
          << mods << " " << pre;
    }
    EXPECT_FALSE(e.fires(ev("CommandLine", "powershell -e " + base64_encode("Net.WebClient"))));  // not UTF-16
  }
}

// "utf16le: cmd > 63 00 6d 00 64 00; utf16be: 00 63 00 6d 00 64; utf16: FF FE 63 00 6d 00 64 00".
TEST(Modifiers, Utf16VariantsWithBase64) {
  Engine le(sel("    P|utf16le|base64: 'cmd'\n"));
  EXPECT_TRUE(le.fires(ev("P", "YwBtAGQA")));
  Engine be(sel("    P|utf16be|base64: 'cmd'\n"));
  EXPECT_TRUE(be.fires(ev("P", "AGMAbQBk")));
  EXPECT_FALSE(be.fires(ev("P", "YwBtAGQA")));
  Engine bom(sel("    P|utf16|base64: 'cmd'\n"));
  EXPECT_TRUE(bom.fires(ev("P", "//5jAG0AZAA=")));
}

TEST(Modifiers, Utf16leOnRawText) {
  Engine e(sel("    P|wide|contains: 'cmd'\n"));
  EXPECT_TRUE(e.fires(R"({"P":"x\u0063\u0000m\u0000d\u0000y"})"));
  EXPECT_FALSE(e.fires(R"({"P":"cmd"})"));
}

// Numeric modifiers lt, lte, gt, gte; event values as JSON numbers or as strings.
TEST(Modifiers, NumericComparisons) {
  struct Case {
    const char* mod;
    bool at9, at10, at11;
  } cases[] = {{"lt", true, false, false}, {"lte", true, true, false}, {"gt", false, false, true}, {"gte", false, true, true}};
  for (const auto& c : cases) {
    Engine e(sel(std::string("    Count|") + c.mod + ": 10\n"));
    EXPECT_EQ(e.fires(R"({"Count":9})"), c.at9) << c.mod;
    EXPECT_EQ(e.fires(R"({"Count":10})"), c.at10) << c.mod;
    EXPECT_EQ(e.fires(R"({"Count":11})"), c.at11) << c.mod;
    EXPECT_EQ(e.fires(R"({"Count":"9"})"), c.at9) << c.mod;
    EXPECT_EQ(e.fires(R"({"Count":"10"})"), c.at10) << c.mod;
    EXPECT_EQ(e.fires(R"({"Count":"11"})"), c.at11) << c.mod;
    EXPECT_FALSE(e.fires(R"({"Count":"ten"})")) << c.mod;
    EXPECT_FALSE(e.fires(R"({"Count":null})")) << c.mod;
    EXPECT_FALSE(e.fires(R"({"Other":9})")) << c.mod;
  }
}

TEST(Modifiers, NumericFractionsNegativesAndRuleValueAsString) {
  Engine e(sel("    Score|gt: '2.5'\n"));
  EXPECT_TRUE(e.fires(R"({"Score":2.75})"));
  EXPECT_FALSE(e.fires(R"({"Score":2.5})"));
  EXPECT_FALSE(e.fires(R"({"Score":-3})"));
  Engine n(sel("    Delta|lt: -1\n"));
  EXPECT_TRUE(n.fires(R"({"Delta":-2})"));
  EXPECT_FALSE(n.fires(R"({"Delta":0})"));
}

TEST(Modifiers, NumericRangeWithTwoItems) {
  Engine e(sel("    Port|gte: 1024\n    Port|lte: 2048\n"));
  EXPECT_TRUE(e.fires(R"({"Port":1500})"));
  EXPECT_FALSE(e.fires(R"({"Port":80})"));
  EXPECT_FALSE(e.fires(R"({"Port":4096})"));
}

// Time modifiers: "it extracts a numeric value from a date" (UTC here).
TEST(Modifiers, TimeParts) {
  const std::string ts = R"({"UtcTime":"2021-01-01T13:45:30.5Z"})";  // a Friday, ISO week 53 of 2020
  struct Case {
    const char* mod;
    const char* yes;
    const char* no;
  } cases[] = {{"minute", "45", "44"}, {"hour", "13", "14"}, {"day", "1", "2"},
               {"week", "53", "1"},    {"month", "1", "12"}, {"year", "2021", "2020"}};
  for (const auto& c : cases) {
    EXPECT_TRUE(Engine(sel(std::string("    UtcTime|") + c.mod + ": " + c.yes + "\n")).fires(ts)) << c.mod;
    EXPECT_FALSE(Engine(sel(std::string("    UtcTime|") + c.mod + ": " + c.no + "\n")).fires(ts)) << c.mod;
  }
}

TEST(Modifiers, TimePartsWithComparisonAndOtherFormats) {
  Engine night(sel("    ts|hour|lt: 6\n"));
  EXPECT_TRUE(night.fires(R"({"ts":"2024-05-06 03:10:00"})"));
  EXPECT_FALSE(night.fires(R"({"ts":"2024-05-06 13:10:00"})"));
  EXPECT_TRUE(night.fires(R"({"ts":1714965000})"));            // 2024-05-06T03:10:00Z as epoch seconds
  EXPECT_TRUE(night.fires(R"({"ts":"2024-05-06T10:10:00+07:00"})"));  // 03:10 UTC
  EXPECT_FALSE(night.fires(R"({"ts":"not a time"})"));
  Engine gte(sel("    ts|gte|hour: 22\n"));
  EXPECT_TRUE(gte.fires(R"({"ts":"2024-05-06T23:00:00Z"})"));
  EXPECT_FALSE(gte.fires(R"({"ts":"2024-05-06T21:59:59Z"})"));
}

// "cidr: ... Supports both IPv4 and IPv6 notations."
TEST(Modifiers, CidrIpv4AndIpv6) {
  Engine e(sel("    DestinationIp|cidr:\n      - '10.0.0.0/8'\n      - '192.168.0.0/16'\n      - 'fe80::/10'\n"));
  EXPECT_TRUE(e.fires(R"({"DestinationIp":"10.20.30.40"})"));
  EXPECT_TRUE(e.fires(R"({"DestinationIp":"192.168.255.1"})"));
  EXPECT_TRUE(e.fires(R"({"DestinationIp":"fe80::1234"})"));
  EXPECT_FALSE(e.fires(R"({"DestinationIp":"11.0.0.1"})"));
  EXPECT_FALSE(e.fires(R"({"DestinationIp":"2001:db8::1"})"));
  EXPECT_FALSE(e.fires(R"({"DestinationIp":"not-an-ip"})"));
  Engine notin(make_rule("  sel:\n    EventID: 3\n  local:\n    DestinationIp|cidr: '10.0.0.0/8'\n"
                         "  condition: sel and not local\n"));
  EXPECT_TRUE(notin.fires(R"({"EventID":3,"DestinationIp":"8.8.8.8"})"));
  EXPECT_FALSE(notin.fires(R"({"EventID":3,"DestinationIp":"10.1.1.1"})"));
}

// "expand: Modifier for expansion of placeholders in values"; rules specification: "`field:
// %name%` handles `%name%` as literal value", "`field|expand: \%plain%name%` handles `%plain`
// as plain value and `%name%` as placeholder."
TEST(Modifiers, ExpandPlaceholders) {
  TempFile ph("placeholders.yml", "Admins:\n  - admin\n  - root*\nDCs:\n  - dc01\n");
  RulesetOptions o;
  o.placeholders_path = ph.path();
  Engine e(sel("    User|expand: '%Admins%'\n"), "", o);
  ASSERT_EQ(e.loaded().error_codes(), std::vector<std::string>{});
  EXPECT_TRUE(e.fires(R"({"User":"ADMIN"})"));
  EXPECT_TRUE(e.fires(R"({"User":"rootkit"})"));  // placeholder values are Sigma values: * is a wildcard
  EXPECT_FALSE(e.fires(R"({"User":"bob"})"));
  EXPECT_FALSE(e.fires(R"({"User":"%Admins%"})"));

  Engine mixed(sel("    Host|expand|startswith: 'srv-%DCs%'\n"), "", o);
  EXPECT_TRUE(mixed.fires(R"({"Host":"srv-dc01.corp"})"));
  EXPECT_FALSE(mixed.fires(R"({"Host":"srv-dc02"})"));

  Engine escaped(sel("    Host|expand: '\\%plain%DCs%'\n"), "", o);
  EXPECT_TRUE(escaped.fires(R"({"Host":"%plaindc01"})"));

  Engine literal(sel("    User: '%Admins%'\n"), "", o);
  EXPECT_TRUE(literal.fires(R"({"User":"%Admins%"})"));
  EXPECT_FALSE(literal.fires(R"({"User":"admin"})"));
}

// "If the tool isn't able to handle placeholders, it must reject the rule."
TEST(Modifiers, ExpandUnknownPlaceholderRejectsTheRule) {
  TempFile ph("placeholders.yml", "Admins:\n  - admin\n");
  RulesetOptions o;
  o.placeholders_path = ph.path();
  auto l = load_rules({sel("    User|expand: '%Nope%'\n")}, "", o);
  EXPECT_TRUE(has(l.error_codes(), "unknown-placeholder"));
  EXPECT_EQ(l.rs->rules().size(), 0u);
  auto none = load_rules({sel("    User|expand: '%Admins%'\n")});  // no placeholder file at all
  EXPECT_TRUE(has(none.error_codes(), "unknown-placeholder"));
}

TEST(Modifiers, ExpandEmptyPlaceholderMatchesNothing) {
  TempFile ph("placeholders.yml", "Empty: []\n");
  RulesetOptions o;
  o.placeholders_path = ph.path();
  Engine e(sel("    User|expand: '%Empty%'\n"), "", o);
  EXPECT_EQ(e.rule_count(), 1u);
  EXPECT_FALSE(e.fires(R"({"User":""})"));
  EXPECT_FALSE(e.fires(R"({"User":"x"})"));
}

// "fieldref: ... compare fields of matched events directly ... Can be combined with the neq modifier."
TEST(Modifiers, FieldrefEqualAndNotEqual) {
  Engine eq(sel("    TargetUserName|fieldref: SubjectUserName\n"));
  EXPECT_TRUE(eq.fires(R"({"TargetUserName":"bob","SubjectUserName":"bob"})"));
  EXPECT_TRUE(eq.fires(R"({"TargetUserName":"Bob","SubjectUserName":"BOB"})"));  // case-insensitive by default
  EXPECT_FALSE(eq.fires(R"({"TargetUserName":"bob","SubjectUserName":"alice"})"));
  EXPECT_FALSE(eq.fires(R"({"TargetUserName":"bob"})"));
  EXPECT_FALSE(eq.fires(R"({"SubjectUserName":"bob"})"));
  Engine ne(sel("    TargetUserName|fieldref|neq: SubjectUserName\n"));
  EXPECT_FALSE(ne.fires(R"({"TargetUserName":"bob","SubjectUserName":"bob"})"));
  EXPECT_TRUE(ne.fires(R"({"TargetUserName":"bob","SubjectUserName":"alice"})"));
  EXPECT_FALSE(ne.fires(R"({"SubjectUserName":"alice"})"));  // the field itself is missing
  Engine cased(sel("    A|fieldref|cased: B\n"));
  EXPECT_FALSE(cased.fires(R"({"A":"Bob","B":"bob"})"));
  EXPECT_TRUE(cased.fires(R"({"A":"bob","B":"bob"})"));
}

TEST(Modifiers, FieldrefWithPosition) {
  Engine c(sel("    CommandLine|fieldref|contains: User\n"));
  EXPECT_TRUE(c.fires(R"({"CommandLine":"runas /user:Bob x","User":"bob"})"));
  EXPECT_FALSE(c.fires(R"({"CommandLine":"runas x","User":"bob"})"));
  Engine s(sel("    Path|fieldref|startswith: Home\n"));
  EXPECT_TRUE(s.fires(R"({"Path":"/home/bob/x","Home":"/home/bob"})"));
  EXPECT_FALSE(s.fires(R"({"Path":"/tmp/home/bob","Home":"/home/bob"})"));
}
