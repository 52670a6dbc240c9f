#include "simulate/cluster.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "model/taxonomy.h"
#include "simulate/random.h"

namespace eventlens::simulate {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr int kProvisioningCheckEvery = 10;
constexpr double kMetricsWindow = 30;  // seconds the HPA's CPU average spans (an EWMA)  // seconds between cluster-autoscaler loops
// Kubernetes' random-name alphabet (no vowels, no look-alikes).
constexpr std::string_view kNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

std::string random_name(std::uint64_t bits, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    s += kNameAlphabet[bits % kNameAlphabet.size()];
    bits /= kNameAlphabet.size();
  }
  return s;
}

std::string version_name(int version) { return "v1." + std::to_string(4 + version) + ".0"; }

// Sakasegawa's approximation of the M/M/c queueing delay, in units of the
// service time: flat at low utilisation, steep as it nears 1.
double queueing_delay_factor(double rho, int servers) {
  const double c = std::max(1, servers);
  return std::pow(rho, std::sqrt(2.0 * (c + 1.0)) - 1.0) / (c * (1.0 - rho));
}

}  // namespace

Cluster::Cluster(const ScenarioSpec& spec, std::uint64_t seed, double duration_s)
    : spec_(&spec), seed_(seed), duration_s_(duration_s) {
  const std::size_t n = spec.services.size();
  services_.resize(n);
  calls_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& call : spec.services[i].calls) {
      calls_[i].emplace_back(service_index(call.service), call.ratio);
    }
  }
  // Callers before callees: a reversed post-order of the call graph.
  std::vector<bool> seen(n, false);
  std::vector<int> post;
  auto visit = [&](auto&& self, int i) -> void {
    if (seen[i]) return;
    seen[i] = true;
    for (const auto& [dep, ratio] : calls_[i]) self(self, dep);
    post.push_back(i);
  };
  for (std::size_t i = 0; i < n; ++i) visit(visit, static_cast<int>(i));
  order_.assign(post.rbegin(), post.rend());

  for (int i = 0; i < spec.nodes.initial; ++i) nodes_.push_back({new_node_name(), true, 0});
  for (std::size_t i = 0; i < n; ++i) {
    auto& s = services_[i];
    s.desired = spec.services[i].replicas;
    s.template_hash = random_name(draw(seed_, Stream::names, key_of(spec.services[i].name), 0), 10);
    for (int r = 0; r < s.desired; ++r) add_pod(static_cast<int>(i), 0, 0);
  }
  // The initial pods are up before the simulation starts.
  for (auto& s : services_) {
    for (auto& pod : s.pods) {
      auto best = std::min_element(nodes_.begin(), nodes_.end(),
                                   [](const Node& a, const Node& b) { return a.pods < b.pods; });
      if (best == nodes_.end() || best->pods >= spec.nodes.pods_per_node) break;
      pod.node = static_cast<int>(best - nodes_.begin());
      pod.ready_s = 0;
      ++best->pods;
    }
  }
  draw_fault_occurrences(duration_s);
  exports_errors_.resize(n);
  for (std::size_t i = 0; i < n; ++i) exports_errors_[i] = spec.services[i].error_metrics;
  for (const auto& f : faults_) {
    if (f.spec.type == "code_exception" && f.service >= 0) exports_errors_[f.service] = false;
  }
  // Bursts and batch jobs of the entry traffic, drawn up front.
  bursts_.resize(spec.traffic.size());
  for (std::size_t k = 0; k < spec.traffic.size(); ++k) {
    const TrafficSpec& tr = spec.traffic[k];
    if (tr.pattern == "bursts") {
      double at = 0;
      for (std::uint64_t j = 0;; ++j) {
        at += -std::log(1 - uniform(seed_, Stream::burst, k, j)) * tr.burst_every_s;
        if (at >= duration_s) break;
        bursts_[k].emplace_back(std::round(at), std::round(at) + tr.burst_length_s);
      }
    } else if (tr.pattern == "batch") {
      for (std::uint64_t j = 0;; ++j) {
        const double at = std::round((static_cast<double>(j) + 0.5) * tr.burst_every_s +
                                     0.1 * tr.burst_every_s * (2 * uniform(seed_, Stream::burst, k, j) - 1));
        if (at >= duration_s) break;
        bursts_[k].emplace_back(at, at + tr.burst_length_s);
      }
    }
  }
}

bool Cluster::depends_on(int from, int to) const {
  if (from == to) return true;
  for (const auto& [dep, ratio] : calls_[from]) {
    if (depends_on(dep, to)) return true;
  }
  return false;
}

// The load factor of entry `traffic` at `t`: burst_factor inside a burst
// (reached over 10 s: clients pile in), 1 outside.
double Cluster::burst_level(std::size_t traffic, int t) const {
  for (const auto& [start, end] : bursts_[traffic]) {
    if (t >= start && t < end) {
      const double factor = spec_->traffic[traffic].burst_factor;
      return 1 + (factor - 1) * std::min(1.0, (t - start + 1) / 10.0);
    }
  }
  return 1;
}

