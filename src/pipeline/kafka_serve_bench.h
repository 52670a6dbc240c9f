// `eventlens bench kafka`: records/s of `serve --kafka` end to end (a
// bounded run: consume, merge, engine, transactional output) next to what
// the same broker and topics give librdkafka alone — consuming and
// discarding (the ceiling) and consuming with native decoding (the baseline)
// — on a simulation produced to the topics first. Medians of runs; ratios
// within one run. Single-threaded figures.
#pragma once

#include <functional>
#include <string>

#include "model/result.h"
#include "stream/checkpoint_store.h"

namespace eventlens::pipeline {

struct BenchKafkaOptions {
  std::string bootstrap;  // a running broker (scripts/kafka start)
  std::string scenario = "busy";
  std::string duration = "3h";
  int runs = 3;
  bool json = false;
  // The Kafka Streams peer's directory (bench/peers/kafka-streams, built by
  // its ./build): also time it on the same topics; empty for not.
  std::string kafka_streams;
};

// Returns 0, or 2 when the broker cannot be used or a run failed.
int run_bench_kafka(const BenchKafkaOptions& options);

// How long a task holding `parts` takes to be rebuilt from Kafka: the
// snapshot written to a fresh state topic (kafka_task_state.h), then, `runs`
// times, read back to its end and loaded by `load` (a fresh engine's
// Engine::load). Medians.
struct RestoreTiming {
  std::uint64_t snapshot_bytes = 0;  // as written: chunks and manifest
  std::size_t records = 0;           // messages on the topic
  double seconds = 0;                // read + load
  double read_seconds = 0;
  double load_seconds = 0;
};
Result<RestoreTiming> time_state_restore(
    const std::string& bootstrap, const stream::CheckpointStore::Parts& parts,
    const std::function<Status(const stream::CheckpointStore::Parts&)>& load, int runs);

}  // namespace eventlens::pipeline
