// The engine's configuration: the stream settings, the roles metrics play,
// windows and thresholds per event category, incident detection per role,
// cause-ranking weights, and an optional service topology. Built-in defaults
// work on `eventlens simulate` output and on common Prometheus/OpenTelemetry
// names; a YAML file (docs/engine.md) overrides any part. Plain values.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "model/records.h"
#include "model/result.h"
#include "stream/config.h"

namespace eventlens::correlate {

// The windows an event of one category is judged on:
// before = [t - before, t), after = [t + settle, t + settle + after).
struct WindowSpec {
  TimeNs before = 5 * 60 * stream::kSecond;
  TimeNs settle = 60 * stream::kSecond;
  TimeNs after = 5 * 60 * stream::kSecond;
};

// Thresholds of the verdicts (docs/engine.md says how each is used).
struct VerdictThresholds {
  double effective_relief = 0.10;     // scaling: latency relief counted as effective
  double harmful_relief = -0.10;      // scaling: relief at or below this is harmful
  double harmful_error_points = 0.01; // scaling: error ratio up by this much is harmful
  double min_latency_change_s = 0.005;// smaller latency changes count as none
  double memory_exhaustion_ratio = 0.85;  // failure: memory / limit reached this
  double cpu_saturation_ratio = 0.90;     // failure: cpu / request (or limit) reached this
  TimeNs provisioning_max_wait = 30 * 60 * stream::kSecond;  // give up waiting for nodes
};

// When a signal of a detection role opens an incident.
struct DetectionSpec {
  std::string role;                 // latency | errors | throughput (or any role)
  enum class Direction { up, down } direction = Direction::up;
  double min_ratio = 1.3;           // value / baseline beyond this (down: below 1/..)
  double min_delta = 0.005;         // and |value - baseline| at least this
  double min_z = 4.0;               // and robust z-score (median/MAD) at least this
  TimeNs open_after = 30 * stream::kSecond;   // deviation this long opens
  TimeNs close_after = 60 * stream::kSecond;  // normal this long closes
};

// Weights of the parts of a cause's score (each part is in [0, 1]).
struct RankingWeights {
  double time_proximity = 1.0;
  double graph_distance = 0.25;  // the origin part carries most of what the graph tells
  double event_type = 0.5;
  double history = 0.5;
  double onset = 1.0;      // services: how early their own signals deviated
  double strength = 1.0;   // services: how strongly
  double origin = 1.0;     // services: nothing around them explains their deviation
};

struct Config {
  stream::StreamConfig stream;
  WindowSpec scaling_window;
  WindowSpec failure_window;
  WindowSpec provisioning_window;
  WindowSpec change_window;
  WindowSpec other_window;
  VerdictThresholds thresholds;
  std::vector<DetectionSpec> detection;
  RankingWeights weights;
  // The history a signal's baseline (median and MAD) is taken from.
  TimeNs baseline_window = 60 * 60 * stream::kSecond;
  // How far before an incident's start candidate events and deviations count.
  TimeNs cause_lookback = 15 * 60 * stream::kSecond;
  // How near an incident's start must be to a problem's symptoms' to join
  // it, and how long a loop of the same failure stays one problem
  // (problems.h).
  TimeNs problem_gap = 10 * 60 * stream::kSecond;
  TimeNs problem_recurrence = 30 * 60 * stream::kSecond;
  // How many error-log templates and spans an enriched event carries.
  std::size_t top_logs = 5;
  std::size_t top_spans = 5;
  // Given topology: service -> the services it calls. Merged with the graph
  // learned from traces.
  std::map<std::string, std::vector<std::string>> topology;

  const WindowSpec& window_for(Category c) const;
};

// The built-in configuration (simulator and common Prometheus/OTel names),
// with the signals derived from spans and logs.
Config default_config();

// Appends the signals of the metrics derived from spans and logs that
// `c.stream.derived` switches on (stream/derived_metrics.h): throughput,
// errors (a ratio) and latency (p95) from the spans a service served,
// latency as callers saw it from their client spans, and the roles
// log_errors and log_warnings (lines per second). Signals a file already
// names are not added twice.
void add_derived_signals(Config& c);
// Removes them again (a configuration file decides which families it wants).
void remove_derived_signals(Config& c);

// Reads a YAML configuration over the defaults; errors name the key path
// (`roles.latency[0].metric: expected a string`).
Result<Config> parse_config_yaml(std::string_view yaml);
Result<Config> load_config_file(const std::string& path);

}  // namespace eventlens::correlate