int Cluster::service_index(const std::string& name) const {
  for (std::size_t i = 0; i < spec_->services.size(); ++i) {
    if (spec_->services[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

TimeNs Cluster::time_of(double t) const {
  return spec_->start + static_cast<TimeNs>(std::llround(t * 1e9));
}

std::string Cluster::new_node_name() {
  std::string name = "node-";
  const int serial = next_node_serial_++;
  if (serial < 10) name += '0';
  name += std::to_string(serial);
  return name;
}

std::string Cluster::pod_name(int service, std::uint64_t serial) {
  const auto& s = services_[service];
  return spec_->services[service].name + "-" + s.template_hash + "-" +
         random_name(draw(seed_, Stream::names, key_of(spec_->services[service].name), serial), 5);
}

void Cluster::add_pod(int service, int t, int version) {
  Pod pod;
  pod.serial = next_pod_serial_++;
  pod.name = pod_name(service, pod.serial);
  pod.created_s = t;
  pod.version = version;
  pod.memory_bytes = 0;
  services_[service].pods.push_back(std::move(pod));
}

// ---- faults ----

void Cluster::draw_fault_occurrences(double duration_s) {
  std::vector<FaultOccurrence> all;
  for (std::size_t f = 0; f < spec_->faults.size(); ++f) {
    const FaultSpec& spec = spec_->faults[f];
    for (int k = 0;; ++k) {
      double at = spec.at_s + k * spec.every_s;
      if (spec.jitter_s > 0) at += (2 * uniform(seed_, Stream::fault_time, f, k) - 1) * spec.jitter_s;
      at = std::max(0.0, std::round(at));
      if (at >= duration_s) break;
      FaultOccurrence occ;
      occ.spec = spec;
      occ.service = is_node_fault(spec.type) ? -1 : service_index(spec.service);
      occ.start_s = at;
      occ.end_s = at + spec.duration_s;
      occ.node = spec.node;
      if (spec.type == "release_wave") {
        add_release_wave(std::move(occ), f * 1000 + static_cast<std::uint64_t>(k), all);
      } else {
        all.push_back(std::move(occ));
      }
      if (spec.every_s <= 0) break;
    }
  }
  // Random faults: a Poisson process of the given rate (or so many in each
  // hour), types and targets drawn from the seed.
  if (spec_->random_faults_per_hour > 0 && !spec_->random_fault_types.empty()) {
    if (spec_->random_faults_hourly) {
      const int per_hour = std::max(1, static_cast<int>(std::lround(spec_->random_faults_per_hour)));
      for (int h = 0; h * 3600.0 < duration_s; ++h) {
        for (int j = 0; j < per_hour; ++j) {
          const double t = h * 3600.0 + 3600 * uniform(seed_, Stream::fault_time, 2000 + h, j);
          if (t < duration_s) draw_random_fault(static_cast<std::uint64_t>(h * per_hour + j), t, all);
        }
      }
    } else {
      double t = 0;
      for (std::uint64_t k = 0;; ++k) {
        const double u = uniform(seed_, Stream::fault_time, 1000, k);
        t += -std::log(1 - u) / spec_->random_faults_per_hour * 3600;
        if (t >= duration_s) break;
        draw_random_fault(k, t, all);
      }
    }
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const FaultOccurrence& a, const FaultOccurrence& b) { return a.start_s < b.start_s; });
  for (std::size_t i = 0; i < all.size(); ++i) all[i].index = static_cast<int>(i);
  faults_ = std::move(all);
}

void Cluster::draw_random_fault(std::uint64_t k, double t, std::vector<FaultOccurrence>& all) {
  std::vector<int> entries, called, any;
  for (std::size_t i = 0; i < services_.size(); ++i) any.push_back(static_cast<int>(i));
  for (const auto& tr : spec_->traffic) entries.push_back(service_index(tr.service));
  for (std::size_t i = 0; i < calls_.size(); ++i) {
    for (const auto& [dep, ratio] : calls_[i]) {
      if (std::find(called.begin(), called.end(), dep) == called.end()) called.push_back(dep);
    }
  }
  if (called.empty()) called = any;
  std::sort(called.begin(), called.end());
  const auto& types = spec_->random_fault_types;
  const std::string& type = types[draw(seed_, Stream::fault_target, k, 1) % types.size()];
  const double v = uniform(seed_, Stream::fault_target, k, 2);  // magnitude within its range
  const double d = uniform(seed_, Stream::fault_target, k, 3);  // duration within its range
  const auto pick = [&](const std::vector<int>& from) {
    return from[draw(seed_, Stream::fault_target, k, 4) % from.size()];
  };
  FaultOccurrence occ;
  occ.spec.type = type;
  if (type == "traffic_surge") {
    occ.service = pick(entries);
    occ.spec.magnitude = 2.0 + v;
    occ.spec.duration_s = 1200 + 600 * d;
  } else if (type == "memory_leak") {
    occ.service = pick(any);
    occ.spec.magnitude = (0.2 + 0.2 * v) * kMiB;
    occ.spec.duration_s = 2700 + 1800 * d;
  } else if (type == "dependency_slowdown") {
    occ.service = pick(called);
    occ.spec.magnitude = 8 + 7 * v;
    occ.spec.duration_s = 600 + 300 * d;
    occ.spec.with_event = draw(seed_, Stream::fault_target, k, 5) % 2 == 0;
  } else if (type == "bad_deploy") {
    occ.service = pick(any);
    occ.spec.magnitude = 2.5 + 1.5 * v;
    occ.spec.error_rate = 0.03 + 0.05 * v;
    occ.spec.duration_s = 600 + 600 * d;
  } else if (type == "config_change") {
    occ.service = pick(any);
    occ.spec.magnitude = 1.5;
    occ.spec.error_rate = 0.05 + 0.1 * v;
    occ.spec.duration_s = 480 + 420 * d;
  } else if (type == "benign_deploy") {
    occ.service = pick(any);
    occ.spec.duration_s = 1;
  } else if (type == "network_delay") {
    occ.service = pick(called);  // someone must call it to notice
    occ.spec.delay_s = 0.15 + 0.35 * v;
    occ.spec.duration_s = 600 + 600 * d;
  } else if (type == "code_exception") {
    occ.service = pick(any);
    occ.spec.error_rate = 0.05 + 0.15 * v;
    occ.spec.duration_s = 600 + 600 * d;
  } else if (type == "cpu_contention") {
    occ.service = -1;
    occ.spec.magnitude = 2 + 2 * v;
    occ.spec.duration_s = 600 + 900 * d;
  } else if (type == "release_wave") {
    occ.service = pick(called);  // its callers are the ones that fail
    occ.spec.magnitude = 1.1;
    occ.spec.error_rate = 0.1 + 0.2 * v;
    occ.spec.releases = 3 + static_cast<int>(draw(seed_, Stream::release, k, 0) % 3);
    occ.spec.spread_s = 300;
    occ.spec.duration_s = 900 + 600 * d;
  } else {  // node_failure
    occ.service = -1;
    occ.spec.duration_s = 600 + 600 * d;
  }
  if (occ.service >= 0) occ.spec.service = spec_->services[occ.service].name;
  occ.spec.ramp_s = 120;
  occ.start_s = std::round(t);
  occ.end_s = occ.start_s + std::round(occ.spec.duration_s);
  if (type == "release_wave") {
    add_release_wave(std::move(occ), 1'000'000 + k, all);
  } else {
    all.push_back(std::move(occ));
  }
}

void Cluster::add_release_wave(FaultOccurrence faulty, std::uint64_t key, std::vector<FaultOccurrence>& all) {
  const double wave_start = faulty.start_s;
  const double spread = faulty.spec.spread_s;
  std::vector<int> others;
  for (std::size_t i = 0; i < services_.size(); ++i) {
    if (static_cast<int>(i) != faulty.service) others.push_back(static_cast<int>(i));
  }
  for (int j = 1; j < faulty.spec.releases && !others.empty(); ++j) {
    const std::size_t at = draw(seed_, Stream::release, key, 2 * static_cast<std::uint64_t>(j)) % others.size();
    FaultOccurrence benign;
    benign.spec.type = "benign_deploy";
    benign.service = others[at];
    benign.spec.service = spec_->services[benign.service].name;
    benign.spec.duration_s = 1;
    benign.start_s = wave_start + std::round(spread * uniform(seed_, Stream::release, key, 2 * j + 1));
    benign.end_s = benign.start_s + 1;
    others.erase(others.begin() + static_cast<std::ptrdiff_t>(at));
    all.push_back(std::move(benign));
  }
  const double offset = std::round(spread * uniform(seed_, Stream::release, key, 1));
  faulty.start_s = wave_start + offset;
  faulty.end_s += offset;
  all.push_back(std::move(faulty));
}

int Cluster::target_node(const FaultOccurrence& f) const {
  if (f.node >= 0 && f.node < static_cast<int>(nodes_.size()) && nodes_[f.node].ready) return f.node;
  int busiest = -1;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].ready && (busiest < 0 || nodes_[i].pods > nodes_[busiest].pods)) busiest = static_cast<int>(i);
  }
  return busiest;
}

