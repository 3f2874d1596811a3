#include <string>

#include "io_test_util.h"

namespace lachan::io::test {
namespace {

std::string to_json(std::string_view line) {
  std::string out;
  syslog_line_to_json(line, out);
  return out;
}

TEST(Syslog, Rfc5424Full) {
  Parsed p(to_json(
      "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
      "[exampleSDID@32473 iut=\"3\" eventSource=\"Appli\\\"cation\\]\" eventID=\"1011\"][other@1 k=\"a\\\\b\"] "
      "\xEF\xBB\xBF" "An application event log entry"));
  EXPECT_EQ(p.num("facility"), 20);
  EXPECT_EQ(p.num("severity"), 5);
  EXPECT_EQ(p.num("version"), 1);
  EXPECT_EQ(p.str("timestamp"), "2003-10-11T22:14:15.003Z");
  EXPECT_EQ(p.str("hostname"), "mymachine.example.com");
  EXPECT_EQ(p.str("app_name"), "evntslog");
  EXPECT_FALSE(p.has("procid"));  // nil
  EXPECT_EQ(p.str("msgid"), "ID47");
  EXPECT_EQ(p.str("message"), "An application event log entry");
  std::string_view v;
  ASSERT_FALSE(p.doc()["structured_data"]["exampleSDID@32473"]["eventSource"].get_string().get(v));
  EXPECT_EQ(v, "Appli\"cation]");
  ASSERT_FALSE(p.doc()["structured_data"]["exampleSDID@32473"]["iut"].get_string().get(v));
  EXPECT_EQ(v, "3");
  ASSERT_FALSE(p.doc()["structured_data"]["other@1"]["k"].get_string().get(v));
  EXPECT_EQ(v, "a\\b");
}

TEST(Syslog, Rfc5424NilsAndNoMessage) {
  Parsed p(to_json("<34>1 - - - - - -"));
  EXPECT_EQ(p.num("facility"), 4);
  EXPECT_EQ(p.num("severity"), 2);
  EXPECT_FALSE(p.has("timestamp"));
  EXPECT_FALSE(p.has("hostname"));
  EXPECT_FALSE(p.has("structured_data"));
  EXPECT_FALSE(p.has("message"));
}

TEST(Syslog, Rfc3164WithPri) {
  Parsed p(to_json("<34>Oct 11 22:14:15 mymachine su[123]: 'su root' failed for lonvick on /dev/pts/8"));
  EXPECT_EQ(p.num("facility"), 4);
  EXPECT_EQ(p.num("severity"), 2);
  EXPECT_EQ(p.str("timestamp"), "Oct 11 22:14:15");
  EXPECT_EQ(p.str("hostname"), "mymachine");
  EXPECT_EQ(p.str("app_name"), "su");
  EXPECT_EQ(p.str("procid"), "123");
  EXPECT_EQ(p.str("message"), "'su root' failed for lonvick on /dev/pts/8");
}

TEST(Syslog, Rfc3164WithoutPri) {
  Parsed p(to_json("Jun  4 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0"));
  EXPECT_FALSE(p.has("facility"));
  EXPECT_FALSE(p.has("severity"));
  EXPECT_EQ(p.str("timestamp"), "Jun  4 15:16:01");
  EXPECT_EQ(p.str("hostname"), "combo");
  EXPECT_EQ(p.str("app_name"), "sshd(pam_unix)");
  EXPECT_EQ(p.str("procid"), "19939");
  EXPECT_EQ(p.str("message"), "authentication failure; logname= uid=0");
}

TEST(Syslog, Rfc3164TagWithoutPidAndNoTag) {
  Parsed a(to_json("Jun 14 15:16:01 combo kernel: Linux version 2.6.5"));
  EXPECT_EQ(a.str("app_name"), "kernel");
  EXPECT_FALSE(a.has("procid"));
  EXPECT_EQ(a.str("message"), "Linux version 2.6.5");
  Parsed b(to_json("Jun 14 15:16:01 combo last message repeated 2 times"));
  EXPECT_EQ(b.str("hostname"), "combo");
  EXPECT_FALSE(b.has("app_name"));
  EXPECT_EQ(b.str("message"), "last message repeated 2 times");
}

TEST(Syslog, NotSyslogKeepsTheLine) {
  Parsed p(to_json("just some text \"quoted\" \\ here"));
  EXPECT_EQ(p.str("message"), "just some text \"quoted\" \\ here");
  EXPECT_FALSE(p.has("timestamp"));
}

TEST(Syslog, EscapesControlCharsAndInvalidUtf8) {
  static const char raw[] = "Jun 14 15:16:01 h app: a\tb\x01 c \xff d \xC3\xA9 e \xED\xA0\x80";
  std::string line(raw, sizeof raw - 1);
  Parsed p(to_json(line));
  EXPECT_EQ(p.str("message"), "a\tb\x01 c \xEF\xBF\xBD d \xC3\xA9 e \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Syslog, ReaderSkipsBlankLinesAndKeepsLineNumbers) {
  std::string in =
      "<13>1 2024-01-01T00:00:00Z host app 12 - - first\n"
      "\n"
      "Feb  3 04:05:06 host2 cron[7]: second\r\n"
      "free text\n";
  auto d = read_memory(in, Format::syslog);
  ASSERT_EQ(d.texts.size(), 3u);
  EXPECT_EQ(d.records[1].line, 3u);
  EXPECT_EQ(d.records[1].index, 1u);
  EXPECT_EQ(d.records[2].line, 4u);
  Parsed p0(d.texts[0]);
  EXPECT_EQ(p0.str("procid"), "12");
  EXPECT_EQ(p0.str("message"), "first");
  Parsed p1(d.texts[1]);
  EXPECT_EQ(p1.str("message"), "second");  // \r stripped
  Parsed p2(d.texts[2]);
  EXPECT_EQ(p2.str("message"), "free text");
}

TEST(Syslog, RealOpensshLog) {
  std::string path = std::string(LACHAN_SHARED_DATA) + "/logs/syslog/openssh-2k.log";
  if (!shared_file_exists(path)) GTEST_SKIP() << "shared data file absent: " << path;
  auto r = open_reader(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->format(), Format::syslog);
  auto d = drain(**r);
  ASSERT_EQ(d.texts.size(), 2000u);
  Parsed p(d.texts[0]);
  EXPECT_EQ(p.str("timestamp"), "Dec 10 06:55:46");
  EXPECT_EQ(p.str("hostname"), "LabSZ");
  EXPECT_EQ(p.str("app_name"), "sshd");
  EXPECT_EQ(p.str("procid"), "24200");
  for (const auto& t : d.texts) {
    Parsed q(t);
    ASSERT_TRUE(q.has("hostname")) << t;
  }
}

TEST(Syslog, RealLinuxLog) {
  std::string path = std::string(LACHAN_SHARED_DATA) + "/logs/syslog/linux-2k.log";
  if (!shared_file_exists(path)) GTEST_SKIP() << "shared data file absent: " << path;
  auto r = open_reader(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->format(), Format::syslog);
  auto d = drain(**r);
  EXPECT_EQ(d.texts.size(), 2000u);
  Parsed p(d.texts[0]);
  EXPECT_EQ(p.str("app_name"), "sshd(pam_unix)");
  EXPECT_EQ(p.str("procid"), "19939");
}

}  // namespace
}  // namespace lachan::io::test
