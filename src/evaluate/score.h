// Scores replay's conclusions against the simulator's truth: verdicts on
// scaling, OOM kills and provisioning delays, and the root causes of
// incidents (definitions: docs/evaluate.md). Pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "evaluate/inputs.h"
#include "model/time.h"
#include "simulate/truth.h"

namespace eventlens::evaluate {

// How far around a truth incident an engine incident may lie and still be
// about it: detectors need some seconds of evidence to open an incident and
// some quiet ones to close it.
constexpr TimeNs kIncidentSlack = 120 * kNanosPerSecond;
// Truth incidents of one service and signal whose starts lie this close are
// one symptom (the twins see a deviation's start to the second).
constexpr TimeNs kSharedSymptom = 60 * kNanosPerSecond;


// hits of n; null when there was nothing to score.
struct Fraction {
  std::size_t hits = 0;
  std::size_t n = 0;
  std::optional<double> value() const {
    if (n == 0) return std::nullopt;
    return static_cast<double>(hits) / static_cast<double>(n);
  }
};

// An interval of event time, both ends included.
struct Interval {
  TimeNs from = 0;
  TimeNs to = 0;
  bool intersects(const Interval& other) const { return from <= other.to && other.from <= to; }
};

struct ScalingMiss {
  const simulate::ScalingTruth* truth;
  const EngineVerdict* engine;  // nullptr: no final record
};

struct OomMiss {
  const simulate::OomTruth* truth;
  const EngineVerdict* engine;  // nullptr: no final record
};

struct ProvisioningError {
  const simulate::ProvisioningTruth* truth;
  const EngineVerdict* engine;  // nullptr: no final record
  double rel_error;
};

struct RcaMiss {
  const simulate::IncidentTruth* truth;
  const EngineIncident* matched;  // nullptr: no engine incident near it
  bool top3;
};

struct Evaluation {
  double hours = 0;
  Fraction scaling;
  Fraction oom;
  std::vector<ProvisioningError> provisioning;
  std::optional<double> provisioning_p50;
  Fraction rca_top1;
  Fraction rca_top3;
  // rca_top1 split by whether the matched incident named its first cause
  // with confidence (truth incidents with a matched incident that says).
  Fraction rca_top1_confident;
  Fraction rca_top1_unconfident;
  // Overlapping faults: a symptom (one service's signal going wrong) that
  // the twins of several faults each saw is listed once per fault, each
  // with its own root cause, and one engine incident can name only one of
  // them first. `shared_symptoms`: the truth incidents whose symptom another
  // fault's truth incident shares (same service and signal, starts within
  // kSharedSymptom). `rca_top1_any_cause`: rca_top1 where naming the root
  // cause of any truth incident of the same symptom counts. `rca_top1_bound`:
  // the most rca_top1 can reach, one engine incident per symptom naming the
  // root that is a hit for most of its truth incidents (hits = that many;
  // an event on a service is a hit for that service's root too).
  std::size_t shared_symptoms = 0;
  Fraction rca_top1_any_cause;
  Fraction rca_top1_bound;
  std::size_t engine_incidents = 0;
  std::vector<const EngineIncident*> false_incidents;
  std::optional<double> false_incidents_per_hour;

  // Problems (only when the results have them). A truth cause is counted
  // when some engine incident is attributed to it; a problem when some of
  // its incidents are.
  bool problems_scored = false;
  std::size_t problems = 0;
  std::size_t problem_causes = 0;           // truth causes with incidents
  std::size_t problems_over_causes = 0;     // sum over those of their distinct problems
  std::size_t problems_attributed = 0;      // problems with an attributed incident
  std::size_t problems_pure = 0;            // of those, all attributed incidents of one cause
  std::optional<double> problems_per_cause() const {
    if (problem_causes == 0) return std::nullopt;
    return static_cast<double>(problems_over_causes) / static_cast<double>(problem_causes);
  }
  std::optional<double> problem_purity() const {
    if (problems_attributed == 0) return std::nullopt;
    return static_cast<double>(problems_pure) / static_cast<double>(problems_attributed);
  }

  // What went wrong, for whoever reads the table.
  std::vector<ScalingMiss> scaling_misses;
  std::vector<OomMiss> oom_misses;
  std::vector<RcaMiss> rca_misses;
};

// Returns the scores of `results` against `truth`; misses point into both,
// which must outlive the Evaluation.
Evaluation evaluate(const simulate::Truth& truth, const EngineResults& results);

}  // namespace eventlens::evaluate