std::size_t Cluster::emit(SecondOutput& out, int t, std::string type, int service, Severity severity,
                          std::string message, std::string pod, std::string node, std::string source) {
  Event e;
  // Events of one second are spread over it in the order they happen: the
  // k-th falls in the k-th 10 ms slot.
  const std::size_t k = std::min<std::size_t>(out.events.size(), 99);
  const double offset = 0.01 * static_cast<double>(k) +
                        0.001 * std::floor(9 * uniform(seed_, Stream::event_order, t, out.events.size()));
  e.time = time_of(t + offset);
  e.category = category_of_type(type).value_or(Category::other);
  e.type = std::move(type);
  if (service >= 0) e.service = spec_->services[service].name;
  e.namespace_ = spec_->namespace_;
  e.cluster = spec_->cluster;
  e.node = std::move(node);
  e.pod = std::move(pod);
  e.severity = severity;
  e.message = std::move(message);
  e.source = std::move(source);
  out.events.push_back(std::move(e));
  return out.events.size() - 1;
}

void Cluster::roll_out(int service, int version, int template_version) {
  auto& s = services_[service];
  s.version = version;
  s.template_hash = template_version == 0
                        ? random_name(draw(seed_, Stream::names, key_of(spec_->services[service].name), 0), 10)
                        : random_name(draw(seed_, Stream::names, key_of(spec_->services[service].name),
                                           1'000'000 + template_version), 10);
  for (auto& pod : s.pods) pod.old = true;
}

