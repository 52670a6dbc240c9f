// What correlation produces: enriched events (an event with the metrics, logs
// and spans around it and a verdict on its impact) and incidents (a signal
// that went wrong, with its ranked candidate causes), plus the interface the
// sinks implement. Plain values; docs/engine.md gives their JSON form.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "correlate/stats.h"
#include "model/records.h"
#include "model/result.h"

namespace eventlens::correlate {

// One signal of the event's service (or of a comparable control) judged
// around the event.
struct SignalImpact {
  std::string role;
  std::string metric;
  std::string service;
  Summary before;
  Summary after;
  double change_abs = kNaN;  // after.mean - before.mean
  double change_rel = kNaN;  // change_abs / before.mean
  ShiftTest test{"none", 0, 1, 0, 0, kNaN};
  // What the signal would have done without the event, from its own history.
  Forecast counterfactual{kNaN, kNaN, kNaN, "none"};
  double impact_vs_counterfactual = kNaN;      // after.mean - counterfactual.mean
  double impact_vs_counterfactual_rel = kNaN;  // ... / counterfactual.mean
  // Against the same role of services the event did not touch.
  DidEstimate did{kNaN, kNaN, 0};
};

// Error logs around the event, one entry per message template.
struct LogEvidence {
  std::string template_text;
  std::string example;
  Severity severity = Severity::warning;
  std::uint64_t count = 0;
  TimeNs first = 0;
  TimeNs last = 0;
  std::string trace_id;
};

struct SpanEvidence {
  std::string name;
  std::string trace_id;
  std::string span_id;
  TimeNs start = 0;
  double duration_s = 0;
  SpanStatus status = SpanStatus::unset;
  SpanKind kind = SpanKind::unspecified;
};

struct RelatedEvent {
  std::string id;
  std::string type;
  std::string service;
  TimeNs time = 0;
};

struct Evidence {
  std::string name;  // e.g. "memory_ratio_max"
  double value = kNaN;
};

struct Verdict {
  std::string kind;   // scaling | failure | provisioning | change | other
  std::string value;  // effective | ineffective | harmful | unknown | memory_exhaustion | ...
  std::string sentence;
  std::optional<double> relief;
  std::optional<double> time_to_relief_s;
  std::optional<double> delay_s;
  std::optional<double> requests_lost;
  std::vector<Evidence> evidence;
};

struct EnrichedEvent {
  bool provisional = false;
  Event event;
  TimeNs window_before = 0;  // window start
  TimeNs window_after = 0;   // window end
  std::vector<SignalImpact> signals;
  std::vector<LogEvidence> logs;
  // The service's failing or slowest spans: the same for every event of the
  // service whose windows read the same steps, so shared between their
  // records rather than copied into each (null: none).
  std::shared_ptr<const std::vector<SpanEvidence>> spans;
  std::vector<RelatedEvent> related;
  Verdict verdict;
};

struct CauseReason {
  std::string name;
  double value = 0;
  std::string sentence;
};

struct Cause {
  int rank = 0;
  std::string kind;  // event | service
  std::string service;
  std::string event_id;  // events only
  std::string type;      // events only
  TimeNs time = 0;       // the event's time, or when the service began to deviate
  double score = 0;
  std::vector<CauseReason> reasons;
};

struct Incident {
  std::string id;
  std::string service;
  std::string role;
  std::string metric;
  TimeNs start = 0;
  std::optional<TimeNs> end;
  std::string severity;  // warning | critical
  std::string summary;
  double baseline = kNaN;
  double peak = kNaN;
  std::vector<Cause> causes;
};

struct Problem;  // problems.h

// A symptom a user names (an alert of their own, `replay --explain`):
// service, time and, optionally, the role of the signal that went wrong.
struct ExplainRequest {
  std::string service;
  TimeNs time = 0;
  std::string role;  // "" when not given
};

// The causes of a named symptom, ranked as an incident's are.
struct Explanation {
  std::string id;
  ExplainRequest symptom;
  std::vector<Cause> causes;  // best first
  std::string summary;
};

// Where results go (files in replay, Kafka topics and the store later).
class ResultSink {
 public:
  virtual ~ResultSink() = default;
  virtual void on_enriched(const EnrichedEvent& e) = 0;
  // Called when an incident opens (`final` false, end empty), and once more
  // with `final` true when it closes or the input ends with it still open.
  virtual void on_incident(const Incident& incident, bool final) = 0;
  // Called once per problem, when no further incident can join it.
  virtual void on_problem(const Problem& problem) = 0;
  virtual void on_explanation(const Explanation& explanation) = 0;
  virtual void on_dead_letter(const Record& record, const Error& reason) = 0;
};

}  // namespace eventlens::correlate
