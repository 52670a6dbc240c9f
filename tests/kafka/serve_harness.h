// What the tests of `eventlens serve --kafka` share: the topics, running
// serve (to its end, or as a child process to stop or kill), reading the
// output topics back read_committed, and comparing with replay's files.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace eventlens::testing {

inline const std::vector<std::string> kInputs = {"scaling_events", "failure_events", "resource_provisioning",
                                                 "change_events",  "metrics",        "logs",
                                                 "traces"};
inline const std::vector<std::string> kOutputs = {"enriched_events", "incidents", "problems", "dead_letter"};

struct OutputMessage {
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
};

// Every committed message of `topics`, by topic (without `prefix`): read
// read_committed until each of their `partitions` partitions is read to its end.
std::map<std::string, std::vector<OutputMessage>> read_outputs(const std::string& bootstrap,
                                                               const std::string& prefix,
                                                               const std::vector<std::string>& topics,
                                                               std::size_t partitions);

// A file's non-empty lines, sorted.
std::vector<std::string> sorted_lines(const std::string& path);
// The values of `messages` whose eventlens.stage header is `stage` (all when
// empty), sorted.
std::vector<std::string> sorted_values(const std::vector<OutputMessage>& messages, const std::string& stage);

// std::system.
int run(const std::string& command);

// A simulation on the input topics of `prefix` (created with `partitions`
// partitions and the topic settings `configs`, outputs too) and in files
// under `dir`/sim, and `replay` of those files in `dir`/replay.
void simulate_and_replay(const std::string& bootstrap, const std::string& prefix, int partitions,
                         const std::vector<std::string>& configs, const std::string& dir,
                         const std::string& simulation);

// `serve --kafka --bounded` on the topics of `prefix` in a new group, with
// the arguments `more`; returns its exit status.
int serve_bounded(const std::string& bootstrap, const std::string& prefix, const std::string& more = "");

// The value of `key` in a JSON object's text (the first occurrence, a
// string value), or "".
std::string json_string(const std::string& json, const std::string& key);

// `eventlens serve` in a child process, stderr to `log`; returns its pid.
pid_t spawn_serve(const std::vector<std::string>& args, const std::string& log);

}  // namespace eventlens::testing
