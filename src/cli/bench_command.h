// `eventlens bench decode`: decode throughput of the codecs on generated data,
// next to simdjson's own On-Demand walk of the same bytes (the baseline);
// `eventlens bench simulate`: the simulator's output rate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace eventlens::cli {

struct BenchDecodeOptions {
  bool json = false;
  std::size_t records = 200'000;
  int runs = 5;
};

// Runs the comparison and prints one line per benchmark; returns 0.
int run_bench_decode(const BenchDecodeOptions& options);

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

}  // namespace eventlens::cli
