#include "simulate/scenario.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <charconv>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

namespace eventlens::simulate {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// 2026-11-23T00:00:00Z: a fixed simulated start, so that outputs are
// byte-identical whatever day the simulator runs on.
constexpr TimeNs kDefaultStart = 1'795'392'000LL * kNanosPerSecond;

// Appends a service to `s` and returns it (at least 2 replicas kept, or as
// many as it starts with).
ServiceSpec& add_service(ScenarioSpec& s, std::string name, std::string op, std::vector<Call> calls, int replicas,
                         double capacity, double latency_s, double timeout_s) {
  ServiceSpec svc;
  svc.name = std::move(name);
  svc.operation = std::move(op);
  svc.calls = std::move(calls);
  svc.replicas = replicas;
  svc.min_replicas = std::min(2, replicas);
  svc.capacity_rps = capacity;
  svc.base_latency_s = latency_s;
  svc.timeout_s = timeout_s;
  s.services.push_back(std::move(svc));
  return s.services.back();
}

// The default shop: frontend → checkout → payment, inventory → db, plus
// search. Capacities give ~60 % utilisation at the base load.
ScenarioSpec shop() {
  ScenarioSpec s;
  s.start = kDefaultStart;
  auto add = [&](std::string name, std::string op, std::vector<Call> calls, int replicas, double capacity,
                 double latency_s, double timeout_s) -> ServiceSpec& {
    return add_service(s, std::move(name), std::move(op), std::move(calls), replicas, capacity, latency_s, timeout_s);
  };
  add("frontend", "GET /", {{"checkout", 0.3}, {"search", 0.5}}, 5, 100, 0.008, 3.0);
  add("checkout", "POST /checkout", {{"payment", 1.0}, {"inventory", 2.0}}, 3, 50, 0.015, 2.0);
  add("payment", "POST /charge", {}, 2, 80, 0.030, 1.5);
  add("inventory", "GET /stock", {{"db", 1.0}}, 3, 100, 0.006, 1.0);
  ServiceSpec& db = add("db", "SELECT stock", {}, 3, 150, 0.004, 0.5);
  db.autoscale = false;
  db.memory_limit_bytes = 2048 * kMiB;
  db.memory_base_bytes = 900 * kMiB;
  db.cpu_request = 1.0;
  add("search", "GET /search", {}, 4, 60, 0.020, 1.0);
  s.traffic.push_back({"frontend", 300, 0.3, 0.05});
  s.nodes.initial = 5;
  return s;
}

// `n` services in five tiers: each calls two services of the next tier;
// traffic enters the first tier.
ScenarioSpec large_cluster(int n) {
  ScenarioSpec s;
  s.start = kDefaultStart;
  const int tiers = 5;
  const int per_tier = std::max(1, n / tiers);
  for (int i = 0; i < n; ++i) {
    const int tier = std::min(tiers - 1, i / per_tier);
    ServiceSpec svc;
    svc.name = "svc-" + std::to_string(tier) + "-" + std::to_string(i % per_tier);
    svc.operation = "GET /" + svc.name;
    for (int k = 0; k < 2 && tier + 1 < tiers; ++k) {
      const int dep = (tier + 1) * per_tier + (i % per_tier + k) % per_tier;
      if (dep < n) svc.calls.push_back({"svc-" + std::to_string(tier + 1) + "-" + std::to_string(dep % per_tier), 0.5});
    }
    svc.replicas = 3;
    svc.capacity_rps = 60;
    svc.base_latency_s = 0.005 + 0.002 * tier;
    svc.timeout_s = 2.0 - 0.3 * tier;
    s.services.push_back(std::move(svc));
  }
  for (int i = 0; i < per_tier && i < n; ++i) s.traffic.push_back({s.services[i].name, 100, 0.3, 0.05});
  s.nodes.initial = n * 3 / 8 + 4;
  s.nodes.max = n;
  return s;
}

// Serverless-like services and no faults: an API gateway idle at a low rate
// with bursts of 8x at random, calling two functions that scale from one pod
// and start cold; a batch job every 30 min hitting a worker and the db.
// Every incident an engine reports here is a false one, so the bursts must
// be what the services absorb: capacity for a burst's peak at one pod of
// each function (as a serverless platform's per-instance concurrency is),
// two gateways always up. (Sized for less, each burst queued for minutes and
// failed up to 74 % of the gateway's requests: an outage, not normal
// operation, whatever a "no faults" truth said.)
ScenarioSpec bursty() {
  ScenarioSpec s;
  s.start = kDefaultStart;
  s.description = "serverless-like services with bursty traffic (idle then bursts, batch jobs, cold starts) and no "
                  "faults: every incident is a false alarm";
  s.node_metrics = true;
  auto add = [&](std::string name, std::string op, std::vector<Call> calls, int replicas, double capacity,
                 double latency_s, double timeout_s, double cold_start_s) -> ServiceSpec& {
    ServiceSpec& svc =
        add_service(s, std::move(name), std::move(op), std::move(calls), replicas, capacity, latency_s, timeout_s);
    svc.min_replicas = 1;
    svc.max_replicas = 30;
    svc.cold_start_s = cold_start_s;
    svc.startup_s = cold_start_s > 0 ? 4 : 15;  // a function's image is small
    return svc;
  };
  add("gateway", "POST /api", {{"resize", 0.6}, {"notify", 0.3}}, 2, 120, 0.004, 10.0, 0).min_replicas = 2;
  add("resize", "POST /resize", {}, 1, 120, 0.060, 5.0, 0.4);
  add("notify", "POST /notify", {}, 1, 60, 0.015, 3.0, 0.25);
  add("report-worker", "RUN report", {{"db", 3.0}}, 1, 45, 0.040, 20.0, 0.5);
  ServiceSpec& db = add("db", "SELECT rows", {}, 3, 200, 0.003, 2.0, 0);
  db.autoscale = false;
  db.min_replicas = 3;
  db.memory_limit_bytes = 2048 * kMiB;
  db.memory_base_bytes = 900 * kMiB;
  s.traffic.push_back({"gateway", 15, 0.0, 0.15, "bursts", 8, 900, 90});
  s.traffic.push_back({"report-worker", 0.5, 0.0, 0.1, "batch", 60, 1800, 240});
  s.autoscaler.scale_down_stabilization_s = 120;
  s.nodes.initial = 3;
  return s;
}

FaultSpec fault(std::string type, std::string service, double at, double every, double jitter,
                double duration, double magnitude) {
  FaultSpec f;
  f.type = std::move(type);
  f.service = std::move(service);
  f.at_s = at;
  f.every_s = every;
  f.jitter_s = jitter;
  f.duration_s = duration;
  f.magnitude = magnitude;
  return f;
}

struct Builtin {
  std::string_view name;
  std::function<ScenarioSpec()> make;
};

const std::vector<Builtin>& builtins() {
  static const std::vector<Builtin> table = {
      {"steady",
       [] {
         ScenarioSpec s = shop();
         s.description = "diurnal traffic and harmless deploys, no faults: every incident is a false alarm";
         s.random_faults_per_hour = 0.5;
         s.random_fault_types = {"benign_deploy"};
         return s;
       }},
      {"traffic-surge",
       [] {
         ScenarioSpec s = shop();
         s.description = "load surges at the frontend; the autoscaler scales out and latency recovers";
         s.nodes.initial = 12;
         FaultSpec surge = fault("traffic_surge", "frontend", 600, 3600, 300, 1500, 2.5);
         surge.ramp_s = 30;  // a flash crowd: faster than the autoscaler
         s.faults.push_back(surge);
         return s;
       }},
      {"memory-leak",
       [] {
         ScenarioSpec s = shop();
         s.description = "payment leaks memory until its pods are OOM-killed and restart";
         s.faults.push_back(fault("memory_leak", "payment", 300, 5400, 300, 3600, 0.25 * kMiB));
         return s;
       }},
      {"node-shortage",
       [] {
         ScenarioSpec s = shop();
         s.description = "a surge needs more pods than the nodes hold; new nodes arrive after a provisioning delay";
         s.nodes.initial = 3;
         s.nodes.pods_per_node = 8;
         s.nodes.provisioning_delay_s = 180;
         s.nodes.provisioning_jitter_s = 60;
         s.faults.push_back(fault("traffic_surge", "frontend", 600, 3600, 300, 1800, 2.0));
         return s;
       }},
      {"cascading-timeout",
       [] {
         ScenarioSpec s = shop();
         s.description = "db slows down with no event announcing it; inventory, checkout and frontend time out in turn";
         FaultSpec f = fault("dependency_slowdown", "db", 600, 3600, 300, 720, 12);
         f.with_event = false;
         s.faults.push_back(f);
         return s;
       }},
      {"bad-deploy",
       [] {
         ScenarioSpec s = shop();
         s.description = "a deploy of checkout triples its latency and adds errors until it is rolled back";
         FaultSpec f = fault("bad_deploy", "checkout", 600, 3600, 300, 900, 3);
         f.error_rate = 0.05;
         s.faults.push_back(f);
         s.random_faults_per_hour = 0.5;
         s.random_fault_types = {"benign_deploy"};
         return s;
       }},
      {"large",
       [] {
         ScenarioSpec s = large_cluster(50);
         s.description = "50 services in five tiers of ten, every kind of fault: for benchmarks and scale";
         s.random_faults_per_hour = 4;
         s.random_fault_types = {"traffic_surge", "memory_leak", "dependency_slowdown", "bad_deploy",
                                 "config_change", "benign_deploy", "node_failure"};
         return s;
       }},
      {"mixed",
       [] {
         ScenarioSpec s = shop();
         s.description = "every kind of fault at random times and services, several at once";
         s.nodes.initial = 4;
         s.random_faults_per_hour = 2;
         s.random_fault_types = {"traffic_surge", "memory_leak", "dependency_slowdown", "bad_deploy",
                                 "config_change", "benign_deploy", "node_failure"};
         return s;
       }},
      {"busy",
       [] {
         ScenarioSpec s = shop();
         s.description = "five overlapping faults every hour, of every kind, old and new (network delays, code "
                         "exceptions, noisy neighbours, release waves); search exports no error metrics";
         s.nodes.initial = 5;
         s.node_metrics = true;
         s.services[5].error_metrics = false;  // search
         s.random_faults_per_hour = 5;
         s.random_faults_hourly = true;
         s.random_fault_types = {"traffic_surge", "memory_leak",   "dependency_slowdown", "bad_deploy",
                                 "config_change", "node_failure",  "network_delay",       "code_exception",
                                 "cpu_contention", "release_wave"};
         return s;
       }},
      {"bursty", [] { return bursty(); }},
  };
  return table;
}

// ---- text forms of durations and sizes ----

Result<double> parse_number(std::string_view text) {
  double v = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || !std::isfinite(v)) {
    return make_error("", "\"" + std::string(text) + "\" is not a number");
  }
  return v;
}

