// How a service's own signals behaved over a stretch of time: when the first
// of them began to deviate from its baseline (onset) and how strongly. This is
// what ranks *services* as causes when no event explains an incident: the
// service whose telemetry went wrong first and hardest, with its own
// dependencies still normal, is the likely origin.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "correlate/config.h"
#include "stream/shard.h"

namespace eventlens::correlate {

struct ServiceDeviation {
  bool deviated = false;
  // Its load (throughput) rose: it received more requests. Load travels
  // down the call graph, trouble travels up; ranking needs both apart.
  bool load_up = false;
  TimeNs load_onset = 0;
  // Its health went wrong (latency, errors, saturation, or throughput down).
  bool health = false;
  TimeNs health_onset = 0;
  TimeNs onset = 0;       // first step of the first sustained deviation
  double strength_z = 0;  // largest robust z-score of any of its signals
  double ratio = 1;       // value / baseline of that signal at its peak
  std::string role;       // the signal that deviated first
  std::string metric;
  // Every signal that deviated, with its own onset.
  struct SignalOnset {
    std::string role;
    std::string metric;
    TimeNs onset = 0;
    double z = 0;
    double ratio = 1;
    bool load = false;  // throughput up: more requests arrived
    bool drop = false;  // throughput down
  };
  // The health onsets (not load) in [from, to], in any signal.
  bool health_between(TimeNs from, TimeNs to) const {
    for (const SignalOnset& s : signals) {
      if (!s.load && s.onset >= from && s.onset <= to) return true;
    }
    return false;
  }
  // The same, less throughput drops: less traffic is what a service sees
  // when its callers went wrong, not trouble of its own.
  bool trouble_between(TimeNs from, TimeNs to) const {
    for (const SignalOnset& s : signals) {
      if (!s.load && !s.drop && s.onset >= from && s.onset <= to) return true;
    }
    return false;
  }
  std::vector<SignalOnset> signals;
  // The same for the signals of where its pods run (SignalSpec::placed_by:
  // the CPU of their nodes), kept apart: a place's trouble is evidence of
  // why a service went wrong, not a deviation of the service itself.
  std::vector<SignalOnset> place_signals;
};

// Looks at every signal of `service` whose role says something about its
// health (latency, errors, throughput, cpu, memory, queue_depth and custom
// roles; not replicas, limits or pending pods) over [from, to); baselines
// come from the `config.baseline_window` before `from`.
ServiceDeviation service_deviation(const stream::Shard& shard, const Config& config,
                                   stream::StringId service, TimeNs from, TimeNs to);

// Whether a role's signals describe health (and so can show a deviation).
bool is_health_role(std::string_view role);

// The metric role a signal derived from spans or logs stands in for
// ("latency" for span_latency, "errors" for span_errors, log_errors and
// log_warnings, "throughput" for span_throughput; "" for every other role,
// call_latency and call_errors included: no metric says what a service's
// callers saw of it).
std::string_view metric_role_of(std::string_view role);

// Whether a signal speaks for its service: every signal but a derived
// stand-in, which speaks only where the service exports no preferred source
// of its metric role (the metric itself, else spans, else error logs, else
// warning logs). The metric is measured over every request; a derived
// signal reads a sample of them (sampled traces) or a side effect (log
// lines), and is noisier for it; counted twice, one fault would look like
// two signals going wrong (docs/engine.md, "Signals from traces and logs").
bool speaks_for_its_service(const stream::Shard& shard, stream::SignalId signal);
// The same for a signal of `derived_role` that `service` may not have yet.
bool would_speak(const stream::Shard& shard, stream::StringId service, std::string_view derived_role);

// How signals of `role` are watched: its own detection, else (a derived
// stand-in) that of the metric role it stands in for; nullptr when neither
// is watched.
const DetectionSpec* detection_for(const Config& config, std::string_view role);

// Where a role's signal comes from, for a reason's sentence: "from its
// spans", "from its callers' client spans", "from its logs", or "" for a
// metric the service exports.
std::string_view signal_source(std::string_view role);

}  // namespace eventlens::correlate
