// `eventlens bench decode`: decode throughput of the codecs on generated data,
// next to simdjson's own On-Demand walk of the same bytes (the baseline).
#pragma once

#include <cstddef>

namespace eventlens::cli {

struct BenchDecodeOptions {
  bool json = false;
  std::size_t records = 200'000;
  int runs = 5;
};

// Runs the comparison and prints one line per benchmark; returns 0.
int run_bench_decode(const BenchDecodeOptions& options);

}  // namespace eventlens::cli