void Cluster::start_fault(FaultOccurrence& f, int t, SecondOutput& out) {
  const std::string& type = f.spec.type;
  std::size_t event = static_cast<std::size_t>(-1);
  if (type == "bad_deploy" || type == "benign_deploy" || type == "release_wave") {
    auto& s = services_[f.service];
    const int version = s.version + 1;
    f.version = version_name(version);
    f.previous_version = version_name(s.version);
    if (type == "bad_deploy" || type == "release_wave") {
      s.bad_version = version;
      s.bad_latency = f.spec.magnitude > 0 ? f.spec.magnitude : 1;
      // A slower build also burns more CPU per request.
      s.bad_capacity = 1 / std::sqrt(s.bad_latency);
      // A bad deploy fails requests itself; a faulty release answers them,
      // wrongly: its callers reject the answers, it counts no error.
      s.bad_error = type == "bad_deploy" ? f.spec.error_rate : 0;
      s.bad_silent_error = type == "release_wave" ? f.spec.error_rate : 0;
    }
    const std::string& name = spec_->services[f.service].name;
    event = emit(out, t, "deploy", f.service, Severity::info,
                 "Deployment " + name + " rolling out " + f.version + " (image registry.example/shop/" + name +
                     ":" + f.version + ")",
                 {}, {}, "argocd");
    out.events[event].attributes = {{"version", f.version},
                                    {"previous_version", f.previous_version},
                                    {"image", "registry.example/shop/" + name + ":" + f.version}};
    roll_out(f.service, version, version);
  } else if (type == "config_change" || (type == "dependency_slowdown" && f.spec.with_event)) {
    const std::string& name = spec_->services[f.service].name;
    const std::string what = type == "config_change" ? "connection pool size 50 -> 4" : "storage class standard -> cold";
    event = emit(out, t, "config_changed", f.service, Severity::info,
                 "ConfigMap " + name + "-config updated: " + what, {}, {}, "argocd");
    out.events[event].attributes = {{"configmap", name + "-config"}, {"change", what}};
  } else if (type == "cpu_contention") {
    // A noisy neighbour: nothing announces it; its victims are the
    // services with pods on the node now, the most pods first.
    f.node = target_node(f);
    if (f.node < 0) return;
    std::vector<std::pair<int, int>> on_node;  // (-pods, service)
    for (std::size_t i = 0; i < services_.size(); ++i) {
      int pods = 0;
      for (const auto& p : services_[i].pods) pods += p.node == f.node ? 1 : 0;
      if (pods > 0) on_node.emplace_back(-pods, static_cast<int>(i));
    }
    std::sort(on_node.begin(), on_node.end());
    f.affected.clear();
    for (const auto& [pods, service] : on_node) f.affected.push_back(service);
  } else if (type == "node_failure") {
    f.node = target_node(f);
    if (f.node < 0) return;
    Node& node = nodes_[f.node];
    node.ready = false;
    event = emit(out, t, "node_not_ready", -1, Severity::error,
                 "Node " + node.name + " status is now: NodeNotReady", {}, node.name, "node-controller");
    for (std::size_t i = 0; i < services_.size(); ++i) {
      auto& pods = services_[i].pods;
      int lost = 0;
      for (auto it = pods.begin(); it != pods.end();) {
        if (it->node == f.node) {
          emit(out, t, "evicted", static_cast<int>(i), Severity::warning,
               "Marking for deletion Pod " + spec_->namespace_ + "/" + it->name + ": node " + node.name +
                   " is not ready",
               it->name, node.name, "taint-eviction-controller");
          it = pods.erase(it);
          ++lost;
        } else {
          ++it;
        }
      }
      // The ReplicaSet replaces what it lost.
      for (int r = 0; r < lost; ++r) add_pod(static_cast<int>(i), t, services_[i].version);
    }
    node.pods = 0;
  }
  f.event_id.clear();
  out.onsets.push_back({f.index, event});
}

void Cluster::end_fault(FaultOccurrence& f, int t, SecondOutput& out) {
  const std::string& type = f.spec.type;
  if (type == "bad_deploy" || type == "release_wave") {
    auto& s = services_[f.service];
    const std::string& name = spec_->services[f.service].name;
    const std::size_t e = emit(out, t, "rollback", f.service, Severity::info,
                               "Deployment " + name + " rolled back from " + f.version + " to " + f.previous_version,
                               {}, {}, "argocd");
    out.events[e].attributes = {{"version", f.previous_version}, {"previous_version", f.version}};
    // New pods of the previous template: the same hash as before the deploy.
    roll_out(f.service, s.version + 1, s.version - 1);
  } else if (type == "config_change") {
    const std::string& name = spec_->services[f.service].name;
    emit(out, t, "config_changed", f.service, Severity::info,
         "ConfigMap " + name + "-config updated: connection pool size 4 -> 50 (revert)", {}, {}, "argocd");
  } else if (type == "node_failure" && f.node >= 0) {
    nodes_[f.node].ready = true;
    emit(out, t, "node_ready", -1, Severity::info, "Node " + nodes_[f.node].name + " status is now: NodeReady",
         {}, nodes_[f.node].name, "node-controller");
  }
}

