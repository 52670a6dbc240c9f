// Ground truth of a simulation: every injected cause and what it did, in the
// schema of docs/simulate.md that `eventlens evaluate` scores against.
// Effects are measured against counterfactual twins of the cluster (the same
// seed and noise without the cause), not against a before/after guess.
// Plain values; no threading concerns.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/time.h"

namespace eventlens::simulate {

struct RootCause {
  std::string kind;       // "event" or "service"
  std::string service;
  std::string event_id;   // kind == "event"
  std::string type;       // the event type, or the fault type for kind == "service"
};

struct CauseTruth {
  std::string id;         // "cause-N"
  std::string type;       // traffic_surge, memory_leak, ...
  std::string service;    // empty for node faults
  std::string node;
  std::vector<std::string> services;  // cpu_contention: the services with pods on the node, most first
  TimeNs start = 0;
  TimeNs end = 0;
  std::string event_id;   // the event announcing it, empty when none
  double magnitude = 0;
  double error_rate = 0;
  std::vector<std::string> incidents;
};

struct ScalingTruth {
  std::string event_id;
  std::string service;
  std::string type;       // scale_up | scale_down
  TimeNs time = 0;
  int from = 0;
  int to = 0;
  std::string verdict;    // effective | ineffective | harmful
  double p95_before_s = 0;          // mean over the 300 s before
  double p95_after_s = 0;           // mean over [t + 60 s, t + 360 s]
  double p95_counterfactual_s = 0;  // the same window in the twin without further scaling
  double relief = 0;                // 1 - after / counterfactual
  double time_to_relief_s = -1;     // first second with 10 % relief; -1 never
  double error_rate_after = 0;
  double error_rate_counterfactual = 0;
};

struct OomTruth {
  std::string event_id;
  std::string service;
  std::string pod;
  TimeNs time = 0;
  std::string attribution = "memory_exhaustion";
  std::string cause;      // "cause-N" of the leak, empty when load alone did it
  double memory_bytes = 0;
  double limit_bytes = 0;
};

struct ProvisioningTruth {
  std::string request_event_id;
  std::vector<std::string> node_added_event_ids;
  std::string service;
  TimeNs requested = 0;
  TimeNs added = 0;               // 0 when the nodes had not arrived by the end
  double delay_s = 0;
  int nodes = 0;
  double requests_lost = 0;       // good requests fewer than with instant nodes
};

struct IncidentTruth {
  std::string id;         // "incident-N"
  std::string service;
  std::string signal;     // latency | errors | throughput
  TimeNs start = 0;
  TimeNs end = 0;
  std::string cause;      // "cause-N"
  RootCause root_cause;
  double peak = 0;        // the worst factual / counterfactual ratio (errors: difference)
};

struct Truth {
  int schema_version = 1;
  std::string scenario;
  std::uint64_t seed = 0;
  TimeNs start = 0;
  TimeNs end = 0;
  struct Service { std::string name; std::vector<std::string> calls; };
  std::vector<Service> services;
  std::vector<CauseTruth> causes;
  std::vector<ScalingTruth> scaling;
  std::vector<OomTruth> oom_kills;
  std::vector<ProvisioningTruth> provisioning;
  std::vector<IncidentTruth> incidents;
};

// Appends the truth as one JSON document on one line, and a newline.
void write_truth_json(const Truth& truth, std::string& out);

}  // namespace eventlens::simulate
