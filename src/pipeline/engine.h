// The engine one stream of records runs through, wired once here so that
// every way of driving the pipeline — `replay` over files, the benchmarks,
// `serve` — runs the same thing: the metrics derived from spans and logs,
// a stream shard (event time, keyed state), the correlator observing it
// (enrichment, verdicts, incidents), the explainer of named symptoms and the
// problem tracker grouping incidents on their way to the sink.
// Single-threaded: an Engine and everything in it live on one thread.
#pragma once

#include <cstddef>
#include <vector>

#include "correlate/config.h"
#include "correlate/correlator.h"
#include "correlate/explain.h"
#include "correlate/problems.h"
#include "correlate/results.h"
#include "model/records.h"
#include "model/result.h"
#include "pipeline/record_receiver.h"
#include "stream/checkpoint_store.h"
#include "stream/derived_metrics.h"
#include "stream/shard.h"

namespace eventlens::pipeline {

class Engine final : public RecordReceiver {
 public:
  // Results go to `sink`, which must outlive the engine. With
  // `emit_provisional`, each event also gets a provisional record as it
  // arrives. `explain`: symptoms to rank causes for as their steps go final.
  Engine(correlate::Config config, correlate::ResultSink& sink, bool emit_provisional,
         std::vector<correlate::ExplainRequest> explain = {});
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  std::size_t add_input() override { return shard_.add_input(); }
  // An input of context only (another engine's node events and metrics):
  // stream::Shard::add_context_input.
  std::size_t add_context_input() { return shard_.add_context_input(); }
  void push(std::size_t input, const Record& record) override;
  void heartbeat(std::size_t input, TimeNs t) override {
    shard_.heartbeat(input, t);
    after_input();
  }
  void set_idle(std::size_t input, bool idle) override {
    shard_.set_idle(input, idle);
    after_input();
  }
  // End of input: every step is made final, pending events are finalized
  // with what there is, incidents still open are reported open.
  void finish();

  // Checkpoints: the engine's parts ("shard", "correlator", "problems",
  // "explain", "derived") of a checkpoint.
  void save(stream::CheckpointStore::Parts& parts) const;
  // Errors name the part; on error the engine is in no state to go on.
  Status load(const stream::CheckpointStore::Parts& parts);

  const stream::Shard& shard() const { return shard_; }
  const correlate::Correlator& correlator() const { return correlator_; }
  const correlate::ProblemTracker& problems() const { return problems_; }
  const stream::DerivedMetrics& derived() const { return derived_; }

 private:
  // Event time moved on: named symptoms whose steps are final are explained,
  // problems no incident can join any more go out.
  void after_input() {
    if (shard_.final_until() == final_until_seen_) return;
    final_until_seen_ = shard_.final_until();
    explainer_.advance(final_until_seen_, correlator_, problems_);
    problems_.advance(final_until_seen_);
  }

  // In the order results flow back: the tracker passes them on to the sink,
  // the correlator reports to the tracker, the shard to the correlator.
  correlate::ProblemTracker problems_;
  correlate::Correlator correlator_;
  stream::Shard shard_;
  correlate::SymptomExplainer explainer_;
  // Before the shard: its samples go in with the records they came from.
  stream::DerivedMetrics derived_;
  std::vector<MetricSample> derived_samples_;  // scratch
  TimeNs final_until_seen_ = 0;  // derived from the shard: not saved
};

}  // namespace eventlens::pipeline
