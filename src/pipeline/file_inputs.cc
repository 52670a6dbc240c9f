#include "pipeline/file_inputs.h"

namespace eventlens::pipeline {

TimeNs record_time(const Record& r) {
  switch (r.index()) {
    case 0: return std::get<Event>(r).time;
    case 1: return std::get<MetricSample>(r).time;
    case 2: return std::get<LogRecord>(r).time;
    default: return std::get<Span>(r).start;
  }
}

Result<TimeMergedFiles> TimeMergedFiles::open(const std::vector<std::string>& paths,
                                              std::optional<codec::Format> format,
                                              const codec::DecodeOptions& options, RecordReceiver& receiver,
                                              RejectHandler on_reject) {
  TimeMergedFiles files(receiver, std::move(on_reject));
  for (const std::string& path : paths) {
    auto src = source::FileSource::open(path, format, options);
    if (!src.ok()) return src.error();
    Input in;
    in.path = path;
    in.source = std::move(*src);
    in.receiver_input = receiver.add_input();
    files.inputs_.push_back(std::move(in));
  }
  return files;
}

std::vector<TimeMergedFiles::Progress> TimeMergedFiles::progress() const {
  std::vector<Progress> out;
  for (const Input& in : inputs_) out.push_back(in.progress);
  return out;
}

std::uint64_t TimeMergedFiles::rejected() const {
  std::uint64_t n = 0;
  for (const Input& in : inputs_) n += in.progress.rejects_written;
  return n;
}

// Fills the input's batch when it is used up; false once the file has ended.
bool TimeMergedFiles::refill(Input& in, bool hand_on_rejected) {
  while (in.next >= in.batch.size()) {
    if (in.done) return false;
    in.next = 0;
    if (!in.source->next_batch(in.batch, in.rejected, kBatch)) {
      in.done = true;
      in.batch.clear();
    }
    for (const auto& r : in.rejected) {
      if (hand_on_rejected) on_reject_(in.path, r);
      ++in.progress.rejects_written;
    }
    if (in.done) return false;
  }
  return true;
}

Status TimeMergedFiles::skip_to(const std::vector<Progress>& at) {
  for (std::size_t i = 0; i < inputs_.size() && i < at.size(); ++i) {
    Input& in = inputs_[i];
    bool more = refill(in, false);
    for (std::uint64_t k = 0; k < at[i].consumed; ++k) {
      if (!more) {
        return make_error(in.path, "ends after " + std::to_string(k) + " records, the checkpoint counts " +
                                       std::to_string(at[i].consumed) + ": the input changed since");
      }
      ++in.next;
      more = refill(in, false);
    }
    in.progress.consumed = at[i].consumed;
    if (in.progress.rejects_written != at[i].rejects_written) {
      return make_error(in.path, "holds " + std::to_string(in.progress.rejects_written) +
                                     " rejected records up to the checkpoint, which counts " +
                                     std::to_string(at[i].rejects_written) + ": the input changed since");
    }
  }
  return ok_status();
}

void TimeMergedFiles::restore_finished(const std::vector<Progress>& at) {
  for (std::size_t i = 0; i < inputs_.size() && i < at.size(); ++i) inputs_[i].progress = at[i];
}

void TimeMergedFiles::start(bool resumed) {
  for (std::size_t i = 0; i < inputs_.size(); ++i) {
    Input& in = inputs_[i];
    if (resumed) {
      if (!in.done) heads_.push({record_time(in.batch[in.next]), i});
    } else if (refill(in)) {
      heads_.push({record_time(in.batch[in.next]), i});
    } else {
      receiver_->set_idle(in.receiver_input, true);
    }
  }
  for (Input& in : inputs_) {
    if (!in.done && in.next < in.batch.size()) receiver_->heartbeat(in.receiver_input, record_time(in.batch[in.next]));
  }
}

bool TimeMergedFiles::push_next() {
  if (heads_.empty()) return false;
  const std::size_t i = heads_.top().second;
  heads_.pop();
  Input& in = inputs_[i];
  receiver_->push(in.receiver_input, in.batch[in.next++]);
  ++in.progress.consumed;
  if (refill(in)) {
    // The file's next record is the earliest it has left.
    const TimeNs next = record_time(in.batch[in.next]);
    receiver_->heartbeat(in.receiver_input, next);
    heads_.push({next, i});
  } else {
    receiver_->set_idle(in.receiver_input, true);
  }
  return true;
}

}  // namespace eventlens::pipeline
