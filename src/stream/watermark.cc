#include "stream/watermark.h"

#include <algorithm>

namespace eventlens::stream {

std::size_t WatermarkTracker::add_input() {
  inputs_.push_back({});
  return inputs_.size() - 1;
}

void WatermarkTracker::observe(std::size_t input, TimeNs t) {
  InputState& in = inputs_[input];
  const bool was_idle = in.idle;
  in.idle = false;
  newest_ = std::max(newest_, t);
  if (t > in.newest) {
    const TimeNs before = in.newest;
    in.newest = t;
    // The watermark is at least the slowest active input's newest time minus
    // the bound. An input that was already ahead of that did not hold the
    // watermark back, so moving it further ahead cannot move it: skip the
    // scan over every input (partitions of a busy shard mostly are ahead).
    if (!was_idle && before != kNoTime && watermark_ != kNoTime && before - bound_ > watermark_) return;
    recompute();
  } else if (was_idle) {
    recompute();
  }
}

void WatermarkTracker::set_idle(std::size_t input, bool idle) {
  if (inputs_[input].idle == idle) return;
  inputs_[input].idle = idle;
  recompute();
}

void WatermarkTracker::recompute() {
  TimeNs low = std::numeric_limits<TimeNs>::max();
  bool any_active = false;
  for (const InputState& in : inputs_) {
    if (in.idle) continue;
    any_active = true;
    // An active input that has shown nothing yet holds the watermark where it
    // is: it may still send anything.
    if (in.newest == kNoTime) return;
    low = std::min(low, in.newest);
  }
  // With every input idle, event time has reached the newest record seen
  // (live: what comes next may be up to the bound older).
  const TimeNs candidate = any_active                    ? low - bound_
                           : newest_ == kNoTime          ? kNoTime
                           : all_idle_reaches_newest_ ? newest_
                                                         : newest_ - bound_;
  if (candidate != kNoTime && candidate > watermark_) watermark_ = candidate;
}

void WatermarkTracker::restore(std::vector<InputState> inputs, TimeNs watermark, TimeNs newest) {
  inputs_ = std::move(inputs);
  watermark_ = watermark;
  newest_ = newest;
}

}  // namespace eventlens::stream
