#include <string>

#include "io_test_util.h"

namespace lachan::io::test {
namespace {

Format detect_memory(std::string data) {
  auto r = open_memory_reader(std::move(data));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? (*r)->format() : Format::automatic;
}

TEST(DetectFormat, FromContent) {
  EXPECT_EQ(detect_format("{\"a\":1}\n{\"b\":2}\n", false), Format::ndjson);
  EXPECT_EQ(detect_format("{\"a\":\"}\\\"{\"}\n", true), Format::ndjson);
  EXPECT_EQ(detect_format("\n\n  {\n  \"a\": 1\n}\n", true), Format::json_concat);
  EXPECT_EQ(detect_format("{\"a\":1}{\"b\":2}\n", true), Format::json_concat);
  EXPECT_EQ(detect_format("{\"a\":1", true), Format::json_concat);
  EXPECT_EQ(detect_format("{\"a\":1", false), Format::ndjson);  // first line longer than the peek
  EXPECT_EQ(detect_format("  [ {\"a\":1} ]", true), Format::json_array);
  EXPECT_EQ(detect_format(std::string("ElfFile\0\0\0", 11), true), Format::evtx);
  EXPECT_EQ(detect_format("<34>Oct 11 22:14:15 host su: x\n", true), Format::syslog);
  EXPECT_EQ(detect_format("<165>1 2003-10-11T22:14:15.003Z host app - - - msg\n", true), Format::syslog);
  EXPECT_EQ(detect_format("Dec 10 06:55:46 LabSZ sshd[24200]: x\n", true), Format::syslog);
  EXPECT_EQ(detect_format("Jun  4 06:55:46 LabSZ sshd[24200]: x\n", true), Format::syslog);
  EXPECT_EQ(detect_format("2024-01-02T03:04:05+00:00 host app: x\n", true), Format::syslog);
  EXPECT_EQ(detect_format("user,host,cmd\nalice,h,ls\n", true), Format::csv);
  EXPECT_EQ(detect_format("hello world\n", true), Format::automatic);
  EXPECT_EQ(detect_format("a,{b}\n", true), Format::automatic);
  EXPECT_EQ(detect_format("   \n", true), Format::ndjson);
}

TEST(DetectFormat, OpenReaderPicksTheReader) {
  EXPECT_EQ(detect_memory("{\"a\":1}\n"), Format::ndjson);
  EXPECT_EQ(detect_memory("{\n \"a\":1\n}\n"), Format::json_concat);
  EXPECT_EQ(detect_memory("[{\"a\":1}]"), Format::json_array);
  EXPECT_EQ(detect_memory("a,b\n1,2\n"), Format::csv);
  EXPECT_EQ(detect_memory("<13>Jan  1 00:00:00 h t: m\n"), Format::syslog);
  EXPECT_EQ(detect_memory("\xEF\xBB\xBF{\"a\":1}\n"), Format::ndjson);  // BOM skipped
  EXPECT_EQ(detect_memory(""), Format::ndjson);
}

TEST(DetectFormat, BomIsNotPartOfTheFirstRecord) {
  auto d = read_memory("\xEF\xBB\xBF{\"a\":1}\n");
  ASSERT_EQ(d.texts.size(), 1u);
  EXPECT_EQ(d.texts[0], "{\"a\":1}");
}

TEST(DetectFormat, UndetectableIsAClearError) {
  auto r = open_memory_reader("hello world\nthis is prose\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::unsupported);
  EXPECT_NE(r.error().message.find("<memory>"), std::string::npos);
  EXPECT_NE(r.error().message.find("cannot detect the format"), std::string::npos);
  EXPECT_NE(r.error().message.find("--input-format"), std::string::npos);
}

TEST(DetectFormat, LongFirstLineBeyondPeekIsNdjson) {
  std::string big = "{\"x\":\"" + std::string(200000, 'a') + "\"}\n{\"y\":1}\n";
  auto d = read_memory(big);
  ASSERT_EQ(d.texts.size(), 2u);
}

TEST(DetectFormat, ParseAndNameFormats) {
  struct Case {
    const char* name;
    Format f;
  } cases[] = {{"auto", Format::automatic}, {"ndjson", Format::ndjson},   {"jsonl", Format::ndjson},
               {"json", Format::json_concat}, {"json-array", Format::json_array}, {"evtx", Format::evtx},
               {"syslog", Format::syslog},    {"csv", Format::csv}};
  for (const auto& c : cases) {
    auto r = parse_format(c.name);
    ASSERT_TRUE(r.ok()) << c.name;
    EXPECT_EQ(*r, c.f) << c.name;
  }
  auto bad = parse_format("xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("xml"), std::string::npos);
  for (Format f : {Format::automatic, Format::ndjson, Format::json_array, Format::json_concat, Format::evtx,
                   Format::syslog, Format::csv}) {
    auto back = parse_format(format_name(f));
    ASSERT_TRUE(back.ok()) << format_name(f);
    EXPECT_EQ(*back, f);
  }
}

TEST(DetectFormat, RealEvtxFileIsHandedToTheEvtxReader) {
  std::string dir = std::string(LACHAN_SHARED_DATA) + "/logs/windows/evtx";
  // Find any .evtx file in the folder without depending on its exact name.
  std::string found;
  if (FILE* p = popen(("ls " + dir + "/*.evtx 2>/dev/null | head -1").c_str(), "r")) {
    char buf[4096];
    if (fgets(buf, sizeof buf, p)) found = buf;
    pclose(p);
  }
  while (!found.empty() && (found.back() == '\n' || found.back() == '\r')) found.pop_back();
  if (found.empty()) GTEST_SKIP() << "no .evtx file in " << dir;
  auto r = open_reader(found);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->format(), Format::evtx);
}

}  // namespace
}  // namespace lachan::io::test
