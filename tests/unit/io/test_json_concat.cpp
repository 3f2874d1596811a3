#include <string>

#include "io_test_util.h"

namespace lachan::io::test {
namespace {

const char* kPretty =
    "{\n"
    "  \"Event\": {\n"
    "    \"System\": {\"EventID\": 1, \"Note\": \"braces } { ] [ and \\\"quotes\\\" in a string\"},\n"
    "    \"EventData\": {\"Image\": \"C:\\\\Windows\\\\cmd.exe\", \"List\": [1, {\"x\": 2}]}\n"
    "  }\n"
    "}\n"
    "\n"
    "{\n"
    "  \"Event\": {\"System\": {\"EventID\": 2}}\n"
    "}\n";

TEST(JsonConcat, PrettyPrintedObjects) {
  auto d = read_memory(kPretty, Format::json_concat);
  ASSERT_EQ(d.texts.size(), 2u);
  EXPECT_TRUE(d.malformed.empty());
  EXPECT_EQ(d.records[0].line, 1u);
  EXPECT_EQ(d.records[1].line, 8u);
  EXPECT_EQ(d.records[1].index, 1u);
  Parsed p0(d.texts[0]);
  int64_t id = 0;
  ASSERT_FALSE(p0.doc()["Event"]["System"]["EventID"].get_int64().get(id));
  EXPECT_EQ(id, 1);
  std::string_view note;
  ASSERT_FALSE(p0.doc()["Event"]["System"]["Note"].get_string().get(note));
  EXPECT_EQ(note, "braces } { ] [ and \"quotes\" in a string");
  Parsed p1(d.texts[1]);
  ASSERT_FALSE(p1.doc()["Event"]["System"]["EventID"].get_int64().get(id));
  EXPECT_EQ(id, 2);
}

TEST(JsonConcat, PlainNdjsonAndSameLineObjects) {
  auto d = read_memory("{\"a\":1}\n{\"b\":2}{\"c\":3}\n", Format::json_concat);
  ASSERT_EQ(d.texts.size(), 3u);
  EXPECT_EQ(d.texts[0], "{\"a\":1}");
  EXPECT_EQ(d.texts[1], "{\"b\":2}");
  EXPECT_EQ(d.texts[2], "{\"c\":3}");
  EXPECT_EQ(d.records[2].line, 2u);
}

TEST(JsonConcat, GarbageBetweenObjectsIsReportedAndSkipped) {
  std::string in =
      "{\"a\":1}\n"
      "garbage here {\"not\":\"a record\"}\n"
      "more garbage\n"
      "{\"b\":2}\n";
  auto d = read_memory(in, Format::json_concat);
  ASSERT_EQ(d.texts.size(), 2u);
  EXPECT_EQ(d.texts[1], "{\"b\":2}");
  EXPECT_EQ(d.records[1].line, 4u);
  ASSERT_EQ(d.malformed.size(), 1u);
  EXPECT_EQ(d.malformed[0].line, 2u);
  EXPECT_EQ(d.malformed[0].index, 1u);
  EXPECT_NE(d.malformed[0].reason.find("unexpected 'g'"), std::string::npos) << d.malformed[0].reason;
  EXPECT_EQ(d.records[1].index, 2u);
}

TEST(JsonConcat, UnterminatedObjectThenResync) {
  std::string in =
      "{\n"
      "  \"a\": {\"b\": 1}\n"   // missing the closing brace of the top-level object
      "{\n"
      "  \"c\": 2\n"
      "}\n";
  auto d = read_memory(in, Format::json_concat);
  ASSERT_EQ(d.texts.size(), 1u);
  EXPECT_EQ(d.records[0].line, 3u);
  Parsed p(d.texts[0]);
  EXPECT_EQ(p.num("c"), 2);
  ASSERT_EQ(d.malformed.size(), 1u);
  EXPECT_EQ(d.malformed[0].line, 1u);
  EXPECT_NE(d.malformed[0].reason.find("unterminated JSON object"), std::string::npos);
}

TEST(JsonConcat, UnterminatedStringThenResync) {
  std::string in = "{\"a\": \"never closed}\n{\"b\": 1}\n";
  auto d = read_memory(in, Format::json_concat);
  ASSERT_EQ(d.texts.size(), 1u);
  EXPECT_EQ(d.texts[0], "{\"b\": 1}");
  EXPECT_EQ(d.records[0].line, 2u);
  ASSERT_EQ(d.malformed.size(), 1u);
  EXPECT_EQ(d.malformed[0].line, 1u);
  EXPECT_NE(d.malformed[0].reason.find("unterminated string"), std::string::npos);
}

TEST(JsonConcat, UnterminatedAtEndOfInput) {
  auto d = read_memory("{\"a\":1}\n{\"b\": [1, 2\n", Format::json_concat);
  ASSERT_EQ(d.texts.size(), 1u);
  ASSERT_EQ(d.malformed.size(), 1u);
  EXPECT_EQ(d.malformed[0].line, 2u);
  EXPECT_EQ(d.malformed[0].index, 1u);
}

TEST(JsonConcat, NestedObjectAtLineStartIsNotAnError) {
  // A '{' at column 0 that legally continues the object (after ':' or ',') is not a new record.
  std::string in = "{\"a\":\n{\"b\":1},\n\"c\":\n{\"d\":2}}\n";
  auto d = read_memory(in, Format::json_concat);
  ASSERT_EQ(d.texts.size(), 1u);
  EXPECT_TRUE(d.malformed.empty());
  Parsed p(d.texts[0]);
  int64_t v = 0;
  ASSERT_FALSE(p.doc()["c"]["d"].get_int64().get(v));
  EXPECT_EQ(v, 2);
}

TEST(JsonConcat, BlockBoundariesWithPrettyObjects) {
  std::string in;
  const int n = 2000;
  for (int i = 0; i < n; ++i) {
    in += "{\n  \"n\": " + std::to_string(i) + ",\n  \"s\": \"" + std::string(static_cast<size_t>(i % 50), '}') +
          "\\\"\",\n  \"o\": {\"k\": [" + std::to_string(i) + "]}\n}\n";
  }
  for (ReaderTuning t : {ReaderTuning{64, 5}, ReaderTuning{1024, 333}, ReaderTuning{}}) {
    auto d = read_memory(in, Format::json_concat, 77, t);
    ASSERT_EQ(d.texts.size(), static_cast<size_t>(n));
    EXPECT_TRUE(d.malformed.empty());
    for (int i = 0; i < n; i += 101) {
      Parsed p(d.texts[static_cast<size_t>(i)]);
      EXPECT_EQ(p.num("n"), i);
      EXPECT_EQ(d.records[static_cast<size_t>(i)].line, static_cast<uint64_t>(i) * 5 + 1);
    }
  }
}

TEST(JsonConcat, TooLongObjectIsSkipped) {
  std::string in = "{\"a\":1}\n{\"big\":\"" + std::string(1000, 'x') + "\"}\n{\"b\":2}\n";
  auto d = read_memory(in, Format::json_concat, 1000, ReaderTuning{64, 9}, 200);
  ASSERT_EQ(d.texts.size(), 2u);
  EXPECT_EQ(d.texts[1], "{\"b\":2}");
  ASSERT_EQ(d.malformed.size(), 1u);
  EXPECT_EQ(d.malformed[0].line, 2u);
  EXPECT_EQ(d.malformed[0].reason, "record longer than 200 bytes");
}

TEST(JsonConcat, JsonNameRoutesByFirstByte) {
  auto f = parse_format("json");
  ASSERT_TRUE(f.ok());
  ReaderOptions o;
  o.format = *f;
  auto r1 = open_memory_reader("  [{\"a\":1}]", o);
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ((*r1)->format(), Format::json_array);
  auto r2 = open_memory_reader("{\"a\":1}", o);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ((*r2)->format(), Format::json_concat);
}

}  // namespace
}  // namespace lachan::io::test