// ---- YAML ----

// Reads one YAML mapping, remembering which keys were read so that the
// leftovers can be reported by name: a typo must not be silently ignored.
class MapReader {
 public:
  MapReader(YAML::Node node, std::string path) : node_(std::move(node)), path_(std::move(path)) {}

  bool is_map() const { return node_.IsMap(); }
  const std::string& path() const { return path_; }
  std::string key_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  // Returns the node of `key`, or an undefined node.
  YAML::Node take(std::string_view key) {
    seen_.insert(std::string(key));
    return node_[std::string(key)];
  }

  Status read_string(std::string_view key, std::string& out) {
    YAML::Node n = take(key);
    if (!n) return ok_status();
    if (!n.IsScalar()) return make_error(key_path(key), "expected a string");
    out = n.Scalar();
    return ok_status();
  }

  Status read_double(std::string_view key, double& out, double min, double max) {
    YAML::Node n = take(key);
    if (!n) return ok_status();
    if (!n.IsScalar()) return make_error(key_path(key), "expected a number");
    auto v = parse_number(n.Scalar());
    if (!v) return make_error(key_path(key), v.error().reason);
    return check_range(key, *v, min, max, out);
  }

  Status read_int(std::string_view key, int& out, int min, int max) {
    double v = out;
    if (Status st = read_double(key, v, min, max); !st) return st;
    if (v != std::floor(v)) return make_error(key_path(key), "expected a whole number");
    out = static_cast<int>(v);
    return ok_status();
  }

