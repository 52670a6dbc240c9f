// Reading the engine's YAML configuration (docs/engine-config.md) over the
// built-in defaults. Every key is optional; a key that is present is checked
// and refused with an Error naming its path, never ignored. yaml-cpp throws,
// so its exceptions are caught here, at the edge, and turned into Errors.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <charconv>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "correlate/config.h"
#include "model/time.h"

namespace eventlens::correlate {
namespace {

using stream::Aggregate;
using stream::SeriesKind;
using stream::SignalSpec;

std::string index_path(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string key_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string format_number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// A closed or half-open range of numbers, said in errors as [a, b] or (a, b).
struct Range {
  double min;
  double max;
  bool min_open = false;
  bool max_open = false;

  bool contains(double v) const {
    return (min_open ? v > min : v >= min) && (max_open ? v < max : v <= max);
  }
  std::string describe() const {
    return std::string(min_open ? "(" : "[") + format_number(min) + ", " + format_number(max) +
           (max_open ? ")" : "]");
  }
};

Result<double> parse_number(std::string_view text) {
  double v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || !std::isfinite(v)) {
    return make_error("", "\"" + std::string(text) + "\" is not a number");
  }
  return v;
}

// Reads one YAML mapping, remembering which keys were read so that the
// leftovers can be refused by name: a misspelt key must not be silently
// ignored (the same reader as simulate/scenario.cc's).
class MapReader {
 public:
  MapReader(YAML::Node node, std::string path) : node_(std::move(node)), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  std::string path_of(std::string_view key) const { return key_path(path_, key); }

  // Returns the node of `key`, or an undefined node when it is absent.
  YAML::Node take(std::string_view key) {
    seen_.insert(std::string(key));
    const YAML::Node& map = node_;  // const: looking up must not add the key
    return map[std::string(key)];
  }

  Status read_string(std::string_view key, std::string& out) {
    const YAML::Node n = take(key);
    if (!n) return ok_status();
    if (!n.IsScalar()) return make_error(path_of(key), "expected a string");
    out = n.Scalar();
    return ok_status();
  }

  Status read_bool(std::string_view key, bool& out) {
    const YAML::Node n = take(key);
    if (!n) return ok_status();
    if (!n.IsScalar() || (n.Scalar() != "true" && n.Scalar() != "false")) {
      return make_error(path_of(key), "expected true or false");
    }
    out = n.Scalar() == "true";
    return ok_status();
  }

  Status read_double(std::string_view key, double& out, Range range) {
    const YAML::Node n = take(key);
    if (!n) return ok_status();
    if (!n.IsScalar()) return make_error(path_of(key), "expected a number");
    auto v = parse_number(n.Scalar());
    if (!v) return make_error(path_of(key), v.error().reason);
    return check_range(key, *v, range, out);
  }

  Status read_count(std::string_view key, std::size_t& out, double min, double max) {
    double v = static_cast<double>(out);
    if (Status st = read_double(key, v, {min, max}); !st) return st;
    if (v != std::floor(v)) return make_error(path_of(key), "expected a whole number");
    out = static_cast<std::size_t>(v);
    return ok_status();
  }

  // A duration ("90s", "5m"); `positive` refuses zero as well as negatives
  // (parse_duration refuses those).
  Status read_duration(std::string_view key, TimeNs& out, bool positive) {
    const YAML::Node n = take(key);
    if (!n) return ok_status();
    if (!n.IsScalar()) return make_error(path_of(key), "expected a duration such as 250ms, 90s, 5m or 2h");
    auto v = parse_duration(n.Scalar());
    if (!v) return make_error(path_of(key), v.error().reason);
    if (positive && *v <= 0) return make_error(path_of(key), "must be longer than zero");
    out = *v;
    return ok_status();
  }

  // A duration kept as seconds in a double (thresholds.min_latency_change).
  Status read_duration_seconds(std::string_view key, double& out) {
    const YAML::Node n = take(key);
    if (!n) return ok_status();
    if (!n.IsScalar()) return make_error(path_of(key), "expected a duration such as 5ms");
    auto v = parse_duration_seconds(n.Scalar());
    if (!v) return make_error(path_of(key), v.error().reason);
    out = *v;
    return ok_status();
  }

