// The correlation stage: observes a shard and turns what it sees into results.
// On an event: a provisional enrichment (when asked for) and a pending final
// one, due when the watermark passes the end of the event's after window
// (for a resource request: when its nodes arrived, or gave up). On every
// final step: incident detection on the detection roles' signals, incidents
// opened and closed with ranked causes. Across events: impact aggregates per
// (service, event type), used as the history prior of cause ranking.
// Single-threaded, on the shard's thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "correlate/config.h"
#include "correlate/detector.h"
#include "correlate/enrich.h"
#include "correlate/graph.h"
#include "correlate/results.h"
#include "stream/shard.h"

namespace eventlens::correlate {

// The impacts of one (service, event type) so far.
struct ImpactAggregate {
  std::string service;
  std::string type;
  std::uint64_t count = 0;
  std::map<std::string, std::uint64_t> verdicts;  // verdict value -> count
  std::vector<double> latency_change_rel;         // after vs before, per event with latency
};

class Correlator : public stream::ShardObserver {
 public:
  Correlator(Config config, ResultSink& sink, bool emit_provisional);

  // The shard this correlator reads; must be called before any record.
  void attach(const stream::Shard& shard) { shard_ = &shard; }

  void on_event(const Event& event, bool late) override;
  // Another task's node event: a node that arrived still serves a
  // provisioning request waiting here; nothing else is judged.
  void on_context_event(const Event& event) override;
  void on_step(TimeNs step_start) override;
  void on_dead_letter(const Record& record, const Error& reason) override;

  // End of input (after Shard::flush): every pending event is finalized with
  // what there is, and incidents still open are reported open.
  void finish();

  const Config& config() const { return config_; }
  const ServiceGraph& graph() const { return graph_; }
  // Aggregates ordered by (service, type).
  const std::map<std::pair<std::string, std::string>, ImpactAggregate>& aggregates() const { return aggregates_; }
  std::uint64_t incidents_opened() const { return incidents_opened_; }
  // The baseline the last final step of `signal` was judged against (what
  // baseline_of gives over the baseline window before that step); NaN for a
  // signal detection does not watch or has not seen yet. For diagnostics
  // and tests.
  Robust detection_baseline(stream::SignalId signal, DetectionSpec::Direction direction) const;
  std::uint64_t enriched_final() const { return enriched_final_; }
  // Returns the causes of a symptom on `service` that began at `start`,
  // ranked as an incident's are, with what is final so far.
  std::vector<Cause> rank_symptom(const std::string& service, TimeNs start, std::string_view role = {}) const;

  // Checkpoints.
  void save(stream::StateWriter& out) const;
  Status load(stream::StateReader& in);

 private:
  // A node_added serves the oldest provisioning request still waiting for nodes.
  void serve_waiting_request(const Event& event);
  struct Pending {
    Event event;
    TimeNs due = 0;
    std::uint64_t seq = 0;
    bool provisioning_request = false;
    int requested = 0;
    std::vector<TimeNs> arrivals;  // node_added times assigned to this request
  };
  struct OpenIncident {
    Incident incident;
    stream::SignalId signal = 0;
    // An escalation: the start of the incident it rose on top of (that
    // incident closed as this one opened); kNoTime when none.
    TimeNs on_top_of = stream::kNoTime;
  };

  void refresh_graph();
  void finalize(Pending& p);
  void detect(TimeNs step_start);
  void rank(Incident& incident, TimeNs on_top_of) const;
  std::vector<Cause> rank_under(const Config& config, const std::string& service, TimeNs start,
                                std::string_view role) const;
  std::pair<double, std::string> history_prior(const std::string& service, const std::string& type) const;
  void record_aggregate(const EnrichedEvent& e);
  const DetectionSpec* detection_for(const std::string& role) const;

  Config config_;
  ResultSink& sink_;
  bool emit_provisional_;
  const stream::Shard* shard_ = nullptr;
  ServiceGraph graph_;
  std::size_t edges_seen_ = 0;
  // Held by pointer: every step drops the due ones from the middle, and
  // moving the thousands behind them should cost a pointer each.
  std::vector<std::unique_ptr<Pending>> pending_;
  std::size_t pending_requests_ = 0;  // of pending_, the resource requests (derived, not saved)
  std::uint64_t next_seq_ = 0;
  std::map<stream::SignalId, DetectorState> detectors_;
  // Each signal's detection baseline, slid a step at a time (derived from
  // the shard's final values: not saved, rebuilt after a restore).
  struct Baseline {
    SlidingBaseline window;
    TimeNs until = stream::kNoTime;  // the window ends here
  };
  std::vector<Baseline> baselines_;
  // How each signal is watched (nullptr: not at all) and whether it speaks
  // for its service (speaks_for_its_service), worked out again whenever a
  // signal or a series comes or goes (a cache: not saved).
  struct Watch {
    const DetectionSpec* detection = nullptr;
    std::string_view as_role;  // the role it is watched as
  };
  std::vector<Watch> watches_;
  std::uint64_t watches_series_ = ~std::uint64_t{0};  // the shard's series_changes() they were worked out at
  void refresh_watches();
  // Whether a watched errors signal of `service` deviates (its detector is
  // deviating or has an incident open).
  bool errors_deviate(stream::StringId service) const;
  std::map<std::pair<std::string, std::string>, OpenIncident> open_;  // (service, role)
  std::map<std::pair<std::string, std::string>, ImpactAggregate> aggregates_;
  // Final verdicts of recent events (id -> (time, value)), for ranking;
  // entries older than the stream's history are dropped.
  std::map<std::string, std::pair<TimeNs, std::string>> verdicts_;
  TimeNs last_verdict_sweep_ = 0;  // a pure cache of when verdicts_ was last pruned
  EnrichMemo memo_;  // work shared by events enriched in one step; a cache, not saved
  std::uint64_t incidents_opened_ = 0;
  std::uint64_t enriched_final_ = 0;
};

}  // namespace eventlens::correlate
