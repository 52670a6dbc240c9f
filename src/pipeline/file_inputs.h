// Input files merged into one receiver (the engine) by event time (ties by
// input order): the interleaving a live system would see with every source in
// step, and deterministic. Each file is one input of the receiver; a file
// that has ended goes idle, and each file's next record is the receiver's
// heartbeat for it, so a sparse file (logs that come only with errors, traces
// of a few minutes) never holds event time back. Resumable: progress() is what a checkpoint
// keeps, skip_to() reads the files again up to it. Single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "codec/decoder.h"
#include "model/records.h"
#include "model/result.h"
#include "pipeline/record_receiver.h"
#include "source/file_source.h"

namespace eventlens::pipeline {

// Returns the time a record is merged by (a span's start).
TimeNs record_time(const Record& r);

class TimeMergedFiles {
 public:
  // Where the decoder's rejections go, with the file's path.
  using RejectHandler = std::function<void(const std::string& file, const source::RejectedRecord&)>;
  // How far one file was read, as a checkpoint records it.
  struct Progress {
    std::uint64_t consumed = 0;         // records handed to the receiver
    std::uint64_t rejects_written = 0;  // decoder rejections handed to the RejectHandler
  };

  // Opens every file of `paths` (in order) and gives each an input of
  // `receiver`, which must outlive this. Errors name the file.
  static Result<TimeMergedFiles> open(const std::vector<std::string>& paths, std::optional<codec::Format> format,
                                      const codec::DecodeOptions& options, RecordReceiver& receiver,
                                      RejectHandler on_reject);

  std::vector<Progress> progress() const;
  // Returns the decoder rejections handed on so far, all files.
  std::uint64_t rejected() const;

  // Reads each file again up to where a checkpoint left it: the same
  // batches, through the same calls, as the run that wrote it, so the batch
  // in hand and the position in it are the ones that run had; rejections are
  // not handed on again. Errors when a file no longer holds what the
  // checkpoint counted.
  Status skip_to(const std::vector<Progress>& at);
  // Takes a finished run's counts without reading anything.
  void restore_finished(const std::vector<Progress>& at);

  // Builds the merge from each file's next record, and tells the receiver
  // where each file begins (an input whose records begin late must not hold
  // event time at "nothing seen yet" while the others move on) and which
  // files are empty. After skip_to(), `resumed`: the engine's checkpointed
  // watermark already knows which files had ended.
  void start(bool resumed);
  // Pushes the earliest next record of all files into the receiver; returns
  // false, pushing nothing, once every file has ended.
  bool push_next();

 private:
  struct Input {
    std::string path;
    std::unique_ptr<source::FileSource> source;
    std::vector<Record> batch;
    std::vector<source::RejectedRecord> rejected;
    std::size_t next = 0;
    std::size_t receiver_input = 0;
    bool done = false;
    Progress progress;
  };
  static constexpr std::size_t kBatch = 4096;

  TimeMergedFiles(RecordReceiver& receiver, RejectHandler on_reject)
      : receiver_(&receiver), on_reject_(std::move(on_reject)) {}
  bool refill(Input& in, bool hand_on_rejected = true);

  RecordReceiver* receiver_;
  RejectHandler on_reject_;
  std::vector<Input> inputs_;
  using Head = std::pair<TimeNs, std::size_t>;
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heads_;
};

}  // namespace eventlens::pipeline
