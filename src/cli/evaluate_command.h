// `eventlens evaluate`: scores what `eventlens replay` concluded (verdicts on
// events, incidents and their ranked causes) against the truth.json that
// `eventlens simulate` wrote. Single-threaded; reads its inputs whole.
#pragma once

#include <string>

namespace eventlens::cli {

struct EvaluateCommandOptions {
  std::string truth;    // truth.json written by eventlens simulate
  std::string results;  // the directory eventlens replay --out wrote
  bool json = false;    // one JSON object instead of the table and the misses
};

// Returns 0 when the results were scored, whatever the scores; 2 on usage
// errors and on unreadable or malformed inputs (the message names the file,
// the line and the field); 1 when stdout could not be written. Metric
// definitions: docs/evaluate.md.
int run_evaluate(const EvaluateCommandOptions& options);

}  // namespace eventlens::cli
