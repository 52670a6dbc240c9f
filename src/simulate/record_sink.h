// Where the simulator's records go: files (native JSON lines, and on request
// Kubernetes watch lines and Prometheus text) or Kafka (cli/). Records are
// lent: valid only during the call. One thread per sink.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "model/records.h"
#include "model/result.h"

namespace eventlens::simulate {

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void event(const Event& e) = 0;
  virtual void metric(const MetricSample& m) = 0;
  virtual void log(const LogRecord& l) = 0;
  virtual void span(const Span& s) = 0;
  // Called once per simulated second, after its records: a real-time sink
  // paces here, a Kafka sink polls its delivery reports.
  virtual void end_of_second(TimeNs /*t*/) {}
  // Returns the first write error, if any, after flushing everything.
  virtual Status close() = 0;
};

struct FileSinkOptions {
  std::string dir;
  bool k8s_events = false;        // also events.k8s.jsonl: events.k8s.io/v1 watch lines
  bool prometheus_metrics = false;// also metrics.prom: text exposition with timestamps
};

// Writes DIR/events.jsonl, metrics.jsonl, logs.jsonl, traces.jsonl (and the
// optional formats) through large buffers; creates DIR if needed.
Result<std::unique_ptr<RecordSink>> open_file_sink(const FileSinkOptions& options);

}  // namespace eventlens::simulate
