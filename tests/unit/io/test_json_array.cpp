#include <string>

#include "io_test_util.h"

namespace lachan::io::test {
namespace {

TEST(JsonArray, ElementsBecomeRecords) {
  std::string in = "[\n  {\"a\": 1, \"s\": \"x,]}\"},\n  {\"b\": [1, 2, {\"c\": 3}]},\n\n  {}\n]\n";
  auto d = read_memory(in, Format::json_array);
  ASSERT_EQ(d.texts.size(), 3u);
  EXPECT_TRUE(d.malformed.empty());
  EXPECT_EQ(d.texts[0], "{\"a\": 1, \"s\": \"x,]}\"}");
  EXPECT_EQ(d.texts[2], "{}");
  EXPECT_EQ(d.records[0].line, 2u);
  EXPECT_EQ(d.records[1].line, 3u);
  EXPECT_EQ(d.records[2].line, 5u);
  EXPECT_EQ(d.records[2].index, 2u);
  Parsed p(d.texts[1]);
  int64_t c = 0;
  ASSERT_FALSE(p.doc()["b"].at(2)["c"].get_int64().get(c));
  EXPECT_EQ(c, 3);
}

TEST(JsonArray, NonObjectElementsAreMalformed) {
  auto d = read_memory("[{\"a\":1}, 42, \"s\", [1], null, {\"b\":2}]", Format::json_array);
  ASSERT_EQ(d.texts.size(), 2u);
  EXPECT_EQ(d.records[1].index, 5u);
  ASSERT_EQ(d.malformed.size(), 4u);
  EXPECT_EQ(d.malformed[0].index, 1u);
  EXPECT_EQ(d.malformed[0].reason, "element 1 of the JSON array is a number, not an object");
  EXPECT_EQ(d.malformed[1].reason, "element 2 of the JSON array is a string, not an object");
  EXPECT_EQ(d.malformed[2].reason, "element 3 of the JSON array is an array, not an object");
  EXPECT_EQ(d.malformed[3].reason, "element 4 of the JSON array is null, not an object");
}

TEST(JsonArray, InvalidArrayIsOneMalformedNotAnError) {
  ReaderOptions o;
  o.format = Format::json_array;
  auto r = open_memory_reader("[{\"a\":1}, {\"b\": }]", o);
  ASSERT_TRUE(r.ok());
  RecordBatch batch;
  auto more = (*r)->next(batch, 100);
  ASSERT_TRUE(more.ok());
  ASSERT_TRUE(*more);
  EXPECT_TRUE(batch.records.empty());
  ASSERT_EQ(batch.malformed.size(), 1u);
  EXPECT_EQ(batch.malformed[0].reason.rfind("invalid JSON array: ", 0), 0u) << batch.malformed[0].reason;
  auto end = (*r)->next(batch, 100);
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(*end);
}

TEST(JsonArray, EmptyArray) {
  auto d = read_memory(" [ ] ", Format::json_array);
  EXPECT_TRUE(d.texts.empty());
  EXPECT_TRUE(d.malformed.empty());
}

TEST(JsonArray, ManyElementsAcrossBatches) {
  std::string in = "[";
  for (int i = 0; i < 1000; ++i) in += (i ? ",{\"i\":" : "{\"i\":") + std::to_string(i) + "}";
  in += "]";
  auto d = read_memory(in, Format::automatic, 64);
  ASSERT_EQ(d.texts.size(), 1000u);
  EXPECT_EQ(d.batches, 16u);
  EXPECT_EQ(d.texts[999], "{\"i\":999}");
  EXPECT_EQ(d.records[999].index, 999u);
}

TEST(JsonArray, RealSuricataAlerts) {
  std::string path = std::string(LACHAN_SHARED_DATA) + "/logs/suricata/wrccdc-2018-alerts.json";
  if (!shared_file_exists(path)) GTEST_SKIP() << "shared data file absent: " << path;
  auto r = open_reader(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->format(), Format::json_array);
  auto d = drain(**r);
  EXPECT_GT(d.texts.size(), 10u);
  EXPECT_TRUE(d.malformed.empty());
  Parsed p(d.texts[0]);
  EXPECT_EQ(p.str("event_type"), "alert");
  EXPECT_EQ(d.records[0].line, 2u);
}

}  // namespace
}  // namespace lachan::io::test
