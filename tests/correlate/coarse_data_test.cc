// Coarse, sparse data: a simulated bad deploy whose metrics are thinned to one
// sample per 5 minutes, 97 s past the epoch's 5-minute boundaries, with less
// than half an hour of metrics before the fault; replayed on 5-minute steps.
// The fault's incident must open (five points of baseline are enough at that
// spacing), dated within one step of the truth, on the data's own phase.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "correlate/config.h"
#include "support/replayed.h"
#include "support/simulated.h"

namespace eventlens::correlate {
namespace {

constexpr TimeNs kFive = 300 * stream::kSecond;

TEST(CoarseData, AFaultOnFiveMinuteSamplesWithShortHistoryOpensOnTheDatasOwnPhase) {
  simulate::Truth truth;
  const std::vector<Record> records = test::simulated_records("bad-deploy", 3, 6 * 3600, {}, &truth);
  // The first latency incident an hour or more in (the first fault comes
  // too early for any baseline).
  const simulate::IncidentTruth* fault = nullptr;
  for (const auto& i : truth.incidents) {
    if (i.signal == "latency" && i.start - truth.start >= 3600 * stream::kSecond) {
      fault = &i;
      break;
    }
  }
  ASSERT_NE(fault, nullptr);
  const TimeNs metrics_from = fault->start - 28 * 60 * stream::kSecond;

  // Events as they are; metrics thinned to the samples 90 s past each
  // 5-minute boundary, moved 7 s later (97 s: no multiple of the
  // simulator's 15 s); logs and spans left out (detection reads metrics).
  std::vector<Record> coarse;
  for (const Record& r : records) {
    if (std::holds_alternative<Event>(r)) coarse.push_back(r);
    const auto* m = std::get_if<MetricSample>(&r);
    if (m == nullptr || m->time < metrics_from) continue;
    if ((m->time - truth.start) % kFive != 90 * stream::kSecond) continue;
    MetricSample moved = *m;
    moved.time += 7 * stream::kSecond;
    coarse.emplace_back(std::move(moved));
  }

  Config config = default_config();
  config.stream.step = kFive;
  const test::Replayed replayed = test::replay_records(config, coarse);

  EXPECT_EQ(replayed.step_offset, 97 * stream::kSecond) << "the samples' phase";
  const Incident* found = nullptr;
  for (const Incident& i : replayed.incidents) {
    if (i.service == fault->service && std::llabs(i.start - fault->start) <= kFive) found = &i;
  }
  ASSERT_NE(found, nullptr) << replayed.incidents.size() << " incidents, none on " << fault->service
                            << " within a step of the truth";
  EXPECT_EQ((found->start - truth.start) % kFive, 97 * stream::kSecond) << "dated at a sample, not before it";
  ASSERT_FALSE(found->causes.empty());
  EXPECT_EQ(found->causes.front().type, "deploy") << found->summary;
}

}  // namespace
}  // namespace eventlens::correlate
