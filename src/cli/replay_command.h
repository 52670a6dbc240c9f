// `eventlens replay`: the pipeline over files (pipeline/replay.h), with the
// arguments and what is printed: a human summary on stdout, checkpoints and
// refusals on stderr.
#pragma once

#include "pipeline/replay.h"

namespace eventlens::cli {

struct ReplayCommandOptions {
  pipeline::ReplaySpec spec;
  bool quiet = false;  // no human summary and no checkpoint lines
};

// Returns 0 on success, 2 on usage errors (no inputs, unreadable file, bad
// configuration, a state directory this run cannot resume from), 1 when
// writing results or a checkpoint failed. With a state directory: see
// docs/engine.md, "Checkpoints".
int run_replay(const ReplayCommandOptions& options);

}  // namespace eventlens::cli
