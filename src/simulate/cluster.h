// The simulated cluster: services behind a queueing model, pods on nodes, an
// HPA-like autoscaler, a cluster autoscaler with a provisioning delay, and
// the injected faults. Advanced one simulated second at a time. A Cluster is a
// plain value: copying it makes a counterfactual twin that, fed the same
// seed, sees the same noise. Not thread-safe; one thread per Cluster.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "model/records.h"
#include "simulate/scenario.h"

namespace eventlens::simulate {

// One onset of a fault (a FaultSpec repeats; random faults are drawn up
// front), with what the factual run learned about it.
struct FaultOccurrence {
  int index = 0;               // position in Cluster::faults(), the "cause-N" of truth.json
  FaultSpec spec;
  int service = -1;            // index into the services, -1 for node faults
  double start_s = 0;
  double end_s = 0;
  bool disabled = false;       // in a twin: this cause did not happen
  bool started = false;
  bool ended = false;
  int node = -1;               // node_failure, cpu_contention: the node it acts on
  std::vector<int> affected;   // cpu_contention: services with pods on the node at its onset, most pods first
  std::string event_id;        // the event announcing it (deploy, config_changed, node_not_ready)
  std::string version;         // deploys: the version rolled out
  std::string previous_version;
};

struct Pod {
  std::uint64_t serial = 0;
  std::string name;
  int node = -1;               // -1 while pending
  double created_s = 0;
  double ready_s = -1;         // when it became (or becomes) ready; -1 unscheduled
  double unavailable_until_s = 0;  // restarting after an OOM kill
  double memory_bytes = 0;
  double leak_bytes = 0;
  double cpu_seconds = 0;
  int restarts = 0;
  int version = 0;             // which rollout it belongs to
  bool failed_scheduling_reported = false;
  bool old = false;            // to be replaced by a rolling update
  double last_memory_warning_s = -1e9;

  bool ready(double t) const { return node >= 0 && ready_s >= 0 && t >= ready_s && t >= unavailable_until_s; }
};

// The per-second state of one service, and its latent (noise-free of
// measurement, but with traffic noise) signals.
struct ServiceState {
  std::vector<Pod> pods;
  int desired = 0;                  // spec.replicas
  int version = 0;                  // the rollout in force
  std::string template_hash;        // pod-name hash of `version`
  double backlog = 0;
  std::deque<std::pair<double, int>> recommendations;  // HPA history (time, replicas)
  int frozen_until_s = -1;          // twin: no autoscaling of this service before then

  // Fault effects in force this second.
  double load_factor = 1;
  double latency_factor = 1;        // on the own service time
  double capacity_factor = 1;
  double added_error = 0;
  double leak_rate = 0;             // bytes/s per pod
  int leak_cause = -1;              // fault occurrence behind the leak
  int bad_version = -1;             // pods of this version carry a bad deploy's regression
  double bad_latency = 1;
  double bad_capacity = 1;
  double bad_error = 0;
  double bad_silent_error = 0;      // a faulty release: answers its callers reject
  double inbound_delay_s = 0;       // network delay on calls into it: its callers wait it, it does not
  int exception_cause = -1;         // a code exception in force: its errors are exceptions

  // Latent signals of the last second.
  double offered_rps = 0;
  double served_rps = 0;
  double good_rps = 0;
  double error_rate = 0;
  double dropped_rps = 0;
  double own_latency_s = 0;         // mean own time incl. queueing
  double mean_latency_s = 0;        // end to end, incl. dependencies
  double p50_s = 0, p95_s = 0, p99_s = 0;
  double utilization = 0;           // served / capacity of ready pods
  double utilization_window = 0.6;  // what the HPA sees: an average of the last 30 s
  int ready_pods = 0;
  int pending_pods = 0;
  double timeout_share = 0;         // of errors: dependency timeouts
  double drop_share = 0;            // of errors: rejected, queue full
  double fault_share = 0;           // of errors: the fault's own errors
  double reject_share = 0;          // of errors: a dependency's answers it rejected
  double silent_error = 0;          // share of its answers its callers reject (counted by them, not by it)

