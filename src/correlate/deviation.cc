#include "correlate/deviation.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "correlate/detector.h"

namespace eventlens::correlate {

namespace {

// A robust z this large counts as a deviation when judging causes: looser
// than opening an incident, because a cause often deviates less than its
// symptom (a slow database adds 50 ms; the caller times out).
constexpr double kOnsetZ = 3.0;
constexpr double kOnsetRatio = 1.1;
// A deviation of an error ratio must amount to at least this many failed
// requests over its first two steps beyond what its baseline ratio expects.
constexpr double kMinExcessFailures = 3;

// Of the signals standing in for one metric role, which speaks: the metric,
// else spans, else error logs, else warning logs (lower is preferred).
int preference(std::string_view role) {
  if (role == "span_latency" || role == "span_throughput" || role == "span_errors") return 1;
  if (role == "log_errors") return 2;
  if (role == "log_warnings") return 3;
  return 0;
}

}  // namespace

std::string_view metric_role_of(std::string_view role) {
  if (role == "span_latency") return "latency";
  if (role == "span_throughput") return "throughput";
  if (role == "span_errors" || role == "log_errors" || role == "log_warnings") return "errors";
  return {};
}

const DetectionSpec* detection_for(const Config& config, std::string_view role) {
  for (const DetectionSpec& d : config.detection) {
    if (d.role == role) return &d;
  }
  if (const std::string_view metric_role = metric_role_of(role); !metric_role.empty()) {
    return detection_for(config, metric_role);
  }
  return nullptr;
}

bool speaks_for_its_service(const stream::Shard& shard, stream::SignalId signal) {
  return would_speak(shard, shard.service_of(signal), shard.spec(signal).role);
}

bool would_speak(const stream::Shard& shard, stream::StringId service, std::string_view derived_role) {
  const std::string_view metric_role = metric_role_of(derived_role);
  if (metric_role.empty()) return true;
  const int own = preference(derived_role);
  const stream::ServiceContext* ctx = shard.context(service);
  if (ctx == nullptr) return true;
  for (stream::SignalId other : ctx->signals) {
    const std::string& role = shard.spec(other).role;
    if (preference(role) >= own) continue;
    const std::string_view other_metric_role = metric_role_of(role).empty() ? std::string_view(role) : metric_role_of(role);
    // An error ratio whose failures counter never arrived (only its
    // requests did) reads 0 throughout: the service does not export it.
    if (other_metric_role == metric_role && shard.has_own_series(other)) return false;
  }
  return true;
}

std::string_view signal_source(std::string_view role) {
  if (role.starts_with("call_")) return "from its callers' client spans";
  if (role.starts_with("span_")) return "from its spans";
  if (role.starts_with("log_")) return "from its logs";
  return {};
}

bool is_health_role(std::string_view role) {
  return role != "replicas" && role != "memory_limit" && role != "pending_pods" && role != "cpu_limit" &&
         role != "call_throughput";
}

ServiceDeviation service_deviation(const stream::Shard& shard, const Config& config, stream::StringId service,
                                   TimeNs from, TimeNs to) {
  ServiceDeviation out;
  const stream::ServiceContext* ctx = shard.context(service);
  if (ctx == nullptr) return out;
  std::vector<stream::Point> history, window, counts;
  for (stream::SignalId sig : ctx->signals) {
    const stream::SignalSpec& spec = shard.spec(sig);
    if (!is_health_role(spec.role) || !speaks_for_its_service(shard, sig)) continue;
    history.clear();
    window.clear();
    // Two baselines: the hour before the window and its recent past only
    // (the lookback's length). An earlier surge inside the hour would hide
    // this one; an earlier fault just before would hide it in the short one.
    // The one that makes a deviation most visible is used: the lower level
    // for rises, the higher for drops.
    shard.signal_points(sig, from - config.baseline_window, from, history);
    shard.signal_points(sig, from, to, window);
    const TimeNs spacing = std::max(shard.config().step, spacing_of(history.size() > 1 ? history : window));
    const std::size_t needed = min_baseline_points(spacing);
    const TimeNs recent_span = std::min(
        config.baseline_window, std::max<TimeNs>(config.cause_lookback, static_cast<TimeNs>(2 * kMinBaselinePoints) * spacing));
    // Early in a stream there may be too little history before `from`: the
    // first points of the window then serve as the baseline, and the scan
    // starts after them.
    if (history.size() < needed && history.size() + window.size() > needed) {
      const std::size_t take = needed - history.size();
      history.insert(history.end(), window.begin(), window.begin() + static_cast<std::ptrdiff_t>(take));
      window.erase(window.begin(), window.begin() + static_cast<std::ptrdiff_t>(take));
    }
    std::size_t recent_from = 0;
    while (recent_from < history.size() && history[recent_from].time < from - recent_span) ++recent_from;
    const std::span<const stream::Point> recent(history.data() + recent_from, history.size() - recent_from);
    auto [base_up, base_down] = baselines_of(history);
    if (recent.size() >= needed) {
      const auto [recent_up, recent_down] = baselines_of(recent);
      if (recent_up.median < base_up.median) base_up = recent_up;
      if (recent_down.median > base_down.median) base_down = recent_down;
    }
    if (std::isnan(base_up.median) || window.empty()) continue;
    // A ratio of counts (failed / all requests) moves by whole failures: at a
    // few dozen requests a step, one failure where none is usual is a step
    // of 2 % and "infinitely" far from a baseline of 0. A deviation counts
    // only when its first two steps hold at least kMinExcessFailures failures
    // more than the baseline ratio expects, the requests read from the
    // signal of what it is a ratio of.
    counts.clear();
    if (!spec.ratio_of.empty()) {
      for (stream::SignalId other : ctx->signals) {
        const stream::SignalSpec& o = shard.spec(other);
        if (o.metric == spec.ratio_of && o.kind == stream::SeriesKind::counter && o.ratio_of.empty()) {
          shard.signal_points(other, from, to, counts);
          break;
        }
      }
    }
    auto excess_failures = [&](std::size_t i, const Robust& base) -> double {
      const auto it = std::lower_bound(counts.begin(), counts.end(), window[i].time,
                                       [](const stream::Point& c, TimeNs t) { return c.time < t; });
      if (it == counts.end() || it->time != window[i].time) return kMinExcessFailures;  // unknown: no veto
      const double requests = it->value * static_cast<double>(spacing) / 1e9;  // a rate over the step
      return (window[i].value - base.median) * requests;
    };
    auto enough_failures = [&](std::size_t i, const Robust& base) {
      if (spec.ratio_of.empty() || counts.empty()) return true;
      const double next = i + 1 < window.size() ? excess_failures(i + 1, base) : kMinExcessFailures;
      return excess_failures(i, base) + std::max(0.0, next) >= kMinExcessFailures;
    };
    // Throughput that jumps is as telling as throughput that drops (a surge
    // of traffic enters somewhere); the other health roles go wrong upwards.
    DetectionSpec probe;
    probe.role = spec.role;
    probe.min_ratio = kOnsetRatio;
    probe.min_z = kOnsetZ;
    const DetectionSpec* d = detection_for(config, spec.role);
    probe.min_delta = d != nullptr ? d->min_delta / 2 : 0;
    std::vector<DetectionSpec> probes{probe};
    if (spec.role == "throughput") {
      probes[0].direction = DetectionSpec::Direction::down;
      probes.push_back(probe);
      probes[1].direction = DetectionSpec::Direction::up;
    }
    for (const DetectionSpec& p : probes) {
      const Robust& base = p.direction == DetectionSpec::Direction::down ? base_down : base_up;
      // Every episode of deviation in the window: a signal may go wrong,
      // recover and go wrong again, and ranking wants the episode nearest
      // the incident.
      for (std::size_t i = 0; i < window.size(); ++i) {
        const Deviation dev = deviation_of(p, window[i].value, base);
        if (!dev.beyond || !enough_failures(i, base)) continue;
        // Sustained: the next step (if any) is still at least half as far out.
        if (i + 1 < window.size() && deviation_of(p, window[i + 1].value, base).z < kOnsetZ / 2) continue;
        double peak_z = dev.z, peak_ratio = dev.ratio;
        std::size_t end = i;
        while (end + 1 < window.size() && deviation_of(p, window[end + 1].value, base).z >= kOnsetZ / 2) {
          ++end;
          const Deviation later = deviation_of(p, window[end].value, base);
          if (later.z > peak_z) {
            peak_z = later.z;
            peak_ratio = later.ratio;
          }
        }
        peak_z = std::min(peak_z, 1000.0);
        const bool load = spec.role == "throughput" && p.direction == DetectionSpec::Direction::up;
        const bool drop = spec.role == "throughput" && p.direction == DetectionSpec::Direction::down;
        if (!spec.placed_by.empty()) {
          out.place_signals.push_back({spec.role, spec.metric, window[i].time, peak_z, peak_ratio, false, false});
          i = end;
          continue;
        }
        if (load && (!out.load_up || window[i].time < out.load_onset)) {
          out.load_up = true;
          out.load_onset = window[i].time;
        }
        if (!load && (!out.health || window[i].time < out.health_onset)) {
          out.health = true;
          out.health_onset = window[i].time;
        }
        const bool earlier = !out.deviated || window[i].time < out.onset;
        if (earlier) {
          out.onset = window[i].time;
          out.role = spec.role;
          out.metric = spec.metric;
        }
        out.signals.push_back({spec.role, spec.metric, window[i].time, peak_z, peak_ratio, load, drop});
        if (peak_z > out.strength_z) {
          out.strength_z = peak_z;
          out.ratio = peak_ratio;
        }
        out.deviated = true;
        i = end;
      }
    }
  }
  return out;
}

}  // namespace eventlens::correlate
