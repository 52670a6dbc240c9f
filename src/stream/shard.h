// One shard of the stream engine: the keyed, event-time state of the services
// whose records it receives (in the Kafka mode, the services of its
// partitions). It reads records, advances the watermark, turns matching metric
// samples into per-service signals on fixed steps, keeps recent logs, spans
// and events per service, learns the service graph from traces, and tells its
// observer (correlation) when an event arrives and when a step becomes final.
//
// Records are expected roughly in event-time order per input; see
// docs/engine.md for the late-record policy. Single-threaded: a shard is
// owned by one thread, and its observer is called on that thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "model/records.h"
#include "model/result.h"
#include "stream/config.h"
#include "stream/interner.h"
#include "stream/point.h"
#include "stream/ring.h"
#include "stream/watermark.h"

namespace eventlens::stream {

class StateWriter;
class StateReader;

using SeriesId = std::uint32_t;
using SignalId = std::uint32_t;

// What a shard tells correlation. Calls happen inside Shard::push / flush.
class ShardObserver {
 public:
  virtual ~ShardObserver() = default;
  // An event was stored in its service's context. `late`: it arrived behind
  // the watermark (its before-window is in the past already).
  virtual void on_event(const Event& event, bool late) = 0;
  // An event of a context input (Shard::add_context_input) was stored: it is
  // context for this shard's events and incidents, judged by another shard.
  virtual void on_context_event(const Event& event) { (void)event; }
  // Every signal now has its final value for the step starting at `step_start`.
  virtual void on_step(TimeNs step_start) = 0;
  // A record was refused; it goes to the dead-letter output with `reason`.
  virtual void on_dead_letter(const Record& record, const Error& reason) = 0;
};

struct ShardCounters {
  std::uint64_t records = 0;
  std::uint64_t events = 0;
  std::uint64_t samples = 0;
  std::uint64_t samples_unmatched = 0;  // no signal reads this metric (or no service label)
  std::uint64_t logs = 0;
  std::uint64_t spans = 0;
  std::uint64_t late = 0;               // behind the watermark, still used
  std::uint64_t dead_letters = 0;       // refused
  std::uint64_t series_expired = 0;
  // Events whose id the service's kept events already hold (an upstream
  // producer's retry, a source read twice): dropped, not judged twice.
  std::uint64_t duplicate_events = 0;
};

// A warning-or-worse log line kept for the evidence of events nearby.
struct LogEntry {
  TimeNs time = 0;
  Severity severity = Severity::info;
  std::uint64_t template_hash = 0;  // the body with numbers, ids and quoted text masked
  std::string body;
  std::string trace_id;
};

struct SpanEntry {
  TimeNs start = 0;
  TimeNs end = 0;
  SpanStatus status = SpanStatus::unset;
  SpanKind kind = SpanKind::unspecified;
  std::string name;
  std::string trace_id;
  std::string span_id;
};

struct EventEntry {
  TimeNs time = 0;
  Category category = Category::other;
  Severity severity = Severity::info;
  std::string id;
  std::string type;
  std::string pod;
  std::string node;
};

// What a shard keeps per service besides its signals.
struct ServiceContext {
  Ring<LogEntry> logs;
  Ring<SpanEntry> spans;  // the requests it served (is_request_span)
  // The parts of those requests: its calls and steps (client, producer and
  // internal spans). Kept apart, so that a service making many calls per
  // request keeps as many requests as one making none; allocated with the
  // first such span (capacity 1 until then), as most services in traces
  // without kinds never have one.
  Ring<SpanEntry> calls;
  Ring<EventEntry> events;
  std::vector<SignalId> signals;
  TimeNs last_seen = 0;
};

class Shard {
 public:
  Shard(StreamConfig config, ShardObserver& observer);
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // Registers an input (a file, a partition) and returns its index.
  std::size_t add_input();
  // Registers an input whose records are context only: kept and used like
  // any others (a node's event or metric that another shard owns), but its
  // events are not this shard's to judge (on_context_event, not on_event).
  // Not checkpointed: whoever registers inputs again registers it again.
  std::size_t add_context_input();
  // Reads one record of `input`.
  void push(std::size_t input, const Record& record);
  // The input will send nothing older than `t` (its next record is at `t`,
  // or a live source's heartbeat): event time may move on without a record.
  void heartbeat(std::size_t input, TimeNs t);
  // The input has ended or gone idle (it stops holding the watermark back).
  void set_idle(std::size_t input, bool idle);
  // End of the stream: event time jumps to the newest record seen, and every
  // step up to it becomes final.
  void flush();

