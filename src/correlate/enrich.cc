#include "correlate/enrich.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "correlate/deviation.h"
#include "correlate/phrases.h"
#include "stream/log_template.h"

namespace eventlens::correlate {

// The memo's maps, for the functions below (EnrichMemo keeps them private
// from everyone else).
struct MemoAccess {
  static auto& impacts(EnrichMemo& m) { return m.impacts_; }
  static auto& means(EnrichMemo& m) { return m.means_; }
  static auto& forecasters(EnrichMemo& m) { return m.forecasters_; }
  static auto& deviations(EnrichMemo& m) { return m.deviations_; }
  static auto& spans(EnrichMemo& m) { return m.spans_; }
  static auto& logs(EnrichMemo& m) { return m.logs_; }
  static auto& nearby(EnrichMemo& m) { return m.nearby_; }
  static auto& neighbours(EnrichMemo& m) { return m.neighbours_; }
};

namespace {

// The value of `map` under `key`, computed by `compute` the first time.
template <typename Map, typename Compute>
auto& memoized(Map& map, const typename Map::key_type& key, Compute&& compute) {
  auto it = map.find(key);
  if (it == map.end()) it = map.emplace(key, compute()).first;
  return it->second;
}

}  // namespace

std::size_t EnrichMemo::KeyHash::operator()(const Key& k) const {
  std::uint64_t h = (std::uint64_t{k.id} << 32 | k.kind) * 0x9E3779B97F4A7C15ull;
  for (const TimeNs b : k.bounds) h = (h ^ static_cast<std::uint64_t>(b)) * 0xBF58476D1CE4E5B9ull;
  return static_cast<std::size_t>(h ^ (h >> 31));
}

void EnrichMemo::validate(const Stamp& stamp) {
  if (stamp == stamp_) return;
  // clear() wipes the whole bucket array even when there is nothing in it,
  // and with provisional records this runs for every event.
  const auto forget = [](auto& map) {
    if (!map.empty()) map.clear();
  };
  forget(impacts_);
  forget(means_);
  forget(forecasters_);
  forget(deviations_);
  forget(spans_);
  forget(logs_);
  forget(nearby_);
  forget(neighbours_);
  stamp_ = stamp;
}

namespace {

using stream::Shard;
using stream::SignalId;
using stream::StringId;

constexpr TimeNs kMinute = 60 * stream::kSecond;
// Difference in differences uses at most this many untouched services.
constexpr std::size_t kMaxControls = 16;

std::vector<SignalId> signals_with_role(const Shard& shard, StringId service, std::string_view role) {
  std::vector<SignalId> out;
  if (const stream::ServiceContext* ctx = shard.context(service)) {
    for (SignalId s : ctx->signals) {
      if (shard.spec(s).role == role) out.push_back(s);
    }
  }
  return out;
}

std::vector<Point> points(const Shard& shard, SignalId s, TimeNs from, TimeNs to) {
  std::vector<Point> out;
  shard.signal_points(s, from, to, out);
  return out;
}

double mean_of(const std::vector<Point>& pts) {
  double sum = 0;
  std::size_t n = 0;
  for (const Point& p : pts) {
    if (std::isnan(p.value)) continue;
    sum += p.value;
    ++n;
  }
  return n == 0 ? kNaN : sum / static_cast<double>(n);
}

// The level just before the event: the median of the last few points, the
// state the decision was taken in.
double level_before(const std::vector<Point>& before) {
  if (before.empty()) return kNaN;
  const std::size_t n = std::min<std::size_t>(4, before.size());
  std::vector<double> v;
  for (std::size_t i = before.size() - n; i < before.size(); ++i) v.push_back(before[i].value);
  return quantile_of(v, 0.5);
}

std::optional<double> attribute_number(const Event& e, std::string_view name) {
  for (const auto& [k, v] : e.attributes) {
    if (k != name) continue;
    if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    if (const auto* d = std::get_if<double>(&v)) return *d;
    if (const auto* s = std::get_if<std::string>(&v)) {
      char* end = nullptr;
      const double x = std::strtod(s->c_str(), &end);
      if (end != s->c_str()) return x;
    }
  }
  return std::nullopt;
}

// The step starts bounding what an event's windows read: a window [a, b)
// reads the steps starting in it, which are those from the first boundary at
// or after a up to the first at or after b. Events whose bounds align alike
// read the same steps, and share their measurements through the memo.
TimeNs boundary_at_or_after(const Shard& shard, TimeNs t) {
  const TimeNs step = shard.config().step;
  return -Shard::floor_div(-t, step) * step;
}

struct MeasureWindows {
  TimeNs before_from, event, after_from, after_to, history_from;
};

MeasureWindows windows_of(const Shard& shard, const Event& e, const WindowSpec& win) {
  const TimeNs after_from = e.time + win.settle;
  return {boundary_at_or_after(shard, e.time - win.before), boundary_at_or_after(shard, e.time),
          boundary_at_or_after(shard, after_from), boundary_at_or_after(shard, after_from + win.after),
          boundary_at_or_after(shard, e.time - shard.config().history)};
}

// The service itself and its direct callers and callees, as the shard's ids
// (those it has seen): what an event touches directly.
std::vector<StringId> neighbourhood_ids(const EnrichInput& in, StringId service) {
  std::vector<StringId> out;
  if (service == 0) return out;
  for (const auto& [name, hops] : in.graph.neighbourhood(in.shard.strings().name(service), 1)) {
    if (const StringId sid = in.shard.strings().find(name); sid != 0) out.push_back(sid);
  }
  return out;
}

const std::vector<StringId>& neighbours(const EnrichInput& in, StringId service) {
  static const std::vector<StringId> kNone;
  if (service == 0) return kNone;
  if (in.memo == nullptr) {
    thread_local std::vector<StringId> scratch;  // valid until the next call
    return scratch = neighbourhood_ids(in, service);
  }
  return memoized(MemoAccess::neighbours(*in.memo), service, [&] { return neighbourhood_ids(in, service); });
}

bool contains(const std::vector<StringId>& ids, StringId id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); }

// The mean of a signal over the steps starting in [from, to), shared through
// the memo: the controls of every service's difference in differences read
// the same windows of the same signals.
double mean_over(const EnrichInput& in, SignalId sig, TimeNs from, TimeNs to) {
  from = boundary_at_or_after(in.shard, from);
  to = boundary_at_or_after(in.shard, to);
  auto compute = [&] {
    thread_local std::vector<Point> buffer;
    buffer.clear();
    in.shard.signal_points(sig, from, to, buffer);
    return mean_of(buffer);
  };
  if (in.memo == nullptr) return compute();
  return memoized(MemoAccess::means(*in.memo), {sig, 0, {from, to, 0, 0, 0}}, compute);
}

// The forecast of a signal over the after window from its history before
// the event; the fit is shared by the windows of every event category.
Forecast forecast_over(const EnrichInput& in, SignalId sig, const MeasureWindows& w) {
  if (in.memo == nullptr) return forecast_mean(points(in.shard, sig, w.history_from, w.event), w.after_from, w.after_to);
  Forecaster& forecaster = memoized(MemoAccess::forecasters(*in.memo), {sig, 0, {w.history_from, w.event, 0, 0, 0}},
                                    [&] { return Forecaster(points(in.shard, sig, w.history_from, w.event)); });
  return forecaster.mean_over(w.after_from, w.after_to);
}

SignalImpact measure_signal(const EnrichInput& in, SignalId sig, const MeasureWindows& w, bool provisional) {
  const Shard& shard = in.shard;
  const stream::SignalSpec& spec = shard.spec(sig);
  SignalImpact m;
  m.role = spec.role;
  m.metric = spec.metric;
  m.service = shard.strings().name(shard.service_of(sig));
  const auto before = points(shard, sig, w.before_from, w.event);
  m.before = summarize(before);
  if (provisional) return m;
  const auto after = points(shard, sig, w.after_from, w.after_to);
  m.after = summarize(after);
  m.change_abs = m.after.mean - m.before.mean;
  m.change_rel = m.before.mean != 0 ? m.change_abs / std::fabs(m.before.mean) : kNaN;
  m.test = shift_test(before, after);
  m.counterfactual = forecast_over(in, sig, w);
  m.impact_vs_counterfactual = m.after.mean - m.counterfactual.mean;
  m.impact_vs_counterfactual_rel =
      m.counterfactual.mean != 0 ? m.impact_vs_counterfactual / std::fabs(m.counterfactual.mean) : kNaN;
  // Controls: the same signal of services the event did not touch (not
  // the service, not its direct callers or callees); the first kMaxControls
  // in order of appearance, which bounds the cost per event in large systems.
  std::vector<std::pair<double, double>> controls;
  const std::vector<StringId>& near = neighbours(in, shard.service_of(sig));
  for (StringId other : shard.services()) {
    if (controls.size() >= kMaxControls) break;
    if (other == 0 || contains(near, other)) continue;
    const stream::ServiceContext* ctx = shard.context(other);
    if (ctx == nullptr) continue;
    for (SignalId c : ctx->signals) {
      if (&shard.spec(c) != &spec) continue;
      controls.push_back({mean_over(in, c, w.before_from, w.event), mean_over(in, c, w.after_from, w.after_to)});
    }
  }
  m.did = difference_in_differences(m.before.mean, m.after.mean, controls);
  return m;
}

SignalImpact measure(const EnrichInput& in, SignalId sig, const Event& e, const WindowSpec& win, bool provisional) {
  const MeasureWindows w = windows_of(in.shard, e, win);
  if (in.memo == nullptr) return measure_signal(in, sig, w, provisional);
  return memoized(MemoAccess::impacts(*in.memo),
                  {sig, provisional ? 1u : 0u, {w.before_from, w.event, w.after_from, w.after_to, w.history_from}},
                  [&] { return measure_signal(in, sig, w, provisional); });
}

// How `service` behaved over [from, to) (on whole steps, like the windows),
// shared through the memo; `scratch` holds it when there is no memo.
const ServiceDeviation& deviation_between(const EnrichInput& in, StringId service, TimeNs from, TimeNs to,
                                          ServiceDeviation& scratch) {
  from = boundary_at_or_after(in.shard, from);
  to = boundary_at_or_after(in.shard, to);
  if (in.memo == nullptr) return scratch = service_deviation(in.shard, in.config, service, from, to);
  return memoized(MemoAccess::deviations(*in.memo), {service, 0, {from, to, 0, 0, 0}},
                  [&] { return service_deviation(in.shard, in.config, service, from, to); });
}

// Keeps the `limit` best of the items offered (best = first in `before`
// order), in order: a bounded heap, so that scanning a full ring costs one
// comparison per item rather than a copy and a sort of all of them.
template <typename T, typename Before>
class TopN {
 public:
  TopN(std::size_t limit, Before before) : limit_(limit), before_(before) { items_.reserve(limit); }
  void offer(const T& item) {
    if (limit_ == 0) return;
    if (items_.size() < limit_) {
      items_.push_back(item);
      std::push_heap(items_.begin(), items_.end(), before_);
    } else if (before_(item, items_.front())) {
      std::pop_heap(items_.begin(), items_.end(), before_);
      items_.back() = item;
      std::push_heap(items_.begin(), items_.end(), before_);
    }
  }
  // The items kept, best first.
  std::vector<T> take() {
    std::sort_heap(items_.begin(), items_.end(), before_);
    return std::move(items_);
  }

