#include "simulate/simulator.h"

#include <algorithm>
#include <array>
#include <map>
#include <chrono>
#include <cmath>
#include <list>
#include <numeric>
#include <thread>
#include <unordered_set>

#include "model/taxonomy.h"
#include "simulate/cluster.h"

namespace eventlens::simulate {
namespace {

constexpr int kBeforeWindow = 300;   // the truth's "before" window, seconds
constexpr int kSettle = 60;          // scaling: the after window starts this much later
constexpr int kAfterWindow = 300;    // ... and lasts this long
constexpr double kRelief = 0.10;     // a 10 % change in p95 latency is a verdict
constexpr double kMinLatencyChange = 0.005;  // ... when it is at least 5 ms
constexpr int kIncidentMinRun = 30;  // seconds of deviation that make an incident
constexpr int kIncidentGap = 60;     // seconds of normality that end one
constexpr int kFaultTail = 600;      // a fault's effects are followed this long after it ends

// Advances a twin through a whole second.
void step(Cluster& c, int t, SecondOutput& scratch) {
  scratch.clear();
  c.begin_second(t, scratch);
  c.apply_scaling(t, c.autoscale(t), scratch);
  ProvisionRequest request;
  if (c.plan_provisioning(t, request)) c.apply_provisioning(t, std::move(request), scratch);
  c.finish_second(t, scratch);
}

// Deviation of one (service, signal) between the factual run and a twin.
struct SignalTrack {
  int run_start = -1;   // first second of the current deviating run
  int last = -1;        // last deviating second
  bool open = false;    // the run became an incident
  double peak = 0;
  std::size_t incident = 0;
};

struct Twin {
  enum class Kind { scaling, provisioning, fault };
  Twin(Kind k, const Cluster& c, int created_at, int end_at) : kind(k), cluster(c), created(created_at), end(end_at) {}
  Kind kind;
  Cluster cluster;
  int created = 0;
  int end = 0;
  int target = -1;            // scaling: service; provisioning: request id; fault: occurrence
  std::size_t truth = 0;      // index into the truth list of its kind
  // scaling
  double sum_factual = 0, sum_twin = 0, err_factual = 0, err_twin = 0;
  int samples = 0;
  int relief_at = -1;
  // provisioning
  double lost = 0;
  // fault: [service][signal]
  std::vector<std::array<SignalTrack, 3>> tracks;
};

constexpr std::array<std::string_view, 3> kSignals = {"latency", "errors", "throughput"};

class Run {
 public:
  Run(const ScenarioSpec& scenario, const SimulationOptions& options, RecordSink& sink)
      : options_(options), factual_(scenario, options.seed, options.duration_s), telemetry_(factual_, sink),
        p95_history_(scenario.services.size(), std::vector<double>(kBeforeWindow, 0)) {
    truth_.scenario = scenario.name;
    truth_.seed = options.seed;
    truth_.start = scenario.start;
    truth_.end = factual_.time_of(std::floor(options.duration_s));
    for (const auto& s : scenario.services) {
      Truth::Service ts{s.name, {}};
      for (const auto& c : s.calls) ts.calls.push_back(c.service);
      truth_.services.push_back(std::move(ts));
    }
  }

  SimulationResult run() {
    const int seconds = static_cast<int>(std::floor(options_.duration_s));
    const auto wall_start = std::chrono::steady_clock::now();
    for (int t = 0; t < seconds; ++t) {
      second(t);
      if (options_.speed > 0) {
        const auto due = wall_start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                          std::chrono::duration<double>((t + 1) / options_.speed));
        std::this_thread::sleep_until(due);
      }
    }
    for (auto& twin : twins_) finish(twin);
    twins_.clear();
    record_causes();
    return {telemetry_.counts(), std::move(truth_)};
  }

