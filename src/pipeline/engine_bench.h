// `eventlens bench engine`: records/s per core through the engine
// (pipeline::Engine) next to decoding the same records, and bytes of state
// per series; with a replay directory, the replay pipeline over files next
// to decoding them. Single-threaded: every figure is for one core.
#pragma once

#include <cstddef>
#include <string>

namespace eventlens::pipeline {

struct BenchEngineOptions {
  bool json = false;
  int runs = 5;
  // 1M records over 2000 series: ~300 steps of 15 s, so every event's after
  // window closes inside the stream (memory at scale: --series 1000000).
  std::size_t records = 1'000'000;  // records per pass over the generated stream
  std::size_t series = 2'000;       // live engine series the generated cluster feeds
  std::size_t pods_per_service = 20;
  std::size_t event_every = 1;      // one event per this many pod scrapes (each 10 samples, 1 log, 1 span)
  std::string replay;               // a simulator output directory: time replay vs decode of its files instead
  // A Kafka broker: also time rebuilding the first pass's engine from a
  // state topic there (what a task taken over does).
  std::string restore_kafka;
};

// Times, on a generated cluster's telemetry (median of runs): decoding its
// native JSON lines alone, pushing the decoded records through a shard and
// its correlator alone, and both; reports records/s, the ratio to decoding,
// and bytes of state per live series. With `replay` set: `eventlens replay`
// on those files next to decoding them. Returns 0, 1 when the engine
// dead-lettered generated records, 2 on unreadable replay inputs.
int run_bench_engine(const BenchEngineOptions& options);

}  // namespace eventlens::pipeline
