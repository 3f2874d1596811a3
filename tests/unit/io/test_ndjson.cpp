#include <string>

#include "io_test_util.h"

namespace lachan::io::test {
namespace {

TEST(Ndjson, RecordsIndexesAndLines) {
  auto d = read_memory("{\"a\":1}\n\n   \n{\"b\":2}\r\n{\"c\":3}", Format::ndjson);
  ASSERT_EQ(d.texts.size(), 3u);
  EXPECT_EQ(d.texts[0], "{\"a\":1}");
  EXPECT_EQ(d.texts[1], "{\"b\":2}");  // trailing \r stripped
  EXPECT_EQ(d.texts[2], "{\"c\":3}");  // last line without '\n'
  EXPECT_EQ(d.records[0].index, 0u);
  EXPECT_EQ(d.records[1].index, 1u);   // blank lines do not count
  EXPECT_EQ(d.records[2].index, 2u);
  EXPECT_EQ(d.records[0].line, 1u);
  EXPECT_EQ(d.records[1].line, 4u);
  EXPECT_EQ(d.records[2].line, 5u);
  EXPECT_TRUE(d.malformed.empty());
}

TEST(Ndjson, DoesNotValidateJson) {
  auto d = read_memory("{\"a\":1}\nnot json\n{\"b\":\n", Format::ndjson);
  ASSERT_EQ(d.texts.size(), 3u);
  EXPECT_EQ(d.texts[1], "not json");
  EXPECT_EQ(d.records[2].line, 3u);
}

TEST(Ndjson, BatchesRespectMaxRecords) {
  std::string in;
  for (int i = 0; i < 25; ++i) in += "{\"i\":" + std::to_string(i) + "}\n";
  auto d = read_memory(in, Format::ndjson, 10);
  ASSERT_EQ(d.texts.size(), 25u);
  EXPECT_EQ(d.batches, 3u);
  for (size_t i = 0; i < 25; ++i) {
    EXPECT_EQ(d.records[i].index, i);
    EXPECT_EQ(d.texts[i], "{\"i\":" + std::to_string(i) + "}");
  }
}

TEST(Ndjson, TooLongLineIsMalformedAndSkipped) {
  std::string big = "{\"x\":\"" + std::string(300, 'y') + "\"}";
  std::string in = "{\"a\":1}\n" + big + "\n{\"b\":2}\n";
  // Small blocks and short reads, so the long line spans many refills.
  auto d = read_memory(in, Format::ndjson, 1000, ReaderTuning{64, 7}, 100);
  ASSERT_EQ(d.texts.size(), 2u);
  EXPECT_EQ(d.texts[0], "{\"a\":1}");
  EXPECT_EQ(d.texts[1], "{\"b\":2}");
  EXPECT_EQ(d.records[1].index, 2u);
  EXPECT_EQ(d.records[1].line, 3u);
  ASSERT_EQ(d.malformed.size(), 1u);
  EXPECT_EQ(d.malformed[0].index, 1u);
  EXPECT_EQ(d.malformed[0].line, 2u);
  EXPECT_EQ(d.malformed[0].reason, "record longer than 100 bytes");
}

TEST(Ndjson, TooLongLastLineWithoutNewline) {
  auto d = read_memory("{\"a\":1}\n" + std::string(500, 'z'), Format::ndjson, 1000, ReaderTuning{32, 5}, 100);
  ASSERT_EQ(d.texts.size(), 1u);
  ASSERT_EQ(d.malformed.size(), 1u);
  EXPECT_EQ(d.malformed[0].line, 2u);
}

TEST(Ndjson, BlockBoundariesKeepEveryLineIntact) {
  // Lines of varied length across many small blocks and short reads.
  std::string in;
  std::vector<std::string> want;
  for (int i = 0; i < 5000; ++i) {
    std::string line = "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + std::string(static_cast<size_t>(i % 97), 'p') + "\"}";
    want.push_back(line);
    in += line;
    in += (i % 3 == 0) ? "\r\n" : "\n";
  }
  for (ReaderTuning t : {ReaderTuning{256, 13}, ReaderTuning{4096, 1000}, ReaderTuning{}}) {
    auto d = read_memory(in, Format::ndjson, 333, t);
    ASSERT_EQ(d.texts.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(d.texts[i], want[i]) << "record " << i;
      ASSERT_EQ(d.records[i].line, i + 1);
    }
  }
}

TEST(Ndjson, LineLongerThanBlockGrowsBuffer) {
  std::string big = "{\"x\":\"" + std::string(10000, 'q') + "\"}";
  auto d = read_memory("{}\n" + big + "\n{}\n", Format::ndjson, 1000, ReaderTuning{128, 100});
  ASSERT_EQ(d.texts.size(), 3u);
  EXPECT_EQ(d.texts[1], big);
  EXPECT_TRUE(d.malformed.empty());
}

TEST(Ndjson, RecordsParseInPlaceWithPadding) {
  ReaderOptions o;
  o.format = Format::ndjson;
  auto r = open_memory_reader("{\"a\":\"x\"}\n{\"b\":[1,2,3]}\n", o);
  ASSERT_TRUE(r.ok());
  RecordBatch batch;
  auto more = (*r)->next(batch, 100);
  ASSERT_TRUE(more.ok());
  ASSERT_TRUE(*more);
  simdjson::dom::parser parser;
  for (const auto& rec : batch.records) {
    simdjson::dom::element e;
    // realloc_if_needed = false: simdjson reads the padding in the batch buffer itself.
    auto err = parser.parse(batch.buffer.data() + rec.offset, rec.length, false).get(e);
    EXPECT_FALSE(err) << simdjson::error_message(err);
  }
  auto end = (*r)->next(batch, 100);
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(*end);
  EXPECT_TRUE(batch.records.empty());
}

TEST(Ndjson, OpenMissingFileIsIoError) {
  auto r = open_reader("/nonexistent/dir/file.jsonl");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::io);
  EXPECT_NE(r.error().message.find("cannot open /nonexistent/dir/file.jsonl"), std::string::npos);
}

TEST(Ndjson, OpenDirectoryIsIoError) {
  auto r = open_reader("/tmp");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::io);
}

TEST(Ndjson, RealFileEvtxAttackSamples) {
  std::string path = std::string(LACHAN_SHARED_DATA) + "/logs/windows/evtx-attack-samples.jsonl";
  if (!shared_file_exists(path)) GTEST_SKIP() << "shared data file absent: " << path;
  auto r = open_reader(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->format(), Format::ndjson);
  auto d = drain(**r, 4096);
  EXPECT_GT(d.texts.size(), 1000u);
  EXPECT_TRUE(d.malformed.empty());
  // Every record is a JSON object with an Event.
  for (size_t i = 0; i < d.texts.size(); i += 997) {
    Parsed p(d.texts[i]);
    EXPECT_TRUE(p.has("Event")) << "record " << i;
  }
}

}  // namespace
}  // namespace lachan::io::test