 private:
  void second(int t) {
    out_.clear();
    // Fault twins fork before the fault takes effect.
    for (const auto& f : factual_.faults()) {
      if (!f.started && t >= f.start_s) {
        Twin twin{Twin::Kind::fault, factual_, t, std::min(static_cast<int>(f.end_s) + kFaultTail,
                                                           static_cast<int>(options_.duration_s) - 1)};
        twin.cluster.disable_fault(f.index);
        twin.target = f.index;
        twin.tracks.resize(factual_.services().size());
        twins_.push_back(std::move(twin));
      }
    }
    for (auto& twin : twins_) {
      if (twin.created == t && twin.kind == Twin::Kind::fault) step(twin.cluster, t, scratch_);
    }
    factual_.begin_second(t, out_);
    const std::vector<ScaleDecision> decisions = factual_.autoscale(t);
    std::vector<Twin> born;
    for (const auto& d : decisions) {
      // The twin: this scaling and any further scaling of the service never happen.
      Twin twin{Twin::Kind::scaling, factual_, t, t + kSettle + kAfterWindow};
      twin.target = d.service;
      twin.cluster.freeze_autoscaling(d.service, twin.end);
      born.push_back(std::move(twin));
    }
    factual_.apply_scaling(t, decisions, out_);
    for (auto& twin : born) {
      std::vector<ScaleDecision> others;
      for (const auto& d : decisions) {
        if (d.service != twin.target) others.push_back(d);
      }
      scratch_.clear();
      twin.cluster.apply_scaling(t, others, scratch_);
    }
    ProvisionRequest request;
    if (factual_.plan_provisioning(t, request)) {
      // The twin: the same nodes, at once.
      Twin twin{Twin::Kind::provisioning, factual_, t,
                static_cast<int>(request.arrives_s) + 2 * static_cast<int>(max_startup()) + 120};
      twin.target = request.id;
      ProvisionRequest instant = request;
      instant.arrives_s = t;
      for (auto& b : born) {  // scaling twins born this second see the request too
        ProvisionRequest same = request;
        scratch_.clear();
        b.cluster.apply_provisioning(t, same, scratch_);
      }
      scratch_.clear();
      twin.cluster.apply_provisioning(t, instant, scratch_);
      born.push_back(std::move(twin));
      factual_.apply_provisioning(t, std::move(request), out_);
    } else {
      for (auto& b : born) {
        ProvisionRequest r;
        scratch_.clear();
        if (b.cluster.plan_provisioning(t, r)) b.cluster.apply_provisioning(t, std::move(r), scratch_);
      }
    }
    factual_.finish_second(t, out_);
    for (auto& b : born) {
      scratch_.clear();
      b.cluster.finish_second(t, scratch_);
    }
    for (auto& twin : twins_) {
      if (twin.created < t) step(twin.cluster, t, scratch_);
    }
    for (auto& b : born) twins_.push_back(std::move(b));
    name_events();
    record_second(t);
    compare(t);
    // The k-th event of a second already falls in the k-th 10 ms slot; only
    // a second with more than 99 events needs this. After record_second,
    // which reads events by position.
    std::stable_sort(out_.events.begin(), out_.events.end(),
                     [](const Event& a, const Event& b) { return a.time < b.time; });
    telemetry_.write_second(t, out_.events);
    for (std::size_t i = 0; i < factual_.services().size(); ++i) {
      p95_history_[i][t % kBeforeWindow] = factual_.services()[i].p95_s;
    }
  }

  double max_startup() const {
    double m = 0;
    for (const auto& s : factual_.spec().services) m = std::max(m, s.startup_s);
    return m;
  }

  // Gives every event of the second its id (content-derived, made unique).
  void name_events() {
    for (auto& e : out_.events) {
      std::string id = derive_event_id(e);
      if (!ids_.insert(id).second) {
        for (int n = 2;; ++n) {
          std::string alt = id + "-" + std::to_string(n);
          if (ids_.insert(alt).second) {
            id = std::move(alt);
            break;
          }
        }
      }
      e.id = std::move(id);
    }
  }

  double p95_before(int service, int t) const {
    const int n = std::min(t, kBeforeWindow);
    if (n == 0) return factual_.services()[service].p95_s;
    double sum = 0;
    for (int k = 1; k <= n; ++k) sum += p95_history_[service][(t - k) % kBeforeWindow];
    return sum / n;
  }

