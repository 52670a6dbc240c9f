#include "cli/replay_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <queue>

#include "codec/decoder.h"
#include "codec/json_writer.h"
#include "correlate/checkpoint_records.h"
#include "correlate/config.h"
#include "correlate/correlator.h"
#include "correlate/phrases.h"
#include "correlate/results_json.h"
#include "source/file_source.h"
#include "stream/checkpoint_store.h"
#include "stream/shard.h"
#include "stream/state_io.h"

namespace eventlens::cli {

namespace {

namespace fs = std::filesystem;
using correlate::EnrichedEvent;
using correlate::Incident;

// An output file written through a large buffer.
class OutputFile {
 public:
  // A new, empty file; or, resuming, the file cut back to the `resume_at`
  // bytes the checkpoint vouches for (what came after them is written again).
  Status open(const fs::path& path, std::optional<std::uint64_t> resume_at) {
    path_ = path.string();
    if (resume_at) {
      std::error_code ec;
      const std::uintmax_t size = fs::file_size(path, ec);
      if (ec || size < *resume_at) {
        return make_error(path_, "holds " + (ec ? std::string("nothing") : std::to_string(size) + " bytes") +
                                     ", the checkpoint vouches for " + std::to_string(*resume_at) +
                                     ": the output was changed since; start over with an empty state directory");
      }
      fs::resize_file(path, *resume_at, ec);
      if (ec) return make_error(path_, "cannot be cut back to its checkpointed size: " + ec.message());
      bytes_ = *resume_at;
    }
    file_ = std::fopen(path_.c_str(), resume_at ? "ab" : "wb");
    if (file_ == nullptr) return make_error(path_, "cannot be written");
    return ok_status();
  }
  ~OutputFile() { close(); }
  std::string& buffer() { return buffer_; }
  void line_done() {
    buffer_ += '\n';
    if (buffer_.size() >= (1u << 20)) flush();
  }
  void flush() {
    if (file_ == nullptr || buffer_.empty()) return;
    if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) failed_ = true;
    bytes_ += buffer_.size();
    buffer_.clear();
  }
  // Returns the file's size once everything written so far is on disk.
  Result<std::uint64_t> sync() {
    flush();
    if (file_ == nullptr || std::fflush(file_) != 0 || ::fsync(::fileno(file_)) != 0) failed_ = true;
    if (failed_) return make_error(path_, "writing failed");
    return bytes_;
  }
  bool close() {
    if (file_ == nullptr) return !failed_;
    flush();
    if (std::fclose(file_) != 0) failed_ = true;
    file_ = nullptr;
    return !failed_;
  }
  bool failed() const { return failed_; }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
  std::uint64_t bytes_ = 0;  // in the file (buffer not included)
  bool failed_ = false;
};

// The sizes of the three output files, in the order the sink opens them.
using OutputSizes = std::array<std::uint64_t, 3>;

// Results to files; incidents only in their final state.
class FileResultSink : public correlate::ResultSink {
 public:
  // Resuming, each file is cut back to its checkpointed size.
  Status open(const fs::path& dir, const std::optional<OutputSizes>& resume_at) {
    auto at = [&](std::size_t i) { return resume_at ? std::optional<std::uint64_t>((*resume_at)[i]) : std::nullopt; };
    if (auto s = enriched_.open(dir / "enriched_events.jsonl", at(0)); !s.ok()) return s;
    if (auto s = incidents_.open(dir / "incidents.jsonl", at(1)); !s.ok()) return s;
    return dead_.open(dir / "dead_letter.jsonl", at(2));
  }
  void on_enriched(const EnrichedEvent& e) override {
    correlate::append_enriched_json(enriched_.buffer(), e);
    enriched_.line_done();
    if (!e.provisional) ++verdicts_[e.verdict.kind + ": " + e.verdict.value];
  }
  void on_incident(const Incident& incident, bool final) override {
    if (!final) return;
    correlate::append_incident_json(incidents_.buffer(), incident);
    incidents_.line_done();
    incidents_seen_.push_back(incident);
  }
  void on_dead_letter(const Record& record, const Error& reason) override {
    correlate::append_dead_letter_json(dead_.buffer(), record, reason);
    dead_.line_done();
    ++dead_letters_;
  }
  // A record the decoder refused: there is no record to show, only where it was.
  void on_input_reject(const std::string& file, const source::RejectedRecord& r) {
    codec::JsonWriter w(dead_.buffer());
    w.begin_object();
    w.field("kind", "input");
    w.field("file", file);
    w.key("position");
    w.integer(static_cast<std::int64_t>(r.position));
    w.field_if_set("field", r.error.field);
    w.field("reason", r.error.reason);
    w.end_object();
    dead_.line_done();
    ++dead_letters_;
  }
  bool close() {
    const bool a = enriched_.close(), b = incidents_.close(), c = dead_.close();
    return a && b && c;
  }
  // Returns the output sizes once everything written so far is on disk.
  Result<OutputSizes> sync() {
    OutputSizes sizes{};
    OutputFile* files[] = {&enriched_, &incidents_, &dead_};
    for (std::size_t i = 0; i < 3; ++i) {
      auto size = files[i]->sync();
      if (!size.ok()) return size.error();
      sizes[i] = *size;
    }
    return sizes;
  }

