// What evaluate scores: the truth `eventlens simulate` wrote (truth.json) and
// what `eventlens replay` concluded (its --out directory), read into plain
// values. Pure functions; each call owns its parser.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/result.h"
#include "model/time.h"
#include "simulate/truth.h"

namespace eventlens::evaluate {

// What `eventlens replay` concluded, as far as evaluate scores it.
struct EngineVerdict {
  std::string kind;
  std::string value;
  std::optional<double> relief;
  std::optional<double> delay_s;
};

struct EngineCause {
  std::string kind;      // event | service
  std::string service;   // empty when null
  std::string event_id;  // empty when null
  std::string type;
  std::optional<double> score;
};

struct EngineIncident {
  std::string id;
  std::string service;
  TimeNs start = 0;
  std::optional<TimeNs> end;        // nullopt: still open when the run ended
  std::vector<EngineCause> causes;  // best first
  std::optional<bool> confident;    // confidence.confident; nullopt in files written before it
};

struct EngineProblem {
  std::string id;
  std::vector<std::string> incident_ids;  // its symptoms
};

struct EngineResults {
  std::unordered_map<std::string, EngineVerdict> final_verdicts;  // by event_id
  std::vector<EngineIncident> incidents;
  // Problems are scored only when the results hold problems.jsonl (older
  // replays wrote none).
  bool has_problems = false;
  std::vector<EngineProblem> problems;
};


// Returns the file's bytes, or an Error with the OS reason (no path: the
// caller names the file).
Result<std::string> read_whole_file(const std::string& path);

// Returns the parts of truth.json that evaluate scores, or an Error naming
// the member ("incidents[2].root_cause.kind").
Result<simulate::Truth> read_truth(std::string_view bytes);

// Adds the final verdicts of enriched_events.jsonl to `out`; an Error names
// the line and the member.
Status read_enriched_events(std::string_view bytes, EngineResults& out);

// Adds the incidents of incidents.jsonl to `out`; an Error names the line
// and the member.
Status read_incidents(std::string_view bytes, EngineResults& out);

// Adds the problems of problems.jsonl to `out` and marks it as having them;
// an Error names the line and the member.
Status read_problems(std::string_view bytes, EngineResults& out);

}  // namespace eventlens::evaluate
