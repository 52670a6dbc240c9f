// Turns the factual cluster's state into the records an observability stack
// would collect: Prometheus-style metrics at the scrape interval, error and
// warning logs with trace ids, sampled traces across the call graph, and the
// cluster's events. Names are listed in docs/simulate.md. One thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "simulate/cluster.h"
#include "simulate/record_sink.h"

namespace eventlens::simulate {

struct TelemetryCounts {
  std::uint64_t events = 0, metrics = 0, logs = 0, spans = 0;
  std::uint64_t total() const { return events + metrics + logs + spans; }
};

class Telemetry {
 public:
  Telemetry(const Cluster& cluster, RecordSink& sink);

  // Writes the records of second `t`: `events` (with ids set) first, then
  // logs and spans, then the metrics when a scrape falls in this second.
  void write_second(int t, const std::vector<Event>& events);

  const TelemetryCounts& counts() const { return counts_; }

 private:
  struct Window {  // latency quantiles averaged since the last scrape
    double p50 = 0, p95 = 0, p99 = 0;
    int seconds = 0;
  };
  void write_metrics(int t);
  void write_traces(int t);
  void write_logs(int t);
  void metric(std::string_view name, double value, TimeNs time);
  std::string trace_id(int t, std::uint64_t k) const;

  const Cluster& cluster_;
  RecordSink& sink_;
  TelemetryCounts counts_;
  std::vector<Window> windows_;
  // Reused records: no allocation per record once warm.
  MetricSample sample_;
  LogRecord log_;
  Span span_;
  // Trace ids of this second's failed spans per service, for error logs.
  std::vector<std::vector<std::pair<std::string, std::string>>> error_spans_;
  std::vector<Span> trace_spans_;
};

}  // namespace eventlens::simulate
