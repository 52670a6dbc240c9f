// parse_explain_request: "SERVICE@TIME[:ROLE]" as `replay --explain` takes it.
#include "correlate/explain.h"

#include <gtest/gtest.h>

#include "model/time.h"

namespace eventlens::correlate {
namespace {

TEST(ExplainRequest, ServiceTimeAndRoleAreRead) {
  auto r = parse_explain_request("checkout@2022-08-22T12:18:00Z:latency");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->service, "checkout");
  EXPECT_EQ(r->time, *parse_rfc3339("2022-08-22T12:18:00Z"));
  EXPECT_EQ(r->role, "latency");
}

TEST(ExplainRequest, TheRoleIsOptionalAndATimesOwnColonsAreNotARole) {
  auto r = parse_explain_request("frontend@2022-08-22T12:18:30+02:00");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->role, "");
  EXPECT_EQ(r->time, *parse_rfc3339("2022-08-22T10:18:30Z"));
}

TEST(ExplainRequest, EpochNumbersFollowTheUnitRule) {
  auto s = parse_explain_request("db@1661170680:errors");
  auto ms = parse_explain_request("db@1661170680000");
  ASSERT_TRUE(s.ok() && ms.ok());
  EXPECT_EQ(s->time, 1661170680LL * kNanosPerSecond);
  EXPECT_EQ(ms->time, s->time);
  EXPECT_EQ(s->role, "errors");
}

TEST(ExplainRequest, MalformedRequestsSayWhatIsWrong) {
  for (const char* bad : {"checkout", "@2022-08-22T12:18:00Z", "checkout@yesterday", "checkout@", "checkout@12:00:latency"}) {
    auto r = parse_explain_request(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().field, "explain") << bad;
    EXPECT_FALSE(r.error().reason.empty());
  }
}

}  // namespace
}  // namespace eventlens::correlate