  Status read_bool(std::string_view key, bool& out) {
    YAML::Node n = take(key);
    if (!n) return ok_status();
    const std::string s = n.IsScalar() ? n.Scalar() : "";
    if (s == "true") out = true;
    else if (s == "false") out = false;
    else return make_error(key_path(key), "expected true or false");
    return ok_status();
  }

  Status read_duration(std::string_view key, double& out, double min, double max) {
    YAML::Node n = take(key);
    if (!n) return ok_status();
    if (!n.IsScalar()) return make_error(key_path(key), "expected a duration such as 90s, 5m or 2h");
    auto v = parse_duration(n.Scalar());
    if (!v) return make_error(key_path(key), v.error().reason);
    return check_range(key, *v, min, max, out);
  }

  Status read_bytes(std::string_view key, double& out, double min, double max) {
    YAML::Node n = take(key);
    if (!n) return ok_status();
    if (!n.IsScalar()) return make_error(key_path(key), "expected a size such as 512MiB");
    auto v = parse_bytes(n.Scalar());
    if (!v) return make_error(key_path(key), v.error().reason);
    return check_range(key, *v, min, max, out);
  }

  // Returns an Error naming the first key that was never read.
  Status finish() const {
    for (const auto& kv : node_) {
      const std::string key = kv.first.Scalar();
      if (!seen_.contains(key)) return make_error(key_path(key), "unknown key");
    }
    return ok_status();
  }