 private:
  std::size_t limit_;
  Before before_;
  std::vector<T> items_;  // a max-heap under `before`: the worst kept on top
};

using LogGroup = EnrichMemo::LogGroup;

// The lines of a service in [from, to), one group per template, ordered by
// template hash.
std::vector<LogGroup> log_groups(const EnrichInput& in, StringId service, TimeNs from, TimeNs to) {
  std::vector<LogGroup> groups;
  const stream::ServiceContext* ctx = in.shard.context(service);
  if (ctx == nullptr) return groups;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> lines;  // (template, ring index): oldest first per template
  for (std::size_t i = 0; i < ctx->logs.size(); ++i) {
    const stream::LogEntry& l = ctx->logs[i];
    if (l.time >= from && l.time < to) lines.emplace_back(l.template_hash, static_cast<std::uint32_t>(i));
  }
  std::sort(lines.begin(), lines.end());
  for (const auto& [hash, i] : lines) {
    const stream::LogEntry& l = ctx->logs[i];
    if (groups.empty() || groups.back().hash != hash) groups.push_back({hash, &l, l.severity, l.time, l.time, {}});
    LogGroup& g = groups.back();
    g.first = std::min(g.first, l.time);
    g.last = std::max(g.last, l.time);
    g.severity = std::max(g.severity, l.severity);
    g.times.push_back(l.time);
  }
  for (LogGroup& g : groups) std::sort(g.times.begin(), g.times.end());
  return groups;
}

// The top_logs templates around `t`: the most severe, then the closest to
// it, then the most frequent.
void collect_logs(const EnrichInput& in, StringId service, TimeNs from, TimeNs to, TimeNs t, EnrichedEvent& out) {
  std::vector<LogGroup> own;
  const std::vector<LogGroup>* groups = &own;
  if (in.memo != nullptr) {
    groups = &memoized(MemoAccess::logs(*in.memo), {service, 0, {from, to, 0, 0, 0}},
                       [&] { return log_groups(in, service, from, to); });
  } else {
    own = log_groups(in, service, from, to);
  }
  struct Ranked {
    const LogGroup* group;
    TimeNs closest;
  };
  const auto before = [](const Ranked& a, const Ranked& b) {
    if (a.group->severity != b.group->severity) return a.group->severity > b.group->severity;
    if (a.closest != b.closest) return a.closest < b.closest;
    if (a.group->times.size() != b.group->times.size()) return a.group->times.size() > b.group->times.size();
    return a.group->hash < b.group->hash;
  };
  TopN<Ranked, decltype(before)> top(in.config.top_logs, before);
  for (const LogGroup& g : *groups) {
    const auto at = std::lower_bound(g.times.begin(), g.times.end(), t);
    TimeNs closest = std::numeric_limits<TimeNs>::max();
    if (at != g.times.end()) closest = *at - t;
    if (at != g.times.begin()) closest = std::min(closest, t - *(at - 1));
    top.offer({&g, closest});
  }
  for (const Ranked& r : top.take()) {
    const LogGroup& g = *r.group;
    LogEvidence ev;
    ev.example = g.example->body;
    stream::append_log_template(ev.example, ev.template_text);
    ev.severity = g.severity;
    ev.count = g.times.size();
    ev.first = g.first;
    ev.last = g.last;
    ev.trace_id = g.example->trace_id;
    out.logs.push_back(std::move(ev));
  }
}

// The failing spans of a service in [from, to) first, then the slowest; at
// most top_spans.
std::vector<SpanEvidence> top_spans(const EnrichInput& in, StringId service, TimeNs from, TimeNs to) {
  std::vector<SpanEvidence> out;
  const stream::ServiceContext* ctx = in.shard.context(service);
  if (ctx == nullptr) return out;
  const auto before = [](const stream::SpanEntry* a, const stream::SpanEntry* b) {
    const bool ea = a->status == SpanStatus::error, eb = b->status == SpanStatus::error;
    if (ea != eb) return ea;
    const TimeNs da = a->end - a->start, db = b->end - b->start;
    if (da != db) return da > db;
    return a->span_id < b->span_id;
  };
  TopN<const stream::SpanEntry*, decltype(before)> top(in.config.top_spans, before);
  for (std::size_t i = 0; i < ctx->spans.size(); ++i) {
    const stream::SpanEntry& s = ctx->spans[i];
    if (s.start >= from && s.start < to) top.offer(&s);
  }
  for (const stream::SpanEntry* s : top.take()) {
    out.push_back({s->name, s->trace_id, s->span_id, s->start, static_cast<double>(s->end - s->start) / 1e9, s->status});
  }
  return out;
}

void collect_spans(const EnrichInput& in, StringId service, TimeNs from, TimeNs to, EnrichedEvent& out) {
  if (in.memo == nullptr) {
    out.spans = top_spans(in, service, from, to);
    return;
  }
  out.spans = memoized(MemoAccess::spans(*in.memo), {service, 0, {from, to, 0, 0, 0}},
                       [&] { return top_spans(in, service, from, to); });
}

// Up to this many related events, the nearest in time first.
constexpr std::size_t kMaxRelated = 10;

using NearbyEvent = EnrichMemo::NearbyEvent;

// The events in [from, to) of the service, its direct callers and callees,
// and the cluster's own (node events, id 0), in time order.
std::vector<NearbyEvent> nearby_events(const EnrichInput& in, StringId service, TimeNs from, TimeNs to) {
  const Shard& shard = in.shard;
  std::vector<NearbyEvent> out;
  const auto by_time = [](const NearbyEvent& a, const NearbyEvent& b) { return a.time < b.time; };
  // Each ring holds its service's events in arrival order, which is time
  // order but for late ones: each is sorted if needed, then merged in.
  auto scan = [&](StringId sid) {
    const stream::ServiceContext* ctx = shard.context(sid);
    if (ctx == nullptr) return;
    const std::string& name = shard.strings().name(sid);
    const auto run = static_cast<std::ptrdiff_t>(out.size());
    for (std::size_t i = 0; i < ctx->events.size(); ++i) {
      const stream::EventEntry& r = ctx->events[i];
      if (r.time >= from && r.time < to) out.push_back({r.time, &r, &name});
    }
    if (!std::is_sorted(out.begin() + run, out.end(), by_time)) std::stable_sort(out.begin() + run, out.end(), by_time);
    std::inplace_merge(out.begin(), out.begin() + run, out.end(), by_time);
  };
  scan(0);
  for (const StringId sid : neighbours(in, service)) scan(sid);
  return out;
}

void collect_related(const EnrichInput& in, const Event& e, TimeNs from, TimeNs to, EnrichedEvent& out) {
  const StringId service = in.shard.strings().find(e.service);
  const auto before = [&](const NearbyEvent& a, const NearbyEvent& b) {
    const TimeNs da = std::llabs(a.time - e.time), db = std::llabs(b.time - e.time);
    if (da != db) return da < db;
    if (a.entry->id != b.entry->id) return a.entry->id < b.entry->id;
    return *a.service < *b.service;
  };
  TopN<NearbyEvent, decltype(before)> top(kMaxRelated, before);
  auto offer = [&](auto first, auto last) {
    for (auto it = first; it != last; ++it) {
      if (!(it->time == e.time && it->entry->id == e.id)) top.offer(*it);
    }
  };
  if (in.memo == nullptr) {
    const std::vector<NearbyEvent> all = nearby_events(in, service, from, to);
    offer(all.begin(), all.end());
  } else {
    // Shared by the events of the step, in time order: the nearest
    // kMaxRelated lie among the kMaxRelated + 1 nearest on either side of the
    // event's time (one more for the event itself), ties included.
    const std::vector<NearbyEvent>& all = memoized(MemoAccess::nearby(*in.memo), {service, 0, {from, to, 0, 0, 0}},
                                                   [&] { return nearby_events(in, service, from, to); });
    const auto mid = std::lower_bound(all.begin(), all.end(), e.time,
                                      [](const NearbyEvent& a, TimeNs t) { return a.time < t; });
    auto left = mid, right = mid;
    for (std::size_t n = 0; left != all.begin() && (n <= kMaxRelated || (left - 1)->time == left->time); ++n) --left;
    for (std::size_t n = 0; right != all.end() && (n <= kMaxRelated || right->time == (right - 1)->time); ++n) ++right;
    offer(left, right);
  }
  const std::vector<NearbyEvent> shown = top.take();
  out.related.reserve(shown.size());
  for (const NearbyEvent& c : shown) out.related.push_back({c.entry->id, c.entry->type, *c.service, c.time});
}

const SignalImpact* first_with_role(const EnrichedEvent& out, std::string_view role) {
  for (const SignalImpact& s : out.signals) {
    if (s.role == role && s.before.n > 0) return &s;
  }
  return nullptr;
}

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
// the durations of its successful spans in [from, to) less those of the spans
// of its callees in the same trace that start within them. A trimmed mean
// (the slowest 5 % left out: a call cut short by its timeout leaves a bogus
// remainder). Empty with fewer than kMinSpans spans.
std::optional<double> own_time(const EnrichInput& in, const std::string& service, TimeNs from, TimeNs to) {
  const Shard& shard = in.shard;
  const stream::ServiceContext* ctx = shard.context(shard.strings().find(service));
  if (ctx == nullptr) return std::nullopt;
  std::unordered_map<std::string_view, std::vector<std::pair<TimeNs, TimeNs>>> calls;
  for (const std::string& callee : in.graph.callees(service)) {
    const stream::ServiceContext* c = shard.context(shard.strings().find(callee));
    for (std::size_t i = 0; c != nullptr && i < c->spans.size(); ++i) {
      const stream::SpanEntry& s = c->spans[i];
      if (s.start >= from && s.start < to) calls[s.trace_id].push_back({s.start, s.end});
    }
  }
  std::vector<double> own;
  for (std::size_t i = 0; i < ctx->spans.size(); ++i) {
    const stream::SpanEntry& s = ctx->spans[i];
    if (s.start < from || s.start >= to || s.status == SpanStatus::error) continue;
    TimeNs t = s.end - s.start;
    if (auto it = calls.find(s.trace_id); it != calls.end()) {
      for (const auto& [start, end] : it->second) {
        if (start >= s.start && start < s.end) t -= end - start;
      }
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
  double after = kNaN;           // mean latency of the after window, as it was
  double counterfactual = kNaN;  // ... had the service kept its replicas
  double capacity_rps = kNaN;    // per ready replica
  double service_time_s = kNaN;  // per request, without waiting or calls
  double peak_utilisation = kNaN;  // on the replicas it had, in the after window
};

// Empty when the event does not say how many replicas the service had and
// the utilisation that prompted it, or throughput, ready replicas or latency
// are missing. The model: each step of the window, the measured latency plus
// the difference of the queueing waits (M/M/c with the measured load and
// ready replicas, plus a backlog where the load exceeds the capacity) on the
// replicas it had and on those it has. The capacity of a replica is the
// throughput per ready replica the autoscaler saw over the utilisation it
// reported (replayed with its averaging window), or less where a backlog
// showed the service serving all it could. The service time comes from the
// spans of the after window (none: no model).
std::optional<ScalingCounterfactual> scaling_counterfactual(const EnrichInput& in, const Event& e,
                                                            const WindowSpec& win, SignalId lat) {
  const Shard& shard = in.shard;
  const StringId service = shard.strings().find(e.service);
  const std::optional<double> from = attribute_number(e, "from_replicas");
  const std::optional<double> util = attribute_number(e, "cpu_utilization_percent");
  if (!from || !util || !(*from >= 1) || !(*util > 0)) return std::nullopt;
  const auto tput = signals_with_role(shard, service, "throughput");
  const auto ready = signals_with_role(shard, service, "replicas");
  const auto queue = signals_with_role(shard, service, "queue_depth");
  if (tput.empty() || ready.empty()) return std::nullopt;
  const TimeNs step = shard.config().step;
  const double step_s = static_cast<double>(step) / 1e9;
  const TimeNs window_end = e.time + win.settle + win.after;
  const TimeNs first_after = shard.step_of(e.time) + step;  // the first step the scaling acted in
  const bool up = e.type != "scale_down";
  ScalingCounterfactual out;
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

// ---- verdicts ----

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
      (model ? " had it kept " + fixed(*attribute_number(e, "from_replicas"), 0) + " replicas (at up to " +
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

}  // namespace

const std::vector<std::string>& roles_for(Category category) {
  static const std::vector<std::string> kScaling = {"latency", "errors", "throughput", "cpu", "replicas", "queue_depth"};
  static const std::vector<std::string> kFailure = {"memory", "memory_limit", "cpu", "latency", "errors", "throughput"};
  static const std::vector<std::string> kProvisioning = {"pending_pods", "throughput", "replicas", "latency", "errors"};
  static const std::vector<std::string> kChange = {"latency", "errors", "throughput", "cpu", "memory"};
  static const std::vector<std::string> kOther = {"latency", "errors", "throughput"};
  switch (category) {
    case Category::scaling: return kScaling;
    case Category::failure: return kFailure;
    case Category::provisioning: return kProvisioning;
    case Category::change: return kChange;
    case Category::other: break;
  }
  return kOther;
}

EnrichedEvent enrich(const EnrichInput& in, const Event& e, bool provisional,
                     const std::optional<ProvisioningOutcome>& provisioning) {
  if (in.memo != nullptr) {
    in.memo->validate({in.shard.final_until(), in.shard.counters().records, in.graph.version()});
  }
  EnrichedEvent out;
  out.provisional = provisional;
  out.event = e;
  const WindowSpec& win = in.config.window_for(e.category);
  // Windows are read in whole steps (see measure): these are their bounds.
  out.window_before = boundary_at_or_after(in.shard, e.time - win.before);
  out.window_after = boundary_at_or_after(in.shard, e.time + win.settle + win.after);
  const Shard& shard = in.shard;
  const StringId service = shard.strings().find(e.service);
  for (const std::string& role : roles_for(e.category)) {
    for (SignalId s : signals_with_role(shard, service, role)) out.signals.push_back(measure(in, s, e, win, provisional));
  }
  const TimeNs context_end = provisional ? e.time + 1 : out.window_after;
  collect_logs(in, service, out.window_before, context_end, e.time, out);
  collect_spans(in, service, out.window_before, context_end, out);
  collect_related(in, e, out.window_before, context_end, out);
  if (provisional) {
    out.verdict.kind = std::string(to_string(e.category));
    out.verdict.value = "pending";
    out.verdict.sentence = "provisional: the after window ends at " + clock_time(out.window_after);
    return out;
  }
  if (e.category == Category::scaling && (e.type == "scale_up" || e.type == "scale_down")) {
    judge_scaling(in, e, win, out);
  } else if (e.category == Category::failure) {
    judge_failure(in, e, win, out);
  } else if (e.category == Category::provisioning) {
    judge_provisioning(in, e, provisioning, out);
  } else {
    judge_change(in, e, out);
  }
  return out;
}

}  // namespace eventlens::correlate
