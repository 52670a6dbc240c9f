// Event-time progress across inputs (partitions, files). Each input's
// watermark is the newest event time it has shown minus the allowed
// out-of-orderness; the engine's watermark is the smallest over inputs that
// are still active. An input that has ended, or has been idle longer than the
// idle timeout (live sources decide that on the wall clock and call
// set_idle), stops holding it back. The watermark never goes backwards.
// One per shard; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "model/time.h"

namespace eventlens::stream {

inline constexpr TimeNs kNoTime = std::numeric_limits<TimeNs>::min();

class WatermarkTracker {
 public:
  // `all_idle_reaches_newest`: with every input idle, the watermark is the
  // newest time seen (inputs that ended) rather than that less the bound
  // (live inputs that are only caught up).
  explicit WatermarkTracker(TimeNs max_out_of_orderness, bool all_idle_reaches_newest = true)
      : bound_(max_out_of_orderness), all_idle_reaches_newest_(all_idle_reaches_newest) {}

  // Registers an input and returns its index.
  std::size_t add_input();
  std::size_t inputs() const { return inputs_.size(); }

  // A record of `input` with event time `t` was seen.
  void observe(std::size_t input, TimeNs t);
  // The input ended (end of file) or went idle; it no longer holds the
  // watermark back until it shows a record again.
  void set_idle(std::size_t input, bool idle);

  // The engine's watermark: every record at or after it is on time. kNoTime
  // until some input has shown a record.
  TimeNs current() const { return watermark_; }
  // The newest event time seen on any input.
  TimeNs newest() const { return newest_; }

  struct InputState {
    TimeNs newest = kNoTime;
    bool idle = false;
  };
  const std::vector<InputState>& input_states() const { return inputs_; }
  // Restores a checkpointed state.
  void restore(std::vector<InputState> inputs, TimeNs watermark, TimeNs newest);

 private:
  void recompute();

  TimeNs bound_;
  bool all_idle_reaches_newest_;
  std::vector<InputState> inputs_;
  TimeNs watermark_ = kNoTime;
  TimeNs newest_ = kNoTime;
};

}  // namespace eventlens::stream
