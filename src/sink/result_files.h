// The results of a run as files in one directory — enriched_events.jsonl,
// incidents.jsonl (final incidents only), problems.jsonl, explanations.jsonl,
// dead_letter.jsonl — written
// through large buffers, with what a run's summary counts. Resumable: a
// checkpoint records the files' synced sizes and this sink's counts, and a
// resumed run cuts each file back to the size its checkpoint vouches for.
// Single-threaded.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "correlate/results.h"
#include "model/records.h"
#include "model/result.h"
#include "source/file_source.h"
#include "stream/state_io.h"

namespace eventlens::sink {

// One output file written through a large buffer.
class OutputFile {
 public:
  OutputFile() = default;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile() { close(); }

  // A new, empty file; or, resuming, the file cut back to the `resume_at`
  // bytes the checkpoint vouches for (what came after them is written again).
  Status open(const std::filesystem::path& path, std::optional<std::uint64_t> resume_at);
  // The line being written; line_done() ends it.
  std::string& buffer() { return buffer_; }
  void line_done() {
    buffer_ += '\n';
    if (buffer_.size() >= (1u << 20)) flush();
  }
  // Returns the file's size once everything written so far is on disk.
  Result<std::uint64_t> sync();
  // Returns false when any write failed.
  bool close();

 private:
  void flush();

  std::string path_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
  std::uint64_t bytes_ = 0;  // in the file (buffer not included)
  bool failed_ = false;
};

class ResultFiles final : public correlate::ResultSink {
 public:
  // The sizes of the files, in the order open() opens them.
  using Sizes = std::array<std::uint64_t, 5>;

  // Opens the files in `dir`; resuming, each is cut back to its checkpointed size.
  Status open(const std::filesystem::path& dir, const std::optional<Sizes>& resume_at);

  void on_enriched(const correlate::EnrichedEvent& e) override;
  void on_incident(const correlate::Incident& incident, bool final) override;
  void on_problem(const correlate::Problem& problem) override;
  void on_explanation(const correlate::Explanation& explanation) override;
  void on_dead_letter(const Record& record, const Error& reason) override;
  // A record the decoder refused: there is no record to show, only where it was.
  void on_input_reject(const std::string& file, const source::RejectedRecord& r);

  // Returns false when any write failed.
  bool close();
  // Returns the file sizes once everything written so far is on disk.
  Result<Sizes> sync();

  // Checkpoints: what the summary counts.
  void save(stream::StateWriter& out) const;
  Status load(stream::StateReader& in);

  // Final verdicts by "category: value".
  const std::map<std::string, std::uint64_t>& verdicts() const { return verdicts_; }
  // Final incidents, in the order they were written.
  const std::vector<correlate::Incident>& incidents() const { return incidents_seen_; }
  std::uint64_t dead_letters() const { return dead_letters_; }
  std::uint64_t problems() const { return problem_summaries_.size(); }
  // Each problem's summary sentence, in the order written.
  const std::vector<std::string>& problem_summaries() const { return problem_summaries_; }

 private:
  std::map<std::string, std::uint64_t> verdicts_;
  std::vector<correlate::Incident> incidents_seen_;
  std::uint64_t dead_letters_ = 0;
  std::vector<std::string> problem_summaries_;
  OutputFile enriched_, incidents_, problems_, explanations_, dead_;
};

}  // namespace eventlens::sink
