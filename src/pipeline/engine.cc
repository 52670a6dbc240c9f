#include "pipeline/engine.h"

#include <utility>

#include "correlate/deviation.h"
#include "stream/state_io.h"

namespace eventlens::pipeline {

Engine::Engine(correlate::Config config, correlate::ResultSink& sink, bool emit_provisional,
               std::vector<correlate::ExplainRequest> explain)
    : problems_(sink, config.problem_gap, config.problem_recurrence),
      correlator_(std::move(config), problems_, emit_provisional),
      shard_(correlator_.config().stream, correlator_),
      explainer_(std::move(explain)),
      derived_(correlator_.config().stream.derived, correlator_.config().stream.step,
               correlator_.config().stream.series_ttl) {
  correlator_.attach(shard_);
  // A derived metric is written only while the signal reading it would
  // speak for its service (correlate/deviation.h, would_speak).
  derived_.set_needed([this](const std::string& service, std::string_view metric) {
    const stream::StringId id = shard_.strings().find(service);
    if (id == 0) return true;
    for (const stream::SignalSpec& spec : correlator_.config().stream.signals) {
      if ((spec.metric == metric || spec.ratio_of == metric) && correlate::would_speak(shard_, id, spec.role)) {
        return true;
      }
    }
    return false;
  });
}

void Engine::push(std::size_t input, const Record& record) {
  derived_.observe(record, derived_samples_);
  for (MetricSample& m : derived_samples_) shard_.push(input, Record(std::move(m)));
  shard_.push(input, record);
  after_input();
}

void Engine::finish() {
  shard_.flush();
  correlator_.finish();
  explainer_.finish(correlator_, problems_);
  problems_.finish();
}

namespace {

// Each part of the engine's state in a part of its own, named for errors.
template <typename Part>
void save_part(stream::CheckpointStore::Parts& parts, const char* name, const Part& part) {
  stream::StateWriter out;
  part.save(out);
  parts[name] = out.finish();
}

template <typename Part>
Status load_part(const stream::CheckpointStore::Parts& parts, const char* name, Part& part) {
  const auto it = parts.find(name);
  if (it == parts.end()) return make_error("checkpoint", std::string("has no part ") + name);
  stream::StateReader in(it->second, std::string(name) + " checkpoint");
  return part.load(in);
}

}  // namespace

void Engine::save(stream::CheckpointStore::Parts& parts) const {
  save_part(parts, "shard", shard_);
  save_part(parts, "correlator", correlator_);
  save_part(parts, "problems", problems_);
  save_part(parts, "explain", explainer_);
  save_part(parts, "derived", derived_);
}

Status Engine::load(const stream::CheckpointStore::Parts& parts) {
  // The shard first: the correlator checks its signal ids against it.
  if (auto s = load_part(parts, "shard", shard_); !s.ok()) return s;
  if (auto s = load_part(parts, "correlator", correlator_); !s.ok()) return s;
  if (auto s = load_part(parts, "problems", problems_); !s.ok()) return s;
  if (auto s = load_part(parts, "explain", explainer_); !s.ok()) return s;
  if (auto s = load_part(parts, "derived", derived_); !s.ok()) return s;
  final_until_seen_ = shard_.final_until();
  return ok_status();
}

}  // namespace eventlens::pipeline
