// Detection -> warning: attribution, routes, entities, dedup keys.
#include <gtest/gtest.h>

#include <algorithm>

#include "constituency/reference.h"
#include "warn/warning_builder.h"

using namespace lachan;
using store::OrgKind;

namespace {

store::Organisation org(std::string id, OrgKind kind, std::string parent, std::string province,
                        std::vector<std::string> sectors = {}) {
  store::Organisation o;
  o.id = std::move(id);
  o.name = o.id;
  o.kind = kind;
  o.parent = std::move(parent);
  o.province = std::move(province);
  o.sectors = std::move(sectors);
  return o;
}

std::shared_ptr<const constituency::Constituency> registry() {
  auto ref = constituency::load_reference(std::string(LACHAN_SOURCE_DIR) + "/config/reference");
  EXPECT_TRUE(ref.ok());
  std::vector<store::Organisation> orgs;
  orgs.push_back(org("ncsc", OrgKind::national_centre, "", ""));
  orgs.push_back(org("ca-ha-noi", OrgKind::provincial_unit, "ncsc", "ha-noi"));
  orgs.push_back(org("ca-hue", OrgKind::provincial_unit, "ncsc", "hue"));
  orgs.push_back(org("csirt-banking", OrgKind::sector_team, "ncsc", "", {"banking"}));
  orgs.push_back(org("csirt-health", OrgKind::sector_team, "ncsc", "", {"health"}));
  orgs.push_back(org("sbv", OrgKind::ministry, "ncsc", "ha-noi", {"banking"}));
  auto bank = org("bank-a", OrgKind::enterprise, "sbv", "ha-noi", {"banking"});
  bank.networks = {"113.160.10.0/24"};
  bank.domains = {"bank-a.com.vn"};
  bank.asns = {64512};
  orgs.push_back(bank);
  auto hospital = org("hospital-b", OrgKind::important_operator, "ncsc", "hue", {"health"});
  hospital.networks = {"14.160.20.0/24"};
  orgs.push_back(hospital);
  auto c = constituency::Constituency::build(std::move(orgs), std::move(*ref));
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return *c;
}

const char* kSysmon =
    R"({"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"WS01.bank-a.local"},)"
    R"("EventData":{"Image":"C:\\Windows\\System32\\cmd.exe","User":"BANKA\\alice","SourceIp":"113.160.10.5",)"
    R"("Hashes":"SHA1=AAAA,MD5=BBBB,SHA256=CCCC"}}})";

bool has_entity(const store::Warning& w, std::string_view type, std::string_view value) {
  return std::any_of(w.entities.begin(), w.entities.end(),
                     [&](const store::Entity& e) { return e.type == type && e.value == value; });
}

}  // namespace

TEST(WarningBuilder, SenderIsVictimAndRoutesReachEveryTeamThatMustAct) {
  warn::WarningBuilder b(registry(), {});
  std::vector<std::string> tags{"attack.execution", "attack.t1059"};
  warn::Detection d;
  d.rule_id = "r1";
  d.rule_title = "Test rule";
  d.severity = store::Severity::high;
  d.tags = tags;
  d.event_json = kSysmon;
  d.event_time = 1000;
  d.sender_org = "bank-a";
  auto up = b.build(d);
  const auto& w = up.warning;
  EXPECT_EQ(w.org_id, "bank-a");
  EXPECT_EQ(w.province, "ha-noi");
  EXPECT_EQ(w.severity, store::Severity::high);
  EXPECT_EQ(w.first_seen, 1000);
  EXPECT_EQ(w.tlp, "amber");
  std::vector<std::string> want{"bank-a", "ca-ha-noi", "csirt-banking", "ncsc", "sbv"};
  EXPECT_EQ(w.routed_to, want);
  EXPECT_FALSE(std::count(w.routed_to.begin(), w.routed_to.end(), "ca-hue"));
  EXPECT_FALSE(std::count(w.routed_to.begin(), w.routed_to.end(), "csirt-health"));
  ASSERT_EQ(w.evidence.size(), 1u);
  EXPECT_EQ(w.evidence[0], kSysmon);
}