void Cluster::begin_second(int t, SecondOutput& out) {
  for (auto& f : faults_) {
    if (!f.started && t >= f.start_s) {
      f.started = true;
      if (!f.disabled) start_fault(f, t, out);
    }
    if (f.started && !f.ended && t >= f.end_s) {
      f.ended = true;
      if (!f.disabled) end_fault(f, t, out);
    }
  }
  // The effects in force this second.
  for (auto& s : services_) {
    s.load_factor = 1;
    s.latency_factor = 1;
    s.capacity_factor = 1;
    s.added_error = 0;
    s.leak_rate = 0;
    s.leak_cause = -1;
    s.inbound_delay_s = 0;
    s.exception_cause = -1;
  }
  for (auto& node : nodes_) node.contention = 1;
  for (const auto& f : faults_) {
    if (!f.started || f.disabled || f.ended) continue;
    if (f.spec.type == "cpu_contention" && f.node >= 0) {
      // The neighbour's load builds up over a minute and stops at once.
      const double strength = std::clamp((t - f.start_s) / 60.0, 0.0, 1.0);
      nodes_[f.node].contention *= 1 + (std::max(1.0, f.spec.magnitude) - 1) * strength;
    }
  }
  for (const auto& f : faults_) {
    if (!f.started || f.disabled || f.service < 0) continue;
    auto& s = services_[f.service];
    const std::string& type = f.spec.type;
    const double since = t - f.start_s;
    const double until = f.end_s - t;
    if (f.ended) continue;
    if (type == "traffic_surge") {
      const double ramp = std::max(1.0, f.spec.ramp_s);
      const double strength = std::clamp(std::min(since, until) / ramp, 0.0, 1.0);
      s.load_factor *= 1 + (f.spec.magnitude - 1) * strength;
    } else if (type == "memory_leak") {
      s.leak_rate += f.spec.magnitude;
      s.leak_cause = f.index;
    } else if (type == "dependency_slowdown") {
      const double strength = std::clamp(std::min(since, until) / 60.0, 0.0, 1.0);
      const double factor = 1 + (f.spec.magnitude - 1) * strength;
      s.latency_factor *= factor;
      // Slow storage holds each worker longer: fewer requests per second fit.
      s.capacity_factor /= std::sqrt(factor);
    } else if (type == "config_change") {
      s.latency_factor *= f.spec.magnitude > 0 ? f.spec.magnitude : 1;
      s.added_error += f.spec.error_rate;
    } else if (type == "network_delay") {
      s.inbound_delay_s += f.spec.delay_s;
    } else if (type == "code_exception") {
      s.added_error += f.spec.error_rate;
      s.exception_cause = f.index;
    }
  }
}

// ---- autoscaling ----

std::vector<ScaleDecision> Cluster::autoscale(int t) {
  std::vector<ScaleDecision> decisions;
  const auto& hpa = spec_->autoscaler;
  const int period = std::max(1, static_cast<int>(hpa.sync_period_s));
  if (t == 0 || t % period != 0) return decisions;
  for (std::size_t i = 0; i < services_.size(); ++i) {
    const ServiceSpec& spec = spec_->services[i];
    auto& s = services_[i];
    if (!spec.autoscale || s.frozen_until_s >= t || s.ready_pods == 0) continue;
    const int current = s.desired;
    // The HPA reads CPU from the metrics pipeline: an average over the last
    // kMetricsWindow seconds, so it lags a sudden surge.
    const double ratio = s.utilization_window / hpa.target_utilization;
    int recommendation = current;
    if (std::abs(ratio - 1) > hpa.tolerance) recommendation = static_cast<int>(std::ceil(current * ratio - 1e-9));
    recommendation = std::clamp(recommendation, spec.min_replicas, spec.max_replicas);
    s.recommendations.emplace_back(t, recommendation);
    const double keep = std::max(hpa.scale_down_stabilization_s, hpa.scale_up_stabilization_s);
    while (!s.recommendations.empty() && s.recommendations.front().first < t - keep) s.recommendations.pop_front();
    int target = recommendation;
    if (recommendation < current) {
      // Scale down only to the highest recommendation of the window.
      for (const auto& [when, r] : s.recommendations) {
        if (when >= t - hpa.scale_down_stabilization_s) target = std::max(target, r);
      }
      target = std::min(target, current);
    } else if (recommendation > current) {
      for (const auto& [when, r] : s.recommendations) {
        if (when >= t - hpa.scale_up_stabilization_s) target = std::min(target, r);
      }
      target = std::max(target, current);
      target = std::min(target, std::max(current + hpa.scale_up_max_pods, 2 * current));
    }
    if (target != current) decisions.push_back({static_cast<int>(i), current, target, s.utilization_window});
  }
  return decisions;
}

void Cluster::apply_scaling(int t, const std::vector<ScaleDecision>& decisions, SecondOutput& out) {
  for (const auto& d : decisions) {
    auto& s = services_[d.service];
    if (s.frozen_until_s >= t) continue;
    const bool up = d.to > d.from;
    const int pct = static_cast<int>(std::lround(d.utilization * 100));
    const std::size_t e = emit(
        out, t, up ? "scale_up" : "scale_down", d.service, Severity::info,
        "New size: " + std::to_string(d.to) + "; reason: cpu resource utilization (percentage of request) " +
            (up ? "above" : "below") + " target",
        {}, {}, "k8s/horizontal-pod-autoscaler");
    out.events[e].attributes = {{"from_replicas", static_cast<std::int64_t>(d.from)},
                                {"to_replicas", static_cast<std::int64_t>(d.to)},
                                {"cpu_utilization_percent", static_cast<std::int64_t>(pct)}};
    out.scales.push_back({e, d});
    s.desired = d.to;
    int have = static_cast<int>(s.pods.size());
    for (; have < d.to; ++have) add_pod(d.service, t, s.version);
    // Scale down: pending first, then old, then not ready, then the newest.
    while (static_cast<int>(s.pods.size()) > d.to) {
      auto rank = [&](const Pod& p) {
        if (p.node < 0) return 0;
        if (p.old) return 1;
        if (!p.ready(t)) return 2;
        return 3;
      };
      std::size_t victim = 0;
      for (std::size_t k = 1; k < s.pods.size(); ++k) {
        const int a = rank(s.pods[k]), b = rank(s.pods[victim]);
        if (a < b || (a == b && s.pods[k].serial > s.pods[victim].serial)) victim = k;
      }
      if (s.pods[victim].node >= 0) --nodes_[s.pods[victim].node].pods;
      s.pods.erase(s.pods.begin() + static_cast<std::ptrdiff_t>(victim));
    }
  }
}

