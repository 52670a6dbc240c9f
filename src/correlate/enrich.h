// Enrichment: an event joined with what its service's signals, logs and spans
// did around it, measured (before/after summaries, a shift test, a forecast
// counterfactual, difference in differences against untouched services) and
// judged (a verdict per event category with a sentence a person can check).
#pragma once

#include <optional>

#include "correlate/config.h"
#include "correlate/graph.h"
#include "correlate/results.h"
#include "stream/shard.h"

namespace eventlens::correlate {

struct EnrichInput {
  const stream::Shard& shard;
  const Config& config;
  const ServiceGraph& graph;
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
// passed the end of the after window.
EnrichedEvent enrich(const EnrichInput& in, const Event& event, bool provisional,
                     const std::optional<ProvisioningOutcome>& provisioning = std::nullopt);

// The roles worth measuring around an event of this category.
const std::vector<std::string>& roles_for(Category category);

}  // namespace eventlens::correlate
