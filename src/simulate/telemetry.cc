#include "simulate/telemetry.h"

#include <algorithm>
#include <cmath>

#include "simulate/random.h"

namespace eventlens::simulate {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// Sets `labels` to the pairs given, which must already be sorted by name
// (the canonical order), reusing the strings' storage.
void set_labels(Labels& labels, std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  labels.resize(pairs.size());
  std::size_t i = 0;
  for (const auto& [k, v] : pairs) {
    labels[i].first.assign(k);
    labels[i].second.assign(v);
    ++i;
  }
}

std::string format_ms(double seconds) { return std::to_string(static_cast<long long>(std::lround(seconds * 1000))); }

}  // namespace

Telemetry::Telemetry(const Cluster& cluster, RecordSink& sink)
    : cluster_(cluster), sink_(sink), windows_(cluster.services().size()),
      error_spans_(cluster.services().size()) {}

std::string Telemetry::trace_id(int t, std::uint64_t k) const {
  std::string id;
  append_hex(id, draw(cluster_.seed(), Stream::trace, t, k, 1), 16);
  append_hex(id, draw(cluster_.seed(), Stream::trace, t, k, 2), 16);
  return id;
}

void Telemetry::write_second(int t, const std::vector<Event>& events) {
  for (const auto& e : events) {
    sink_.event(e);
    ++counts_.events;
  }
  const auto& services = cluster_.services();
  for (std::size_t i = 0; i < services.size(); ++i) {
    auto& w = windows_[i];
    w.p50 += services[i].p50_s;
    w.p95 += services[i].p95_s;
    w.p99 += services[i].p99_s;
    ++w.seconds;
  }
  write_traces(t);
  write_logs(t);
  const int interval = std::max(1, static_cast<int>(cluster_.spec().scrape_interval_s));
  if (t % interval == 0) write_metrics(t);
  sink_.end_of_second(cluster_.time_of(t));
}

void Telemetry::metric(std::string_view name, double value, TimeNs time) {
  sample_.name.assign(name);
  sample_.time = time;
  sample_.value = value;
  sink_.metric(sample_);
  ++counts_.metrics;
}

void Telemetry::write_metrics(int t) {
  const ScenarioSpec& spec = cluster_.spec();
  const TimeNs now = cluster_.time_of(t);
  const std::uint64_t seed = cluster_.seed();
  const auto& services = cluster_.services();
  const auto& nodes = cluster_.nodes();
  const std::string_view ns = spec.namespace_;
  for (std::size_t i = 0; i < services.size(); ++i) {
    const ServiceSpec& svc = spec.services[i];
    const ServiceState& s = services[i];
    const std::string_view name = svc.name;
    Window& w = windows_[i];
    const double n = std::max(1, w.seconds);
    // A summary's quantiles are estimates: a little measurement noise.
    const auto noisy = [&](double v, std::uint64_t k) {
      return std::max(0.0, v * (1 + 0.03 * normal(seed, Stream::metric_noise, key_of(svc.name) + k, t)));
    };
    set_labels(sample_.labels, {{"namespace", ns}, {"service", name}});
    metric("http_requests_total", std::floor(s.requests_total), now);
    if (cluster_.exports_errors(static_cast<int>(i))) metric("http_requests_errors_total", std::floor(s.errors_total), now);
    metric("http_request_duration_seconds_sum", s.latency_sum_s, now);
    metric("http_request_duration_seconds_count", std::floor(s.requests_total), now);
    metric("service_queue_depth", std::floor(s.backlog), now);
    set_labels(sample_.labels, {{"namespace", ns}, {"quantile", "0.5"}, {"service", name}});
    metric("http_request_duration_seconds", noisy(w.p50 / n, 1), now);
    sample_.labels[1].second.assign("0.95");
    metric("http_request_duration_seconds", noisy(w.p95 / n, 2), now);
    sample_.labels[1].second.assign("0.99");
    metric("http_request_duration_seconds", noisy(w.p99 / n, 3), now);
    w = Window{};

    int available = 0;
    for (const auto& pod : s.pods) available += pod.ready(t) ? 1 : 0;
    set_labels(sample_.labels, {{"deployment", name}, {"namespace", ns}, {"service", name}});
    metric("kube_deployment_spec_replicas", s.desired, now);
    metric("kube_deployment_status_replicas", static_cast<double>(s.pods.size()), now);
    metric("kube_deployment_status_replicas_available", available, now);

    for (const auto& pod : s.pods) {
      const bool pending = pod.node < 0 || t < pod.ready_s - svc.startup_s;
      const std::string_view node = pod.node >= 0 ? std::string_view(nodes[pod.node].name) : std::string_view();
      set_labels(sample_.labels, {{"namespace", ns}, {"phase", "Pending"}, {"pod", pod.name}, {"service", name}});
      metric("kube_pod_status_phase", pending ? 1 : 0, now);
      sample_.labels[1].second.assign("Running");
      metric("kube_pod_status_phase", pending ? 0 : 1, now);
      set_labels(sample_.labels, {{"container", name}, {"namespace", ns}, {"pod", pod.name}, {"resource", "memory"},
                                  {"service", name}, {"unit", "byte"}});
      metric("kube_pod_container_resource_limits", svc.memory_limit_bytes, now);
      // A container that is down (restarting after an OOM kill) reports nothing.
      if (pending || t < pod.unavailable_until_s - svc.startup_s) continue;
      set_labels(sample_.labels, {{"container", name}, {"namespace", ns}, {"node", node}, {"pod", pod.name},
                                  {"service", name}});
      metric("container_cpu_usage_seconds_total", pod.cpu_seconds, now);
      metric("container_memory_working_set_bytes", std::round(pod.memory_bytes), now);
    }
  }
  if (!spec.node_metrics) return;
  for (const auto& node : nodes) {
    set_labels(sample_.labels, {{"node", node.name}});
    metric("node_cpu_usage_seconds_total", node.cpu_seconds, now);
  }
}

