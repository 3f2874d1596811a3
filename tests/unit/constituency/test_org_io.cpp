// Import and export of organisations: both formats round-trip, names are normalised, and every
// problem of a bad file is reported with its record, org id and field.
#include <gtest/gtest.h>

#include <algorithm>

#include "constituency/org_io.h"
#include "fixtures.h"

using namespace lachan;
using namespace lachan::constituency;
using lachan::constituency::fixtures::small_set;

namespace {

bool same(const store::Contact& a, const store::Contact& b) {
  return a.name == b.name && a.email == b.email && a.phone == b.phone && a.role == b.role;
}

void expect_same(const std::vector<store::Organisation>& a, const std::vector<store::Organisation>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(a[i].id);
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].kind, b[i].kind);
    EXPECT_EQ(a[i].parent, b[i].parent);
    EXPECT_EQ(a[i].province, b[i].province);
    EXPECT_EQ(a[i].sectors, b[i].sectors);
    EXPECT_EQ(a[i].criticality, b[i].criticality);
    ASSERT_EQ(a[i].contacts.size(), b[i].contacts.size());
    for (size_t k = 0; k < a[i].contacts.size(); ++k) EXPECT_TRUE(same(a[i].contacts[k], b[i].contacts[k]));
    EXPECT_EQ(a[i].it_providers, b[i].it_providers);
    EXPECT_EQ(a[i].networks, b[i].networks);
    EXPECT_EQ(a[i].asns, b[i].asns);
    EXPECT_EQ(a[i].domains, b[i].domains);
    EXPECT_EQ(a[i].hosts, b[i].hosts);
  }
}

bool has(const std::vector<Problem>& ps, std::string_view where, std::string_view org, std::string_view field,
         Errc code) {
  return std::any_of(ps.begin(), ps.end(), [&](const Problem& p) {
    return p.where == where && p.org_id == org && p.field == field && p.code == code;
  });
}

std::string dump(const std::vector<Problem>& ps) {
  std::string s;
  for (const auto& p : ps) s += format(p) + "\n";
  return s;
}

}  // namespace

TEST(OrgIo, JsonRoundTrip) {
  auto orgs = small_set();
  orgs[8].name = "Ngân hàng TMCP Ngoại thương \"Vietcombank\", Hà Nội";
  const std::string text = write_orgs_json(orgs);
  auto back = parse_orgs_json(text);
  ASSERT_TRUE(back) << back.error().message;
  expect_same(orgs, *back);
}

TEST(OrgIo, CsvRoundTrip) {
  auto orgs = small_set();
  orgs[8].name = "Ngân hàng TMCP Ngoại thương \"Vietcombank\", Hà Nội\nHội sở";
  orgs[8].contacts.push_back({"Trần Thị Bình", "binh.tt@vcb.com.vn", "", "on-call"});
  auto text = write_orgs_csv(orgs);
  ASSERT_TRUE(text) << text.error().message;
  auto back = parse_orgs_csv(*text);
  ASSERT_TRUE(back) << back.error().message;
  expect_same(orgs, *back);
}

TEST(OrgIo, CsvExportRefusesWhatCannotReadBack) {
  auto orgs = small_set();
  orgs[8].domains.push_back("a;b.vn");
  auto r = write_orgs_csv(orgs);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unsupported);
  orgs = small_set();
  orgs[8].contacts[0].role = "a|b";
  r = write_orgs_csv(orgs);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unsupported);
}

TEST(OrgIo, JsonAcceptsBareArrayAndNormalisesNames) {
  auto r = parse_orgs_json(R"([{"id":"evn","name":"EVN","kind":"important_operator",
      "domains":["EVN.com.VN."],"hosts":["Mail.EVN.com.vn"],"asns":[24173,"AS38731"]}])");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  const auto& o = (*r)[0];
  EXPECT_EQ(o.criticality, 1);  // default
  EXPECT_EQ(o.domains, std::vector<std::string>{"evn.com.vn"});
  EXPECT_EQ(o.hosts, std::vector<std::string>{"mail.evn.com.vn"});
  EXPECT_EQ(o.asns, (std::vector<std::uint32_t>{24173, 38731}));
}