  // One word of `words`, given in order of the enum it stands for.
  template <typename Enum, std::size_t N>
  Status read_word(std::string_view key, Enum& out, const std::string_view (&words)[N]) {
    const YAML::Node n = take(key);
    if (!n) return ok_status();
    const std::string text = n.IsScalar() ? n.Scalar() : "";
    for (std::size_t i = 0; i < N; ++i) {
      if (text == words[i]) {
        out = static_cast<Enum>(i);
        return ok_status();
      }
    }
    std::string known;
    for (std::string_view w : words) known += (known.empty() ? "" : ", ") + std::string(w);
    return make_error(path_of(key), (n.IsScalar() ? "\"" + text + "\" is not one of " : "expected one of ") +
                                        known);
  }

  // Returns an Error naming the first key that was never read.
  Status finish() const {
    for (const auto& kv : node_) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      if (!seen_.contains(key)) return make_error(path_of(key), "unknown key");
    }
    return ok_status();
  }

 private:
  Status check_range(std::string_view key, double v, Range range, double& out) const {
    if (!range.contains(v)) {
      return make_error(path_of(key), format_number(v) + " is out of range " + range.describe());
    }
    out = v;
    return ok_status();
  }

  YAML::Node node_;  // a handle: copies share the document
  std::string path_;
  std::set<std::string> seen_;
};

// The words of the enums, in their declaration order (read_word casts the
// index).
constexpr std::string_view kKinds[] = {"gauge", "counter", "histogram"};
constexpr std::string_view kAggregates[] = {"sum", "mean", "max", "min"};
constexpr std::string_view kDirections[] = {"up", "down"};
static_assert(static_cast<int>(SeriesKind::histogram) == 2 && static_cast<int>(Aggregate::min) == 3 &&
              static_cast<int>(DetectionSpec::Direction::down) == 1);

Status expect_map(const YAML::Node& node, const std::string& path, std::string_view what) {
  if (node.IsMap()) return ok_status();
  return make_error(path, "expected a mapping" + (what.empty() ? std::string() : " (" + std::string(what) + ")"));
}

// A list of non-empty strings.
Status read_string_list(const YAML::Node& node, const std::string& path, std::vector<std::string>& out) {
  if (!node.IsSequence()) return make_error(path, "expected a list of names");
  out.clear();
  for (std::size_t i = 0; i < node.size(); ++i) {
    if (!node[i].IsScalar()) return make_error(index_path(path, i), "expected a name");
    if (node[i].Scalar().empty()) return make_error(index_path(path, i), "empty name");
    out.push_back(node[i].Scalar());
  }
  return ok_status();
}

// Label selectors. Values are kept as the text the file holds: `0.95` and
// "0.95" both select quantile="0.95", as Prometheus writes it, and a number
// written `0.950` selects "0.950", which it does not.
Status read_match(const YAML::Node& node, const std::string& path, Labels& out) {
  if (!node.IsMap()) return make_error(path, "expected a mapping of label names to values");
  out.clear();
  for (const auto& kv : node) {
    if (!kv.first.IsScalar() || kv.first.Scalar().empty()) return make_error(path, "expected label names as keys");
    const std::string name = kv.first.Scalar();
    if (!kv.second.IsScalar()) {
      return make_error(key_path(path, name), "expected a label value (a string or a number)");
    }
    out.emplace_back(name, kv.second.Scalar());
  }
  // Labels are kept sorted by name, the canonical order of a series.
  std::sort(out.begin(), out.end());
  return ok_status();
}

Status read_signal(const YAML::Node& node, const std::string& path, const std::string& role, SignalSpec& s) {
  if (Status st = expect_map(node, path, "a signal: {metric, kind, aggregate, ...}"); !st) return st;
  MapReader r(node, path);
  s = SignalSpec{};
  s.role = role;
  Status st = ok_status();
  if (!(st = r.read_string("metric", s.metric))) return st;
  if (s.metric.empty()) return make_error(r.path_of("metric"), "missing: each signal names its metric");
  if (!(st = r.read_word("kind", s.kind, kKinds))) return st;
  if (!(st = r.read_word("aggregate", s.aggregate, kAggregates))) return st;
  if (const YAML::Node match = r.take("match")) {
    if (!(st = read_match(match, r.path_of("match"), s.match))) return st;
  }
  if (!(st = r.read_double("quantile", s.quantile, {0, 1, true, true}))) return st;
  if (!(st = r.read_string("ratio_of", s.ratio_of))) return st;
  if (!(st = r.read_double("scale", s.scale, {-1e12, 1e12}))) return st;
  if (!(st = r.read_double("offset", s.offset, {-1e12, 1e12}))) return st;
  if (!(st = r.read_string("placed_by", s.placed_by))) return st;
  if (!(st = r.finish())) return st;
  // A ratio of rates needs two counters; of gauges it would mean something
  // else, and of histograms nothing.
  if (!s.ratio_of.empty() && s.kind != SeriesKind::counter) {
    return make_error(r.path_of("ratio_of"), "needs kind: counter (a ratio of two counters' rates); this signal is a " +
                                                 std::string(kKinds[static_cast<std::size_t>(s.kind)]));
  }
  return ok_status();
}

// roles: a role named here replaces every default signal of that role, in
// the place the first of them held; an empty list switches the role off.
Status read_roles(const YAML::Node& node, std::vector<SignalSpec>& signals) {
  if (Status st = expect_map(node, "roles", "role name -> list of signals"); !st) return st;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar() || kv.first.Scalar().empty()) return make_error("roles", "expected role names as keys");
    const std::string role = kv.first.Scalar();
    const std::string path = key_path("roles", role);
    if (!kv.second.IsSequence()) {
      return make_error(path, "expected a list of signals (an empty list, [], switches the role off)");
    }
    std::vector<SignalSpec> replacement;
    for (std::size_t i = 0; i < kv.second.size(); ++i) {
      SignalSpec s;
      if (Status st = read_signal(kv.second[i], index_path(path, i), role, s); !st) return st;
      replacement.push_back(std::move(s));
    }
    const auto same_role = [&](const SignalSpec& s) { return s.role == role; };
    auto first = std::find_if(signals.begin(), signals.end(), same_role);
    const auto at = static_cast<std::size_t>(first - signals.begin());
    signals.erase(std::remove_if(signals.begin(), signals.end(), same_role), signals.end());
    signals.insert(signals.begin() + static_cast<std::ptrdiff_t>(std::min(at, signals.size())),
                   std::make_move_iterator(replacement.begin()), std::make_move_iterator(replacement.end()));
  }
  return ok_status();
}

