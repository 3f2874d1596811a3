// The snapshot: ownership lookups (longest prefix, domain suffix on label boundaries, exact
// hosts, AS numbers) and warning routes with their inverse.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "constituency/constituency.h"
#include "fixtures.h"

using namespace lachan;
using namespace lachan::constituency;
using namespace lachan::constituency::fixtures;
using K = store::OrgKind;
using Ids = std::vector<std::string>;

namespace {

std::shared_ptr<const Constituency> small() {
  auto c = Constituency::build(small_set(), shipped_reference());
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  return c ? *c : nullptr;
}

std::string owner(const store::Organisation* o) {
  return o ? o->id : "-";
}
Ids ids(std::span<const std::string> s) {
  return Ids(s.begin(), s.end());
}

}  // namespace

TEST(Constituency, Accessors) {
  auto c = small();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->national_centre(), "ncsc");
  EXPECT_EQ(c->organisations().size(), 10u);
  EXPECT_EQ(c->provinces().size(), 34u);
  EXPECT_EQ(c->sectors().size(), 11u);
  ASSERT_NE(c->find("vcb"), nullptr);
  EXPECT_EQ(c->find("vcb")->asns, std::vector<std::uint32_t>{45543});
  EXPECT_EQ(c->find("nobody"), nullptr);
}

TEST(Constituency, LongestPrefixWins) {
  auto c = small();
  ASSERT_TRUE(c);
  EXPECT_EQ(owner(c->owner_of_ip("14.160.0.1")), "cloudvn");
  EXPECT_EQ(owner(c->owner_of_ip("14.160.31.255")), "cloudvn");
  EXPECT_EQ(owner(c->owner_of_ip("14.160.32.0")), "vcb");
  EXPECT_EQ(owner(c->owner_of_ip("14.160.32.255")), "vcb");
  EXPECT_EQ(owner(c->owner_of_ip("14.160.33.0")), "kho-bac-dn");
  EXPECT_EQ(owner(c->owner_of_ip("14.160.33.15")), "kho-bac-dn");
  EXPECT_EQ(owner(c->owner_of_ip("14.160.33.16")), "cloudvn");
  EXPECT_EQ(owner(c->owner_of_ip("14.160.255.255")), "cloudvn");
  EXPECT_EQ(owner(c->owner_of_ip("14.161.0.0")), "-");
  EXPECT_EQ(owner(c->owner_of_ip("14.159.255.255")), "-");
  EXPECT_EQ(owner(c->owner_of_ip("103.28.39.9")), "cloudvn");
  EXPECT_EQ(owner(c->owner_of_ip("::ffff:14.160.32.7")), "vcb");  // IPv4-mapped
  EXPECT_EQ(owner(c->owner_of_ip("2001:ee0:100:ffff::1")), "vcb");
  EXPECT_EQ(owner(c->owner_of_ip("2001:ee0:101::1")), "-");
  EXPECT_EQ(owner(c->owner_of_ip("not an address")), "-");
}

TEST(Constituency, EdgesOfTheAddressSpace) {
  auto orgs = small_set();
  orgs[8].networks = {"0.0.0.0/0", "255.255.255.255/32", "::/0"};
  orgs[9].networks = {"255.255.255.0/24", "ffff::/16"};
  auto c = Constituency::build(orgs, shipped_reference());
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(owner((*c)->owner_of_ip("0.0.0.0")), "vcb");
  EXPECT_EQ(owner((*c)->owner_of_ip("255.255.255.254")), "cloudvn");
  EXPECT_EQ(owner((*c)->owner_of_ip("255.255.255.255")), "vcb");
  EXPECT_EQ(owner((*c)->owner_of_ip("ffff:ffff::1")), "cloudvn");
  EXPECT_EQ(owner((*c)->owner_of_ip("fffe::1")), "vcb");
}

TEST(Constituency, MappedAddressesFallBackToShortIpv6Prefixes) {
  auto orgs = small_set();
  orgs[6].networks = {"::/80"};  // covers all IPv4-mapped addresses (::ffff:0:0/96)
  auto c = Constituency::build(orgs, shipped_reference());
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(owner((*c)->owner_of_ip("14.160.32.1")), "vcb");
  EXPECT_EQ(owner((*c)->owner_of_ip("8.8.8.8")), "kho-bac");
}

// The flattened ranges agree with a brute-force longest-prefix match over random nested prefixes.
TEST(Constituency, LongestPrefixMatchesBruteForce) {
  std::mt19937 rng(7);
  auto orgs = small_set();
  for (auto& o : orgs) o.networks.clear();
  struct Net {
    std::uint32_t base;
    unsigned bits;
    std::string owner;
  };
  std::vector<Net> nets;
  std::set<std::pair<std::uint32_t, unsigned>> seen;
  auto text = [](std::uint32_t a) {
    return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." + std::to_string((a >> 8) & 255) +
           "." + std::to_string(a & 255);
  };
  while (nets.size() < 400) {
    const unsigned bits = 8 + rng() % 25;  // /8 .. /32 inside 10.0.0.0/8-ish space
    const std::uint32_t base = (0x0a000000u | (rng() & 0x00ffffffu)) & (bits == 0 ? 0 : ~0u << (32 - bits));
    if (!seen.insert({base, bits}).second) continue;
    auto& o = orgs[rng() % orgs.size()];
    o.networks.push_back(text(base) + "/" + std::to_string(bits));
    nets.push_back({base, bits, o.id});
  }
  auto c = Constituency::build(orgs, shipped_reference());
  ASSERT_TRUE(c) << c.error().message;
  for (int k = 0; k < 20000; ++k) {
    const std::uint32_t a = k % 2 ? (0x0a000000u | (rng() & 0x00ffffffu)) : nets[rng() % nets.size()].base + rng() % 3;
    const Net* best = nullptr;
    for (const auto& n : nets)
      if ((n.bits == 0 || (a >> (32 - n.bits)) == (n.base >> (32 - n.bits))) && (!best || n.bits > best->bits))
        best = &n;
    ASSERT_EQ(owner((*c)->owner_of_ip(text(a))), best ? best->owner : "-") << text(a);
  }
}

