// A distinct second fault on a service whose first incident is still open:
// a bad deploy of checkout, then, minutes later, a config change that makes
// it slower and fail more. The second fault escalates the open incidents into
// new ones (docs/engine.md, "Incidents"), ranked as incidents of their own:
// the config change, not the deploy, is their first cause, and the summary
// says what they rose on top of.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "correlate/config.h"
#include "simulate/scenario.h"
#include "support/replayed.h"
#include "support/simulated.h"

namespace eventlens::correlate {
namespace {

void expect_second_fault_reported(const std::string& second_at) {
  SCOPED_TRACE("second fault at " + second_at);
  auto scenario = simulate::parse_scenario_yaml(
      "name: two-faults\n"
      "base: steady\n"
      "faults:\n"
      "  - {type: bad_deploy, service: checkout, at: 40m, duration: 25m, factor: 3, error_rate: 0.05}\n"
      "  - {type: config_change, service: checkout, at: " +
      second_at + ", duration: 10m, factor: 2, error_rate: 0.12}\n");
  ASSERT_TRUE(scenario.ok()) << scenario.error().to_string();
  simulate::Truth truth;
  const std::vector<Record> records = test::simulated_records(*scenario, 1, 2 * 3600, {}, &truth);
  const simulate::CauseTruth* second = nullptr;
  for (const auto& c : truth.causes) {
    if (c.type == "config_change") second = &c;
  }
  ASSERT_NE(second, nullptr);
  ASSERT_FALSE(second->event_id.empty());

  const test::Replayed replayed = test::replay_records(default_config(), records);

  // An incident of checkout opened by the second fault (within 2 minutes of
  // it), whose first cause is the config change.
  int seen = 0;
  for (const Incident& i : replayed.incidents) {
    if (i.service != "checkout" || std::llabs(i.start - second->start) > 120 * stream::kSecond) continue;
    ++seen;
    ASSERT_FALSE(i.causes.empty());
    EXPECT_EQ(i.causes.front().event_id, second->event_id) << i.summary;
    EXPECT_NE(i.summary.find("on top of an incident open since"), std::string::npos) << i.summary;
    EXPECT_NE(i.summary.find("after a new trigger"), std::string::npos) << i.summary;
  }
  EXPECT_GT(seen, 0) << "the second fault opened nothing on checkout";
}

TEST(SecondFault, TenMinutesIntoTheFirstIsReportedWithItsOwnCause) { expect_second_fault_reported("50m"); }

TEST(SecondFault, ThreeMinutesIntoTheFirstIsReportedWithItsOwnCause) { expect_second_fault_reported("43m"); }

}  // namespace
}  // namespace eventlens::correlate
