#include "correlate/config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace eventlens::correlate {
namespace {

using stream::Aggregate;
using stream::SeriesKind;
using stream::SignalSpec;

constexpr TimeNs kSecond = stream::kSecond;

std::vector<SignalSpec> signals_of(const Config& c, std::string_view role) {
  std::vector<SignalSpec> out;
  for (const auto& s : c.stream.signals) {
    if (s.role == role) out.push_back(s);
  }
  return out;
}

Config parse_ok(const std::string& yaml) {
  auto c = parse_config_yaml(yaml);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().to_string());
  return c.ok() ? *c : default_config();
}

// Returns the refused key path; fails the test when the text is accepted.
std::string refused_field(const std::string& yaml) {
  auto c = parse_config_yaml(yaml);
  EXPECT_FALSE(c.ok()) << "accepted:\n" << yaml;
  return c.ok() ? std::string("<accepted>") : c.error().field;
}

bool same_signal(const SignalSpec& a, const SignalSpec& b) {
  return a.role == b.role && a.metric == b.metric && a.match == b.match && a.kind == b.kind &&
         a.aggregate == b.aggregate && a.quantile == b.quantile && a.ratio_of == b.ratio_of &&
         a.scale == b.scale && a.offset == b.offset;
}

void expect_same_signals(const std::vector<SignalSpec>& a, const std::vector<SignalSpec>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(same_signal(a[i], b[i])) << "signal " << i;
}

TEST(EngineConfig, AnEmptyFileKeepsEveryDefault) {
  const Config d = default_config();
  for (const char* yaml : {"", "# nothing here\n", "{}"}) {
    const Config c = parse_ok(yaml);
    EXPECT_EQ(c.stream.step, d.stream.step);
    EXPECT_EQ(c.stream.history, d.stream.history);
    EXPECT_EQ(c.stream.service_labels, d.stream.service_labels);
    expect_same_signals(c.stream.signals, d.stream.signals);
    EXPECT_EQ(c.detection.size(), d.detection.size());
    EXPECT_EQ(c.failure_window.before, d.failure_window.before);
    EXPECT_EQ(c.thresholds.min_latency_change_s, d.thresholds.min_latency_change_s);
    EXPECT_EQ(c.cause_lookback, d.cause_lookback);
    EXPECT_TRUE(c.topology.empty());
  }
}

TEST(EngineConfig, AKeyOverridesOnlyItself) {
  const Config d = default_config();
  const Config c = parse_ok("step: 30s\nmax_series: 5000\n");
  EXPECT_EQ(c.stream.step, 30 * kSecond);
  EXPECT_EQ(c.stream.max_series, 5000u);
  EXPECT_EQ(c.stream.max_out_of_orderness, d.stream.max_out_of_orderness);
  EXPECT_EQ(c.stream.idle_timeout, d.stream.idle_timeout);
  expect_same_signals(c.stream.signals, d.stream.signals);
}

TEST(EngineConfig, TheStepOffsetIsTheDatasPhaseUnlessGiven) {
  EXPECT_FALSE(default_config().stream.step_offset.has_value());
  EXPECT_FALSE(parse_ok("step_offset: auto\n").stream.step_offset.has_value());
  const Config c = parse_ok("step: 5m\nstep_offset: 97s\n");
  ASSERT_TRUE(c.stream.step_offset.has_value());
  EXPECT_EQ(*c.stream.step_offset, 97 * kSecond);
  EXPECT_EQ(*parse_ok("step_offset: 0s\n").stream.step_offset, 0);
}

TEST(EngineConfig, StreamSettings) {
  const Config c = parse_ok(R"(
step: 250ms
max_out_of_orderness: 0
idle_timeout: 5m
history: 1d
series_ttl: 1h30m
max_series: 1000
service_labels: [app, service.name]
max_logs_per_service: 10
max_spans_per_service: 20
max_events_per_service: 0
)");
  EXPECT_EQ(c.stream.step, 250'000'000);
  EXPECT_EQ(c.stream.max_out_of_orderness, 0);
  EXPECT_EQ(c.stream.idle_timeout, 300 * kSecond);
  EXPECT_EQ(c.stream.history, 86400 * kSecond);
  EXPECT_EQ(c.stream.series_ttl, 5400 * kSecond);
  EXPECT_EQ(c.stream.max_series, 1000u);
  EXPECT_EQ(c.stream.service_labels, (std::vector<std::string>{"app", "service.name"}));
  EXPECT_EQ(c.stream.max_logs_per_service, 10u);
  EXPECT_EQ(c.stream.max_spans_per_service, 20u);
  EXPECT_EQ(c.stream.max_events_per_service, 0u);
}

