#include "correlate/config.h"

#include <algorithm>

#include "stream/derived_metrics.h"

namespace eventlens::correlate {

const WindowSpec& Config::window_for(Category c) const {
  switch (c) {
    case Category::scaling: return scaling_window;
    case Category::provisioning: return provisioning_window;
    case Category::failure: return failure_window;
    case Category::change: return change_window;
    case Category::other: break;
  }
  return other_window;
}

namespace {

stream::SignalSpec signal(std::string role, std::string metric, stream::SeriesKind kind,
                          stream::Aggregate aggregate, Labels match = {}) {
  stream::SignalSpec s;
  s.role = std::move(role);
  s.metric = std::move(metric);
  s.kind = kind;
  s.aggregate = aggregate;
  s.match = std::move(match);
  return s;
}

}  // namespace

Config default_config() {
  using stream::Aggregate;
  using stream::SeriesKind;
  Config c;
  auto& s = c.stream.signals;
  // Latency: a summary quantile (the simulator, client libraries' summaries)
  // or a histogram (Prometheus and OpenTelemetry semantic conventions). A
  // service's latency is its slowest pod's: one slow replica is what users see.
  s.push_back(signal("latency", "http_request_duration_seconds", SeriesKind::gauge, Aggregate::max,
                     {{"quantile", "0.95"}}));
  s.push_back(signal("latency", "http_request_duration_seconds", SeriesKind::histogram, Aggregate::max));
  s.push_back(signal("latency", "http_server_request_duration_seconds", SeriesKind::histogram,
                     Aggregate::max));
  // Errors: failed / all requests.
  auto errors = signal("errors", "http_requests_errors_total", SeriesKind::counter, Aggregate::sum);
  errors.ratio_of = "http_requests_total";
  s.push_back(errors);
  s.push_back(signal("throughput", "http_requests_total", SeriesKind::counter, Aggregate::sum));
  s.push_back(signal("cpu", "container_cpu_usage_seconds_total", SeriesKind::counter, Aggregate::sum));
  // The CPU of the nodes a service's pods run on (node_exporter's and the
  // kubelet's per-node counters carry `node`, not `service`): a noisy
  // neighbour slows every pod on its node while their own CPU stays flat.
  auto node_cpu = signal("node_cpu", "node_cpu_usage_seconds_total", SeriesKind::counter, Aggregate::sum);
  node_cpu.placed_by = "node";
  s.push_back(node_cpu);
  // Memory is judged per pod against its limit, so the service value is the
  // fullest pod's.
  s.push_back(signal("memory", "container_memory_working_set_bytes", SeriesKind::gauge, Aggregate::max));
  s.push_back(signal("memory_limit", "kube_pod_container_resource_limits", SeriesKind::gauge,
                     Aggregate::max, {{"resource", "memory"}}));
  s.push_back(signal("replicas", "kube_deployment_status_replicas_available", SeriesKind::gauge,
                     Aggregate::sum));
  s.push_back(signal("pending_pods", "kube_pod_status_phase", SeriesKind::gauge, Aggregate::sum,
                     {{"phase", "Pending"}}));
  s.push_back(signal("queue_depth", "service_queue_depth", SeriesKind::gauge, Aggregate::sum));

  DetectionSpec latency;
  latency.role = "latency";
  latency.min_ratio = 1.3;
  latency.min_delta = 0.005;
  DetectionSpec errs;
  errs.role = "errors";
  errs.min_ratio = 2.0;
  errs.min_delta = 0.01;
  DetectionSpec tput;
  tput.role = "throughput";
  tput.direction = DetectionSpec::Direction::down;
  tput.min_ratio = 1.25;  // below 0.8 x baseline
  tput.min_delta = 1.0;
  c.detection = {latency, errs, tput};

  add_derived_signals(c);

  // Failures are judged on the minutes before them, after a short settle.
  c.failure_window.before = 10 * 60 * stream::kSecond;
  c.failure_window.settle = 0;
  c.failure_window.after = 2 * 60 * stream::kSecond;
  return c;
}

namespace {

bool is_derived(const stream::SignalSpec& s) { return s.metric.rfind("eventlens_", 0) == 0; }

}  // namespace

void add_derived_signals(Config& c) {
  using stream::Aggregate;
  using stream::SeriesKind;
  std::vector<stream::SignalSpec> derived;
  if (c.stream.derived.spans) {
    derived.push_back(signal("span_throughput", stream::kSpanRequestsTotal, SeriesKind::counter, Aggregate::sum));
    auto errors = signal("span_errors", stream::kSpanErrorsTotal, SeriesKind::counter, Aggregate::sum);
    errors.ratio_of = stream::kSpanRequestsTotal;
    derived.push_back(errors);
    // Latencies as means (_sum / _count), not histogram quantiles: a
    // service's sampled spans are a few dozen a step, and a p95 of a few
    // dozen read from doubling buckets sits still while every span falls in
    // one bucket and jumps 2x when one crosses: a flat baseline, then a
    // "deviation" of robust z in the tens from nothing.
    auto mean_of = [](const char* role, const char* sum, const char* count) {
      auto s = signal(role, sum, SeriesKind::counter, Aggregate::sum);
      s.ratio_of = count;
      return s;
    };
    derived.push_back(mean_of("span_latency", stream::kSpanDurationSum, stream::kSpanDurationCount));
    derived.push_back(mean_of("call_latency", stream::kCallDurationSum, stream::kCallDurationCount));
    // How many calls its callers made to it: what call_errors is a ratio of
    // (a count, not a health signal of its own).
    derived.push_back(signal("call_throughput", stream::kCallDurationCount, SeriesKind::counter, Aggregate::sum));
    auto call_errors = signal("call_errors", stream::kCallErrorsTotal, SeriesKind::counter, Aggregate::sum);
    call_errors.ratio_of = stream::kCallDurationCount;
    derived.push_back(call_errors);
  }
  if (c.stream.derived.logs) {
    derived.push_back(signal("log_errors", stream::kLogErrorsTotal, SeriesKind::counter, Aggregate::sum));
    derived.push_back(signal("log_warnings", stream::kLogWarningsTotal, SeriesKind::counter, Aggregate::sum));
  }
  for (auto& d : derived) {
    const bool named = std::any_of(c.stream.signals.begin(), c.stream.signals.end(), [&](const stream::SignalSpec& s) {
      return s.role == d.role && s.metric == d.metric;
    });
    if (!named) c.stream.signals.push_back(std::move(d));
  }
}

void remove_derived_signals(Config& c) {
  auto& s = c.stream.signals;
  s.erase(std::remove_if(s.begin(), s.end(), is_derived), s.end());
}

}  // namespace eventlens::correlate
