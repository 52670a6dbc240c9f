#include "pipeline/replay.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "codec/decoder.h"
#include "codec/json_writer.h"
#include "correlate/config.h"
#include "correlate/explain.h"
#include "correlate/results_json.h"
#include "pipeline/engine.h"
#include "pipeline/fault_point.h"
#include "pipeline/file_inputs.h"
#include "pipeline/replay_checkpoint.h"
#include "sink/result_files.h"
#include "stream/checkpoint_store.h"
#include "stream/state_io.h"

namespace eventlens::pipeline {

namespace {

namespace fs = std::filesystem;

void write_summary(const fs::path& path, const stream::Shard& shard, const correlate::Correlator& correlator,
                   const sink::ResultFiles& sink, std::uint64_t input_rejected, const RunTiming& run) {
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
  count("incidents", sink.incidents().size());
  count("problems", sink.problems());
  count("dead_letters", sink.dead_letters());
  w.end_object();
  w.key("verdicts");
  w.begin_object();
  for (const auto& [k, v] : sink.verdicts()) count(k, v);
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


// Makes the output files' directory entries durable before a checkpoint
// vouches for their contents. Best effort: the files' own fsync is what a
// failure is reported for.
void sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

ReplayOutcome refused(std::string message) { return {ReplayOutcome::Kind::refused, std::move(message), {}}; }
ReplayOutcome failed(std::string message) { return {ReplayOutcome::Kind::failed, std::move(message), {}}; }

// The last checkpoint, when resuming: the run's progress and every part.
struct Resume {
  RunProgress progress;
  stream::CheckpointStore::Parts parts;
};

}  // namespace

ReplayOutcome run_replay(const ReplaySpec& spec, const ReplayLog& log) {
  const auto started = std::chrono::steady_clock::now();
  auto notify = [&](ReplayNotice notice, const std::string& text) {
    if (log) log(notice, text);
  };
  if (spec.events.empty() && spec.metrics.empty() && spec.logs.empty() && spec.traces.empty()) {
    return refused("no input files (--events, --metrics, --logs, --traces)");
  }
  correlate::Config config = correlate::default_config();
  if (!spec.config.empty()) {
    auto loaded = correlate::load_config_file(spec.config);
    if (!loaded.ok()) return refused(spec.config + ": " + loaded.error().to_string());
    config = std::move(*loaded);
  }
  std::optional<codec::Format> format;
  if (spec.format != "auto") {
    auto f = codec::parse_format(spec.format);
    if (!f.ok()) return refused("--format: " + f.error().to_string());
    format = *f;
  }
  std::vector<correlate::ExplainRequest> explain;
  for (const std::string& e : spec.explain) {
    auto request = correlate::parse_explain_request(e);
    if (!request.ok()) return refused("--explain " + e + ": " + request.error().reason);
    explain.push_back(std::move(*request));
  }
  std::error_code ec;
  fs::create_directories(spec.out, ec);
  if (ec) return refused(spec.out + ": " + ec.message());

  auto state_refused = [&](const Error& e) { return refused("--state " + spec.state + ": " + e.to_string()); };
  std::unique_ptr<stream::CheckpointStore> store;
  RunIdentity identity;
  std::optional<Resume> resume;
  if (!spec.state.empty()) {
    auto id = identify_run(spec);
    if (!id.ok()) return state_refused(id.error());
    identity = std::move(*id);
    auto opened = stream::CheckpointStore::open(spec.state);
    if (!opened.ok()) return state_refused(opened.error());
    store = std::move(*opened);
    auto read = store->read();
    if (!read.ok()) return state_refused(read.error());
    if (*read) {
      // The engine's own parts are the engine's to check (Engine::load).
      for (const char* part : {"run", "sink"}) {
        if ((*read)->count(part) == 0) return state_refused(make_error("checkpoint", std::string("has no part ") + part));
      }
      Resume r;
      RunIdentity saved;
      if (auto s = decode_run((*read)->at("run"), saved, r.progress); !s.ok()) return state_refused(s.error());
      if (const std::string diff = run_difference(saved, identity); !diff.empty()) {
        return state_refused(make_error("checkpoint", "made by a run with other arguments (" + diff +
                                                          "): resume with the same arguments, or start "
                                                          "over with an empty state directory"));
      }
      r.parts = std::move(**read);
      resume = std::move(r);
    }
  }

  sink::ResultFiles sink;
  Engine engine(std::move(config), sink, spec.provisional, std::move(explain));

  codec::DecodeOptions decode_options;
  decode_options.service_attributes = {"service.name"};
  std::vector<std::string> paths;
  for (const auto* list : {&spec.events, &spec.metrics, &spec.logs, &spec.traces}) {
    paths.insert(paths.end(), list->begin(), list->end());
  }
  auto opened = TimeMergedFiles::open(paths, format, decode_options, engine,
                                      [&sink](const std::string& file, const source::RejectedRecord& r) {
                                        sink.on_input_reject(file, r);
                                      });
  if (!opened.ok()) return refused(opened.error().to_string());
  TimeMergedFiles inputs = std::move(*opened);

  std::uint64_t records = 0;  // handed to the engine, all inputs
  if (resume) {
    if (auto s = engine.load(resume->parts); !s.ok()) return state_refused(s.error());
    stream::StateReader sink_state(resume->parts.at("sink"), "sink checkpoint");
    if (auto s = sink.load(sink_state); !s.ok()) return state_refused(s.error());
    records = resume->progress.records;
    // Each input back where the checkpoint left it (a finished run's are
    // all read to their end: nothing to read again).
    if (!resume->progress.complete) {
      if (auto s = inputs.skip_to(resume->progress.inputs); !s.ok()) return state_refused(s.error());
    }
  }
  // Opened once nothing is left to refuse: a run that stops on a bad
  // argument or checkpoint leaves the outputs as they were.
  if (auto s = sink.open(spec.out, resume ? std::optional<sink::ResultFiles::Sizes>(resume->progress.outputs)
                                          : std::nullopt);
      !s.ok()) {
    return resume ? refused(s.error().to_string()) : failed(s.error().to_string());
  }
  const std::uint64_t resumed_at = records;
  auto finish_run = [&]() {
    const bool written = sink.close();
    ReplayOutcome outcome;
    RunTiming& timing = outcome.report.timing;
    timing.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    timing.records = records - resumed_at;
    timing.resumed_at = resumed_at;
    write_summary(fs::path(spec.out) / "summary.json", engine.shard(), engine.correlator(), sink, inputs.rejected(),
                  timing);
    write_aggregates(fs::path(spec.out) / "aggregates.json", engine.correlator());
    if (!written) return failed("writing results to " + spec.out + " failed");
    ReplayReport& report = outcome.report;
    report.counters = engine.shard().counters();
    report.enriched_final = engine.correlator().enriched_final();
    report.incidents = sink.incidents();
    report.verdicts = sink.verdicts();
    report.dead_letters = sink.dead_letters();
    report.problems = sink.problem_summaries();
    report.aggregates = engine.correlator().aggregates();
    return outcome;
  };

  // A finished run's state holds everything the summary needs: rewrite it
  // (the crash may have come between the last checkpoint and the summary)
  // and read nothing again.
  if (resume && resume->progress.complete) {
    inputs.restore_finished(resume->progress.inputs);
    notify(ReplayNotice::finished_before,
           "the checkpoint in " + spec.state + " is of a finished run; summary.json rewritten");
    return finish_run();
  }

  FaultPoint before_commit("replay.checkpoint.before_commit");
  // The outputs are on disk before the checkpoint that vouches for their
  // sizes commits; what is written after it is cut off again on resume.
  auto commit_checkpoint = [&](bool complete) -> Status {
    auto sizes = sink.sync();
    if (!sizes.ok()) return sizes.error();
    sync_directory(spec.out);
    RunProgress progress;
    progress.complete = complete;
    progress.records = records;
    progress.inputs = inputs.progress();
    progress.outputs = *sizes;
    stream::CheckpointStore::Parts parts;
    parts["run"] = encode_run(identity, progress);
    engine.save(parts);
    stream::StateWriter sink_state;
    sink.save(sink_state);
    parts["sink"] = sink_state.finish();
    before_commit.pass();
    if (auto s = store->write(parts); !s.ok()) return s;
    notify(ReplayNotice::checkpoint, "checkpoint " + std::to_string(store->commits()) + " at record " +
                                         std::to_string(records) + (complete ? " (finished)" : ""));
    return ok_status();
  };

  // Resuming, each input is back at the record it had next and the merge is
  // built from the same heads, so it goes on exactly as it would have.
  inputs.start(resume.has_value());
  if (resume) {
    notify(ReplayNotice::resumed,
           "resuming from the checkpoint in " + spec.state + " at record " + std::to_string(records));
  }
  while (inputs.push_next()) {
    ++records;
    if (store && spec.checkpoint_every > 0 && records % spec.checkpoint_every == 0) {
      if (auto s = commit_checkpoint(false); !s.ok()) return failed("checkpoint: " + s.error().to_string());
    }
  }
  engine.finish();
  if (store) {
    if (auto s = commit_checkpoint(true); !s.ok()) return failed("checkpoint: " + s.error().to_string());
  }
  return finish_run();
}

}  // namespace eventlens::pipeline
