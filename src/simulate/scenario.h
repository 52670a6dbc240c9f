// A simulated cluster's description: services and their call graph, traffic,
// the autoscaler, the node pool and the faults to inject. Built-in scenarios
// by name, or read from YAML with errors that name the offending key.
// Plain values; no threading concerns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.h"
#include "model/time.h"

namespace eventlens::simulate {

// One call from a service to a dependency: `ratio` calls per request served.
struct Call {
  std::string service;
  double ratio = 1.0;
};

struct ServiceSpec {
  std::string name;
  std::vector<Call> calls;          // dependencies, in call order
  std::string operation;            // span name of a request ("POST /checkout")
  int replicas = 2;                 // initial
  int min_replicas = 2;
  int max_replicas = 20;
  bool autoscale = true;
  double capacity_rps = 100;        // per ready replica at full CPU
  double base_latency_s = 0.010;    // own service time, no queueing, no deps
  double timeout_s = 2.0;           // callers give up on this service after this
  double base_error_rate = 0.001;
  double cpu_request = 0.5;         // cores per pod (what the HPA divides by)
  double memory_limit_bytes = 512.0 * 1024 * 1024;
  double memory_base_bytes = 180.0 * 1024 * 1024;
  double memory_per_rps_bytes = 0.4 * 1024 * 1024;  // working set per req/s a pod serves
  double startup_s = 15;            // from scheduled to ready
  // Serverless-like: the extra latency of a newly ready pod's requests
  // (cold caches, JIT), fading over its first 30 s. 0: none.
  double cold_start_s = 0;
  // false: the service exports no http_requests_errors_total at all (its
  // failures show in logs, spans and its callers only).
  bool error_metrics = true;
};

// Requests from outside the cluster, entering at `service`.
struct TrafficSpec {
  std::string service;
  double base_rps = 200;
  double daily_amplitude = 0.3;   // ± fraction of base over a day (peak at 14:00 UTC)
  double noise = 0.05;            // relative noise per second
  // diurnal: the daily shape alone. bursts: idle at base_rps, with bursts of
  // burst_factor × arriving at random (a Poisson process, one every
  // burst_every on average) for burst_length each. batch: a job every
  // burst_every (± 10 %) at burst_factor × for burst_length.
  std::string pattern = "diurnal";
  double burst_factor = 5;
  double burst_every_s = 900;
  double burst_length_s = 90;
};

// Horizontal Pod Autoscaler settings, as Kubernetes names them.
struct AutoscalerSpec {
  double target_utilization = 0.6;
  double tolerance = 0.1;
  double sync_period_s = 15;
  double scale_up_stabilization_s = 0;
  double scale_down_stabilization_s = 300;
  int scale_up_max_pods = 4;       // per sync period, or 100 %, whichever is more
};

struct NodePoolSpec {
  int initial = 4;
  int min = 1;
  int max = 40;
  int pods_per_node = 8;
  double provisioning_delay_s = 120;   // from request to node_added
  double provisioning_jitter_s = 30;   // uniform ± around the delay
  double cpu_cores = 4;                // per node, for node_cpu_usage_seconds_total
};

// One injected cause. `at` and `duration` are offsets from the start.
struct FaultSpec {
  std::string type;      // traffic_surge | memory_leak | dependency_slowdown | bad_deploy | config_change | benign_deploy | node_failure
                         // | network_delay | code_exception | cpu_contention | release_wave
  std::string service;   // target service (node_failure: none)
  double at_s = 0;          // first onset
  double every_s = 0;       // repeat period (0: once)
  double jitter_s = 0;      // each onset moves by a random ± jitter (from the seed)
  double duration_s = 600;
  double ramp_s = 120;      // traffic_surge: seconds to reach full strength
  double magnitude = 0;  // surge: load multiplier; leak: bytes/s per pod;
                         // slowdown / bad deploy / release wave: latency factor;
                         // cpu contention: how much slower the node's pods run
  double error_rate = 0; // bad deploy / config change / code exception: added error rate;
                         // release wave: the share of the faulty release's answers its callers reject
  bool with_event = true;// dependency_slowdown: whether a config_changed event announces it
  int node = -1;         // node_failure / cpu_contention: which node (index), -1 = the busiest
  double delay_s = 0;    // network_delay: added to every call into the service
  int releases = 4;      // release_wave: deploys in the wave, the faulty one included
  double spread_s = 300; // release_wave: the deploys start within this long
};

struct ScenarioSpec {
  std::string name;
  std::string description;
  TimeNs start = 0;                 // simulated clock at t = 0
  std::string namespace_ = "shop";
  std::string cluster = "sim";
  double scrape_interval_s = 15;
  double traces_per_s = 2;          // sampled traces per second per entry service
  int max_logs_per_s = 5;           // error/warning log lines per service per second
  bool node_metrics = false;        // node CPU counters (node_cpu_usage_seconds_total)
  std::vector<ServiceSpec> services;
  std::vector<TrafficSpec> traffic;
  AutoscalerSpec autoscaler;
  NodePoolSpec nodes;
  std::vector<FaultSpec> faults;
  // Faults drawn at random from the seed (the "mixed" scenario): so many per
  // hour, of these types, at random services and times.
  double random_faults_per_hour = 0;
  std::vector<std::string> random_fault_types;
  // false: a Poisson process of that rate; true: exactly round(per_hour)
  // in each hour, at random times within it (so that faults overlap).
  bool random_faults_hourly = false;
};

// True for the fault types that act on a node, not a service.
bool is_node_fault(std::string_view type);

// Returns the names of the built-in scenarios.
std::vector<std::string_view> builtin_scenario_names();

// Returns the built-in scenario `name`, or an Error naming it.
Result<ScenarioSpec> builtin_scenario(std::string_view name);

// Returns the scenario a YAML document describes (docs/simulate.md), or an
// Error whose field is the key path ("services[2].replicas").
Result<ScenarioSpec> parse_scenario_yaml(std::string_view yaml);

// Returns the built-in scenario `name_or_path` or the one in that YAML file.
Result<ScenarioSpec> load_scenario(std::string_view name_or_path);

// Checks cross-field rules (known call targets, no cycles, min <= max, fault
// targets exist); the Error names the key.
Status validate(const ScenarioSpec& s);

// Returns the seconds a duration names: "90s", "30m", "24h", "1h30m", "250ms",
// "2d", or a bare number of seconds. The same as eventlens::
// parse_duration_seconds (model/time.h), kept here for the CLI's callers.
Result<double> parse_duration(std::string_view text);
// Returns the bytes a size names: "512MiB", "1Gi", "64M", "1.5GB", or a number.
Result<double> parse_bytes(std::string_view text);

}  // namespace eventlens::simulate
