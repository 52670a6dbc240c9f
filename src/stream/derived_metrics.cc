#include "stream/derived_metrics.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "stream/state_io.h"

namespace eventlens::stream {

namespace {

// A call's two spans arrive within moments of each other in a trace; what
// waits longer than this for its other half never gets one.
constexpr TimeNs kPendingCallTtl = 5 * 60 * kSecond;
// So that a flood of unmatched spans cannot grow state without bound.
constexpr std::size_t kMaxPendingCalls = 200'000;

const AttributeValue* attribute(const Attributes& attributes, std::string_view key) {
  for (const auto& [k, v] : attributes) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::int64_t integer_of(const AttributeValue& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
  if (const auto* s = std::get_if<std::string>(&v)) return std::atoll(s->c_str());
  return 0;
}

// A failed request: the span says so, or, where its status is unset, its
// HTTP or gRPC status does (OpenTelemetry's semantic conventions for server
// spans: 5xx; gRPC UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL,
// UNAVAILABLE, DATA_LOSS).
bool failed(const Span& span) {
  if (span.status != SpanStatus::unset) return span.status == SpanStatus::error;
  for (const char* key : {"http.response.status_code", "http.status_code"}) {
    if (const AttributeValue* v = attribute(span.attributes, key)) return integer_of(*v) >= 500;
  }
  if (const AttributeValue* v = attribute(span.attributes, "rpc.grpc.status_code")) {
    const std::int64_t c = integer_of(*v);
    return c == 2 || c == 4 || c == 12 || c == 13 || c == 14 || c == 15;
  }
  return false;
}

double seconds_of(const Span& span) { return static_cast<double>(std::max<TimeNs>(0, span.end - span.start)) / 1e9; }

}  // namespace

void DerivedMetrics::count_span(const Span& span) {
  if (span.service.empty()) return;
  if (is_request_span(span.kind)) {
    Counts& c = services_[span.service];
    c.spans = true;
    c.last = std::max(c.last, span.start);
    ++c.requests;
    if (failed(span)) ++c.errors;
    c.durations.add(seconds_of(span));
  }
  // A call as its caller saw it, put on the callee: the client span's
  // duration, paired with the callee's server span through its parent id.
  auto record_call = [&](const std::string& callee, double seconds, bool call_failed, TimeNs at) {
    Counts& c = services_[callee];
    c.calls_seen = true;
    c.last = std::max(c.last, at);
    c.calls.add(seconds);
    if (call_failed) ++c.call_errors;
  };
  if (span.kind == SpanKind::client && !span.span_id.empty()) {
    if (auto it = servers_.find(span.span_id); it != servers_.end()) {
      record_call(it->second.callee, seconds_of(span), failed(span), span.start);
      servers_.erase(it);
    } else if (clients_.size() < kMaxPendingCalls) {
      clients_[span.span_id] = PendingCall{span.start, seconds_of(span), {}, failed(span)};
    } else {
      ++calls_dropped_;
    }
  } else if (span.kind == SpanKind::server && !span.parent_span_id.empty()) {
    if (auto it = clients_.find(span.parent_span_id); it != clients_.end()) {
      record_call(span.service, it->second.seconds, it->second.failed, it->second.time);
      clients_.erase(it);
    } else if (servers_.size() < kMaxPendingCalls) {
      servers_[span.parent_span_id] = PendingCall{span.start, 0, span.service, false};
    } else {
      ++calls_dropped_;
    }
  }
}

void DerivedMetrics::count_log(const LogRecord& log) {
  if (log.service.empty() || log.severity < Severity::warning) return;
  Counts& c = services_[log.service];
  c.logs = true;
  c.last = std::max(c.last, log.time);
  if (log.severity == Severity::warning) {
    ++c.log_warnings;
  } else {
    ++c.log_errors;
  }
}

void DerivedMetrics::emit(TimeNs at, std::vector<MetricSample>& out) {
  auto sample = [&](const char* name, const std::string& service, double value) {
    MetricSample m;
    m.name = name;
    m.labels = Labels{{"service", service}};
    m.time = at;
    m.value = value;
    out.push_back(std::move(m));
  };
  for (const auto& [service, c] : services_) {
    const std::string& name = service;  // clang 14 cannot capture a structured binding
    auto needed = [&](std::string_view metric) { return !needed_ || needed_(name, metric); };
    if (c.spans) {
      // The requests are what the error ratio divides by: written with it.
      const bool errors = needed(kSpanErrorsTotal);
      if (errors || needed(kSpanRequestsTotal)) sample(kSpanRequestsTotal, service, static_cast<double>(c.requests));
      if (errors) sample(kSpanErrorsTotal, service, static_cast<double>(c.errors));
      if (needed(kSpanDurationSum)) {
        sample(kSpanDurationSum, service, c.durations.sum);
        sample(kSpanDurationCount, service, static_cast<double>(c.durations.count));
      }
    }
    if (c.calls_seen) {
      sample(kCallErrorsTotal, service, static_cast<double>(c.call_errors));
      sample(kCallDurationSum, service, c.calls.sum);
      sample(kCallDurationCount, service, static_cast<double>(c.calls.count));
    }
    if (c.logs) {
      if (needed(kLogErrorsTotal)) sample(kLogErrorsTotal, service, static_cast<double>(c.log_errors));
      if (needed(kLogWarningsTotal)) sample(kLogWarningsTotal, service, static_cast<double>(c.log_warnings));
    }
  }
}

void DerivedMetrics::expire(TimeNs now) {
  for (auto it = services_.begin(); it != services_.end();) {
    it = now - it->second.last > ttl_ ? services_.erase(it) : std::next(it);
  }
  absl::erase_if(clients_, [&](const auto& kv) { return now - kv.second.time > kPendingCallTtl; });
  absl::erase_if(servers_, [&](const auto& kv) { return now - kv.second.time > kPendingCallTtl; });
}

void DerivedMetrics::observe(const Record& record, std::vector<MetricSample>& out) {
  out.clear();
  if (!enabled()) return;
  TimeNs t = 0;
  switch (record.index()) {
    case 0: t = std::get<Event>(record).time; break;
    case 1: t = std::get<MetricSample>(record).time; break;
    case 2:
      t = std::get<LogRecord>(record).time;
      if (config_.logs) count_log(std::get<LogRecord>(record));
      break;
    default:
      t = std::get<Span>(record).start;
      if (config_.spans) count_span(std::get<Span>(record));
      break;
  }
  // The first record sets the grid going: the next step boundary after it.
  if (next_tick_ == 0) {
    next_tick_ = (t / step_ + 1) * step_;
    return;
  }
  if (t < next_tick_) return;
  // One set of samples, at the last boundary passed: a gap in the input
  // (nothing for minutes) needs no samples for the steps it skipped, the
  // counters carry the totals across it.
  const TimeNs at = t / step_ * step_;
  expire(at);
  emit(at, out);
  next_tick_ = at + step_;
}

std::size_t DerivedMetrics::state_bytes() const {
  std::size_t bytes = sizeof(*this);
  for (const auto& [service, c] : services_) bytes += service.size() + sizeof(c) + 64;
  bytes += (clients_.size() + servers_.size()) * (sizeof(PendingCall) + 64);
  return bytes;
}

namespace {

template <typename Durations>
void save_durations(StateWriter& out, const Durations& d) {
  out.u64(d.count);
  out.f64(d.sum);
}

template <typename Durations>
void load_durations(StateReader& in, Durations& d) {
  d.count = in.u64();
  d.sum = in.f64();
}

}  // namespace

void DerivedMetrics::save(StateWriter& out) const {
  out.i64(next_tick_);
  out.count(services_.size());
  for (const auto& [service, c] : services_) {
    out.str(service);
    out.u64(c.requests);
    out.u64(c.errors);
    out.u64(c.log_errors);
    out.u64(c.log_warnings);
    out.u64(c.call_errors);
    save_durations(out, c.durations);
    save_durations(out, c.calls);
    out.boolean(c.spans);
    out.boolean(c.calls_seen);
    out.boolean(c.logs);
    out.i64(c.last);
  }
  // In key order, so that the same state always writes the same bytes.
  for (const auto* pending : {&clients_, &servers_}) {
    std::vector<const std::pair<const std::string, PendingCall>*> sorted;
    for (const auto& kv : *pending) sorted.push_back(&kv);
    std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
    out.count(sorted.size());
    for (const auto* kv : sorted) {
      out.str(kv->first);
      out.i64(kv->second.time);
      out.f64(kv->second.seconds);
      out.str(kv->second.callee);
      out.boolean(kv->second.failed);
    }
  }
  out.u64(calls_dropped_);
}

Status DerivedMetrics::load(StateReader& in) {
  services_.clear();
  clients_.clear();
  servers_.clear();
  next_tick_ = in.i64();
  const std::size_t n = in.count(8 * 4);
  for (std::size_t i = 0; i < n && in.ok(); ++i) {
    std::string service = in.str();
    Counts c;
    c.requests = in.u64();
    c.errors = in.u64();
    c.log_errors = in.u64();
    c.log_warnings = in.u64();
    c.call_errors = in.u64();
    load_durations(in, c.durations);
    load_durations(in, c.calls);
    c.spans = in.boolean();
    c.calls_seen = in.boolean();
    c.logs = in.boolean();
    c.last = in.i64();
    services_.emplace(std::move(service), c);
  }
  for (auto* pending : {&clients_, &servers_}) {
    const std::size_t m = in.count(8 * 3);
    for (std::size_t i = 0; i < m && in.ok(); ++i) {
      std::string key = in.str();
      PendingCall p;
      p.time = in.i64();
      p.seconds = in.f64();
      p.callee = in.str();
      p.failed = in.boolean();
      (*pending)[std::move(key)] = std::move(p);
    }
  }
  calls_dropped_ = in.u64();
  return in.finish();
}

}  // namespace eventlens::stream
