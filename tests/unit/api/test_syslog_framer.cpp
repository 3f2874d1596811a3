// RFC 6587 framing without sockets: octet counting, LF/CRLF/NUL framing, any chunking,
// truncation of oversize messages, malformed octet counts.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/syslog_framer.h"

using namespace lachan::api;
using namespace std::string_view_literals;

namespace {

std::vector<std::string> frame(std::string_view input, size_t max = 1024, size_t chunk = 0,
                               SyslogFramer* out_framer = nullptr) {
  SyslogFramer local(max);
  SyslogFramer& f = out_framer ? *out_framer : local;
  FramedMessages out;
  std::vector<std::string> got;
  auto collect = [&] {
    for (size_t i = 0; i < out.size(); ++i) got.emplace_back(out[i]);
    out.clear();
  };
  if (chunk == 0) chunk = input.size() ? input.size() : 1;
  for (size_t i = 0; i < input.size(); i += chunk) {
    if (!f.feed(input.substr(i, chunk), out)) break;
    collect();  // clearing between chunks must keep a message under construction
  }
  f.finish(out);
  collect();
  return got;
}

}  // namespace

TEST(SyslogFramer, OctetCounting) {
  auto got = frame("11 <13>hello a9 <13>b c d");
  EXPECT_EQ(got, (std::vector<std::string>{"<13>hello a", "<13>b c d"}));
}

TEST(SyslogFramer, OctetCountedMessageMayContainNewlines) {
  auto got = frame("8 <1>a\nb\nc5 <1>xy");
  EXPECT_EQ(got, (std::vector<std::string>{"<1>a\nb\nc", "<1>xy"}));
}

TEST(SyslogFramer, NonTransparentTerminators) {
  auto got = frame("<13>lf\n<13>crlf\r\n<13>nul\0<13>last"sv);
  EXPECT_EQ(got, (std::vector<std::string>{"<13>lf", "<13>crlf", "<13>nul", "<13>last"}));
}

TEST(SyslogFramer, BlankLinesAreSkipped) {
  auto got = frame("\n\r\n<13>a\n\n\n<13>b\n");
  EXPECT_EQ(got, (std::vector<std::string>{"<13>a", "<13>b"}));
}

TEST(SyslogFramer, MixedFramingPerFrame) {
  auto got = frame("<13>line\n6 <13>ab<13>next\n");
  EXPECT_EQ(got, (std::vector<std::string>{"<13>line", "<13>ab", "<13>next"}));
}

TEST(SyslogFramer, EveryChunkingGivesTheSameMessages) {
  const std::string input =
      "12 <13>counted1\n<13>line one\r\n7 <13>abc<13>line two\n300 " + std::string(300, 'x') + "<13>tail";
  const auto whole = frame(input, 100);
  ASSERT_EQ(whole.size(), 6u);
  EXPECT_EQ(whole[4], std::string(100, 'x'));  // truncated to the limit
  for (size_t chunk = 1; chunk <= 17; ++chunk) EXPECT_EQ(frame(input, 100, chunk), whole) << "chunk " << chunk;
}

TEST(SyslogFramer, OversizeLineIsTruncatedAndRestSkipped) {
  SyslogFramer f(8);
  auto got = frame("<13>0123456789abcdef\n<13>ok\n", 8, 3, &f);
  EXPECT_EQ(got, (std::vector<std::string>{"<13>0123", "<13>ok"}));
  EXPECT_EQ(f.truncated(), 1u);
  EXPECT_EQ(f.malformed(), 0u);
}

TEST(SyslogFramer, OversizeCountedFrameIsTruncatedAndRestSkipped) {
  SyslogFramer f(4);
  auto got = frame(
      "10 0123456789"
      "2 ab",
      4, 0, &f);
  EXPECT_EQ(got, (std::vector<std::string>{"0123", "ab"}));
  EXPECT_EQ(f.truncated(), 1u);
}

TEST(SyslogFramer, MessageOfExactlyTheLimitIsNotTruncated) {
  SyslogFramer f(4);
  auto got = frame("abcd\n4 wxyz", 4, 1, &f);
  EXPECT_EQ(got, (std::vector<std::string>{"abcd", "wxyz"}));
  EXPECT_EQ(f.truncated(), 0u);
}

TEST(SyslogFramer, MalformedOctetCountsFailTheStream) {
  for (std::string_view bad : {"12x <13>a"sv, "0 <13>a"sv, "1234567890 a"sv, "5\n<13>a\n"sv}) {
    SyslogFramer f(1024);
    FramedMessages out;
    EXPECT_FALSE(f.feed(bad, out)) << bad;
    EXPECT_TRUE(f.failed());
    EXPECT_EQ(f.malformed(), 1u);
    EXPECT_TRUE(out.empty());
    EXPECT_FALSE(f.feed("<13>more\n", out));  // nothing after a failure
    EXPECT_TRUE(out.empty());
  }
}

TEST(SyslogFramer, MessagesBeforeTheFailureAreKept) {
  SyslogFramer f(1024);
  FramedMessages out;
  EXPECT_FALSE(f.feed("<13>good\n3 abc9z", out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], "<13>good");
  EXPECT_EQ(out[1], "abc");
}

TEST(SyslogFramer, EndOfStream) {
  SyslogFramer f(1024);
  // An unterminated line is a message; a partial counted frame is malformed and dropped.
  EXPECT_EQ(frame("<13>no newline", 1024, 0, &f), (std::vector<std::string>{"<13>no newline"}));
  EXPECT_EQ(f.malformed(), 0u);
  SyslogFramer g(1024);
  EXPECT_EQ(frame("<13>a\n20 <13>short", 1024, 4, &g), (std::vector<std::string>{"<13>a"}));
  EXPECT_EQ(g.malformed(), 1u);
  EXPECT_FALSE(g.mid_frame());
}