Status read_window(const YAML::Node& node, const std::string& path, WindowSpec& w) {
  if (Status st = expect_map(node, path, "{before, settle, after}"); !st) return st;
  MapReader r(node, path);
  Status st = ok_status();
  if (!(st = r.read_duration("before", w.before, true))) return st;
  if (!(st = r.read_duration("settle", w.settle, false))) return st;
  if (!(st = r.read_duration("after", w.after, true))) return st;
  return r.finish();
}

Status read_windows(const YAML::Node& node, Config& c) {
  if (Status st = expect_map(node, "windows", "event category -> window"); !st) return st;
  MapReader r(node, "windows");
  const std::pair<std::string_view, WindowSpec*> categories[] = {
      {"scaling", &c.scaling_window}, {"failure", &c.failure_window},
      {"provisioning", &c.provisioning_window}, {"change", &c.change_window},
      {"other", &c.other_window}};
  for (const auto& [name, window] : categories) {
    if (const YAML::Node n = r.take(name)) {
      if (Status st = read_window(n, r.path_of(name), *window); !st) return st;
    }
  }
  return r.finish();
}

Status read_thresholds(const YAML::Node& node, VerdictThresholds& t) {
  if (Status st = expect_map(node, "thresholds", ""); !st) return st;
  MapReader r(node, "thresholds");
  Status st = ok_status();
  // Relief is the fraction by which latency fell: 1 at most, below -1 when it
  // more than doubled.
  if (!(st = r.read_double("effective_relief", t.effective_relief, {0, 1, true, false}))) return st;
  if (!(st = r.read_double("harmful_relief", t.harmful_relief, {-100, 0, false, true}))) return st;
  if (!(st = r.read_double("harmful_error_points", t.harmful_error_points, {0, 1, true, false}))) return st;
  if (!(st = r.read_duration_seconds("min_latency_change", t.min_latency_change_s))) return st;
  if (!(st = r.read_double("memory_exhaustion_ratio", t.memory_exhaustion_ratio, {0, 1, true, false}))) return st;
  // Against the CPU request, which a pod may exceed up to its limit.
  if (!(st = r.read_double("cpu_saturation_ratio", t.cpu_saturation_ratio, {0, 100, true, false}))) return st;
  if (!(st = r.read_duration("provisioning_max_wait", t.provisioning_max_wait, true))) return st;
  return r.finish();
}

