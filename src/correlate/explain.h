// Explaining a symptom a user names — a service, a time and, optionally, the
// role of the signal that went wrong (an alert of their own Alertmanager) —
// even where the engine's detector opened no incident: the causes are
// ranked as an incident's would be, once the steps the ranking reads are
// final. Single-threaded, on the shard's thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "correlate/correlator.h"
#include "correlate/results.h"
#include "model/result.h"

namespace eventlens::stream {
class StateWriter;
class StateReader;
}  // namespace eventlens::stream

namespace eventlens::correlate {

// Returns the request "SERVICE@TIME[:ROLE]" names (TIME in RFC 3339 or an
// epoch number, docs/formats.md; ROLE lowercase letters, digits and '_'), or
// an Error saying which part is wrong.
Result<ExplainRequest> parse_explain_request(std::string_view text);

class SymptomExplainer {
 public:
  // Answers `requests` in order of time (ties in the order given).
  explicit SymptomExplainer(std::vector<ExplainRequest> requests);

  // Event time is final up to `final_until`: answers each request whose
  // ranking window (cause_lookback before it, a little after) is final.
  void advance(TimeNs final_until, const Correlator& correlator, ResultSink& sink);
  // End of input: answers what is left with what there is.
  void finish(const Correlator& correlator, ResultSink& sink);

  // Checkpoints: how many requests were answered (the requests themselves
  // are the run's arguments).
  void save(stream::StateWriter& out) const;
  Status load(stream::StateReader& in);

 private:
  void answer(const ExplainRequest& request, const Correlator& correlator, ResultSink& sink) const;

  std::vector<ExplainRequest> requests_;  // by time
  std::size_t answered_ = 0;
};

}  // namespace eventlens::correlate
