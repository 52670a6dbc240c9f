#include "model/time.h"

#include <gtest/gtest.h>

namespace eventlens {
namespace {

TEST(Rfc3339, ParsesUtcAndOffsets) {
  EXPECT_EQ(*parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*parse_rfc3339("2018-04-05T17:31:00Z"), 1522949460LL * kNanosPerSecond);
  EXPECT_EQ(*parse_rfc3339("2018-04-05T19:31:00+02:00"), 1522949460LL * kNanosPerSecond);
  EXPECT_EQ(*parse_rfc3339("2018-04-05T15:31:00-02:00"), 1522949460LL * kNanosPerSecond);
  EXPECT_EQ(*parse_rfc3339("2023-12-24T13:37:16.335172Z"),
            1703425036LL * kNanosPerSecond + 335172000);
  EXPECT_EQ(*parse_rfc3339("2018-04-26T14:48:09.1234Z") % kNanosPerSecond, 123400000);
  EXPECT_EQ(*parse_rfc3339("2024-02-29t00:00:00.000000001z") % kNanosPerSecond, 1);
}

TEST(Rfc3339, RefusesMalformedTimes) {
  for (const char* bad : {"", "2018-04-05", "2018-04-05T17:31:00", "2018-13-05T17:31:00Z",
                          "2023-02-29T00:00:00Z", "2018-04-05T24:00:00Z", "2018-04-05T17:31:00.Z",
                          "2018-04-05T17:31:00Zjunk", "2018-04-05T17:31:00+0200", "yesterday"}) {
    EXPECT_FALSE(parse_rfc3339(bad).ok()) << bad;
  }
}

// The inline fast path (parse_rfc3339_utc) must agree with the general parser
// wherever it accepts, and leave everything else to it.
TEST(Rfc3339, FastPathAgreesWithTheGeneralParser) {
  for (const char* text :
       {"1970-01-01T00:00:00Z", "2018-04-05T17:31:00Z", "2023-12-24T13:37:16.335172Z", "2018-04-26T14:48:09.1234Z",
        "2024-02-29T23:59:59.999999999Z", "2261-12-31T23:59:59Z", "2000-02-29T12:00:00.5Z", "2026-11-02T09:00:00.000Z"}) {
    TimeNs fast = -1;
    ASSERT_TRUE(parse_rfc3339_utc(text, fast)) << text;
    EXPECT_EQ(fast, *parse_rfc3339(text)) << text;
  }
  for (const char* other :
       {"2018-04-05T19:31:00+02:00", "2024-02-29t00:00:00z", "2018-04-05 17:31:00Z", "2016-12-31T23:59:60Z",
        "2018-04-05T17:31:00.1234567891Z", "1969-12-31T23:59:59Z", "2262-04-11T23:47:16Z", "2018-13-05T17:31:00Z",
        "2023-02-29T00:00:00Z", "2018-04-05T24:00:00Z", "2018-04-05T17:31:00.Z", "2018-04-05T17:31:0xZ",
        "2018-04-05T17:31:00.12a4Z", "201a-04-05T17:31:00Z", "2018-04-05T17/31:00Z", "2018-04-05T17:31:00"}) {
    TimeNs untouched = -1;
    EXPECT_FALSE(parse_rfc3339_utc(other, untouched)) << other;
    EXPECT_EQ(untouched, -1) << other;
  }
}

TEST(Rfc3339, RefusesTimesOutsideInt64Nanoseconds) {
  EXPECT_TRUE(parse_rfc3339("2262-04-11T23:47:16Z").ok());
  EXPECT_FALSE(parse_rfc3339("2262-04-11T23:47:17Z").ok());
  EXPECT_FALSE(parse_rfc3339("9999-12-31T23:59:59Z").ok());
  EXPECT_FALSE(parse_rfc3339("1969-12-31T23:59:59Z").ok());
  EXPECT_TRUE(parse_rfc3339("2099-01-01T00:00:00Z").ok());
}

TEST(Rfc3339, FormatsShortestExactFraction) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(1522949460LL * kNanosPerSecond + 500000000), "2018-04-05T17:31:00.500Z");
  EXPECT_EQ(format_rfc3339(1522949460LL * kNanosPerSecond + 1000), "2018-04-05T17:31:00.000001Z");
  EXPECT_EQ(format_rfc3339(1522949460LL * kNanosPerSecond + 7), "2018-04-05T17:31:00.000000007Z");
}

TEST(Rfc3339, RoundTripsAcrossTheRange) {
  for (TimeNs t : {TimeNs{0}, TimeNs{951782400123456789}, TimeNs{1700000000000000000},
                   TimeNs{4102444800000000000}, kMaxTime}) {
    EXPECT_EQ(*parse_rfc3339(format_rfc3339(t)), t) << format_rfc3339(t);
  }
}

TEST(EpochNumbers, UnitFollowsMagnitude) {
  const TimeNs t = 1700000000LL * kNanosPerSecond;
  EXPECT_EQ(*time_from_epoch_integer(1700000000), t);
  EXPECT_EQ(*time_from_epoch_integer(1700000000000), t);
  EXPECT_EQ(*time_from_epoch_integer(1700000000000000), t);
  EXPECT_EQ(*time_from_epoch_integer(1700000000000000000), t);
  EXPECT_EQ(*time_from_epoch_number(1700000000.25), t + 250000000);
  EXPECT_FALSE(time_from_epoch_integer(-1).ok());
  EXPECT_FALSE(time_from_epoch_number(1e30).ok());
}

TEST(Duration, ReadsUnitsAndBareSeconds) {
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("90s"), 90);
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("1h30m"), 5400);
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("45"), 45);
  EXPECT_EQ(*parse_duration("250ms"), 250'000'000);
  EXPECT_EQ(*parse_duration("100ms"), 100'000'000);  // 0.1 s is not exact in binary
  EXPECT_EQ(*parse_duration("5m"), 300 * kNanosPerSecond);
  EXPECT_EQ(*parse_duration("1d"), 86400 * kNanosPerSecond);
  EXPECT_EQ(*parse_duration("0"), 0);
  for (const char* bad : {"", "-3s", "-1", "5 parsecs", "5y", "s", "1e400s"}) {
    EXPECT_FALSE(parse_duration(bad).ok()) << bad;
  }
  EXPECT_FALSE(parse_duration("300y").ok());
  EXPECT_FALSE(parse_duration("200000d").ok());  // past int64 nanoseconds
}

}  // namespace
}  // namespace eventlens
