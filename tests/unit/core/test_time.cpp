// Event timestamps: the forms parse_timestamp accepts, and the calendar parts civil_from_ns
// gives the Sigma time modifiers (minute, hour, day, week, month, year; UTC, ISO weeks).
#include <cstdint>

#include <gtest/gtest.h>

#include "core/time.h"

using lachan::civil_from_ns;
using lachan::format_timestamp;
using lachan::parse_timestamp;

namespace {
constexpr int64_t S = 1'000'000'000LL;
// 2019-04-27T15:57:25Z
constexpr int64_t kBase = 1556380645LL * S;
}  // namespace

TEST(ParseTimestamp, IsoWithZ) {
  EXPECT_EQ(parse_timestamp("2019-04-27T15:57:25Z"), kBase);
  EXPECT_EQ(parse_timestamp("2019-04-27t15:57:25z"), kBase);
  EXPECT_EQ(parse_timestamp("1970-01-01T00:00:00Z"), 0);
}

TEST(ParseTimestamp, Fractions) {
  EXPECT_EQ(parse_timestamp("2019-04-27T15:57:25.868864Z"), kBase + 868864000);
  EXPECT_EQ(parse_timestamp("2019-04-27T15:57:25.5Z"), kBase + 500000000);
  EXPECT_EQ(parse_timestamp("2019-04-27T15:57:25.123456789Z"), kBase + 123456789);
  EXPECT_EQ(parse_timestamp("2019-04-27T15:57:25,25Z"), kBase + 250000000);
}

TEST(ParseTimestamp, Offsets) {
  EXPECT_EQ(parse_timestamp("2019-04-27T22:57:25+07:00"), kBase);
  EXPECT_EQ(parse_timestamp("2019-04-27T22:57:25+0700"), kBase);
  EXPECT_EQ(parse_timestamp("2019-04-27T10:27:25-05:30"), kBase);
  EXPECT_EQ(parse_timestamp("2019-04-27T22:57:25.5+07:00"), kBase + 500000000);
  EXPECT_EQ(parse_timestamp("2019-04-27T15:57:25+00:00"), kBase);
}

TEST(ParseTimestamp, SpaceSeparatorAndNoZone) {
  EXPECT_EQ(parse_timestamp("2019-04-27 15:57:25.868"), kBase + 868000000);
  EXPECT_EQ(parse_timestamp("2019-04-27 15:57:25"), kBase);
  EXPECT_EQ(parse_timestamp("2019-04-27T15:57"), kBase - 25 * S);
  EXPECT_EQ(parse_timestamp("2019-04-27"), kBase - (15 * 3600 + 57 * 60 + 25) * S);
}

TEST(ParseTimestamp, EpochSecondsAndMilliseconds) {
  EXPECT_EQ(parse_timestamp("1556380645"), kBase);
  EXPECT_EQ(parse_timestamp("1556380645.25"), kBase + 250000000);
  EXPECT_EQ(parse_timestamp("1556380645000"), kBase);
  EXPECT_EQ(parse_timestamp("1556380645123"), kBase + 123000000);
  EXPECT_EQ(parse_timestamp("0"), 0);
}

// Epoch decimals are converted exactly (Zeek's ts has microseconds; a double would lose them).
TEST(ParseTimestamp, EpochFractionsAreExact) {
  EXPECT_EQ(parse_timestamp("1588765874.123456"), 1588765874123456000LL);
  EXPECT_EQ(format_timestamp(*parse_timestamp("1588765874.123456")), "2020-05-06T11:51:14.123456Z");
  EXPECT_EQ(format_timestamp(*parse_timestamp("1556380645.25")), "2019-04-27T15:57:25.250000Z");
  EXPECT_EQ(parse_timestamp("1556380645123.5"), kBase + 123500000);
}

TEST(ParseTimestamp, YearsWhoseNanosecondsOverflowAreRejected) {
  EXPECT_FALSE(parse_timestamp("9999-12-31T23:59:59Z"));
  EXPECT_FALSE(parse_timestamp("2263-01-01"));
  EXPECT_FALSE(parse_timestamp("0001-01-01T00:00:00Z"));
  EXPECT_TRUE(parse_timestamp("2262-04-11T00:00:00Z"));
  EXPECT_TRUE(parse_timestamp("1678-01-01T00:00:00Z"));
}

TEST(ParseTimestamp, EpochOutOfRangeIsRejected) {
  EXPECT_FALSE(parse_timestamp("99999999999999999999"));
  EXPECT_FALSE(parse_timestamp("1e30"));
}

