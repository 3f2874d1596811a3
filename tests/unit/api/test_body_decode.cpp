// gzip request bodies: round trip, concatenated members, the decompressed-size limit, corrupt input.
#include <gtest/gtest.h>

#include "api/body_decode.h"

using namespace lachan::api;
using lachan::Errc;

TEST(Gunzip, RoundTrip) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "{\"event\":" + std::to_string(i) + "}\n";
  auto gz = gzip(text);
  ASSERT_TRUE(gz);
  EXPECT_LT(gz->size(), text.size());
  auto back = gunzip(*gz, text.size());
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, text);
}

TEST(Gunzip, ConcatenatedMembers) {
  auto a = gzip("first\n");
  auto b = gzip("second\n");
  ASSERT_TRUE(a && b);
  auto back = gunzip(*a + *b, 1024);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, "first\nsecond\n");
}

TEST(Gunzip, LimitIsEnforcedOnOutput) {
  std::string zeros(1 << 20, '\0');  // compresses ~1000:1
  auto gz = gzip(zeros);
  ASSERT_TRUE(gz);
  auto over = gunzip(*gz, zeros.size() - 1);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, Errc::limit);
  EXPECT_NE(over.error().message.find(std::to_string(zeros.size() - 1)), std::string::npos);
  auto exact = gunzip(*gz, zeros.size());
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->size(), zeros.size());
}

TEST(Gunzip, MalformedInputs) {
  auto gz = gzip("hello world, hello world");
  ASSERT_TRUE(gz);
  std::string corrupt = *gz;
  corrupt[corrupt.size() - 6] ^= 0x55;  // CRC32 trailer
  std::vector<std::string> bad = {
      "",                             // empty
      "plain text, not gzip",         // no magic
      gz->substr(0, gz->size() / 2),  // truncated
      corrupt,                        // checksum mismatch
      *gz + "garbage",                // trailing bytes
  };
  for (const auto& b : bad) {
    auto r = gunzip(b, 1 << 20);
    ASSERT_FALSE(r) << b.size();
    EXPECT_EQ(r.error().code, Errc::malformed) << r.error().message;
  }
}