TEST(EngineConfig, WindowsThresholdsRankingAndTheRest) {
  const Config d = default_config();
  const Config c = parse_ok(R"(
windows:
  scaling: {before: 10m, settle: 2m, after: 15m}
  failure: {after: 3m}
  other: {settle: 0s}
thresholds: {effective_relief: 0.2, harmful_relief: -0.3, harmful_error_points: 0.02,
             min_latency_change: 5ms, memory_exhaustion_ratio: 0.9, cpu_saturation_ratio: 1.5,
             provisioning_max_wait: 1h}
ranking: {time_proximity: 2, graph_distance: 0, event_type: 1, history: 0.25, onset: 3, strength: 0.5}
cause_lookback: 30m
top_logs: 3
top_spans: 0
)");
  EXPECT_EQ(c.scaling_window.before, 600 * kSecond);
  EXPECT_EQ(c.scaling_window.settle, 120 * kSecond);
  EXPECT_EQ(c.scaling_window.after, 900 * kSecond);
  // A window's keys that are absent keep that category's default.
  EXPECT_EQ(c.failure_window.before, d.failure_window.before);
  EXPECT_EQ(c.failure_window.settle, 0);
  EXPECT_EQ(c.failure_window.after, 180 * kSecond);
  EXPECT_EQ(c.other_window.settle, 0);
  EXPECT_EQ(c.other_window.before, d.other_window.before);
  EXPECT_EQ(c.change_window.after, d.change_window.after);

  EXPECT_DOUBLE_EQ(c.thresholds.effective_relief, 0.2);
  EXPECT_DOUBLE_EQ(c.thresholds.harmful_relief, -0.3);
  EXPECT_DOUBLE_EQ(c.thresholds.harmful_error_points, 0.02);
  EXPECT_DOUBLE_EQ(c.thresholds.min_latency_change_s, 0.005);
  EXPECT_DOUBLE_EQ(c.thresholds.memory_exhaustion_ratio, 0.9);
  EXPECT_DOUBLE_EQ(c.thresholds.cpu_saturation_ratio, 1.5);
  EXPECT_EQ(c.thresholds.provisioning_max_wait, 3600 * kSecond);

  EXPECT_DOUBLE_EQ(c.weights.time_proximity, 2);
  EXPECT_DOUBLE_EQ(c.weights.graph_distance, 0);
  EXPECT_DOUBLE_EQ(c.weights.event_type, 1);
  EXPECT_DOUBLE_EQ(c.weights.history, 0.25);
  EXPECT_DOUBLE_EQ(c.weights.onset, 3);
  EXPECT_DOUBLE_EQ(c.weights.strength, 0.5);
  EXPECT_EQ(c.cause_lookback, 1800 * kSecond);
  EXPECT_EQ(c.top_logs, 3u);
  EXPECT_EQ(c.top_spans, 0u);
}

TEST(EngineConfig, DetectionReplacesTheDefaultList) {
  const Config c = parse_ok(R"(
detection:
  - {role: latency, min_ratio: 1.5, open_after: 1m}
  - {role: throughput, direction: down, min_ratio: 2, min_delta: 10, min_z: 3, close_after: 2m}
)");
  ASSERT_EQ(c.detection.size(), 2u);
  EXPECT_EQ(c.detection[0].role, "latency");
  EXPECT_EQ(c.detection[0].direction, DetectionSpec::Direction::up);
  EXPECT_DOUBLE_EQ(c.detection[0].min_ratio, 1.5);
  EXPECT_EQ(c.detection[0].open_after, 60 * kSecond);
  // Keys left out take DetectionSpec's defaults.
  EXPECT_DOUBLE_EQ(c.detection[0].min_delta, DetectionSpec{}.min_delta);
  EXPECT_EQ(c.detection[0].close_after, DetectionSpec{}.close_after);
  EXPECT_EQ(c.detection[1].direction, DetectionSpec::Direction::down);
  EXPECT_DOUBLE_EQ(c.detection[1].min_delta, 10);
  EXPECT_DOUBLE_EQ(c.detection[1].min_z, 3);
  EXPECT_EQ(c.detection[1].close_after, 120 * kSecond);
}

