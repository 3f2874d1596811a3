// for_each_record: NDJSON, JSON arrays, lines, CSV rows; limits and per-record errors.
#include "parse_test_util.h"

namespace lachan::parse::test {
namespace {

struct Split {
  std::vector<std::string> records;
  std::vector<uint64_t> lines;
  std::vector<Error> errors;
};

Split split(SourceType t, std::string_view body, Limits limits = {}) {
  Split s;
  for_each_record(
      t, body, limits,
      [&](std::string_view r, uint64_t line) {
        s.records.emplace_back(r);
        s.lines.push_back(line);
      },
      [&](uint64_t, const Error& e) { s.errors.push_back(e); });
  return s;
}

TEST(Split, NdjsonSkipsBlankLinesAndCarriageReturns) {
  auto s = split(SourceType::json, "{\"a\":1}\r\n\r\n  \n{\"b\":2}\n{\"c\":3}");
  ASSERT_EQ(s.records.size(), 3u);
  EXPECT_EQ(s.records[0], "{\"a\":1}");
  EXPECT_EQ(s.records[2], "{\"c\":3}");
  EXPECT_EQ(s.lines, (std::vector<uint64_t>{1, 4, 5}));
  EXPECT_TRUE(s.errors.empty());
}

TEST(Split, JsonArrayOfPrettyObjectsKeepsStartLines) {
  std::string body = "\xEF\xBB\xBF[\n  {\n    \"a\": \"x,]}\\\"\"\n  },\n  {\"b\": [1, {\"c\": 2}]}\n]\n";
  auto s = split(SourceType::suricata, body);
  ASSERT_EQ(s.records.size(), 2u);
  EXPECT_EQ(s.records[0], "{\n    \"a\": \"x,]}\\\"\"\n  }");
  EXPECT_EQ(s.records[1], "{\"b\": [1, {\"c\": 2}]}");
  EXPECT_EQ(s.lines, (std::vector<uint64_t>{2, 5}));
  EXPECT_TRUE(s.errors.empty());
}

TEST(Split, JsonArrayErrors) {
  auto empty = split(SourceType::json, " [ ] ");
  EXPECT_TRUE(empty.records.empty());
  EXPECT_TRUE(empty.errors.empty());

  auto unterminated = split(SourceType::json, "[{\"a\":1},\n{\"b\":\"open");
  ASSERT_EQ(unterminated.records.size(), 1u);
  ASSERT_EQ(unterminated.errors.size(), 1u);
  EXPECT_EQ(unterminated.errors[0].code, Errc::malformed);
  EXPECT_NE(unterminated.errors[0].message.find("line 2:"), std::string::npos);

  auto junk = split(SourceType::json, "[{\"a\":1} {\"b\":2}]");
  EXPECT_EQ(junk.records.size(), 1u);
  ASSERT_EQ(junk.errors.size(), 1u);
  EXPECT_EQ(junk.errors[0].code, Errc::malformed);
}

TEST(Split, LimitsNameTheLimitAndSkipOnlyTheBadRecord) {
  Limits l;
  l.max_record_bytes = 16;
  auto s = split(SourceType::json, "{\"a\":1}\n{\"long\":\"xxxxxxxxxxxxxxx\"}\n{\"b\":2}", l);
  EXPECT_EQ(s.records.size(), 2u);
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_EQ(s.errors[0].code, Errc::limit);
  EXPECT_NE(s.errors[0].message.find("line 2:"), std::string::npos);
  EXPECT_NE(s.errors[0].message.find("max_record_bytes"), std::string::npos);

  Limits d;
  d.max_depth = 3;
  auto deep = split(SourceType::json, "[{\"a\":{\"b\":{\"c\":{}}}}, {\"ok\":{}}]", d);
  ASSERT_EQ(deep.records.size(), 1u);
  EXPECT_EQ(deep.records[0], "{\"ok\":{}}");
  ASSERT_EQ(deep.errors.size(), 1u);
  EXPECT_EQ(deep.errors[0].code, Errc::limit);
  EXPECT_NE(deep.errors[0].message.find("max_depth"), std::string::npos);
}

TEST(Split, LineTypesTreatBracketsAsText) {
  auto s = split(SourceType::syslog, "[not an array\nsecond\n");
  EXPECT_EQ(s.records, (std::vector<std::string>{"[not an array", "second"}));
}

TEST(Split, CsvQuotedNewlinesCommentsAndHeader) {
  std::string body = "# report generated 2024-04-05\n\n"
                     "ip,comment\r\n"
                     "192.0.2.1,\"two\nlines, \"\"quoted\"\"\"\n"
                     "192.0.2.2,a\"b\n";
  auto s = split(SourceType::cert_feed, body);
  ASSERT_EQ(s.records.size(), 3u);
  EXPECT_EQ(s.records[0], "ip,comment");
  EXPECT_EQ(s.records[1], "192.0.2.1,\"two\nlines, \"\"quoted\"\"\"");
  EXPECT_EQ(s.records[2], "192.0.2.2,a\"b");  // a quote inside an unquoted field is text
  EXPECT_EQ(s.lines, (std::vector<uint64_t>{3, 4, 6}));

  auto open = split(SourceType::cert_feed, "ip,c\n1.2.3.4,\"never closed\n5.6.7.8,x\n");
  EXPECT_EQ(open.records.size(), 1u);
  ASSERT_EQ(open.errors.size(), 1u);
  EXPECT_NE(open.errors[0].message.find("line 2: unterminated"), std::string::npos);
}

TEST(Source, NamesRoundTripAndZeekLogs) {
  for (size_t i = 0; i < kSourceTypeCount; ++i) {
    auto t = static_cast<SourceType>(i);
    auto r = parse_source(source_type_name(t));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->type, t);
  }
  auto z = parse_source("zeek_conn");
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(z->type, SourceType::zeek);
  EXPECT_EQ(z->zeek_log, "conn");
  EXPECT_FALSE(parse_source("zeek_").ok());
  EXPECT_FALSE(parse_source("zeek_Conn!").ok());
  auto bad = parse_source("sysmon");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::unsupported);
}

}  // namespace
}  // namespace lachan::parse::test
