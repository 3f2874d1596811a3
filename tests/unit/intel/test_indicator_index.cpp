// The indicator index: normal forms, longest-prefix addresses, domain suffixes, exact values.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "intel/indicator_index.h"
#include "match/cidr.h"

namespace lachan::intel {
namespace {

std::shared_ptr<const IndicatorIndex> index_of(std::initializer_list<std::tuple<ValueType, const char*, IndicatorId>> v) {
  IndexBuilder b;
  for (const auto& [t, value, id] : v) {
    auto r = b.add(t, value, id);
    EXPECT_TRUE(r.ok()) << value << ": " << r.error().message;
  }
  return b.build();
}

TEST(Normalise, FormsPerType) {
  EXPECT_EQ(normalise(ValueType::domain, " *.Evil.Example. "), "evil.example");
  EXPECT_FALSE(normalise(ValueType::domain, "localhost"));
  EXPECT_FALSE(normalise(ValueType::domain, "a..b"));
  EXPECT_FALSE(normalise(ValueType::domain, "bad domain.vn"));
  EXPECT_EQ(normalise(ValueType::url, "HTTP://User@Evil.Example:80/Path?q=1#frag"), "http://evil.example/Path?q=1");
  EXPECT_EQ(normalise(ValueType::url, "https://evil.example:443"), "https://evil.example/");
  EXPECT_EQ(normalise(ValueType::url, "https://evil.example:8443?x"), "https://evil.example:8443/?x");
  EXPECT_FALSE(normalise(ValueType::url, "evil.example/path"));
  EXPECT_EQ(normalise(ValueType::email, "Phish@Evil.Example"), "phish@evil.example");
  EXPECT_FALSE(normalise(ValueType::email, "a@b@c"));
  EXPECT_EQ(normalise(ValueType::md5, "D41D8CD98F00B204E9800998ECF8427E"), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_FALSE(normalise(ValueType::md5, "d41d8cd98f00b204e9800998ecf8427"));   // 31 digits
  EXPECT_FALSE(normalise(ValueType::sha1, "zz1d8cd98f00b204e9800998ecf8427e00000000"));
  EXPECT_EQ(normalise(ValueType::file_name, "C:\\Users\\Public\\Invoice.EXE"), "invoice.exe");
  EXPECT_EQ(parse_value_type("sha256"), ValueType::sha256);
  EXPECT_FALSE(parse_value_type("sha512"));
}

TEST(IndicatorIndex, AddressesByLongestPrefix) {
  auto idx = index_of({{ValueType::ip, "198.51.100.0/24", 1},
                       {ValueType::ip, "198.51.100.128/25", 2},
                       {ValueType::ip, "198.51.100.200", 3},
                       {ValueType::ip, "2001:db8::/32", 4},
                       {ValueType::ip, "2001:db8::1", 5}});
  EXPECT_EQ(idx->match_ip("198.51.100.7"), 1u);
  EXPECT_EQ(idx->match_ip("198.51.100.130"), 2u);
  EXPECT_EQ(idx->match_ip("198.51.100.200"), 3u);
  EXPECT_FALSE(idx->match_ip("198.51.101.1"));
  EXPECT_EQ(idx->match_ip("2001:db8:0:0::1"), 5u);
  EXPECT_EQ(idx->match_ip("2001:db8:ffff::9"), 4u);
  EXPECT_FALSE(idx->match_ip("2001:db9::1"));
  EXPECT_FALSE(idx->match_ip("not an address"));
  EXPECT_EQ(idx->size(), 5u);
}

TEST(IndicatorIndex, DomainsMatchTheirSubdomains) {
  auto idx = index_of({{ValueType::domain, "evil.example", 1}, {ValueType::domain, "cdn.good.example", 2}});
  EXPECT_EQ(idx->match_domain("evil.example"), 1u);
  EXPECT_EQ(idx->match_domain("A.B.EVIL.example."), 1u);
  EXPECT_FALSE(idx->match_domain("notevil.example"));  // a suffix, but not at a label boundary
  EXPECT_FALSE(idx->match_domain("good.example"));
  EXPECT_EQ(idx->match_domain("x.cdn.good.example"), 2u);
  EXPECT_FALSE(idx->match_domain("example"));
  EXPECT_FALSE(idx->match_domain(std::string(300, 'a') + ".evil.example"));
}

TEST(IndicatorIndex, ExactValuesAfterNormalising) {
  auto idx = index_of({{ValueType::url, "http://evil.example/payload.exe", 1},
                       {ValueType::email, "phish@evil.example", 2},
                       {ValueType::sha256, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", 3},
                       {ValueType::md5, "d41d8cd98f00b204e9800998ecf8427e", 4},
                       {ValueType::file_name, "invoice.exe", 5}});
  EXPECT_EQ(idx->match(ValueType::url, "HTTP://EVIL.example:80/payload.exe#x"), 1u);
  EXPECT_FALSE(idx->match(ValueType::url, "http://evil.example/Payload.exe"));  // paths keep their case
  EXPECT_EQ(idx->match(ValueType::email, "PHISH@evil.example"), 2u);
  EXPECT_EQ(idx->match(ValueType::sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), 3u);
  EXPECT_EQ(idx->match(ValueType::md5, "D41D8CD98F00B204E9800998ECF8427E"), 4u);
  EXPECT_FALSE(idx->match(ValueType::sha1, "d41d8cd98f00b204e9800998ecf8427e"));  // other type
  EXPECT_EQ(idx->match(ValueType::file_name, "C:\\Temp\\INVOICE.exe"), 5u);
  EXPECT_FALSE(idx->match(ValueType::file_name, "invoice.exe.txt"));
}

TEST(IndexBuilder, RefusesMalformedValuesAndKeepsTheFirstId) {
  IndexBuilder b;
  auto bad = b.add(ValueType::ip, "300.1.2.3", 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("300.1.2.3"), std::string::npos);
  auto bad_hash = b.add(ValueType::sha1, "xyz", 2);
  ASSERT_FALSE(bad_hash.ok());
  EXPECT_NE(bad_hash.error().message.find("sha1"), std::string::npos);
  ASSERT_TRUE(b.add(ValueType::domain, "evil.example", 3).ok());
  ASSERT_TRUE(b.add(ValueType::domain, "EVIL.example", 4).ok());
  auto idx = b.build();
  EXPECT_EQ(idx->size(), 1u);
  EXPECT_EQ(idx->match_domain("evil.example"), 3u);
}

TEST(IndicatorIndex, ManyValuesAllFoundAndSmall) {
  auto ip = [](uint32_t i) {
    return std::to_string(10 + (i >> 16)) + "." + std::to_string((i >> 8) & 255) + "." + std::to_string(i & 255) + ".1";
  };
  IndexBuilder b;
  const uint32_t n = 200'000;
  for (uint32_t i = 0; i < n; ++i) ASSERT_TRUE(b.add(ValueType::ip, ip(i), i).ok());
  auto idx = b.build();
  ASSERT_EQ(idx->size(), n);
  for (uint32_t i = 0; i < n; i += 997) EXPECT_EQ(idx->match_ip(ip(i)), i) << ip(i);
  EXPECT_FALSE(idx->match_ip("9.9.9.9"));
  EXPECT_LT(idx->memory_bytes() / n, 200u);
}

// Hashes are checked and lowercased 8 bytes at a time: every byte that is not a hex digit, in
// every position, refuses the value; any mix of cases finds it.
TEST(IndicatorIndex, HashesInAnyCaseAndNothingElse) {
  const std::string sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  const std::string md5 = "d41d8cd98f00b204e9800998ecf8427e";
  auto idx = index_of({{ValueType::sha256, sha256.c_str(), 1}, {ValueType::md5, md5.c_str(), 2}});
  std::string upper = sha256;
  for (size_t i = 0; i < upper.size(); i += 3) upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
  EXPECT_EQ(idx->match(ValueType::sha256, upper), 1u);
  EXPECT_EQ(idx->match(ValueType::md5, "D41D8CD98F00B204E9800998ECF8427E"), 2u);
  for (char bad : {'g', 'G', '@', '`', '/', ':', ' ', '\x10', '\x19', '\x7f', '\x80', '\xe0', '\xc1', '\0'}) {
    for (size_t i = 0; i < sha256.size(); ++i) {
      std::string v = sha256;
      v[i] = bad;
      EXPECT_FALSE(idx->match(ValueType::sha256, v)) << "byte " << int(bad) << " at " << i;
    }
  }
  EXPECT_FALSE(idx->match(ValueType::sha256, sha256.substr(1)));
  EXPECT_FALSE(idx->match(ValueType::md5, sha256));
}

// Networks against a brute-force longest-prefix search, with few networks (the /16 bitmap) and
// with a block list's worth (the /24 bitmap), inside, at the edges of and outside the networks.
TEST(IndicatorIndex, NetworksAgreeWithBruteForceAtBothBitmapSizes) {
  for (size_t count : {40u, 20'000u}) {
    std::mt19937 rng(static_cast<unsigned>(count));
    auto dotted = [](uint32_t a) {
      return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." + std::to_string((a >> 8) & 255) +
             "." + std::to_string(a & 255);
    };
    struct Net {
      uint32_t addr;
      unsigned bits;
      IndicatorId id;
    };
    std::vector<Net> nets;
    std::set<std::pair<uint32_t, unsigned>> seen;
    IndexBuilder b;
    while (nets.size() < count) {
      unsigned bits = 8 + rng() % 25;  // /8 .. /32
      uint32_t addr = rng() & (bits == 0 ? 0 : ~0u << (32 - bits));
      if (!seen.insert({addr, bits}).second) continue;
      auto id = static_cast<IndicatorId>(nets.size());
      nets.push_back({addr, bits, id});
      ASSERT_TRUE(b.add(ValueType::ip, dotted(addr) + "/" + std::to_string(bits), id).ok());
    }
    auto idx = b.build();
    auto expected = [&](uint32_t a) -> std::optional<IndicatorId> {
      const Net* best = nullptr;
      for (const auto& n : nets) {
        uint32_t mask = ~0u << (32 - n.bits);
        if ((a & mask) == n.addr && (!best || n.bits > best->bits)) best = &n;
      }
      return best ? std::optional<IndicatorId>(best->id) : std::nullopt;
    };
    std::vector<uint32_t> probes;
    for (size_t i = 0; i < 300; ++i) {
      const Net& n = nets[rng() % nets.size()];
      probes.push_back(n.addr);                                     // first address
      probes.push_back(n.addr | (n.bits == 32 ? 0 : ~0u >> n.bits));  // last
      probes.push_back(n.addr - 1);                                 // just before
      probes.push_back(static_cast<uint32_t>(rng()));               // anywhere
    }
    size_t hits = 0;
    for (uint32_t a : probes) {
      auto want = expected(a);
      hits += want.has_value();
      EXPECT_EQ(idx->match_ip(dotted(a)), want) << dotted(a) << " among " << count;
    }
    EXPECT_GT(hits, probes.size() / 2);  // the probes really are inside networks
  }
}

// IPv6 networks that cover IPv4-mapped addresses (::/0, ::ffff:0:0/96, an IPv4 network written as
// IPv6) match IPv4 addresses: the IPv4 bitmap must not hide them.
TEST(IndicatorIndex, Ipv6NetworksCoveringIpv4Addresses) {
  EXPECT_EQ(index_of({{ValueType::ip, "::/0", 1}})->match_ip("203.0.113.9"), 1u);
  EXPECT_EQ(index_of({{ValueType::ip, "::ffff:0:0/96", 2}})->match_ip("203.0.113.9"), 2u);
  auto idx = index_of({{ValueType::ip, "::ffff:198.51.100.0/120", 3}, {ValueType::ip, "10.0.0.0/8", 4}});
  EXPECT_EQ(idx->match_ip("198.51.100.7"), 3u);
  EXPECT_EQ(idx->match_ip("10.200.1.1"), 4u);
  EXPECT_FALSE(idx->match_ip("198.51.101.7"));
  // An IPv6 network elsewhere neither matches IPv4 nor turns the bitmap off.
  auto v6 = index_of({{ValueType::ip, "2001:db8::/32", 5}, {ValueType::ip, "192.0.2.0/24", 6}});
  EXPECT_EQ(v6->match_ip("2001:db8::1"), 5u);
  EXPECT_EQ(v6->match_ip("192.0.2.1"), 6u);
  EXPECT_FALSE(v6->match_ip("192.0.3.1"));
}

}  // namespace
}  // namespace lachan::intel