  // ---- state, read by correlation ----
  const StreamConfig& config() const { return config_; }
  TimeNs watermark() const { return watermark_.current(); }
  // Steps that start before this are final.
  TimeNs final_until() const { return step_start(final_until_step_); }
  // The oldest step whose final value signals still keep (older ones have
  // been overwritten: signal_points leaves them out).
  TimeNs history_from() const { return step_start(final_until_step_ - history_len_); }
  // The start of the step holding `t`, and the first step start at or after it.
  TimeNs step_of(TimeNs t) const { return step_start(step_index(t)); }
  TimeNs boundary_at_or_after(TimeNs t) const { return step_start(-floor_div(step_offset_ - t, config_.step)); }
  // Where steps start within a step: `step_offset` of the configuration, or
  // the phase of the first metric sample a signal read (0 before it).
  TimeNs step_offset() const { return step_offset_; }
  const ShardCounters& counters() const { return counters_; }
  Interner& strings() { return strings_; }
  const Interner& strings() const { return strings_; }

  // Services with any state, in order of first appearance (id 0: records
  // without a service, e.g. node events).
  const std::vector<StringId>& services() const { return service_order_; }
  const ServiceContext* context(StringId service) const;
  // Returns the newest kept event of `service` in [from, to] whose category
  // is one of `categories`, or nullptr. Events are kept in arrival order,
  // which the inputs' merge by event time makes time order.
  const EventEntry* latest_event(StringId service, TimeNs from, TimeNs to,
                                 std::initializer_list<Category> categories) const;

  std::size_t signal_count() const { return signals_.size(); }
  const SignalSpec& spec(SignalId s) const { return config_.signals[signals_[s].spec]; }
  StringId service_of(SignalId s) const { return signals_[s].service; }
  // Final values of a signal for steps starting in [from, to); missing steps
  // are left out. Appends to `out`.
  void signal_points(SignalId s, TimeNs from, TimeNs to, std::vector<Point>& out) const;
  // The mean of those values (NaN when there are none), summed in time order
  // like the points signal_points returns, without copying them.
  double signal_mean(SignalId s, TimeNs from, TimeNs to) const;
  // The final value at the step starting at `step_start` (NaN when missing).
  double signal_value(SignalId s, TimeNs step_start) const;
  // The services with pods at a place (a node), per the placement label.
  std::vector<StringId> services_at(StringId place) const;
  // The places (nodes) where a service's pods run, in no order.
  std::vector<StringId> places_of(StringId service) const;
  // Live series feeding a signal (denominators of ratios left out).
  std::vector<SeriesId> series_of(SignalId s) const;
  // Whether any does (an error ratio whose failures counter never arrived
  // has only its denominators).
  bool has_own_series(SignalId s) const;
  StringId pod_of(SeriesId series) const { return series_[series].pod; }
  // Per-step values of one series in [from, to), open steps included.
  void series_points(SeriesId series, TimeNs from, TimeNs to, std::vector<Point>& out) const;

  // The service graph learned from traces: caller -> callee, with the
  // number of calls seen.
  const std::unordered_map<std::uint64_t, std::uint64_t>& call_edges() const { return call_edges_; }
  static std::uint64_t edge_key(StringId caller, StringId callee) {
    return (std::uint64_t{caller} << 32) | callee;
  }

  // Bytes of state held (series, rings, signals, contexts), for benchmarks.
  std::size_t state_bytes() const;
  std::size_t live_series() const { return series_index_.size(); }
  // Counts every series that began or expired: what was worked out from
  // the set of series holds while this stays the same (not saved).
  std::uint64_t series_changes() const { return series_changes_; }

  // Checkpoints: the whole state, written and read back exactly
  // (shard_checkpoint.cc, docs/engine.md "Checkpoints"). load() is for a
  // shard that has read nothing yet, built with the same configuration and
  // with the same inputs added; it refuses a checkpoint of another
  // configuration. After an error the shard is half-loaded: discard it.
  void save(StateWriter& out) const;
  Status load(StateReader& in);