Status read_detection(const YAML::Node& node, std::vector<DetectionSpec>& out) {
  if (!node.IsSequence()) return make_error("detection", "expected a list of {role, direction, ...}");
  out.clear();
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string path = index_path("detection", i);
    if (Status st = expect_map(node[i], path, "{role, direction, min_ratio, ...}"); !st) return st;
    MapReader r(node[i], path);
    DetectionSpec d;
    Status st = ok_status();
    if (!(st = r.read_string("role", d.role))) return st;
    if (d.role.empty()) return make_error(r.path_of("role"), "missing: each detection names the role it watches");
    if (!(st = r.read_word("direction", d.direction, kDirections))) return st;
    // min_ratio is the factor of change whichever the direction: 1.25 down
    // means below 0.8 x baseline.
    if (!(st = r.read_double("min_ratio", d.min_ratio, {1, 1e6}))) return st;
    if (!(st = r.read_double("min_delta", d.min_delta, {0, 1e15}))) return st;
    if (!(st = r.read_double("min_z", d.min_z, {0, 1e6}))) return st;
    if (!(st = r.read_duration("open_after", d.open_after, false))) return st;
    if (!(st = r.read_duration("close_after", d.close_after, false))) return st;
    if (!(st = r.finish())) return st;
    out.push_back(std::move(d));
  }
  return ok_status();
}

Status read_ranking(const YAML::Node& node, RankingWeights& w) {
  if (Status st = expect_map(node, "ranking", "weights of the parts of a cause's score"); !st) return st;
  MapReader r(node, "ranking");
  const std::pair<std::string_view, double*> weights[] = {
      {"time_proximity", &w.time_proximity}, {"graph_distance", &w.graph_distance},
      {"event_type", &w.event_type},         {"history", &w.history},
      {"onset", &w.onset},                   {"strength", &w.strength},
      {"origin", &w.origin}};
  for (const auto& [name, weight] : weights) {
    if (Status st = r.read_double(name, *weight, {0, 1000}); !st) return st;
  }
  return r.finish();
}

Status read_derived(const YAML::Node& node, stream::StreamConfig::Derived& d) {
  if (Status st = expect_map(node, "derived", "which metrics to derive from spans and logs"); !st) return st;
  MapReader r(node, "derived");
  if (Status st = r.read_bool("spans", d.spans); !st) return st;
  if (Status st = r.read_bool("logs", d.logs); !st) return st;
  return r.finish();
}

Status read_topology(const YAML::Node& node, std::map<std::string, std::vector<std::string>>& out) {
  if (Status st = expect_map(node, "topology", "service -> the services it calls"); !st) return st;
  out.clear();
  for (const auto& kv : node) {
    if (!kv.first.IsScalar() || kv.first.Scalar().empty()) return make_error("topology", "expected service names as keys");
    const std::string service = kv.first.Scalar();
    if (Status st = read_string_list(kv.second, key_path("topology", service), out[service]); !st) return st;
  }
  return ok_status();
}

