#include "stream/shard.h"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "stream/log_template.h"

namespace eventlens::stream {

namespace {

constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();

std::uint64_t hash_text(std::string_view s) { return XXH3_64bits(s.data(), s.size()); }

const std::string* find_label(const Labels& labels, std::string_view name) {
  for (const auto& [k, v] : labels) {
    if (k == name) return &v;
  }
  return nullptr;
}

// The identity of a sample's series, as bytes: a 4-byte tag (the spec it
// feeds, and whether as a ratio's denominator), the metric name, then
// "\0" name "=" value per label. The bytes after the tag are laid out once
// per sample, and each route the sample feeds hashes them with its own tag.
// XXH3 gives the same digest for the same bytes in one call as streamed piece
// by piece, so the keys are those the streamed form gave (checkpoints hold them).
class SeriesIdentity {
 public:
  explicit SeriesIdentity(const MetricSample& m) : m_(m) {}
  XXH128_hash_t hash(std::uint32_t tag) {
    if (size_ == 0) lay_out();
    if (size_ <= sizeof bytes_) {
      std::memcpy(bytes_, &tag, sizeof tag);
      return XXH3_128bits(bytes_, size_);
    }
    // Too long for the buffer (very many or very long labels): streamed.
    XXH3_state_t state;
    XXH3_128bits_reset(&state);
    XXH3_128bits_update(&state, &tag, sizeof tag);
    XXH3_128bits_update(&state, m_.name.data(), m_.name.size());
    for (const auto& [k, v] : m_.labels) {
      XXH3_128bits_update(&state, "\0", 1);
      XXH3_128bits_update(&state, k.data(), k.size());
      XXH3_128bits_update(&state, "=", 1);
      XXH3_128bits_update(&state, v.data(), v.size());
    }
    return XXH3_128bits_digest(&state);
  }

 private:
  void lay_out() {
    size_ = sizeof(std::uint32_t) + m_.name.size();
    for (const auto& [k, v] : m_.labels) size_ += 2 + k.size() + v.size();
    if (size_ > sizeof bytes_) return;
    char* at = bytes_ + sizeof(std::uint32_t);
    std::memcpy(at, m_.name.data(), m_.name.size());
    at += m_.name.size();
    for (const auto& [k, v] : m_.labels) {
      *at++ = '\0';
      std::memcpy(at, k.data(), k.size());
      at += k.size();
      *at++ = '=';
      std::memcpy(at, v.data(), v.size());
      at += v.size();
    }
  }

