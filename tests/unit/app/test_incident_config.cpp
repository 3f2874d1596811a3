// The incident side's reference data: the RSIT taxonomy and the SLA policy files an operator edits.
#include <gtest/gtest.h>

#include <string>

#include "app/incident_service.h"

namespace lachan::app {
namespace {

using store::Severity;

TEST(Rsit, BundledTaxonomyHasEveryClassAndItsTypes) {
  auto t = RsitTaxonomy::load(LACHAN_SOURCE_DIR "/config/taxonomies/rsit.json");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_TRUE(t->contains("malicious-code:infected-system"));
  EXPECT_TRUE(t->contains("fraud:phishing"));
  EXPECT_TRUE(t->contains("other:other"));
  EXPECT_FALSE(t->contains("malicious-code"));            // a class alone is not a category
  EXPECT_FALSE(t->contains("malicious-code:ransomware"));  // nor a type RSIT does not have
  EXPECT_FALSE(t->contains("Malicious-Code:infected-system"));  // exact spelling
  EXPECT_GT(t->size(), 30u);
}

TEST(Rsit, ParseNamesTheOriginOfBadInput) {
  auto bad = RsitTaxonomy::parse("{\"values\": [", "rsit-broken.json");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("rsit-broken.json"), std::string::npos) << bad.error().message;
  auto empty = RsitTaxonomy::parse("{\"values\": []}", "rsit-empty.json");
  EXPECT_FALSE(empty) << "a taxonomy without categories is refused";
}

TEST(Rsit, SmallTaxonomy) {
  auto t = RsitTaxonomy::parse(R"({"values":[{"predicate":"fraud","entry":[{"value":"phishing"},{"value":"masquerade"}]}]})",
                               "small.json");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->size(), 2u);
  EXPECT_TRUE(t->contains("fraud:masquerade"));
}

TEST(SlaPolicy, BundledFile) {
  auto p = load_sla_policy(LACHAN_SOURCE_DIR "/config/sla.toml");
  ASSERT_TRUE(p) << p.error().message;
  const auto crit = static_cast<std::size_t>(Severity::critical);
  EXPECT_EQ(p->first_response_ms[crit], 15 * 60'000);
  EXPECT_EQ(p->resolution_ms[crit], 4 * 3'600'000);
  const auto info = static_cast<std::size_t>(Severity::informational);
  EXPECT_EQ(p->resolution_ms[info], 30LL * 86'400'000);
}

TEST(SlaPolicy, LeftOutSeverityKeepsTheDefault) {
  auto p = parse_sla_policy("[high]\nfirst_response = \"1h30m\"\n", "sla.toml");
  ASSERT_TRUE(p) << p.error().message;
  store::SlaPolicy d;
  const auto high = static_cast<std::size_t>(Severity::high);
  EXPECT_EQ(p->first_response_ms[high], 90 * 60'000);
  EXPECT_EQ(p->resolution_ms[high], d.resolution_ms[high]);
  EXPECT_EQ(p->first_response_ms[0], d.first_response_ms[0]);
}

TEST(SlaPolicy, EveryProblemIsNamed) {
  auto p = parse_sla_policy(
      "[urgent]\nfirst_response = \"1h\"\n"
      "[high]\nfirst_response = \"soon\"\nresolve = \"1d\"\n"
      "[low]\nfirst_response = \"0s\"\n",
      "my-sla.toml");
  ASSERT_FALSE(p);
  const auto& m = p.error().message;
  EXPECT_NE(m.find("my-sla.toml: [urgent] is not a severity table"), std::string::npos) << m;
  EXPECT_NE(m.find("high.first_response must be a duration"), std::string::npos) << m;
  EXPECT_NE(m.find("high.resolve: unknown key"), std::string::npos) << m;
  EXPECT_NE(m.find("low.first_response must be a duration"), std::string::npos) << m;
}

TEST(SlaPolicy, FirstResponseMayNotOutlastResolution) {
  auto p = parse_sla_policy("[medium]\nfirst_response = \"4d\"\nresolution = \"1d\"\n", "sla.toml");
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("[medium] first_response is longer than resolution"), std::string::npos)
      << p.error().message;
}

TEST(SlaPolicy, SyntaxErrorHasAPosition) {
  auto p = parse_sla_policy("[high\n", "sla.toml");
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("sla.toml:1"), std::string::npos) << p.error().message;
}

TEST(EvidenceName, FoldersAndControlsGo) {
  EXPECT_EQ(clean_evidence_name("../../etc/passwd"), "passwd");
  EXPECT_EQ(clean_evidence_name("C:\\Users\\a\\Thư tống tiền.pdf"), "Thư tống tiền.pdf");
  EXPECT_EQ(clean_evidence_name("a\r\nb.txt"), "ab.txt");
  EXPECT_EQ(clean_evidence_name(""), "evidence.bin");
  EXPECT_EQ(clean_evidence_name("/"), "evidence.bin");
}

}  // namespace
}  // namespace lachan::app