Status read_config(const YAML::Node& root, Config& c) {
  // An empty file is a valid configuration: all defaults.
  if (!root || root.IsNull()) return ok_status();
  if (!root.IsMap()) return make_error("", "an engine configuration file holds one YAML mapping");
  MapReader r(root, "");
  stream::StreamConfig& s = c.stream;
  Status st = ok_status();
  if (!(st = r.read_duration("step", s.step, true))) return st;
  // `auto` (the default): the data's own sampling phase; else a duration.
  if (const YAML::Node n = r.take("step_offset"); n && n.IsScalar() && n.Scalar() == "auto") {
    s.step_offset.reset();
  } else {
    TimeNs offset = -1;
    if (!(st = r.read_duration("step_offset", offset, false))) return st;
    if (offset >= 0) s.step_offset = offset;
  }
  if (!(st = r.read_duration("max_out_of_orderness", s.max_out_of_orderness, false))) return st;
  if (!(st = r.read_duration("idle_timeout", s.idle_timeout, true))) return st;
  if (!(st = r.read_duration("history", s.history, true))) return st;
  if (!(st = r.read_duration("series_ttl", s.series_ttl, true))) return st;
  if (!(st = r.read_count("max_series", s.max_series, 1, 1e12))) return st;
  if (const YAML::Node labels = r.take("service_labels")) {
    if (!(st = read_string_list(labels, "service_labels", s.service_labels))) return st;
    if (s.service_labels.empty()) return make_error("service_labels", "at least one label must name the service");
  }
  if (!(st = r.read_count("max_logs_per_service", s.max_logs_per_service, 0, 1e9))) return st;
  if (!(st = r.read_count("max_spans_per_service", s.max_spans_per_service, 0, 1e9))) return st;
  if (!(st = r.read_count("max_events_per_service", s.max_events_per_service, 0, 1e9))) return st;
  if (const YAML::Node roles = r.take("roles")) {
    if (!(st = read_roles(roles, s.signals))) return st;
  }
  if (const YAML::Node windows = r.take("windows")) {
    if (!(st = read_windows(windows, c))) return st;
  }
  if (const YAML::Node thresholds = r.take("thresholds")) {
    if (!(st = read_thresholds(thresholds, c.thresholds))) return st;
  }
  const YAML::Node detection = r.take("detection");
  if (detection) {
    if (!(st = read_detection(detection, c.detection))) return st;
  }
  if (const YAML::Node ranking = r.take("ranking")) {
    if (!(st = read_ranking(ranking, c.weights))) return st;
  }
  if (const YAML::Node derived = r.take("derived")) {
    if (!(st = read_derived(derived, s.derived))) return st;
  }
  if (!(st = r.read_duration("cause_lookback", c.cause_lookback, true))) return st;
  if (!(st = r.read_duration("baseline_window", c.baseline_window, true))) return st;
  if (!(st = r.read_duration("problem_gap", c.problem_gap, false))) return st;
  if (!(st = r.read_duration("problem_recurrence", c.problem_recurrence, false))) return st;
  if (!(st = r.read_count("top_logs", c.top_logs, 0, 1000))) return st;
  if (!(st = r.read_count("top_spans", c.top_spans, 0, 1000))) return st;
  if (const YAML::Node topology = r.take("topology")) {
    if (!(st = read_topology(topology, c.topology))) return st;
  }
  if (!(st = r.finish())) return st;

  // Rules across keys.
  if (s.history < s.step) return make_error("history", "shorter than one step");
  if (s.step_offset && *s.step_offset >= s.step) return make_error("step_offset", "must be shorter than one step");
  if (c.thresholds.harmful_relief >= c.thresholds.effective_relief) {
    return make_error("thresholds.harmful_relief", "must be below effective_relief");
  }
  // A detection the file asks for must watch a role some signal plays; the
  // default list may name roles a file switched off.
  if (detection) {
    for (std::size_t i = 0; i < c.detection.size(); ++i) {
      const std::string& role = c.detection[i].role;
      const bool played = std::any_of(s.signals.begin(), s.signals.end(),
                                      [&](const SignalSpec& sig) { return sig.role == role; });
      if (!played) {
        return make_error(index_path("detection", i) + ".role", "no signal plays the role \"" + role + "\"");
      }
    }
  }
  return ok_status();
}

}  // namespace

Result<Config> parse_config_yaml(std::string_view yaml) {
  Config c = default_config();
  remove_derived_signals(c);
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    if (Status st = read_config(root, c); !st) return st.error();
    add_derived_signals(c);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) return make_error("", "not valid YAML: " + e.msg);
    return make_error("", "not valid YAML: line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return c;
}

Result<Config> load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(path, std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error(path, "read failed");
  return parse_config_yaml(text.str());
}

}  // namespace eventlens::correlate