TEST(Constituency, SamePrefixTwiceFailsTheBuild) {
  auto orgs = small_set();
  orgs[6].networks = {"14.160.32.0/24"};  // vcb's
  std::vector<Problem> ps;
  auto c = Constituency::build(orgs, shipped_reference(), &ps);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, Errc::invalid_config);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].code, Errc::conflict);
}

TEST(Constituency, DomainSuffixOnLabelBoundaries) {
  auto c = small();
  ASSERT_TRUE(c);
  EXPECT_EQ(owner(c->owner_of_domain("vcb.com.vn")), "vcb");
  EXPECT_EQ(owner(c->owner_of_domain("Mail.VCB.com.vn.")), "vcb");
  EXPECT_EQ(owner(c->owner_of_domain("xvcb.com.vn")), "-");
  EXPECT_EQ(owner(c->owner_of_domain("com.vn")), "-");
  EXPECT_EQ(owner(c->owner_of_domain("www.kbnn.gov.vn")), "kho-bac");
  EXPECT_EQ(owner(c->owner_of_domain("portal.danang.kbnn.gov.vn")), "kho-bac-dn");  // longest suffix
  EXPECT_EQ(owner(c->owner_of_domain("vcb.com.vn.cloudvn.vn")), "cloudvn");
  EXPECT_EQ(owner(c->owner_of_domain("")), "-");
  EXPECT_EQ(owner(c->owner_of_domain(".")), "-");
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "abcdefgh.";
  EXPECT_EQ(owner(c->owner_of_domain(deep + "kbnn.gov.vn")), "kho-bac");  // longer than 253
}

TEST(Constituency, HostsAndAsns) {
  auto c = small();
  ASSERT_TRUE(c);
  EXPECT_EQ(owner(c->owner_of_host("CORE01.vcb.com.vn.")), "vcb");
  EXPECT_EQ(owner(c->owner_of_host("core02.vcb.com.vn")), "-");
  EXPECT_EQ(owner(c->owner_of_host("vcb.com.vn")), "-");  // hosts are exact
  EXPECT_EQ(owner(c->owner_of_asn(45543)), "vcb");
  EXPECT_EQ(owner(c->owner_of_asn(131353)), "cloudvn");
  EXPECT_EQ(owner(c->owner_of_asn(7552)), "-");
}

TEST(Constituency, Routes) {
  auto c = small();
  ASSERT_TRUE(c);
  EXPECT_EQ(ids(c->routes("kho-bac-dn")),
            (Ids{"bo-tai-chinh", "ca-da-nang", "csirt-banking", "kho-bac", "kho-bac-dn", "ncsc"}));
  EXPECT_EQ(ids(c->routes("vcb")), (Ids{"ca-ha-noi", "csirt-banking", "ncsc", "vcb"}));
  // No provincial unit for Ho Chi Minh City and no team for its sector in this set.
  EXPECT_EQ(ids(c->routes("cloudvn")), (Ids{"cloudvn", "ncsc"}));
  EXPECT_EQ(ids(c->routes("ncsc")), (Ids{"ncsc"}));
  EXPECT_EQ(ids(c->routes("ca-ha-noi")), (Ids{"ca-ha-noi", "ncsc"}));
  EXPECT_TRUE(c->routes("nobody").empty());
}

TEST(Constituency, VisibleOrgsIsTheInverseOfRoutes) {
  auto c = small();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->visible_orgs("ncsc").size(), c->organisations().size());
  EXPECT_EQ(ids(c->visible_orgs("ca-ha-noi")), (Ids{"bo-tai-chinh", "ca-ha-noi", "kho-bac", "vcb"}));
  EXPECT_EQ(ids(c->visible_orgs("csirt-banking")), (Ids{"csirt-banking", "kho-bac-dn", "vcb"}));
  EXPECT_EQ(ids(c->visible_orgs("bo-tai-chinh")), (Ids{"bo-tai-chinh", "kho-bac", "kho-bac-dn"}));
  EXPECT_EQ(ids(c->visible_orgs("vcb")), (Ids{"vcb"}));
  EXPECT_TRUE(c->visible_orgs("nobody").empty());
  for (const auto& o : c->organisations())
    for (const auto& viewer : c->routes(o.id)) {
      auto v = c->visible_orgs(viewer);
      EXPECT_TRUE(std::binary_search(v.begin(), v.end(), o.id)) << viewer << " should see " << o.id;
    }
}
