// One value of a series or signal at a time: what windows hand to statistics.
#pragma once

#include "model/time.h"

namespace eventlens::stream {

struct Point {
  TimeNs time;
  double value;
};

}  // namespace eventlens::stream