TEST(WarningBuilder, EntitiesFromWindowsFields) {
  warn::WarningBuilder b(registry(), {});
  warn::Detection d;
  d.rule_id = "r1";
  d.event_json = kSysmon;
  d.sender_org = "bank-a";
  auto w = b.build(d).warning;
  EXPECT_TRUE(has_entity(w, "host", "WS01.bank-a.local"));
  EXPECT_TRUE(has_entity(w, "user", "BANKA\\alice"));
  EXPECT_TRUE(has_entity(w, "ip", "113.160.10.5"));
  EXPECT_TRUE(has_entity(w, "hash", "CCCC"));
  EXPECT_TRUE(has_entity(w, "hash", "BBBB"));
  EXPECT_TRUE(has_entity(w, "process", "C:\\Windows\\System32\\cmd.exe"));
  // The host is the primary entity: the dedup key names it, lowercased.
  EXPECT_EQ(w.dedup_key, "r1|bank-a|host:ws01.bank-a.local");
}

TEST(WarningBuilder, DedupKeyDiffersByEntityRuleAndOrganisation) {
  std::vector<store::Entity> a{{"host", "A"}}, b{{"host", "B"}}, none;
  EXPECT_NE(warn::dedup_key("r", "o", a), warn::dedup_key("r", "o", b));
  EXPECT_NE(warn::dedup_key("r", "o", a), warn::dedup_key("r2", "o", a));
  EXPECT_NE(warn::dedup_key("r", "o", a), warn::dedup_key("r", "o2", a));
  EXPECT_EQ(warn::dedup_key("r", "o", {{"host", "a"}}), warn::dedup_key("r", "o", a));
  EXPECT_EQ(warn::dedup_key("r", "o", none), "r|o|");
}

TEST(WarningBuilder, FeedReportsAreAttributedToTheOwnerOfTheAddress) {
  warn::WarningBuilder b(registry(), {});
  std::vector<std::string> ips{"14.160.20.7"};
  warn::Detection d;
  d.detector = "feed";
  d.rule_id = "feed/botnet-drone";
  d.event_json = R"({"ip":"14.160.20.7","infection":"mirai"})";
  d.sender_org = "ncsc";
  d.victim_ips = ips;
  auto w = b.build(d).warning;
  EXPECT_EQ(w.org_id, "hospital-b");
  EXPECT_EQ(w.province, "hue");
  EXPECT_TRUE(std::count(w.routed_to.begin(), w.routed_to.end(), "csirt-health"));
  EXPECT_EQ(w.entities.front(), (store::Entity{"ip", "14.160.20.7"}));
  EXPECT_EQ(w.dedup_key, "feed/botnet-drone|hospital-b|ip:14.160.20.7");
}

TEST(WarningBuilder, FeedReportsByDomainAndAsnAndUnknownGoToTheCentre) {
  warn::WarningBuilder b(registry(), {});
  std::vector<std::string> unknown_ip{"8.8.8.8"}, domains{"mail.Bank-A.com.vn."};
  std::vector<uint32_t> asns{64512};
  warn::Detection d;
  d.rule_id = "feed/x";
  d.event_json = "{}";
  d.sender_org = "ncsc";
  d.victim_ips = unknown_ip;
  d.victim_domains = domains;
  EXPECT_EQ(b.build(d).warning.org_id, "bank-a");
  d.victim_domains = {};
  d.victim_asns = asns;
  EXPECT_EQ(b.build(d).warning.org_id, "bank-a");
  d.victim_asns = {};
  auto w = b.build(d).warning;
  EXPECT_EQ(w.org_id, "ncsc");
  EXPECT_EQ(w.routed_to, std::vector<std::string>{"ncsc"});
}

TEST(WarningBuilder, TlpFromRuleTagsAndEvidenceCap) {
  warn::WarnOptions o;
  o.max_evidence_bytes = 10;
  warn::WarningBuilder b(registry(), o);
  std::vector<std::string> tags{"attack.t1", "tlp.red"};
  warn::Detection d;
  d.rule_id = "r";
  d.tags = tags;
  d.event_json = kSysmon;
  d.sender_org = "unknown-sender";
  d.received_at = 77;
  auto w = b.build(d).warning;
  EXPECT_EQ(w.tlp, "red");
  EXPECT_EQ(w.org_id, "ncsc");  // an unknown sender cannot be a victim we route to
  EXPECT_EQ(w.first_seen, 77);  // no event time: the time it was received
  ASSERT_EQ(w.evidence.size(), 1u);
  EXPECT_NE(w.evidence[0].find("lachan_truncated"), std::string::npos);
}
