// Retry policy: the exponential ceiling and its cap, full jitter drawn from the injected source
// (deterministic here), and the end of attempts.
#include <gtest/gtest.h>

#include <vector>

#include "notify/retry.h"

namespace lachan::notify {
namespace {

using std::chrono::milliseconds;

TEST(RetryPolicy, CeilingDoublesUpToTheCap) {
  RetryPolicy p{milliseconds(1000), milliseconds(30'000), 10};
  EXPECT_EQ(p.ceiling(1), milliseconds(1000));
  EXPECT_EQ(p.ceiling(2), milliseconds(2000));
  EXPECT_EQ(p.ceiling(3), milliseconds(4000));
  EXPECT_EQ(p.ceiling(5), milliseconds(16'000));
  EXPECT_EQ(p.ceiling(6), milliseconds(30'000));
  EXPECT_EQ(p.ceiling(1'000'000), milliseconds(30'000));  // no overflow
}

TEST(RetryPolicy, FullJitterUsesTheInjectedSource) {
  RetryPolicy p{milliseconds(1000), milliseconds(30'000), 4};
  std::vector<uint64_t> asked;
  // Returns the top of the range: the delay is then exactly the ceiling.
  UniformRandom top = [&](uint64_t upper) {
    asked.push_back(upper);
    return upper;
  };
  EXPECT_EQ(p.next_delay(1, top), milliseconds(1000));
  EXPECT_EQ(p.next_delay(2, top), milliseconds(2000));
  EXPECT_EQ(p.next_delay(3, top), milliseconds(4000));
  EXPECT_EQ(p.next_delay(4, top), std::nullopt);  // 4 attempts made: dead
  EXPECT_EQ(asked, (std::vector<uint64_t>{1000, 2000, 4000}));

  UniformRandom zero = [](uint64_t) { return uint64_t{0}; };
  EXPECT_EQ(p.next_delay(3, zero), milliseconds(0));
  UniformRandom half = [](uint64_t upper) { return upper / 2; };
  EXPECT_EQ(p.next_delay(3, half), milliseconds(2000));
  // A broken source cannot push the wait past the ceiling.
  UniformRandom wild = [](uint64_t) { return uint64_t{1} << 40; };
  EXPECT_EQ(p.next_delay(2, wild), milliseconds(2000));
}

TEST(RetryPolicy, SystemSourceStaysInRange) {
  RetryPolicy p{milliseconds(100), milliseconds(1000), 100};
  auto random = system_uniform_random();
  bool varied = false;
  std::optional<milliseconds> first;
  for (int i = 0; i < 200; ++i) {
    auto d = p.next_delay(4, random);
    ASSERT_TRUE(d);
    EXPECT_GE(d->count(), 0);
    EXPECT_LE(d->count(), 800);
    if (first && *first != *d) varied = true;
    first = d;
  }
  EXPECT_TRUE(varied);
}

TEST(RetryPolicy, OneAttemptMeansNoRetry) {
  RetryPolicy p{milliseconds(1000), milliseconds(5000), 1};
  EXPECT_EQ(p.next_delay(1, [](uint64_t u) { return u; }), std::nullopt);
}

}  // namespace
}  // namespace lachan::notify