  static TimeNs floor_div(TimeNs a, TimeNs b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

 private:
  struct SeriesKey {
    std::uint64_t lo = 0, hi = 0;
    friend bool operator==(const SeriesKey&, const SeriesKey&) = default;
  };
  struct SeriesKeyHash {
    std::size_t operator()(const SeriesKey& k) const { return static_cast<std::size_t>(k.lo ^ (k.hi * 0x9E3779B97F4A7C15ull)); }
  };
  struct Series {
    SeriesKey key;
    SignalId signal = 0;
    StringId pod = 0;
    // A service's own series: the place its samples name (placement label,
    // e.g. `node`), 0 for none. Placed signals' series (a node's CPU read for
    // a service) are marked `placed` and name no place of their own.
    StringId place = 0;
    std::uint32_t group = 0;   // histograms: the bucket set this `le` belongs to
    bool denominator = false;  // the ratio_of counter of an error ratio
    bool placed = false;       // read for a service from a place's sample (SignalSpec::placed_by)
    bool live = false;
    bool ring_started = false;
    double le = 0;             // histograms: the bucket's upper bound
    TimeNs last_time = kNoTime;
    double last_raw = 0;       // counters: the previous raw value
    std::int64_t newest_step = 0;
    std::uint32_t ring = 0;    // offset into ring_pool_
  };
  struct Signal {
    StringId service = 0;
    std::uint16_t spec = 0;
    std::vector<SeriesId> members;
    std::vector<float> history;  // ring over steps, history_len_
    std::int64_t newest_step = 0;
    bool has_history = false;
  };
  // The signals a metric name feeds: (spec, as denominator?).
  struct NameRoute {
    std::uint16_t spec;
    bool denominator;
  };

  void start_at(TimeNs first_record_time);
  // The step grid: step k starts at k x step + step_offset_.
  std::int64_t step_index(TimeNs t) const { return floor_div(t - step_offset_, config_.step); }
  TimeNs step_start(std::int64_t k) const { return k * config_.step + step_offset_; }
  // Without a configured offset, the first sample a signal reads sets the
  // grid's phase (no signal has a step yet, so nothing moves).
  void adopt_phase(TimeNs sample_time);
  void push_event(std::size_t input, const Event& e, const Record& r);
  void push_sample(std::size_t input, const MetricSample& m, const Record& r);
  void push_log(std::size_t input, const LogRecord& l, const Record& r);
  void push_span(std::size_t input, const Span& s, const Record& r);
  void dead_letter(const Record& r, std::string field, std::string reason);
  // Returns false (and dead-letters) when the record is too late to use.
  bool admit(std::size_t input, TimeNs t, const Record& r, TimeNs oldest_usable);
  void advance();
  void finalize_step(std::int64_t step);
  void expire_series();
  ServiceContext& context_for(StringId service);
  StringId service_of_labels(const Labels& labels) const;
  SignalId signal_for(StringId service, std::uint16_t spec);
  Result<SeriesId> series_for(const MetricSample& m, StringId service, const NameRoute& route, const SeriesKey& key);
  void write_series(Series& s, std::int64_t step, float value);
  float series_slot(const Series& s, std::int64_t step) const;
  double compute_signal(const Signal& sig, std::int64_t step) const;
  // The steps of `sig`'s history that start in [from, to): [first, last].
  std::pair<std::int64_t, std::int64_t> history_steps(const Signal& sig, TimeNs from, TimeNs to) const;
  void remember_span(const Span& s, StringId service);

  StreamConfig config_;
  ShardObserver& observer_;
  WatermarkTracker watermark_;
  std::vector<bool> context_inputs_;  // by input: add_context_input's
  std::int64_t final_until_step_ = 0;
  bool started_ = false;
  TimeNs step_offset_ = 0;
  bool phase_fixed_ = false;  // step_offset_ is configured or was taken from a sample
  std::int64_t ring_len_ = 0;
  std::int64_t history_len_ = 0;
  ShardCounters counters_;
  Interner strings_;

  std::unordered_map<std::string_view, std::vector<NameRoute>> routes_;
  absl::flat_hash_map<SeriesKey, SeriesId, SeriesKeyHash> series_index_;
  std::vector<Series> series_;
  std::vector<SeriesId> free_series_;
  std::vector<float> ring_pool_;
  std::unordered_map<std::uint64_t, SignalId> signal_index_;  // (service, spec)
  std::vector<Signal> signals_;
  std::unordered_map<std::uint64_t, std::uint32_t> histogram_groups_;

  std::unordered_map<StringId, ServiceContext> contexts_;
  std::vector<StringId> service_order_;

  // Span id -> service of recent spans, and children waiting for a parent
  // that has not arrived yet; two generations, swapped every series_ttl, so
  // memory stays bounded without per-entry timestamps.
  struct SpanGeneration {
    absl::flat_hash_map<std::uint64_t, StringId> services;
    std::unordered_multimap<std::uint64_t, StringId> orphans;  // parent span -> child service
  };
  std::array<SpanGeneration, 2> span_generations_;
  TimeNs span_generation_start_ = kNoTime;
  std::unordered_map<std::uint64_t, std::uint64_t> call_edges_;
  std::uint64_t series_changes_ = 0;
  // Where services run: place (a node) -> the services with live series
  // naming it, each with how many. Worked out from the series (not saved).
  std::string placement_label_;  // the placed_by of the signals that have one ("" none)
  absl::flat_hash_map<StringId, std::vector<std::pair<StringId, std::uint32_t>>> placement_;
  void place(StringId where, StringId service, int delta);
};

}  // namespace eventlens::stream
