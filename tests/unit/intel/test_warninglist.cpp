// MISP warning lists: the bundled lists, each list type, matching_attributes, list order, errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "intel/warninglist.h"

namespace lachan::intel {
namespace {

namespace fs = std::filesystem;

WarningListSet set_of(std::initializer_list<const char*> jsons) {
  std::vector<WarningList> lists;
  int n = 0;
  for (const char* j : jsons) {
    auto wl = parse_warninglist(j, "test-" + std::to_string(n++));
    EXPECT_TRUE(wl.ok()) << wl.error().message;
    if (wl) lists.push_back(std::move(*wl));
  }
  auto s = WarningListSet::build(std::move(lists));
  EXPECT_TRUE(s.ok()) << s.error().message;
  return std::move(*s);
}

TEST(WarningList, BundledLists) {
  auto s = load_warninglists(fs::path(LACHAN_SOURCE_DIR) / "config" / "warninglists");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->size(), 5u);
  EXPECT_EQ(s->listed(ValueType::ip, "8.8.8.8"), "List of known IPv4 public DNS resolvers");
  EXPECT_EQ(s->listed(ValueType::ip, "10.1.2.3"), "List of RFC 1918 CIDR blocks");
  EXPECT_EQ(s->listed(ValueType::ip, "192.168.0.0/24"), "List of RFC 1918 CIDR blocks");  // a network inside
  EXPECT_FALSE(s->listed(ValueType::ip, "10.0.0.0/7"));                                   // wider than the list's
  EXPECT_EQ(s->listed(ValueType::ip, "209.85.200.1"), "List of known Gmail sending IP ranges");
  EXPECT_EQ(s->listed(ValueType::ip, "2a00:1450:4864::1"), "List of known Gmail sending IP ranges");
  EXPECT_FALSE(s->listed(ValueType::ip, "198.51.100.7"));
  EXPECT_FALSE(s->listed(ValueType::domain, "10.1.2.3"));  // not a domain list

  EXPECT_EQ(s->listed(ValueType::domain, "chinhphu.vn"), "Vietnamese government portals");
  EXPECT_EQ(s->listed(ValueType::domain, "www.chinhphu.vn"), "Vietnamese government portals");
  EXPECT_EQ(s->listed(ValueType::domain, "dichvucong.gov.vn"), "Vietnamese government portals");
  EXPECT_FALSE(s->listed(ValueType::domain, "evil.gov.vn"));         // not all of gov.vn
  EXPECT_FALSE(s->listed(ValueType::domain, "notchinhphu.vn"));      // a suffix, not a subdomain
  EXPECT_FALSE(s->listed(ValueType::url, "https://chinhphu.vn/x"));  // URLs are specific: not warned

  // second-level-tlds is a string list: the suffix itself, not names under it.
  EXPECT_EQ(s->listed(ValueType::domain, "co.uk"), "Second level TLDs as known by Mozilla Foundation");
  EXPECT_FALSE(s->listed(ValueType::domain, "evil.co.uk"));
}

TEST(WarningList, SharedDataLists) {
  auto dir = fs::path(LACHAN_SHARED_DATA) / "intel" / "misp" / "warninglists";
  if (!fs::exists(dir)) GTEST_SKIP() << dir << " is missing";
  auto s = load_warninglists(dir);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->size(), 4u);
  EXPECT_EQ(s->listed(ValueType::ip, "1.0.0.1"), "List of known IPv4 public DNS resolvers");
}

TEST(WarningList, EachKind) {
  auto s = set_of({
      R"({"name": "exact", "type": "string", "list": ["Known.Example", "D41D8CD98F00B204E9800998ECF8427E"]})",
      R"({"name": "hosts", "type": "hostname", "list": ["*.cdn.example", "Files.Example."], "matching_attributes": ["hostname", "url", "email-src"]})",
      R"({"name": "nets", "type": "cidr", "list": ["2001:db8::/32", "192.0.2.0/24", " 198.51.100.9 "]})",
      R"({"name": "subs", "type": "substring", "list": ["GoogleUserContent"], "matching_attributes": ["url"]})",
      R"({"name": "re", "type": "regex", "list": ["/^https?://[^/]+\\.sharepoint\\.com/SITES/.*$/i"], "matching_attributes": ["url"]})",
  });
  EXPECT_EQ(s.listed(ValueType::domain, "known.example"), "exact");
  EXPECT_EQ(s.listed(ValueType::md5, "d41d8cd98f00b204e9800998ecf8427e"), "exact");
  EXPECT_FALSE(s.listed(ValueType::domain, "a.known.example"));
  EXPECT_EQ(s.listed(ValueType::domain, "x.y.cdn.example"), "hosts");
  EXPECT_EQ(s.listed(ValueType::domain, "cdn.example"), "hosts");
  EXPECT_EQ(s.listed(ValueType::url, "https://files.example/a.exe"), "hosts");
  EXPECT_EQ(s.listed(ValueType::url, "http://files.example:8080/a.exe"), "hosts");
  EXPECT_EQ(s.listed(ValueType::email, "someone@files.example"), "hosts");
  EXPECT_FALSE(s.listed(ValueType::domain, "example"));
  EXPECT_EQ(s.listed(ValueType::ip, "2001:db8:1::5"), "nets");
  EXPECT_EQ(s.listed(ValueType::ip, "192.0.2.200"), "nets");
  EXPECT_EQ(s.listed(ValueType::ip, "198.51.100.9"), "nets");
  EXPECT_FALSE(s.listed(ValueType::ip, "198.51.100.10"));
  EXPECT_FALSE(s.listed(ValueType::ip, "::ffff:10.0.0.1"));
  EXPECT_EQ(s.listed(ValueType::url, "https://lh3.googleusercontent.com/x"), "subs");
  EXPECT_FALSE(s.listed(ValueType::domain, "lh3.googleusercontent.com"));  // subs applies to URLs only
  EXPECT_EQ(s.listed(ValueType::url, "https://acme.sharepoint.com/sites/x"), "re");
  EXPECT_FALSE(s.listed(ValueType::url, "https://acme.sharepoint.com.evil.example/sites/x"));
}