// ---- nodes ----

bool Cluster::plan_provisioning(int t, ProvisionRequest& request) {
  if (t % kProvisioningCheckEvery != 0) return false;
  const int per_node = spec_->nodes.pods_per_node;
  int pending = 0;
  int first_service = -1;
  for (std::size_t i = 0; i < services_.size(); ++i) {
    for (const auto& pod : services_[i].pods) {
      if (pod.node < 0) {
        ++pending;
        if (first_service < 0) first_service = static_cast<int>(i);
      }
    }
  }
  if (pending == 0) return false;
  int free_slots = 0;
  for (const auto& node : nodes_) {
    if (node.ready) free_slots += std::max(0, per_node - node.pods);
  }
  int coming = 0;
  for (const auto& r : in_flight_) coming += r.nodes;
  const int uncovered = pending - free_slots - coming * per_node;
  if (uncovered <= 0) return false;
  const int room = spec_->nodes.max - static_cast<int>(nodes_.size()) - coming;
  if (room <= 0) return false;
  request.id = next_request_id_++;
  request.requested_s = t;
  request.nodes = std::min(room, (uncovered + per_node - 1) / per_node);
  request.service = first_service;
  const double jitter = (2 * uniform(seed_, Stream::provisioning, request.id) - 1) * spec_->nodes.provisioning_jitter_s;
  request.arrives_s = t + std::max(0.0, std::round(spec_->nodes.provisioning_delay_s + jitter));
  return true;
}

void Cluster::apply_provisioning(int t, ProvisionRequest request, SecondOutput& out) {
  const int before = static_cast<int>(nodes_.size());
  std::string pod;
  for (const auto& p : services_[request.service].pods) {
    if (p.node < 0) {
      pod = p.name;
      break;
    }
  }
  const std::size_t e = emit(out, t, "resource_requested", request.service, Severity::info,
                             "pod triggered scale-up: [{default-pool " + std::to_string(before) + "->" +
                                 std::to_string(before + request.nodes) + " (max: " +
                                 std::to_string(spec_->nodes.max) + ")}]",
                             pod, {}, "cluster-autoscaler");
  out.events[e].attributes = {{"nodes", static_cast<std::int64_t>(request.nodes)},
                              {"node_group", std::string("default-pool")}};
  out.requests.push_back({request.id, e});
  in_flight_.push_back(std::move(request));
}

void Cluster::schedule_pods(int t, SecondOutput& out) {
  const int per_node = spec_->nodes.pods_per_node;
  for (std::size_t i = 0; i < services_.size(); ++i) {
    const ServiceSpec& spec = spec_->services[i];
    for (auto& pod : services_[i].pods) {
      if (pod.node >= 0) continue;
      int best = -1;
      for (std::size_t n = 0; n < nodes_.size(); ++n) {
        if (nodes_[n].ready && nodes_[n].pods < per_node && (best < 0 || nodes_[n].pods < nodes_[best].pods)) {
          best = static_cast<int>(n);
        }
      }
      if (best < 0) {
        if (!pod.failed_scheduling_reported) {
          pod.failed_scheduling_reported = true;
          int ready = 0;
          for (const auto& n : nodes_) ready += n.ready ? 1 : 0;
          emit(out, t, "allocation_failed", static_cast<int>(i), Severity::warning,
               "0/" + std::to_string(nodes_.size()) + " nodes are available: " + std::to_string(ready) +
                   " Too many pods. preemption: 0/" + std::to_string(nodes_.size()) +
                   " nodes are available: no preemption victims found for incoming pod.",
               pod.name, {}, "default-scheduler");
        }
        continue;
      }
      pod.node = best;
      ++nodes_[best].pods;
      const double jitter = 0.8 + 0.4 * uniform(seed_, Stream::pod_jitter, pod.serial);
      pod.ready_s = t + std::round(spec.startup_s * jitter);
      emit(out, t, "pod_scheduled", static_cast<int>(i), Severity::info,
           "Successfully assigned " + spec_->namespace_ + "/" + pod.name + " to " + nodes_[best].name, pod.name,
           nodes_[best].name, "default-scheduler");
    }
  }
}

void Cluster::advance_rollouts(int t) {
  for (std::size_t i = 0; i < services_.size(); ++i) {
    auto& s = services_[i];
    int old = 0, ready = 0, starting_new = 0;
    for (const auto& p : s.pods) {
      old += p.old ? 1 : 0;
      ready += p.ready(t) ? 1 : 0;
      starting_new += (!p.old && !p.ready(t)) ? 1 : 0;
    }
    if (old == 0) continue;
    const int total = static_cast<int>(s.pods.size());
    // maxSurge 1, maxUnavailable 0: retire an old pod once a new one is
    // ready (an old pod that is not serving anyway goes first).
    bool old_unready = false;
    for (const auto& p : s.pods) old_unready = old_unready || (p.old && !p.ready(t));
    if (total > s.desired && (ready > s.desired || old_unready)) {
      for (auto it = s.pods.begin(); it != s.pods.end(); ++it) {
        if (it->old && (!old_unready || !it->ready(t))) {
          if (it->node >= 0) --nodes_[it->node].pods;
          s.pods.erase(it);
          break;
        }
      }
    } else if (starting_new == 0 && total <= s.desired) {
      add_pod(static_cast<int>(i), t, s.version);
    }
  }
}

// ---- requests ----