TEST(EngineConfig, ANamedRoleReplacesAllItsDefaultSignalsAndOnlyThose) {
  const Config d = default_config();
  ASSERT_GT(signals_of(d, "latency").size(), 1u);
  const Config c = parse_ok(R"(
roles:
  latency:
    - {metric: request_latency_p99, aggregate: max}
)");
  const auto latency = signals_of(c, "latency");
  ASSERT_EQ(latency.size(), 1u);
  EXPECT_EQ(latency[0].metric, "request_latency_p99");
  EXPECT_EQ(latency[0].kind, SeriesKind::gauge);  // SignalSpec's default
  EXPECT_EQ(latency[0].aggregate, Aggregate::max);
  EXPECT_TRUE(latency[0].match.empty());
  for (std::string_view role : {"errors", "throughput", "cpu", "memory", "memory_limit", "replicas",
                                "pending_pods", "queue_depth"}) {
    expect_same_signals(signals_of(c, role), signals_of(d, role));
  }
  // The replacement stands where the role's first default stood.
  EXPECT_EQ(c.stream.signals.front().role, "latency");
  EXPECT_EQ(c.stream.signals.size(), d.stream.signals.size() - signals_of(d, "latency").size() + 1);
}

TEST(EngineConfig, EverySignalKey) {
  const Config c = parse_ok(R"(
roles:
  errors:
    - metric: http_requests_failed_total
      kind: counter
      aggregate: sum
      ratio_of: http_requests_total
      match: {code: 500, method: GET}
  latency:
    - {metric: rpc_duration_seconds, kind: histogram, aggregate: mean, quantile: 0.99}
    - {metric: pod_latency_ms, kind: gauge, aggregate: max, scale: 0.001}
)");
  const auto errors = signals_of(c, "errors");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].kind, SeriesKind::counter);
  EXPECT_EQ(errors[0].ratio_of, "http_requests_total");
  // Labels sorted by name; numbers kept as text.
  EXPECT_EQ(errors[0].match, (Labels{{"code", "500"}, {"method", "GET"}}));
  const auto latency = signals_of(c, "latency");
  ASSERT_EQ(latency.size(), 2u);
  EXPECT_EQ(latency[0].kind, SeriesKind::histogram);
  EXPECT_EQ(latency[0].aggregate, Aggregate::mean);
  EXPECT_DOUBLE_EQ(latency[0].quantile, 0.99);
  EXPECT_DOUBLE_EQ(latency[1].scale, 0.001);
  EXPECT_DOUBLE_EQ(latency[1].offset, 0);
}

TEST(EngineConfig, MatchValuesKeepTheTextAsWritten) {
  const Config c = parse_ok(R"(
roles:
  a: [{metric: m, match: {quantile: "0.95"}}]
  b: [{metric: m, match: {quantile: 0.95}}]
  c: [{metric: m, match: {quantile: 0.950, on: true, le: +Inf}}]
)");
  EXPECT_EQ(signals_of(c, "a")[0].match, (Labels{{"quantile", "0.95"}}));
  EXPECT_EQ(signals_of(c, "b")[0].match, (Labels{{"quantile", "0.95"}}));
  EXPECT_EQ(signals_of(c, "c")[0].match, (Labels{{"le", "+Inf"}, {"on", "true"}, {"quantile", "0.950"}}));
}

TEST(EngineConfig, AnEmptyRoleListSwitchesTheRoleOff) {
  const Config d = default_config();
  const Config c = parse_ok("roles:\n  queue_depth: []\n  pending_pods: []\n");
  EXPECT_TRUE(signals_of(c, "queue_depth").empty());
  EXPECT_TRUE(signals_of(c, "pending_pods").empty());
  expect_same_signals(signals_of(c, "latency"), signals_of(d, "latency"));
  EXPECT_EQ(c.stream.signals.size(), d.stream.signals.size() - 2);
}

