// Problems: the incidents that share a root cause, grouped into one (as
// Dynatrace's problems and Coroot's incidents do), so that one fault that
// shows in several services and signals is one thing to look at, with its
// symptoms listed. A ProblemTracker sits between the correlator and the
// result sink: it passes every result on and, from the final incidents it
// sees, groups, and emits each problem once no symptom can join it any more.
// The rule is docs/engine.md's "Problems". Single-threaded, on the shard's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "correlate/results.h"
#include "model/result.h"
#include "model/time.h"

namespace eventlens::stream {
class StateWriter;
class StateReader;
}  // namespace eventlens::stream

namespace eventlens::correlate {

struct Problem {
  std::string id;
  // What the incidents' top causes name: a service (an event's cause counts
  // for the service it touched), or a service-less event (a node's), by id.
  std::string root;
  // The cause shown for the problem: of its incidents' top causes, an event
  // before a service (the more specific answer), then the best score.
  // Empty kind: none of its incidents found a cause.
  Cause root_cause;
  TimeNs start = 0;  // the first symptom's start
  TimeNs end = 0;    // the last symptom's end
  std::string severity;
  std::vector<Incident> symptoms;  // final incidents, by start
  std::string summary;
};

class ProblemTracker final : public ResultSink {
 public:
  // Results (and problems) go on to `next`. An incident joins a problem with
  // its root when it starts within `gap` of the problem's first and last
  // symptoms' starts, or, when its top cause is a failure event of a type
  // one of the problem's symptoms blames too, within `recurrence` after
  // the last symptom's start.
  ProblemTracker(ResultSink& next, TimeNs gap, TimeNs recurrence) : next_(next), gap_(gap), recurrence_(recurrence) {}

  void on_enriched(const EnrichedEvent& e) override { next_.on_enriched(e); }
  void on_incident(const Incident& incident, bool final) override;
  void on_problem(const Problem& problem) override { next_.on_problem(problem); }
  void on_explanation(const Explanation& e) override { next_.on_explanation(e); }
  void on_dead_letter(const Record& record, const Error& reason) override { next_.on_dead_letter(record, reason); }

  // Event time is final up to `t`: problems no incident can join any more
  // are emitted.
  void advance(TimeNs t);
  // End of input: every problem is emitted.
  void finish();

  std::uint64_t problems_emitted() const { return emitted_; }

  // Checkpoints.
  void save(stream::StateWriter& out) const;
  Status load(stream::StateReader& in);

 private:
  void emit(Problem& p);
  // The open problem of `root` that `incident` may join (the latest to
  // begin), or nullptr.
  Problem* joinable_problem(const Incident& incident, const std::string& root, const std::string& recurring);

  ResultSink& next_;
  TimeNs gap_;
  TimeNs recurrence_;
  std::vector<Problem> open_;                // by first symptom's start
  std::map<std::string, TimeNs> incidents_open_;  // id -> start: they may still join
  std::uint64_t emitted_ = 0;
};

// Returns the root an incident's top cause names (see Problem::root); the
// incident's own service when it has no cause.
std::string problem_root(const Incident& incident);

}  // namespace eventlens::correlate
