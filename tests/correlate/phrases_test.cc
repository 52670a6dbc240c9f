#include "correlate/phrases.h"

#include <gtest/gtest.h>

#include <cmath>

namespace eventlens::correlate {
namespace {

TEST(Phrases, ANumberThatRoundsToZeroHasNoSign) {
  EXPECT_EQ(fixed(-0.0, 2), "0.00");
  EXPECT_EQ(fixed(-0.004, 2), "0.00");
  EXPECT_EQ(fixed(-0.4, 0), "0");
  EXPECT_EQ(fixed(-0.006, 2), "-0.01") << "a negative value that shows stays negative";
  EXPECT_EQ(fixed(-12.5, 1), "-12.5");
  EXPECT_EQ(fixed(0.0, 2), "0.00");
  EXPECT_EQ(fixed(NAN, 2), "-");
  // Through the unit formatting the sentences use: an error ratio read from
  // a success rate a hair above 100 % (offset 1, scale -0.01).
  EXPECT_EQ(role_value("errors", 1 - 0.01 * 100.0000001), "0.00 %");
  EXPECT_EQ(role_value("latency", -0.0), "0.0 ms");
  EXPECT_EQ(role_value("throughput", -1e-9), "0.00 req/s");
  EXPECT_EQ(human_bytes(-0.0), "0 B");
}

}  // namespace
}  // namespace eventlens::correlate