TEST(EngineConfig, ASignalOfAPlaceNamesItsLabel) {
  const Config d = default_config();
  const auto node_cpu = signals_of(d, "node_cpu");
  ASSERT_EQ(node_cpu.size(), 1u);
  EXPECT_EQ(node_cpu[0].placed_by, "node");
  const Config c = parse_ok("roles:\n  node_cpu:\n    - {metric: host_cpu_seconds_total, kind: counter, placed_by: host}\n");
  ASSERT_EQ(signals_of(c, "node_cpu").size(), 1u);
  EXPECT_EQ(signals_of(c, "node_cpu")[0].placed_by, "host");
}

TEST(EngineConfig, CustomRolesAreAdded) {
  const Config d = default_config();
  const Config c = parse_ok(R"(
roles:
  gc_pause:
    - {metric: jvm_gc_pause_seconds, kind: histogram, aggregate: max}
detection:
  - {role: gc_pause, min_ratio: 2}
  - {role: latency}
)");
  const auto gc = signals_of(c, "gc_pause");
  ASSERT_EQ(gc.size(), 1u);
  EXPECT_EQ(gc[0].metric, "jvm_gc_pause_seconds");
  EXPECT_EQ(c.stream.signals.size(), d.stream.signals.size() + 1);
  // A file's roles come after the built-in ones, the derived signals last.
  EXPECT_EQ(c.stream.signals.back().role, "log_warnings");
  ASSERT_EQ(c.detection.size(), 2u);
  EXPECT_EQ(c.detection[0].role, "gc_pause");
}

TEST(EngineConfig, Topology) {
  const Config c = parse_ok(R"(
topology:
  frontend: [checkout, search]
  checkout: [payment]
  payment: []
)");
  ASSERT_EQ(c.topology.size(), 3u);
  EXPECT_EQ(c.topology.at("frontend"), (std::vector<std::string>{"checkout", "search"}));
  EXPECT_EQ(c.topology.at("checkout"), (std::vector<std::string>{"payment"}));
  EXPECT_TRUE(c.topology.at("payment").empty());
}

TEST(EngineConfig, ErrorsNameTheKeyPath) {
  struct Case {
    const char* yaml;
    const char* field;
  };
  const Case cases[] = {
      {"stpe: 15s\n", "stpe"},                                                   // unknown key
      {"step: 0s\n", "step"},                                                    // zero
      {"history: -1h\n", "history"},                                             // negative
      {"step: soon\n", "step"},                                                  // not a duration
      {"step: [15s]\n", "step"},                                                 // wrong type
      {"max_series: lots\n", "max_series"},                                      // not a number
      {"top_logs: 2.5\n", "top_logs"},                                           // not whole
      {"service_labels: service\n", "service_labels"},                           // not a list
      {"roles: [latency]\n", "roles"},                                           // not a mapping
      {"roles:\n  latency: {metric: m}\n", "roles.latency"},                     // not a list
      {"roles:\n  latency:\n    - {kind: gauge}\n", "roles.latency[0].metric"},  // metric missing
      {"roles:\n  latency:\n    - {metric: m}\n    - {metric: m, kind: summary}\n", "roles.latency[1].kind"},
      {"roles:\n  latency:\n    - {metric: m, aggregate: avg}\n", "roles.latency[0].aggregate"},
      {"roles:\n  latency:\n    - {metric: m, quantile: 1}\n", "roles.latency[0].quantile"},
      {"roles:\n  latency:\n    - {metric: m, quantile: 0}\n", "roles.latency[0].quantile"},
      {"roles:\n  errors:\n    - {metric: m, ratio_of: n}\n", "roles.errors[0].ratio_of"},  // gauge
      {"roles:\n  latency:\n    - {metric: m, match: {quantile: [0.95]}}\n", "roles.latency[0].match.quantile"},
      {"roles:\n  latency:\n    - {metric: m, match: [quantile]}\n", "roles.latency[0].match"},
      {"roles:\n  latency:\n    - {metric: m, colour: red}\n", "roles.latency[0].colour"},
      {"roles:\n  latency:\n    - metric\n", "roles.latency[0]"},
      {"windows:\n  scaling: {before: 0s}\n", "windows.scaling.before"},
      {"windows:\n  deploys: {before: 1m}\n", "windows.deploys"},
      {"thresholds: {effective_relief: 1.5}\n", "thresholds.effective_relief"},
      {"thresholds: {memory_exhaustion_ratio: 0}\n", "thresholds.memory_exhaustion_ratio"},
      {"thresholds: {min_latency_change: fast}\n", "thresholds.min_latency_change"},
      {"detection:\n  - {role: latency, direction: sideways}\n", "detection[0].direction"},
      {"detection:\n  - {role: latency}\n  - {role: errors, min_ratio: 0.5}\n", "detection[1].min_ratio"},
      {"detection:\n  - {direction: up}\n", "detection[0].role"},
      {"detection:\n  - {role: latencyy}\n", "detection[0].role"},  // no signal plays it
      {"ranking: {onset: -1}\n", "ranking.onset"},
      {"topology:\n  frontend: checkout\n", "topology.frontend"},
      {"topology:\n  frontend: [checkout, [search]]\n", "topology.frontend[1]"},
      {"step: 1m\nhistory: 30s\n", "history"},  // shorter than a step
      {"step: 5m\nstep_offset: 5m\n", "step_offset"},  // a whole step
      {"step_offset: soon\n", "step_offset"},
  };
  for (const Case& c : cases) EXPECT_EQ(refused_field(c.yaml), c.field) << c.yaml;
}

