#include "correlate/correlator.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "correlate/confidence.h"
#include "correlate/deviation.h"
#include "correlate/enrich.h"
#include "correlate/phrases.h"
#include "correlate/rank.h"

namespace eventlens::correlate {

namespace {

std::string incident_id(const std::string& service, const std::string& role, const std::string& metric, TimeNs start) {
  std::string key = service + '\0' + role + '\0' + metric + '\0' + std::to_string(start);
  char buf[32];
  std::snprintf(buf, sizeof buf, "inc-%016llx", static_cast<unsigned long long>(XXH3_64bits(key.data(), key.size())));
  return buf;
}

// Whether the service saw a failure or a change (an OOM kill, a crash, a
// deploy) at or after `since`: a deviation it explains is no load's doing,
// even when it repeats earlier ones (an OOM loop's tenth restart is a fault
// like its first); scaling events do not count, they follow load.
bool failure_or_change_since(const stream::Shard& shard, stream::StringId service, TimeNs since) {
  return shard.latest_event(service, since, std::numeric_limits<TimeNs>::max(), {Category::failure, Category::change}) !=
         nullptr;
}

// How the service's load (its signals of role `throughput`) stands against
// its level over [from, began): `peak`, its highest from `began` to `t` (a
// burst of requests, which a spiky service's latency and errors follow, and
// outlast by a step or two), and `now`, its highest over [t - recent, t];
// both as multiples of that level, 0 when unknown. The highest of the
// service's throughput signals.
// `surged_for`: how long its latest run of points at kLoadSurge times that
// level or more (one ending in the last `recent`) has lasted, up to t.
struct LoadRatios {
  double peak = 0;
  double now = 0;
  TimeNs surged_for = 0;
};
LoadRatios load_ratios(const stream::Shard& shard, stream::StringId service, TimeNs from, TimeNs began, TimeNs t,
                       TimeNs recent, std::vector<stream::Point>& scratch) {
  LoadRatios out;
  const stream::ServiceContext* context = shard.context(service);
  if (context == nullptr) return out;
  for (const stream::SignalId s : context->signals) {
    if (shard.spec(s).role != "throughput") continue;
    scratch.clear();
    shard.signal_points(s, from, began, scratch);
    const Robust level = baseline_of(scratch);
    if (std::isnan(level.median)) continue;
    // An idle service (no requests at all before) surges with any load.
    const auto ratio = [&](double v) { return level.median > 0 ? v / level.median : (v > 0 ? INFINITY : 0.0); };
    const double last = shard.signal_value(s, t);
    double peak = last;
    double now = last;
    scratch.clear();
    shard.signal_points(s, from, t, scratch);
    enum class Run { not_yet, in, over } run = ratio(last) >= kLoadSurge ? Run::in : Run::not_yet;
    TimeNs surged_since = t;
    for (std::size_t i = scratch.size(); i-- > 0;) {
      const stream::Point& p = scratch[i];
      if (std::isnan(p.value)) continue;
      if (p.time >= began && !(p.value <= peak)) peak = p.value;
      if (p.time >= t - recent && !(p.value <= now)) now = p.value;
      const bool surged = ratio(p.value) >= kLoadSurge;
      if (run == Run::not_yet && surged && p.time >= t - recent) run = Run::in;
      if (run == Run::in) {
        if (surged) {
          surged_since = p.time;
        } else {
          run = Run::over;
        }
      }
      if (p.time < std::min(began, t - recent) && run != Run::in) break;
    }
    out.peak = std::max(out.peak, ratio(peak));
    out.now = std::max(out.now, ratio(now));
    if (run != Run::not_yet) out.surged_for = std::max(out.surged_for, t - surged_since);
  }
  return out;
}

}  // namespace

Correlator::Correlator(Config config, ResultSink& sink, bool emit_provisional)
    : config_(std::move(config)), sink_(sink), emit_provisional_(emit_provisional) {
  for (const auto& [caller, callees] : config_.topology) {
    for (const std::string& callee : callees) graph_.add_edge(caller, callee);
  }
}

void Correlator::refresh_graph() {
  const auto& edges = shard_->call_edges();
  if (edges.size() == edges_seen_) return;
  edges_seen_ = edges.size();
  for (const auto& [key, count] : edges) {
    graph_.add_edge(shard_->strings().name(static_cast<stream::StringId>(key >> 32)),
                    shard_->strings().name(static_cast<stream::StringId>(key & 0xffffffffu)));
  }
}

const DetectionSpec* Correlator::detection_for(const std::string& role) const {
  return correlate::detection_for(config_, role);
}

void Correlator::on_context_event(const Event& event) { serve_waiting_request(event); }

void Correlator::serve_waiting_request(const Event& event) {
  // A node that arrived serves the oldest request still waiting for nodes.
  if (event.type == "node_added" && pending_requests_ > 0) {
    for (auto& pending : pending_) {
      Pending& p = *pending;
      if (p.provisioning_request && p.event.time <= event.time &&
          static_cast<int>(p.arrivals.size()) < p.requested) {
        p.arrivals.push_back(event.time);
        if (static_cast<int>(p.arrivals.size()) == p.requested) {
          // Judged once the steps up to the last arrival are final.
          p.due = event.time + shard_->config().step;
        }
        break;
      }
    }
  }
}

void Correlator::on_event(const Event& event, bool late) {
  (void)late;
  serve_waiting_request(event);
  if (emit_provisional_) {
    refresh_graph();
    sink_.on_enriched(enrich({*shard_, config_, graph_, &memo_}, event, true));
  }
  auto pending = std::make_unique<Pending>();
  Pending& p = *pending;
  p.event = event;
  p.seq = next_seq_++;
  const WindowSpec& win = config_.window_for(event.category);
  p.due = event.time + win.settle + win.after;
  if (event.type == "resource_requested") {
    p.provisioning_request = true;
    p.requested = 1;
    for (const auto& [k, v] : event.attributes) {
      if (k != "nodes") continue;
      if (const auto* i = std::get_if<std::int64_t>(&v)) p.requested = static_cast<int>(std::max<std::int64_t>(1, *i));
      if (const auto* d = std::get_if<double>(&v)) p.requested = std::max(1, static_cast<int>(*d));
    }
    p.due = event.time + config_.thresholds.provisioning_max_wait;
    ++pending_requests_;
  }
  pending_.push_back(std::move(pending));
}

void Correlator::on_dead_letter(const Record& record, const Error& reason) { sink_.on_dead_letter(record, reason); }

void Correlator::on_step(TimeNs step_start) {
  refresh_graph();
  detect(step_start);
  const TimeNs final_until = step_start + shard_->config().step;
  // Due events, oldest due first (then arrival order): deterministic output.
  std::vector<std::size_t> due;
  for (std::size_t i = 0; i < pending_.size(); ++i) {
    if (pending_[i]->due <= final_until) due.push_back(i);
  }
  if (due.empty()) return;
  std::sort(due.begin(), due.end(), [&](std::size_t a, std::size_t b) {
    if (pending_[a]->due != pending_[b]->due) return pending_[a]->due < pending_[b]->due;
    return pending_[a]->seq < pending_[b]->seq;
  });
  for (std::size_t i : due) finalize(*pending_[i]);
  std::erase_if(pending_, [&](const std::unique_ptr<Pending>& p) { return p->due <= final_until; });
}

Robust Correlator::detection_baseline(stream::SignalId signal, DetectionSpec::Direction direction) const {
  if (signal >= baselines_.size() || baselines_[signal].until == stream::kNoTime) return {kNaN, kNaN};
  return baselines_[signal].window.baseline(direction);
}

void Correlator::finalize(Pending& p) {
  std::optional<ProvisioningOutcome> outcome;
  if (p.provisioning_request) {
    --pending_requests_;
    ProvisioningOutcome o;
    o.requested = p.requested;
    o.added = static_cast<int>(p.arrivals.size());
    if (o.added == o.requested) o.ready = p.arrivals.back();
    outcome = o;
  }
  // The pending event is dropped after this: the record takes it.
  EnrichedEvent e = enrich({*shard_, config_, graph_, &memo_}, std::move(p.event), false, outcome);
  record_aggregate(e);
  const TimeNs time = e.event.time;
  verdicts_[e.event.id] = {time, e.verdict.value};
  // Old verdicts are dropped in sweeps, a quarter of the history apart: a
  // sweep per event would make finalizing quadratic in the events kept.
  if (time - last_verdict_sweep_ >= shard_->config().history / 4) {
    const TimeNs horizon = time - shard_->config().history;
    std::erase_if(verdicts_, [&](const auto& kv) { return kv.second.first < horizon; });
    last_verdict_sweep_ = time;
  }
  ++enriched_final_;
  sink_.on_enriched(e);
}

void Correlator::record_aggregate(const EnrichedEvent& e) {
  ImpactAggregate& a = aggregates_[{e.event.service, e.event.type}];
  a.service = e.event.service;
  a.type = e.event.type;
  ++a.count;
  ++a.verdicts[e.verdict.value];
  // Scaling is judged against what latency would have been without it (the
  // verdict's relief); other events by after against before.
  if (e.verdict.relief && std::isfinite(*e.verdict.relief)) {
    a.latency_change_rel.push_back(-*e.verdict.relief);
    return;
  }
  for (const SignalImpact& s : e.signals) {
    if (s.role == "latency" && std::isfinite(s.change_rel)) {
      a.latency_change_rel.push_back(s.change_rel);
      break;
    }
  }
}

std::pair<double, std::string> Correlator::history_prior(const std::string& service, const std::string& type) const {
  auto it = aggregates_.find({service, type});
  if (it == aggregates_.end() || it->second.count == 0) {
    return {0.5, "no earlier " + type + " events of " + (service.empty() ? "the cluster" : service) + " to learn from"};
  }
  const ImpactAggregate& a = it->second;
  std::uint64_t bad = 0;
  for (const auto& [verdict, n] : a.verdicts) {
    if (verdict == "harmful" || verdict == "regression" || verdict == "memory_exhaustion" ||
        verdict == "cpu_saturation" || verdict == "dependency_failure") {
      bad += n;
    }
  }
  // Laplace's rule: a prior of one good and one bad event.
  const double p = (static_cast<double>(bad) + 1) / (static_cast<double>(a.count) + 2);
  return {p, std::to_string(bad) + " of " + std::to_string(a.count) + " earlier " + type + " events of " +
                 (service.empty() ? "the cluster" : service) + " were followed by harm"};
}

std::vector<Cause> Correlator::rank_under(const Config& config, const std::string& service, TimeNs start,
                                          std::string_view role) const {
  RankInput in{*shard_, config, graph_,
               [this](const std::string& s, const std::string& t) { return history_prior(s, t); },
               [this](const std::string& id) {
                 auto it = verdicts_.find(id);
                 return it == verdicts_.end() ? std::string() : it->second.second;
               }};
  return rank_causes(in, service, start, role);
}

std::vector<Cause> Correlator::rank_symptom(const std::string& service, TimeNs start, std::string_view role) const {
  return rank_under(config_, service, start, role);
}

void Correlator::rank(Incident& incident, TimeNs on_top_of) const {
  // An escalation is ranked as an incident of its own whose normal was the
  // earlier incident: candidates and deviations from the middle of the
  // earlier incident on, measured against its first half. Its first fault's
  // causes belong to the earlier incident, and the service that was already
  // deviating must not make the second fault's trigger look like a reaction.
  Config escalation;
  const bool escalated = on_top_of != stream::kNoTime && on_top_of < incident.start;
  if (escalated) {
    escalation = config_;
    const TimeNs half = std::max<TimeNs>((incident.start - on_top_of) / 2, shard_->config().step);
    escalation.cause_lookback = std::min(config_.cause_lookback, half);
    escalation.baseline_window = std::min(config_.baseline_window, half);
  }
  auto rank_with = [&](const Config& config) { return rank_under(config, incident.service, incident.start, incident.role); };
  // Only a new trigger makes it a second fault: an event, come after the
  // earlier incident began, ranked first. Else it is the first fault
  // growing (a surge still ramping up), ranked over the usual window.
  bool second_fault = false;
  if (escalated) {
    incident.causes = rank_with(escalation);
    second_fault = !incident.causes.empty() && incident.causes.front().kind == "event" &&
                   incident.causes.front().time >= on_top_of;
  }
  if (!second_fault) incident.causes = rank_with(config_);
  const std::string what = role_phrase(incident.role) + " of " + incident.service;
  incident.summary = what + " went from " + role_value(incident.role, incident.baseline) + " to " +
                     role_value(incident.role, incident.peak) + " from " + clock_time(incident.start);
  incident.summary += causes_sentence(incident.causes);
  if (escalated) {
    incident.summary += "; it rose again on top of an incident open since " + clock_time(on_top_of) +
                        (second_fault ? ", after a new trigger" : "");
  }
}

void Correlator::refresh_watches() {
  const stream::Shard& shard = *shard_;
  watches_.assign(shard.signal_count(), Watch{});
  watches_series_ = shard.series_changes();
  for (stream::SignalId sig = 0; sig < shard.signal_count(); ++sig) {
    const std::string& role = shard.spec(sig).role;
    // A signal derived from spans or logs is watched where its service
    // exports no metric of the role it stands in for (a service without an
    // error counter: its failing spans), as the metric would be.
    const std::string_view metric_role = metric_role_of(role);
    if (!metric_role.empty() && !speaks_for_its_service(shard, sig)) continue;
    watches_[sig] = {detection_for(role), metric_role.empty() ? std::string_view(role) : metric_role};
  }
}

bool Correlator::errors_deviate(stream::StringId service) const {
  const stream::ServiceContext* context = shard_->context(service);
  if (context == nullptr) return false;
  for (const stream::SignalId s : context->signals) {
    if (s >= watches_.size() || watches_[s].detection == nullptr || watches_[s].as_role != "errors") continue;
    const auto it = detectors_.find(s);
    if (it != detectors_.end() && it->second.phase != DetectorState::Phase::normal) return true;
  }
  return false;
}

void Correlator::detect(TimeNs step_start) {
  const stream::Shard& shard = *shard_;
  const TimeNs step = shard.config().step;
  std::vector<stream::Point> history;
  std::vector<stream::Point> load_points;
  if (baselines_.size() < shard.signal_count()) baselines_.resize(shard.signal_count());
  if (watches_.size() != shard.signal_count() || watches_series_ != shard.series_changes()) refresh_watches();
  for (stream::SignalId sig = 0; sig < shard.signal_count(); ++sig) {
    const stream::SignalSpec& spec = shard.spec(sig);
    const DetectionSpec* d = watches_[sig].detection;
    if (d == nullptr) continue;
    const std::string_view as_role = watches_[sig].as_role;
    // The baseline window [step_start - baseline_window, step_start) (what
    // the signal's history still holds of it) moves on by the step before
    // this one, or is read afresh.
    Baseline& b = baselines_[sig];
    const TimeNs from = std::max(step_start - config_.baseline_window, shard.history_from());
    if (b.until == step_start - step) {
      b.window.slide({step_start - step, shard.signal_value(sig, step_start - step)}, from);
    } else {
      history.clear();
      shard.signal_points(sig, from, step_start, history);
      b.window.reset(history);
    }
    b.until = step_start;
    const double value = shard.signal_value(sig, step_start);
    if (std::isnan(value)) continue;
    DetectorState& state = detectors_[sig];
    // The points themselves, all that is kept of them, only while the
    // signal deviates (the earlier excursions it must stand out from) or an
    // incident is open (its escalation check).
    const Robust normal = b.window.baseline(d->direction);
    history.clear();
    if (state.phase != DetectorState::Phase::normal || deviation_of(*d, value, normal).beyond) {
      shard.signal_points(sig, shard.history_from(), step_start, history);
    }
    // A point stands for the data's spacing when that is longer than a step.
    const TimeNs point_span = std::max(step, b.window.spacing());
    // A deviation that came with a surge of the service's load, and that no
    // failure or change since cause_lookback before it began explains, must
    // stand out from the signal's earlier excursions, must not be the
    // service absorbing the surge (its errors low, the rise in proportion to
    // the load), and once open does not escalate: climbing further, it is
    // the same surge.
    LoadContext load;
    if (!history.empty() && as_role != "throughput") {
      const stream::StringId service = shard.service_of(sig);
      const TimeNs began = state.phase == DetectorState::Phase::normal ? step_start : state.deviation_start;
      const LoadRatios ratios = load_ratios(shard, service, from, began, step_start, d->open_after, load_points);
      load.driven = ratios.peak >= kLoadSurge &&
                    !failure_or_change_since(shard, service, began - config_.cause_lookback);
      load.ratio_now = ratios.now;
      load.surged_for = ratios.surged_for;
      load.errors = as_role == "errors" || errors_deviate(service);
    }
    const DetectorStep r = detector_step(state, *d, step_start, point_span, value, normal, history, load);
    // Most steps of most signals neither open nor touch an incident.
    if (!r.opened && !r.escalated && open_.empty()) continue;
    const std::string service = shard.strings().name(shard.service_of(sig));
    const auto key = std::make_pair(service, std::string(as_role));
    TimeNs on_top_of = stream::kNoTime;
    if (r.escalated) {
      if (auto it = open_.find(key); it != open_.end() && it->second.signal == sig) {
        Incident& old = it->second.incident;
        old.end = r.end;
        old.severity = "warning";
        rank(old, it->second.on_top_of);
        sink_.on_incident(old, true);
        on_top_of = old.start;
        open_.erase(it);
      }
    }
    if (r.opened) {
      if (open_.count(key) != 0) continue;  // another signal of this role already has it open
      OpenIncident o;
      o.signal = sig;
      o.on_top_of = on_top_of;
      Incident& inc = o.incident;
      inc.service = service;
      inc.role = spec.role;
      inc.metric = spec.metric;
      inc.start = state.deviation_start;
      inc.id = incident_id(service, spec.role, spec.metric, inc.start);
      inc.baseline = state.frozen.median;
      inc.peak = state.peak;
      ++incidents_opened_;
      rank(inc, o.on_top_of);
      inc.severity = "warning";
      sink_.on_incident(inc, false);
      open_.emplace(key, std::move(o));
    } else if (auto it = open_.find(key); it != open_.end() && it->second.signal == sig) {
      Incident& inc = it->second.incident;
      inc.peak = state.peak;
      if (r.closed) {
        inc.end = r.end;
        const double ratio = d->direction == DetectionSpec::Direction::up ? inc.peak / inc.baseline
                                                                          : inc.baseline / inc.peak;
        inc.severity = ratio >= d->min_ratio * d->min_ratio || (as_role == "errors" && inc.peak >= 0.1)
                           ? "critical"
                           : "warning";
        rank(inc, it->second.on_top_of);
        sink_.on_incident(inc, true);
        open_.erase(it);
      }
    }
  }
}

void Correlator::finish() {
  refresh_graph();
  std::sort(pending_.begin(), pending_.end(), [](const auto& a, const auto& b) {
    if (a->due != b->due) return a->due < b->due;
    return a->seq < b->seq;
  });
  for (auto& p : pending_) finalize(*p);
  pending_.clear();
  for (auto& [key, o] : open_) {
    Incident& inc = o.incident;
    const DetectionSpec* d = detection_for(inc.role);
    const double ratio = d != nullptr && d->direction == DetectionSpec::Direction::down ? inc.baseline / inc.peak
                                                                                       : inc.peak / inc.baseline;
    inc.severity = d != nullptr && ratio >= d->min_ratio * d->min_ratio ? "critical" : "warning";
    rank(inc, o.on_top_of);
    sink_.on_incident(inc, true);
  }
  open_.clear();
}

}  // namespace eventlens::correlate
