// Enrichment: an event joined with what its service's signals, logs and spans
// did around it, measured (before/after summaries, a shift test, a forecast
// counterfactual, difference in differences against untouched services) and
// judged (a verdict per event category with a sentence a person can check).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <unordered_map>

#include "correlate/config.h"
#include "correlate/deviation.h"
#include "correlate/graph.h"
#include "correlate/results.h"
#include "stream/shard.h"

namespace eventlens::correlate {

// Work shared by the events enriched against one state of the shard. The
// events of a service within one step read the same steps of the same
// signals (windows are read in whole steps), so each signal's measurement
// over them, its forecast's fit (shared by windows of every length), each
// dependency's deviation and the service's evidence (its log templates, its
// slowest spans, the events around it) is computed once: an event storm (a
// rollout, a node failure evicting thirty pods) costs little more than one
// event. A cache only, never saved: enrich() forgets it whenever the shard
// has read a record or finalized a step since, or the graph has changed, and
// the output is the same with or without it.
class EnrichMemo {
 public:
  struct Key {
    std::uint32_t id = 0;  // a SignalId, or a service's StringId
    std::uint32_t kind = 0;
    std::array<TimeNs, 5> bounds{};
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct Stamp {
    TimeNs final_until = 0;
    std::uint64_t records = 0;
    std::uint64_t graph = 0;
    friend bool operator==(const Stamp&, const Stamp&) = default;
  };
  // An event in the neighbourhood of a service (pointing into the shard's
  // rings, which do not change while the stamp holds).
  struct NearbyEvent {
    TimeNs time;
    const stream::EventEntry* entry;
    const std::string* service;
  };

  // The warning-or-worse lines of a service in a window with one template.
  struct LogGroup {
    std::uint64_t hash = 0;
    const stream::LogEntry* example = nullptr;  // the oldest line of the template
    Severity severity = Severity::info;         // the worst
    TimeNs first = 0, last = 0;
    std::vector<TimeNs> times;  // sorted
    std::string template_text;  // of the example, built once the group is shown
  };

  // Clears the memo unless it was filled against `stamp`.
  void validate(const Stamp& stamp);

 private:
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };
  friend struct MemoAccess;
  Stamp stamp_;
  std::unordered_map<Key, SignalImpact, KeyHash> impacts_;
  std::unordered_map<Key, Forecaster, KeyHash> forecasters_;
  std::unordered_map<Key, ServiceDeviation, KeyHash> deviations_;
  std::unordered_map<Key, std::shared_ptr<const std::vector<SpanEvidence>>, KeyHash> spans_;
  std::unordered_map<Key, std::vector<LogGroup>, KeyHash> logs_;
  std::unordered_map<Key, std::vector<NearbyEvent>, KeyHash> nearby_;
  std::unordered_map<stream::StringId, std::vector<stream::StringId>> neighbours_;
};

struct EnrichInput {
  const stream::Shard& shard;
  const Config& config;
  const ServiceGraph& graph;
  EnrichMemo* memo = nullptr;  // optional
};

// For a resource request: when the nodes it asked for arrived (empty when
// they had not within provisioning_max_wait) and how many.
struct ProvisioningOutcome {
  std::optional<TimeNs> ready;
  int requested = 1;
  int added = 0;
};

// Returns the enriched record of `event`. A provisional one uses what is
// known now (the before window); a final one is built once the watermark has
// passed the end of the after window. The record holds `event` (move it in
// when it is not needed after).
EnrichedEvent enrich(const EnrichInput& in, Event event, bool provisional,
                     const std::optional<ProvisioningOutcome>& provisioning = std::nullopt);

// The roles worth measuring around an event of this category.
const std::vector<std::string>& roles_for(Category category);

}  // namespace eventlens::correlate