TEST(EngineConfig, ErrorsSayWhy) {
  auto c = parse_config_yaml("roles:\n  latency:\n    - {metric: m, kind: summary}\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().to_string(),
            "roles.latency[0].kind: \"summary\" is not one of gauge, counter, histogram");
  c = parse_config_yaml("roles:\n  latency:\n    - {metric: m, quantile: 1.5}\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().reason, "1.5 is out of range (0, 1)");
  c = parse_config_yaml("step: 0s\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().reason, "must be longer than zero");
}

TEST(EngineConfig, AYamlSyntaxErrorNamesTheLine) {
  auto c = parse_config_yaml("step: 15s\nhistory: 2h\nroles:\n  latency: [{metric: m\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().field, "");
  EXPECT_NE(c.error().reason.find("not valid YAML: line "), std::string::npos) << c.error().reason;
  c = parse_config_yaml("step: 15s\n  history: 2h\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().reason.find("line 2"), std::string::npos) << c.error().reason;
}

TEST(EngineConfig, TheRootMustBeAMapping) {
  EXPECT_EQ(refused_field("- step: 15s\n"), "");
  EXPECT_EQ(refused_field("just words\n"), "");
}

class EngineConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(EVENTLENS_TEST_TMP) / "config_test";
    std::filesystem::create_directories(dir_);
  }
  std::string write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }
  std::filesystem::path dir_;
};

TEST_F(EngineConfigFile, ReadsAFile) {
  // The example of docs/engine-config.md: per-pod gauge latency in
  // milliseconds and a success-rate percentage read as an error ratio.
  const std::string path = write("engine.yaml", R"(# a system with its own metric names
step: 30s
service_labels: [app]
roles:
  latency:
    - metric: app_request_latency_ms
      kind: gauge
      aggregate: max
      match: {percentile: "95"}
      scale: 0.001
  errors:
    - metric: app_success_rate_percent
      kind: gauge
      aggregate: min
      offset: 1
      scale: -0.01
  throughput:
    - {metric: app_requests_total, kind: counter}
detection:
  - {role: latency, min_ratio: 1.5, min_delta: 0.02}
  - {role: errors, min_ratio: 2, min_delta: 0.02}
topology:
  web: [api]
  api: [db]
)");
  auto c = load_config_file(path);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->stream.step, 30 * kSecond);
  EXPECT_EQ(c->stream.service_labels, std::vector<std::string>{"app"});
  const auto latency = signals_of(*c, "latency");
  ASSERT_EQ(latency.size(), 1u);
  EXPECT_EQ(latency[0].metric, "app_request_latency_ms");
  EXPECT_EQ(latency[0].match, (Labels{{"percentile", "95"}}));
  EXPECT_DOUBLE_EQ(latency[0].scale, 0.001);
  const auto errors = signals_of(*c, "errors");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].aggregate, Aggregate::min);
  EXPECT_DOUBLE_EQ(errors[0].offset, 1);
  EXPECT_DOUBLE_EQ(errors[0].scale, -0.01);
  // 99.5 % success reads as a 0.005 error ratio.
  EXPECT_NEAR(errors[0].offset + errors[0].scale * 99.5, 0.005, 1e-12);
  EXPECT_EQ(signals_of(*c, "cpu").size(), signals_of(default_config(), "cpu").size());
  ASSERT_EQ(c->detection.size(), 2u);
  EXPECT_DOUBLE_EQ(c->detection[0].min_delta, 0.02);
  EXPECT_EQ(c->topology.at("web"), std::vector<std::string>{"api"});
}