void Telemetry::write_traces(int t) {
  const ScenarioSpec& spec = cluster_.spec();
  const auto& services = cluster_.services();
  const std::uint64_t seed = cluster_.seed();
  for (auto& list : error_spans_) list.clear();
  std::uint64_t k = 0;
  for (std::size_t e = 0; e < spec.traffic.size(); ++e) {
    const int entry = cluster_.service_index(spec.traffic[e].service);
    const double rate = spec.traces_per_s;
    int n = static_cast<int>(rate);
    if (uniform(seed, Stream::trace, t, e, 99) < rate - n) ++n;
    for (int r = 0; r < n; ++r, ++k) {
      trace_spans_.clear();
      const std::string tid = trace_id(t, k);
      std::uint64_t span_counter = 0;
      const TimeNs start = cluster_.time_of(t) +
                           static_cast<TimeNs>(uniform(seed, Stream::trace, t, k, 3) * 1e9);
      // Depth-first: a server span's own time first, then its calls in
      // order, each a client span of the caller around the callee's server
      // span.
      auto build = [&](auto&& self, int i, TimeNs begin, const std::string& parent, int depth) -> std::pair<TimeNs, bool> {
        const ServiceSpec& svc = spec.services[i];
        const ServiceState& s = services[i];
        const std::uint64_t c = span_counter++;
        std::string span_id;
        append_hex(span_id, draw(seed, Stream::trace, t, k, 100 + c), 16);
        const double base = std::min(svc.base_latency_s, s.own_latency_s);
        const double tail = s.own_latency_s - base;
        const double own = base - tail * std::log(1 - uniform(seed, Stream::trace, t, k, 200 + c));
        TimeNs cursor = begin + static_cast<TimeNs>(own * 0.5 * 1e9);
        bool failed = uniform(seed, Stream::trace, t, k, 300 + c) <
                      std::clamp(svc.base_error_rate + s.added_error, 0.0, 1.0);
        const std::size_t slot = trace_spans_.size();
        trace_spans_.emplace_back();
        if (depth < 16) {
          for (const auto& [dep, ratio] : cluster_.calls(i)) {
            int calls = static_cast<int>(ratio);
            if (uniform(seed, Stream::trace, t, k, 400 + c * 8 + static_cast<std::uint64_t>(dep)) < ratio - calls) ++calls;
            for (int m = 0; m < calls; ++m) {
              // The call's id is drawn from the number its callee's server
              // span is about to take: unique in the trace, and the server
              // spans' own draws stay as they were before client spans.
              std::string call_id;
              append_hex(call_id, draw(seed, Stream::call, t, k, span_counter), 16);
              const std::size_t call_slot = trace_spans_.size();
              trace_spans_.emplace_back();
              // A network delay into the callee: half on the way there,
              // half back (±20 %), inside the client span, outside the
              // callee's server span.
              TimeNs half_delay = 0;
              if (const double delay = services[dep].inbound_delay_s; delay > 0) {
                const double jitter = 0.8 + 0.4 * uniform(seed, Stream::call, t, k, (1ull << 40) + span_counter);
                half_delay = static_cast<TimeNs>(delay * jitter * 0.5e9);
              }
              // A faulty release answers; the caller rejects the answer.
              const bool rejected = services[dep].silent_error > 0 &&
                                    uniform(seed, Stream::call, t, k, (2ull << 40) + span_counter) < services[dep].silent_error;
              auto [child_end, child_failed] = self(self, dep, cursor + half_delay, call_id, depth + 1);
              child_end += half_delay;
              child_failed = child_failed || rejected;
              const TimeNs limit = cursor + static_cast<TimeNs>(spec.services[dep].timeout_s * 1e9);
              const bool timed_out = child_end > limit;
              if (timed_out) {  // the caller gave up
                child_end = limit;
                child_failed = true;
              }
              Span& call = trace_spans_[call_slot];
              call.trace_id = tid;
              call.span_id = std::move(call_id);
              call.parent_span_id = span_id;
              call.service = svc.name;
              call.name = spec.services[dep].operation;
              call.start = cursor;
              call.end = child_end;
              call.status = child_failed ? SpanStatus::error : SpanStatus::ok;
              call.kind = SpanKind::client;
              call.attributes = {{"peer.service", spec.services[dep].name},
                                 {"http.status_code", std::int64_t{timed_out ? 504 : rejected ? 200 : child_failed ? 500 : 200}}};
              cursor = child_end;
              failed = failed || child_failed;
            }
          }
        }
        const TimeNs end = cursor + static_cast<TimeNs>(own * 0.5 * 1e9);
        Span& sp = trace_spans_[slot];
        sp.trace_id = tid;
        sp.span_id = span_id;
        sp.parent_span_id = parent;
        sp.service = svc.name;
        sp.name = svc.operation;
        sp.start = begin;
        sp.end = end;
        sp.status = failed ? SpanStatus::error : SpanStatus::ok;
        sp.kind = SpanKind::server;
        sp.attributes = {{"http.status_code", std::int64_t{failed ? 500 : 200}}};
        if (failed) error_spans_[i].emplace_back(tid, span_id);
        return {end, failed};
      };
      build(build, entry, start, std::string(), 0);
      for (const auto& sp : trace_spans_) {
        sink_.span(sp);
        ++counts_.spans;
      }
    }
  }
}

