// What the stream engine keeps and how it reads time: the fixed step signals
// are computed on, watermark bounds, retention and the metric series it turns
// into per-service signals. Plain values, filled by correlate/config (YAML) or
// by tests; no threading concerns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/records.h"
#include "model/time.h"

namespace eventlens::stream {

inline constexpr TimeNs kSecond = 1'000'000'000;

// How the samples of one series are read.
enum class SeriesKind : std::uint8_t {
  gauge,      // the value as sampled (last sample of a step wins)
  counter,    // monotone total; read as a per-second rate, resets handled
  histogram,  // Prometheus `<metric>_bucket{le=...}` counters; read as a quantile
};

// How the series of one service combine into the service's value at a step.
enum class Aggregate : std::uint8_t { sum, mean, max, min };

// One per-service signal: a metric (and label selectors) read as a role. A
// role may have several signals (e.g. server latency and the caller-side
// latency of calls to the service); each is detected on separately.
struct SignalSpec {
  std::string role;    // latency, errors, throughput, cpu, memory, memory_limit,
                       // replicas, pending_pods, queue_depth (or any other name)
  std::string metric;  // metric name; for histograms the name without `_bucket`
  Labels match;        // label = value selectors, all must hold
  SeriesKind kind = SeriesKind::gauge;
  Aggregate aggregate = Aggregate::sum;
  double quantile = 0.95;  // histograms: the quantile read from the buckets
  // Counters only: when set, the signal is rate(metric) / rate(ratio_of) over
  // the same labels minus `match` (an error ratio from two counters).
  std::string ratio_of;
  // value = offset + scale * x: e.g. a success percentage read as an error
  // ratio (offset 1, scale -0.01).
  double scale = 1.0;
  double offset = 0.0;
  // Set for what a place measures rather than a service (a node's CPU):
  // the label naming the place (`node`). A sample without a service label
  // is read as a signal of every service with pods there — the services
  // whose own series carry that label with the same value.
  std::string placed_by;
};

struct StreamConfig {
  // Signals are computed on fixed steps of this length. Pick the scrape
  // interval or a multiple of it.
  TimeNs step = 15 * kSecond;
  // Where the steps start within the step (step starts are step_offset + k x
  // step). Unset: the data's own sampling phase, taken from the first metric
  // sample a signal reads (its time within the step, to the whole second
  // below), so that a step begins where the samples do and not up to a step
  // before them.
  std::optional<TimeNs> step_offset;
  // A record may arrive this much later (in event time) than the newest record
  // of its input and still count as on time.
  TimeNs max_out_of_orderness = 30 * kSecond;
  // An input that has sent nothing for this long (wall clock, live sources
  // only; replay uses end of file) stops holding the watermark back.
  TimeNs idle_timeout = 60 * kSecond;
  // With every input idle, event time reaches the newest record seen: right
  // for files, which have all ended. A live source (not a YAML key: `serve
  // --kafka` sets it) makes a caught-up input idle, and what comes next may
  // be a little older than the newest record: event time stops the allowed
  // out-of-orderness short of it.
  bool all_idle_reaches_newest = true;
  // How much signal history is kept per (service, signal): the baseline that
  // anomaly detection and forecasts learn from.
  TimeNs history = 2 * 3600 * kSecond;
  // A series (or a service's logs, spans, events) with nothing new for this
  // long in event time is dropped from state.
  TimeNs series_ttl = 15 * 60 * kSecond;
  // Per-series ring buffers cover this much (the longest before + settle +
  // after window of any event category); per-service signals keep `history`.
  TimeNs series_window = 20 * 60 * kSecond;
  // Hard cap on live series; samples of new series beyond it are dead-lettered.
  std::size_t max_series = 1'000'000;
  // Labels that name the service of a metric sample, first present wins.
  std::vector<std::string> service_labels = {"service", "job", "service.name"};
  // Per service: recent warning-or-worse logs, spans and events kept.
  std::size_t max_logs_per_service = 512;
  std::size_t max_spans_per_service = 512;
  std::size_t max_events_per_service = 256;
  std::vector<SignalSpec> signals;
  // Metrics derived from spans and logs (derived_metrics.h): which families.
  // Ranking reads a derived signal only where the service exports no metric
  // of its role (docs/engine.md, "Signals from traces and logs").
  struct Derived {
    bool spans = true;
    bool logs = true;
  } derived;
};

}  // namespace eventlens::stream