 private:
  Status check_range(std::string_view key, double v, double min, double max, double& out) const {
    if (v < min || v > max) {
      std::ostringstream reason;
      reason << v << " is out of range [" << min << ", " << max << "]";
      return make_error(key_path(key), reason.str());
    }
    out = v;
    return ok_status();
  }

  YAML::Node node_;  // a handle: copies share the document
  std::string path_;
  std::set<std::string> seen_;
};

Status read_service(const YAML::Node& node, const std::string& path, ServiceSpec& svc) {
  if (!node.IsMap()) return make_error(path, "expected a mapping");
  MapReader r(node, path);
  if (Status st = r.read_string("name", svc.name); !st) return st;
  if (svc.name.empty()) return make_error(r.key_path("name"), "missing");
  if (svc.operation.empty()) svc.operation = "GET /" + svc.name;
  if (Status st = r.read_string("operation", svc.operation); !st) return st;
  if (YAML::Node calls = r.take("calls")) {
    if (!calls.IsSequence()) return make_error(r.key_path("calls"), "expected a list");
    svc.calls.clear();
    for (std::size_t i = 0; i < calls.size(); ++i) {
      const std::string call_path = r.key_path("calls") + "[" + std::to_string(i) + "]";
      Call call;
      if (calls[i].IsScalar()) {
        call.service = calls[i].Scalar();
      } else {
        if (!calls[i].IsMap()) return make_error(call_path, "expected a service name or {service, ratio}");
        MapReader c(calls[i], call_path);
        if (Status st = c.read_string("service", call.service); !st) return st;
        if (Status st = c.read_double("ratio", call.ratio, 0.0, 100.0); !st) return st;
        if (Status st = c.finish(); !st) return st;
      }
      if (call.service.empty()) return make_error(call_path, "missing service");
      svc.calls.push_back(std::move(call));
    }
  }
  Status st = ok_status();
  if (!(st = r.read_int("replicas", svc.replicas, 1, 10000))) return st;
  if (!(st = r.read_int("min_replicas", svc.min_replicas, 1, 10000))) return st;
  if (!(st = r.read_int("max_replicas", svc.max_replicas, 1, 10000))) return st;
  if (!(st = r.read_bool("autoscale", svc.autoscale))) return st;
  if (!(st = r.read_double("capacity_rps", svc.capacity_rps, 0.001, 1e9))) return st;
  if (!(st = r.read_duration("latency", svc.base_latency_s, 1e-6, 3600))) return st;
  if (!(st = r.read_duration("timeout", svc.timeout_s, 1e-3, 3600))) return st;
  if (!(st = r.read_double("error_rate", svc.base_error_rate, 0, 1))) return st;
  if (!(st = r.read_double("cpu_request", svc.cpu_request, 0.001, 1024))) return st;
  if (!(st = r.read_bytes("memory_limit", svc.memory_limit_bytes, 1, 1e15))) return st;
  if (!(st = r.read_bytes("memory_base", svc.memory_base_bytes, 0, 1e15))) return st;
  if (!(st = r.read_bytes("memory_per_rps", svc.memory_per_rps_bytes, 0, 1e15))) return st;
  if (!(st = r.read_duration("startup", svc.startup_s, 0, 3600))) return st;
  if (!(st = r.read_duration("cold_start", svc.cold_start_s, 0, 3600))) return st;
  if (!(st = r.read_bool("error_metrics", svc.error_metrics))) return st;
  return r.finish();
}