  // Counters, as Prometheus would expose them.
  double requests_total = 0;
  double errors_total = 0;
  double latency_sum_s = 0;
};

struct Node {
  std::string name;
  bool ready = true;
  int pods = 0;
  double contention = 1;            // a noisy neighbour: its pods run this much slower
  double cpu_seconds = 0;           // busy CPU, pods and neighbours, as a node exporter counts it
};

// A node request of the cluster autoscaler, waiting for its nodes.
struct ProvisionRequest {
  int id = 0;
  double requested_s = 0;
  double arrives_s = 0;
  int nodes = 0;
  int service = -1;                 // the service of the pod that triggered it
  std::string event_id;
};

// A scaling decision of the HPA, before it is applied.
struct ScaleDecision {
  int service = 0;
  int from = 0;
  int to = 0;
  double utilization = 0;
};

// What a second produced besides state: events, and the facts truth needs.
struct SecondOutput {
  std::vector<Event> events;              // ids filled by the caller when it keeps them
  struct Oom { std::size_t event; int service; int cause; double memory; double limit; };
  std::vector<Oom> ooms;
  struct Arrival { int request; std::vector<std::size_t> events; };
  std::vector<Arrival> arrivals;          // node_added events per request
  struct Request { int request; std::size_t event; };
  std::vector<Request> requests;          // resource_requested events
  struct Scale { std::size_t event; ScaleDecision decision; };
  std::vector<Scale> scales;
  struct Onset { int fault; std::size_t event; };  // event = npos when none
  std::vector<Onset> onsets;
  void clear() {
    events.clear(); ooms.clear(); arrivals.clear(); requests.clear(); scales.clear(); onsets.clear();
  }
};

class Cluster {
 public:
  Cluster(const ScenarioSpec& spec, std::uint64_t seed, double duration_s);

  // One simulated second, in phases so that a caller can fork a twin
  // between them (truth.cc): faults take effect, then the autoscaler decides,
  // then everything else moves.
  void begin_second(int t, SecondOutput& out);
  std::vector<ScaleDecision> autoscale(int t);
  void apply_scaling(int t, const std::vector<ScaleDecision>& decisions, SecondOutput& out);
  // Returns the node request the cluster autoscaler makes now, if any.
  bool plan_provisioning(int t, ProvisionRequest& request);
  void apply_provisioning(int t, ProvisionRequest request, SecondOutput& out);
  void finish_second(int t, SecondOutput& out);

  // Twin controls.
  void freeze_autoscaling(int service, int until_s) { services_[service].frozen_until_s = until_s; }
  void disable_fault(int index) { faults_[index].disabled = true; }

  const ScenarioSpec& spec() const { return *spec_; }
  const std::vector<ServiceState>& services() const { return services_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<FaultOccurrence>& faults() const { return faults_; }
  std::vector<FaultOccurrence>& faults() { return faults_; }
  const std::vector<int>& topological_order() const { return order_; }
  // Returns service i's calls as (dependency index, ratio).
  const std::vector<std::pair<int, double>>& calls(int i) const { return calls_[i]; }
  int service_index(const std::string& name) const;
  // False when the service exports no error counter: so configured, or the
  // target of a code exception (its errors show in logs and spans only).
  bool exports_errors(int service) const { return exports_errors_[service]; }
  // True when `to` is `from` or one of its dependencies, however deep.
  bool depends_on(int from, int to) const;
  TimeNs time_of(double t) const;
  std::uint64_t seed() const { return seed_; }

 private:
  void draw_fault_occurrences(double duration_s);
  // The random fault number `k` starting at `t`, with magnitudes drawn.
  void draw_random_fault(std::uint64_t k, double t, std::vector<FaultOccurrence>& all);
  // Appends `faulty` and the harmless deploys of other services rolling
  // out with it, all within its spread (`key` keeps each wave's draws apart).
  void add_release_wave(FaultOccurrence faulty, std::uint64_t key, std::vector<FaultOccurrence>& all);
  // The node a node fault acts on: its own if ready, else the busiest ready one (-1: none).
  int target_node(const FaultOccurrence& f) const;
  double burst_level(std::size_t traffic, int t) const;
  void start_fault(FaultOccurrence& f, int t, SecondOutput& out);
  void end_fault(FaultOccurrence& f, int t, SecondOutput& out);
  void roll_out(int service, int version, int template_version);
  void add_pod(int service, int t, int version);
  void schedule_pods(int t, SecondOutput& out);
  void advance_rollouts(int t);
  void flow_requests(int t);
  void update_pods(int t, SecondOutput& out);
  std::size_t emit(SecondOutput& out, int t, std::string type, int service, Severity severity,
                   std::string message, std::string pod = {}, std::string node = {},
                   std::string source = {});
  std::string pod_name(int service, std::uint64_t serial);
  std::string new_node_name();

  const ScenarioSpec* spec_;
  std::uint64_t seed_;
  std::vector<ServiceState> services_;
  std::vector<int> order_;          // callers before callees
  std::vector<std::vector<std::pair<int, double>>> calls_;
  std::vector<Node> nodes_;
  std::vector<FaultOccurrence> faults_;
  std::vector<bool> exports_errors_;
  std::vector<std::vector<std::pair<double, double>>> bursts_;  // per traffic entry: [start, end) of its bursts
  std::vector<ProvisionRequest> in_flight_;
  std::uint64_t next_pod_serial_ = 1;
  int next_request_id_ = 1;
  int next_node_serial_ = 0;
  double duration_s_;
};

}  // namespace eventlens::simulate
