#include <string>

#include "io_test_util.h"

namespace lachan::io::test {
namespace {

TEST(Csv, HeaderAndRows) {
  auto d = read_memory("user,host,cmd\r\nalice,h1,ls -l\r\nbob,h2,\"echo \"\"hi\"\", there\"\r\n", Format::csv);
  ASSERT_EQ(d.texts.size(), 2u);
  EXPECT_TRUE(d.malformed.empty());
  Parsed a(d.texts[0]);
  EXPECT_EQ(a.str("user"), "alice");
  EXPECT_EQ(a.str("host"), "h1");
  EXPECT_EQ(a.str("cmd"), "ls -l");
  Parsed b(d.texts[1]);
  EXPECT_EQ(b.str("cmd"), "echo \"hi\", there");
  EXPECT_EQ(d.records[0].index, 0u);
  EXPECT_EQ(d.records[0].line, 2u);
  EXPECT_EQ(d.records[1].line, 3u);
}

TEST(Csv, QuotedNewlinesSpanLines) {
  auto d = read_memory("a,b\n\"line1\nline2\",x\nlast,y\n", Format::csv, 1000, ReaderTuning{16, 3});
  ASSERT_EQ(d.texts.size(), 2u);
  Parsed p(d.texts[0]);
  EXPECT_EQ(p.str("a"), "line1\nline2");
  EXPECT_EQ(p.str("b"), "x");
  EXPECT_EQ(d.records[1].line, 4u);
  Parsed q(d.texts[1]);
  EXPECT_EQ(q.str("a"), "last");
}

TEST(Csv, WrongColumnCountIsMalformed) {
  auto d = read_memory("a,b,c\n1,2,3\n1,2\n4,5,6\n", Format::csv);
  ASSERT_EQ(d.texts.size(), 2u);
  ASSERT_EQ(d.malformed.size(), 1u);
  EXPECT_EQ(d.malformed[0].line, 3u);
  EXPECT_EQ(d.malformed[0].index, 1u);
  EXPECT_EQ(d.malformed[0].reason, "line 3: expected 3 columns, found 2");
  EXPECT_EQ(d.records[1].index, 2u);
  Parsed p(d.texts[1]);
  EXPECT_EQ(p.str("c"), "6");
}

TEST(Csv, EmptyAndDuplicateHeaderNames) {
  auto d = read_memory("a,,a\n1,2,3\n", Format::csv);
  ASSERT_EQ(d.texts.size(), 1u);
  Parsed p(d.texts[0]);
  EXPECT_EQ(p.str("a"), "1");
  EXPECT_EQ(p.str("column_2"), "2");
  EXPECT_EQ(p.str("a_2"), "3");
}

TEST(Csv, EmptyValuesAndUnterminatedQuote) {
  auto d = read_memory("a,b\n,\n\"open,x\n", Format::csv);
  ASSERT_EQ(d.texts.size(), 1u);
  Parsed p(d.texts[0]);
  EXPECT_EQ(p.str("a"), "");
  EXPECT_EQ(p.str("b"), "");
  ASSERT_EQ(d.malformed.size(), 1u);
  EXPECT_EQ(d.malformed[0].line, 3u);
  EXPECT_NE(d.malformed[0].reason.find("unterminated quoted field"), std::string::npos);
}

}  // namespace
}  // namespace lachan::io::test