Status read_fault(const YAML::Node& node, const std::string& path, FaultSpec& f) {
  if (!node.IsMap()) return make_error(path, "expected a mapping");
  MapReader r(node, path);
  Status st = ok_status();
  if (!(st = r.read_string("type", f.type))) return st;
  if (!(st = r.read_string("service", f.service))) return st;
  if (!(st = r.read_duration("at", f.at_s, 0, 1e9))) return st;
  if (!(st = r.read_duration("every", f.every_s, 0, 1e9))) return st;
  if (!(st = r.read_duration("jitter", f.jitter_s, 0, 1e9))) return st;
  if (!(st = r.read_duration("duration", f.duration_s, 1, 1e9))) return st;
  if (!(st = r.read_duration("ramp", f.ramp_s, 0, 1e9))) return st;
  // magnitude reads as a size for leaks ("1MiB") and a plain factor otherwise.
  if (f.type == "memory_leak") {
    if (!(st = r.read_bytes("rate", f.magnitude, 1, 1e12))) return st;
  } else {
    if (!(st = r.read_double("factor", f.magnitude, 0, 1e6))) return st;
  }
  if (!(st = r.read_double("error_rate", f.error_rate, 0, 1))) return st;
  if (!(st = r.read_bool("with_event", f.with_event))) return st;
  if (!(st = r.read_int("node", f.node, -1, 100000))) return st;
  if (!(st = r.read_duration("delay", f.delay_s, 0, 3600))) return st;
  if (!(st = r.read_int("releases", f.releases, 1, 1000))) return st;
  if (!(st = r.read_duration("spread", f.spread_s, 0, 86400))) return st;
  return r.finish();
}

