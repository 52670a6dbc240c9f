// A RecordSink that keeps every simulated record in memory, and the series
// and window means the simulator's tests read from them.
#pragma once

#include <cmath>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/records.h"
#include "simulate/record_sink.h"

namespace eventlens::test {

struct MemorySink final : simulate::RecordSink {
  std::vector<Event> events;
  std::vector<MetricSample> metrics;
  std::vector<LogRecord> logs;
  std::vector<Span> spans;
  void event(const Event& e) override { events.push_back(e); }
  void metric(const MetricSample& m) override { metrics.push_back(m); }
  void log(const LogRecord& l) override { logs.push_back(l); }
  void span(const Span& s) override { spans.push_back(s); }
  Status close() override { return ok_status(); }

  static std::string label(const MetricSample& m, std::string_view key) {
    for (const auto& [k, v] : m.labels) {
      if (k == key) return v;
    }
    return {};
  }
  // Returns (time, value) of the samples of `name` whose labels include `want`.
  std::vector<std::pair<TimeNs, double>> series(std::string_view name,
                                                const std::map<std::string, std::string>& want) const {
    std::vector<std::pair<TimeNs, double>> out;
    for (const auto& m : metrics) {
      if (m.name != name) continue;
      bool match = true;
      for (const auto& [k, v] : want) match = match && label(m, k) == v;
      if (match) out.emplace_back(m.time, m.value);
    }
    return out;
  }
};

// The mean of the values at times in [from, to); NaN when there are none.
inline double mean_between(const std::vector<std::pair<TimeNs, double>>& series, TimeNs from, TimeNs to) {
  double sum = 0;
  int n = 0;
  for (const auto& [t, v] : series) {
    if (t >= from && t < to) {
      sum += v;
      ++n;
    }
  }
  return n > 0 ? sum / n : NAN;
}

}  // namespace eventlens::test