  void record_second(int t) {
    const auto& events = out_.events;
    for (const auto& onset : out_.onsets) {
      if (onset.event != static_cast<std::size_t>(-1)) {
        factual_.faults()[onset.fault].event_id = events[onset.event].id;
      }
    }
    for (const auto& s : out_.scales) {
      ScalingTruth st;
      const Event& e = events[s.event];
      st.event_id = e.id;
      st.service = e.service;
      st.type = e.type;
      st.time = e.time;
      st.from = s.decision.from;
      st.to = s.decision.to;
      st.p95_before_s = p95_before(s.decision.service, t);
      truth_.scaling.push_back(std::move(st));
      for (auto& twin : born_index(Twin::Kind::scaling, s.decision.service, t)) twin->truth = truth_.scaling.size() - 1;
    }
    for (const auto& o : out_.ooms) {
      const Event& e = events[o.event];
      OomTruth ot;
      ot.event_id = e.id;
      ot.service = e.service;
      ot.pod = e.pod;
      ot.time = e.time;
      ot.cause = o.cause >= 0 ? "cause-" + std::to_string(o.cause) : std::string();
      ot.memory_bytes = o.memory;
      ot.limit_bytes = o.limit;
      if (o.cause >= 0 && first_oom_.count(o.cause) == 0) first_oom_[o.cause] = {e.id, e.time};
      truth_.oom_kills.push_back(std::move(ot));
    }
    for (const auto& r : out_.requests) {
      const Event& e = events[r.event];
      ProvisioningTruth pt;
      pt.request_event_id = e.id;
      pt.service = e.service;
      pt.requested = e.time;
      for (const auto& a : e.attributes) {
        if (a.first == "nodes") pt.nodes = static_cast<int>(std::get<std::int64_t>(a.second));
      }
      truth_.provisioning.push_back(std::move(pt));
      request_truth_[r.request] = truth_.provisioning.size() - 1;
      for (auto& twin : born_index(Twin::Kind::provisioning, r.request, t)) twin->truth = truth_.provisioning.size() - 1;
    }
    for (const auto& a : out_.arrivals) {
      auto it = request_truth_.find(a.request);
      if (it == request_truth_.end()) continue;
      ProvisioningTruth& pt = truth_.provisioning[it->second];
      for (std::size_t idx : a.events) pt.node_added_event_ids.push_back(events[idx].id);
      if (!a.events.empty()) {
        pt.added = events[a.events.front()].time;
        pt.delay_s = static_cast<double>(pt.added - pt.requested) / 1e9;
      }
    }
  }

  // The twins of `kind` and `target` created at `t` (not yet in twins_).
  std::vector<Twin*> born_index(Twin::Kind kind, int target, int t) {
    std::vector<Twin*> found;
    for (auto& twin : twins_) {
      if (twin.kind == kind && twin.target == target && twin.created == t) found.push_back(&twin);
    }
    return found;
  }