void Cluster::flow_requests(int t) {
  const std::size_t n = services_.size();
  const double day_s = 86400;
  const double clock_s = static_cast<double>(spec_->start / kNanosPerSecond) + t;
  const double hour = std::fmod(clock_s, day_s) / 3600.0;
  for (auto& s : services_) s.offered_rps = 0;
  for (std::size_t k = 0; k < spec_->traffic.size(); ++k) {
    const TrafficSpec& tr = spec_->traffic[k];
    const int i = service_index(tr.service);
    const double shape = 1 + tr.daily_amplitude * std::sin(2 * std::numbers::pi * (hour - 8) / 24);
    const double noise = 1 + tr.noise * normal(seed_, Stream::traffic, k, t);
    const double burst = bursts_[k].empty() ? 1 : burst_level(k, t);
    services_[i].offered_rps += std::max(0.0, tr.base_rps * shape * noise * services_[i].load_factor * burst);
  }
  // Down the call graph: queues fill and drain, and what a service serves
  // is what its dependencies are offered.
  std::vector<double> own_time(n), dropped(n);
  for (int i : order_) {
    const ServiceSpec& spec = spec_->services[i];
    auto& s = services_[i];
    double capacity = 0, latency_weight = 0, error_weight = 0, silent_weight = 0;
    int ready = 0, pending = 0;
    for (const auto& pod : s.pods) {
      if (pod.node < 0) ++pending;
      if (!pod.ready(t)) continue;
      ++ready;
      // Pods of a bad rollout carry its regression until they are replaced.
      const bool regressed = pod.version == s.bad_version;
      // A pod near its memory limit spends its time collecting garbage.
      const double fill = pod.memory_bytes / spec.memory_limit_bytes;
      const double gc = fill > 0.85 ? 1 + 2 * std::pow((fill - 0.85) / 0.15, 2) : 1;
      // A noisy neighbour on the node takes CPU from its pods; a pod that
      // has just started serves its first requests cold.
      const double contention = nodes_[pod.node].contention;
      double cold = 1;
      if (spec.cold_start_s > 0 && t - pod.ready_s < 30) {
        cold += spec.cold_start_s / spec.base_latency_s * (1 - (t - pod.ready_s) / 30);
      }
      if (contention == 1 && cold == 1) {
        // As before either existed, expression for expression: with
        // -march=native the compiler fuses multiply-adds, and a factor of 1
        // in between would change the rounding of every scenario's latency.
        capacity += spec.capacity_rps * (regressed ? s.bad_capacity : 1);
        latency_weight += (regressed ? s.bad_latency : 1) * gc;
      } else {
        capacity += spec.capacity_rps * (regressed ? s.bad_capacity : 1) / contention;
        latency_weight += (regressed ? s.bad_latency : 1) * gc * contention * cold;
      }
      error_weight += regressed ? s.bad_error : 0;
      silent_weight += regressed ? s.bad_silent_error : 0;
    }
    s.silent_error = ready > 0 ? silent_weight / ready : 0;
    capacity *= s.capacity_factor;
    s.ready_pods = ready;
    s.pending_pods = pending;
    const double version_latency = ready > 0 ? latency_weight / ready : 1;
    const double version_error = ready > 0 ? error_weight / ready : 0;
    const double service_time = spec.base_latency_s * s.latency_factor * version_latency;

    const double arriving = s.offered_rps + s.backlog;
    const double served = std::min(arriving, capacity);
    s.backlog = arriving - served;
    // Callers give up on requests that would wait past their timeout.
    const double max_backlog = capacity * spec.timeout_s;
    dropped[i] = std::max(0.0, s.backlog - max_backlog);
    s.backlog -= dropped[i];
    s.served_rps = served;
    s.dropped_rps = dropped[i];
    s.utilization = capacity > 0 ? served / capacity : (s.offered_rps > 0 ? 1.0 : 0.0);
    s.utilization_window += (s.utilization - s.utilization_window) / kMetricsWindow;
    const double rho = capacity > 0 ? std::min(s.offered_rps / capacity, 0.995) : 0.995;
    const double wait = service_time * queueing_delay_factor(rho, std::max(1, ready)) +
                        (capacity > 0 ? s.backlog / capacity : spec.timeout_s);
    own_time[i] = service_time + wait;
    s.added_error += version_error;
    for (const auto& [dep, ratio] : calls_[i]) services_[dep].offered_rps += served * ratio;
  }
  // Up the call graph: latency and failures add along the call path;
  // a caller waits for a dependency at most its timeout.
  for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
    const int i = *it;
    const ServiceSpec& spec = spec_->services[i];
    auto& s = services_[i];
    double mean = own_time[i];
    double survive_deps = 1;
    double timeout_fail = 0, reject_fail = 0;
    for (const auto& [dep, ratio] : calls_[i]) {
      const auto& d = services_[dep];
      const double timeout = spec_->services[dep].timeout_s;
      // A network delay into the dependency: the caller waits it, the
      // dependency's own latency does not show it.
      const double m = std::max(1e-6, d.mean_latency_s + d.inbound_delay_s);
      const double p_timeout = std::exp(-timeout / m);
      mean += ratio * m * (1 - p_timeout);
      // Answers fail when the dependency errs or, a faulty release, answers wrongly.
      const double bad = d.silent_error > 0 ? 1 - (1 - d.error_rate) * (1 - d.silent_error) : d.error_rate;
      const double fail = std::min(1.0, p_timeout + (1 - p_timeout) * bad);
      survive_deps *= std::pow(1 - fail, ratio);
      timeout_fail += ratio * p_timeout;
      reject_fail += ratio * (1 - p_timeout) * (bad - d.error_rate);
    }
    const double own_error = std::clamp(spec.base_error_rate + s.added_error, 0.0, 1.0);
    const double completed = s.served_rps + dropped[i];
    const double failed_served = s.served_rps * (1 - (1 - own_error) * survive_deps);
    const double errors = failed_served + dropped[i];
    s.error_rate = completed > 0 ? errors / completed : 0;
    s.good_rps = completed - errors;
    const double dep_fail = 1 - survive_deps;
    const double total_fail = std::max(1e-12, own_error + dep_fail + (completed > 0 ? dropped[i] / completed : 0));
    s.timeout_share = std::min(1.0, timeout_fail) / total_fail;
    s.drop_share = (completed > 0 ? dropped[i] / completed : 0) / total_fail;
    s.fault_share = std::max(0.0, own_error - spec.base_error_rate) / total_fail;
    s.reject_share = std::min(1.0, reject_fail) / total_fail;
    s.own_latency_s = own_time[i];
    s.mean_latency_s = mean;
    // Latency ~ service time + an exponential tail of the rest.
    const double base = std::min(spec.base_latency_s, mean);
    const double tail = mean - base;
    s.p50_s = base + tail * std::log(2.0);
    s.p95_s = base + tail * std::log(20.0);
    s.p99_s = base + tail * std::log(100.0);
    s.requests_total += completed;
    s.errors_total += errors;
    s.latency_sum_s += s.served_rps * mean;
  }
}

