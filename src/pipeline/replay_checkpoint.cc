#include "pipeline/replay_checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <utility>

#include "stream/state_io.h"

namespace eventlens::pipeline {

namespace fs = std::filesystem;

namespace {

std::string absolute_path(const std::string& path) {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
  return ec ? fs::absolute(path).lexically_normal().string() : p.string();
}

}  // namespace

Result<RunIdentity> identify_run(const ReplaySpec& options) {
  RunIdentity id;
  id.out = absolute_path(options.out);
  id.format = options.format;
  id.provisional = options.provisional;
  id.explain = options.explain;
  if (!options.config.empty()) {
    std::FILE* f = std::fopen(options.config.c_str(), "rb");
    if (f == nullptr) return make_error(options.config, "cannot be read");
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) id.config_text.append(buf, n);
    std::fclose(f);
  }
  const std::pair<const char*, const std::vector<std::string>*> kinds[] = {
      {"events", &options.events}, {"metrics", &options.metrics}, {"logs", &options.logs}, {"traces", &options.traces}};
  for (const auto& [kind, list] : kinds) {
    for (const std::string& path : *list) {
      if (path == "-") return make_error("--state", "needs input files it can read again; standard input cannot be");
      std::error_code ec;
      const std::uintmax_t size = fs::file_size(path, ec);
      id.inputs.push_back(std::string(kind) + " " + absolute_path(path) + " (" +
                          (ec ? std::string("unreadable") : std::to_string(size) + " bytes") + ")");
    }
  }
  return id;
}

std::string run_difference(const RunIdentity& saved, const RunIdentity& now) {
  if (saved.out != now.out) return "--out was " + saved.out + ", now " + now.out;
  if (saved.format != now.format) return "--format was " + saved.format + ", now " + now.format;
  if (saved.provisional != now.provisional) {
    return saved.provisional ? "--provisional was given" : "--provisional was not given";
  }
  if (saved.explain != now.explain) return "the --explain symptoms differ";
  if (saved.config_text != now.config_text) return "the engine configuration (--config) differs";
  for (std::size_t i = 0; i < std::max(saved.inputs.size(), now.inputs.size()); ++i) {
    const std::string was = i < saved.inputs.size() ? saved.inputs[i] : "nothing";
    const std::string is = i < now.inputs.size() ? now.inputs[i] : "nothing";
    if (was != is) return "input " + std::to_string(i + 1) + " was " + was + ", now " + is;
  }
  return {};
}

std::string encode_run(const RunIdentity& id, const RunProgress& progress) {
  stream::StateWriter w;
  w.str(id.out);
  w.str(id.format);
  w.boolean(id.provisional);
  w.count(id.explain.size());
  for (const std::string& e : id.explain) w.str(e);
  w.str(id.config_text);
  w.count(id.inputs.size());
  for (const std::string& in : id.inputs) w.str(in);
  w.boolean(progress.complete);
  w.u64(progress.records);
  w.count(progress.inputs.size());
  for (const auto& in : progress.inputs) {
    w.u64(in.consumed);
    w.u64(in.rejects_written);
  }
  for (std::uint64_t size : progress.outputs) w.u64(size);
  return w.finish();
}

Status decode_run(std::string_view bytes, RunIdentity& id, RunProgress& progress) {
  stream::StateReader r(bytes, "run checkpoint");
  id.out = r.str();
  id.format = r.str();
  id.provisional = r.boolean();
  id.explain.resize(r.count(8));
  for (std::string& e : id.explain) e = r.str();
  id.config_text = r.str();
  id.inputs.resize(r.count(8));
  for (std::string& in : id.inputs) in = r.str();
  progress.complete = r.boolean();
  progress.records = r.u64();
  progress.inputs.resize(r.count(16));
  for (auto& in : progress.inputs) {
    in.consumed = r.u64();
    in.rejects_written = r.u64();
  }
  for (std::uint64_t& size : progress.outputs) size = r.u64();
  if (auto s = r.finish(); !s.ok()) return s;
  if (progress.inputs.size() != id.inputs.size()) return make_error("run checkpoint", "corrupt: input count");
  return ok_status();
}

}  // namespace eventlens::pipeline