  void compare(int t) {
    const auto& fs = factual_.services();
    for (auto it = twins_.begin(); it != twins_.end();) {
      Twin& twin = *it;
      const auto& cs = twin.cluster.services();
      if (twin.kind == Twin::Kind::scaling) {
        const auto& f = fs[twin.target];
        const auto& c = cs[twin.target];
        if (t >= twin.created + kSettle) {
          twin.sum_factual += f.p95_s;
          twin.sum_twin += c.p95_s;
          twin.err_factual += f.error_rate;
          twin.err_twin += c.error_rate;
          ++twin.samples;
        }
        if (twin.relief_at < 0 && t > twin.created && f.p95_s <= (1 - kRelief) * c.p95_s) twin.relief_at = t;
      } else if (twin.kind == Twin::Kind::provisioning) {
        for (std::size_t i = 0; i < fs.size(); ++i) twin.lost += cs[i].good_rps - fs[i].good_rps;
      } else {
        track_fault(twin, t);
      }
      if (t >= twin.end) {
        finish(twin);
        it = twins_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void track_fault(Twin& twin, int t) {
    const auto& fs = factual_.services();
    const auto& cs = twin.cluster.services();
    for (std::size_t i = 0; i < fs.size(); ++i) {
      const auto& f = fs[i];
      const auto& c = cs[i];
      const std::array<bool, 3> deviates = {
          f.p95_s > 1.3 * c.p95_s && f.p95_s - c.p95_s > 0.005,
          f.error_rate > c.error_rate + 0.01 && f.error_rate > 2 * c.error_rate,
          f.good_rps < 0.8 * c.good_rps && c.good_rps - f.good_rps > 1,
      };
      const std::array<double, 3> size = {c.p95_s > 0 ? f.p95_s / c.p95_s : 0, f.error_rate - c.error_rate,
                                          f.good_rps > 0 ? c.good_rps / f.good_rps : 0};
      for (int s = 0; s < 3; ++s) {
        SignalTrack& tr = twin.tracks[i][s];
        if (deviates[s]) {
          if (tr.run_start < 0 || t - tr.last > kIncidentGap) {
            if (tr.open) close_incident(tr);
            tr.run_start = t;
            tr.peak = 0;
          }
          tr.last = t;
          tr.peak = std::max(tr.peak, size[s]);
          if (!tr.open && t - tr.run_start + 1 >= kIncidentMinRun) open_incident(twin, tr, static_cast<int>(i), s);
          if (tr.open) truth_.incidents[tr.incident].peak = std::max(truth_.incidents[tr.incident].peak, tr.peak);
        } else if (tr.open && t - tr.last > kIncidentGap) {
          close_incident(tr);
        } else if (!tr.open && tr.run_start >= 0 && t - tr.last > kIncidentGap) {
          tr.run_start = -1;
        }
      }
    }
  }

  void open_incident(Twin& twin, SignalTrack& tr, int service, int signal) {
    const FaultOccurrence& f = factual_.faults()[twin.target];
    IncidentTruth inc;
    inc.id = "incident-" + std::to_string(truth_.incidents.size());
    inc.service = factual_.spec().services[service].name;
    inc.signal = std::string(kSignals[signal]);
    inc.start = factual_.time_of(tr.run_start);
    inc.end = factual_.time_of(tr.last);
    inc.cause = "cause-" + std::to_string(f.index);
    inc.peak = tr.peak;
    RootCause& rc = inc.root_cause;
    if (!f.event_id.empty()) {
      rc.kind = "event";
      rc.event_id = f.event_id;
      const std::string& type = f.spec.type;
      rc.type = type == "node_failure"                                                   ? "node_not_ready"
                : (type == "bad_deploy" || type == "benign_deploy" || type == "release_wave") ? "deploy"
                                                                                              : "config_changed";
      rc.service = f.service >= 0 ? factual_.spec().services[f.service].name : std::string();
    } else if (auto it = first_oom_.find(f.index);
               f.spec.type == "memory_leak" && it != first_oom_.end() && it->second.second <= inc.start + 60 * kNanosPerSecond) {
      rc.kind = "event";
      rc.event_id = it->second.first;
      rc.type = "oom_killed";
      rc.service = factual_.spec().services[f.service].name;
    } else {
      rc.kind = "service";
      rc.service = f.service >= 0 ? factual_.spec().services[f.service].name : std::string();
      if (f.spec.type == "cpu_contention" && !f.affected.empty()) rc.service = factual_.spec().services[contended(f, service)].name;
      rc.type = f.spec.type;
    }
    tr.open = true;
    tr.incident = truth_.incidents.size();
    truth_.incidents.push_back(std::move(inc));
    cause_incidents_[f.index].push_back(truth_.incidents.back().id);
  }

  // The service a noisy neighbour's incident on `service` is down to: the
  // service itself when it has pods on the node, else the most crowded one
  // it depends on, else the most crowded one.
  int contended(const FaultOccurrence& f, int service) const {
    for (int s : f.affected) {
      if (s == service) return s;
    }
    for (int s : f.affected) {
      if (factual_.depends_on(service, s)) return s;
    }
    return f.affected.front();
  }

  void close_incident(SignalTrack& tr) {
    truth_.incidents[tr.incident].end = factual_.time_of(tr.last);
    tr.open = false;
    tr.run_start = -1;
  }

  void finish(Twin& twin) {
    if (twin.kind == Twin::Kind::scaling) {
      if (twin.truth >= truth_.scaling.size()) return;
      ScalingTruth& st = truth_.scaling[twin.truth];
      const int n = std::max(1, twin.samples);
      st.p95_after_s = twin.sum_factual / n;
      st.p95_counterfactual_s = twin.sum_twin / n;
      st.error_rate_after = twin.err_factual / n;
      st.error_rate_counterfactual = twin.err_twin / n;
      st.relief = st.p95_counterfactual_s > 0 ? 1 - st.p95_after_s / st.p95_counterfactual_s : 0;
      st.time_to_relief_s = twin.relief_at >= 0 ? twin.relief_at - twin.created : -1;
      const bool worse_errors = st.error_rate_after > st.error_rate_counterfactual + 0.01;
      // A change under 5 ms is no verdict, whatever its ratio.
      if (std::abs(st.p95_after_s - st.p95_counterfactual_s) < kMinLatencyChange) st.relief = 0;
      if (st.type == "scale_up") {
        st.verdict = worse_errors || st.relief <= -kRelief ? "harmful"
                     : st.relief >= kRelief                 ? "effective"
                                                            : "ineffective";
      } else {
        st.verdict = worse_errors || st.relief <= -kRelief ? "harmful" : "effective";
      }
      if (twin.samples == 0) st.verdict = "unknown";
    } else if (twin.kind == Twin::Kind::provisioning) {
      if (twin.truth < truth_.provisioning.size()) truth_.provisioning[twin.truth].requests_lost = std::max(0.0, twin.lost);
    } else {
      for (auto& per_service : twin.tracks) {
        for (auto& tr : per_service) {
          if (tr.open) close_incident(tr);
        }
      }
    }
  }

  void record_causes() {
    for (const auto& f : factual_.faults()) {
      if (!f.started) continue;
      CauseTruth c;
      c.id = "cause-" + std::to_string(f.index);
      c.type = f.spec.type;
      if (f.service >= 0) c.service = factual_.spec().services[f.service].name;
      if (is_node_fault(f.spec.type) && f.node >= 0) c.node = factual_.nodes()[f.node].name;
      for (int s : f.affected) c.services.push_back(factual_.spec().services[s].name);
      c.start = factual_.time_of(f.start_s);
      c.end = factual_.time_of(f.end_s);
      c.event_id = f.event_id;
      c.magnitude = f.spec.type == "network_delay" ? f.spec.delay_s : f.spec.magnitude;
      c.error_rate = f.spec.error_rate;
      c.incidents = cause_incidents_[f.index];
      truth_.causes.push_back(std::move(c));
    }
  }

  SimulationOptions options_;
  Cluster factual_;
  Telemetry telemetry_;
  Truth truth_;
  SecondOutput out_, scratch_;
  std::list<Twin> twins_;
  std::unordered_set<std::string> ids_;
  std::vector<std::vector<double>> p95_history_;
  std::map<int, std::size_t> request_truth_;
  std::map<int, std::pair<std::string, TimeNs>> first_oom_;
  std::map<int, std::vector<std::string>> cause_incidents_;
};

}  // namespace

Result<SimulationResult> run_simulation(const ScenarioSpec& scenario, const SimulationOptions& options,
                                        RecordSink& sink) {
  if (Status st = validate(scenario); !st) return st.error();
  if (!(options.duration_s >= 1)) return make_error("duration", "must be at least 1s");
  auto run = std::make_unique<Run>(scenario, options, sink);
  SimulationResult result = run->run();
  if (Status st = sink.close(); !st) return st.error();
  return result;
}

}  // namespace eventlens::simulate
