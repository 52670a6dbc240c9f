#include "evaluate/score.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <unordered_map>

namespace eventlens::evaluate {
namespace {

using simulate::IncidentTruth;
using simulate::RootCause;
using simulate::Truth;

const EngineVerdict* final_verdict(const EngineResults& results, const std::string& event_id) {
  const auto it = results.final_verdicts.find(event_id);
  return it == results.final_verdicts.end() ? nullptr : &it->second;
}

void score_scaling(const Truth& truth, const EngineResults& results, Evaluation& ev) {
  for (const auto& s : truth.scaling) {
    // "unknown": the truth itself could not judge it, so neither answer is wrong.
    if (s.verdict != "effective" && s.verdict != "ineffective" && s.verdict != "harmful") continue;
    ++ev.scaling.n;
    const EngineVerdict* engine = final_verdict(results, s.event_id);
    if (engine != nullptr && engine->value == s.verdict) ++ev.scaling.hits;
    else ev.scaling_misses.push_back({&s, engine});
  }
}

void score_oom(const Truth& truth, const EngineResults& results, Evaluation& ev) {
  for (const auto& o : truth.oom_kills) {
    ++ev.oom.n;
    const EngineVerdict* engine = final_verdict(results, o.event_id);
    if (engine != nullptr && engine->value == o.attribution) ++ev.oom.hits;
    else ev.oom_misses.push_back({&o, engine});
  }
}

// Returns the median; the mean of the middle two for an even count.
std::optional<double> median(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

void score_provisioning(const Truth& truth, const EngineResults& results, Evaluation& ev) {
  std::vector<double> errors;
  for (const auto& p : truth.provisioning) {
    if (!(p.delay_s > 0)) continue;
    const EngineVerdict* engine = final_verdict(results, p.request_event_id);
    const std::optional<double> delay = engine != nullptr ? engine->delay_s : std::nullopt;
    // An engine that says nothing is as wrong as one that says "no delay".
    const double rel_error = delay ? std::abs(*delay - p.delay_s) / p.delay_s : 1.0;
    ev.provisioning.push_back({&p, engine, rel_error});
    errors.push_back(rel_error);
  }
  ev.provisioning_p50 = median(std::move(errors));
}

Interval widened_window(const IncidentTruth& i, TimeNs run_end) {
  return {i.start - kIncidentSlack, (i.end != 0 ? i.end : run_end) + kIncidentSlack};
}

Interval engine_interval(const EngineIncident& e, TimeNs run_end) {
  return {e.start, e.end.value_or(std::max(e.start, run_end))};
}

// Returns the engine incident a truth incident is judged by. First choice:
// those that began inside its widened window (an incident the fault opened),
// the earliest on its own service, else the earliest on any service (the
// engine may have seen the fault where it began rather than where the truth
// saw it). Only when none began there: those already open that overlap the
// window, the latest to begin (same service first). nullptr when none.
const EngineIncident* matching_incident(const IncidentTruth& truth, const std::vector<EngineIncident>& incidents,
                                        TimeNs run_end) {
  const Interval window = widened_window(truth, run_end);
  const EngineIncident* began_same = nullptr;
  const EngineIncident* began_any = nullptr;
  const EngineIncident* open_same = nullptr;
  const EngineIncident* open_any = nullptr;
  for (const auto& e : incidents) {
    if (!window.intersects(engine_interval(e, run_end))) continue;
    const bool same = e.service == truth.service;
    if (window.intersects({e.start, e.start})) {
      if (same && (began_same == nullptr || e.start < began_same->start)) began_same = &e;
      if (began_any == nullptr || e.start < began_any->start) began_any = &e;
    } else {
      if (same && (open_same == nullptr || e.start > open_same->start)) open_same = &e;
      if (open_any == nullptr || e.start > open_any->start) open_any = &e;
    }
  }
  if (began_same != nullptr) return began_same;
  if (began_any != nullptr) return began_any;
  return open_same != nullptr ? open_same : open_any;
}

// Returns true when one of the first k causes names the root cause: the same
// event for an event, the same service (from a cause of either kind) for a
// service.
bool root_cause_in_top(const RootCause& root, const std::vector<EngineCause>& causes, std::size_t k) {
  for (std::size_t i = 0; i < std::min(k, causes.size()); ++i) {
    const EngineCause& c = causes[i];
    if (root.kind == "event" ? c.event_id == root.event_id : c.service == root.service) return true;
  }
  return false;
}

bool same_symptom(const IncidentTruth& a, const IncidentTruth& b) {
  return a.service == b.service && a.signal == b.signal &&
         (a.start > b.start ? a.start - b.start : b.start - a.start) <= kSharedSymptom;
}

// Whether a first cause naming `named` (the root of one truth incident)
// would be a hit for `root`: the same event; for a service root, the same
// service, whether the cause names the service or an event on it.
bool naming_hits(const RootCause& named, const RootCause& root) {
  if (root.kind == "event") return named.kind == "event" && named.event_id == root.event_id;
  return !root.service.empty() && named.service == root.service;
}

// The truth incidents grouped into symptoms (same_symptom, transitively);
// each group's indices in order.
std::vector<std::vector<std::size_t>> symptoms_of(const std::vector<IncidentTruth>& incidents) {
  std::vector<std::vector<std::size_t>> groups;
  std::vector<bool> grouped(incidents.size(), false);
  for (std::size_t i = 0; i < incidents.size(); ++i) {
    if (grouped[i]) continue;
    grouped[i] = true;
    std::vector<std::size_t> group{i};
    for (std::size_t k = 0; k < group.size(); ++k) {
      for (std::size_t j = i + 1; j < incidents.size(); ++j) {
        if (!grouped[j] && same_symptom(incidents[group[k]], incidents[j])) {
          grouped[j] = true;
          group.push_back(j);
        }
      }
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

// `matched`: each truth incident's matching engine incident (or nullptr), by index.
void score_shared_symptoms(const Truth& truth, const std::vector<const EngineIncident*>& matched, Evaluation& ev) {
  for (const auto& group : symptoms_of(truth.incidents)) {
    std::size_t most = 0;
    for (std::size_t i : group) {
      const IncidentTruth& t = truth.incidents[i];
      std::size_t same = 0;
      bool shared = false, any_hit = false;
      const EngineIncident* m = matched[i];
      for (std::size_t j : group) {
        const IncidentTruth& u = truth.incidents[j];
        same += naming_hits(t.root_cause, u.root_cause);
        shared = shared || u.cause != t.cause;
        any_hit = any_hit || (m != nullptr && root_cause_in_top(u.root_cause, m->causes, 1));
      }
      most = std::max(most, same);
      ev.shared_symptoms += shared;
      ++ev.rca_top1_any_cause.n;
      ev.rca_top1_any_cause.hits += any_hit;
    }
    ev.rca_top1_bound.n += group.size();
    ev.rca_top1_bound.hits += most;
  }
}

void score_incidents(const Truth& truth, const EngineResults& results, Evaluation& ev) {
  std::vector<const EngineIncident*> matches;
  matches.reserve(truth.incidents.size());
  for (const auto& t : truth.incidents) matches.push_back(matching_incident(t, results.incidents, truth.end));
  score_shared_symptoms(truth, matches, ev);
  for (std::size_t i = 0; i < truth.incidents.size(); ++i) {
    const IncidentTruth& t = truth.incidents[i];
    const EngineIncident* matched = matches[i];
    ++ev.rca_top1.n;
    ++ev.rca_top3.n;
    const bool top1 = matched != nullptr && root_cause_in_top(t.root_cause, matched->causes, 1);
    const bool top3 = matched != nullptr && root_cause_in_top(t.root_cause, matched->causes, 3);
    ev.rca_top1.hits += top1;
    ev.rca_top3.hits += top3;
    if (matched != nullptr && matched->confident) {
      Fraction& f = *matched->confident ? ev.rca_top1_confident : ev.rca_top1_unconfident;
      ++f.n;
      f.hits += top1;
    }
    if (!top1) ev.rca_misses.push_back({&t, matched, top3});
  }
  ev.engine_incidents = results.incidents.size();
  for (const auto& e : results.incidents) {
    const Interval span = engine_interval(e, truth.end);
    const bool near_truth = std::any_of(truth.incidents.begin(), truth.incidents.end(), [&](const IncidentTruth& t) {
      return widened_window(t, truth.end).intersects(span);
    });
    if (!near_truth) ev.false_incidents.push_back(&e);
  }
  if (ev.hours > 0) ev.false_incidents_per_hour = static_cast<double>(ev.false_incidents.size()) / ev.hours;
}

// The truth cause (one occurrence of a fault: truth.json's "cause-N") an
// engine incident is about: of the truth incidents in whose widened window
// it began (one that began before and lasted is not about what came
// meanwhile), one on the same service, then the one whose start is nearest
// to the engine incident's. Empty when it began in none.
std::string attributed_cause(const EngineIncident& e, const Truth& truth) {
  const IncidentTruth* best = nullptr;
  auto distance = [&](const IncidentTruth& t) { return t.start > e.start ? t.start - e.start : e.start - t.start; };
  for (const IncidentTruth& t : truth.incidents) {
    if (!widened_window(t, truth.end).intersects({e.start, e.start})) continue;
    if (best == nullptr) {
      best = &t;
      continue;
    }
    const bool same = t.service == e.service, best_same = best->service == e.service;
    if (same != best_same ? same : distance(t) < distance(*best)) best = &t;
  }
  if (best == nullptr) return {};
  if (!best->cause.empty()) return best->cause;
  const RootCause& r = best->root_cause;
  return r.kind == "event" ? "event " + r.event_id : "service " + r.service;
}

void score_problems(const Truth& truth, const EngineResults& results, Evaluation& ev) {
  if (!results.has_problems) return;
  ev.problems_scored = true;
  ev.problems = results.problems.size();
  std::unordered_map<std::string, std::string> cause_of;  // incident id -> truth cause
  for (const EngineIncident& e : results.incidents) {
    std::string cause = attributed_cause(e, truth);
    if (!cause.empty()) cause_of.emplace(e.id, std::move(cause));
  }
  std::map<std::string, std::set<std::string>> problems_of;  // truth cause -> problem ids
  for (const EngineProblem& p : results.problems) {
    std::set<std::string> causes;
    for (const std::string& id : p.incident_ids) {
      const auto it = cause_of.find(id);
      if (it == cause_of.end()) continue;
      causes.insert(it->second);
      problems_of[it->second].insert(p.id);
    }
    if (causes.empty()) continue;
    ++ev.problems_attributed;
    if (causes.size() == 1) ++ev.problems_pure;
  }
  ev.problem_causes = problems_of.size();
  for (const auto& [cause, ids] : problems_of) ev.problems_over_causes += ids.size();
}

}  // namespace

Evaluation evaluate(const Truth& truth, const EngineResults& results) {
  Evaluation ev;
  ev.hours = static_cast<double>(truth.end - truth.start) / (3600.0 * kNanosPerSecond);
  score_scaling(truth, results, ev);
  score_oom(truth, results, ev);
  score_provisioning(truth, results, ev);
  score_incidents(truth, results, ev);
  score_problems(truth, results, ev);
  return ev;
}

}  // namespace eventlens::evaluate
