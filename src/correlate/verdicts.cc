// The verdicts of enrichment, one per event category (docs/engine.md
// "Verdicts"): scaling (effective / ineffective / harmful, against a
// queueing counterfactual when the event says what the replicas were),
// failure (memory_exhaustion / cpu_saturation / dependency_failure /
// unknown), provisioning (delay, requests lost), change (regression /
// improvement / no change). Each leaves a sentence a person can check and
// the evidence behind it.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "correlate/enrich_detail.h"
#include "correlate/phrases.h"

namespace eventlens::correlate::enrich_detail {

using stream::Shard;
using stream::SignalId;
using stream::StringId;

namespace {

// ---- the counterfactual of a scaling ----

// The latency role is a 95th percentile; the 95th percentile of an
// exponential wait is ln 20 (about 3) times its mean.
constexpr double kP95PerMeanWait = 2.995732273553991;
// The autoscaler's utilisation is an average over about this long (the
// metrics pipeline's CPU window): it lags a change of load.
constexpr double kUtilisationWindowS = 30;
// Fewer spans than this give no service time.
constexpr std::size_t kMinSpans = 10;

// Sakasegawa's approximation of the mean wait in an M/M/c queue, in service
// times: flat at low utilisation, steep as it nears 1 (held just below 1; a
// load beyond the capacity is a backlog, accounted for apart).
double queueing_delay(double rho, double servers) {
  const double c = std::max(1.0, servers);
  const double r = std::clamp(rho, 0.0, 0.995);
  return std::pow(r, std::sqrt(2 * (c + 1)) - 1) / (c * (1 - r));
}

// The value of the first of `signals` with one at the step starting at `t`.
double value_at(const Shard& shard, const std::vector<SignalId>& signals, TimeNs t) {
  for (SignalId s : signals) {
    const double v = shard.signal_value(s, t);
    if (!std::isnan(v)) return v;
  }
  return kNaN;
}

// The mean time a request spends in `service` itself, without its calls:
// the durations of its successful request spans (is_request_span) in
// [from, to) less the calls made within them in the same trace. The calls are
// the service's own client spans when the trace has them (what it waited
// for, the network included) and its ring of calls still reaches back to the
// span (a service making several calls per request keeps calls for less
// time than requests: a trace missing its first calls would look slow);
// otherwise, as in traces without kinds, the request spans of its callees.
// A trimmed mean (the slowest 5 % left out: a
// call cut short by its timeout leaves a bogus remainder). Empty with fewer
// than kMinSpans spans.
std::optional<double> own_time(const EnrichInput& in, const std::string& service, TimeNs from, TimeNs to) {
  const Shard& shard = in.shard;
  const stream::ServiceContext* ctx = shard.context(shard.strings().find(service));
  if (ctx == nullptr) return std::nullopt;
  using Calls = std::unordered_map<std::string_view, std::vector<std::pair<TimeNs, TimeNs>>>;
  Calls client_calls, callee_requests;
  for (std::size_t i = 0; i < ctx->calls.size(); ++i) {
    const stream::SpanEntry& s = ctx->calls[i];
    if (s.kind == SpanKind::client && s.start >= from && s.start < to) client_calls[s.trace_id].push_back({s.start, s.end});
  }
  for (const std::string& callee : in.graph.callees(service)) {
    const stream::ServiceContext* c = shard.context(shard.strings().find(callee));
    for (std::size_t i = 0; c != nullptr && i < c->spans.size(); ++i) {
      const stream::SpanEntry& s = c->spans[i];
      if (s.start >= from && s.start < to) callee_requests[s.trace_id].push_back({s.start, s.end});
    }
  }
  const TimeNs calls_kept_from = ctx->calls.empty() ? std::numeric_limits<TimeNs>::max() : ctx->calls[0].start;
  std::vector<double> own;
  for (std::size_t i = 0; i < ctx->spans.size(); ++i) {
    const stream::SpanEntry& s = ctx->spans[i];
    if (s.start < from || s.start >= to || s.status == SpanStatus::error) continue;
    TimeNs t = s.end - s.start;
    const std::vector<std::pair<TimeNs, TimeNs>>* calls = nullptr;
    if (auto c = client_calls.find(s.trace_id); c != client_calls.end() && s.start >= calls_kept_from) {
      calls = &c->second;
    } else if (auto r = callee_requests.find(s.trace_id); r != callee_requests.end()) {
      calls = &r->second;
    }
    for (std::size_t k = 0; calls != nullptr && k < calls->size(); ++k) {
      const auto [start, end] = (*calls)[k];
      if (start >= s.start && start < s.end) t -= end - start;
    }
    own.push_back(static_cast<double>(t) / 1e9);
  }
  if (own.size() < kMinSpans) return std::nullopt;
  std::sort(own.begin(), own.end());
  own.resize(own.size() - own.size() / 20);
  double sum = 0;
  for (double x : own) sum += x;
  return sum / static_cast<double>(own.size());
}

// What a scaled service would have gone through had it kept the replicas it
// had (`from_replicas`) and not scaled again: the same load on the replicas
// it had. Added replicas count only once ready (pods pending for nodes add
// nothing); removed ones are gone at once.
struct ScalingCounterfactual {
  double from_replicas = kNaN;   // what it had: the event's from_replicas, else the ready replicas before it
  double after = kNaN;           // mean latency of the after window, as it was
  double counterfactual = kNaN;  // ... had the service kept its replicas
  double capacity_rps = kNaN;    // per ready replica
  double service_time_s = kNaN;  // per request, without waiting or calls
  double peak_utilisation = kNaN;  // on the replicas it had, in the after window
};

// Empty when the event does not say the utilisation that prompted it, or
// throughput, ready replicas or latency are missing, or neither the event
// nor the ready replicas just before it say how many replicas it had. The
// model: each step of the window, the measured latency plus the difference
// of the queueing waits (M/M/c with the measured load and ready replicas,
// plus a backlog where the load exceeds the capacity) on the replicas it had
// and on those it has. The capacity of a replica is the throughput per ready
// replica the autoscaler saw over the utilisation it reported (replayed with
// its averaging window), or less where a backlog showed the service serving
// all it could. The service time comes from the
// spans of the after window (none: no model).
std::optional<ScalingCounterfactual> scaling_counterfactual(const EnrichInput& in, const Event& e,
                                                            const WindowSpec& win, SignalId lat) {
  const Shard& shard = in.shard;
  const StringId service = shard.strings().find(e.service);
  const std::optional<double> util = attribute_number(e, "cpu_utilization_percent");
  if (!util || !(*util > 0)) return std::nullopt;
  const auto tput = signals_with_role(shard, service, "throughput");
  const auto ready = signals_with_role(shard, service, "replicas");
  const auto queue = signals_with_role(shard, service, "queue_depth");
  if (tput.empty() || ready.empty()) return std::nullopt;
  const TimeNs step = shard.config().step;
  // An event that does not say what the service had (a Kubernetes HPA's
  // message gives only the new size): its ready replicas at the last final
  // step before the event.
  std::optional<double> from = attribute_number(e, "from_replicas");
  if (!from) {
    const double had = value_at(shard, ready, std::min(shard.step_of(e.time), shard.final_until()) - step);
    if (!std::isnan(had)) from = had;
  }
  if (!from || !(*from >= 1)) return std::nullopt;
  const double step_s = static_cast<double>(step) / 1e9;
  const TimeNs window_end = e.time + win.settle + win.after;
  const TimeNs first_after = shard.step_of(e.time) + step;  // the first step the scaling acted in
  const bool up = e.type != "scale_down";
  ScalingCounterfactual out;
  out.from_replicas = *from;
  // Capacity: replay the autoscaler's average of throughput per ready replica
  // second by second (the replicas change halfway through a step).
  double per_replica = kNaN, last_ready = kNaN;
  for (TimeNs t = shard.step_of(e.time - win.before); t < first_after; t += step) {
    const double load = value_at(shard, tput, t);
    double n = value_at(shard, ready, t);
    if (!(n >= 1) || std::isnan(load)) continue;
    // Replicas removed in the event's own step served all of it: a
    // scale-down acts at once, after the autoscaler's reading.
    if (t == shard.step_of(e.time) && n < last_ready) n = last_ready;
    if (std::isnan(per_replica)) {
      per_replica = load / n;
    } else {
      for (int s = 0; s < static_cast<int>(step_s); ++s) {
        const double x = load / (2 * s < step_s ? last_ready : n);
        per_replica += (x - per_replica) / kUtilisationWindowS;
      }
    }
    last_ready = n;
  }
  out.capacity_rps = per_replica / (*util / 100);
  // Where a backlog stood at both ends of a step, the service served all it
  // could: its throughput per replica is the capacity then.
  double prev_queue = kNaN, prev_ready = kNaN;
  for (TimeNs t = shard.step_of(e.time - win.settle); t < window_end; t += step) {
    const double q = value_at(shard, queue, t), n = value_at(shard, ready, t), load = value_at(shard, tput, t);
    if (prev_queue > 0 && q > 0 && prev_ready + n > 0 && load > 0) {
      out.capacity_rps = std::min(out.capacity_rps, load / ((prev_ready + n) / 2));
    }
    prev_queue = q;
    prev_ready = n;
  }
  if (!(out.capacity_rps > 0)) return std::nullopt;
  const double cap = out.capacity_rps;
  // Service time: the own time of requests less their queueing wait at the
  // utilisation of the after window. Latency alone cannot give it (a
  // caller's includes its calls), so without spans there is no model.
  const std::optional<double> own = own_time(in, e.service, e.time + win.settle, window_end);
  if (!own) return std::nullopt;
  double wait_factor = 0;
  int wait_steps = 0;
  for (TimeNs t = shard.step_of(e.time + win.settle); t < window_end; t += step) {
    const double load = value_at(shard, tput, t), n = value_at(shard, ready, t);
    if (t >= e.time + win.settle && n >= 1 && !std::isnan(load)) {
      wait_factor += queueing_delay(load / (cap * n), n);
      ++wait_steps;
    }
  }
  out.service_time_s = *own / (1 + (wait_steps > 0 ? wait_factor / wait_steps : 0));
  if (!(out.service_time_s > 0)) return std::nullopt;
  // Step by step: the backlog both would carry, and the latency.
  const double q0 = value_at(shard, queue, first_after - step);
  double backlog = std::isnan(q0) ? 0 : q0, backlog_cf = backlog;
  double sum = 0, sum_cf = 0;
  int n_after = 0;
  out.peak_utilisation = 0;
  for (TimeNs t = first_after; t < window_end; t += step) {
    const double load = value_at(shard, tput, t), n = value_at(shard, ready, t);
    const double l = shard.signal_value(lat, t);
    double extra = 0;
    if (n >= 1 && load >= 0) {
      const double n_cf = up ? std::min(n, *from) : *from;
      backlog = std::max(0.0, backlog + (load - cap * n) * step_s);
      backlog_cf = std::max(0.0, backlog_cf + (load - cap * n_cf) * step_s);
      const double wait = out.service_time_s * queueing_delay(load / (cap * n), n) + backlog / (cap * n);
      const double wait_cf = out.service_time_s * queueing_delay(load / (cap * n_cf), n_cf) + backlog_cf / (cap * n_cf);
      extra = kP95PerMeanWait * (wait_cf - wait);
      if (t >= e.time + win.settle) out.peak_utilisation = std::max(out.peak_utilisation, load / (cap * n_cf));
    }
    if (t < e.time + win.settle || std::isnan(l)) continue;
    sum += l;
    // No request takes less than its service time: the model's backlog can
    // outgrow a real one (which callers cut short by timing out).
    sum_cf += std::max(l + extra, std::min(l, out.service_time_s));
    ++n_after;
  }
  if (n_after == 0) return std::nullopt;
  out.after = sum / n_after;
  out.counterfactual = sum_cf / n_after;
  return out;
}

}  // namespace

void judge_scaling(const EnrichInput& in, const Event& e, const WindowSpec& win, EnrichedEvent& out) {
  const VerdictThresholds& th = in.config.thresholds;
  Verdict& v = out.verdict;
  v.kind = "scaling";
  const StringId service = in.shard.strings().find(e.service);
  const auto lat_signals = signals_with_role(in.shard, service, "latency");
  SignalId lat = 0;
  std::vector<Point> before, after;
  bool found = false;
  for (SignalId s : lat_signals) {
    before = points(in.shard, s, e.time - win.before, e.time);
    after = points(in.shard, s, e.time + win.settle, e.time + win.settle + win.after);
    if (!before.empty() && !after.empty()) {
      lat = s;
      found = true;
      break;
    }
  }
  if (!found) {
    v.value = "unknown";
    v.sentence = "no latency samples of " + e.service + " around the " + e.type + " to judge it by";
    return;
  }
  const bool up = e.type != "scale_down";
  // Against what latency would have been, under the load that came, had
  // the service kept the replicas it had (the model; it needs the replicas
  // and utilisation the event reports, and spans for the service time).
  const std::optional<ScalingCounterfactual> model = scaling_counterfactual(in, e, win, lat);
  if (model) {
    v.evidence.push_back({"capacity_per_replica_rps", model->capacity_rps});
    v.evidence.push_back({"service_time_s", model->service_time_s});
    v.evidence.push_back({"utilisation_had_it_not_scaled", model->peak_utilisation});
  }
  // Without it, up: against the latency that prompted it (had it not
  // scaled, latency would have stayed there). Down: against the calm it was
  // taken in.
  double reference = model ? model->counterfactual : up ? level_before(before) : mean_of(before);
  // Until its new pods are ready (the settle time), the service still faces
  // the load that prompted a scale-up with its old capacity: the latency
  // then is what it would have stayed at, had it not scaled.
  if (up && !model) {
    const double unrelieved = mean_over(in, lat, e.time, e.time + win.settle);
    if (unrelieved > reference) {
      reference = unrelieved;
      v.evidence.push_back({"latency_until_settled_s", unrelieved});
    }
  }
  const stream::ServiceContext* ctx = in.shard.context(service);
  // A scale-up issued before the previous one could take effect (within
  // its settle time) is judged on what it adds beyond that one: against the
  // latency the earlier one led to.
  if (up && !model && ctx != nullptr) {
    // Earlier scale-ups, newest first: the burst reaches back while each is
    // within the settle time of the next.
    std::vector<TimeNs> earlier_ups;
    for (std::size_t i = 0; i < ctx->events.size(); ++i) {
      const stream::EventEntry& p = ctx->events[i];
      if (p.type == e.type && p.id != e.id && p.time < e.time) earlier_ups.push_back(p.time);
    }
    std::sort(earlier_ups.begin(), earlier_ups.end(), std::greater<>());
    TimeNs burst_start = e.time;
    TimeNs previous = e.time;  // the earliest scale-up within the settle time before this one
    for (const TimeNs t : earlier_ups) {
      if (t >= burst_start) continue;  // simultaneous with a member already in
      if (t < burst_start - win.settle) break;
      burst_start = t;
      if (t >= e.time - win.settle) previous = t;
    }
    // Unless latency was still climbing since the previous one: the capacity
    // on its way was not enough, so this one was needed too and is judged
    // like the first.
    bool still_climbing = false;
    if (burst_start != e.time) {
      const TimeNs step = in.shard.config().step;
      const double then = mean_over(in, lat, previous - step, previous + step);
      const double now = mean_over(in, lat, e.time - step, e.time + step);
      still_climbing = then > 0 && now >= 1.1 * then;
      v.evidence.push_back({"latency_growth_since_previous", then > 0 ? now / then : kNaN});
    }
    if (burst_start != e.time && !still_climbing) {
      const double earlier = mean_over(in, lat, burst_start + win.settle, burst_start + win.settle + win.after);
      if (!std::isnan(earlier)) reference = earlier;
      v.evidence.push_back({"burst_start_offset_s", static_cast<double>(e.time - burst_start) / 1e9});
    }
  }
  // Another change on the service or a dependency inside the window muddles
  // the comparison: then a regression is not blamed on the scaling.
  std::string confounder;
  auto scan_confounders = [&](const std::string& name) {
    const stream::ServiceContext* c = in.shard.context(in.shard.strings().find(name));
    for (std::size_t i = 0; c != nullptr && confounder.empty() && i < c->events.size(); ++i) {
      const stream::EventEntry& x = c->events[i];
      if ((x.category == Category::change || x.category == Category::failure) && x.time >= e.time - win.before &&
          x.time < e.time + win.settle + win.after) {
        confounder = x.type + " of " + name + " at " + clock_time(x.time);
      }
    }
  };
  scan_confounders(e.service);
  for (const std::string& callee : in.graph.callees(e.service)) scan_confounders(callee);
  // Unannounced trouble counts too: a dependency whose own health went
  // wrong in the window, or a load that moved by a third.
  const TimeNs window_end = e.time + win.settle + win.after;
  for (const std::string& callee : in.graph.callees(e.service)) {
    if (!confounder.empty()) break;
    ServiceDeviation scratch;
    const ServiceDeviation& d = deviation_between(in, in.shard.strings().find(callee), e.time, window_end, scratch);
    if (d.health && !d.load_up) confounder = "its dependency " + callee + "'s " + d.role + " went wrong at " + clock_time(d.health_onset);
  }
  // A dependency that got slower by much of this service's own change: the
  // change came from below (its own scaling, its own trouble).
  {
    const double own_change = mean_of(after) - mean_of(before);
    for (const std::string& callee : in.graph.callees(e.service)) {
      if (!confounder.empty() || !(std::fabs(own_change) >= in.config.thresholds.min_latency_change_s)) break;
      for (SignalId c : signals_with_role(in.shard, in.shard.strings().find(callee), "latency")) {
        const double b = mean_over(in, c, e.time - win.before, e.time);
        const double a = mean_over(in, c, e.time + win.settle, window_end);
        if (std::isfinite(a - b) && (a - b) * own_change > 0 && std::fabs(a - b) >= 0.5 * std::fabs(own_change)) {
          confounder = "its dependency " + callee + "'s latency moved by " + role_value("latency", a - b) + " too";
        }
        break;
      }
    }
  }
  for (SignalId s : signals_with_role(in.shard, service, "throughput")) {
    if (!confounder.empty()) break;
    const double load_before = mean_over(in, s, e.time - win.before, e.time);
    const double load_after = mean_over(in, s, e.time + win.settle, window_end);
    if (load_before > 0 && (load_after >= 1.3 * load_before || load_after <= load_before / 1.3)) {
      confounder = "its load moved from " + role_value("throughput", load_before) + " to " + role_value("throughput", load_after);
    }
    break;
  }
  const double after_mean = model ? model->after : mean_of(after);
  const double relief = reference > 0 ? 1 - after_mean / reference : 0;
  v.relief = relief;
  v.evidence.push_back({"latency_before_s", reference});
  v.evidence.push_back({"latency_after_s", after_mean});
  // Errors around it.
  double err_before = kNaN, err_after = kNaN;
  for (SignalId s : signals_with_role(in.shard, service, "errors")) {
    const auto eb = points(in.shard, s, e.time - win.before, e.time);
    const auto ea = points(in.shard, s, e.time + win.settle, e.time + win.settle + win.after);
    if (eb.empty() || ea.empty()) continue;
    err_before = up ? level_before(eb) : mean_of(eb);
    err_after = mean_of(ea);
    break;
  }
  v.evidence.push_back({"error_ratio_before", err_before});
  v.evidence.push_back({"error_ratio_after", err_after});
  const bool errors_worse = confounder.empty() && !std::isnan(err_before) && !std::isnan(err_after) &&
                            err_after - err_before >= th.harmful_error_points;
  if (!confounder.empty()) v.evidence.push_back({"confounded", 1});
  const bool negligible = std::fabs(after_mean - reference) < th.min_latency_change_s;
  // Time to relief: the first step at least `effective_relief` below the reference.
  if (up && !negligible) {
    std::vector<Point> since;
    in.shard.signal_points(lat, e.time, e.time + win.settle + win.after, since);
    for (const Point& p : since) {
      if (p.value <= (1 - th.effective_relief) * reference) {
        v.time_to_relief_s = static_cast<double>(std::max<TimeNs>(0, p.time + in.shard.config().step - e.time)) / 1e9;
        break;
      }
    }
  }
  const std::string lat_text =
      "p95 latency " + role_value("latency", reference) +
      (model ? " had it kept " + fixed(model->from_replicas, 0) + " replicas (at up to " +
                   fixed(model->peak_utilisation * 100, 0) + " % of their capacity)"
             : "") +
      " -> " + role_value("latency", after_mean);
  const std::string confounded = confounder.empty() ? "" : " (" + confounder + " overlaps the window)";
  if (up) {
    if (errors_worse || (confounder.empty() && !negligible && relief <= th.harmful_relief)) {
      v.value = "harmful";
      v.sentence = e.type + " of " + e.service + " made things worse: " + lat_text +
                   (errors_worse ? ", errors " + role_value("errors", err_before) + " -> " + role_value("errors", err_after) : "");
    } else if (!negligible && relief >= th.effective_relief) {
      v.value = "effective";
      v.sentence = e.type + " of " + e.service + " relieved latency by " + fixed(relief * 100, 0) + " %: " + lat_text +
                   (v.time_to_relief_s ? ", relief after " + human_duration(static_cast<TimeNs>(*v.time_to_relief_s * 1e9)) : "");
    } else {
      v.value = "ineffective";
      v.sentence = e.type + " of " + e.service + " did not change latency much: " + lat_text + confounded;
    }
  } else {
    // Without the model: what moved every service (the end of a surge of
    // traffic, the time of day) is not the scale-down's doing: its relative
    // change is taken net of the mean relative change of services it does
    // not touch (the first kMaxControls of them). The model compares the
    // same load on both replica counts, so what else moved is not in its
    // relief.
    double control_change = 0;
    std::size_t controls = 0;
    const std::vector<StringId>& near = neighbours(in, service);
    for (StringId other : in.shard.services()) {
      if (model || controls >= kMaxControls) break;
      if (other == 0 || other == service || contains(near, other)) continue;
      for (SignalId c : signals_with_role(in.shard, other, "latency")) {
        const double b = mean_over(in, c, e.time - win.before, e.time);
        const double a = mean_over(in, c, e.time + win.settle, e.time + win.settle + win.after);
        if (b > 0 && std::isfinite(a)) {
          control_change += a / b - 1;
          ++controls;
        }
        break;
      }
    }
    const double net_relief = controls == 0 ? relief : relief + control_change / static_cast<double>(controls);
    if (controls > 0) v.evidence.push_back({"latency_change_of_controls", control_change / static_cast<double>(controls)});
    const bool slower = model ? !negligible && relief <= th.harmful_relief
                              : confounder.empty() && !negligible && net_relief <= th.harmful_relief &&
                                    (1 - net_relief) * reference - reference >= th.min_latency_change_s;
    if (errors_worse || slower) {
      v.value = "harmful";
      v.sentence = "scale_down of " + e.service + " was followed by a regression: " + lat_text;
    } else {
      v.value = "effective";
      v.sentence = "scale_down of " + e.service + " saved capacity without hurting latency: " + lat_text + confounded;
    }
  }
}

void judge_failure(const EnrichInput& in, const Event& e, const WindowSpec& win, EnrichedEvent& out) {
  const VerdictThresholds& th = in.config.thresholds;
  const Shard& shard = in.shard;
  Verdict& v = out.verdict;
  v.kind = "failure";
  const StringId service = shard.strings().find(e.service);
  const StringId pod = shard.strings().find(e.pod);
  const TimeNs from = e.time - win.before;
  // Memory: the pod's own series when the event names one, else the service's.
  std::vector<Point> mem;
  for (SignalId s : signals_with_role(shard, service, "memory")) {
    if (pod != 0) {
      for (stream::SeriesId series : shard.series_of(s)) {
        if (shard.pod_of(series) == pod) shard.series_points(series, from, e.time + shard.config().step, mem);
      }
    }
    if (mem.empty()) shard.signal_points(s, from, e.time + shard.config().step, mem);
    if (!mem.empty()) break;
  }
  double limit = attribute_number(e, "memory_limit_bytes").value_or(kNaN);
  if (std::isnan(limit)) {
    for (SignalId s : signals_with_role(shard, service, "memory_limit")) {
      const auto l = points(shard, s, from, e.time + shard.config().step);
      if (!l.empty()) limit = l.back().value;
    }
  }
  if (!mem.empty() && limit > 0) {
    double peak = 0;
    for (const Point& p : mem) peak = std::max(peak, p.value);
    const double ratio = peak / limit;
    const double slope = theil_sen_slope(mem);  // bytes per second
    const TimeNs span = mem.back().time - mem.front().time + shard.config().step;
    v.evidence.push_back({"memory_peak_bytes", peak});
    v.evidence.push_back({"memory_limit_bytes", limit});
    v.evidence.push_back({"memory_ratio_max", ratio});
    v.evidence.push_back({"memory_slope_bytes_per_s", slope});
    if (ratio >= th.memory_exhaustion_ratio) {
      v.value = "memory_exhaustion";
      v.sentence = "memory at " + fixed(ratio * 100, 0) + " % of its " + human_bytes(limit) + " limit" +
                   (slope > 0 ? " and rising " + human_bytes(slope * 60) + "/min for " + human_duration(span) : "") +
                   " before the " + e.type;
      return;
    }
  }
  // CPU against its limit, when a cpu_limit role is configured.
  for (SignalId s : signals_with_role(shard, service, "cpu")) {
    const auto cpu = points(shard, s, from, e.time + shard.config().step);
    for (SignalId l : signals_with_role(shard, service, "cpu_limit")) {
      const auto lim = points(shard, l, from, e.time + shard.config().step);
      if (cpu.empty() || lim.empty() || !(lim.back().value > 0)) continue;
      double peak = 0;
      for (const Point& p : cpu) peak = std::max(peak, p.value);
      const double ratio = peak / lim.back().value;
      v.evidence.push_back({"cpu_ratio_max", ratio});
      if (ratio >= th.cpu_saturation_ratio) {
        v.value = "cpu_saturation";
        v.sentence = "CPU at " + fixed(ratio * 100, 0) + " % of its limit before the " + e.type;
        return;
      }
    }
  }
  // A dependency that went wrong first.
  for (const std::string& callee : in.graph.callees(e.service)) {
    ServiceDeviation scratch;
    const ServiceDeviation& d = deviation_between(in, shard.strings().find(callee), from, e.time, scratch);
    if (d.deviated) {
      v.value = "dependency_failure";
      v.sentence = "its dependency " + callee + " went wrong first: " + d.role + " at " + fixed(d.ratio, 1) +
                   "x its baseline from " + clock_time(d.onset);
      v.evidence.push_back({"dependency_ratio", d.ratio});
      return;
    }
  }
  if (e.type == "oom_killed" && mem.empty()) {
    // The kernel's own verdict, without samples to show the climb.
    v.value = "memory_exhaustion";
    v.sentence = "killed for exceeding its memory limit; no memory samples of " + e.service + " to show the climb";
    return;
  }
  v.value = "unknown";
  v.sentence = "no memory, CPU or dependency evidence explains the " + e.type + " of " + e.service;
}

void judge_provisioning(const EnrichInput& in, const Event& e, const std::optional<ProvisioningOutcome>& outcome,
                        EnrichedEvent& out) {
  Verdict& v = out.verdict;
  v.kind = "provisioning";
  if (!outcome) {
    v.value = "observed";
    v.sentence = e.type + (e.service.empty() ? "" : " for " + e.service);
    return;
  }
  if (!outcome->ready) {
    v.value = "unfulfilled";
    v.sentence = std::to_string(outcome->added) + " of " + std::to_string(outcome->requested) +
                 " requested nodes arrived within " + human_duration(in.config.thresholds.provisioning_max_wait);
    return;
  }
  const TimeNs delay = *outcome->ready - e.time;
  v.value = "delayed";
  v.delay_s = static_cast<double>(delay) / 1e9;
  // Throughput lost: the shortfall against the forecast from before the
  // request, summed over the steps until the nodes were there.
  const Shard& shard = in.shard;
  const StringId service = shard.strings().find(e.service);
  const double step_s = static_cast<double>(shard.config().step) / 1e9;
  double lost = 0;
  bool measured = false;
  for (SignalId s : signals_with_role(shard, service, "throughput")) {
    const auto history = points(shard, s, e.time - shard.config().history, e.time);
    const auto during = points(shard, s, e.time, *outcome->ready);
    if (history.size() < 3 || during.empty()) continue;
    const Forecast cf = forecast_mean(history, e.time, *outcome->ready);
    if (std::isnan(cf.mean)) continue;
    for (const Point& p : during) lost += std::max(0.0, cf.mean - p.value) * step_s;
    measured = true;
    v.evidence.push_back({"throughput_expected", cf.mean});
    v.evidence.push_back({"throughput_during", mean_of(during)});
    break;
  }
  if (measured) v.requests_lost = lost;
  v.evidence.push_back({"nodes_requested", static_cast<double>(outcome->requested)});
  v.sentence = std::to_string(outcome->requested) + (outcome->requested == 1 ? " node" : " nodes") + " took " +
               human_duration(delay) + " to arrive" +
               (measured ? "; about " + fixed(lost, 0) + " requests of " + e.service + " were lost meanwhile" : "");
}

void judge_change(const EnrichInput& in, const Event& e, EnrichedEvent& out) {
  const VerdictThresholds& th = in.config.thresholds;
  Verdict& v = out.verdict;
  v.kind = e.category == Category::change ? "change" : "other";
  const SignalImpact* lat = first_with_role(out, "latency");
  const SignalImpact* err = first_with_role(out, "errors");
  const bool slower = lat != nullptr && lat->change_abs >= th.min_latency_change_s &&
                      lat->change_rel >= -th.harmful_relief;
  const bool faster = lat != nullptr && -lat->change_abs >= th.min_latency_change_s &&
                      -lat->change_rel >= th.effective_relief;
  const bool more_errors = err != nullptr && err->change_abs >= th.harmful_error_points;
  if (lat == nullptr && err == nullptr) {
    v.value = "unknown";
    v.sentence = "no latency or error samples of " + e.service + " around the " + e.type;
  } else if (slower || more_errors) {
    v.value = "regression";
    v.sentence = e.type + " of " + e.service + " was followed by " +
                 (slower ? "p95 latency " + role_value("latency", lat->before.mean) + " -> " + role_value("latency", lat->after.mean) : "") +
                 (slower && more_errors ? " and " : "") +
                 (more_errors ? "errors " + role_value("errors", err->before.mean) + " -> " + role_value("errors", err->after.mean) : "");
  } else if (faster) {
    v.value = "improvement";
    v.sentence = e.type + " of " + e.service + " was followed by lower latency: " +
                 role_value("latency", lat->before.mean) + " -> " + role_value("latency", lat->after.mean);
  } else {
    v.value = "no_change";
    v.sentence = "latency and errors of " + e.service + " stayed where they were after the " + e.type;
  }
  (void)in;
}

}  // namespace eventlens::correlate::enrich_detail
