// The pipeline over files: time-merged file inputs → engine → result files,
// deterministically (same inputs and configuration, byte-identical
// results), resumable from checkpoints in a state directory
// (docs/engine.md, "Checkpoints"). What `eventlens replay` and
// `bench engine --replay` run. Single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "correlate/correlator.h"
#include "correlate/results.h"
#include "stream/shard.h"

namespace eventlens::pipeline {

struct ReplaySpec {
  std::vector<std::string> events;
  std::vector<std::string> metrics;
  std::vector<std::string> logs;
  std::vector<std::string> traces;
  std::string format = "auto";  // applies to every input; auto detects per file
  std::string config;           // YAML; empty for the built-in defaults
  std::string state;            // checkpoint directory; empty for none
  std::string out;
  bool provisional = false;     // also write provisional enrichments
  std::vector<std::string> explain;  // symptoms to explain: "SERVICE@TIME[:ROLE]" (correlate/explain.h)
  std::uint64_t checkpoint_every = 1'000'000;  // records between checkpoints (0: only the final one)
};

// How long this process ran, and how many records it handed to the engine
// itself (a resumed run continues at `resumed_at`).
struct RunTiming {
  double wall_s = 0;
  std::uint64_t records = 0;
  std::uint64_t resumed_at = 0;
  double records_per_s() const { return wall_s > 0 ? static_cast<double>(records) / wall_s : 0.0; }
};

// What a finished run concluded, for a caller to print.
struct ReplayReport {
  stream::ShardCounters counters;
  std::uint64_t enriched_final = 0;
  std::vector<correlate::Incident> incidents;         // final, in the order written
  std::map<std::string, std::uint64_t> verdicts;      // "category: value" -> count
  std::vector<std::string> problems;  // each problem's summary, in the order written
  std::uint64_t dead_letters = 0;
  std::map<std::pair<std::string, std::string>, correlate::ImpactAggregate> aggregates;
  RunTiming timing;
};

struct ReplayOutcome {
  enum class Kind {
    done,     // every input read, results written
    refused,  // bad arguments, inputs, configuration or state: nothing was written
    failed,   // writing results or a checkpoint failed
  };
  Kind kind = Kind::done;
  std::string message;  // unless done: what went wrong, naming the file or argument
  ReplayReport report;  // when done
};

// Progress worth telling a person, as it happens.
enum class ReplayNotice { checkpoint, resumed, finished_before };
using ReplayLog = std::function<void(ReplayNotice, const std::string&)>;

// Runs the pipeline over the spec's files. `log` (may be empty) hears of
// checkpoints and resumes.
ReplayOutcome run_replay(const ReplaySpec& spec, const ReplayLog& log = {});

}  // namespace eventlens::pipeline
