// `eventlens bench simulate`: records/s that `eventlens simulate` writes to
// files, next to the rate at which the same bytes are written without
// simulating (the baseline: what the disk and the page cache allow).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <unistd.h>

#include "simulate/simulate_bench.h"
#include "codec/json_writer.h"
#include "simulate/record_sink.h"
#include "simulate/simulator.h"

namespace eventlens::simulate {
namespace {

namespace fs = std::filesystem;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int run_bench_simulate(const BenchSimulateOptions& options) {
  auto scenario = simulate::load_scenario(options.scenario);
  if (!scenario) {
    std::fprintf(stderr, "bench simulate: %s\n", scenario.error().to_string().c_str());
    return 2;
  }
  auto duration = simulate::parse_duration(options.duration);
  if (!duration) {
    std::fprintf(stderr, "bench simulate: --duration: %s\n", duration.error().reason.c_str());
    return 2;
  }
  const fs::path dir = fs::temp_directory_path() / ("eventlens-bench-simulate-" + std::to_string(::getpid()));
  std::vector<double> simulate_s, write_s;
  std::uint64_t records = 0, bytes = 0;
  for (int run = 0; run < std::max(1, options.runs); ++run) {
    fs::remove_all(dir);
    simulate::FileSinkOptions files;
    files.dir = (dir / "out").string();
    auto sink = simulate::open_file_sink(files);
    if (!sink) {
      std::fprintf(stderr, "bench simulate: %s\n", sink.error().to_string().c_str());
      return 1;
    }
    const auto start = std::chrono::steady_clock::now();
    auto result = simulate::run_simulation(*scenario, {options.seed, *duration, 0}, **sink);
    simulate_s.push_back(seconds_since(start));
    if (!result) {
      std::fprintf(stderr, "bench simulate: %s\n", result.error().to_string().c_str());
      return 1;
    }
    records = result->counts.total();
    // The baseline: the same bytes, written the same way, without simulating.
    std::string all;
    for (const auto& entry : fs::directory_iterator(files.dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      all += text.str();
    }
    bytes = all.size();
    const auto write_start = std::chrono::steady_clock::now();
    std::FILE* f = std::fopen((dir / "copy").c_str(), "wb");
    for (std::size_t at = 0; f != nullptr && at < all.size(); at += 1 << 20) {
      std::fwrite(all.data() + at, 1, std::min<std::size_t>(1 << 20, all.size() - at), f);
    }
    if (f != nullptr) std::fclose(f);
    write_s.push_back(seconds_since(write_start));
  }
  fs::remove_all(dir);
  const double sim = median(simulate_s), write = median(write_s);
  const double records_per_s = static_cast<double>(records) / sim;
  if (options.json) {
    std::string line;
    codec::JsonWriter w(line);
    w.begin_object();
    w.field("name", "simulate_" + scenario->name);
    w.key("records_per_s");
    w.number(records_per_s);
    w.key("mb_per_s");
    w.number(static_cast<double>(bytes) / sim / 1e6);
    w.field("baseline", "write_same_bytes");
    w.key("baseline_mb_per_s");
    w.number(static_cast<double>(bytes) / write / 1e6);
    w.key("ratio");
    w.number(write / sim);
    w.key("records");
    w.integer(static_cast<std::int64_t>(records));
    w.key("bytes");
    w.integer(static_cast<std::int64_t>(bytes));
    w.key("simulated_seconds");
    w.number(*duration);
    w.key("wall_seconds");
    w.number(sim);
    w.end_object();
    std::printf("%s\n", line.c_str());
  } else {
    std::printf("simulate %s, %.0f s simulated: %llu records in %.2f s = %.0f records/s, %.1f MB/s "
                "(writing the same bytes alone: %.1f MB/s, ratio %.2f)\n",
                scenario->name.c_str(), *duration, static_cast<unsigned long long>(records), sim, records_per_s,
                static_cast<double>(bytes) / sim / 1e6, static_cast<double>(bytes) / write / 1e6, write / sim);
  }
  return 0;
}

}  // namespace eventlens::simulate
