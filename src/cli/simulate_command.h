// `eventlens simulate`: run a synthetic cluster scenario and write its four
// signals (files or Kafka topics) and its ground truth (truth.json).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace eventlens::cli {

struct SimulateCommandOptions {
  std::string scenario;
  std::uint64_t seed = 1;
  std::string duration = "1h";
  std::string out;                   // directory; empty when only --kafka
  std::string kafka;                 // bootstrap servers; empty for files only
  std::string topic_prefix;          // prepended to every topic name
  std::vector<std::string> formats;  // extra outputs: k8s, prometheus
  std::string speed = "max";         // max | realtime | a factor such as 60
  bool quiet = false;
};

// Returns 0 on success, 2 on usage errors (unknown scenario, bad key in a
// scenario file, bad duration), 1 when writing failed.
int run_simulate(const SimulateCommandOptions& options);

}  // namespace eventlens::cli