  const MetricSample& m_;
  std::size_t size_ = 0;
  char bytes_[512];
};

// Every selector of `match` holds in `labels` (both sorted by name).
bool labels_match(const Labels& labels, const Labels& match) {
  for (const auto& [k, v] : match) {
    const std::string* have = find_label(labels, k);
    if (have == nullptr || *have != v) return false;
  }
  return true;
}

double parse_le(std::string_view text) {
  if (text == "+Inf" || text == "Inf" || text == "inf") return std::numeric_limits<double>::infinity();
  double v = std::numeric_limits<double>::quiet_NaN();
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

std::string time_text(TimeNs t) {
  std::string s;
  append_rfc3339(s, t);
  return s;
}

// Prometheus' histogram_quantile: linear interpolation inside the bucket the
// rank falls in; buckets sorted by upper bound, counts cumulative.
double histogram_quantile(std::vector<std::pair<double, double>>& buckets, double q) {
  std::sort(buckets.begin(), buckets.end());
  if (buckets.empty() || !std::isinf(buckets.back().first)) return std::numeric_limits<double>::quiet_NaN();
  const double total = buckets.back().second;
  if (!(total > 0)) return std::numeric_limits<double>::quiet_NaN();
  const double rank = q * total;
  double prev_bound = 0, prev_count = 0;
  for (const auto& [bound, count] : buckets) {
    if (count >= rank) {
      if (std::isinf(bound)) return prev_bound;  // the highest finite bound
      if (count == prev_count) return bound;
      return prev_bound + (bound - prev_bound) * (rank - prev_count) / (count - prev_count);
    }
    prev_bound = bound;
    prev_count = count;
  }
  return prev_bound;
}

}  // namespace

Shard::Shard(StreamConfig config, ShardObserver& observer)
    : config_(std::move(config)), observer_(observer), watermark_(config_.max_out_of_orderness, config_.all_idle_reaches_newest) {
  if (config_.step_offset) {
    step_offset_ = *config_.step_offset % config_.step;
    phase_fixed_ = true;
  }
  ring_len_ = std::max<std::int64_t>(4, (config_.series_window + config_.step - 1) / config_.step + 2);
  history_len_ = std::max<std::int64_t>(ring_len_, (config_.history + config_.step - 1) / config_.step);
  for (std::size_t i = 0; i < config_.signals.size(); ++i) {
    const SignalSpec& spec = config_.signals[i];
    const auto index = static_cast<std::uint16_t>(i);
    if (!spec.placed_by.empty() && placement_label_.empty()) placement_label_ = spec.placed_by;
    if (spec.kind == SeriesKind::histogram) {
      // The key views into the spec strings, which live as long as the shard;
      // the bucket name is interned so that its storage is stable too.
      const std::string_view name = strings_.name(strings_.intern(spec.metric + "_bucket"));
      routes_[name].push_back({index, false});
    } else {
      routes_[spec.metric].push_back({index, false});
      if (!spec.ratio_of.empty()) routes_[spec.ratio_of].push_back({index, true});
    }
  }
}

std::size_t Shard::add_input() {
  context_inputs_.push_back(false);
  return watermark_.add_input();
}

std::size_t Shard::add_context_input() {
  context_inputs_.push_back(true);
  return watermark_.add_input();
}

void Shard::heartbeat(std::size_t input, TimeNs t) {
  watermark_.observe(input, t);
  advance();
}

void Shard::set_idle(std::size_t input, bool idle) {
  watermark_.set_idle(input, idle);
  advance();
}

void Shard::start_at(TimeNs t) {
  // The first steps stay open for records up to the allowed lateness behind
  // the first one.
  started_ = true;
  final_until_step_ = step_index(t - config_.max_out_of_orderness);
}

void Shard::adopt_phase(TimeNs sample_time) {
  phase_fixed_ = true;
  const TimeNs whole_second = floor_div(sample_time, kSecond) * kSecond;
  const TimeNs offset = whole_second - floor_div(whole_second, config_.step) * config_.step;
  if (offset == step_offset_) return;
  // The steps already final held no signal: the first step of the new grid
  // is the one holding the old boundary, so no time is left out.
  const TimeNs boundary = final_until();
  step_offset_ = offset;
  final_until_step_ = step_index(boundary);
}

void Shard::push(std::size_t input, const Record& record) {
  ++counters_.records;
  if (!started_) {
    switch (record.index()) {
      case 0: start_at(std::get<Event>(record).time); break;
      case 1: start_at(std::get<MetricSample>(record).time); break;
      case 2: start_at(std::get<LogRecord>(record).time); break;
      default: start_at(std::get<Span>(record).start); break;
    }
  }
  switch (record.index()) {
    case 0: push_event(input, std::get<Event>(record), record); break;
    case 1: push_sample(input, std::get<MetricSample>(record), record); break;
    case 2: push_log(input, std::get<LogRecord>(record), record); break;
    case 3: push_span(input, std::get<Span>(record), record); break;
    default: break;
  }
  advance();
}

void Shard::dead_letter(const Record& r, std::string field, std::string reason) {
  ++counters_.dead_letters;
  observer_.on_dead_letter(r, make_error(std::move(field), std::move(reason)));
}

bool Shard::admit(std::size_t input, TimeNs t, const Record& r, TimeNs oldest_usable) {
  const TimeNs wm = watermark_.current();
  if (wm != kNoTime && t < wm) {
    if (t < oldest_usable) {
      dead_letter(r, "time",
                  "late: " + time_text(t) + " is behind the watermark " + time_text(wm) +
                      " and older than the state it would join (" + time_text(oldest_usable) + ")");
      return false;
    }
    ++counters_.late;
  }
  watermark_.observe(input, t);
  return true;
}

ServiceContext& Shard::context_for(StringId service) {
  auto it = contexts_.find(service);
  if (it == contexts_.end()) {
    it = contexts_.emplace(service, ServiceContext{Ring<LogEntry>(config_.max_logs_per_service),
                                                  Ring<SpanEntry>(config_.max_spans_per_service),
                                                  Ring<SpanEntry>(),
                                                  Ring<EventEntry>(config_.max_events_per_service),
                                                  {}, 0})
             .first;
    service_order_.push_back(service);
  }
  return it->second;
}

const ServiceContext* Shard::context(StringId service) const {
  auto it = contexts_.find(service);
  return it == contexts_.end() ? nullptr : &it->second;
}

const EventEntry* Shard::latest_event(StringId service, TimeNs from, TimeNs to,
                                      std::initializer_list<Category> categories) const {
  const ServiceContext* ctx = context(service);
  if (ctx == nullptr) return nullptr;
  for (std::size_t i = ctx->events.size(); i-- > 0;) {
    const EventEntry& e = ctx->events[i];
    if (e.time < from) break;
    if (e.time > to) continue;
    for (Category c : categories) {
      if (e.category == c) return &e;
    }
  }
  return nullptr;
}

void Shard::push_event(std::size_t input, const Event& e, const Record& r) {
  const TimeNs wm = watermark_.current();
  const TimeNs oldest = wm == kNoTime ? kNoTime : wm - config_.history;
  const bool late = wm != kNoTime && e.time < wm;
  if (!admit(input, e.time, r, oldest)) return;
  ServiceContext& ctx = context_for(strings_.intern(e.service));
  // An id already kept is the same event again (at-least-once producers
  // retry): judged once. The kept events are the shard's state, so the ids
  // seen follow it into checkpoints and restores.
  if (!e.id.empty()) {
    for (std::size_t i = ctx.events.size(); i-- > 0;) {
      if (ctx.events[i].id == e.id) {
        ++counters_.duplicate_events;
        return;
      }
    }
  }
  ++counters_.events;
  ctx.last_seen = std::max(ctx.last_seen, e.time);
  EventEntry& slot = ctx.events.push_slot();
  slot.time = e.time;
  slot.category = e.category;
  slot.severity = e.severity;
  slot.id = e.id;
  slot.type = e.type;
  slot.pod = e.pod;
  slot.node = e.node;
  if (input < context_inputs_.size() && context_inputs_[input]) {
    observer_.on_context_event(e);
  } else {
    observer_.on_event(e, late);
  }
}

void Shard::push_log(std::size_t input, const LogRecord& l, const Record& r) {
  const TimeNs wm = watermark_.current();
  if (l.service.empty()) return dead_letter(r, "service", "missing: a log must name its service to be joined");
  if (!admit(input, l.time, r, wm == kNoTime ? kNoTime : wm - config_.series_window)) return;
  ++counters_.logs;
  ServiceContext& ctx = context_for(strings_.intern(l.service));
  ctx.last_seen = std::max(ctx.last_seen, l.time);
  // Info and debug lines are the bulk of logs and tell little about a failure.
  if (l.severity < Severity::warning) return;
  LogEntry& slot = ctx.logs.push_slot();
  slot.time = l.time;
  slot.severity = l.severity;
  slot.template_hash = log_template_hash(l.body);
  slot.body = l.body;
  slot.trace_id = l.trace_id;
}

void Shard::push_span(std::size_t input, const Span& s, const Record& r) {
  const TimeNs wm = watermark_.current();
  if (s.service.empty()) return dead_letter(r, "service", "missing: a span must name its service to be joined");
  if (s.end < s.start) return dead_letter(r, "end", "before start");
  if (!admit(input, s.start, r, wm == kNoTime ? kNoTime : wm - config_.series_window)) return;
  ++counters_.spans;
  const StringId service = strings_.intern(s.service);
  ServiceContext& ctx = context_for(service);
  ctx.last_seen = std::max(ctx.last_seen, s.start);
  Ring<SpanEntry>* ring = &ctx.spans;
  if (!is_request_span(s.kind)) {
    if (ctx.calls.empty()) ctx.calls = Ring<SpanEntry>(config_.max_spans_per_service);
    ring = &ctx.calls;
  }
  SpanEntry& slot = ring->push_slot();
  slot.start = s.start;
  slot.end = s.end;
  slot.status = s.status;
  slot.kind = s.kind;
  slot.name = s.name;
  slot.trace_id = s.trace_id;
  slot.span_id = s.span_id;
  remember_span(s, service);
}

void Shard::remember_span(const Span& s, StringId service) {
  if (span_generation_start_ == kNoTime) span_generation_start_ = s.start;
  if (s.start - span_generation_start_ > config_.series_ttl) {
    span_generations_[1] = std::move(span_generations_[0]);
    span_generations_[0] = SpanGeneration{};
    span_generation_start_ = s.start;
  }
  const std::uint64_t self = hash_text(s.trace_id) ^ (hash_text(s.span_id) * 0x9E3779B97F4A7C15ull);
  auto add_edge = [&](StringId caller, StringId callee) {
    if (caller != callee) ++call_edges_[edge_key(caller, callee)];
  };
  if (!s.parent_span_id.empty()) {
    const std::uint64_t parent = hash_text(s.trace_id) ^ (hash_text(s.parent_span_id) * 0x9E3779B97F4A7C15ull);
    bool found = false;
    for (const SpanGeneration& g : span_generations_) {
      if (auto it = g.services.find(parent); it != g.services.end()) {
        add_edge(it->second, service);
        found = true;
        break;
      }
    }
    if (!found) span_generations_[0].orphans.emplace(parent, service);
  }
  span_generations_[0].services[self] = service;
  for (SpanGeneration& g : span_generations_) {
    auto [first, last] = g.orphans.equal_range(self);
    for (auto it = first; it != last; ++it) add_edge(service, it->second);
    g.orphans.erase(first, last);
  }
}

StringId Shard::service_of_labels(const Labels& labels) const {
  for (const std::string& name : config_.service_labels) {
    if (const std::string* v = find_label(labels, name); v != nullptr && !v->empty()) {
      return const_cast<Interner&>(strings_).intern(*v);
    }
  }
  return 0;
}

SignalId Shard::signal_for(StringId service, std::uint16_t spec) {
  const std::uint64_t key = (std::uint64_t{service} << 16) | spec;
  auto it = signal_index_.find(key);
  if (it != signal_index_.end()) return it->second;
  const auto id = static_cast<SignalId>(signals_.size());
  Signal& sig = signals_.emplace_back();
  sig.service = service;
  sig.spec = spec;
  sig.history.assign(static_cast<std::size_t>(history_len_), kMissing);
  signal_index_.emplace(key, id);
  context_for(service).signals.push_back(id);
  return id;
}

Result<SeriesId> Shard::series_for(const MetricSample& m, StringId service, const NameRoute& route,
                                   const SeriesKey& key) {
  const SignalSpec& spec = config_.signals[route.spec];
  if (auto it = series_index_.find(key); it != series_index_.end()) return it->second;
  if (series_index_.size() >= config_.max_series) {
    return make_error("labels", "series limit reached (" + std::to_string(config_.max_series) +
                                    " live series): a new series of " + m.name + " was refused");
  }
  SeriesId id;
  if (!free_series_.empty()) {
    id = free_series_.back();
    free_series_.pop_back();
  } else {
    id = static_cast<SeriesId>(series_.size());
    series_.emplace_back();
    series_.back().ring = static_cast<std::uint32_t>(ring_pool_.size());
    ring_pool_.resize(ring_pool_.size() + static_cast<std::size_t>(ring_len_), kMissing);
  }
  Series& s = series_[id];
  const std::uint32_t ring = s.ring;
  s = Series{};
  s.ring = ring;
  s.key = key;
  s.live = true;
  s.denominator = route.denominator;
  s.signal = signal_for(service, route.spec);
  if (const std::string* pod = find_label(m.labels, "pod")) s.pod = strings_.intern(*pod);
  if (!placement_label_.empty() && service_of_labels(m.labels) == service) {
    if (const std::string* v = find_label(m.labels, placement_label_); v != nullptr && !v->empty()) {
      s.place = strings_.intern(*v);
      place(s.place, service, +1);
    }
  }
  if (spec.kind == SeriesKind::histogram) {
    const std::string* le = find_label(m.labels, "le");
    if (le == nullptr) {
      s.live = false;
      free_series_.push_back(id);
      return make_error("labels.le", "missing on a histogram bucket of " + m.name);
    }
    s.le = parse_le(*le);
    // The bucket set: every label but `le`.
    std::uint64_t g = hash_text(m.name) ^ (std::uint64_t{s.signal} << 1);
    for (const auto& [k, v] : m.labels) {
      if (k != "le") g = g * 0x100000001B3ull ^ hash_text(k) ^ (hash_text(v) << 1);
    }
    auto [it, added] = histogram_groups_.emplace(g, static_cast<std::uint32_t>(histogram_groups_.size()));
    s.group = it->second;
  }
  series_index_.emplace(key, id);
  ++series_changes_;
  signals_[s.signal].members.push_back(id);
  return id;
}

void Shard::push_sample(std::size_t input, const MetricSample& m, const Record& r) {
  auto route_it = routes_.find(m.name);
  if (route_it == routes_.end()) {
    // Not read by any signal: it still moves event time forward.
    ++counters_.samples_unmatched;
    watermark_.observe(input, m.time);
    return;
  }
  const StringId service = service_of_labels(m.labels);
  // A sample of a place (a node's CPU: no service label) is read for every
  // service with pods there, when a signal reads its metric so.
  StringId place = 0;
  if (service == 0 && !placement_label_.empty()) {
    if (const std::string* v = find_label(m.labels, placement_label_); v != nullptr && !v->empty()) {
      place = strings_.find(*v);
    }
  }
  const std::vector<StringId> placed_for = place != 0 ? services_at(place) : std::vector<StringId>{};
  if (service == 0 && placed_for.empty()) {
    ++counters_.samples_unmatched;
    watermark_.observe(input, m.time);
    return;
  }
  if (!phase_fixed_) adopt_phase(m.time);
  const std::int64_t step = step_index(m.time);
  if (step < final_until_step_) {
    dead_letter(r, "time",
                "late: " + time_text(m.time) + " falls in a step that was final at watermark " +
                    time_text(watermark_.current()));
    return;
  }
  if (!std::isfinite(m.value)) {
    // NaN is how summaries say "no observations"; it carries no value.
    watermark_.observe(input, m.time);
    return;
  }
  if (m.time < watermark_.current()) ++counters_.late;
  watermark_.observe(input, m.time);
  ++counters_.samples;
  SeriesIdentity identity(m);
  for (const NameRoute& route : route_it->second) {
    const SignalSpec& spec = config_.signals[route.spec];
    if (!route.denominator && !labels_match(m.labels, spec.match)) continue;
    // A service's own sample feeds the signals that are not placed; a
    // place's sample the placed ones, once for each service there.
    if ((service == 0) != !spec.placed_by.empty()) continue;
    const XXH128_hash_t h = identity.hash(route.spec * 2u + (route.denominator ? 1u : 0u));
    const std::span<const StringId> owners = service != 0 ? std::span<const StringId>(&service, 1)
                                                          : std::span<const StringId>(placed_for);
    for (const StringId owner : owners) {
    // A placed series is one per service: its key mixes in the service.
    const SeriesKey key = service != 0 ? SeriesKey{h.low64, h.high64}
                                       : SeriesKey{h.low64 ^ (std::uint64_t{owner} * 0x9E3779B97F4A7C15ull), h.high64};
    auto id = series_for(m, owner, route, key);
    if (!id.ok()) {
      dead_letter(r, id.error().field, id.error().reason);
      return;
    }
    series_[*id].placed = service == 0;
    Series& s = series_[*id];
    if (s.last_time != kNoTime && m.time <= s.last_time) {
      dead_letter(r, "time",
                  "out of order for its series: " + time_text(m.time) + " is not after " +
                      time_text(s.last_time));
      return;
    }
    const bool rate = spec.kind != SeriesKind::gauge || route.denominator;
    if (rate) {
      if (s.last_time != kNoTime) {
        const double dt = static_cast<double>(m.time - s.last_time) / 1e9;
        // A counter that went down was reset (a restart): it counted from zero.
        const double delta = m.value >= s.last_raw ? m.value - s.last_raw : m.value;
        write_series(s, step, static_cast<float>(delta / dt));
      }
      s.last_raw = m.value;
    } else {
      write_series(s, step, static_cast<float>(m.value));
    }
    s.last_time = m.time;
    }
  }
}

void Shard::write_series(Series& s, std::int64_t step, float value) {
  float* ring = ring_pool_.data() + s.ring;
  if (!s.ring_started) {
    std::fill(ring, ring + ring_len_, kMissing);
    s.ring_started = true;
    s.newest_step = step;
  } else if (step > s.newest_step) {
    const std::int64_t gap = std::min(step - s.newest_step, ring_len_);
    for (std::int64_t i = 1; i <= gap; ++i) ring[(s.newest_step + i) % ring_len_] = kMissing;
    s.newest_step = step;
  }
  ring[step % ring_len_] = value;
}

float Shard::series_slot(const Series& s, std::int64_t step) const {
  if (!s.live || !s.ring_started || step > s.newest_step || step <= s.newest_step - ring_len_) return kMissing;
  return ring_pool_[s.ring + static_cast<std::size_t>(step % ring_len_)];
}

double Shard::compute_signal(const Signal& sig, std::int64_t step) const {
  const SignalSpec& spec = config_.signals[sig.spec];
  double value = std::numeric_limits<double>::quiet_NaN();
  if (spec.kind == SeriesKind::histogram) {
    // Per bucket set: the quantile of the buckets' rates; then combined.
    std::vector<std::pair<std::uint32_t, std::pair<double, double>>> buckets;
    for (SeriesId id : sig.members) {
      const float v = series_slot(series_[id], step);
      if (!std::isnan(v)) buckets.push_back({series_[id].group, {series_[id].le, v}});
    }
    std::sort(buckets.begin(), buckets.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<double> per_group;
    std::vector<std::pair<double, double>> one;
    for (std::size_t i = 0; i < buckets.size();) {
      std::size_t j = i;
      one.clear();
      while (j < buckets.size() && buckets[j].first == buckets[i].first) one.push_back(buckets[j++].second);
      const double q = histogram_quantile(one, spec.quantile);
      if (!std::isnan(q)) per_group.push_back(q);
      i = j;
    }
    if (per_group.empty()) return value;
    double acc = spec.aggregate == Aggregate::min ? per_group[0] : 0;
    for (double q : per_group) {
      switch (spec.aggregate) {
        case Aggregate::sum:
        case Aggregate::mean: acc += q; break;
        case Aggregate::max: acc = std::max(acc, q); break;
        case Aggregate::min: acc = std::min(acc, q); break;
      }
    }
    value = spec.aggregate == Aggregate::mean ? acc / static_cast<double>(per_group.size()) : acc;
  } else if (!spec.ratio_of.empty()) {
    double num = 0, den = 0;
    bool any_num = false;
    for (SeriesId id : sig.members) {
      const float v = series_slot(series_[id], step);
      if (std::isnan(v)) continue;
      if (series_[id].denominator) {
        den += v;
      } else {
        num += v;
        any_num = true;
      }
    }
    if (den > 0) value = any_num ? num / den : 0.0;
  } else {
    std::size_t n = 0;
    double acc = 0;
    for (SeriesId id : sig.members) {
      const float v = series_slot(series_[id], step);
      if (std::isnan(v)) continue;
      if (n == 0 && spec.aggregate != Aggregate::sum && spec.aggregate != Aggregate::mean) acc = v;
      switch (spec.aggregate) {
        case Aggregate::sum:
        case Aggregate::mean: acc += v; break;
        case Aggregate::max: acc = std::max<double>(acc, v); break;
        case Aggregate::min: acc = std::min<double>(acc, v); break;
      }
      ++n;
    }
    if (n > 0) value = spec.aggregate == Aggregate::mean ? acc / static_cast<double>(n) : acc;
  }
  return std::isnan(value) ? value : spec.offset + spec.scale * value;
}

void Shard::advance() {
  if (!started_) return;
  const TimeNs wm = watermark_.current();
  if (wm == kNoTime) return;
  // Most records leave the watermark inside the first open step: then no
  // step ends, and no division is needed to tell.
  if (TimeNs next_end; !__builtin_mul_overflow(final_until_step_ + 1, config_.step, &next_end) &&
                       !__builtin_add_overflow(next_end, step_offset_, &next_end) && wm < next_end) {
    return;
  }
  const std::int64_t until = step_index(wm);  // steps before it have ended
  while (final_until_step_ < until) finalize_step(final_until_step_++);
}

void Shard::flush() {
  for (std::size_t i = 0; i < watermark_.inputs(); ++i) watermark_.set_idle(i, true);
  if (!started_) return;
  // Event time reaches the newest record: its step ends too.
  const std::int64_t until = step_index(watermark_.newest()) + 1;
  while (final_until_step_ < until) finalize_step(final_until_step_++);
}

void Shard::finalize_step(std::int64_t step) {
  for (Signal& sig : signals_) {
    const double v = sig.members.empty() ? std::numeric_limits<double>::quiet_NaN() : compute_signal(sig, step);
    if (!sig.has_history) {
      sig.has_history = true;
      sig.newest_step = step - 1;
    }
    const std::int64_t gap = std::min<std::int64_t>(step - sig.newest_step, history_len_);
    for (std::int64_t i = 1; i < gap; ++i) sig.history[static_cast<std::size_t>((step - i) % history_len_)] = kMissing;
    sig.history[static_cast<std::size_t>(step % history_len_)] = static_cast<float>(v);
    sig.newest_step = step;
  }
  // Sweep expired series once per series_window of event time.
  const std::int64_t sweep_every = std::max<std::int64_t>(1, ring_len_);
  if (step % sweep_every == 0) expire_series();
  observer_.on_step(step_start(step));
}

void Shard::expire_series() {
  const TimeNs horizon = final_until() - config_.series_ttl;
  for (SeriesId id = 0; id < series_.size(); ++id) {
    Series& s = series_[id];
    if (!s.live || s.last_time >= horizon) continue;
    s.live = false;
    series_index_.erase(s.key);
    ++series_changes_;
    if (s.place != 0) place(s.place, signals_[s.signal].service, -1);
    auto& members = signals_[s.signal].members;
    members.erase(std::remove(members.begin(), members.end(), id), members.end());
    free_series_.push_back(id);
    ++counters_.series_expired;
  }
}

std::pair<std::int64_t, std::int64_t> Shard::history_steps(const Signal& sig, TimeNs from, TimeNs to) const {
  const std::int64_t first = step_index(from + config_.step - 1);
  const std::int64_t last = std::min(step_index(to + config_.step - 1) - 1, sig.newest_step);
  return {std::max(first, sig.newest_step - history_len_ + 1), last};
}

void Shard::signal_points(SignalId id, TimeNs from, TimeNs to, std::vector<Point>& out) const {
  const Signal& sig = signals_[id];
  if (!sig.has_history) return;
  const auto [first, last] = history_steps(sig, from, to);
  for (std::int64_t k = first; k <= last; ++k) {
    const float v = sig.history[static_cast<std::size_t>(k % history_len_)];
    if (!std::isnan(v)) out.push_back({step_start(k), v});
  }
}

double Shard::signal_mean(SignalId id, TimeNs from, TimeNs to) const {
  const Signal& sig = signals_[id];
  if (!sig.has_history) return std::numeric_limits<double>::quiet_NaN();
  const auto [first, last] = history_steps(sig, from, to);
  double sum = 0;
  std::size_t n = 0;
  for (std::int64_t k = first; k <= last; ++k) {
    const float v = sig.history[static_cast<std::size_t>(k % history_len_)];
    if (std::isnan(v)) continue;
    sum += static_cast<double>(v);
    ++n;
  }
  return n == 0 ? std::numeric_limits<double>::quiet_NaN() : sum / static_cast<double>(n);
}

double Shard::signal_value(SignalId id, TimeNs step_start) const {
  const Signal& sig = signals_[id];
  const std::int64_t k = step_index(step_start);
  if (!sig.has_history || k > sig.newest_step || k <= sig.newest_step - history_len_) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return sig.history[static_cast<std::size_t>(k % history_len_)];
}

std::vector<SeriesId> Shard::series_of(SignalId id) const {
  std::vector<SeriesId> out;
  for (SeriesId s : signals_[id].members) {
    if (!series_[s].denominator) out.push_back(s);
  }
  return out;
}

void Shard::place(StringId where, StringId service, int delta) {
  auto& here = placement_[where];
  for (auto it = here.begin(); it != here.end(); ++it) {
    if (it->first != service) continue;
    if (delta > 0) {
      ++it->second;
    } else if (--it->second == 0) {
      here.erase(it);
    }
    return;
  }
  if (delta > 0) here.push_back({service, 1});
}

std::vector<StringId> Shard::services_at(StringId where) const {
  std::vector<StringId> out;
  if (auto it = placement_.find(where); it != placement_.end()) {
    for (const auto& [service, series] : it->second) out.push_back(service);
  }
  return out;
}

std::vector<StringId> Shard::places_of(StringId service) const {
  std::vector<StringId> out;
  for (const auto& [where, services] : placement_) {
    for (const auto& entry : services) {
      if (entry.first == service) out.push_back(where);
    }
  }
  return out;
}

bool Shard::has_own_series(SignalId id) const {
  for (SeriesId s : signals_[id].members) {
    if (!series_[s].denominator) return true;
  }
  return false;
}

void Shard::series_points(SeriesId id, TimeNs from, TimeNs to, std::vector<Point>& out) const {
  const Series& s = series_[id];
  const std::int64_t first = step_index(from + config_.step - 1);
  const std::int64_t last = step_index(to + config_.step - 1) - 1;
  for (std::int64_t k = first; k <= last; ++k) {
    const float v = series_slot(s, k);
    if (!std::isnan(v)) out.push_back({step_start(k), v});
  }
}

std::size_t Shard::state_bytes() const {
  std::size_t bytes = sizeof(*this);
  bytes += series_.capacity() * sizeof(Series) + ring_pool_.capacity() * sizeof(float);
  // flat_hash_map: a slot (key and value) and a control byte per capacity.
  bytes += series_index_.capacity() * (sizeof(decltype(series_index_)::value_type) + 1);
  for (const Signal& sig : signals_) {
    bytes += sizeof(Signal) + sig.members.capacity() * sizeof(SeriesId) + sig.history.capacity() * sizeof(float);
  }
  for (const auto& [id, ctx] : contexts_) {
    bytes += sizeof(ctx) + ctx.logs.capacity() * sizeof(LogEntry) + (ctx.spans.capacity() + ctx.calls.capacity()) * sizeof(SpanEntry) +
             ctx.events.capacity() * sizeof(EventEntry);
    for (std::size_t i = 0; i < ctx.logs.size(); ++i) bytes += ctx.logs[i].body.capacity();
  }
  return bytes;
}

}  // namespace eventlens::stream
