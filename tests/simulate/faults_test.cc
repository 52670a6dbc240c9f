// The faults real chaos tools inject, each checked for the effect it
// promises in the simulator's output and truth (docs/simulate.md "Faults"):
// network delays callers see and the callee does not, code exceptions with no
// error counter, a noisy neighbour on a node, services without error
// metrics, release waves with one faulty release; and the busy and bursty
// scenarios.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "codec/native_json.h"
#include "simulate/record_sink.h"
#include "simulate/simulator.h"
#include "support/memory_sink.h"

namespace eventlens::simulate {
namespace {

constexpr TimeNs kSecond = kNanosPerSecond;

using test::MemorySink;
using test::mean_between;

struct Simulated {
  MemorySink sink;
  Truth truth;
  TimeNs start = 0;
  TimeNs at(double seconds) const { return start + static_cast<TimeNs>(seconds * 1e9); }
};

// The default shop without its random deploys, plus `faults` (YAML list items).
Simulated run_yaml(const std::string& extra, std::uint64_t seed = 1, double duration_s = 3600) {
  auto spec = parse_scenario_yaml("base: steady\n" + extra);
  EXPECT_TRUE(spec.ok()) << spec.error().to_string();
  Simulated r;
  if (!spec.ok()) return r;
  r.start = spec->start;
  auto result = run_simulation(*spec, {seed, duration_s, 0}, r.sink);
  EXPECT_TRUE(result.ok()) << result.error().to_string();
  if (result.ok()) r.truth = std::move(result->truth);
  return r;
}

Simulated run_builtin(const std::string& name, std::uint64_t seed, double duration_s) {
  auto spec = builtin_scenario(name);
  EXPECT_TRUE(spec.ok());
  Simulated r;
  r.start = spec->start;
  auto result = run_simulation(*spec, {seed, duration_s, 0}, r.sink);
  EXPECT_TRUE(result.ok()) << result.error().to_string();
  if (result.ok()) r.truth = std::move(result->truth);
  return r;
}

// The increase of a counter over [from, to).
double increase(const std::vector<std::pair<TimeNs, double>>& s, TimeNs from, TimeNs to) {
  double first = NAN, last = NAN;
  for (const auto& [t, v] : s) {
    if (t < from || t >= to) continue;
    if (std::isnan(first)) first = v;
    last = v;
  }
  return last - first;
}

// Mean duration (s) and count of the spans of `service` of `kind` starting in
// [from, to), optionally only those whose peer.service is `peer`.
std::pair<double, int> spans_between(const Simulated& r, const std::string& service, SpanKind kind, TimeNs from, TimeNs to,
                                     const std::string& peer = {}) {
  double sum = 0;
  int n = 0;
  for (const auto& sp : r.sink.spans) {
    if (sp.service != service || sp.kind != kind || sp.start < from || sp.start >= to) continue;
    if (!peer.empty()) {
      bool match = false;
      for (const auto& [k, v] : sp.attributes) match = match || (k == "peer.service" && std::get<std::string>(v) == peer);
      if (!match) continue;
    }
    sum += static_cast<double>(sp.end - sp.start) / 1e9;
    ++n;
  }
  return {n > 0 ? sum / n : NAN, n};
}

const CauseTruth* cause_of_type(const Truth& t, const std::string& type) {
  for (const auto& c : t.causes) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

std::uint64_t hash_records(const MemorySink& s) {
  std::string all;
  for (const auto& e : s.events) codec::encode_native(e, all);
  for (const auto& m : s.metrics) codec::encode_native(m, all);
  for (const auto& l : s.logs) codec::encode_native(l, all);
  for (const auto& sp : s.spans) codec::encode_native(sp, all);
  return std::hash<std::string>{}(all);
}

TEST(NetworkDelay, CallersWaitItTheCalleeDoesNotSeeIt) {
  Simulated r = run_yaml("faults:\n  - {type: network_delay, service: payment, at: 20m, duration: 15m, delay: 300ms}\n");
  const TimeNs before_from = r.at(5 * 60), before_to = r.at(19 * 60);
  const TimeNs during_from = r.at(22 * 60), during_to = r.at(34 * 60);
  // Traces: checkout's calls to payment take 300 ms longer; payment's own spans do not.
  const auto calls_before = spans_between(r, "checkout", SpanKind::client, before_from, before_to, "payment");
  const auto calls_during = spans_between(r, "checkout", SpanKind::client, during_from, during_to, "payment");
  ASSERT_GT(calls_before.second, 50);
  ASSERT_GT(calls_during.second, 50);
  EXPECT_NEAR(calls_during.first - calls_before.first, 0.3, 0.06);
  const auto own_before = spans_between(r, "payment", SpanKind::server, before_from, before_to);
  const auto own_during = spans_between(r, "payment", SpanKind::server, during_from, during_to);
  EXPECT_LT(own_during.first, 1.2 * own_before.first) << "payment's own server time stays flat";
  // Metrics: checkout's p95 rises, payment's stays.
  const auto checkout_p95 = r.sink.series("http_request_duration_seconds", {{"service", "checkout"}, {"quantile", "0.95"}});
  const auto payment_p95 = r.sink.series("http_request_duration_seconds", {{"service", "payment"}, {"quantile", "0.95"}});
  EXPECT_GT(mean_between(checkout_p95, during_from, during_to), 2 * mean_between(checkout_p95, before_from, before_to));
  EXPECT_LT(mean_between(payment_p95, during_from, during_to), 1.15 * mean_between(payment_p95, before_from, before_to));
  // Nothing announces it; truth names payment for its callers' incidents.
  for (const auto& e : r.sink.events) {
    EXPECT_FALSE(e.time >= during_from && e.time < during_to && e.service == "payment") << e.type;
  }
  const CauseTruth* cause = cause_of_type(r.truth, "network_delay");
  ASSERT_NE(cause, nullptr);
  EXPECT_DOUBLE_EQ(cause->magnitude, 0.3);
  ASSERT_FALSE(cause->incidents.empty());
  std::set<std::string> services;
  for (const auto& inc : r.truth.incidents) {
    if (inc.cause != cause->id) continue;
    services.insert(inc.service);
    EXPECT_EQ(inc.root_cause.kind, "service");
    EXPECT_EQ(inc.root_cause.service, "payment");
    EXPECT_EQ(inc.root_cause.type, "network_delay");
    EXPECT_FALSE(inc.service == "payment" && inc.signal == "latency") << "payment's own latency did not move";
  }
  EXPECT_TRUE(services.contains("checkout"));
}

TEST(CodeException, ErrorLogsAndErrorSpansButNoErrorCounter) {
  Simulated r = run_yaml("faults:\n  - {type: code_exception, service: inventory, at: 20m, duration: 15m, error_rate: 0.2}\n");
  const TimeNs during_from = r.at(21 * 60), during_to = r.at(35 * 60);
  EXPECT_TRUE(r.sink.series("http_requests_errors_total", {{"service", "inventory"}}).empty())
      << "inventory exports no error counter, before, during or after";
  EXPECT_FALSE(r.sink.series("http_requests_total", {{"service", "inventory"}}).empty());
  EXPECT_FALSE(r.sink.series("http_requests_errors_total", {{"service", "checkout"}}).empty());
  int exceptions = 0;
  for (const auto& l : r.sink.logs) {
    if (l.service == "inventory" && l.severity == Severity::error && l.time >= during_from && l.time < during_to &&
        l.body.find("java.lang.IllegalStateException") != std::string::npos) {
      ++exceptions;
    }
  }
  EXPECT_GT(exceptions, 500);
  int failed = 0, spans = 0;
  for (const auto& sp : r.sink.spans) {
    if (sp.service != "inventory" || sp.kind != SpanKind::server || sp.start < during_from || sp.start >= during_to) continue;
    ++spans;
    failed += sp.status == SpanStatus::error ? 1 : 0;
  }
  EXPECT_NEAR(static_cast<double>(failed) / spans, 0.2, 0.05);
  // Its callers' failures show as today: checkout's error counter rises.
  const auto errors = r.sink.series("http_requests_errors_total", {{"service", "checkout"}});
  const auto total = r.sink.series("http_requests_total", {{"service", "checkout"}});
  EXPECT_GT(increase(errors, during_from, during_to) / increase(total, during_from, during_to), 0.2);
  const CauseTruth* cause = cause_of_type(r.truth, "code_exception");
  ASSERT_NE(cause, nullptr);
  ASSERT_FALSE(cause->incidents.empty());
  for (const auto& inc : r.truth.incidents) {
    EXPECT_EQ(inc.root_cause.service, "inventory");
    EXPECT_EQ(inc.root_cause.type, "code_exception");
  }
}

TEST(ErrorMetrics, AServiceCanExportNone) {
  auto spec = parse_scenario_yaml(R"(
base: steady
services:
  - {name: web, calls: [api], error_metrics: false}
  - {name: api}
traffic:
  - {service: web, rps: 50}
)");
  ASSERT_TRUE(spec.ok()) << spec.error().to_string();
  MemorySink sink;
  ASSERT_TRUE(run_simulation(*spec, {2, 600, 0}, sink).ok());
  std::set<std::string> with_errors;
  for (const auto& m : sink.metrics) {
    if (m.name == "http_requests_errors_total") with_errors.insert(MemorySink::label(m, "service"));
  }
  EXPECT_EQ(with_errors, (std::set<std::string>{"api"}));
}

TEST(CpuContention, PodsOnTheNodeSlowDownSilentlyAndTruthNamesThem) {
  Simulated r = run_yaml(
      "node_metrics: true\n"
      "faults:\n  - {type: cpu_contention, node: -1, at: 20m, duration: 15m, factor: 3}\n");
  const CauseTruth* cause = cause_of_type(r.truth, "cpu_contention");
  ASSERT_NE(cause, nullptr);
  EXPECT_TRUE(cause->service.empty());
  ASSERT_FALSE(cause->node.empty());
  ASSERT_FALSE(cause->services.empty());
  const TimeNs before_from = r.at(5 * 60), before_to = r.at(19 * 60);
  const TimeNs during_from = r.at(22 * 60), during_to = r.at(34 * 60);
  // The node is busy: its CPU counter climbs faster.
  const auto cpu = r.sink.series("node_cpu_usage_seconds_total", {{"node", cause->node}});
  ASSERT_FALSE(cpu.empty());
  const double busy_before = increase(cpu, before_from, before_to) / 840;
  const double busy_during = increase(cpu, during_from, during_to) / 720;
  EXPECT_GT(busy_during, busy_before + 2) << "a neighbour takes 2/3 of its 4 cores";
  // The most crowded service on it gets slower.
  const auto p95 = r.sink.series("http_request_duration_seconds", {{"service", cause->services.front()}, {"quantile", "0.95"}});
  EXPECT_GT(mean_between(p95, during_from, during_to), 1.2 * mean_between(p95, before_from, before_to));
  // Nothing in the event stream announces it.
  for (const auto& e : r.sink.events) {
    if (e.time < r.at(20 * 60) || e.time >= during_to) continue;
    EXPECT_TRUE(e.type == "scale_up" || e.type == "scale_down" || e.type == "pod_scheduled") << e.type;
  }
  ASSERT_FALSE(cause->incidents.empty());
  const std::set<std::string> victims(cause->services.begin(), cause->services.end());
  for (const auto& inc : r.truth.incidents) {
    EXPECT_EQ(inc.root_cause.kind, "service");
    EXPECT_EQ(inc.root_cause.type, "cpu_contention");
    EXPECT_TRUE(victims.contains(inc.root_cause.service)) << inc.root_cause.service;
    if (victims.contains(inc.service)) {
      EXPECT_EQ(inc.root_cause.service, inc.service);
    }
  }
}

TEST(ReleaseWave, SeveralDeploysInMinutesAndTruthNamesTheFaultyOne) {
  Simulated r = run_yaml(
      "faults:\n  - {type: release_wave, service: payment, at: 20m, duration: 15m, releases: 4, spread: 5m, "
      "error_rate: 0.3}\n");
  std::vector<const Event*> deploys;
  for (const auto& e : r.sink.events) {
    if (e.type == "deploy") deploys.push_back(&e);
  }
  ASSERT_EQ(deploys.size(), 4u);
  std::set<std::string> services;
  for (const Event* e : deploys) {
    services.insert(e->service);
    EXPECT_GE(e->time, r.at(20 * 60));
    EXPECT_LE(e->time, r.at(25 * 60) + kSecond);
  }
  EXPECT_EQ(services.size(), 4u) << "four services release";
  EXPECT_TRUE(services.contains("payment"));
  const CauseTruth* faulty = cause_of_type(r.truth, "release_wave");
  ASSERT_NE(faulty, nullptr);
  EXPECT_EQ(faulty->service, "payment");
  int benign = 0;
  for (const auto& c : r.truth.causes) benign += c.type == "benign_deploy" ? 1 : 0;
  EXPECT_EQ(benign, 3);
  ASSERT_FALSE(faulty->incidents.empty());
  for (const auto& inc : r.truth.incidents) {
    EXPECT_EQ(inc.cause, faulty->id) << "the harmless releases cause nothing";
    EXPECT_EQ(inc.root_cause.kind, "event");
    EXPECT_EQ(inc.root_cause.event_id, faulty->event_id);
    EXPECT_EQ(inc.root_cause.type, "deploy");
  }
  // payment's own errors barely move; checkout, which calls it, fails.
  const TimeNs from = faulty->start + 120 * kSecond, to = faulty->end;
  auto error_ratio = [&](const std::string& service) {
    return increase(r.sink.series("http_requests_errors_total", {{"service", service}}), from, to) /
           increase(r.sink.series("http_requests_total", {{"service", service}}), from, to);
  };
  EXPECT_LT(error_ratio("payment"), 0.01);
  EXPECT_GT(error_ratio("checkout"), 0.15);
  // In traces: payment's server spans succeed, checkout's calls to it fail.
  int payment_failed = 0, payment_spans = 0, calls_failed = 0, calls = 0;
  for (const auto& sp : r.sink.spans) {
    if (sp.start < from || sp.start >= to) continue;
    if (sp.service == "payment") {
      ++payment_spans;
      payment_failed += sp.status == SpanStatus::error ? 1 : 0;
    } else if (sp.service == "checkout" && sp.kind == SpanKind::client && sp.name == "POST /charge") {
      ++calls;
      calls_failed += sp.status == SpanStatus::error ? 1 : 0;
    }
  }
  EXPECT_LT(static_cast<double>(payment_failed) / payment_spans, 0.01);
  EXPECT_GT(static_cast<double>(calls_failed) / calls, 0.2);
  int invalid = 0;
  for (const auto& l : r.sink.logs) invalid += l.service == "checkout" && l.body.find("invalid response from payment") == 0;
  EXPECT_GT(invalid, 100);
}

TEST(Busy, AtLeastFourFaultsStartInEveryHourOfEveryKind) {
  std::set<std::string> kinds;
  for (std::uint64_t seed : {1, 2, 3}) {
    Simulated r = run_builtin("busy", seed, 3 * 3600);
    std::map<int, int> per_hour;
    for (const auto& c : r.truth.causes) {
      kinds.insert(c.type);
      if (c.type != "benign_deploy") ++per_hour[static_cast<int>((c.start - r.start) / (3600 * kSecond))];
    }
    for (int h = 0; h < 3; ++h) EXPECT_GE(per_hour[h], 4) << "seed " << seed << " hour " << h;
    EXPECT_GT(r.truth.incidents.size(), 20u) << "seed " << seed;
    EXPECT_TRUE(r.sink.series("http_requests_errors_total", {{"service", "search"}}).empty())
        << "search exports no error metrics";
  }
  for (const char* k : {"network_delay", "code_exception", "cpu_contention", "release_wave", "bad_deploy",
                        "dependency_slowdown"}) {
    EXPECT_TRUE(kinds.contains(k)) << k << " in three seeds";
  }
}

TEST(Bursty, BurstsAndBatchJobsWithoutIncidents) {
  for (std::uint64_t seed : {1, 2, 3}) {
    Simulated r = run_builtin("bursty", seed, 3 * 3600);
    EXPECT_TRUE(r.truth.causes.empty()) << "seed " << seed;
    EXPECT_TRUE(r.truth.incidents.empty()) << "seed " << seed;
    // Idle, then bursts: the gateway's busiest minute is many times its median one.
    const auto requests = r.sink.series("http_requests_total", {{"service", "gateway"}});
    std::vector<double> rates;
    for (std::size_t i = 4; i < requests.size(); i += 4) rates.push_back(requests[i].second - requests[i - 4].second);
    ASSERT_GT(rates.size(), 100u);
    std::vector<double> sorted = rates;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_GT(sorted.back(), 4 * sorted[sorted.size() / 2]) << "seed " << seed;
    // Batch jobs: the report worker scales out for them and back in.
    int ups = 0, downs = 0;
    for (const auto& e : r.sink.events) {
      if (e.service != "report-worker") continue;
      ups += e.type == "scale_up";
      downs += e.type == "scale_down";
    }
    EXPECT_GE(ups, 3) << "seed " << seed;
    EXPECT_GE(downs, 3) << "seed " << seed;
    // Normal operation: the bursts are absorbed, every service fails under
    // 5 % of its requests in every minute (an overload that failed most of
    // them would be an outage the truth does not list).
    for (const char* service : {"gateway", "resize", "notify", "report-worker", "db"}) {
      const auto total = r.sink.series("http_requests_total", {{"service", service}});
      const auto errors = r.sink.series("http_requests_errors_total", {{"service", service}});
      ASSERT_EQ(total.size(), errors.size()) << service;
      double worst = 0;
      for (std::size_t i = 4; i < total.size(); ++i) {
        const double served = total[i].second - total[i - 4].second;
        if (served > 0) worst = std::max(worst, (errors[i].second - errors[i - 4].second) / served);
      }
      EXPECT_LT(worst, 0.05) << service << ", seed " << seed;
    }
  }
}

TEST(NewScenarios, AreDeterministic) {
  for (const char* name : {"busy", "bursty"}) {
    const Simulated a = run_builtin(name, 5, 3600);
    const Simulated b = run_builtin(name, 5, 3600);
    const Simulated c = run_builtin(name, 6, 3600);
    EXPECT_EQ(hash_records(a.sink), hash_records(b.sink)) << name;
    EXPECT_NE(hash_records(a.sink), hash_records(c.sink)) << name;
    std::string ta, tb;
    write_truth_json(a.truth, ta);
    write_truth_json(b.truth, tb);
    EXPECT_EQ(ta, tb) << name;
  }
}

TEST(NewFaults, YamlKeysAreCheckedByName) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"faults:\n  - {type: network_delay, service: nowhere, at: 1m}\n", "faults[0].service"},
      {"faults:\n  - {type: release_wave, service: db, releases: 99}\n", "faults[0].releases"},
      {"faults:\n  - {type: network_delay, service: db, delay: soon}\n", "faults[0].delay"},
      {"traffic:\n  - {service: frontend, pattern: wavy}\n", "traffic[0].pattern"},
      {"services:\n  - {name: a, error_metrics: maybe}\ntraffic: [{service: a}]\n", "services[0].error_metrics"},
  };
  for (const auto& [yaml, field] : cases) {
    auto spec = parse_scenario_yaml("base: steady\n" + yaml);
    ASSERT_FALSE(spec.ok()) << yaml;
    EXPECT_EQ(spec.error().field, field) << yaml << " -> " << spec.error().to_string();
  }
  // A cpu_contention names a node, not a service.
  EXPECT_TRUE(parse_scenario_yaml("base: steady\nfaults:\n  - {type: cpu_contention, factor: 2}\n").ok());
}

}  // namespace
}  // namespace eventlens::simulate
