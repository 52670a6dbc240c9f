// Runs a scenario: advances the cluster second by second, writes its
// telemetry to a RecordSink, and measures every cause's effect against
// counterfactual twins to build the ground truth. One thread.
#pragma once

#include <cstdint>

#include "model/result.h"
#include "simulate/record_sink.h"
#include "simulate/scenario.h"
#include "simulate/telemetry.h"
#include "simulate/truth.h"

namespace eventlens::simulate {

struct SimulationOptions {
  std::uint64_t seed = 1;
  double duration_s = 3600;
  // 0: as fast as possible; 1: real time; N: N times real time.
  double speed = 0;
};

struct SimulationResult {
  TelemetryCounts counts;
  Truth truth;
};

// Returns the counts and the truth of a run of `scenario` whose records went
// to `sink`; the error of the sink's close, if any.
Result<SimulationResult> run_simulation(const ScenarioSpec& scenario, const SimulationOptions& options,
                                        RecordSink& sink);

}  // namespace eventlens::simulate
