// The `cidr` modifier's networks (modifiers appendix: "Supports both IPv4 and IPv6 notations.
// Example: `DestinationIp|cidr: 10.0.0.0/8`") and address parsing.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstring>
#include <string>
#include <vector>

#include "match/cidr.h"

using lachan::match::Cidr;
using lachan::match::parse_ip;

TEST(Cidr, Ipv4Networks) {
  auto c = Cidr::parse("10.0.0.0/8");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->contains("10.0.0.0"));
  EXPECT_TRUE(c->contains("10.255.255.255"));
  EXPECT_TRUE(c->contains("10.1.2.3"));
  EXPECT_FALSE(c->contains("11.0.0.0"));
  EXPECT_FALSE(c->contains("9.255.255.255"));

  auto c2 = Cidr::parse("192.168.1.0/25");
  ASSERT_TRUE(c2);
  EXPECT_TRUE(c2->contains("192.168.1.127"));
  EXPECT_FALSE(c2->contains("192.168.1.128"));

  auto c3 = Cidr::parse("172.16.0.0/12");
  ASSERT_TRUE(c3);
  EXPECT_TRUE(c3->contains("172.31.255.1"));
  EXPECT_FALSE(c3->contains("172.32.0.1"));
}

TEST(Cidr, BareAddressIsHostRoute) {
  auto c = Cidr::parse("192.0.2.7");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->contains("192.0.2.7"));
  EXPECT_FALSE(c->contains("192.0.2.8"));
  auto c6 = Cidr::parse("2001:db8::1");
  ASSERT_TRUE(c6);
  EXPECT_TRUE(c6->contains("2001:db8:0:0:0:0:0:1"));
  EXPECT_FALSE(c6->contains("2001:db8::2"));
}

TEST(Cidr, HostBitsInTheNetworkAreIgnored) {
  auto c = Cidr::parse("10.1.2.3/8");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->contains("10.200.0.1"));
}

TEST(Cidr, ZeroAndFullPrefixes) {
  auto all4 = Cidr::parse("0.0.0.0/0");
  ASSERT_TRUE(all4);
  EXPECT_TRUE(all4->contains("1.2.3.4"));
  EXPECT_TRUE(all4->contains("255.255.255.255"));
  auto one = Cidr::parse("1.2.3.4/32");
  ASSERT_TRUE(one);
  EXPECT_TRUE(one->contains("1.2.3.4"));
  EXPECT_FALSE(one->contains("1.2.3.5"));
}

TEST(Cidr, Ipv6Networks) {
  auto c = Cidr::parse("2001:db8::/32");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->contains("2001:db8::1"));
  EXPECT_TRUE(c->contains("2001:0db8:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_FALSE(c->contains("2001:db9::1"));
  EXPECT_FALSE(c->contains("10.0.0.1"));

  auto ll = Cidr::parse("fe80::/10");
  ASSERT_TRUE(ll);
  EXPECT_TRUE(ll->contains("fe80::1"));
  EXPECT_TRUE(ll->contains("febf::1"));
  EXPECT_FALSE(ll->contains("fec0::1"));
  EXPECT_TRUE(ll->contains("fe80::1%eth0"));  // zone index
  EXPECT_TRUE(ll->contains("[fe80::1]"));     // bracketed

  auto ula = Cidr::parse("fc00::/7");
  ASSERT_TRUE(ula);
  EXPECT_TRUE(ula->contains("fd12:3456::1"));
  EXPECT_FALSE(ula->contains("fe00::1"));
}

TEST(Cidr, Ipv4NetworkDoesNotContainIpv6) {
  auto c = Cidr::parse("0.0.0.0/0");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->contains("2001:db8::1"));
  EXPECT_FALSE(c->contains("::1"));
}

TEST(Cidr, InvalidNetworks) {
  for (const char* s : {"", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "10.0.0/8", "300.0.0.0/8", "2001:db8::/129",
                        "not an ip", "10.0.0.0/8/8", "10.0.0.0/-1"})
    EXPECT_FALSE(Cidr::parse(s)) << s;
}

TEST(Cidr, NonAddressesAreNotContained) {
  auto c = Cidr::parse("0.0.0.0/0");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->contains(""));
  EXPECT_FALSE(c->contains("localhost"));
  EXPECT_FALSE(c->contains("10.0.0.1:443"));
  EXPECT_FALSE(c->contains("10.0.0"));
}

TEST(ParseIp, Forms) {
  auto a = parse_ip(" 192.168.0.1 ");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->v4);
  EXPECT_EQ(a->bytes[12], 192);
  EXPECT_EQ(a->bytes[15], 1);
  auto b = parse_ip("::1");
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->v4);
  EXPECT_EQ(b->bytes[15], 1);
  EXPECT_FALSE(parse_ip("1.2.3.4.5"));
  EXPECT_FALSE(parse_ip(std::string(100, '1')));
}

// The hand-written IPv4 path accepts exactly what inet_pton(AF_INET) accepts, with the same bytes.
TEST(ParseIp, Ipv4AgreesWithInetPton) {
  std::vector<std::string> forms = {"0.0.0.0", "255.255.255.255", "1.2.3.4", "10.0.0.1", "256.1.1.1", "1.2.3",
                                    "1.2.3.4.", ".1.2.3.4", "01.2.3.4", "1.02.3.4", "1.2.3.04", "1.2.3.0",
                                    "1..2.3", "1.2.3.4x", "1.2.3.-4", "1.2.3.1000", "999.1.1.1", "1 .2.3.4",
                                    "100.200.250.199", "9.9.9.9", "0.0.0.00", "1.2.3.4/24", "4294967295", "1.2.3.a"};
  for (unsigned i = 0; i < 2000; ++i)  // and a spread of digits and dots
    forms.push_back(std::to_string(i * 7 % 300) + "." + std::to_string(i % 12) + (i % 5 ? "." : "..") +
                    std::to_string(i * 13 % 260) + "." + (i % 7 ? std::to_string(i % 256) : "0" + std::to_string(i % 10)));
  for (const auto& f : forms) {
    unsigned char want[4];
    bool ok = inet_pton(AF_INET, f.c_str(), want) == 1;
    auto got = parse_ip(f);
    ASSERT_EQ(ok, got.has_value() && got->v4) << f;
    if (ok) {
      EXPECT_EQ(std::memcmp(&got->bytes[12], want, 4), 0) << f;
    }
  }
}