Status read_scenario(const YAML::Node& root, ScenarioSpec& s) {
  if (!root.IsMap()) return make_error("", "a scenario file holds one YAML mapping");
  MapReader r(root, "");
  Status st = ok_status();
  std::string base;
  if (!(st = r.read_string("base", base))) return st;
  if (!base.empty()) {
    auto b = builtin_scenario(base);
    if (!b) return make_error("base", b.error().reason);
    s = std::move(*b);
    s.faults.clear();
    s.random_faults_per_hour = 0;
    s.random_fault_types.clear();
    s.random_faults_hourly = false;
  } else {
    s = ScenarioSpec{};
    s.start = kDefaultStart;
  }
  if (!(st = r.read_string("name", s.name))) return st;
  if (!(st = r.read_string("description", s.description))) return st;
  std::string start;
  if (!(st = r.read_string("start", start))) return st;
  if (!start.empty()) {
    auto t = parse_rfc3339(start);
    if (!t) return make_error("start", t.error().reason);
    s.start = *t;
  }
  if (!(st = r.read_string("namespace", s.namespace_))) return st;
  if (!(st = r.read_string("cluster", s.cluster))) return st;
  if (!(st = r.read_duration("scrape_interval", s.scrape_interval_s, 1, 3600))) return st;
  if (!(st = r.read_double("traces_per_s", s.traces_per_s, 0, 1e6))) return st;
  if (!(st = r.read_int("max_logs_per_s", s.max_logs_per_s, 0, 1000000))) return st;
  if (!(st = r.read_bool("node_metrics", s.node_metrics))) return st;

  if (YAML::Node services = r.take("services")) {
    if (!services.IsSequence()) return make_error("services", "expected a list");
    s.services.clear();
    for (std::size_t i = 0; i < services.size(); ++i) {
      ServiceSpec svc;
      if (!(st = read_service(services[i], "services[" + std::to_string(i) + "]", svc))) return st;
      s.services.push_back(std::move(svc));
    }
  }
  if (YAML::Node traffic = r.take("traffic")) {
    if (!traffic.IsSequence()) return make_error("traffic", "expected a list");
    s.traffic.clear();
    for (std::size_t i = 0; i < traffic.size(); ++i) {
      const std::string path = "traffic[" + std::to_string(i) + "]";
      if (!traffic[i].IsMap()) return make_error(path, "expected a mapping");
      MapReader t(traffic[i], path);
      TrafficSpec spec;
      if (!(st = t.read_string("service", spec.service))) return st;
      if (!(st = t.read_double("rps", spec.base_rps, 0, 1e9))) return st;
      if (!(st = t.read_double("daily_amplitude", spec.daily_amplitude, 0, 0.95))) return st;
      if (!(st = t.read_double("noise", spec.noise, 0, 0.5))) return st;
      if (!(st = t.read_string("pattern", spec.pattern))) return st;
      if (!(st = t.read_double("burst_factor", spec.burst_factor, 0, 1e6))) return st;
      if (!(st = t.read_duration("burst_every", spec.burst_every_s, 1, 1e9))) return st;
      if (!(st = t.read_duration("burst_length", spec.burst_length_s, 1, 1e9))) return st;
      if (!(st = t.finish())) return st;
      s.traffic.push_back(std::move(spec));
    }
  }
  if (YAML::Node hpa = r.take("autoscaler")) {
    MapReader a(hpa, "autoscaler");
    if (!a.is_map()) return make_error("autoscaler", "expected a mapping");
    auto& h = s.autoscaler;
    if (!(st = a.read_double("target_utilization", h.target_utilization, 0.05, 1))) return st;
    if (!(st = a.read_double("tolerance", h.tolerance, 0, 1))) return st;
    if (!(st = a.read_duration("sync_period", h.sync_period_s, 1, 3600))) return st;
    if (!(st = a.read_duration("scale_up_stabilization", h.scale_up_stabilization_s, 0, 86400))) return st;
    if (!(st = a.read_duration("scale_down_stabilization", h.scale_down_stabilization_s, 0, 86400))) return st;
    if (!(st = a.read_int("scale_up_max_pods", h.scale_up_max_pods, 1, 10000))) return st;
    if (!(st = a.finish())) return st;
  }
  if (YAML::Node nodes = r.take("nodes")) {
    MapReader n(nodes, "nodes");
    if (!n.is_map()) return make_error("nodes", "expected a mapping");
    auto& p = s.nodes;
    if (!(st = n.read_int("initial", p.initial, 0, 100000))) return st;
    if (!(st = n.read_int("min", p.min, 0, 100000))) return st;
    if (!(st = n.read_int("max", p.max, 1, 100000))) return st;
    if (!(st = n.read_int("pods_per_node", p.pods_per_node, 1, 10000))) return st;
    if (!(st = n.read_duration("provisioning_delay", p.provisioning_delay_s, 0, 86400))) return st;
    if (!(st = n.read_duration("provisioning_jitter", p.provisioning_jitter_s, 0, 86400))) return st;
    if (!(st = n.read_double("cpu_cores", p.cpu_cores, 0.001, 1e6))) return st;
    if (!(st = n.finish())) return st;
  }
  if (YAML::Node faults = r.take("faults")) {
    if (!faults.IsSequence()) return make_error("faults", "expected a list");
    for (std::size_t i = 0; i < faults.size(); ++i) {
      FaultSpec f;
      if (!(st = read_fault(faults[i], "faults[" + std::to_string(i) + "]", f))) return st;
      s.faults.push_back(std::move(f));
    }
  }
  if (YAML::Node random = r.take("random_faults")) {
    MapReader rf(random, "random_faults");
    if (!rf.is_map()) return make_error("random_faults", "expected a mapping");
    if (!(st = rf.read_double("per_hour", s.random_faults_per_hour, 0, 3600))) return st;
    if (!(st = rf.read_bool("hourly", s.random_faults_hourly))) return st;
    if (YAML::Node types = rf.take("types")) {
      if (!types.IsSequence()) return make_error("random_faults.types", "expected a list");
      s.random_fault_types.clear();
      for (const auto& t : types) s.random_fault_types.push_back(t.Scalar());
    }
    if (!(st = rf.finish())) return st;
  }
  if (!(st = r.finish())) return st;
  if (s.name.empty()) s.name = "custom";
  return validate(s);
}

