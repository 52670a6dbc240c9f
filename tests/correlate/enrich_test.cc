#include "correlate/enrich.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "correlate/config.h"
#include "correlate/graph.h"
#include "stream/shard.h"
#include "support/records.h"

namespace eventlens::correlate {
namespace {

constexpr TimeNs kSecond = stream::kSecond;
constexpr TimeNs kT = 1'795'392'000LL * kSecond;  // the scaling decision; a step boundary

struct NullObserver : stream::ShardObserver {
  void on_event(const Event&, bool) override {}
  void on_step(TimeNs) override {}
  void on_dead_letter(const Record&, const Error&) override {}
};

// One service, "api", sampled every 15 s from 10 min before kT to 8 min
// after: its load (req/s), ready replicas and p95 latency as functions of
// the offset in seconds, and a 20 ms span every 5 s. It has no dependencies.
struct Telemetry {
  std::function<double(int)> load, ready, latency;
};

MetricSample sample(std::string name, Labels labels, TimeNs t, double v) {
  return test::metric_sample(std::move(name), std::move(labels), t, v);
}

// How api's 20 ms of own time per request shows in its traces: alone; with a
// 30 ms call to db inside a 50 ms span, in spans without kinds (db's span is
// a child of api's); or in spans with kinds (api's server span, its client
// span of the call, db's server span under that client span).
enum class Spans { alone, calls_without_kinds, calls_with_kinds };

// `from` < 0 leaves `from_replicas` out of the event.
Verdict judge(const Telemetry& tel, const std::string& type, int from, int to, int utilisation_percent,
              Spans spans = Spans::alone) {
  const Config config = default_config();
  NullObserver observer;
  stream::Shard shard(config.stream, observer);
  const auto input = shard.add_input();
  const Labels service = {{"namespace", "shop"}, {"service", "api"}};
  double requests = 0;
  Event e;
  e.id = "ev-scale";
  e.time = kT + 5'000'000;
  e.category = Category::scaling;
  e.type = type;
  e.service = "api";
  e.attributes = {{"from_replicas", std::int64_t{from}},
                  {"to_replicas", std::int64_t{to}},
                  {"cpu_utilization_percent", std::int64_t{utilisation_percent}}};
  if (from < 0) e.attributes.erase(e.attributes.begin());
  for (int s = -600; s <= 480; s += 5) {
    const TimeNs t = kT + s * kSecond;
    if (s == 0) shard.push(input, Record{e});
    Span span;
    span.trace_id = "trace-" + std::to_string(s + 600);
    span.span_id = "span-" + std::to_string(s + 600);
    span.service = "api";
    span.name = "GET /";
    span.start = t + kSecond;
    span.end = span.start + (spans == Spans::alone ? 20'000'000 : 50'000'000);
    span.status = SpanStatus::ok;
    if (spans == Spans::calls_with_kinds) span.kind = SpanKind::server;
    shard.push(input, Record{span});
    if (spans == Spans::calls_with_kinds) {
      Span call = span;
      call.parent_span_id = span.span_id;
      call.span_id = "call-" + std::to_string(s + 600);
      call.kind = SpanKind::client;
      call.start = span.start + 10'000'000;
      call.end = call.start + 30'000'000;
      shard.push(input, Record{call});
      span = call;
    }
    if (spans != Spans::alone) {
      Span db = span;
      db.parent_span_id = span.span_id;
      db.span_id = "db-" + std::to_string(s + 600);
      db.service = "db";
      db.name = "SELECT";
      if (spans == Spans::calls_with_kinds) {
        db.kind = SpanKind::server;
        db.start = span.start + 2'000'000;  // the network's share of the client span
        db.end = span.end - 3'000'000;
      } else {
        db.start = span.start + 10'000'000;
        db.end = db.start + 30'000'000;
      }
      shard.push(input, Record{db});
    }
    if (s % 15 != 0) continue;
    requests += tel.load(s) * 15;
    shard.push(input, Record{sample("http_requests_total", service, t, requests)});
    shard.push(input, Record{sample("service_queue_depth", service, t, 0)});
    shard.push(input, Record{sample("kube_deployment_status_replicas_available",
                                    {{"deployment", "api"}, {"namespace", "shop"}, {"service", "api"}}, t,
                                    tel.ready(s))});
    shard.push(input, Record{sample("http_request_duration_seconds",
                                    {{"namespace", "shop"}, {"quantile", "0.95"}, {"service", "api"}}, t,
                                    tel.latency(s))});
  }
  shard.flush();
  ServiceGraph graph;
  if (spans != Spans::alone) graph.add_edge("api", "db");
  const EnrichInput in{shard, config, graph};
  return enrich(in, e, false).verdict;
}

double evidence(const Verdict& v, std::string_view name) {
  for (const auto& ev : v.evidence) {
    if (ev.name == name) return ev.value;
  }
  return std::nan("");
}

TEST(ScalingVerdict, AScaleUpThatKeptLatencyWhereItWasUnderMoreLoadWasEffective) {
  // 240 req/s on 3 replicas of 100 req/s (80 %) prompt a scale-up to 6; the
  // load then grows to 330 req/s, more than the 3 could have served. The new
  // replicas are ready 30 s later and latency never moves.
  Telemetry tel;
  tel.load = [](int s) { return s <= 0 ? 240.0 : 330.0; };
  tel.ready = [](int s) { return s < 30 ? 3.0 : 6.0; };
  tel.latency = [](int) { return 0.022; };
  const Verdict v = judge(tel, "scale_up", 3, 6, 80);
  EXPECT_EQ(v.value, "effective") << v.sentence;
  EXPECT_NEAR(evidence(v, "capacity_per_replica_rps"), 100, 5);
  EXPECT_NEAR(evidence(v, "service_time_s"), 0.020, 0.002);
  EXPECT_GT(evidence(v, "utilisation_had_it_not_scaled"), 1.0);
}

TEST(ScalingVerdict, TheServiceTimeIsAServerSpanLessItsClientSpansOrItsCalleesSpansWithoutKinds) {
  Telemetry tel;
  tel.load = [](int s) { return s <= 0 ? 240.0 : 330.0; };
  tel.ready = [](int s) { return s < 30 ? 3.0 : 6.0; };
  tel.latency = [](int) { return 0.052; };
  for (Spans spans : {Spans::calls_without_kinds, Spans::calls_with_kinds}) {
    const Verdict v = judge(tel, "scale_up", 3, 6, 80, spans);
    // Not 50 ms (calls kept), 25 ms (client spans counted as requests) or
    // -5 ms (a call subtracted twice, as client span and as db's span).
    EXPECT_NEAR(evidence(v, "service_time_s"), 0.020, 0.002) << static_cast<int>(spans) << ": " << v.sentence;
  }
}

TEST(SpanEvidence, TheRequestsAServiceServedComeBeforeItsCalls) {
  const Config config = default_config();
  NullObserver observer;
  stream::Shard shard(config.stream, observer);
  const auto input = shard.add_input();
  Event e;
  e.id = "ev-deploy";
  e.time = kT;
  e.category = Category::change;
  e.type = "deploy";
  e.service = "api";
  shard.push(input, Record{e});
  // Each second a request of 10 ms fails on its own; twice, a request of
  // 50 ms fails because its 45 ms call did: the calls are slower than most
  // failing requests, but they are the requests' story, not the service's.
  for (int s = 1; s <= 60; ++s) {
    const TimeNs t = kT + s * kSecond;
    Span request;
    request.trace_id = "trace-" + std::to_string(s);
    request.span_id = "req-" + std::to_string(s);
    request.service = "api";
    request.name = "GET /";
    request.start = t;
    request.end = t + (s <= 2 ? 50'000'000 : 10'000'000);
    request.status = SpanStatus::error;
    request.kind = SpanKind::server;
    shard.push(input, Record{request});
    if (s > 2) continue;
    Span call = request;
    call.span_id = "call-" + std::to_string(s);
    call.parent_span_id = request.span_id;
    call.name = "SELECT";
    call.start = t + 1'000'000;
    call.end = call.start + 45'000'000;
    call.kind = SpanKind::client;
    shard.push(input, Record{call});
  }
  shard.flush();
  const ServiceGraph graph;
  const EnrichInput in{shard, config, graph};
  const EnrichedEvent out = enrich(in, e, false);
  ASSERT_NE(out.spans, nullptr);
  ASSERT_EQ(out.spans->size(), config.top_spans);
  for (const SpanEvidence& s : *out.spans) {
    EXPECT_EQ(s.kind, SpanKind::server) << s.span_id << ": the failing requests, not their failing calls";
    EXPECT_EQ(s.status, SpanStatus::error) << s.span_id;
  }
}

// A scale-up of 3 replicas whose added pods never become ready, while the
// load falls from 255 to 150 req/s and latency with it.
Telemetry pods_never_ready() {
  Telemetry tel;
  tel.load = [](int s) { return s <= 0 ? 255.0 : 150.0; };
  tel.ready = [](int) { return 3.0; };
  tel.latency = [](int s) { return s <= 0 ? 0.060 : 0.024; };
  return tel;
}

TEST(ScalingVerdict, AScaleUpWhosePodsNeverBecameReadyWasIneffectiveHoweverLatencyFell) {
  // The added pods stay pending for nodes the whole window; latency falls
  // because the load does, which the 3 replicas it had would have served
  // just as well.
  const Verdict v = judge(pods_never_ready(), "scale_up", 3, 6, 85);
  EXPECT_EQ(v.value, "ineffective") << v.sentence;
  ASSERT_TRUE(v.relief.has_value());
  EXPECT_NEAR(*v.relief, 0, 1e-9);
}

TEST(ScalingVerdict, AScaleDownThatLeftTooFewReplicasForTheLoadWasHarmful) {
  // 8 replicas at 30 % go down to 3, which then run at 80 %.
  Telemetry tel;
  tel.load = [](int) { return 240.0; };
  tel.ready = [](int s) { return s < 0 ? 8.0 : 3.0; };
  tel.latency = [](int s) { return s < 0 ? 0.020 : 0.045; };
  const Verdict v = judge(tel, "scale_down", 8, 3, 30);
  EXPECT_EQ(v.value, "harmful") << v.sentence;
}

TEST(ScalingVerdict, WithoutFromReplicasTheReadyReplicasJustBeforeTheEventStandIn) {
  // A Kubernetes HPA event says the new size, not the old one: the 3 ready
  // replicas of the step before the event give the same model as an event
  // saying from_replicas 3.
  Telemetry tel;
  tel.load = [](int s) { return s <= 0 ? 240.0 : 330.0; };
  tel.ready = [](int s) { return s < 30 ? 3.0 : 6.0; };
  tel.latency = [](int) { return 0.022; };
  const Verdict said = judge(tel, "scale_up", 3, 6, 80);
  const Verdict inferred = judge(tel, "scale_up", -1, 6, 80);
  EXPECT_EQ(inferred.value, "effective") << inferred.sentence;
  EXPECT_EQ(inferred.value, said.value);
  EXPECT_EQ(inferred.sentence, said.sentence);
  EXPECT_NEAR(evidence(inferred, "capacity_per_replica_rps"), 100, 5);
  EXPECT_DOUBLE_EQ(evidence(inferred, "utilisation_had_it_not_scaled"),
                   evidence(said, "utilisation_had_it_not_scaled"));
  // Without the utilisation as well there is still no model.
  EXPECT_TRUE(std::isnan(evidence(judge(tel, "scale_up", -1, 6, 0), "capacity_per_replica_rps")));
}

TEST(ScalingVerdict, WithoutTheUtilisationThatPromptedItTheEarlierJudgmentStands) {
  // No capacity, no model: the pending-pods case is then judged on latency
  // before and after.
  const Verdict v = judge(pods_never_ready(), "scale_up", 3, 6, 0);
  EXPECT_EQ(v.value, "effective") << v.sentence;
  EXPECT_TRUE(std::isnan(evidence(v, "capacity_per_replica_rps")));
}

}  // namespace
}  // namespace eventlens::correlate