TEST(OrgIo, JsonCollectsEveryProblemWithRecordOrgAndField) {
  std::vector<Problem> ps;
  auto r = parse_orgs_json(R"({"organisations":[
      {"id":"a","name":"A","kind":"enterprise"},
      {"id":"b","name":"B","kind":"bakery","criticality":"high"},
      {"name":"C","kind":"enterprise","asns":[0, 70000, "ASx"],"sectors":"energy"},
      {"id":"d","name":"D","kind":"enterprise","contacts":[{"name":"x","fax":"1"}],"colour":"red"},
      42]})",
                           &ps);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::malformed);
  EXPECT_TRUE(has(ps, "record 1", "b", "kind", Errc::malformed)) << dump(ps);
  EXPECT_TRUE(has(ps, "record 1", "b", "criticality", Errc::malformed)) << dump(ps);
  EXPECT_TRUE(has(ps, "record 2", "", "id", Errc::malformed)) << dump(ps);
  EXPECT_TRUE(has(ps, "record 2", "", "asns[0]", Errc::malformed)) << dump(ps);
  EXPECT_TRUE(has(ps, "record 2", "", "asns[2]", Errc::malformed)) << dump(ps);
  EXPECT_FALSE(has(ps, "record 2", "", "asns[1]", Errc::malformed)) << dump(ps);
  EXPECT_TRUE(has(ps, "record 2", "", "sectors", Errc::malformed)) << dump(ps);
  EXPECT_TRUE(has(ps, "record 3", "d", "contacts[0].fax", Errc::malformed)) << dump(ps);
  EXPECT_TRUE(has(ps, "record 3", "d", "colour", Errc::malformed)) << dump(ps);
  EXPECT_TRUE(has(ps, "record 4", "", "", Errc::malformed)) << dump(ps);
  EXPECT_FALSE(std::any_of(ps.begin(), ps.end(), [](const Problem& p) { return p.where == "record 0"; }));
  EXPECT_NE(r.error().message.find("record 1 (org b): kind"), std::string::npos) << r.error().message;
}

TEST(OrgIo, JsonRejectsNonJsonAndWrongShapes) {
  for (const char* bad : {"", "{", "[1,", "{\"orgs\":[]}", "\"x\"", "[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]"}) {
    auto r = parse_orgs_json(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::malformed) << bad;
  }
  auto empty = parse_orgs_json("[]");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(OrgIo, LimitsAreEnforced) {
  ImportLimits lim;
  lim.max_orgs = 1;
  auto r = parse_orgs_json(R"([{"id":"a","name":"A","kind":"enterprise"},{"id":"b","name":"B","kind":"enterprise"}])",
                           nullptr, lim);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::limit);
  lim = {};
  lim.max_bytes = 10;
  r = parse_orgs_csv("id,name,kind\na,A,enterprise\n", nullptr, lim);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::limit);
  lim = {};
  lim.max_items = 2;
  std::vector<Problem> ps;
  r = parse_orgs_csv("id,name,kind,hosts\na,A,enterprise,x;y;z\n", &ps, lim);
  ASSERT_FALSE(r);
  EXPECT_TRUE(has(ps, "line 2", "a", "hosts", Errc::limit)) << dump(ps);
}

