// demo/constituency.json (scripts/gen_demo_constituency.py) loads, validates against the shipped
// reference, has the expected shape, and attributes the demo telemetry to member orgs.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "constituency/constituency.h"
#include "constituency/org_io.h"
#include "fixtures.h"

using namespace lachan;
using namespace lachan::constituency;
using Ids = std::vector<std::string>;

namespace {

std::shared_ptr<const Constituency> demo() {
  std::ifstream in(LACHAN_SOURCE_DIR "/demo/constituency.json", std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  auto orgs = parse_orgs_json(ss.str());
  EXPECT_TRUE(orgs) << (orgs ? "" : orgs.error().message);
  if (!orgs) return nullptr;
  auto c = Constituency::build(std::move(orgs).value(), fixtures::shipped_reference());
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  return c ? *c : nullptr;
}

std::string owner(const store::Organisation* o) {
  return o ? o->id : "-";
}

}  // namespace

TEST(Demo, ValidatesAndHasTheExpectedShape) {
  auto c = demo();
  ASSERT_TRUE(c);
  auto count = [&](store::OrgKind k) {
    return std::count_if(c->organisations().begin(), c->organisations().end(),
                         [k](const store::Organisation& o) { return o.kind == k; });
  };
  EXPECT_EQ(count(store::OrgKind::national_centre), 1);
  EXPECT_EQ(count(store::OrgKind::provincial_unit), 34);
  EXPECT_EQ(count(store::OrgKind::sector_team), 11);
  EXPECT_GE(c->organisations().size() - 46, 90u);
  EXPECT_EQ(c->national_centre(), "ncsc");
  for (const auto& p : c->provinces()) EXPECT_NE(c->find("ca-" + p.id), nullptr) << p.id;
  for (const auto& s : c->sectors()) EXPECT_NE(c->find("csirt-" + s.id), nullptr) << s.id;
  ASSERT_NE(c->find("ca-ho-chi-minh"), nullptr);
  EXPECT_EQ(c->find("ca-ho-chi-minh")->name, "Công an Thành phố Hồ Chí Minh");
  EXPECT_EQ(c->find("ca-nghe-an")->name, "Công an tỉnh Nghệ An");
  EXPECT_EQ(c->find("ca-da-nang")->name, "Công an thành phố Đà Nẵng");
}

TEST(Demo, TelemetryAttributesToMembers) {
  auto c = demo();
  ASSERT_TRUE(c);
  EXPECT_EQ(owner(c->owner_of_ip("10.10.1.21")), "bvhn-nghe-an");
  EXPECT_EQ(owner(c->owner_of_ip("10.10.5.14")), "bvhn-nghe-an");
  EXPECT_EQ(owner(c->owner_of_host("WS24.corp.local")), "bvhn-nghe-an");
  EXPECT_EQ(owner(c->owner_of_host("SRV-FILE01")), "bvhn-nghe-an");
  EXPECT_EQ(owner(c->owner_of_host("nsm01")), "bvhn-nghe-an");
  EXPECT_EQ(owner(c->owner_of_host("bastion01")), "cong-dvc-da-nang");
  EXPECT_EQ(owner(c->owner_of_host("web02")), "cong-dvc-da-nang");
  EXPECT_EQ(owner(c->owner_of_ip("192.0.2.33")), "cong-dvc-da-nang");
  EXPECT_EQ(owner(c->owner_of_ip("203.0.113.60")), "saoviet-cloud");
  EXPECT_EQ(owner(c->owner_of_ip("198.51.100.66")), "-");  // abroad
  EXPECT_EQ(owner(c->owner_of_asn(45899)), "vnpt");
  EXPECT_EQ(owner(c->owner_of_domain("portal.pcthanhhoa.evn.com.vn")), "pc-thanh-hoa");  // longest suffix
  EXPECT_EQ(owner(c->owner_of_domain("www.evn.com.vn")), "evn");
}

TEST(Demo, RoutingFacts) {
  auto c = demo();
  ASSERT_TRUE(c);
  EXPECT_EQ(Ids(c->routes("bvhn-nghe-an").begin(), c->routes("bvhn-nghe-an").end()),
            (Ids{"bvhn-nghe-an", "ca-nghe-an", "csirt-health", "ncsc", "so-y-te-nghe-an"}));
  auto vcb = c->routes("vcb");
  EXPECT_TRUE(std::binary_search(vcb.begin(), vcb.end(), "nhnn"));
  EXPECT_TRUE(std::binary_search(vcb.begin(), vcb.end(), "csirt-banking"));
  EXPECT_TRUE(std::binary_search(vcb.begin(), vcb.end(), "ca-ha-noi"));
  EXPECT_EQ(c->visible_orgs("ncsc").size(), c->organisations().size());
  auto evn = c->visible_orgs("evn");
  EXPECT_TRUE(std::binary_search(evn.begin(), evn.end(), "pc-thanh-hoa"));  // grandchild
  auto ca = c->visible_orgs("ca-nghe-an");
  for (const auto& id : ca) EXPECT_EQ(c->find(id)->province, "nghe-an") << id;
  auto health = c->visible_orgs("csirt-health");
  for (const auto& id : health) {
    const auto& s = c->find(id)->sectors;
    EXPECT_TRUE(id == "csirt-health" || std::find(s.begin(), s.end(), "health") != s.end()) << id;
  }
  EXPECT_GT(health.size(), 5u);
}

TEST(Demo, RoundTripsThroughCsvAndJson) {
  auto c = demo();
  ASSERT_TRUE(c);
  auto csv = write_orgs_csv(c->organisations());
  ASSERT_TRUE(csv) << csv.error().message;
  auto from_csv = parse_orgs_csv(*csv);
  ASSERT_TRUE(from_csv) << from_csv.error().message;
  auto from_json = parse_orgs_json(write_orgs_json(c->organisations()));
  ASSERT_TRUE(from_json) << from_json.error().message;
  ASSERT_EQ(from_csv->size(), c->organisations().size());
  ASSERT_EQ(from_json->size(), c->organisations().size());
  for (size_t i = 0; i < from_csv->size(); ++i) {
    const auto& o = c->organisations()[i];
    EXPECT_EQ((*from_csv)[i].name, o.name);
    EXPECT_EQ((*from_csv)[i].networks, o.networks);
    EXPECT_EQ((*from_csv)[i].contacts.size(), o.contacts.size());
    EXPECT_EQ((*from_json)[i].hosts, o.hosts);
  }
  EXPECT_TRUE(Constituency::build(std::move(from_csv).value(), fixtures::shipped_reference()));
}