TEST(WarningList, FirstListWinsAndAttributesRestrict) {
  auto s = set_of({
      R"({"name": "hashes only", "type": "string", "list": ["shared.example"], "matching_attributes": ["md5", "sha1"]})",
      R"({"name": "first", "type": "hostname", "list": ["shared.example"]})",
      R"({"name": "second", "type": "string", "list": ["shared.example"]})",
      R"({"name": "unknown attributes", "type": "cidr", "list": ["0.0.0.0/0"], "matching_attributes": ["AS"]})",
  });
  EXPECT_EQ(s.listed(ValueType::domain, "shared.example"), "first");
  EXPECT_FALSE(s.listed(ValueType::ip, "192.0.2.1"));  // its attributes name none of our types
  EXPECT_EQ(s.lists()[3].types, 0);
}

TEST(WarningList, BadListsAreRejected) {
  auto code = [](std::string_view json) {
    auto r = parse_warninglist(json, "x.json");
    return r.ok() ? Errc::ok : r.error().code;
  };
  EXPECT_EQ(code(R"({"name": "n", "type": "cidr", "list": ["10.0.0.0/8"]})"), Errc::ok);
  EXPECT_EQ(code("nope"), Errc::malformed);
  EXPECT_EQ(code("[]"), Errc::malformed);
  EXPECT_EQ(code(R"({"type": "cidr", "list": []})"), Errc::malformed);               // no name
  EXPECT_EQ(code(R"({"name": "n", "type": "glob", "list": []})"), Errc::malformed);  // wrong type
  EXPECT_EQ(code(R"({"name": "n", "list": []})"), Errc::malformed);                  // no type
  EXPECT_EQ(code(R"({"name": "n", "type": "string", "list": "a.example"})"), Errc::malformed);
  EXPECT_EQ(code(R"({"name": "n", "type": "string", "list": ["a", 5]})"), Errc::malformed);
  EXPECT_EQ(code(R"({"name": "n", "type": "string", "list": [], "matching_attributes": "ip-src"})"), Errc::malformed);
  EXPECT_EQ(code(R"({"name": "n", "type": "string", "list": [], "version": "v2"})"), Errc::malformed);
  EXPECT_EQ(code(R"({"name": "n", "type": "regex", "list": ["(unclosed"]})"), Errc::malformed);
  EXPECT_EQ(code(R"({"name": "n", "type": "hostname", "list": ["*."]})"), Errc::malformed);
  auto r =
      parse_warninglist(R"({"name": "n", "type": "cidr", "list": ["10.0.0.0/8", "10.0.0.0/33"]})", "lists/n/list.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::malformed);
  EXPECT_NE(r.error().message.find("10.0.0.0/33"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("lists/n/list.json"), std::string::npos) << r.error().message;
}

TEST(WarningList, LoadingAFolder) {
  EXPECT_EQ(load_warninglists("/nonexistent/lachan/warninglists").error().code, Errc::io);
  auto dir = fs::temp_directory_path() / ("lachan-wl-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "lists" / "b");
  std::ofstream(dir / "a.json") << R"({"name": "top", "type": "string", "list": ["a.example"]})";
  std::ofstream(dir / "lists" / "b" / "list.json") << R"({"name": "deep", "type": "string", "list": ["b.example"]})";
  std::ofstream(dir / "lists" / "c.json") << R"({"name": "one down", "type": "string", "list": ["c.example"]})";
  auto s = load_warninglists(dir);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->size(), 2u);  // a.json, lists/c.json; lists/b/list.json is two levels down
  EXPECT_EQ(s->listed(ValueType::domain, "c.example"), "one down");
  std::ofstream(dir / "z.json") << R"({"name": "bad", "type": "cidr", "list": ["x"]})";
  EXPECT_EQ(load_warninglists(dir).error().code, Errc::malformed);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace lachan::intel
