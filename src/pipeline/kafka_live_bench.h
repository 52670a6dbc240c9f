// `eventlens bench kafka --live`: `serve --kafka` as a live service, fed in
// real time at a steady rate with a burst in the middle. Measures what the
// throughput benchmark cannot: how long a result takes from its event's
// produce time to a read_committed reader (provisional records, and final
// ones beyond their after window), and the serve process's resident memory
// under a burst against its steady value.
#pragma once

#include <string>

namespace eventlens::pipeline {

struct BenchKafkaLiveOptions {
  std::string bootstrap;      // a running broker
  double rate = 20'000;       // records/s produced in steady state
  double burst_factor = 10;   // the burst's rate, times `rate`
  int seconds = 60;           // of producing: a third steady, a burst of `burst_seconds`, steady again
  int burst_seconds = 5;
  int services = 50;
  int events_per_s = 20;      // events among the records (scalings and deploys)
  bool json = false;
};

// Returns 0, or 2 when the broker or serve cannot be used.
int run_bench_kafka_live(const BenchKafkaLiveOptions& options);

}  // namespace eventlens::pipeline
