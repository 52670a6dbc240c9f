// What a replay's checkpoint holds besides the engine's and the sink's
// state: which run wrote it (so that a resume with other arguments is
// refused) and how far that run got. Internal to the replay pipeline.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.h"
#include "pipeline/file_inputs.h"
#include "pipeline/replay.h"
#include "sink/result_files.h"

namespace eventlens::pipeline {

// What makes a checkpoint this run's: every argument that shapes the output.
// A resume must give the same ones; only the checkpoint interval may differ.
struct RunIdentity {
  std::string out;          // absolute
  std::string format;
  bool provisional = false;
  std::vector<std::string> explain;  // --explain, as given
  std::string config_text;  // the configuration file's bytes; empty for the defaults
  std::vector<std::string> inputs;  // "<kind> <absolute path> (<bytes> bytes)", in input order
};

// How far a run got when it wrote a checkpoint.
struct RunProgress {
  bool complete = false;       // finished: the outputs are whole
  std::uint64_t records = 0;   // handed to the shard, all inputs
  std::vector<TimeMergedFiles::Progress> inputs;
  sink::ResultFiles::Sizes outputs{};
};

// Returns this run's identity (the configuration file read, the inputs'
// absolute paths and sizes), or an Error when an input cannot be read again
// on resume (standard input) or the configuration cannot be read.
Result<RunIdentity> identify_run(const ReplaySpec& options);

// Returns what differs between the run that wrote a checkpoint and this one;
// empty when nothing does.
std::string run_difference(const RunIdentity& saved, const RunIdentity& now);

std::string encode_run(const RunIdentity& id, const RunProgress& progress);
Status decode_run(std::string_view bytes, RunIdentity& id, RunProgress& progress);

}  // namespace eventlens::pipeline
