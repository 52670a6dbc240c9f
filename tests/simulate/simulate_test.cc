// eventlens simulate: determinism, scenario errors, and realism checks on
// what the simulated cluster writes (latency follows load, memory climbs
// before an OOM kill, pods wait while nodes are short, nothing impossible).
#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "codec/decoder.h"
#include "simulate/record_sink.h"
#include "simulate/simulator.h"
#include "support/memory_sink.h"
#include "support/test_data.h"

namespace eventlens::simulate {
namespace {

namespace fs = std::filesystem;
using eventlens::testing::read_file;

using test::MemorySink;
using test::mean_between;

struct Simulated {
  MemorySink sink;
  Truth truth;
};

Simulated simulate(const std::string& scenario, std::uint64_t seed, double duration_s) {
  auto spec = builtin_scenario(scenario);
  EXPECT_TRUE(spec.ok()) << spec.error().to_string();
  Simulated s;
  auto result = run_simulation(*spec, {seed, duration_s, 0}, s.sink);
  EXPECT_TRUE(result.ok()) << result.error().to_string();
  s.truth = std::move(result->truth);
  return s;
}

constexpr TimeNs kSecond = kNanosPerSecond;

std::string temp_dir(const std::string& name) {
  const fs::path dir = fs::path(EVENTLENS_TEST_TMP) / ("simulate-" + name);
  fs::remove_all(dir);
  return dir.string();
}

std::uint64_t hash_outputs(const std::string& dir) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  for (const char* name : {"events.jsonl", "metrics.jsonl", "logs.jsonl", "traces.jsonl", "truth.json",
                           "events.k8s.jsonl", "metrics.prom"}) {
    const std::string bytes = read_file((fs::path(dir) / name).string());
    XXH3_64bits_update(state, name, std::strlen(name));
    XXH3_64bits_update(state, bytes.data(), bytes.size());
  }
  const std::uint64_t h = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return h;
}

int run_cli(const std::string& args) {
  const std::string command = std::string(EVENTLENS_BINARY) + " " + args + " >/dev/null 2>&1";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// ---- determinism ----

TEST(SimulateCli, SameScenarioSeedAndDurationGiveByteIdenticalFiles) {
  const std::string a = temp_dir("det-a"), b = temp_dir("det-b"), c = temp_dir("det-c");
  const std::string common = "simulate --scenario mixed --duration 2h --format k8s,prometheus --quiet";
  ASSERT_EQ(run_cli(common + " --seed 7 --out " + a), 0);
  ASSERT_EQ(run_cli(common + " --seed 7 --out " + b), 0);
  ASSERT_EQ(run_cli(common + " --seed 8 --out " + c), 0);
  EXPECT_EQ(hash_outputs(a), hash_outputs(b));
  EXPECT_NE(hash_outputs(a), hash_outputs(c));
}

TEST(SimulateCli, SpeedPacesTheRunAgainstTheWallClock) {
  const std::string out = temp_dir("speed");
  // 4 simulated seconds at 20x real time cannot end in less than 0.2 s.
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(run_cli("simulate --scenario steady --duration 4s --speed 20 --quiet --out " + out), 0);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(elapsed, 0.2);
  EXPECT_EQ(run_cli("simulate --scenario steady --duration 4s --speed fast --out " + out), 2);
  EXPECT_EQ(run_cli("simulate --scenario steady --duration 4s --speed 0 --out " + out), 2);
}

// ---- scenario errors ----

TEST(SimulateCli, UnknownScenarioAndBadKeysExitWithStatusTwo) {
  const std::string out = temp_dir("errors");
  EXPECT_EQ(run_cli("simulate --scenario no-such-thing --out " + out), 2);
  EXPECT_EQ(run_cli("simulate --scenario steady --duration 5parsecs --out " + out), 2);
  fs::create_directories(out);
  const std::string bad = out + "/bad.yaml";
  std::FILE* f = std::fopen(bad.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("base: steady\nservices:\n  - name: a\n    replicas: 2\n    replica: 3\n", f);
  std::fclose(f);
  EXPECT_EQ(run_cli("simulate --scenario " + bad + " --out " + out), 2);
}

TEST(ScenarioYaml, ErrorsNameTheKey) {
  struct Case {
    const char* yaml;
    const char* field;
  };
  const Case cases[] = {
      {"services:\n  - name: a\n    replica: 3\ntraffic: [{service: a}]\n", "services[0].replica"},
      {"services:\n  - name: a\n    replicas: many\ntraffic: [{service: a}]\n", "services[0].replicas"},
      {"services:\n  - name: a\n    calls: [b]\ntraffic: [{service: a}]\n", "services[0].calls[0]"},
      {"services:\n  - name: a\n    latency: 5 parsecs\ntraffic: [{service: a}]\n", "services[0].latency"},
      {"services:\n  - name: a\n    memory_limit: lots\ntraffic: [{service: a}]\n", "services[0].memory_limit"},
      {"services:\n  - {name: a, calls: [b]}\n  - {name: b, calls: [a]}\ntraffic: [{service: a}]\n",
       "services[0].calls"},
      {"base: steady\nfaults:\n  - {type: meteor, service: db}\n", "faults[0].type"},
      {"base: steady\nfaults:\n  - {type: memory_leak, service: nobody}\n", "faults[0].service"},
      {"base: steady\nautoscaler: {target: 0.5}\n", "autoscaler.target"},
      {"base: nowhere\n", "base"},
      {"base: steady\nscrape_interval: 0s\n", "scrape_interval"},
      {"base: steady\nfavourite_colour: blue\n", "favourite_colour"},
  };
  for (const auto& c : cases) {
    auto s = parse_scenario_yaml(c.yaml);
    ASSERT_FALSE(s.ok()) << c.yaml;
    EXPECT_EQ(s.error().field, c.field) << c.yaml << " -> " << s.error().to_string();
    EXPECT_FALSE(s.error().reason.empty());
  }
  auto broken = parse_scenario_yaml("services: [\n");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().reason.find("not valid YAML"), std::string::npos);
}

TEST(ScenarioYaml, AFileDefinesANewScenario) {
  auto spec = parse_scenario_yaml(R"(
name: two-tier
services:
  - name: web
    calls: [{service: api, ratio: 2}]
    replicas: 2
    capacity_rps: 80
    latency: 5ms
    timeout: 1s
  - name: api
    replicas: 2
    min_replicas: 1
    max_replicas: 6
    memory_limit: 256MiB
    memory_base: 100MiB
traffic:
  - {service: web, rps: 60, daily_amplitude: 0}
faults:
  - {type: memory_leak, service: api, at: 1m, duration: 50m, rate: 1MiB}
)");
  ASSERT_TRUE(spec.ok()) << spec.error().to_string();
  EXPECT_EQ(spec->name, "two-tier");
  ASSERT_EQ(spec->services.size(), 2u);
  EXPECT_DOUBLE_EQ(spec->services[0].calls[0].ratio, 2);
  EXPECT_DOUBLE_EQ(spec->services[0].base_latency_s, 0.005);
  EXPECT_DOUBLE_EQ(spec->services[1].memory_limit_bytes, 256.0 * 1024 * 1024);
  MemorySink sink;
  auto result = run_simulation(*spec, {3, 3600, 0}, sink);
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  // 1 MiB/s fills the 156 MiB of headroom in under three minutes, again and again.
  EXPECT_GE(result->truth.oom_kills.size(), 5u);
  for (const auto& o : result->truth.oom_kills) EXPECT_EQ(o.service, "api");
}

TEST(ScenarioText, DurationsAndSizes) {
  EXPECT_DOUBLE_EQ(*parse_duration("90s"), 90);
  EXPECT_DOUBLE_EQ(*parse_duration("30m"), 1800);
  EXPECT_DOUBLE_EQ(*parse_duration("24h"), 86400);
  EXPECT_DOUBLE_EQ(*parse_duration("1h30m"), 5400);
  EXPECT_DOUBLE_EQ(*parse_duration("250ms"), 0.25);
  EXPECT_DOUBLE_EQ(*parse_duration("2d"), 172800);
  EXPECT_DOUBLE_EQ(*parse_duration("45"), 45);
  EXPECT_FALSE(parse_duration("5 parsecs").ok());
  EXPECT_FALSE(parse_duration("").ok());
  EXPECT_FALSE(parse_duration("-3s").ok());
  EXPECT_DOUBLE_EQ(*parse_bytes("512MiB"), 512.0 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(*parse_bytes("1Gi"), 1024.0 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(*parse_bytes("64M"), 64e6);
  EXPECT_DOUBLE_EQ(*parse_bytes("1000"), 1000);
  EXPECT_FALSE(parse_bytes("lots").ok());
  EXPECT_FALSE(parse_bytes("5XB").ok());
}

TEST(Scenarios, EveryBuiltInIsValid) {
  const std::set<std::string_view> required = {"traffic-surge", "memory-leak", "node-shortage", "cascading-timeout",
                                               "bad-deploy", "steady", "mixed", "busy", "bursty"};
  std::set<std::string_view> names;
  for (auto name : builtin_scenario_names()) {
    names.insert(name);
    auto s = builtin_scenario(name);
    ASSERT_TRUE(s.ok()) << name;
    EXPECT_TRUE(validate(*s).ok()) << name << ": " << validate(*s).error().to_string();
    EXPECT_FALSE(s->description.empty()) << name;
  }
  for (auto r : required) EXPECT_TRUE(names.contains(r)) << r;
}

// ---- realism ----

TEST(Realism, NothingNegativeNoNaNAndTimeOrderedPerSeries) {
  for (const char* scenario : {"mixed", "node-shortage"}) {
    Simulated s = simulate(scenario, 11, 3 * 3600);
    ASSERT_GT(s.sink.metrics.size(), 10000u);
    std::map<std::string, TimeNs> last;
    for (const auto& m : s.sink.metrics) {
      ASSERT_TRUE(std::isfinite(m.value)) << m.name;
      ASSERT_GE(m.value, 0) << m.name;
      std::string key = m.name;
      for (const auto& [k, v] : m.labels) key += "|" + k + "=" + v;
      auto [it, fresh] = last.emplace(key, m.time);
      if (!fresh) {
        ASSERT_GT(m.time, it->second) << key;
        it->second = m.time;
      }
    }
    // Counters never go down.
    std::map<std::string, double> counter;
    for (const auto& m : s.sink.metrics) {
      if (!m.name.ends_with("_total") && !m.name.ends_with("_count")) continue;
      std::string key = m.name;
      for (const auto& [k, v] : m.labels) key += "|" + v;
      auto [it, fresh] = counter.emplace(key, m.value);
      if (!fresh) {
        ASSERT_GE(m.value, it->second) << key;
        it->second = m.value;
      }
    }
    for (std::size_t i = 1; i < s.sink.events.size(); ++i) {
      ASSERT_GE(s.sink.events[i].time, s.sink.events[i - 1].time);
    }
    for (const auto& sp : s.sink.spans) ASSERT_GE(sp.end, sp.start);
    std::set<std::string> ids;
    for (const auto& e : s.sink.events) ASSERT_TRUE(ids.insert(e.id).second) << "duplicate id " << e.id;
  }
}

TEST(Realism, LatencyRisesWithLoadAndFallsAfterTheScaleUpSettles) {
  Simulated s = simulate("traffic-surge", 5, 3600);
  ASSERT_FALSE(s.truth.causes.empty());
  const CauseTruth& surge = s.truth.causes.front();
  ASSERT_EQ(surge.type, "traffic_surge");
  const auto p95 = s.sink.series("http_request_duration_seconds", {{"service", "frontend"}, {"quantile", "0.95"}});
  const auto requests = s.sink.series("http_requests_total", {{"service", "frontend"}});
  const double before = mean_between(p95, surge.start - 600 * kSecond, surge.start);
  // The load ramps up over two minutes; the autoscaler lags it.
  const double peak = [&] {
    double m = 0;
    for (const auto& [t, v] : p95) {
      if (t >= surge.start && t < surge.start + 300 * kSecond) m = std::max(m, v);
    }
    return m;
  }();
  const double settled = mean_between(p95, surge.start + 600 * kSecond, surge.start + 1200 * kSecond);
  EXPECT_GT(peak, 1.5 * before) << "before " << before << " peak " << peak;
  EXPECT_LT(settled, 0.5 * peak) << "peak " << peak << " settled " << settled;
  // The request rate really went up during the surge.
  auto rate = [&](TimeNs from, TimeNs to) {
    double first = NAN, last = NAN;
    TimeNs t0 = 0, t1 = 0;
    for (const auto& [t, v] : requests) {
      if (t < from || t >= to) continue;
      if (std::isnan(first)) first = v, t0 = t;
      last = v, t1 = t;
    }
    return (last - first) / (static_cast<double>(t1 - t0) / kSecond);
  };
  EXPECT_GT(rate(surge.start + 300 * kSecond, surge.start + 900 * kSecond),
            2 * rate(surge.start - 600 * kSecond, surge.start));
  // The autoscaler answered, and most of its scale-ups helped.
  int ups = 0, effective = 0;
  for (const auto& sc : s.truth.scaling) {
    if (sc.type != "scale_up" || sc.time < surge.start || sc.time > surge.end) continue;
    ++ups;
    effective += sc.verdict == "effective" ? 1 : 0;
  }
  EXPECT_GE(ups, 3);
  EXPECT_GT(effective * 2, ups);
  const auto replicas = s.sink.series("kube_deployment_spec_replicas", {{"service", "frontend"}});
  EXPECT_GT(mean_between(replicas, surge.start + 600 * kSecond, surge.start + 1200 * kSecond),
            1.5 * mean_between(replicas, surge.start - 600 * kSecond, surge.start));
}

TEST(Realism, MemoryClimbsBeforeEveryOomKill) {
  Simulated s = simulate("memory-leak", 3, 2 * 3600);
  ASSERT_GE(s.truth.oom_kills.size(), 2u);
  for (const auto& oom : s.truth.oom_kills) {
    EXPECT_EQ(oom.attribution, "memory_exhaustion");
    EXPECT_FALSE(oom.cause.empty());
    const auto memory = s.sink.series("container_memory_working_set_bytes", {{"pod", oom.pod}});
    std::vector<double> window;
    for (const auto& [t, v] : memory) {
      if (t > oom.time - 600 * kSecond && t < oom.time) window.push_back(v);
    }
    ASSERT_GE(window.size(), 10u) << oom.pod;
    EXPECT_GT(window.back(), window.front() + 0.1 * oom.limit_bytes) << oom.pod;
    EXPECT_GT(window.back(), 0.85 * oom.limit_bytes) << oom.pod;
    const auto limit = s.sink.series("kube_pod_container_resource_limits", {{"pod", oom.pod}});
    ASSERT_FALSE(limit.empty());
    EXPECT_DOUBLE_EQ(limit.front().second, oom.limit_bytes);
    // The kill is an event of the service, with the pod and its node.
    auto it = std::find_if(s.sink.events.begin(), s.sink.events.end(),
                           [&](const Event& e) { return e.id == oom.event_id; });
    ASSERT_NE(it, s.sink.events.end());
    EXPECT_EQ(it->type, "oom_killed");
    EXPECT_EQ(it->category, Category::failure);
    EXPECT_EQ(it->pod, oom.pod);
    EXPECT_FALSE(it->node.empty());
  }
}

TEST(Realism, PodsWaitWhileNodesAreShortAndTheDelayIsMeasured) {
  Simulated s = simulate("node-shortage", 4, 2 * 3600);
  ASSERT_FALSE(s.truth.provisioning.empty());
  std::map<std::string, const Event*> by_id;
  for (const auto& e : s.sink.events) by_id[e.id] = &e;
  int failed_scheduling = 0;
  for (const auto& e : s.sink.events) failed_scheduling += e.type == "allocation_failed" ? 1 : 0;
  EXPECT_GT(failed_scheduling, 0);
  for (const auto& p : s.truth.provisioning) {
    if (p.added == 0) continue;
    // 180 s ± 60 s in this scenario.
    EXPECT_GE(p.delay_s, 120) << p.request_event_id;
    EXPECT_LE(p.delay_s, 240) << p.request_event_id;
    ASSERT_TRUE(by_id.contains(p.request_event_id));
    EXPECT_EQ(by_id[p.request_event_id]->type, "resource_requested");
    ASSERT_FALSE(p.node_added_event_ids.empty());
    EXPECT_EQ(by_id[p.node_added_event_ids.front()]->type, "node_added");
    // Pods were pending in between.
    double pending = 0;
    for (const auto& m : s.sink.metrics) {
      if (m.name == "kube_pod_status_phase" && s.sink.label(m, "phase") == "Pending" && m.time > p.requested &&
          m.time < p.added) {
        pending = std::max(pending, m.value);
      }
    }
    EXPECT_EQ(pending, 1) << p.request_event_id;
  }
  double lost = 0;
  for (const auto& p : s.truth.provisioning) lost += p.requests_lost;
  EXPECT_GT(lost, 0);
}

TEST(Realism, ASlowDependencyCascadesIntoUpstreamTimeouts) {
  Simulated s = simulate("cascading-timeout", 6, 3600);
  ASSERT_FALSE(s.truth.causes.empty());
  const CauseTruth& slow = s.truth.causes.front();
  EXPECT_EQ(slow.service, "db");
  EXPECT_TRUE(slow.event_id.empty());  // nothing announced it
  std::set<std::string> hit;
  for (const auto& inc : s.truth.incidents) {
    if (inc.cause != slow.id) continue;
    hit.insert(inc.service);
    EXPECT_EQ(inc.root_cause.kind, "service");
    EXPECT_EQ(inc.root_cause.service, "db");
  }
  EXPECT_TRUE(hit.contains("db"));
  EXPECT_TRUE(hit.contains("inventory"));
  EXPECT_TRUE(hit.contains("frontend"));
  int timeouts = 0;
  for (const auto& l : s.sink.logs) {
    if (l.time >= slow.start && l.time <= slow.end && l.body.find("upstream request timeout") != std::string::npos) {
      ++timeouts;
      EXPECT_EQ(l.trace_id.size(), 32u);
    }
  }
  EXPECT_GT(timeouts, 50);
  // Traces show it: spans into db fail during the slowdown.
  int failed_db = 0;
  for (const auto& sp : s.sink.spans) {
    if (sp.service == "inventory" && sp.status == SpanStatus::error && sp.start >= slow.start && sp.start <= slow.end) {
      ++failed_db;
    }
  }
  EXPECT_GT(failed_db, 10);
}

std::string attribute_text(const Attributes& attributes, std::string_view key) {
  for (const auto& [k, v] : attributes) {
    if (k == key && std::holds_alternative<std::string>(v)) return std::get<std::string>(v);
  }
  return {};
}

TEST(Traces, EveryCallIsAClientSpanOfTheCallerAroundTheCalleesServerSpan) {
  Simulated s = simulate("cascading-timeout", 3, 1800);  // db's slowdown makes calls time out
  std::map<std::string, std::set<std::string>> calls;  // the scenario's call graph
  for (const auto& svc : s.truth.services) calls[svc.name].insert(svc.calls.begin(), svc.calls.end());
  std::map<std::pair<std::string, std::string>, const Span*> by_id;  // (trace, span)
  std::map<std::pair<std::string, std::string>, std::vector<const Span*>> children;
  for (const auto& sp : s.sink.spans) {
    ASSERT_TRUE(by_id.emplace(std::pair{sp.trace_id, sp.span_id}, &sp).second) << "span ids are unique in a trace";
    if (!sp.parent_span_id.empty()) children[{sp.trace_id, sp.parent_span_id}].push_back(&sp);
  }
  int clients = 0, servers = 0, roots = 0, timed_out = 0;
  for (const auto& sp : s.sink.spans) {
    ASSERT_TRUE(sp.kind == SpanKind::server || sp.kind == SpanKind::client) << to_string(sp.kind);
    const auto parent_it = by_id.find({sp.trace_id, sp.parent_span_id});
    const Span* parent = parent_it == by_id.end() ? nullptr : parent_it->second;
    if (sp.kind == SpanKind::server) {
      ++servers;
      if (sp.parent_span_id.empty()) {
        ++roots;
        EXPECT_EQ(sp.service, "frontend") << "a trace starts at the entry service";
        continue;
      }
      // Under the caller's client span for this call.
      ASSERT_NE(parent, nullptr) << "the parent was written";
      EXPECT_EQ(parent->kind, SpanKind::client);
      EXPECT_EQ(attribute_text(parent->attributes, "peer.service"), sp.service);
      EXPECT_EQ(parent->name, sp.name) << "a call is named after the callee's operation";
      EXPECT_TRUE(calls[parent->service].contains(sp.service)) << parent->service << " -> " << sp.service;
      continue;
    }
    ++clients;
    // In the caller, under its server span, around exactly one server span of the callee.
    ASSERT_NE(parent, nullptr);
    EXPECT_EQ(parent->kind, SpanKind::server);
    EXPECT_EQ(parent->service, sp.service);
    EXPECT_GE(sp.start, parent->start);
    EXPECT_LE(sp.end, parent->end);
    const auto& kids = children[{sp.trace_id, sp.span_id}];
    ASSERT_EQ(kids.size(), 1u);
    const Span& callee = *kids[0];
    EXPECT_NE(callee.service, sp.service);
    EXPECT_GE(callee.start, sp.start);
    const bool gave_up = sp.status == SpanStatus::error && callee.end > sp.end;
    if (gave_up) {
      ++timed_out;  // the caller stopped waiting; the callee's span runs on
    } else {
      EXPECT_EQ(sp.end, callee.end) << "the caller sees the callee's time";
      EXPECT_EQ(sp.status, callee.status);
    }
  }
  EXPECT_GT(roots, 1000);
  EXPECT_EQ(clients, servers - roots) << "one client span per call";
  EXPECT_GT(timed_out, 10) << "db's slowdown makes some calls time out";
}

TEST(Realism, ABadDeployIsTheRootCauseOfItsIncidents) {
  Simulated s = simulate("bad-deploy", 2, 3600);
  const CauseTruth* deploy = nullptr;
  for (const auto& c : s.truth.causes) {
    if (c.type == "bad_deploy") deploy = &c;
  }
  ASSERT_NE(deploy, nullptr);
  ASSERT_FALSE(deploy->event_id.empty());
  ASSERT_FALSE(deploy->incidents.empty());
  for (const auto& inc : s.truth.incidents) {
    if (inc.cause != deploy->id) continue;
    EXPECT_EQ(inc.root_cause.kind, "event");
    EXPECT_EQ(inc.root_cause.event_id, deploy->event_id);
    EXPECT_EQ(inc.root_cause.type, "deploy");
  }
  const auto errors = s.sink.series("http_requests_errors_total", {{"service", "checkout"}});
  const auto total = s.sink.series("http_requests_total", {{"service", "checkout"}});
  auto error_rate = [&](TimeNs from, TimeNs to) {
    const double e = mean_between(errors, to - 30 * kSecond, to) - mean_between(errors, from, from + 30 * kSecond);
    const double n = mean_between(total, to - 30 * kSecond, to) - mean_between(total, from, from + 30 * kSecond);
    return e / n;
  };
  const TimeNs quiet_from = std::max(s.truth.start, deploy->start - 900 * kSecond);
  EXPECT_GT(error_rate(deploy->start + 120 * kSecond, deploy->end), 5 * error_rate(quiet_from, deploy->start));
}

TEST(Realism, SteadyHasNoIncidentsInTruth) {
  for (std::uint64_t seed : {1, 2, 3}) {
    Simulated s = simulate("steady", seed, 3 * 3600);
    EXPECT_TRUE(s.truth.incidents.empty()) << "seed " << seed;
    for (const auto& c : s.truth.causes) EXPECT_EQ(c.type, "benign_deploy");
  }
}

// ---- other formats ----

TEST(Formats, KubernetesAndPrometheusOutputsDecodeToTheNativeRecords) {
  const std::string dir = temp_dir("formats");
  ASSERT_EQ(run_cli("simulate --scenario node-shortage --seed 3 --duration 40m --format k8s,prometheus --quiet --out " + dir), 0);
  auto native_events = eventlens::testing::decode(codec::Format::native, read_file(dir + "/events.jsonl"));
  auto k8s_events = eventlens::testing::decode(codec::Format::k8s, read_file(dir + "/events.k8s.jsonl"));
  ASSERT_TRUE(k8s_events.rejects.empty()) << k8s_events.describe_rejects();
  ASSERT_GT(native_events.records.size(), 10u);
  EXPECT_EQ(k8s_events.all<Event>(), native_events.all<Event>());

  codec::DecodeOptions options;
  options.default_time = 1;
  auto native_metrics = eventlens::testing::decode(codec::Format::native, read_file(dir + "/metrics.jsonl"));
  auto prom_metrics = eventlens::testing::decode(codec::Format::prometheus, read_file(dir + "/metrics.prom"), options);
  ASSERT_TRUE(prom_metrics.rejects.empty()) << prom_metrics.describe_rejects();
  const auto a = native_metrics.all<MetricSample>();
  const auto b = prom_metrics.all<MetricSample>();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].labels, b[i].labels);
    // Prometheus text carries millisecond timestamps.
    EXPECT_EQ(a[i].time / 1'000'000, b[i].time / 1'000'000);
    EXPECT_NEAR(a[i].value, b[i].value, 1e-9 * std::abs(a[i].value)) << a[i].name;
  }
  auto logs = eventlens::testing::decode(codec::Format::native, read_file(dir + "/logs.jsonl"));
  auto traces = eventlens::testing::decode(codec::Format::native, read_file(dir + "/traces.jsonl"));
  EXPECT_TRUE(logs.rejects.empty());
  EXPECT_TRUE(traces.rejects.empty());
  EXPECT_FALSE(logs.all<LogRecord>().empty());
  EXPECT_FALSE(traces.all<Span>().empty());
}

TEST(Truth, EveryIdInTruthNamesAnEventThatWasWritten) {
  Simulated s = simulate("mixed", 21, 3 * 3600);
  std::set<std::string> ids;
  for (const auto& e : s.sink.events) ids.insert(e.id);
  for (const auto& sc : s.truth.scaling) EXPECT_TRUE(ids.contains(sc.event_id)) << sc.event_id;
  for (const auto& o : s.truth.oom_kills) EXPECT_TRUE(ids.contains(o.event_id)) << o.event_id;
  for (const auto& c : s.truth.causes) {
    if (!c.event_id.empty()) {
      EXPECT_TRUE(ids.contains(c.event_id)) << c.id;
    }
  }
  for (const auto& i : s.truth.incidents) {
    if (i.root_cause.kind == "event") {
      EXPECT_TRUE(ids.contains(i.root_cause.event_id)) << i.id;
    } else {
      EXPECT_EQ(i.root_cause.kind, "service");
    }
    EXPECT_LE(i.start, i.end);
  }
  for (const auto& p : s.truth.provisioning) EXPECT_TRUE(ids.contains(p.request_event_id));
  EXPECT_GE(s.truth.causes.size(), 2u);
}

}  // namespace
}  // namespace eventlens::simulate
