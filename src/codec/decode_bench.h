// `eventlens bench decode`: decode throughput of the codecs on generated data,
// next to simdjson's own On-Demand walk of the same bytes (the baseline).
// Single-threaded: every figure is for one core.
#pragma once

#include <cstddef>

namespace eventlens::codec {

struct BenchDecodeOptions {
  bool json = false;
  std::size_t records = 200'000;
  int runs = 5;
};

// Runs the comparison and prints one line per benchmark; returns 0.
int run_bench_decode(const BenchDecodeOptions& options);

}  // namespace eventlens::codec
