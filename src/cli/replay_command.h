// `eventlens replay`: the whole pipeline over files, deterministically (same
// input and configuration, byte-identical results), optionally resumable
// from checkpoints in a state directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace eventlens::cli {

struct ReplayCommandOptions {
  std::vector<std::string> events;
  std::vector<std::string> metrics;
  std::vector<std::string> logs;
  std::vector<std::string> traces;
  std::string format = "auto";  // applies to every input; auto detects per file
  std::string config;           // YAML; empty for the built-in defaults
  std::string state;            // checkpoint directory; empty for none
  std::string out;
  bool provisional = false;     // also write provisional enrichments
  bool quiet = false;           // no human summary on stdout
  std::uint64_t checkpoint_every = 1'000'000;  // records between checkpoints (0: only the final one)
};

// Returns 0 on success, 2 on usage errors (no inputs, unreadable file, bad
// configuration, a state directory this run cannot resume from), 1 when
// writing results or a checkpoint failed. With a state directory: see
// docs/engine.md, "Checkpoints".
int run_replay(const ReplayCommandOptions& options);

}  // namespace eventlens::cli