void Telemetry::write_logs(int t) {
  const ScenarioSpec& spec = cluster_.spec();
  const auto& services = cluster_.services();
  const auto& nodes = cluster_.nodes();
  const std::uint64_t seed = cluster_.seed();
  for (std::size_t i = 0; i < services.size(); ++i) {
    const ServiceSpec& svc = spec.services[i];
    const ServiceState& s = services[i];
    const double errors = (s.served_rps + s.dropped_rps) * s.error_rate;
    int n = static_cast<int>(errors);
    if (uniform(seed, Stream::log, t, i, 1) < errors - n) ++n;
    n = std::min(n, spec.max_logs_per_s);
    for (int m = 0; m < n; ++m) {
      const std::uint64_t key = static_cast<std::uint64_t>(i) * 1000 + static_cast<std::uint64_t>(m);
      log_.time = cluster_.time_of(t) + static_cast<TimeNs>(uniform(seed, Stream::log, t, key, 2) * 1e9);
      log_.service = svc.name;
      log_.severity = Severity::error;
      log_.span_id.clear();
      if (static_cast<std::size_t>(m) < error_spans_[i].size()) {
        log_.trace_id = error_spans_[i][m].first;
        log_.span_id = error_spans_[i][m].second;
      } else {
        log_.trace_id.clear();
        append_hex(log_.trace_id, draw(seed, Stream::log, t, key, 3), 16);
        append_hex(log_.trace_id, draw(seed, Stream::log, t, key, 4), 16);
      }
      // Which failure this line reports, in proportion to their shares.
      const double u = uniform(seed, Stream::log, t, key, 5);
      std::int64_t status = 500;
      if (u < s.timeout_share && !svc.calls.empty()) {
        // The slowest dependency is the one that times out.
        int worst = cluster_.service_index(svc.calls.front().service);
        for (const auto& call : svc.calls) {
          const int d = cluster_.service_index(call.service);
          if (services[d].mean_latency_s / spec.services[d].timeout_s >
              services[worst].mean_latency_s / spec.services[worst].timeout_s) {
            worst = d;
          }
        }
        log_.body = "upstream request timeout: call to " + spec.services[worst].name + " exceeded " +
                    format_ms(spec.services[worst].timeout_s) + " ms";
        status = 504;
      } else if (u < s.timeout_share + s.drop_share) {
        log_.body = "request rejected: server overloaded (" + std::to_string(static_cast<long long>(s.backlog)) +
                    " requests queued)";
        status = 503;
      } else if (u < s.timeout_share + s.drop_share + s.fault_share) {
        if (s.exception_cause >= 0) {
          std::string order;
          append_hex(order, draw(seed, Stream::log, t, key, 7), 8);
          log_.body = "Unhandled exception in " + svc.operation + ": java.lang.IllegalStateException: order " + order +
                      " has no line items (at shop." + svc.name + ".RequestHandler.handle)";
        } else {
          log_.body = s.bad_version >= 0 && s.bad_version == s.version
                          ? "NullPointerException in " + svc.name + " handler " + svc.operation + " (build " +
                                std::to_string(s.version) + ")"
                          : "failed to acquire connection: pool exhausted (size 4, waiting " +
                                std::to_string(static_cast<long long>(s.backlog) + 1) + ")";
        }
      } else if (u < s.timeout_share + s.drop_share + s.fault_share + s.reject_share && !svc.calls.empty()) {
        // The dependency whose answers are wrong the most often.
        int worst = cluster_.service_index(svc.calls.front().service);
        for (const auto& call : svc.calls) {
          const int d = cluster_.service_index(call.service);
          if (services[d].silent_error > services[worst].silent_error) worst = d;
        }
        log_.body = "invalid response from " + spec.services[worst].name + ": required field \"id\" missing in " +
                    spec.services[worst].operation + " reply";
        status = 502;
      } else {
        log_.body = "internal error processing " + svc.operation + ": unexpected EOF from peer";
      }
      const Pod* pod = nullptr;
      for (const auto& p : s.pods) {
        if (p.ready(t)) {
          pod = &p;
          if (uniform(seed, Stream::log, t, key, 6 + p.serial) < 0.5) break;
        }
      }
      log_.attributes = {{"http.status_code", status}};
      if (pod != nullptr) log_.attributes.emplace_back("k8s.pod.name", pod->name);
      sink_.log(log_);
      ++counts_.logs;
    }
    // Warnings: memory close to the limit, once a minute per pod.
    for (const auto& pod : s.pods) {
      if (pod.node < 0 || pod.memory_bytes < 0.9 * svc.memory_limit_bytes) continue;
      if ((t + static_cast<int>(pod.serial)) % 60 != 0) continue;
      log_.time = cluster_.time_of(t);
      log_.service = svc.name;
      log_.severity = Severity::warning;
      log_.trace_id.clear();
      log_.span_id.clear();
      const int pct = static_cast<int>(100 * pod.memory_bytes / svc.memory_limit_bytes);
      log_.body = "memory usage at " + std::to_string(pct) + "% of limit (" +
                  std::to_string(static_cast<long long>(pod.memory_bytes / kMiB)) + "Mi of " +
                  std::to_string(static_cast<long long>(svc.memory_limit_bytes / kMiB)) + "Mi)";
      log_.attributes = {{"k8s.pod.name", pod.name}, {"k8s.node.name", nodes[pod.node].name}};
      sink_.log(log_);
      ++counts_.logs;
    }
  }
}

}  // namespace eventlens::simulate