TEST(OrgIo, CsvReadsListsContactsAndQuotes) {
  const char* text =
      "\xEF\xBB\xBFid, name ,kind,sectors,contacts,networks,asns,criticality\r\n"
      "evn,\"Tập đoàn Điện lực Việt Nam, EVN\",important_operator, energy ; ,"
      "\"Lê Văn C|c@evn.com.vn|0243|ciso; D||| \",14.224.0.0/24;2402:800:1::/48,AS24173; 38731,5\r\n"
      "\r\n"
      "shop,Shop,enterprise,,,,,\r\n";
  auto r = parse_orgs_csv(text);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  const auto& evn = (*r)[0];
  EXPECT_EQ(evn.name, "Tập đoàn Điện lực Việt Nam, EVN");
  EXPECT_EQ(evn.sectors, std::vector<std::string>{"energy"});
  ASSERT_EQ(evn.contacts.size(), 2u);
  EXPECT_EQ(evn.contacts[0].email, "c@evn.com.vn");
  EXPECT_EQ(evn.contacts[0].role, "ciso");
  EXPECT_EQ(evn.contacts[1].name, "D");
  EXPECT_EQ(evn.networks, (std::vector<std::string>{"14.224.0.0/24", "2402:800:1::/48"}));
  EXPECT_EQ(evn.asns, (std::vector<std::uint32_t>{24173, 38731}));
  EXPECT_EQ(evn.criticality, 5);
  EXPECT_EQ((*r)[1].criticality, 1);
}

TEST(OrgIo, CsvProblemsNameTheLine) {
  std::vector<Problem> ps;
  auto r = parse_orgs_csv(
      "id,name,kind,contacts,criticality\n"
      "a,A,enterprise,,2\n"
      "\"b\",\"B\nsecond line\",ministry,x|y|z|w|v,high\n"
      "c,C\n"
      ",D,enterprise,,\n",
      &ps);
  ASSERT_FALSE(r);
  EXPECT_TRUE(has(ps, "line 3", "b", "contacts[0]", Errc::malformed)) << dump(ps);
  EXPECT_TRUE(has(ps, "line 3", "b", "criticality", Errc::malformed)) << dump(ps);
  EXPECT_TRUE(has(ps, "line 5", "c", "", Errc::malformed)) << dump(ps);  // too few fields
  EXPECT_TRUE(has(ps, "line 6", "", "id", Errc::malformed)) << dump(ps);
  EXPECT_FALSE(std::any_of(ps.begin(), ps.end(), [](const Problem& p) { return p.where == "line 2"; }));
}

TEST(OrgIo, CsvHeaderProblems) {
  std::vector<Problem> ps;
  auto r = parse_orgs_csv("id,name,colour,name\n", &ps);
  ASSERT_FALSE(r);
  EXPECT_TRUE(has(ps, "line 1", "", "colour", Errc::malformed)) << dump(ps);
  EXPECT_TRUE(has(ps, "line 1", "", "name", Errc::malformed)) << dump(ps);  // repeated
  EXPECT_TRUE(has(ps, "line 1", "", "kind", Errc::malformed)) << dump(ps);  // missing
  EXPECT_FALSE(parse_orgs_csv(""));
  EXPECT_FALSE(parse_orgs_csv("id,name,kind\n\"a,A,enterprise\n"));  // unterminated quote
}

TEST(OrgIo, CsvMustBeUtf8) {
  std::vector<Problem> ps;
  auto r = parse_orgs_csv("id,name,kind\na,Caf\xe9,enterprise\n", &ps);  // Latin-1, not UTF-8
  ASSERT_FALSE(r);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].where, "line 2");
  EXPECT_TRUE(parse_orgs_csv("id,name,kind\na,Café,enterprise\n"));
  EXPECT_FALSE(parse_orgs_csv("id,name,kind\na,\xed\xa0\x80,enterprise\n"));  // a surrogate
  EXPECT_FALSE(parse_orgs_csv("id,name,kind\na,\xc0\xaf,enterprise\n"));      // overlong '/'
}

TEST(OrgIo, NormalisingTwiceChangesNothing) {
  auto once = parse_orgs_json(R"([{"id":"a","name":"A","kind":"enterprise","domains":[" A.vn . "],"hosts":["H.."]}])");
  ASSERT_TRUE(once) << once.error().message;
  EXPECT_EQ((*once)[0].domains, std::vector<std::string>{"a.vn"});
  auto twice = parse_orgs_json(write_orgs_json(*once));
  ASSERT_TRUE(twice);
  EXPECT_EQ((*twice)[0].domains, (*once)[0].domains);
  EXPECT_EQ((*twice)[0].hosts, std::vector<std::string>{"h"});
}
