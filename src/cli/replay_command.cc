#include "cli/replay_command.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <queue>

#include "codec/decoder.h"
#include "codec/json_writer.h"
#include "correlate/config.h"
#include "correlate/correlator.h"
#include "correlate/phrases.h"
#include "correlate/results_json.h"
#include "source/file_source.h"
#include "stream/shard.h"

namespace eventlens::cli {

namespace {

namespace fs = std::filesystem;
using correlate::EnrichedEvent;
using correlate::Incident;

// An output file written through a large buffer.
class OutputFile {
 public:
  Status open(const fs::path& path) {
    path_ = path.string();
    file_ = std::fopen(path_.c_str(), "wb");
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
    buffer_.clear();
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
  bool failed_ = false;
};

// Results to files; incidents only in their final state.
class FileResultSink : public correlate::ResultSink {
 public:
  Status open(const fs::path& dir) {
    if (auto s = enriched_.open(dir / "enriched_events.jsonl"); !s.ok()) return s;
    if (auto s = incidents_.open(dir / "incidents.jsonl"); !s.ok()) return s;
    return dead_.open(dir / "dead_letter.jsonl");
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
};

constexpr std::size_t kBatch = 4096;

// Fills the input's batch when it is used up; false once the file has ended.
bool refill(Input& in, FileResultSink& sink, std::uint64_t& rejected) {
  while (in.next >= in.batch.size()) {
    if (in.done) return false;
    in.next = 0;
    if (!in.source->next_batch(in.batch, in.rejected, kBatch)) {
      in.done = true;
      in.batch.clear();
    }
    for (const auto& r : in.rejected) {
      sink.on_input_reject(in.path, r);
      ++rejected;
    }
    if (in.done) return false;
  }
  return true;
}

void write_summary(const fs::path& path, const stream::Shard& shard, const correlate::Correlator& correlator,
                   const FileResultSink& sink, std::uint64_t input_rejected, double wall_s) {
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
  // Timing differs from run to run; everything above it does not.
  w.key("run");
  w.begin_object();
  w.key("wall_s");
  w.number(wall_s);
  w.key("records_per_s");
  w.number(wall_s > 0 ? static_cast<double>(c.records) / wall_s : 0.0);
  w.end_object();
  w.end_object();
  out += '\n';
  if (std::FILE* f = std::fopen(path.string().c_str(), "wb")) {
    std::fwrite(out.data(), 1, out.size(), f);
    std::fclose(f);
  }
}

void print_human_summary(const stream::Shard& shard, const correlate::Correlator& correlator,
                         const FileResultSink& sink, double wall_s) {
  const stream::ShardCounters& c = shard.counters();
  std::printf("replay: %llu records in %.2f s (%.0f records/s); %llu events enriched, %zu incidents, %llu dead letters\n",
              static_cast<unsigned long long>(c.records), wall_s,
              wall_s > 0 ? static_cast<double>(c.records) / wall_s : 0.0,
              static_cast<unsigned long long>(correlator.enriched_final()), sink.incidents_seen_.size(),
              static_cast<unsigned long long>(sink.dead_letters_));
  if (!sink.verdicts_.empty()) {
    std::printf("verdicts:");
    for (const auto& [k, v] : sink.verdicts_) std::printf("  %s %llu", k.c_str(), static_cast<unsigned long long>(v));
    std::printf("\n");
  }
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

  FileResultSink sink;
  if (auto s = sink.open(options.out); !s.ok()) {
    std::fprintf(stderr, "replay: %s\n", s.error().to_string().c_str());
    return 1;
  }
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

  // Merge the inputs by event time (ties by input order): the interleaving a
  // live system would see with every source in step, and deterministic.
  std::uint64_t input_rejected = 0;
  using Head = std::pair<TimeNs, std::size_t>;
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (refill(inputs[i], sink, input_rejected)) {
      heads.push({record_time(inputs[i].batch[inputs[i].next]), i});
    } else {
      shard.set_idle(inputs[i].index, true);
    }
  }
  while (!heads.empty()) {
    const std::size_t i = heads.top().second;
    heads.pop();
    Input& in = inputs[i];
    shard.push(in.index, in.batch[in.next++]);
    if (refill(in, sink, input_rejected)) {
      // The file's next record is the earliest it has left: sparse inputs
      // (logs that come only with errors) must not hold event time back.
      const TimeNs next = record_time(in.batch[in.next]);
      shard.heartbeat(in.index, next);
      heads.push({next, i});
    } else {
      shard.set_idle(in.index, true);
    }
  }
  shard.flush();
  correlator.finish();

  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const bool written = sink.close();
  write_summary(fs::path(options.out) / "summary.json", shard, correlator, sink, input_rejected, wall_s);
  if (!written) {
    std::fprintf(stderr, "replay: writing results to %s failed\n", options.out.c_str());
    return 1;
  }
  if (!options.quiet) print_human_summary(shard, correlator, sink, wall_s);
  return 0;
}

}  // namespace eventlens::cli
