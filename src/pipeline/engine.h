// The engine one stream of records runs through: a stream shard (event time,
// keyed state) and the correlator observing it (enrichment, verdicts,
// incidents), wired once here so that every way of driving the pipeline —
// `replay` over files, the benchmarks, `serve` — runs the same thing.
// Single-threaded: an Engine, its shard and its correlator live on one thread.
#pragma once

#include <cstddef>

#include "correlate/config.h"
#include "correlate/correlator.h"
#include "correlate/results.h"
#include "model/records.h"
#include "model/result.h"
#include "pipeline/record_receiver.h"
#include "stream/checkpoint_store.h"
#include "stream/shard.h"

namespace eventlens::pipeline {

class Engine final : public RecordReceiver {
 public:
  // Results go to `sink`, which must outlive the engine. With
  // `emit_provisional`, each event also gets a provisional record as it arrives.
  Engine(correlate::Config config, correlate::ResultSink& sink, bool emit_provisional);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  std::size_t add_input() override { return shard_.add_input(); }
  void push(std::size_t input, const Record& record) override { shard_.push(input, record); }
  void heartbeat(std::size_t input, TimeNs t) override { shard_.heartbeat(input, t); }
  void set_idle(std::size_t input, bool idle) override { shard_.set_idle(input, idle); }
  // End of input: every step is made final, pending events are finalized
  // with what there is, incidents still open are reported open.
  void finish();

  // Checkpoints: the engine's parts ("shard", "correlator") of a checkpoint.
  void save(stream::CheckpointStore::Parts& parts) const;
  // Errors name the part; on error the engine is in no state to go on.
  Status load(const stream::CheckpointStore::Parts& parts);

  const stream::Shard& shard() const { return shard_; }
  const correlate::Correlator& correlator() const { return correlator_; }

 private:
  // The correlator before the shard: the shard's observer must exist first.
  correlate::Correlator correlator_;
  stream::Shard shard_;
};

}  // namespace eventlens::pipeline
