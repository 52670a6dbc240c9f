#include "correlate/rank.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>

#include "correlate/confidence.h"
#include "correlate/deviation.h"
#include "correlate/phrases.h"

namespace eventlens::correlate {

namespace {

struct Part {
  const char* name;
  double weight;
  double value;
  std::string sentence;
};

double weighted(const std::vector<Part>& parts) {
  double num = 0, den = 0;
  for (const Part& p : parts) {
    num += p.weight * p.value;
    den += p.weight;
  }
  return den > 0 ? num / den : 0;
}

std::vector<CauseReason> reasons_of(const std::vector<Part>& parts) {
  std::vector<CauseReason> out;
  for (const Part& p : parts) out.push_back({p.name, p.value, p.sentence});
  return out;
}

// What the ranking knows about one candidate service.
struct ServiceCandidate {
  std::string name;
  stream::StringId id = 0;
  int distance = -1;  // undirected hops from the incident's service, -1 unknown
  int below = -1;     // hops from the incident's service down its calls to it, -1 not a dependency
  int above = -1;     // hops from it down its calls to the incident's service, -1 not a caller
  ServiceDeviation deviation;
  // The signal whose onset is closest to the incident, how close (the onset
  // part), and the trouble of where its pods run that explains it, if any.
  const ServiceDeviation::SignalOnset* closest = nullptr;
  double onset_part = 0;
  bool unproductive = false;  // its signals are all of a kind that cannot make the symptom
  const ServiceDeviation::SignalOnset* pressure = nullptr;
  double score = 0;
  std::vector<Part> parts;
};

// How much of an event's score is the evidence of the service it touched
// (the rest is its own: timing, type, history).
constexpr double kServiceShare = 0.8;

// How deep down the call graph a service's dependencies are looked at.
constexpr int kDependencyDepth = 3;

// Failures of one kind on one service this close together are one episode.
constexpr TimeNs kEpisodeGap = 30 * 60 * stream::kSecond;
// A pod's eviction or kill this soon after its node failed is that failure's
// doing: Kubernetes evicts the pods of a NotReady node once their toleration
// of it (300 s by default) runs out, and their restarts come after.
constexpr TimeNs kNodeConsequence = 10 * 60 * stream::kSecond;
// A node's CPU moves for this long after pods of ours start on it (a
// deploy's, a scaling's): a rise then is theirs, not a neighbour's.
constexpr TimeNs kNodeChurn = 3 * 60 * stream::kSecond;
// Other events of one type on one service this close together are one burst
// (an autoscaler stepping up, a rollout's pods scheduled).
constexpr TimeNs kBurstGap = 5 * 60 * stream::kSecond;

// What a service with no path in the call graph to the incident's service
// keeps of its score: graphs learned from traces miss edges (a service not
// instrumented, a call not sampled), so it is discounted, not ruled out.
constexpr double kNoPath = 0.6;

// How many steps trouble takes to show in a caller, per call: a slow or
// failing dependency shows in its callers' next scrape or the one after.
constexpr int kPropagationSteps = 2;

// How the call graph lets a candidate reach the incident's service. Trouble
// travels up the calls (a slow or failing dependency slows and fails its
// callers) and load travels down them (a caller's surge loads its
// dependencies). A dependency of the incident's service scores by its
// depth; a caller when its load rose (it passed the surge on). When the
// incident's service saw only its traffic change, trouble anywhere near may
// have reached it up and then down (a caller that fails or retries because
// of one dependency sends another more or fewer requests): any connected
// service scores by its distance. Any other service (a sibling of a service
// that went wrong itself, a caller whose load stayed) the graph gives no way
// to. Where the pods run (a node's contention or failure) is judged apart,
// by the origin part.
bool has_path(const ServiceCandidate& c, bool traffic_symptom) {
  return c.below >= 0 || (c.above > 0 && c.deviation.load_up) || (traffic_symptom && c.distance >= 0);
}

double graph_part(const ServiceCandidate& c, bool graph_known, bool traffic_symptom) {
  if (c.below >= 0) return 1.0 / (1.0 + c.below);
  if (!graph_known) return 0.5;  // no graph to tell
  if (has_path(c, traffic_symptom)) return 1.0 / (1.0 + (c.above > 0 ? c.above : c.distance));
  return 0.1;
}

std::string graph_sentence(const ServiceCandidate& c, const std::string& incident, bool graph_known,
                           bool traffic_symptom) {
  const std::string& candidate = c.name;
  if (c.below == 0) return candidate + " is the service the incident is on";
  if (!graph_known) return "no service graph is known (no traces, no topology)";
  auto calls = [](int n) { return std::to_string(n) + (n == 1 ? " call" : " calls"); };
  if (c.below > 0) return incident + " depends on " + candidate + ", " + calls(c.below) + " down";
  if (c.above > 0) {
    return candidate + " calls " + incident + " (" + calls(c.above) + " up)" +
           (c.deviation.load_up ? std::string(", and its load rose: it passed traffic down")
                                : std::string(": trouble there does not travel down, and its load did not rise"));
  }
  if (c.distance > 0) {
    return candidate + " is " + calls(c.distance) + " away from " + incident +
           (traffic_symptom ? std::string(" through a common caller, whose traffic to ") + incident +
                                  " it may have changed"
                            : std::string(" but neither calls the other: its trouble has no path there"));
  }
  return candidate + " is not connected to " + incident + " in the service graph";
}

// What a signal says went wrong, as far as its callers feel it: slower
// answers or failed ones.
enum class Trouble { slow, failing, other };

Trouble trouble_of(std::string_view role) {
  const std::string_view metric = metric_role_of(role);
  if (role == "latency" || role == "call_latency" || metric == "latency") return Trouble::slow;
  if (role == "errors" || role == "call_errors" || metric == "errors") return Trouble::failing;
  return Trouble::other;
}

// Whether a dependency's signal of `role` can be what made its caller's
// `symptom` deviate. Slowness travels up as slowness, and as failures where
// callers time out; failures travel up as failures (a failed call returns
// early, it does not make the caller slower): a latency symptom is not the
// doing of a dependency that only failed.
bool can_produce(std::string_view role, Trouble symptom) {
  return !(symptom == Trouble::slow && trouble_of(role) == Trouble::failing);
}

}  // namespace

double event_type_prior(const std::string& type, Category category) {
  static const std::map<std::string, double, std::less<>> kPriors = {
      {"deploy", 0.9},           {"config_changed", 0.9}, {"oom_killed", 0.85},   {"crash", 0.8},
      {"node_not_ready", 0.8},   {"node_removed", 0.7},   {"evicted", 0.6},       {"probe_failed", 0.6},
      {"timeout", 0.5},          {"allocation_failed", 0.5}, {"scale_down", 0.5}, {"rollback", 0.4},
      {"resource_requested", 0.3}, {"node_added", 0.2},   {"pod_scheduled", 0.2}, {"pod_created", 0.2},
      {"scale_up", 0.2},         {"node_ready", 0.1},
  };
  if (auto it = kPriors.find(type); it != kPriors.end()) return it->second;
  switch (category) {
    case Category::change: return 0.8;
    case Category::failure: return 0.7;
    default: return 0.3;
  }
}

std::vector<Cause> rank_causes(const RankInput& in, const std::string& incident_service, TimeNs start,
                               std::string_view symptom_role, std::size_t max_causes) {
  const stream::Shard& shard = in.shard;
  const Config& config = in.config;
  const RankingWeights& w = config.weights;
  const TimeNs step = shard.config().step;
  const TimeNs from = start - config.cause_lookback;
  const TimeNs to = start + ranking_slack(step);
  const TimeNs tau = std::max<TimeNs>(2 * 60 * stream::kSecond, 2 * step);
  // How far apart two deviations (or an event and a deviation) may begin
  // and still be one trouble: a third of the lookback.
  const TimeNs related = config.cause_lookback / 3;
  const bool graph_known = !in.graph.empty();
  const Trouble symptom = trouble_of(symptom_role);
  const auto near = in.graph.neighbourhood(incident_service, 6);

  // ---- services ----
  std::map<std::string, ServiceCandidate> services;
  TimeNs earliest = 0;
  bool any = false;
  for (stream::StringId id : shard.services()) {
    if (id == 0) continue;
    ServiceCandidate c;
    c.name = shard.strings().name(id);
    c.id = id;
    if (auto it = near.find(c.name); it != near.end()) c.distance = it->second;
    c.below = in.graph.distance_down(incident_service, c.name);
    c.above = in.graph.distance_down(c.name, incident_service);
    c.deviation = service_deviation(shard, config, id, from, to);
    if (c.deviation.deviated && (!any || c.deviation.onset < earliest)) {
      earliest = c.deviation.onset;
      any = true;
    }
    services.emplace(c.name, std::move(c));
  }
  // The incident's service first saw its traffic change (more or fewer
  // requests), before any latency, errors or saturation of its own.
  bool traffic_symptom = false;
  if (auto it = services.find(incident_service); it != services.end() && it->second.deviation.deviated) {
    const ServiceDeviation::SignalOnset* first = nullptr;
    for (const auto& so : it->second.deviation.signals) {
      if (first == nullptr || so.onset < first->onset || (so.onset == first->onset && (so.load || so.drop))) first = &so;
    }
    traffic_symptom = first != nullptr && (first->load || first->drop);
  }
  for (auto& entry : services) {
    ServiceCandidate& c = entry.second;  // a plain reference: lambdas below capture it (clang 14)
    if (!c.deviation.deviated) continue;
    const ServiceDeviation& d = c.deviation;
    // A cause shows shortly before its symptom; a deviation long before the
    // incident (or long after it began) is likely unrelated. The signal whose
    // onset is closest to the incident speaks for the service.
    const ServiceDeviation::SignalOnset*& closest = c.closest;
    double& onset = c.onset_part;
    const double lead_scale = static_cast<double>(std::max<TimeNs>(tau, related));
    // Another service speaks through the signals that can have produced the
    // symptom; only when it has none does the nearest of the others, at half
    // its worth.
    bool produces = false;
    for (const auto& so : d.signals) produces = produces || c.name == incident_service || can_produce(so.role, symptom);
    for (const auto& so : d.signals) {
      if (produces && c.name != incident_service && !can_produce(so.role, symptom)) continue;
      // A deviation after the incident began is a weaker sign than one before.
      const double p = so.onset <= start ? std::exp(-static_cast<double>(start - so.onset) / lead_scale)
                                         : std::exp(-3 * static_cast<double>(so.onset - start) / lead_scale);
      if (closest == nullptr || p > onset) {
        onset = p;
        closest = &so;
      }
    }
    if (!produces) {
      onset *= 0.5;
      c.unproductive = true;
    }
    // Where its pods run went wrong with it (its nodes' CPU rose before its
    // deviation, or within a step) while no more requests came: contention
    // from a neighbour slows a service where it runs, whatever its
    // dependencies (on the same node, they slow too) do. A node's CPU that
    // rose because a service of ours there used more (its own CPU rose with
    // it: a hog, a surge) or changed (a deploy's or a scaling's pods
    // starting) is that service's doing, not a neighbour's.
    auto explained_by_ours = [&](const ServiceDeviation::SignalOnset& p) {
      for (stream::StringId place : shard.places_of(c.id)) {
        for (stream::StringId other : shard.services_at(place)) {
          auto it = services.find(shard.strings().name(other));
          if (it == services.end()) continue;
          for (const auto& so : it->second.deviation.signals) {
            if (so.role == "cpu" && so.onset >= p.onset - 2 * step && so.onset <= p.onset + step) return true;
          }
          if (shard.latest_event(other, p.onset - kNodeChurn, p.onset + step, {Category::change, Category::scaling})) {
            return true;
          }
        }
      }
      return false;
    };
    if (!d.load_up) {
      for (const auto& p : d.place_signals) {
        if (p.onset >= closest->onset - related && p.onset <= closest->onset + step && !explained_by_ours(p)) {
          c.pressure = &p;
          break;
        }
      }
    }
  }
  for (auto& [name, c] : services) {
    if (!c.deviation.deviated) continue;
    const ServiceDeviation& d = c.deviation;
    const ServiceDeviation::SignalOnset* closest = c.closest;
    const double onset = c.onset_part;
    const double strength = 1 - std::exp(-d.strength_z / 10);
    // Is it the origin? Trouble travels up the call graph and load travels
    // down it: a service whose callee went wrong first is more likely a
    // victim, unless that callee only suffered the load this service passed
    // on; a service whose load rose with its callers' is not where a surge
    // of traffic entered.
    bool load_victim = false;
    std::string load_from;
    if (d.load_up) {
      for (const std::string& caller : in.graph.callers(name)) {
        auto it = services.find(caller);
        if (it == services.end()) continue;
        const ServiceDeviation& cd = it->second.deviation;
        if (cd.load_up && cd.load_onset <= d.load_onset + step) {
          load_victim = true;
          load_from = caller;
          break;
        }
      }
    }
    // A dependency that went wrong shortly before (or within a step of)
    // this service's deviation explains it; one that went wrong long before,
    // in another episode, does not. Within a step counts as together: which
    // of two steps shows a change first is partly chance.
    // Dependencies of dependencies count too: a slow database shows in its
    // callers' callers, sometimes before it shows in its direct callers.
    // The newest trigger explains a deviation: when the service itself
    // changed (a deploy, a config change) after a dependency's trouble began
    // and its own deviation followed the change rather than that trouble
    // (trouble shows in callers within a step or two), the change is what it
    // answers to, and the older trouble of its dependencies does not make it
    // a victim. Among overlapping faults, an ongoing one (a leak, a slow
    // dependency) would otherwise claim every fresh fault of its callers.
    const stream::EventEntry* change =
        shard.latest_event(c.id, closest->onset - related, closest->onset + step, {Category::change});
    const TimeNs own_change = change != nullptr ? change->time : stream::kNoTime;
    std::size_t clear = 0, known = 0, older = 0;  // older: troubled before its own change only
    for (const auto& [other, hops] : in.graph.neighbourhood(name, kDependencyDepth)) {
      if (hops == 0 || in.graph.distance_down(name, other) < 1) continue;
      auto it = services.find(other);
      if (it == services.end()) continue;
      ++known;
      const ServiceDeviation& cd = it->second.deviation;
      const bool passed_on_load = d.load_up && cd.load_up;
      const int down = in.graph.distance_down(name, other);
      TimeNs since = closest->onset - related * down;
      if (own_change != stream::kNoTime) {
        since = std::max(since, std::min(own_change - step, closest->onset - kPropagationSteps * down * step));
      }
      if (!cd.trouble_between(since, closest->onset + step) || passed_on_load) {
        ++clear;
        older += !passed_on_load && cd.trouble_between(closest->onset - related * down, closest->onset + step);
      }
    }
    // Less traffic is not a fault of its own when a caller went wrong first:
    // the caller stopped sending.
    bool only_drops = true;
    bool traffic_fell = false;
    for (const auto& so : d.signals) only_drops = only_drops && (so.drop || so.load);
    if (only_drops && !load_victim) {
      for (const std::string& caller : in.graph.callers(name)) {
        auto it = services.find(caller);
        if (it != services.end() && it->second.deviation.health_between(closest->onset - related, closest->onset + step)) {
          load_victim = true;
          load_from = caller;
          traffic_fell = true;
          break;
        }
      }
    }
    // Contention on a node the incident's own service shares with this one
    // slowed both: for that incident its own node explains it, and this
    // service is a fellow victim, not its cause.
    const ServiceDeviation::SignalOnset* pressure = c.pressure;
    std::string shared_place;
    if (pressure != nullptr && name != incident_service) {
      if (auto inc = services.find(incident_service); inc != services.end() && inc->second.pressure != nullptr) {
        const auto theirs = shard.places_of(inc->second.id);
        // places_of comes in hash order, which differs from run to run: the
        // first shared place by name, so that the sentence does not.
        for (stream::StringId place : shard.places_of(c.id)) {
          if (std::find(theirs.begin(), theirs.end(), place) == theirs.end()) continue;
          const std::string& where = shard.strings().name(place);
          if (shared_place.empty() || where < shared_place) shared_place = where;
        }
      }
    }
    // One dependency that went wrong first is enough to make it a likely victim.
    const double origin =
        !shared_place.empty() || (pressure == nullptr && (load_victim || clear < known)) ? 0.1 : 1.0;
    std::string origin_sentence;
    if (!shared_place.empty()) {
      origin_sentence = "it runs on " + shared_place + " with " + incident_service +
                        ", whose CPU contention slowed both: " + incident_service + "'s own node explains it";
    } else if (pressure != nullptr) {
      origin_sentence = "the " + pressure->role + " of the nodes its pods run on (" + pressure->metric + ") rose " +
                        fixed(pressure->ratio, 1) + "x from " + clock_time(pressure->onset) +
                        " while its load did not: contention where it runs";
    } else if (load_victim && traffic_fell) {
      origin_sentence = "its only deviation is less traffic, after its caller " + load_from + " went wrong";
    } else if (load_victim) {
      origin_sentence = "its load rose with that of its caller " + load_from + ": the traffic came from upstream";
    } else if (known == 0) {
      origin_sentence = name + " has no dependencies with telemetry" +
                        (d.load_up ? std::string("; its load rose first, where traffic enters") : std::string());
    } else {
      origin_sentence = std::to_string(clear) + " of its " + std::to_string(known) +
                        " dependencies stayed normal (or only carried its load) until it deviated";
      if (older > 0) {
        origin_sentence += "; " + std::to_string(older) + (older == 1 ? " was" : " were") +
                           " in trouble before its own change at " + clock_time(own_change) +
                           ", which its deviation followed";
      }
    }
    if (d.load_up && !load_victim) origin_sentence += "; its load rose from " + clock_time(d.load_onset);
    c.parts.push_back({"onset", w.onset, onset,
                       "its " + closest->role + " (" + closest->metric +
                           (signal_source(closest->role).empty() ? std::string()
                                                                 : ", " + std::string(signal_source(closest->role))) +
                           ") began to deviate at " +
                           clock_time(closest->onset) +
                           (closest->onset <= start
                                ? ", " + human_duration(start - closest->onset) + " before the incident"
                                : ", " + human_duration(closest->onset - start) + " after the incident began") +
                           (d.onset == earliest ? "; it was the first of all services to deviate" : "") +
                           (c.unproductive ? "; it only failed requests, which makes callers fail, not slow down"
                                           : "")});
    c.parts.push_back({"strength", w.strength, strength,
                       "its strongest deviation reached " + fixed(d.ratio, 1) + "x its baseline (robust z = " +
                           fixed(d.strength_z, 1) + ")"});
    c.parts.push_back({"origin", w.origin, origin, origin_sentence});
    c.parts.push_back({"graph_distance", w.graph_distance, graph_part(c, graph_known, traffic_symptom),
                       graph_sentence(c, incident_service, graph_known, traffic_symptom)});
    c.score = weighted(c.parts);
    // A service the call graph gives no path to the incident's service (not
    // a dependency; a caller whose load did not rise) and that does not share
    // its node explains it only by a link the graph has not seen.
    if (graph_known && !has_path(c, traffic_symptom) && shared_place.empty()) c.score *= kNoPath;
  }

  std::vector<Cause> causes;
  for (const auto& [name, c] : services) {
    if (!c.deviation.deviated) continue;
    Cause cause;
    cause.kind = "service";
    cause.service = name;
    cause.time = c.deviation.onset;
    // A service stands for a deviation no event explains: neutral event
    // parts (0.5), so an event that explains it with better-than-neutral
    // parts ranks above it.
    cause.score = kServiceShare * c.score + (1 - kServiceShare) * 0.5;
    cause.reasons = reasons_of(c.parts);
    causes.push_back(std::move(cause));
  }

  // ---- events ----
  // Nodes that failed (a node_not_ready, a node lost): the pods they held are
  // evicted or killed in the minutes after, on services that then go wrong.
  // Those events are the node failure's consequences, not causes of their own.
  std::vector<const stream::EventEntry*> node_failures;
  for (stream::StringId sid : shard.services()) {
    const stream::ServiceContext* ctx = shard.context(sid);
    if (ctx == nullptr || !shard.strings().name(sid).empty()) continue;
    for (std::size_t i = 0; i < ctx->events.size(); ++i) {
      const stream::EventEntry& e = ctx->events[i];
      if (e.category == Category::failure && !e.node.empty() && e.time >= from - kNodeConsequence && e.time <= to) {
        node_failures.push_back(&e);
      }
    }
  }
  auto failed_node_before = [&](const stream::EventEntry& e) -> const stream::EventEntry* {
    if (e.node.empty()) return nullptr;
    for (const stream::EventEntry* f : node_failures) {
      if (f->node == e.node && f->time <= e.time + step && e.time - f->time <= kNodeConsequence) return f;
    }
    return nullptr;
  };
  for (stream::StringId sid : shard.services()) {
    const stream::ServiceContext* ctx = shard.context(sid);
    if (ctx == nullptr) continue;
    const std::string& event_service = shard.strings().name(sid);
    for (std::size_t i = 0; i < ctx->events.size(); ++i) {
      const stream::EventEntry& e = ctx->events[i];
      // A failure episode still under way counts even when it began before
      // the lookback.
      const TimeNs earliest_event = e.category == Category::failure ? std::min(from, start - kEpisodeGap) : from;
      if (e.time < earliest_event || e.time > to) continue;
      // Failures recur (a leak kills its pod again and again): one candidate
      // per episode, named by its first event, timed by its latest.
      const stream::EventEntry* first = &e;
      std::size_t episode_size = 1;
      std::vector<TimeNs> episode_times{e.time};
      {
        const TimeNs gap = e.category == Category::failure ? kEpisodeGap : kBurstGap;
        bool later_in_window = false;
        // The episode is represented at its latest event in the window.
        for (std::size_t j = i + 1; j < ctx->events.size(); ++j) {
          const stream::EventEntry& x = ctx->events[j];
          if (x.type != e.type) continue;
          later_in_window = x.time <= to && x.time - e.time <= gap;
          break;
        }
        if (later_in_window) continue;
        for (std::size_t j = i; j-- > 0;) {
          const stream::EventEntry& x = ctx->events[j];
          if (x.type != e.type) continue;
          if (first->time - x.time > gap) break;
          first = &x;
          ++episode_size;
          episode_times.push_back(x.time);
        }
      }
      // The service the event acted on; a node event acts on the services
      // whose pods the node held (their evictions name the node).
      const ServiceCandidate* target = nullptr;
      if (!event_service.empty()) {
        if (auto it = services.find(event_service); it != services.end()) target = &it->second;
      } else if (!e.node.empty()) {
        for (stream::StringId other : shard.services()) {
          const stream::ServiceContext* octx = shard.context(other);
          if (other == 0 || octx == nullptr) continue;
          for (std::size_t j = 0; j < octx->events.size(); ++j) {
            const stream::EventEntry& oe = octx->events[j];
            if (oe.node != e.node || oe.time < e.time || oe.time > e.time + kNodeConsequence) continue;
            auto it = services.find(shard.strings().name(other));
            if (it != services.end() && (target == nullptr || it->second.score > target->score)) target = &it->second;
          }
        }
      }
      const bool deviated = target != nullptr && target->deviation.deviated;
      std::vector<Part> parts;
      // How closely the event preceded its service's deviation (or the
      // incident, when its service did not deviate). An event after the
      // deviation began is more likely a reaction than the cause.
      // Failures (a kill, a node lost) are themselves the proximate cause of
      // the symptom, so they are timed against the incident; other events
      // against their service's deviation.
      const bool failure = e.category == Category::failure;
      // The deviation it would explain is the first to begin at or after it
      // (within a step); with none, the earliest, and the event came late.
      // Only events that typically cause trouble may explain a later
      // deviation; reactions (scaling, scheduling) are judged against the
      // service's first one.
      TimeNs anchor = start;
      const double type_prior = event_type_prior(e.type, e.category);
      if (deviated && !failure && type_prior < 0.5) {
        anchor = target->deviation.onset;
      } else if (deviated && !failure) {
        anchor = target->deviation.onset;
        bool found = false;
        for (const auto& so : target->deviation.signals) {
          // Capacity moves latency, errors, traffic and CPU; a pod's memory
          // (a leak, a cache) is not what a scaling changes.
          if (e.category == Category::scaling && so.role == "memory") continue;
          if (so.onset >= e.time - step && (!found || so.onset < anchor)) {
            anchor = so.onset;
            found = true;
          }
        }
      }
      double proximity;
      std::string when;
      // The episode's latest event before the anchor, if any, times it.
      TimeNs at = e.time;
      for (TimeNs t : episode_times) {
        if (t <= anchor + step) {
          at = t;
          break;
        }
      }
      if (at <= anchor + step) {
        // A failure's effects last (a killed pod restarts cold, a leak goes
        // on), so failures fade over the episode gap, other events over a
        // third of the lookback.
        const TimeNs fade = failure ? kEpisodeGap / 2 : related;
        proximity = std::exp(-static_cast<double>(std::max<TimeNs>(0, anchor - at)) / static_cast<double>(fade));
        when = human_duration(std::max<TimeNs>(0, anchor - at)) + " before " +
               (deviated ? target->name + " began to deviate" : "the incident");
      } else {
        proximity = 0.3 * std::exp(-static_cast<double>(at - anchor) / static_cast<double>(tau));
        when = human_duration(at - anchor) + " after " +
               (deviated && !failure ? target->name + " began to deviate (likely a reaction)" : "the incident began");
      }
      const auto [history, history_sentence] =
          in.history ? in.history(event_service, e.type) : std::pair<double, std::string>{0.5, "no history"};
      parts.push_back({"time_proximity", w.time_proximity, proximity,
                       e.type + " at " + clock_time(at) + ", " + when +
                           (episode_size > 1 ? "; the latest of " + std::to_string(episode_size) + " " + e.type +
                                                   " since " + clock_time(first->time)
                                             : "")});
      parts.push_back({"event_type", w.event_type, type_prior,
                       e.type + " events cause trouble with prior " + fixed(type_prior, 2)});
      parts.push_back({"history", w.history, history, history_sentence});
      // What the event's own enrichment found: a scale-down judged harmless
      // or a deploy that changed nothing is an unlikely cause.
      const std::string verdict = in.verdict ? in.verdict(first->id) : std::string();
      bool harm = false;
      if (!verdict.empty()) {
        harm = verdict == "harmful" || verdict == "regression" || verdict == "memory_exhaustion" ||
               verdict == "cpu_saturation" || verdict == "dependency_failure" || verdict == "unfulfilled";
        const bool harmless = verdict == "effective" || verdict == "ineffective" || verdict == "no_change" ||
                              verdict == "improvement";
        parts.push_back({"verdict", w.history, harm ? 1.0 : harmless ? 0.1 : 0.5,
                         "its own verdict: " + verdict});
      }
      const double own = weighted(parts);
      // An event inherits the evidence of the service it touched: its score
      // is that service's score plus a bonus for being a plausible trigger,
      // so a deploy that explains a service's deviation ranks above the
      // service itself, and an event on a healthy service ranks low.
      const double service_score =
          deviated ? target->score : 0.3 * (target != nullptr ? graph_part(*target, graph_known, traffic_symptom) : graph_known ? 0.1 : 0.5);
      Part inherited{"service_deviation", 0, service_score,
                     deviated ? target->name + " deviated (its own score " + fixed(target->score, 2) + ")"
                              : (event_service.empty() ? std::string("the event names no deviating service")
                                                       : event_service + " did not deviate")};
      Cause cause;
      cause.kind = "event";
      cause.service = event_service;
      cause.event_id = first->id;
      cause.type = e.type;
      cause.time = first->time;
      // An event before its service's deviation explains it and ranks above
      // the service; one after it is more likely a reaction and ranks below.
      const bool explains = deviated && first->time <= anchor + step;
      if (explains) {
        // An event of a kind that rarely causes trouble (a scale-up, a pod
        // scheduled, a node added or ready: capacity and reactions, prior
        // below 0.5) is worth no more than its kind's prior unless its own
        // verdict found harm: close in time to a deviation, it would
        // otherwise outrank the service whose trouble it only came near.
        const double counted = type_prior < 0.5 && !harm ? std::min(own, type_prior) : own;
        cause.score = kServiceShare * service_score + (1 - kServiceShare) * counted;
      } else if (deviated) {
        cause.score = kServiceShare * service_score * 0.5 * own;
      } else {
        cause.score = kServiceShare * service_score * own;
      }
      std::vector<Part> all{inherited};
      all.insert(all.end(), parts.begin(), parts.end());
      // A pod evicted or killed on a node that had just failed: the node's
      // failure is the cause, this its consequence.
      if (const stream::EventEntry* node = event_service.empty() ? nullptr : failed_node_before(*first)) {
        cause.score *= 0.5;
        all.push_back({"consequence_of", 0, 0,
                       "it followed " + node->type + " of " + node->node + " at " + clock_time(node->time) +
                           ", the node its pod ran on: a consequence of that failure"});
      }
      if (target != nullptr) {
        all.push_back({"graph_distance", 0, graph_part(*target, graph_known, traffic_symptom),
                       graph_sentence(*target, incident_service, graph_known, traffic_symptom)});
      }
      cause.reasons = reasons_of(all);
      causes.push_back(std::move(cause));
    }
  }

  std::sort(causes.begin(), causes.end(), [](const Cause& a, const Cause& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.time != b.time) return a.time < b.time;
    if (a.kind != b.kind) return a.kind < b.kind;
    return a.service + a.event_id < b.service + b.event_id;
  });
  // The first causes name different roots: the best cause of each root (a
  // service, whether named by itself or by an event on it; a service-less
  // event by itself), in score order, then the rest in score order. A deploy,
  // the pod_scheduled of its rollout and the service itself are one answer
  // told three ways; an operator reading the first three should see three
  // answers.
  std::vector<Cause> firsts, seconds;
  std::vector<std::string> roots;
  for (Cause& c : causes) {
    std::string root = root_of(c);
    if (std::find(roots.begin(), roots.end(), root) == roots.end()) {
      roots.push_back(std::move(root));
      firsts.push_back(std::move(c));
    } else {
      seconds.push_back(std::move(c));
    }
  }
  causes = std::move(firsts);
  causes.insert(causes.end(), std::make_move_iterator(seconds.begin()), std::make_move_iterator(seconds.end()));
  if (causes.size() > max_causes) causes.resize(max_causes);
  for (std::size_t i = 0; i < causes.size(); ++i) causes[i].rank = static_cast<int>(i + 1);
  return causes;
}

}  // namespace eventlens::correlate
