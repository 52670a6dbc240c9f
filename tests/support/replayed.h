// Runs records through a shard and a correlator, as replay does with one
// input, and returns the incidents as they were written when final.
#pragma once

#include <vector>

#include "correlate/config.h"
#include "correlate/correlator.h"
#include "model/records.h"
#include "stream/shard.h"

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
    void on_dead_letter(const Record&, const Error&) override {}
  } sink;
  correlate::Correlator correlator(config, sink, false);
  stream::Shard shard(config.stream, correlator);
  correlator.attach(shard);
  const std::size_t input = shard.add_input();
  for (const Record& r : records) shard.push(input, r);
  shard.flush();
  correlator.finish();
  return {std::move(sink.incidents), shard.step_offset()};
}

}  // namespace eventlens::test