TEST_F(EngineConfigFile, TheDocumentedExampleLoads) {
  // docs/engine-config.md's full example, cut out of the Markdown.
  std::ifstream in(std::string(EVENTLENS_SOURCE_DIR) + "/docs/engine-config.md");
  ASSERT_TRUE(in) << "docs/engine-config.md";
  std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string fence = "```yaml\n";
  std::size_t blocks = 0;
  for (std::size_t at = doc.find(fence); at != std::string::npos; at = doc.find(fence, at)) {
    at += fence.size();
    const std::size_t end = doc.find("```", at);
    ASSERT_NE(end, std::string::npos);
    auto c = parse_config_yaml(doc.substr(at, end - at));
    EXPECT_TRUE(c.ok()) << "block " << blocks << ": " << (c.ok() ? "" : c.error().to_string());
    ++blocks;
  }
  EXPECT_GE(blocks, 2u);
}

TEST_F(EngineConfigFile, AMissingFileNamesThePath) {
  const std::string path = (dir_ / "no-such.yaml").string();
  auto c = load_config_file(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().field, path);
}

}  // namespace
}  // namespace eventlens::correlate

namespace eventlens::correlate {
namespace {

std::size_t count_metric(const Config& c, const std::string& metric) {
  std::size_t n = 0;
  for (const auto& s : c.stream.signals) n += s.metric == metric;
  return n;
}

TEST(ConfigDerived, SpanAndLogSignalsComeWithTheirSwitchesAndSurviveARolesReplacement) {
  EXPECT_EQ(count_metric(default_config(), "eventlens_span_requests_total"), 1u);  // on by default
  auto on = parse_config_yaml("roles:\n  latency:\n    - {metric: my_p95, kind: gauge}\n");
  ASSERT_TRUE(on.ok()) << on.error().to_string();
  EXPECT_EQ(count_metric(*on, "eventlens_span_requests_total"), 1u);  // span_throughput (span_errors divides by it)
  EXPECT_EQ(count_metric(*on, "eventlens_span_errors_total"), 1u);
  EXPECT_EQ(count_metric(*on, "eventlens_span_duration_seconds_sum"), 1u);  // means: _sum / _count
  EXPECT_EQ(count_metric(*on, "eventlens_call_duration_seconds_sum"), 1u);
  EXPECT_EQ(count_metric(*on, "eventlens_log_errors_total"), 1u);
  EXPECT_EQ(count_metric(*on, "my_p95"), 1u);
  EXPECT_TRUE(on->stream.derived.spans && on->stream.derived.logs);
  auto logs_only = parse_config_yaml("derived: {spans: false}\n");
  ASSERT_TRUE(logs_only.ok());
  EXPECT_EQ(count_metric(*logs_only, "eventlens_span_duration_seconds_sum"), 0u);
  EXPECT_EQ(count_metric(*logs_only, "eventlens_span_requests_total"), 0u);
  EXPECT_EQ(count_metric(*logs_only, "eventlens_log_warnings_total"), 1u);
  auto bad = parse_config_yaml("derived:\n  spans: sometimes\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "derived.spans");
  auto unknown = parse_config_yaml("derived:\n  metrics: true\n");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().to_string().find("metrics"), std::string::npos) << unknown.error().to_string();
}

}  // namespace
}  // namespace eventlens::correlate
