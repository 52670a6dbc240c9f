// Faults that show only in traces and logs, end to end through the engine
// (its derived signals on, as by default): a code defect on a service that
// exports no error counter opens an incident on that service from its failing
// spans and is ranked the cause of its callers' incidents; a network delay on
// a service's pod (its own latency flat) is put on it, not on the callers
// that waited. Switched off, the derived signals leave both unseen.
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

struct FaultRun {
  simulate::Truth truth;
  test::Replayed replayed;
  TimeNs fault_start = 0;
};

FaultRun run_fault(const std::string& fault, bool derived) {
  auto scenario = simulate::parse_scenario_yaml("name: one-fault\nbase: steady\nfaults:\n  - " + fault + "\n");
  EXPECT_TRUE(scenario.ok()) << scenario.error().to_string();
  FaultRun run;
  const std::vector<Record> records = test::simulated_records(*scenario, 1, 2 * 3600, {}, &run.truth);
  EXPECT_EQ(run.truth.causes.size(), 1u);
  if (!run.truth.causes.empty()) run.fault_start = run.truth.causes.front().start;
  Config config = default_config();
  if (!derived) {
    remove_derived_signals(config);
    config.stream.derived = {false, false};
  }
  run.replayed = test::replay_records(config, records);
  return run;
}

// The incidents that began within 3 minutes of the fault.
std::vector<const Incident*> opened_by_fault(const FaultRun& run) {
  std::vector<const Incident*> out;
  for (const Incident& i : run.replayed.incidents) {
    if (std::llabs(i.start - run.fault_start) <= 180 * stream::kSecond) out.push_back(&i);
  }
  return out;
}

constexpr const char* kCodeException = "{type: code_exception, service: inventory, at: 60m, duration: 15m, error_rate: 0.2}";
constexpr const char* kNetworkDelay = "{type: network_delay, service: inventory, at: 60m, duration: 15m, delay: 0.4}";

TEST(Modalities, ACodeDefectWithoutAnErrorCounterOpensOnItsFailingSpansAndIsTheCause) {
  const FaultRun run = run_fault(kCodeException, true);
  const auto opened = opened_by_fault(run);
  bool on_inventory = false;
  for (const Incident* i : opened) {
    ASSERT_FALSE(i->causes.empty());
    EXPECT_EQ(i->causes.front().service, "inventory") << i->summary;
    if (i->service == "inventory") {
      on_inventory = true;
      EXPECT_EQ(i->role, "span_errors") << "inventory exports no error counter";
      EXPECT_NE(i->summary.find("error ratio of the spans of inventory"), std::string::npos) << i->summary;
    }
  }
  EXPECT_TRUE(on_inventory) << "no incident on inventory itself";
  EXPECT_GE(opened.size(), 2u) << "its callers fail too";
}

TEST(Modalities, WithoutDerivedSignalsTheCodeDefectIsPutOnItsCallers) {
  const FaultRun run = run_fault(kCodeException, false);
  const auto opened = opened_by_fault(run);
  ASSERT_FALSE(opened.empty());
  for (const Incident* i : opened) {
    EXPECT_NE(i->service, "inventory") << "nothing of inventory's own went wrong in its metrics";
    ASSERT_FALSE(i->causes.empty());
    EXPECT_NE(i->causes.front().service, "inventory") << i->summary;
  }
}

TEST(Modalities, ANetworkDelayIsPutOnTheServiceWhoseCallsSlowed) {
  const FaultRun run = run_fault(kNetworkDelay, true);
  const auto opened = opened_by_fault(run);
  ASSERT_FALSE(opened.empty());
  for (const Incident* i : opened) {
    ASSERT_FALSE(i->causes.empty());
    EXPECT_EQ(i->causes.front().service, "inventory") << i->summary;
    EXPECT_NE(i->service, "inventory") << "its own latency stayed flat";
  }
  const auto off = run_fault(kNetworkDelay, false);
  for (const Incident* i : opened_by_fault(off)) {
    ASSERT_FALSE(i->causes.empty());
    EXPECT_NE(i->causes.front().service, "inventory") << "unseen without its callers' client spans";
  }
}

}  // namespace
}  // namespace eventlens::correlate
