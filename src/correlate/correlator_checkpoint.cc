// Correlator::save and Correlator::load: events waiting for their final
// enrichment, detector states, open incidents, impact aggregates, recent
// verdicts and the service graph, written in a fixed order and read back exactly
// (docs/engine.md, "Checkpoints"). The configuration is not written: the
// same one is given on resume (replay checks that).
#include <algorithm>

#include "correlate/checkpoint_records.h"
#include "correlate/correlator.h"
#include "stream/state_io.h"

namespace eventlens::correlate {

void Correlator::save(stream::StateWriter& out) const {
#if defined(__x86_64__) && defined(__GLIBCXX__)
  // A tripwire, not a contract: a member added to the correlator's state
  // changes these sizes (the configuration, which is not saved, is left
  // out). Whoever adds one saves and loads it here, bumps
  // stream::kStateFormatVersion, then the size; a resumed run would
  // otherwise silently differ from one that never stopped.
  // last_verdict_sweep_ (8 bytes) is a pruning cache, not saved: verdicts
  // older than the history are never looked up, so when they go does not
  // change any output. memo_ (EnrichMemo) is left out too: a cache whose
  // contents never change an output. 400: the graph's version counter,
  // which loading the edges through add_edge rebuilds, and
  // pending_requests_, counted again from the pending events on load. 424:
  // baselines_, the detectors' sliding windows, read afresh from the shard's
  // final values on the first step after a load. 456: watches_, worked out
  // again from the shard on the first step after a load.
  static_assert(sizeof(Correlator) - sizeof(Config) - sizeof(EnrichMemo) == 456,
                "Correlator changed: update correlator_checkpoint.cc");
  static_assert(sizeof(Pending) == 424 && sizeof(OpenIncident) == 272 && sizeof(DetectorState) == 56 &&
                    sizeof(ImpactAggregate) == 144,
                "The correlator's pending events, incidents, detectors or aggregates changed: "
                "update correlator_checkpoint.cc");
#endif
  const auto edges = graph_.edges();
  out.count(edges.size());
  for (const auto& [caller, callee] : edges) {
    out.str(caller);
    out.str(callee);
  }
  out.u64(edges_seen_);

  out.count(pending_.size());
  for (const auto& pending : pending_) {
    const Pending& p = *pending;
    save_event(out, p.event);
    out.i64(p.due);
    out.u64(p.seq);
    out.boolean(p.provisioning_request);
    out.i64(p.requested);
    out.count(p.arrivals.size());
    for (TimeNs t : p.arrivals) out.i64(t);
  }
  out.u64(next_seq_);

  out.count(detectors_.size());
  for (const auto& [signal, d] : detectors_) {
    out.u32(signal);
    out.u8(static_cast<std::uint8_t>(d.phase));
    out.f64(d.frozen.median);
    out.f64(d.frozen.mad);
    out.i64(d.deviation_start);
    out.i64(d.last_beyond);
    out.f64(d.peak);
    out.f64(d.peak_z);
  }

  out.count(open_.size());
  for (const auto& [key, o] : open_) {
    out.str(key.first);
    out.str(key.second);
    out.u32(o.signal);
    out.i64(o.on_top_of);
    save_incident(out, o.incident);
  }

  out.count(aggregates_.size());
  for (const auto& [key, a] : aggregates_) {
    out.str(key.first);
    out.str(key.second);
    out.str(a.service);
    out.str(a.type);
    out.u64(a.count);
    out.count(a.verdicts.size());
    for (const auto& [verdict, n] : a.verdicts) {
      out.str(verdict);
      out.u64(n);
    }
    out.count(a.latency_change_rel.size());
    for (double v : a.latency_change_rel) out.f64(v);
  }

  out.count(verdicts_.size());
  for (const auto& [id, verdict] : verdicts_) {
    out.str(id);
    out.i64(verdict.first);
    out.str(verdict.second);
  }

  out.u64(incidents_opened_);
  out.u64(enriched_final_);
}

Status Correlator::load(stream::StateReader& in) {
  if (!pending_.empty() || next_seq_ != 0 || !open_.empty() || !aggregates_.empty() || !verdicts_.empty() ||
      enriched_final_ != 0) {
    return make_error("checkpoint", "a correlator loads a checkpoint only before it has seen anything");
  }
  // Signal ids index the shard's signals; the shard is loaded first.
  const std::size_t signals = shard_ != nullptr ? shard_->signal_count() : 0;
  auto check_signal = [&](stream::SignalId s) {
    if (shard_ != nullptr && s >= signals) in.fail("corrupt: signal " + std::to_string(s) + " out of range");
    return s;
  };

  const std::size_t edges = in.count(16);
  for (std::size_t i = 0; i < edges && in.ok(); ++i) {
    const std::string caller = in.str();
    const std::string callee = in.str();
    graph_.add_edge(caller, callee);  // over the configured topology, which it includes
  }
  edges_seen_ = static_cast<std::size_t>(in.u64());

  pending_.resize(in.count(8 * 14));
  for (auto& pending : pending_) {
    pending = std::make_unique<Pending>();
    Pending& p = *pending;
    load_event(in, p.event);
    p.due = in.i64();
    p.seq = in.u64();
    p.provisioning_request = in.boolean();
    p.requested = static_cast<int>(in.i64());
    p.arrivals.resize(in.count(8));
    for (TimeNs& t : p.arrivals) t = in.i64();
    if (!in.ok()) break;
  }
  std::erase(pending_, nullptr);  // those a failed read left unfilled
  pending_requests_ = static_cast<std::size_t>(
      std::count_if(pending_.begin(), pending_.end(), [](const auto& p) { return p->provisioning_request; }));
  next_seq_ = in.u64();

  const std::size_t detectors = in.count(4 + 1 + 8 * 6);
  for (std::size_t i = 0; i < detectors && in.ok(); ++i) {
    const stream::SignalId signal = check_signal(in.u32());
    DetectorState d;
    const std::uint8_t phase = in.u8();
    if (phase > static_cast<std::uint8_t>(DetectorState::Phase::open)) in.fail("corrupt: detector phase");
    d.phase = static_cast<DetectorState::Phase>(phase);
    d.frozen.median = in.f64();
    d.frozen.mad = in.f64();
    d.deviation_start = in.i64();
    d.last_beyond = in.i64();
    d.peak = in.f64();
    d.peak_z = in.f64();
    detectors_.emplace(signal, d);
  }

  const std::size_t open = in.count(8 + 8 + 4 + 8);
  for (std::size_t i = 0; i < open && in.ok(); ++i) {
    std::string service = in.str();
    std::string role = in.str();
    OpenIncident o;
    o.signal = check_signal(in.u32());
    o.on_top_of = in.i64();
    load_incident(in, o.incident);
    open_.emplace(std::make_pair(std::move(service), std::move(role)), std::move(o));
  }

  const std::size_t aggregates = in.count(8 * 7);
  for (std::size_t i = 0; i < aggregates && in.ok(); ++i) {
    std::string service = in.str();
    std::string type = in.str();
    ImpactAggregate a;
    a.service = in.str();
    a.type = in.str();
    a.count = in.u64();
    const std::size_t verdicts = in.count(16);
    for (std::size_t v = 0; v < verdicts && in.ok(); ++v) {
      std::string verdict = in.str();
      a.verdicts[std::move(verdict)] = in.u64();
    }
    a.latency_change_rel.resize(in.count(8));
    for (double& v : a.latency_change_rel) v = in.f64();
    aggregates_.emplace(std::make_pair(std::move(service), std::move(type)), std::move(a));
  }

  const std::size_t verdicts = in.count(8 + 8 + 8);
  for (std::size_t i = 0; i < verdicts && in.ok(); ++i) {
    std::string id = in.str();
    const TimeNs time = in.i64();
    verdicts_.emplace(std::move(id), std::make_pair(time, in.str()));
  }

  incidents_opened_ = in.u64();
  enriched_final_ = in.u64();
  return in.finish();
}

}  // namespace eventlens::correlate
