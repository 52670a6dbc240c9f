// What a source drives: the engine's side of the source → engine interface.
// A source registers its inputs (a file, a partition), pushes their records
// in the order it chose, and tells event time what it knows beyond them.
// Called on the engine's thread.
#pragma once

#include <cstddef>

#include "model/records.h"
#include "model/time.h"

namespace eventlens::pipeline {

class RecordReceiver {
 public:
  virtual ~RecordReceiver() = default;
  // Returns the id of a new input: the watermark waits for every input that
  // is not idle.
  virtual std::size_t add_input() = 0;
  virtual void push(std::size_t input, const Record& record) = 0;
  // The input's next record is no earlier than `t` (an input whose records
  // are sparse must not hold event time back).
  virtual void heartbeat(std::size_t input, TimeNs t) = 0;
  // An idle input (ended, or silent) does not hold the watermark.
  virtual void set_idle(std::size_t input, bool idle) = 0;
};

}  // namespace eventlens::pipeline
