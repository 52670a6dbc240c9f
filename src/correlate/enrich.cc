#include "correlate/enrich.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>

#include "correlate/deviation.h"
#include "correlate/enrich_detail.h"
#include "correlate/phrases.h"
#include "stream/log_template.h"

namespace eventlens::correlate {

// The memo's maps, for the functions below (EnrichMemo keeps them private
// from everyone else).
struct MemoAccess {
  static auto& impacts(EnrichMemo& m) { return m.impacts_; }
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
  forget(forecasters_);
  forget(deviations_);
  forget(spans_);
  forget(logs_);
  forget(nearby_);
  forget(neighbours_);
  stamp_ = stamp;
}

namespace enrich_detail {

using stream::Shard;
using stream::SignalId;
using stream::StringId;

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
// or after a up to the first at or after b (Shard::boundary_at_or_after).
// Events whose bounds align alike read the same steps, and share their
// measurements through the memo.
struct MeasureWindows {
  TimeNs before_from, event, after_from, after_to, history_from;
};

MeasureWindows windows_of(const Shard& shard, const Event& e, const WindowSpec& win) {
  const TimeNs after_from = e.time + win.settle;
  return {shard.boundary_at_or_after(e.time - win.before), shard.boundary_at_or_after(e.time),
          shard.boundary_at_or_after(after_from), shard.boundary_at_or_after(after_from + win.after),
          shard.boundary_at_or_after(e.time - shard.config().history)};
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

// The mean of a signal over the steps starting in [from, to): the controls
// of a difference in differences. Read straight from the signal's history,
// which costs less than looking it up in the memo would.
double mean_over(const EnrichInput& in, SignalId sig, TimeNs from, TimeNs to) {
  return in.shard.signal_mean(sig, in.shard.boundary_at_or_after(from), in.shard.boundary_at_or_after(to));
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
  const WindowSample before = window_sample(points(shard, sig, w.before_from, w.event));
  m.before = summarize(before);
  if (provisional) return m;
  const WindowSample after = window_sample(points(shard, sig, w.after_from, w.after_to));
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
  from = in.shard.boundary_at_or_after(from);
  to = in.shard.boundary_at_or_after(to);
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
    if (groups.empty() || groups.back().hash != hash) groups.push_back({hash, &l, l.severity, l.time, l.time, {}, {}});
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
  std::vector<LogGroup>* groups = &own;
  if (in.memo != nullptr) {
    groups = &memoized(MemoAccess::logs(*in.memo), {service, 0, {from, to, 0, 0, 0}},
                       [&] { return log_groups(in, service, from, to); });
  } else {
    own = log_groups(in, service, from, to);
  }
  struct Ranked {
    LogGroup* group;
    TimeNs closest;
  };
  const auto before = [](const Ranked& a, const Ranked& b) {
    if (a.group->severity != b.group->severity) return a.group->severity > b.group->severity;
    if (a.closest != b.closest) return a.closest < b.closest;
    if (a.group->times.size() != b.group->times.size()) return a.group->times.size() > b.group->times.size();
    return a.group->hash < b.group->hash;
  };
  TopN<Ranked, decltype(before)> top(in.config.top_logs, before);
  for (LogGroup& g : *groups) {
    const auto at = std::lower_bound(g.times.begin(), g.times.end(), t);
    TimeNs closest = std::numeric_limits<TimeNs>::max();
    if (at != g.times.end()) closest = *at - t;
    if (at != g.times.begin()) closest = std::min(closest, t - *(at - 1));
    top.offer({&g, closest});
  }
  for (const Ranked& r : top.take()) {
    // The memo's groups are shared by the events of the step: the template
    // is built for the first that shows it.
    LogGroup& g = *r.group;
    if (g.template_text.empty()) stream::append_log_template(g.example->body, g.template_text);
    LogEvidence ev;
    ev.example = g.example->body;
    ev.template_text = g.template_text;
    ev.severity = g.severity;
    ev.count = g.times.size();
    ev.first = g.first;
    ev.last = g.last;
    ev.trace_id = g.example->trace_id;
    out.logs.push_back(std::move(ev));
  }
}

// The failing spans of a service in [from, to) first, then the slowest; at
// most top_spans. Of each, the requests it served (is_request_span) before
// its calls: a call failing or slow is its callee's story, told by the
// callee's own spans.
std::vector<SpanEvidence> top_spans(const EnrichInput& in, StringId service, TimeNs from, TimeNs to) {
  std::vector<SpanEvidence> out;
  const stream::ServiceContext* ctx = in.shard.context(service);
  if (ctx == nullptr) return out;
  const auto before = [](const stream::SpanEntry* a, const stream::SpanEntry* b) {
    const bool ea = a->status == SpanStatus::error, eb = b->status == SpanStatus::error;
    if (ea != eb) return ea;
    const bool ra = is_request_span(a->kind), rb = is_request_span(b->kind);
    if (ra != rb) return ra;
    const TimeNs da = a->end - a->start, db = b->end - b->start;
    if (da != db) return da > db;
    return a->span_id < b->span_id;
  };
  TopN<const stream::SpanEntry*, decltype(before)> top(in.config.top_spans, before);
  for (const auto* ring : {&ctx->spans, &ctx->calls}) {
    for (std::size_t i = 0; i < ring->size(); ++i) {
      const stream::SpanEntry& s = (*ring)[i];
      if (s.start >= from && s.start < to) top.offer(&s);
    }
  }
  for (const stream::SpanEntry* s : top.take()) {
    out.push_back({s->name, s->trace_id, s->span_id, s->start, static_cast<double>(s->end - s->start) / 1e9, s->status,
                   s->kind});
  }
  return out;
}

void collect_spans(const EnrichInput& in, StringId service, TimeNs from, TimeNs to, EnrichedEvent& out) {
  const auto compute = [&] {
    return std::make_shared<const std::vector<SpanEvidence>>(top_spans(in, service, from, to));
  };
  out.spans = in.memo == nullptr ? compute() : memoized(MemoAccess::spans(*in.memo), {service, 0, {from, to, 0, 0, 0}}, compute);
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

}  // namespace enrich_detail

using namespace enrich_detail;

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

EnrichedEvent enrich(const EnrichInput& in, Event event, bool provisional,
                     const std::optional<ProvisioningOutcome>& provisioning) {
  if (in.memo != nullptr) {
    in.memo->validate({in.shard.final_until(), in.shard.counters().records, in.graph.version()});
  }
  EnrichedEvent out;
  out.provisional = provisional;
  out.event = std::move(event);
  const Event& e = out.event;
  const WindowSpec& win = in.config.window_for(e.category);
  // Windows are read in whole steps (see measure): these are their bounds.
  out.window_before = in.shard.boundary_at_or_after(e.time - win.before);
  out.window_after = in.shard.boundary_at_or_after(e.time + win.settle + win.after);
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
