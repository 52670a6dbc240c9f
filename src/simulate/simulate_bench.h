// `eventlens bench simulate`: the simulator's output rate, next to writing
// the same bytes alone. Single-threaded.
#pragma once

#include <cstdint>
#include <string>

namespace eventlens::simulate {

struct BenchSimulateOptions {
  bool json = false;
  std::string scenario = "large";
  std::string duration = "24h";
  std::uint64_t seed = 1;
  int runs = 3;
};

// Times `eventlens simulate` writing files (median of runs) next to writing
// the same bytes alone; returns 0, or 2 on a bad scenario or duration.
int run_bench_simulate(const BenchSimulateOptions& options);

}  // namespace eventlens::simulate
