// Shard::save and Shard::load: the whole keyed state of a shard, written in a
// fixed order and read back exactly (docs/engine.md, "Checkpoints"). Hash
// maps are written sorted, so the same state always gives the same bytes.
// What the constructor derives from the configuration (routes, ring and
// history lengths) is not written; a fingerprint of the configuration is,
// and a checkpoint of another configuration is refused.
#include <xxhash.h>

#include <algorithm>
#include <utility>

#include "stream/shard.h"
#include "stream/state_io.h"

namespace eventlens::stream {

namespace {

// Every setting that shapes the state or what is done with it.
std::uint64_t config_fingerprint(const StreamConfig& c) {
  StateWriter w;
  w.i64(c.step);
  w.boolean(c.step_offset.has_value());
  w.i64(c.step_offset.value_or(0));
  w.i64(c.max_out_of_orderness);
  w.i64(c.idle_timeout);
  // all_idle_reaches_newest is left out: a run mode (bounded or live), not
  // a shape of the state, so that a live task's snapshot may be finished by
  // a bounded run and a backfill's go on live.
  w.i64(c.history);
  w.i64(c.series_ttl);
  w.i64(c.series_window);
  w.u64(c.max_series);
  w.count(c.service_labels.size());
  for (const std::string& l : c.service_labels) w.str(l);
  w.u64(c.max_logs_per_service);
  w.u64(c.max_spans_per_service);
  w.u64(c.max_events_per_service);
  w.boolean(c.derived.spans);
  w.boolean(c.derived.logs);
  w.count(c.signals.size());
  for (const SignalSpec& s : c.signals) {
    w.str(s.role);
    w.str(s.metric);
    w.count(s.match.size());
    for (const auto& [k, v] : s.match) {
      w.str(k);
      w.str(v);
    }
    w.u8(static_cast<std::uint8_t>(s.kind));
    w.u8(static_cast<std::uint8_t>(s.aggregate));
    w.f64(s.quantile);
    w.str(s.ratio_of);
    w.f64(s.scale);
    w.f64(s.offset);
    w.str(s.placed_by);
  }
  const std::string bytes = w.finish();
  return XXH3_64bits(bytes.data(), bytes.size());
}

template <typename E>
E read_enum(StateReader& in, E max, const char* what) {
  const std::uint8_t v = in.u8();
  if (v > static_cast<std::uint8_t>(max)) in.fail(std::string("corrupt: ") + what + " of value " + std::to_string(v));
  return static_cast<E>(v);
}

// A hash map's entries sorted by key: stable bytes for the same state.
template <typename Map>
std::vector<std::pair<typename Map::key_type, typename Map::mapped_type>> sorted(const Map& m) {
  std::vector<std::pair<typename Map::key_type, typename Map::mapped_type>> out(m.begin(), m.end());
  std::sort(out.begin(), out.end());
  return out;
}

void save_item(StateWriter& out, const LogEntry& e) {
  out.i64(e.time);
  out.u8(static_cast<std::uint8_t>(e.severity));
  out.u64(e.template_hash);
  out.str(e.body);
  out.str(e.trace_id);
}

void save_item(StateWriter& out, const SpanEntry& e) {
  out.i64(e.start);
  out.i64(e.end);
  out.u8(static_cast<std::uint8_t>(e.status));
  out.u8(static_cast<std::uint8_t>(e.kind));
  out.str(e.name);
  out.str(e.trace_id);
  out.str(e.span_id);
}

void save_item(StateWriter& out, const EventEntry& e) {
  out.i64(e.time);
  out.u8(static_cast<std::uint8_t>(e.category));
  out.u8(static_cast<std::uint8_t>(e.severity));
  out.str(e.id);
  out.str(e.type);
  out.str(e.pod);
  out.str(e.node);
}

void load_item(StateReader& in, LogEntry& e) {
  e.time = in.i64();
  e.severity = read_enum(in, Severity::critical, "log severity");
  e.template_hash = in.u64();
  e.body = in.str();
  e.trace_id = in.str();
}

void load_item(StateReader& in, SpanEntry& e) {
  e.start = in.i64();
  e.end = in.i64();
  e.status = read_enum(in, SpanStatus::error, "span status");
  e.kind = read_enum(in, SpanKind::consumer, "span kind");
  e.name = in.str();
  e.trace_id = in.str();
  e.span_id = in.str();
}

void load_item(StateReader& in, EventEntry& e) {
  e.time = in.i64();
  e.category = read_enum(in, Category::other, "event category");
  e.severity = read_enum(in, Severity::critical, "event severity");
  e.id = in.str();
  e.type = in.str();
  e.pod = in.str();
  e.node = in.str();
}

template <typename T>
void save_ring(StateWriter& out, const Ring<T>& ring) {
  out.u64(ring.capacity());
  out.u64(ring.head());
  out.count(ring.size());
  for (std::size_t i = 0; i < ring.size(); ++i) save_item(out, ring[i]);
}

// The capacity comes from the configuration; a saved one that differs means
// the checkpoint does not belong to it.
template <typename T>
void load_ring(StateReader& in, Ring<T>& ring, const char* what) {
  const std::uint64_t capacity = in.u64();
  const std::uint64_t head = in.u64();
  const std::size_t n = in.count(8);
  if (in.ok() && capacity != ring.capacity()) {
    in.fail(std::string("corrupt: a ring of ") + what + " holds " + std::to_string(capacity) +
            " items, the configuration says " + std::to_string(ring.capacity()));
  }
  std::vector<T> items(in.ok() ? n : 0);
  for (T& item : items) load_item(in, item);
  if (in.ok() && !ring.restore(static_cast<std::size_t>(head), std::move(items))) {
    in.fail(std::string("corrupt: a ring of ") + what + " does not fit its capacity");
  }
}

}  // namespace

void Shard::save(StateWriter& out) const {
#if defined(__x86_64__) && defined(__GLIBCXX__)
  // A tripwire, not a contract: a member added to the shard's state (or to
  // what it keeps per series, signal or service, or to its configuration)
  // changes these sizes. Whoever adds one saves and loads it here (and in
  // config_fingerprint for a setting), bumps kStateFormatVersion, then the
  // size; a resumed run would otherwise silently differ from one that never
  // stopped. (The interner's last-id cache needs no saving; 1072 and 96:
  // the maps became absl::flat_hash_map, same contents. The ring of calls:
  // format version 5. 1112 and 152: the derived metrics' switches, in the
  // fingerprint; their state is the engine's "derived" part. 1120:
  // series_changes_, a stamp for caches, counted afresh by load. 1192, 184
  // and 80: placement — SignalSpec::placed_by in the fingerprint, a series'
  // place and placed flag saved (format version 9), the placement map
  // rebuilt from them by load. 1208, 160 and 56: all_idle_reaches_newest,
  // a setting in the fingerprint, copied into the watermark tracker by the
  // constructor; format version 10. 1248: context_inputs_, registered again
  // by whoever registers the inputs, like the inputs themselves. 1256 and
  // 80: the duplicate events counter; format version 11.)
  static_assert(sizeof(Shard) == 1256 && sizeof(StreamConfig) == 160 && sizeof(SignalSpec) == 184,
                "Shard changed: update shard_checkpoint.cc");
  static_assert(sizeof(Series) == 80 && sizeof(Signal) == 72 && sizeof(SpanGeneration) == 96,
                "Shard's series, signals or span generations changed: update shard_checkpoint.cc");
  static_assert(sizeof(ServiceContext) == 192 && sizeof(LogEntry) == 88 && sizeof(SpanEntry) == 120 &&
                    sizeof(EventEntry) == 144 && sizeof(ShardCounters) == 80 && sizeof(WatermarkTracker) == 56,
                "A service context, counters or the watermark changed: update shard_checkpoint.cc");
#endif
  out.u64(config_fingerprint(config_));
  out.i64(config_.step);
  out.u64(config_.signals.size());

  const auto& inputs = watermark_.input_states();
  out.count(inputs.size());
  for (const auto& in : inputs) {
    out.i64(in.newest);
    out.boolean(in.idle);
  }
  out.i64(watermark_.current());
  out.i64(watermark_.newest());
  out.i64(final_until_step_);
  out.boolean(started_);
  out.i64(step_offset_);
  out.boolean(phase_fixed_);

  const ShardCounters& c = counters_;
  for (std::uint64_t v : {c.records, c.events, c.samples, c.samples_unmatched, c.logs, c.spans, c.late,
                          c.dead_letters, c.series_expired, c.duplicate_events}) {
    out.u64(v);
  }

  // In id order: interning them again in this order gives the same ids.
  out.count(strings_.size() - 1);  // id 0, the empty string, is always there
  for (StringId id = 1; id < strings_.size(); ++id) out.str(strings_.name(id));

  out.count(signals_.size());
  for (const Signal& sig : signals_) {
    out.u32(sig.service);
    out.u32(sig.spec);
    out.count(sig.members.size());
    for (SeriesId m : sig.members) out.u32(m);
    out.count(sig.history.size());
    for (float v : sig.history) out.f32(v);
    out.i64(sig.newest_step);
    out.boolean(sig.has_history);
  }
  out.count(signal_index_.size());
  for (const auto& [key, id] : sorted(signal_index_)) {
    out.u64(key);
    out.u32(id);
  }
  out.count(histogram_groups_.size());
  for (const auto& [key, group] : sorted(histogram_groups_)) {
    out.u64(key);
    out.u32(group);
  }

  out.count(ring_pool_.size());
  for (float v : ring_pool_) out.f32(v);
  out.count(series_.size());
  for (const Series& s : series_) {
    out.u64(s.key.lo);
    out.u64(s.key.hi);
    out.u32(s.signal);
    out.u32(s.pod);
    out.u32(s.place);
    out.u32(s.group);
    out.boolean(s.denominator);
    out.boolean(s.placed);
    out.boolean(s.live);
    out.boolean(s.ring_started);
    out.f64(s.le);
    out.i64(s.last_time);
    out.f64(s.last_raw);
    out.i64(s.newest_step);
    out.u32(s.ring);
  }
  out.count(free_series_.size());
  for (SeriesId id : free_series_) out.u32(id);
  std::vector<std::pair<SeriesId, SeriesKey>> index;
  for (const auto& [key, id] : series_index_) index.emplace_back(id, key);
  std::sort(index.begin(), index.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  out.count(index.size());
  for (const auto& [id, key] : index) {
    out.u32(id);
    out.u64(key.lo);
    out.u64(key.hi);
  }

  out.count(service_order_.size());
  for (StringId service : service_order_) {
    const ServiceContext& ctx = contexts_.at(service);
    out.u32(service);
    save_ring(out, ctx.logs);
    save_ring(out, ctx.spans);
    out.boolean(!ctx.calls.empty());  // allocated with its first span
    if (!ctx.calls.empty()) save_ring(out, ctx.calls);
    save_ring(out, ctx.events);
    out.count(ctx.signals.size());
    for (SignalId s : ctx.signals) out.u32(s);
    out.i64(ctx.last_seen);
  }

  for (const SpanGeneration& g : span_generations_) {
    out.count(g.services.size());
    for (const auto& [span, service] : sorted(g.services)) {
      out.u64(span);
      out.u32(service);
    }
    out.count(g.orphans.size());
    for (const auto& [parent, service] : sorted(g.orphans)) {
      out.u64(parent);
      out.u32(service);
    }
  }
  out.i64(span_generation_start_);
  out.count(call_edges_.size());
  for (const auto& [edge, calls] : sorted(call_edges_)) {
    out.u64(edge);
    out.u64(calls);
  }
}

Status Shard::load(StateReader& in) {
  if (started_ || counters_.records != 0 || !series_.empty() || !contexts_.empty()) {
    return make_error("checkpoint", "a shard loads a checkpoint only before it has read anything");
  }
  const std::uint64_t fingerprint = in.u64();
  const TimeNs step = in.i64();
  const std::uint64_t specs = in.u64();
  if (!in.ok()) return in.finish();
  if (fingerprint != config_fingerprint(config_)) {
    std::string what = "a setting of the stream configuration differs";
    if (step != config_.step) {
      what = "its step is " + std::to_string(step / kSecond) + " s, this configuration's " +
             std::to_string(config_.step / kSecond) + " s";
    } else if (specs != config_.signals.size()) {
      what = "it reads " + std::to_string(specs) + " signals, this configuration " +
             std::to_string(config_.signals.size());
    }
    return make_error("checkpoint", "made with a different engine configuration (" + what +
                                        "); resume with the configuration it was made with, or start over "
                                        "with an empty state directory");
  }

  const std::size_t inputs = in.count(9);
  if (!in.ok()) return in.finish();
  if (inputs != watermark_.inputs()) {
    return make_error("checkpoint", "made with " + std::to_string(inputs) + " inputs, this run has " +
                                        std::to_string(watermark_.inputs()));
  }
  std::vector<WatermarkTracker::InputState> input_states(inputs);
  for (auto& s : input_states) {
    s.newest = in.i64();
    s.idle = in.boolean();
  }
  const TimeNs wm = in.i64();
  const TimeNs newest = in.i64();
  watermark_.restore(std::move(input_states), wm, newest);
  final_until_step_ = in.i64();
  started_ = in.boolean();
  step_offset_ = in.i64();
  phase_fixed_ = in.boolean();
  if (in.ok() && (step_offset_ < 0 || step_offset_ >= config_.step)) in.fail("corrupt: a step offset out of range");

  ShardCounters& c = counters_;
  for (std::uint64_t* v : {&c.records, &c.events, &c.samples, &c.samples_unmatched, &c.logs, &c.spans, &c.late,
                           &c.dead_letters, &c.series_expired, &c.duplicate_events}) {
    *v = in.u64();
  }

  const std::size_t strings = in.count(8) + 1;
  if (in.ok() && strings < strings_.size()) in.fail("corrupt: fewer strings than the configuration interns");
  for (StringId id = 1; id < strings && in.ok(); ++id) {
    const std::string s = in.str();
    if (in.ok() && strings_.intern(s) != id) in.fail("corrupt: string " + std::to_string(id) + " is a duplicate");
  }
  auto check_string = [&](StringId id) {
    if (id >= strings_.size()) in.fail("corrupt: string id " + std::to_string(id) + " out of range");
    return id;
  };

  const std::size_t signal_count = in.count(4 + 4 + 8 + 8 + 8 + 1);
  signals_.resize(signal_count);
  for (Signal& sig : signals_) {
    if (!in.ok()) break;
    sig.service = check_string(in.u32());
    const std::uint32_t spec = in.u32();
    if (spec >= config_.signals.size()) in.fail("corrupt: signal spec " + std::to_string(spec) + " out of range");
    sig.spec = static_cast<std::uint16_t>(spec);
    sig.members.resize(in.count(4));
    for (SeriesId& m : sig.members) m = in.u32();  // checked against the series below
    const std::size_t history = in.count(4);
    if (in.ok() && history != static_cast<std::size_t>(history_len_)) in.fail("corrupt: signal history length");
    sig.history.resize(in.ok() ? history : 0);
    for (float& v : sig.history) v = in.f32();
    sig.newest_step = in.i64();
    sig.has_history = in.boolean();
  }
  const std::size_t signal_keys = in.count(12);
  for (std::size_t i = 0; i < signal_keys && in.ok(); ++i) {
    const std::uint64_t key = in.u64();
    const SignalId id = in.u32();
    if (id >= signals_.size()) in.fail("corrupt: signal index entry out of range");
    signal_index_.emplace(key, id);
  }
  const std::size_t groups = in.count(12);
  for (std::size_t i = 0; i < groups && in.ok(); ++i) {
    const std::uint64_t key = in.u64();
    histogram_groups_.emplace(key, in.u32());
  }

  ring_pool_.resize(in.count(4));
  for (float& v : ring_pool_) v = in.f32();
  const std::size_t series_count = in.count(8 + 8 + 4 * 4 + 4 + 8 * 4 + 4);
  series_.resize(series_count);
  for (Series& s : series_) {
    if (!in.ok()) break;
    s.key.lo = in.u64();
    s.key.hi = in.u64();
    s.signal = in.u32();
    if (s.signal >= signals_.size()) in.fail("corrupt: a series' signal out of range");
    s.pod = check_string(in.u32());
    s.place = check_string(in.u32());
    s.group = in.u32();
    s.denominator = in.boolean();
    s.placed = in.boolean();
    s.live = in.boolean();
    s.ring_started = in.boolean();
    s.le = in.f64();
    s.last_time = in.i64();
    s.last_raw = in.f64();
    s.newest_step = in.i64();
    s.ring = in.u32();
    if (std::size_t{s.ring} + static_cast<std::size_t>(ring_len_) > ring_pool_.size()) {
      in.fail("corrupt: a series' ring lies outside the ring pool");
    }
  }
  free_series_.resize(in.count(4));
  for (SeriesId& id : free_series_) {
    id = in.u32();
    if (id >= series_.size()) in.fail("corrupt: free series id out of range");
  }
  const std::size_t indexed = in.count(20);
  for (std::size_t i = 0; i < indexed && in.ok(); ++i) {
    const SeriesId id = in.u32();
    SeriesKey key;
    key.lo = in.u64();
    key.hi = in.u64();
    if (id >= series_.size()) in.fail("corrupt: series index entry out of range");
    series_index_.emplace(key, id);
    ++series_changes_;
  }
  // Where services run follows from their live series.
  placement_.clear();
  for (const Series& s : series_) {
    if (s.live && s.place != 0 && s.signal < signals_.size()) place(s.place, signals_[s.signal].service, +1);
  }
  for (const Signal& sig : signals_) {
    for (SeriesId m : sig.members) {
      if (m >= series_.size()) in.fail("corrupt: a signal's member series out of range");
    }
  }

  const std::size_t services = in.count(4);
  for (std::size_t i = 0; i < services && in.ok(); ++i) {
    const StringId service = check_string(in.u32());
    if (contexts_.count(service) != 0) in.fail("corrupt: a service context twice");
    ServiceContext& ctx = context_for(service);  // also appends to service_order_
    load_ring(in, ctx.logs, "logs");
    load_ring(in, ctx.spans, "spans");
    if (in.boolean()) {
      ctx.calls = Ring<SpanEntry>(config_.max_spans_per_service);
      load_ring(in, ctx.calls, "calls");
    }
    load_ring(in, ctx.events, "events");
    ctx.signals.resize(in.count(4));
    for (SignalId& s : ctx.signals) {
      s = in.u32();
      if (s >= signals_.size()) in.fail("corrupt: a context's signal out of range");
    }
    ctx.last_seen = in.i64();
  }

  for (SpanGeneration& g : span_generations_) {
    const std::size_t spans = in.count(12);
    for (std::size_t i = 0; i < spans && in.ok(); ++i) {
      const std::uint64_t span = in.u64();
      g.services.emplace(span, check_string(in.u32()));
    }
    const std::size_t orphans = in.count(12);
    for (std::size_t i = 0; i < orphans && in.ok(); ++i) {
      const std::uint64_t parent = in.u64();
      g.orphans.emplace(parent, check_string(in.u32()));
    }
  }
  span_generation_start_ = in.i64();
  const std::size_t edges = in.count(16);
  for (std::size_t i = 0; i < edges && in.ok(); ++i) {
    const std::uint64_t edge = in.u64();
    check_string(static_cast<StringId>(edge >> 32));
    check_string(static_cast<StringId>(edge & 0xffffffffu));
    call_edges_.emplace(edge, in.u64());
  }
  return in.finish();
}

}  // namespace eventlens::stream
