// The indicator index: normal forms, longest-prefix addresses, domain suffixes, exact values.
#include <gtest/gtest.h>

#include "intel/indicator_index.h"

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

}  // namespace
}  // namespace lachan::intel
