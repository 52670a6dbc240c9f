// DerivedMetrics: requests, failures and durations from the spans a service
// served, the durations its callers saw, error and warning log lines, as
// cumulative counters stamped on the step grid; and the same samples after
// a checkpoint and restore.
#include "stream/derived_metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "stream/state_io.h"
#include "support/records.h"

namespace eventlens::stream {
namespace {

constexpr TimeNs kStep = 15 * kSecond;
constexpr TimeNs kT0 = 1'795'392'000LL * kSecond;

Span span(const std::string& service, SpanKind kind, const std::string& id, const std::string& parent, TimeNs start,
          double seconds, SpanStatus status = SpanStatus::unset, Attributes attributes = {}) {
  Span s;
  s.trace_id = "t";
  s.span_id = id;
  s.parent_span_id = parent;
  s.service = service;
  s.name = "op";
  s.kind = kind;
  s.start = start;
  s.end = start + static_cast<TimeNs>(seconds * 1e9);
  s.status = status;
  s.attributes = std::move(attributes);
  return s;
}

LogRecord log(const std::string& service, Severity severity, TimeNs t) {
  LogRecord l;
  l.time = t;
  l.service = service;
  l.severity = severity;
  l.body = "x";
  return l;
}

// The value of every sample, by "name{labels}".
std::map<std::string, double> by_series(const std::vector<MetricSample>& samples) {
  std::map<std::string, double> out;
  for (const MetricSample& m : samples) {
    std::string key = m.name + "{";
    for (const auto& [k, v] : m.labels) key += k + "=" + v + ",";
    out[key + "}"] = m.value;
  }
  return out;
}

StreamConfig::Derived both() { return {true, true}; }

TEST(DerivedMetrics, ServedRequestsFailuresDurationsAndLogLinesAreCountedPerService) {
  DerivedMetrics d(both(), kStep, 15 * 60 * kSecond);
  std::vector<MetricSample> out;
  d.observe(Record(test::metric_sample("m", {{"service", "web"}}, kT0, 1)), out);  // sets the grid going
  EXPECT_TRUE(out.empty());
  d.observe(Record(span("web", SpanKind::server, "a", "", kT0 + kSecond, 0.003)), out);
  d.observe(Record(span("web", SpanKind::server, "b", "", kT0 + 2 * kSecond, 0.2, SpanStatus::error)), out);
  // Status unset: the HTTP status says it failed; the gRPC one that it did not.
  d.observe(Record(span("web", SpanKind::server, "c", "", kT0 + 3 * kSecond, 0.01, SpanStatus::unset,
                        {{"http.response.status_code", std::int64_t{503}}})),
            out);
  d.observe(Record(span("web", SpanKind::server, "d", "", kT0 + 4 * kSecond, 0.01, SpanStatus::unset,
                        {{"rpc.grpc.status_code", std::int64_t{5}}})),
            out);
  // Not a request web served: its call and an internal step.
  d.observe(Record(span("web", SpanKind::client, "e", "a", kT0 + 5 * kSecond, 0.5)), out);
  d.observe(Record(span("web", SpanKind::internal, "f", "a", kT0 + 5 * kSecond, 0.5)), out);
  d.observe(Record(log("web", Severity::error, kT0 + 6 * kSecond)), out);
  d.observe(Record(log("web", Severity::warning, kT0 + 6 * kSecond)), out);
  d.observe(Record(log("web", Severity::info, kT0 + 6 * kSecond)), out);
  EXPECT_TRUE(out.empty());  // the step has not ended
  d.observe(Record(test::metric_sample("m", {{"service", "web"}}, kT0 + kStep + kSecond, 1)), out);
  const auto s = by_series(out);
  EXPECT_EQ(s.at("eventlens_span_requests_total{service=web,}"), 4);
  EXPECT_EQ(s.at("eventlens_span_errors_total{service=web,}"), 2);
  EXPECT_DOUBLE_EQ(s.at("eventlens_span_duration_seconds_sum{service=web,}"), 0.003 + 0.2 + 0.01 + 0.01);
  EXPECT_EQ(s.at("eventlens_span_duration_seconds_count{service=web,}"), 4);
  EXPECT_EQ(s.at("eventlens_log_errors_total{service=web,}"), 1);
  EXPECT_EQ(s.at("eventlens_log_warnings_total{service=web,}"), 1);
  for (const MetricSample& m : out) EXPECT_EQ(m.time, kT0 + kStep);  // on the step grid
}

TEST(DerivedMetrics, ACallIsPutOnTheCalleeWithTheDurationItsCallerSawInEitherOrder) {
  DerivedMetrics d(both(), kStep, 15 * 60 * kSecond);
  std::vector<MetricSample> out;
  d.observe(Record(test::metric_sample("m", {{"service", "web"}}, kT0, 1)), out);
  // Client first: web calls db; db served it in 10 ms, web waited 300 ms
  // (a network delay on the way to db).
  d.observe(Record(span("web", SpanKind::client, "c1", "w1", kT0 + kSecond, 0.3)), out);
  d.observe(Record(span("db", SpanKind::server, "s1", "c1", kT0 + kSecond, 0.01)), out);
  // Server first (spans batched by service arrive out of order).
  d.observe(Record(span("db", SpanKind::server, "s2", "c2", kT0 + 2 * kSecond, 0.01)), out);
  d.observe(Record(span("web", SpanKind::client, "c2", "w2", kT0 + 2 * kSecond, 0.3)), out);
  // A call the caller saw fail while the callee's own span says ok (a wrong
  // answer it did not count): a call error of db's, not an error of its own.
  d.observe(Record(span("web", SpanKind::client, "c4", "w4", kT0 + 3 * kSecond, 0.02, SpanStatus::error)), out);
  d.observe(Record(span("db", SpanKind::server, "s4", "c4", kT0 + 3 * kSecond, 0.01)), out);
  // A client span whose callee never reports counts nowhere.
  d.observe(Record(span("web", SpanKind::client, "c3", "w3", kT0 + 3 * kSecond, 9)), out);
  d.observe(Record(test::metric_sample("m", {{"service", "web"}}, kT0 + kStep, 1)), out);
  const auto s = by_series(out);
  EXPECT_DOUBLE_EQ(s.at("eventlens_call_duration_seconds_sum{service=db,}"), 0.62);
  EXPECT_EQ(s.at("eventlens_call_duration_seconds_count{service=db,}"), 3);
  EXPECT_EQ(s.at("eventlens_call_errors_total{service=db,}"), 1);
  EXPECT_EQ(s.at("eventlens_span_errors_total{service=db,}"), 0);
  EXPECT_DOUBLE_EQ(s.at("eventlens_span_duration_seconds_sum{service=db,}"), 0.03);
}

TEST(DerivedMetrics, SwitchedOffFamiliesWriteNothing) {
  DerivedMetrics d(StreamConfig::Derived{false, true}, kStep, 15 * 60 * kSecond);
  std::vector<MetricSample> out;
  d.observe(Record(test::metric_sample("m", {{"service", "web"}}, kT0, 1)), out);
  d.observe(Record(span("web", SpanKind::server, "a", "", kT0 + kSecond, 0.003)), out);
  d.observe(Record(log("web", Severity::error, kT0 + kSecond)), out);
  d.observe(Record(test::metric_sample("m", {{"service", "web"}}, kT0 + kStep, 1)), out);
  const auto s = by_series(out);
  EXPECT_EQ(s.count("eventlens_span_requests_total{service=web,}"), 0u);
  EXPECT_EQ(s.at("eventlens_log_errors_total{service=web,}"), 1);
  DerivedMetrics off(StreamConfig::Derived{false, false}, kStep, 15 * 60 * kSecond);
  off.observe(Record(log("web", Severity::error, kT0)), out);
  off.observe(Record(log("web", Severity::error, kT0 + kStep * 2)), out);
  EXPECT_TRUE(out.empty());
}

TEST(DerivedMetrics, OnlyTheMetricsItsServiceNeedsAreWrittenAndTheCountsGoOn) {
  DerivedMetrics d(both(), kStep, 15 * 60 * kSecond);
  bool web_exports_errors = true;  // web's own error counter: its span errors are not needed
  d.set_needed([&](const std::string& service, std::string_view metric) {
    return !(service == "web" && web_exports_errors &&
             (metric == kSpanErrorsTotal || metric == kLogErrorsTotal || metric == kLogWarningsTotal));
  });
  std::vector<MetricSample> out;
  d.observe(Record(test::metric_sample("m", {{"service", "web"}}, kT0, 1)), out);
  d.observe(Record(span("web", SpanKind::server, "a", "", kT0 + kSecond, 0.003, SpanStatus::error)), out);
  d.observe(Record(log("web", Severity::error, kT0 + kSecond)), out);
  d.observe(Record(test::metric_sample("m", {{"service", "web"}}, kT0 + kStep + kSecond, 1)), out);
  auto s = by_series(out);
  EXPECT_EQ(s.count("eventlens_span_errors_total{service=web,}"), 0u);
  EXPECT_EQ(s.count("eventlens_log_errors_total{service=web,}"), 0u);
  EXPECT_EQ(s.at("eventlens_span_requests_total{service=web,}"), 1) << "still read as span_throughput";
  EXPECT_EQ(s.at("eventlens_span_duration_seconds_count{service=web,}"), 1);
  // Its error counter gone, the span errors are needed again, with every
  // failure counted meanwhile.
  web_exports_errors = false;
  d.observe(Record(span("web", SpanKind::server, "b", "", kT0 + kStep + 2 * kSecond, 0.003, SpanStatus::error)), out);
  d.observe(Record(test::metric_sample("m", {{"service", "web"}}, kT0 + 2 * kStep + kSecond, 1)), out);
  s = by_series(out);
  EXPECT_EQ(s.at("eventlens_span_errors_total{service=web,}"), 2);
  EXPECT_EQ(s.at("eventlens_log_errors_total{service=web,}"), 1);
}

TEST(DerivedMetrics, ARestoredStateWritesTheSameSamples) {
  std::vector<Record> records;
  records.push_back(Record(test::metric_sample("m", {{"service", "web"}}, kT0, 1)));
  for (int i = 0; i < 40; ++i) {
    const TimeNs t = kT0 + i * 2 * kSecond;
    records.push_back(Record(span("web", SpanKind::client, "c" + std::to_string(i), "w", t, 0.05 * (i % 7))));
    records.push_back(Record(span("db", SpanKind::server, "s" + std::to_string(i), "c" + std::to_string(i), t,
                                  0.01 * (i % 5), i % 9 == 0 ? SpanStatus::error : SpanStatus::ok)));
    if (i % 4 == 0) records.push_back(Record(log("db", Severity::error, t)));
  }
  auto run = [&](std::size_t restore_at) {
    auto d = std::make_unique<DerivedMetrics>(both(), kStep, 15 * 60 * kSecond);
    std::vector<MetricSample> out, all;
    for (std::size_t i = 0; i < records.size(); ++i) {
      if (i == restore_at) {
        StateWriter w;
        d->save(w);
        const std::string bytes = w.finish();
        d = std::make_unique<DerivedMetrics>(both(), kStep, 15 * 60 * kSecond);
        StateReader r(bytes, "derived");
        EXPECT_TRUE(d->load(r).ok());
      }
      d->observe(records[i], out);
      all.insert(all.end(), out.begin(), out.end());
    }
    return all;
  };
  const auto whole = run(records.size());
  ASSERT_FALSE(whole.empty());
  for (std::size_t at : {std::size_t{1}, std::size_t{30}, std::size_t{77}}) EXPECT_EQ(run(at), whole) << at;
}

}  // namespace
}  // namespace eventlens::stream
