#include "sink/result_files.h"

#include <unistd.h>

#include "codec/json_writer.h"
#include "correlate/checkpoint_records.h"
#include "correlate/problems.h"
#include "correlate/results_json.h"

namespace eventlens::sink {

namespace fs = std::filesystem;

Status OutputFile::open(const fs::path& path, std::optional<std::uint64_t> resume_at) {
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

void OutputFile::flush() {
  if (file_ == nullptr || buffer_.empty()) return;
  if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) failed_ = true;
  bytes_ += buffer_.size();
  buffer_.clear();
}

Result<std::uint64_t> OutputFile::sync() {
  flush();
  if (file_ == nullptr || std::fflush(file_) != 0 || ::fsync(::fileno(file_)) != 0) failed_ = true;
  if (failed_) return make_error(path_, "writing failed");
  return bytes_;
}

bool OutputFile::close() {
  if (file_ == nullptr) return !failed_;
  flush();
  if (std::fclose(file_) != 0) failed_ = true;
  file_ = nullptr;
  return !failed_;
}

Status ResultFiles::open(const fs::path& dir, const std::optional<Sizes>& resume_at) {
  auto at = [&](std::size_t i) { return resume_at ? std::optional<std::uint64_t>((*resume_at)[i]) : std::nullopt; };
  if (auto s = enriched_.open(dir / "enriched_events.jsonl", at(0)); !s.ok()) return s;
  if (auto s = incidents_.open(dir / "incidents.jsonl", at(1)); !s.ok()) return s;
  if (auto s = problems_.open(dir / "problems.jsonl", at(2)); !s.ok()) return s;
  if (auto s = explanations_.open(dir / "explanations.jsonl", at(3)); !s.ok()) return s;
  return dead_.open(dir / "dead_letter.jsonl", at(4));
}

void ResultFiles::on_enriched(const correlate::EnrichedEvent& e) {
  correlate::append_enriched_json(enriched_.buffer(), e);
  enriched_.line_done();
  if (!e.provisional) ++verdicts_[e.verdict.kind + ": " + e.verdict.value];
}

void ResultFiles::on_incident(const correlate::Incident& incident, bool final) {
  if (!final) return;
  correlate::append_incident_json(incidents_.buffer(), incident);
  incidents_.line_done();
  incidents_seen_.push_back(incident);
}

void ResultFiles::on_problem(const correlate::Problem& problem) {
  correlate::append_problem_json(problems_.buffer(), problem);
  problems_.line_done();
  problem_summaries_.push_back(problem.summary);
}

void ResultFiles::on_explanation(const correlate::Explanation& explanation) {
  correlate::append_explanation_json(explanations_.buffer(), explanation);
  explanations_.line_done();
}

void ResultFiles::on_dead_letter(const Record& record, const Error& reason) {
  correlate::append_dead_letter_json(dead_.buffer(), record, reason);
  dead_.line_done();
  ++dead_letters_;
}

void ResultFiles::on_input_reject(const std::string& file, const source::RejectedRecord& r) {
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

bool ResultFiles::close() {
  bool ok = true;
  for (OutputFile* f : {&enriched_, &incidents_, &problems_, &explanations_, &dead_}) ok = f->close() && ok;
  return ok;
}

Result<ResultFiles::Sizes> ResultFiles::sync() {
  Sizes sizes{};
  OutputFile* files[] = {&enriched_, &incidents_, &problems_, &explanations_, &dead_};
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    auto size = files[i]->sync();
    if (!size.ok()) return size.error();
    sizes[i] = *size;
  }
  return sizes;
}

void ResultFiles::save(stream::StateWriter& out) const {
  out.count(verdicts_.size());
  for (const auto& [verdict, n] : verdicts_) {
    out.str(verdict);
    out.u64(n);
  }
  out.count(incidents_seen_.size());
  for (const correlate::Incident& inc : incidents_seen_) correlate::save_incident(out, inc);
  out.u64(dead_letters_);
  out.count(problem_summaries_.size());
  for (const std::string& s : problem_summaries_) out.str(s);
}

Status ResultFiles::load(stream::StateReader& in) {
  const std::size_t verdicts = in.count(16);
  for (std::size_t i = 0; i < verdicts && in.ok(); ++i) {
    std::string verdict = in.str();
    verdicts_[std::move(verdict)] = in.u64();
  }
  incidents_seen_.resize(in.count(8 * 12));
  for (correlate::Incident& inc : incidents_seen_) correlate::load_incident(in, inc);
  dead_letters_ = in.u64();
  problem_summaries_.resize(in.count(8));
  for (std::string& s : problem_summaries_) s = in.str();
  return in.finish();
}

}  // namespace eventlens::sink