TEST(ParseTimestamp, Invalid) {
  for (const char* s : {"", "   ", "yesterday", "2019-13-01T00:00:00Z", "2019-04-32", "2019-04-27T25:00:00Z",
                        "2019-04-27T15:61:00Z", "2019-04-27X15:57:25", "2019-04-27T15:57:25Q", "2019/04/27",
                        "-5", "12abc", "2019-04-27T15"})
    EXPECT_FALSE(parse_timestamp(s)) << s;
}

TEST(FormatTimestamp, MicrosecondsZ) {
  EXPECT_EQ(format_timestamp(kBase + 868864000), "2019-04-27T15:57:25.868864Z");
  EXPECT_EQ(format_timestamp(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_timestamp(-1000), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_timestamp(INT64_MAX), "2262-04-11T23:47:16.854775Z");
  EXPECT_EQ(format_timestamp(*parse_timestamp("1700-02-03T04:05:06.000007Z")), "1700-02-03T04:05:06.000007Z");
  auto back = parse_timestamp(format_timestamp(kBase + 123456000));
  EXPECT_EQ(back, kBase + 123456000);
}

TEST(CivilFromNs, Parts) {
  auto t = civil_from_ns(kBase + 868864000);
  EXPECT_EQ(t.year, 2019);
  EXPECT_EQ(t.month, 4);
  EXPECT_EQ(t.day, 27);
  EXPECT_EQ(t.hour, 15);
  EXPECT_EQ(t.minute, 57);
  EXPECT_EQ(t.second, 25);
  EXPECT_EQ(t.iso_week, 17);
}

TEST(CivilFromNs, LeapDayAndEndOfYear) {
  auto leap = civil_from_ns(*parse_timestamp("2024-02-29T23:59:59Z"));
  EXPECT_EQ(leap.month, 2);
  EXPECT_EQ(leap.day, 29);
  EXPECT_EQ(leap.hour, 23);
  auto next = civil_from_ns(*parse_timestamp("2024-02-29T23:59:59Z") + S);
  EXPECT_EQ(next.month, 3);
  EXPECT_EQ(next.day, 1);
  auto nye = civil_from_ns(*parse_timestamp("1999-12-31T23:59:59Z"));
  EXPECT_EQ(nye.year, 1999);
  EXPECT_EQ(civil_from_ns(*parse_timestamp("2000-01-01T00:00:00Z")).year, 2000);
}

// ISO 8601 weeks: week 1 is the week with the year's first Thursday; weeks start on Monday.
TEST(CivilFromNs, IsoWeeksAtYearBoundaries) {
  struct Case {
    const char* date;
    int week;
  } cases[] = {
      {"2021-01-01T12:00:00Z", 53},  // Friday: still in 2020-W53
      {"2021-01-03T12:00:00Z", 53},  // Sunday
      {"2021-01-04T00:00:00Z", 1},   // Monday of 2021-W01
      {"2019-12-30T00:00:00Z", 1},   // Monday: 2020-W01
      {"2019-12-29T23:59:59Z", 52},  // Sunday: 2019-W52
      {"2020-12-31T00:00:00Z", 53},  // Thursday: 2020-W53
      {"2024-12-30T00:00:00Z", 1},   // Monday: 2025-W01
      {"2026-01-01T00:00:00Z", 1},   // Thursday: 2026-W01
      {"2027-01-01T00:00:00Z", 53},  // Friday: 2026-W53
      {"2023-01-01T00:00:00Z", 52},  // Sunday: 2022-W52
      {"2023-01-02T00:00:00Z", 1},
      {"1970-01-01T00:00:00Z", 1},   // Thursday
      {"2019-04-27T15:57:25Z", 17},
  };
  for (const auto& c : cases) EXPECT_EQ(civil_from_ns(*parse_timestamp(c.date)).iso_week, c.week) << c.date;
}

TEST(CivilFromNs, BeforeEpoch) {
  auto t = civil_from_ns(-S);  // 1969-12-31T23:59:59Z
  EXPECT_EQ(t.year, 1969);
  EXPECT_EQ(t.month, 12);
  EXPECT_EQ(t.day, 31);
  EXPECT_EQ(t.hour, 23);
  EXPECT_EQ(t.minute, 59);
  EXPECT_EQ(t.second, 59);
  EXPECT_EQ(t.iso_week, 1);  // Wednesday of 1970-W01
}
