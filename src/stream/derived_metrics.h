// Metrics derived from traces and logs, for services whose metrics do not
// say (many export no usable error counter) and for what only callers see
// (a network delay on a service's pod leaves its own server latency flat).
// As the OpenTelemetry Collector's spanmetrics connector and Tempo's
// metrics-generator derive them, per service: requests and failed requests
// from the spans that stand for requests it served, their durations (count
// and sum, as a summary), the durations its callers' client spans saw of
// calls to it, and error and warning log lines. The counts are cumulative
// counters handed on as ordinary metric samples once per step, so the shard
// reads them as any scraped counter (rates, an error ratio, a mean); the names
// and signals are docs/engine.md's "Signals from traces and logs".
// Single-threaded, on the shard's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "model/records.h"
#include "model/result.h"
#include "model/time.h"
#include "stream/config.h"

namespace eventlens::stream {

class StateWriter;
class StateReader;


// The names of the derived metrics (every sample carries `service`).
inline constexpr const char* kSpanRequestsTotal = "eventlens_span_requests_total";
inline constexpr const char* kSpanErrorsTotal = "eventlens_span_errors_total";
inline constexpr const char* kSpanDurationSum = "eventlens_span_duration_seconds_sum";
inline constexpr const char* kSpanDurationCount = "eventlens_span_duration_seconds_count";
// Calls to the service that its callers' client spans saw fail (as
// kSpanErrorsTotal judges a span), over kCallDurationCount: the errors its
// callers saw, whether or not it counted them itself.
inline constexpr const char* kCallErrorsTotal = "eventlens_call_errors_total";
inline constexpr const char* kCallDurationSum = "eventlens_call_duration_seconds_sum";
inline constexpr const char* kCallDurationCount = "eventlens_call_duration_seconds_count";
inline constexpr const char* kLogErrorsTotal = "eventlens_log_errors_total";
inline constexpr const char* kLogWarningsTotal = "eventlens_log_warnings_total";

class DerivedMetrics {
 public:
  // Samples are stamped on the step grid `step` apart; a service with
  // nothing new for `ttl` is forgotten.
  DerivedMetrics(StreamConfig::Derived config, TimeNs step, TimeNs ttl) : config_(config), step_(step), ttl_(ttl) {}

  bool enabled() const { return config_.spans || config_.logs; }

  // Which of its metrics a service needs written (its name, the metric's
  // name): a derived signal that would not speak for its service (it exports
  // the metric the signal stands in for) costs the shard a series and a
  // signal for nothing. Counting goes on regardless, so a metric needed
  // again resumes with its totals. Unset: every one is written.
  void set_needed(std::function<bool(const std::string& service, std::string_view metric)> needed) {
    needed_ = std::move(needed);
  }

  // Counts what `record` says (spans, logs); then, when its time has passed
  // the next step boundary, appends the counters' samples stamped at that
  // boundary to `out` (cleared first). Records of other kinds only move time.
  void observe(const Record& record, std::vector<MetricSample>& out);

  // The services counted (tests, diagnostics) and the state's size in bytes.
  std::size_t services() const { return services_.size(); }
  std::uint64_t calls_dropped() const { return calls_dropped_; }
  std::size_t state_bytes() const;

  void save(StateWriter& out) const;
  Status load(StateReader& in);

 private:
  // Durations as a Prometheus summary without quantiles: their count and
  // sum, which give the mean over any stretch of steps. (Quantiles of a few
  // dozen sampled spans a step are too coarse to judge by: docs/engine.md.)
  struct Durations {
    std::uint64_t count = 0;
    double sum = 0;  // seconds
    void add(double seconds) {
      ++count;
      sum += seconds;
    }
  };
  struct Counts {
    std::uint64_t requests = 0, errors = 0, log_errors = 0, log_warnings = 0, call_errors = 0;
    Durations durations, calls;
    bool spans = false, calls_seen = false, logs = false;  // which families have a sample to write
    TimeNs last = 0;                                     // last record time
  };
  // A client span waiting for the server span of the call (whose service
  // is the callee), or a server span waiting for its client span.
  struct PendingCall {
    TimeNs time = 0;
    double seconds = 0;      // client spans: the duration the caller saw
    std::string callee;      // server spans: its service
    bool failed = false;     // client spans: whether the call failed as the caller saw it
  };

  void count_span(const Span& span);
  void count_log(const LogRecord& log);
  void emit(TimeNs at, std::vector<MetricSample>& out);
  void expire(TimeNs now);

  StreamConfig::Derived config_;
  std::function<bool(const std::string&, std::string_view)> needed_;
  TimeNs step_;
  TimeNs ttl_;
  TimeNs next_tick_ = 0;  // 0: no record yet
  std::map<std::string, Counts> services_;  // ordered: samples come out in a stable order
  absl::flat_hash_map<std::string, PendingCall> clients_;      // by span id
  absl::flat_hash_map<std::string, PendingCall> servers_;      // by parent span id
  std::uint64_t calls_dropped_ = 0;  // pending calls refused at the cap
};

}  // namespace eventlens::stream
