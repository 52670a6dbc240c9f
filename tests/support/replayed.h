// Runs records through the pipeline's engine, as replay does with one input,
// and returns the incidents as they were written when final.
#pragma once

#include <vector>

#include "correlate/config.h"
#include "correlate/problems.h"
#include "correlate/results.h"
#include "model/records.h"
#include "pipeline/engine.h"

namespace eventlens::test {

struct Replayed {
  std::vector<correlate::Incident> incidents;  // final records, in the order written
  TimeNs step_offset = 0;                      // the shard's step grid
};

inline Replayed replay_records(const correlate::Config& config, const std::vector<Record>& records) {
  struct IncidentSink final : correlate::ResultSink {
    std::vector<correlate::Incident> incidents;
    void on_enriched(const correlate::EnrichedEvent&) override {}
    void on_incident(const correlate::Incident& i, bool final) override {
      if (final) incidents.push_back(i);
    }
    void on_problem(const correlate::Problem&) override {}
    void on_explanation(const correlate::Explanation&) override {}
    void on_dead_letter(const Record&, const Error&) override {}
  } sink;
  pipeline::Engine engine(config, sink, false);
  const std::size_t input = engine.add_input();
  for (const Record& r : records) engine.push(input, r);
  engine.finish();
  return {std::move(sink.incidents), engine.shard().step_offset()};
}

}  // namespace eventlens::test