// ---- pods: CPU, memory, OOM kills ----

void Cluster::update_pods(int t, SecondOutput& out) {
  for (std::size_t i = 0; i < services_.size(); ++i) {
    const ServiceSpec& spec = spec_->services[i];
    auto& s = services_[i];
    const double per_pod = s.ready_pods > 0 ? s.served_rps / s.ready_pods : 0;
    for (auto& pod : s.pods) {
      if (pod.node < 0 || pod.ready_s < 0 || t < pod.ready_s - spec.startup_s) continue;
      const bool serving = pod.ready(t);
      const double load = serving ? per_pod / spec.capacity_rps : 0;
      pod.cpu_seconds += spec.cpu_request * (0.02 + load);
      nodes_[pod.node].cpu_seconds += spec.cpu_request * (0.02 + load);
      if (t < pod.unavailable_until_s - spec.startup_s) continue;  // container down
      if (s.leak_rate > 0) {
        const double jitter = 0.7 + 0.6 * uniform(seed_, Stream::pod_jitter, pod.serial, 7);
        pod.leak_bytes += s.leak_rate * jitter;
      }
      const double noise = 1 + 0.004 * normal(seed_, Stream::memory_noise, pod.serial, t);
      const double target = (spec.memory_base_bytes + spec.memory_per_rps_bytes * per_pod * (serving ? 1 : 0.2)) * noise +
                            pod.leak_bytes;
      pod.memory_bytes = pod.memory_bytes <= 0 ? target : 0.9 * pod.memory_bytes + 0.1 * target;
      if (pod.memory_bytes >= spec.memory_limit_bytes) {
        const std::size_t e = emit(
            out, t, "oom_killed", static_cast<int>(i), Severity::error,
            "Container " + spec.name + " in pod " + pod.name + " was OOM-killed: memory limit " +
                std::to_string(static_cast<long long>(spec.memory_limit_bytes / kMiB)) + "Mi exceeded",
            pod.name, pod.node >= 0 ? nodes_[pod.node].name : std::string(), "kubelet");
        out.events[e].attributes = {{"container", spec.name},
                                    {"memory_limit_bytes", static_cast<std::int64_t>(spec.memory_limit_bytes)},
                                    {"restart_count", static_cast<std::int64_t>(pod.restarts + 1)},
                                    {"exit_code", std::int64_t{137}}};
        out.ooms.push_back({e, static_cast<int>(i), s.leak_cause, pod.memory_bytes, spec.memory_limit_bytes});
        ++pod.restarts;
        pod.unavailable_until_s = t + 10 + spec.startup_s;
        pod.memory_bytes = 0;
        pod.leak_bytes = 0;
      }
    }
  }
}

void Cluster::finish_second(int t, SecondOutput& out) {
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    if (it->arrives_s > t) {
      ++it;
      continue;
    }
    SecondOutput::Arrival arrival{it->id, {}};
    for (int k = 0; k < it->nodes; ++k) {
      nodes_.push_back({new_node_name(), true, 0});
      arrival.events.push_back(emit(out, t, "node_added", -1, Severity::info,
                                    "Registered Node " + nodes_.back().name + " in Controller", {},
                                    nodes_.back().name, "node-controller"));
      out.events[arrival.events.back()].attributes = {
          {"node_group", std::string("default-pool")},
          {"requested_by", std::string("cluster-autoscaler")}};
    }
    out.arrivals.push_back(std::move(arrival));
    it = in_flight_.erase(it);
  }
  advance_rollouts(t);
  schedule_pods(t, out);
  flow_requests(t);
  update_pods(t, out);
  // The node's own system load, and a noisy neighbour's: it takes the share
  // of the cores that slows the pods by `contention`.
  for (auto& node : nodes_) {
    if (node.ready) node.cpu_seconds += 0.1 + spec_->nodes.cpu_cores * (1 - 1 / node.contention);
  }
}

}  // namespace eventlens::simulate
