#include "cli/serve_command.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

namespace eventlens::cli {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) { g_stop.store(true); }

// Returns this instance's name: the one given, else the one kept in the state
// directory (made there on the first run, so that a restarted instance is
// the same instance and fences its predecessor's open transaction), else
// host and process id (a new instance each run).
Result<std::string> instance_name(const std::string& given, const std::string& state) {
  if (!given.empty()) return given;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "host");
  if (state.empty()) return std::string(host) + "-" + std::to_string(getpid());
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(state, ec);
  if (ec) return make_error("--state", "cannot create " + state + ": " + ec.message());
  const fs::path file = fs::path(state) / "instance";
  if (std::ifstream in(file); in) {
    std::string name;
    std::getline(in, name);
    if (!name.empty()) return name;
  }
  std::random_device rd;
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%08x%08x", rd(), rd());
  const std::string name = std::string(host) + "-" + suffix;
  std::ofstream out(file);
  out << name << '\n';
  if (!out.flush()) return make_error("--state", "cannot write " + file.string());
  return name;
}

}  // namespace

int run_serve(ServeCommandOptions options) {
  if (options.kafka.brokers.empty()) {
    std::fprintf(stderr,
                 "eventlens serve: only the Kafka mode is built so far: give --kafka BROKERS "
                 "(the embedded mode with HTTP ingest comes next)\n");
    return 2;
  }
  // A name given or kept in --state outlives the process: the instance is a
  // static member of the group, the same one again after a restart (its
  // partitions come straight back, without waiting for its session to end).
  options.kafka.static_membership = !options.kafka.instance.empty() || !options.state.empty();
  auto instance = instance_name(options.kafka.instance, options.state);
  if (!instance) {
    std::fprintf(stderr, "eventlens serve: %s\n", instance.error().to_string().c_str());
    return 2;
  }
  options.kafka.instance = *instance;
  for (const std::string& p : options.kafka_properties) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "eventlens serve: --kafka-property %s: give KEY=VALUE\n", p.c_str());
      return 2;
    }
    options.kafka.properties.emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGINT, on_stop_signal);
  const bool quiet = options.quiet;
  auto log = [quiet](const std::string& line) {
    if (!quiet) std::fprintf(stderr, "eventlens serve: %s\n", line.c_str());
  };
  log("group " + options.kafka.group + ", instance " + options.kafka.instance + ", brokers " + options.kafka.brokers);
  auto counts = pipeline::run_kafka_serve(options.kafka, g_stop, log);
  if (!counts) {
    std::fprintf(stderr, "eventlens serve: %s\n", counts.error().to_string().c_str());
    return 1;
  }
  log("consumed " + std::to_string(counts->messages) + " messages (" + std::to_string(counts->records) +
      " records, " + std::to_string(counts->rejected) + " refused), produced " + std::to_string(counts->produced) +
      " in " + std::to_string(counts->transactions) + " transactions");
  return 0;
}

}  // namespace eventlens::cli