  // Checkpoints: what the summary counts.
  void save(stream::StateWriter& out) const {
    out.count(verdicts_.size());
    for (const auto& [verdict, n] : verdicts_) {
      out.str(verdict);
      out.u64(n);
    }
    out.count(incidents_seen_.size());
    for (const Incident& inc : incidents_seen_) correlate::save_incident(out, inc);
    out.u64(dead_letters_);
  }
  Status load(stream::StateReader& in) {
    const std::size_t verdicts = in.count(16);
    for (std::size_t i = 0; i < verdicts && in.ok(); ++i) {
      std::string verdict = in.str();
      verdicts_[std::move(verdict)] = in.u64();
    }
    incidents_seen_.resize(in.count(8 * 12));
    for (Incident& inc : incidents_seen_) correlate::load_incident(in, inc);
    dead_letters_ = in.u64();
    return in.finish();
  }

  std::map<std::string, std::uint64_t> verdicts_;
  std::vector<Incident> incidents_seen_;
  std::uint64_t dead_letters_ = 0;

 private:
  OutputFile enriched_, incidents_, dead_;
};

TimeNs record_time(const Record& r) {
  switch (r.index()) {
    case 0: return std::get<Event>(r).time;
    case 1: return std::get<MetricSample>(r).time;
    case 2: return std::get<LogRecord>(r).time;
    default: return std::get<Span>(r).start;
  }
}

// One input file: its source and the batch being consumed.
struct Input {
  std::string path;
  std::unique_ptr<source::FileSource> source;
  std::vector<Record> batch;
  std::vector<source::RejectedRecord> rejected;
  std::size_t next = 0;
  std::size_t index = 0;  // shard input
  bool done = false;
  // Progress, as checkpoints record it.
  std::uint64_t consumed = 0;  // records handed to the shard
  std::uint64_t rejects_written = 0;  // decoder rejections written to the dead letters
};

constexpr std::size_t kBatch = 4096;

// Fills the input's batch when it is used up; false once the file has ended.
// The decoder's rejections go to the dead letters as each batch is read,
// except when `write_rejected` is false (skipping what a checkpoint has
// already written).
bool refill(Input& in, FileResultSink& sink, bool write_rejected = true) {
  while (in.next >= in.batch.size()) {
    if (in.done) return false;
    in.next = 0;
    if (!in.source->next_batch(in.batch, in.rejected, kBatch)) {
      in.done = true;
      in.batch.clear();
    }
    for (const auto& r : in.rejected) {
      if (write_rejected) sink.on_input_reject(in.path, r);
      ++in.rejects_written;
    }
    if (in.done) return false;
  }
  return true;
}

// How long this process ran, and how many records it handed to the shard
// itself (a resumed run continues at `resumed_at`).
struct RunTiming {
  double wall_s = 0;
  std::uint64_t records = 0;
  std::uint64_t resumed_at = 0;
  double records_per_s() const { return wall_s > 0 ? static_cast<double>(records) / wall_s : 0.0; }
};

void write_summary(const fs::path& path, const stream::Shard& shard, const correlate::Correlator& correlator,
                   const FileResultSink& sink, std::uint64_t input_rejected, const RunTiming& run) {
  std::string out;
  codec::JsonWriter w(out);
  const stream::ShardCounters& c = shard.counters();
  auto count = [&](std::string_view k, std::uint64_t v) {
    w.key(k);
    w.integer(static_cast<std::int64_t>(v));
  };
  w.begin_object();
  w.key("records");
  w.begin_object();
  count("in", c.records + input_rejected);
  count("events", c.events);
  count("metric_samples", c.samples + c.samples_unmatched);
  count("metric_samples_unmatched", c.samples_unmatched);
  count("logs", c.logs);
  count("spans", c.spans);
  count("late", c.late);
  count("rejected", input_rejected + c.dead_letters);
  count("rejected_by_decoder", input_rejected);
  count("rejected_by_engine", c.dead_letters);
  w.end_object();
  w.key("out");
  w.begin_object();
  count("enriched_events", correlator.enriched_final());
  count("incidents", sink.incidents_seen_.size());
  count("dead_letters", sink.dead_letters_);
  w.end_object();
  w.key("verdicts");
  w.begin_object();
  for (const auto& [k, v] : sink.verdicts_) count(k, v);
  w.end_object();
  w.key("state");
  w.begin_object();
  count("live_series", shard.live_series());
  count("expired_series", c.series_expired);
  count("signals", shard.signal_count());
  count("services", shard.services().size());
  count("graph_edges", correlator.graph().edge_count());
  w.end_object();
  w.key("watermark");
  if (shard.watermark() == stream::kNoTime) {
    w.null();
  } else {
    w.time(shard.watermark());
  }
  // Timing differs from run to run (and a resumed run covers only part of
  // the records); everything above it does not.
  w.key("run");
  w.begin_object();
  w.key("wall_s");
  w.number(run.wall_s);
  w.key("records_per_s");
  w.number(run.records_per_s());
  w.key("resumed_at_record");
  w.integer(static_cast<std::int64_t>(run.resumed_at));
  w.end_object();
  w.end_object();
  out += '\n';
  if (std::FILE* f = std::fopen(path.string().c_str(), "wb")) {
    std::fwrite(out.data(), 1, out.size(), f);
    std::fclose(f);
  }
}

// The impacts per (service, event type), derived from the correlator's state
// alone, so a resumed run writes the same bytes.
void write_aggregates(const fs::path& path, const correlate::Correlator& correlator) {
  std::string out;
  correlate::append_aggregates_json(out, correlator.aggregates());
  out += '\n';
  if (std::FILE* f = std::fopen(path.string().c_str(), "wb")) {
    std::fwrite(out.data(), 1, out.size(), f);
    std::fclose(f);
  }
}

void print_human_summary(const stream::Shard& shard, const correlate::Correlator& correlator,
                         const FileResultSink& sink, const RunTiming& run) {
  const stream::ShardCounters& c = shard.counters();
  std::printf("replay: %llu records in %.2f s (%.0f records/s); %llu events enriched, %zu incidents, %llu dead letters\n",
              static_cast<unsigned long long>(c.records), run.wall_s, run.records_per_s(),
              static_cast<unsigned long long>(correlator.enriched_final()), sink.incidents_seen_.size(),
              static_cast<unsigned long long>(sink.dead_letters_));
  if (!sink.verdicts_.empty()) {
    std::printf("verdicts:");
    for (const auto& [k, v] : sink.verdicts_) std::printf("  %s %llu", k.c_str(), static_cast<unsigned long long>(v));
    std::printf("\n");
  }
  // The impacts seen most often, as sentences.
  std::vector<const correlate::ImpactAggregate*> common;
  for (const auto& [key, a] : correlator.aggregates()) {
    if (a.latency_change_rel.size() >= 3) common.push_back(&a);
  }
  std::stable_sort(common.begin(), common.end(), [](const auto* a, const auto* b) {
    return a->latency_change_rel.size() > b->latency_change_rel.size();
  });
  if (!common.empty()) std::printf("impacts (aggregates.json):\n");
  for (std::size_t i = 0; i < common.size() && i < 5; ++i) {
    std::printf("  %s\n", correlate::aggregate_sentence(*common[i]).c_str());
  }
  if (!sink.incidents_seen_.empty()) std::printf("incidents (incidents.jsonl), with their most likely cause:\n");
  std::size_t shown = 0;
  for (const Incident& inc : sink.incidents_seen_) {
    if (shown++ == 10) {
      std::printf("  ... %zu more in incidents.jsonl\n", sink.incidents_seen_.size() - 10);
      break;
    }
    std::string cause = "no cause found";
    if (!inc.causes.empty()) {
      const correlate::Cause& top = inc.causes.front();
      cause = top.kind == "event" ? top.type + " of " + (top.service.empty() ? std::string("the cluster") : top.service) +
                                        " (" + top.event_id + ")"
                                  : "service " + top.service;
    }
    std::printf("  %s  %-8s %s %s of %s  -> top cause: %s\n", correlate::clock_time(inc.start).c_str(),
                inc.severity.c_str(), inc.role.c_str(), inc.end ? "incident" : "incident (open)",
                inc.service.c_str(), cause.c_str());
  }
}

// ---- checkpoints (docs/engine.md, "Checkpoints") ----

// What makes a checkpoint this run's: every argument that shapes the output.
// A resume must give the same ones; only the checkpoint interval may differ.
struct RunIdentity {
  std::string out;          // absolute
  std::string format;
  bool provisional = false;
  std::string config_text;  // the configuration file's bytes; empty for the defaults
  std::vector<std::string> inputs;  // "<kind> <absolute path> (<bytes> bytes)", in input order
};

// How far a run got when it wrote a checkpoint.
struct RunProgress {
  bool complete = false;       // finished: the outputs are whole
  std::uint64_t records = 0;   // handed to the shard, all inputs
  struct InputProgress {
    std::uint64_t consumed = 0;
    std::uint64_t rejects_written = 0;
  };
  std::vector<InputProgress> inputs;
  OutputSizes outputs{};
};

std::string absolute_path(const std::string& path) {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
  return ec ? fs::absolute(path).lexically_normal().string() : p.string();
}

Result<RunIdentity> identify_run(const ReplayCommandOptions& options) {
  RunIdentity id;
  id.out = absolute_path(options.out);
  id.format = options.format;
  id.provisional = options.provisional;
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

// Returns what differs between the run that wrote a checkpoint and this one;
// empty when nothing does.
std::string run_difference(const RunIdentity& saved, const RunIdentity& now) {
  if (saved.out != now.out) return "--out was " + saved.out + ", now " + now.out;
  if (saved.format != now.format) return "--format was " + saved.format + ", now " + now.format;
  if (saved.provisional != now.provisional) {
    return saved.provisional ? "--provisional was given" : "--provisional was not given";
  }
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

// Reads an input again up to where a checkpoint left it: the same batches,
// through the same calls, as the run that wrote it, so the batch in hand and
// the position in it are the ones that run had; the decoder's rejections
// are not written again. Errors when the file no longer holds what the
// checkpoint counted.
Status skip_consumed(Input& in, FileResultSink& sink, const RunProgress::InputProgress& at) {
  bool more = refill(in, sink, false);
  for (std::uint64_t k = 0; k < at.consumed; ++k) {
    if (!more) {
      return make_error(in.path, "ends after " + std::to_string(k) + " records, the checkpoint counts " +
                                     std::to_string(at.consumed) + ": the input changed since");
    }
    ++in.next;
    more = refill(in, sink, false);
  }
  in.consumed = at.consumed;
  if (in.rejects_written != at.rejects_written) {
    return make_error(in.path, "holds " + std::to_string(in.rejects_written) +
                                   " rejected records up to the checkpoint, which counts " +
                                   std::to_string(at.rejects_written) + ": the input changed since");
  }
  return ok_status();
}

// Makes the output files' directory entries durable before a checkpoint
// vouches for their contents. Best effort: the files' own fsync is what a
// failure is reported for.
void sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// A named fault point (STYLE.md: faults are first-class). With
// EVENTLENS_FAULT=<name>:<n> in the environment, the process kills itself
// with SIGKILL, as a crash would, the n-th time it passes point <name>:
// tests crash it at moments no outside timing can hit reliably.
class FaultPoint {
 public:
  explicit FaultPoint(std::string_view name) {
    const char* spec = std::getenv("EVENTLENS_FAULT");
    if (spec == nullptr) return;
    const std::string_view s(spec);
    if (s.size() <= name.size() + 1 || s.substr(0, name.size()) != name || s[name.size()] != ':') return;
    at_ = std::strtoull(spec + name.size() + 1, nullptr, 10);
  }
  void pass() {
    if (at_ != 0 && ++hits_ == at_) std::raise(SIGKILL);
  }

 private:
  std::uint64_t at_ = 0;
  std::uint64_t hits_ = 0;
};

int fail_state(const ReplayCommandOptions& options, const Error& e) {
  std::fprintf(stderr, "replay: --state %s: %s\n", options.state.c_str(), e.to_string().c_str());
  return 2;
}

}  // namespace

int run_replay(const ReplayCommandOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  if (options.events.empty() && options.metrics.empty() && options.logs.empty() && options.traces.empty()) {
    std::fprintf(stderr, "replay: no input files (--events, --metrics, --logs, --traces)\n");
    return 2;
  }
  correlate::Config config = correlate::default_config();
  if (!options.config.empty()) {
    auto loaded = correlate::load_config_file(options.config);
    if (!loaded.ok()) {
      std::fprintf(stderr, "replay: %s: %s\n", options.config.c_str(), loaded.error().to_string().c_str());
      return 2;
    }
    config = std::move(*loaded);
  }
  std::optional<codec::Format> format;
  if (options.format != "auto") {
    auto f = codec::parse_format(options.format);
    if (!f.ok()) {
      std::fprintf(stderr, "replay: --format: %s\n", f.error().to_string().c_str());
      return 2;
    }
    format = *f;
  }
  std::error_code ec;
  fs::create_directories(options.out, ec);
  if (ec) {
    std::fprintf(stderr, "replay: %s: %s\n", options.out.c_str(), ec.message().c_str());
    return 2;
  }

  // The last checkpoint, when resuming.
  std::unique_ptr<stream::CheckpointStore> store;
  RunIdentity identity;
  std::optional<stream::CheckpointStore::Parts> checkpoint;
  std::optional<RunProgress> resume;
  if (!options.state.empty()) {
    auto id = identify_run(options);
    if (!id.ok()) return fail_state(options, id.error());
    identity = std::move(*id);
    auto opened = stream::CheckpointStore::open(options.state);
    if (!opened.ok()) return fail_state(options, opened.error());
    store = std::move(*opened);
    auto read = store->read();
    if (!read.ok()) return fail_state(options, read.error());
    checkpoint = std::move(*read);
    if (checkpoint) {
      for (const char* part : {"run", "shard", "correlator", "sink"}) {
        if (checkpoint->count(part) == 0) {
          return fail_state(options, make_error("checkpoint", std::string("has no part ") + part));
        }
      }
      RunIdentity saved;
      RunProgress progress;
      if (auto s = decode_run(checkpoint->at("run"), saved, progress); !s.ok()) return fail_state(options, s.error());
      if (const std::string diff = run_difference(saved, identity); !diff.empty()) {
        return fail_state(options, make_error("checkpoint", "made by a run with other arguments (" + diff +
                                                                "): resume with the same arguments, or start "
                                                                "over with an empty state directory"));
      }
      resume = std::move(progress);
    }
  }

  FileResultSink sink;
  correlate::Correlator correlator(config, sink, options.provisional);
  stream::Shard shard(config.stream, correlator);
  correlator.attach(shard);

  codec::DecodeOptions decode_options;
  decode_options.service_attributes = {"service.name"};
  std::vector<Input> inputs;
  for (const auto* list : {&options.events, &options.metrics, &options.logs, &options.traces}) {
    for (const std::string& path : *list) {
      auto src = source::FileSource::open(path, format, decode_options);
      if (!src.ok()) {
        std::fprintf(stderr, "replay: %s\n", src.error().to_string().c_str());
        return 2;
      }
      Input in;
      in.path = path;
      in.source = std::move(*src);
      in.index = shard.add_input();
      inputs.push_back(std::move(in));
    }
  }
  auto input_rejected = [&] {
    std::uint64_t n = 0;
    for (const Input& in : inputs) n += in.rejects_written;
    return n;
  };

  std::uint64_t records = 0;  // handed to the shard, all inputs
  if (resume) {
    // The shard first: the correlator checks its signal ids against it.
    stream::StateReader shard_state(checkpoint->at("shard"), "shard checkpoint");
    if (auto s = shard.load(shard_state); !s.ok()) return fail_state(options, s.error());
    stream::StateReader correlator_state(checkpoint->at("correlator"), "correlator checkpoint");
    if (auto s = correlator.load(correlator_state); !s.ok()) return fail_state(options, s.error());
    stream::StateReader sink_state(checkpoint->at("sink"), "sink checkpoint");
    if (auto s = sink.load(sink_state); !s.ok()) return fail_state(options, s.error());
    records = resume->records;
    // Each input back where the checkpoint left it (a finished run's are
    // all read to their end: nothing to read again).
    for (std::size_t i = 0; i < inputs.size() && !resume->complete; ++i) {
      if (auto s = skip_consumed(inputs[i], sink, resume->inputs[i]); !s.ok()) return fail_state(options, s.error());
    }
  }
  // Opened once nothing is left to refuse: a run that stops on a bad
  // argument or checkpoint leaves the outputs as they were.
  if (auto s = sink.open(options.out, resume ? std::optional<OutputSizes>(resume->outputs) : std::nullopt); !s.ok()) {
    std::fprintf(stderr, "replay: %s\n", s.error().to_string().c_str());
    return resume ? 2 : 1;
  }
  const std::uint64_t resumed_at = records;
  auto finish_run = [&]() {
    const bool written = sink.close();
    RunTiming timing;
    timing.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    timing.records = records - resumed_at;
    timing.resumed_at = resumed_at;
    write_summary(fs::path(options.out) / "summary.json", shard, correlator, sink, input_rejected(), timing);
    write_aggregates(fs::path(options.out) / "aggregates.json", correlator);
    if (!written) {
      std::fprintf(stderr, "replay: writing results to %s failed\n", options.out.c_str());
      return 1;
    }
    if (!options.quiet) print_human_summary(shard, correlator, sink, timing);
    return 0;
  };

  // A finished run's state holds everything the summary needs: rewrite it
  // (the crash may have come between the last checkpoint and the summary)
  // and read nothing again.
  if (resume && resume->complete) {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      inputs[i].consumed = resume->inputs[i].consumed;
      inputs[i].rejects_written = resume->inputs[i].rejects_written;
    }
    std::fprintf(stderr, "replay: the checkpoint in %s is of a finished run; summary.json rewritten\n",
                 options.state.c_str());
    return finish_run();
  }

  FaultPoint before_commit("replay.checkpoint.before_commit");
  // The outputs are on disk before the checkpoint that vouches for their
  // sizes commits; what is written after it is cut off again on resume.
  auto commit_checkpoint = [&](bool complete) -> Status {
    auto sizes = sink.sync();
    if (!sizes.ok()) return sizes.error();
    sync_directory(options.out);
    RunProgress progress;
    progress.complete = complete;
    progress.records = records;
    for (const Input& in : inputs) progress.inputs.push_back({in.consumed, in.rejects_written});
    progress.outputs = *sizes;
    stream::CheckpointStore::Parts parts;
    parts["run"] = encode_run(identity, progress);
    stream::StateWriter shard_state;
    shard.save(shard_state);
    parts["shard"] = shard_state.finish();
    stream::StateWriter correlator_state;
    correlator.save(correlator_state);
    parts["correlator"] = correlator_state.finish();
    stream::StateWriter sink_state;
    sink.save(sink_state);
    parts["sink"] = sink_state.finish();
    before_commit.pass();
    if (auto s = store->write(parts); !s.ok()) return s;
    if (!options.quiet) {
      std::fprintf(stderr, "replay: checkpoint %llu at record %llu%s\n",
                   static_cast<unsigned long long>(store->commits()), static_cast<unsigned long long>(records),
                   complete ? " (finished)" : "");
    }
    return ok_status();
  };

  // Merge the inputs by event time (ties by input order): the interleaving a
  // live system would see with every source in step, and deterministic.
  // Resuming, each input is back at the record it had next and the heap is
  // built from the same heads, so the merge goes on exactly as it would
  // have; the watermark already knows which inputs had ended.
  using Head = std::pair<TimeNs, std::size_t>;
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (resume) {
      if (!inputs[i].done) heads.push({record_time(inputs[i].batch[inputs[i].next]), i});
    } else if (refill(inputs[i], sink)) {
      heads.push({record_time(inputs[i].batch[inputs[i].next]), i});
    } else {
      shard.set_idle(inputs[i].index, true);
    }
  }
  // Each file's first record is the earliest it has: an input whose records
  // begin late (traces of a few minutes only) must not hold event time at
  // "nothing seen yet" while the others move on. (On resume this repeats
  // what the checkpointed watermark already knows.)
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].done && inputs[i].next < inputs[i].batch.size()) {
      shard.heartbeat(inputs[i].index, record_time(inputs[i].batch[inputs[i].next]));
    }
  }
  if (resume) {
    std::fprintf(stderr, "replay: resuming from the checkpoint in %s at record %llu\n", options.state.c_str(),
                 static_cast<unsigned long long>(records));
  }
  while (!heads.empty()) {
    const std::size_t i = heads.top().second;
    heads.pop();
    Input& in = inputs[i];
    shard.push(in.index, in.batch[in.next++]);
    ++in.consumed;
    ++records;
    if (refill(in, sink)) {
      // The file's next record is the earliest it has left: sparse inputs
      // (logs that come only with errors) must not hold event time back.
      const TimeNs next = record_time(in.batch[in.next]);
      shard.heartbeat(in.index, next);
      heads.push({next, i});
    } else {
      shard.set_idle(in.index, true);
    }
    if (store && options.checkpoint_every > 0 && records % options.checkpoint_every == 0) {
      if (auto s = commit_checkpoint(false); !s.ok()) {
        std::fprintf(stderr, "replay: checkpoint: %s\n", s.error().to_string().c_str());
        return 1;
      }
    }
  }
  shard.flush();
  correlator.finish();
  if (store) {
    if (auto s = commit_checkpoint(true); !s.ok()) {
      std::fprintf(stderr, "replay: checkpoint: %s\n", s.error().to_string().c_str());
      return 1;
    }
  }
  return finish_run();
}

}  // namespace eventlens::cli
