// `eventlens bench kafka`: records/s of `serve --kafka` end to end (a
// bounded run: consume, merge, engine, transactional output) next to what
// the same broker and topics give librdkafka alone — consuming and
// discarding (the ceiling) and consuming with native decoding (the baseline)
// — on a simulation produced to the topics first. Medians of runs; ratios
// within one run. Single-threaded figures.
#pragma once

#include <string>

namespace eventlens::pipeline {

struct BenchKafkaOptions {
  std::string bootstrap;  // a running broker (scripts/kafka start)
  std::string scenario = "busy";
  std::string duration = "3h";
  int runs = 3;
  bool json = false;
};

// Returns 0, or 2 when the broker cannot be used or a run failed.
int run_bench_kafka(const BenchKafkaOptions& options);

}  // namespace eventlens::pipeline
