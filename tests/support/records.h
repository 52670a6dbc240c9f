// Small builders of model records for tests.
#pragma once

#include <string>
#include <utility>

#include "model/records.h"

namespace eventlens::test {

inline MetricSample metric_sample(std::string name, Labels labels, TimeNs t, double value) {
  MetricSample m;
  m.name = std::move(name);
  m.labels = std::move(labels);
  m.time = t;
  m.value = value;
  return m;
}

}  // namespace eventlens::test