const std::set<std::string, std::less<>>& fault_types() {
  static const std::set<std::string, std::less<>> types = {
      "traffic_surge", "memory_leak",   "dependency_slowdown", "bad_deploy",     "config_change", "benign_deploy",
      "node_failure",  "network_delay", "code_exception",      "cpu_contention", "release_wave"};
  return types;
}



}  // namespace

bool is_node_fault(std::string_view type) { return type == "node_failure" || type == "cpu_contention"; }

std::vector<std::string_view> builtin_scenario_names() {
  std::vector<std::string_view> names;
  for (const auto& b : builtins()) names.push_back(b.name);
  return names;
}

Result<ScenarioSpec> builtin_scenario(std::string_view name) {
  for (const auto& b : builtins()) {
    if (b.name == name) {
      ScenarioSpec s = b.make();
      s.name = std::string(name);
      return s;
    }
  }
  std::string known;
  for (const auto& b : builtins()) known += (known.empty() ? "" : ", ") + std::string(b.name);
  return make_error("scenario", "unknown scenario \"" + std::string(name) + "\" (built in: " + known +
                                    "; or a path to a .yaml file)");
}

Result<ScenarioSpec> parse_scenario_yaml(std::string_view yaml) {
  ScenarioSpec s;
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    if (Status st = read_scenario(root, s); !st) return st.error();
  } catch (const YAML::Exception& e) {
    return make_error("", "not valid YAML: line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return s;
}

Result<ScenarioSpec> load_scenario(std::string_view name_or_path) {
  const bool looks_like_file = name_or_path.ends_with(".yaml") || name_or_path.ends_with(".yml") ||
                               name_or_path.find('/') != std::string_view::npos;
  if (!looks_like_file) return builtin_scenario(name_or_path);
  std::ifstream in{std::string(name_or_path), std::ios::binary};
  if (!in) return make_error("scenario", "cannot read " + std::string(name_or_path));
  std::ostringstream text;
  text << in.rdbuf();
  auto s = parse_scenario_yaml(text.str());
  if (!s) return s;
  return s;
}

Status validate(const ScenarioSpec& s) {
  if (s.services.empty()) return make_error("services", "at least one service is needed");
  std::map<std::string, std::size_t, std::less<>> index;
  for (std::size_t i = 0; i < s.services.size(); ++i) {
    const auto& svc = s.services[i];
    const std::string path = "services[" + std::to_string(i) + "]";
    if (!index.emplace(svc.name, i).second) return make_error(path + ".name", "duplicate service \"" + svc.name + "\"");
    if (svc.min_replicas > svc.max_replicas) return make_error(path + ".min_replicas", "greater than max_replicas");
    if (svc.replicas < svc.min_replicas || svc.replicas > svc.max_replicas) {
      return make_error(path + ".replicas", "outside [min_replicas, max_replicas]");
    }
    if (svc.memory_base_bytes >= svc.memory_limit_bytes) {
      return make_error(path + ".memory_base", "not below memory_limit");
    }
  }
  for (std::size_t i = 0; i < s.services.size(); ++i) {
    for (std::size_t c = 0; c < s.services[i].calls.size(); ++c) {
      if (!index.contains(s.services[i].calls[c].service)) {
        return make_error("services[" + std::to_string(i) + "].calls[" + std::to_string(c) + "]",
                          "unknown service \"" + s.services[i].calls[c].service + "\"");
      }
    }
  }
  // The call graph must be acyclic: load flows down it once per second.
  std::vector<int> state(s.services.size(), 0);  // 0 new, 1 on the stack, 2 done
  std::function<bool(std::size_t)> cyclic = [&](std::size_t i) {
    if (state[i] == 1) return true;
    if (state[i] == 2) return false;
    state[i] = 1;
    for (const auto& call : s.services[i].calls) {
      if (cyclic(index.find(call.service)->second)) return true;
    }
    state[i] = 2;
    return false;
  };
  for (std::size_t i = 0; i < s.services.size(); ++i) {
    if (cyclic(i)) return make_error("services[" + std::to_string(i) + "].calls", "the call graph has a cycle");
  }
  if (s.traffic.empty()) return make_error("traffic", "at least one entry point is needed");
  for (std::size_t i = 0; i < s.traffic.size(); ++i) {
    if (!index.contains(s.traffic[i].service)) {
      return make_error("traffic[" + std::to_string(i) + "].service",
                        "unknown service \"" + s.traffic[i].service + "\"");
    }
    const std::string& pattern = s.traffic[i].pattern;
    if (pattern != "diurnal" && pattern != "bursts" && pattern != "batch") {
      return make_error("traffic[" + std::to_string(i) + "].pattern",
                        "unknown pattern \"" + pattern + "\" (diurnal, bursts, batch)");
    }
  }
  if (s.nodes.min > s.nodes.max) return make_error("nodes.min", "greater than nodes.max");
  if (s.nodes.initial > s.nodes.max) return make_error("nodes.initial", "greater than nodes.max");
  for (std::size_t i = 0; i < s.faults.size(); ++i) {
    const auto& f = s.faults[i];
    const std::string path = "faults[" + std::to_string(i) + "]";
    if (!fault_types().contains(f.type)) {
      return make_error(path + ".type", "unknown fault type \"" + f.type +
                                            "\" (traffic_surge, memory_leak, dependency_slowdown, bad_deploy, "
                                            "config_change, benign_deploy, node_failure, network_delay, "
                                            "code_exception, cpu_contention, release_wave)");
    }
    if (!is_node_fault(f.type) && !index.contains(f.service)) {
      return make_error(path + ".service", "unknown service \"" + f.service + "\"");
    }
    if (f.type == "release_wave" && f.releases > static_cast<int>(s.services.size())) {
      return make_error(path + ".releases", "more releases than services (one deploy per service)");
    }
    if (f.type == "release_wave" && f.every_s > 0 && f.every_s < f.spread_s + f.duration_s) {
      return make_error(path + ".every", "shorter than spread + duration");
    }
    if (f.every_s > 0 && f.every_s < f.duration_s) return make_error(path + ".every", "shorter than duration");
  }
  for (std::size_t i = 0; i < s.random_fault_types.size(); ++i) {
    if (!fault_types().contains(s.random_fault_types[i])) {
      return make_error("random_faults.types[" + std::to_string(i) + "]",
                        "unknown fault type \"" + s.random_fault_types[i] + "\"");
    }
  }
  return ok_status();
}

Result<double> parse_duration(std::string_view text) { return parse_duration_seconds(text); }

Result<double> parse_bytes(std::string_view text) {
  std::size_t j = 0;
  while (j < text.size() && ((text[j] >= '0' && text[j] <= '9') || text[j] == '.')) ++j;
  if (j == 0) return make_error("", "\"" + std::string(text) + "\" is not a size (e.g. 512MiB)");
  auto number = parse_number(text.substr(0, j));
  if (!number) return number;
  const std::string_view unit = text.substr(j);
  static const std::map<std::string_view, double> units = {
      {"", 1},          {"B", 1},         {"k", 1e3},       {"K", 1e3},          {"KB", 1e3},
      {"M", 1e6},       {"MB", 1e6},      {"G", 1e9},       {"GB", 1e9},         {"Ki", 1024.0},
      {"KiB", 1024.0},  {"Mi", kMiB},     {"MiB", kMiB},    {"Gi", kMiB * 1024}, {"GiB", kMiB * 1024}};
  auto it = units.find(unit);
  if (it == units.end()) {
    return make_error("", "\"" + std::string(text) + "\": unknown unit \"" + std::string(unit) + "\" (B, KiB, MiB, GiB, KB, MB, GB)");
  }
  return *number * it->second;
}

}  // namespace eventlens::simulate
