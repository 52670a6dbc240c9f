// The records of a built-in scenario's simulation, for tests that run the
// engine over a whole simulated cluster.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "model/records.h"
#include "simulate/record_sink.h"
#include "simulate/scenario.h"
#include "simulate/simulator.h"

namespace eventlens::test {

// The records in the order the simulator writes them (one input); after each
// event, `after_event` may append more (a twin a second later, say). The
// run's ground truth goes to `truth` when given.
inline std::vector<Record> simulated_records(const simulate::ScenarioSpec& scenario, std::uint64_t seed,
                                             int duration_s,
                                             std::function<void(const Event&, std::vector<Record>&)> after_event = {},
                                             simulate::Truth* truth = nullptr) {
  struct Collect final : simulate::RecordSink {
    std::vector<Record> records;
    std::function<void(const Event&, std::vector<Record>&)> after;
    void event(const Event& e) override {
      records.emplace_back(e);
      if (after) after(e, records);
    }
    void metric(const MetricSample& m) override { records.emplace_back(m); }
    void log(const LogRecord& l) override { records.emplace_back(l); }
    void span(const Span& s) override { records.emplace_back(s); }
    Status close() override { return ok_status(); }
  } sink;
  sink.after = std::move(after_event);
  simulate::SimulationOptions options;
  options.seed = seed;
  options.duration_s = duration_s;
  auto result = simulate::run_simulation(scenario, options, sink);
  EXPECT_TRUE(result.ok());
  if (truth != nullptr && result.ok()) *truth = std::move(result->truth);
  return std::move(sink.records);
}

// The same for a built-in scenario, by name.
inline std::vector<Record> simulated_records(const std::string& scenario, std::uint64_t seed, int duration_s,
                                             std::function<void(const Event&, std::vector<Record>&)> after_event = {},
                                             simulate::Truth* truth = nullptr) {
  auto spec = simulate::builtin_scenario(scenario);
  EXPECT_TRUE(spec.ok()) << scenario;
  if (!spec.ok()) return {};
  return simulated_records(*spec, seed, duration_s, std::move(after_event), truth);
}

}  // namespace eventlens::test
