#include "pipeline/engine.h"

#include <utility>

#include "stream/state_io.h"

namespace eventlens::pipeline {

Engine::Engine(correlate::Config config, correlate::ResultSink& sink, bool emit_provisional,
               std::vector<correlate::ExplainRequest> explain)
    : problems_(sink, config.problem_gap, config.problem_recurrence),
      correlator_(std::move(config), problems_, emit_provisional),
      shard_(correlator_.config().stream, correlator_),
      explainer_(std::move(explain)) {
  correlator_.attach(shard_);
}

void Engine::finish() {
  shard_.flush();
  correlator_.finish();
  explainer_.finish(correlator_, problems_);
  problems_.finish();
}

void Engine::save(stream::CheckpointStore::Parts& parts) const {
  stream::StateWriter shard_state;
  shard_.save(shard_state);
  parts["shard"] = shard_state.finish();
  stream::StateWriter correlator_state;
  correlator_.save(correlator_state);
  parts["correlator"] = correlator_state.finish();
  stream::StateWriter problems_state;
  problems_.save(problems_state);
  parts["problems"] = problems_state.finish();
  stream::StateWriter explain_state;
  explainer_.save(explain_state);
  parts["explain"] = explain_state.finish();
}

Status Engine::load(const stream::CheckpointStore::Parts& parts) {
  for (const char* part : {"shard", "correlator", "problems", "explain"}) {
    if (parts.count(part) == 0) return make_error("checkpoint", std::string("has no part ") + part);
  }
  // The shard first: the correlator checks its signal ids against it.
  stream::StateReader shard_state(parts.at("shard"), "shard checkpoint");
  if (auto s = shard_.load(shard_state); !s.ok()) return s;
  stream::StateReader correlator_state(parts.at("correlator"), "correlator checkpoint");
  if (auto s = correlator_.load(correlator_state); !s.ok()) return s;
  stream::StateReader problems_state(parts.at("problems"), "problems checkpoint");
  if (auto s = problems_.load(problems_state); !s.ok()) return s;
  stream::StateReader explain_state(parts.at("explain"), "explain checkpoint");
  if (auto s = explainer_.load(explain_state); !s.ok()) return s;
  problems_until_ = shard_.final_until();
  return ok_status();
}

}  // namespace eventlens::pipeline
