// Ranking the candidate causes of an incident. Two kinds of candidate:
// services whose own telemetry went wrong (scored on how early, how strongly,
// how close in the call graph, and whether their own dependencies stayed
// normal), and events (scored on the service they touched, how closely they
// preceded its deviation, their type, and how similar events went before).
// Every part of a score is returned as a reason with a sentence.
#pragma once

#include <algorithm>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "correlate/config.h"
#include "correlate/graph.h"
#include "correlate/results.h"
#include "stream/shard.h"

namespace eventlens::correlate {

struct RankInput {
  const stream::Shard& shard;
  const Config& config;
  const ServiceGraph& graph;
  // How often events of (service, type) did harm before, in [0, 1] (0.5 when
  // nothing is known), with a sentence saying why.
  std::function<std::pair<double, std::string>(const std::string& service, const std::string& type)> history;
  // The final verdict already given to an event ("" when none yet).
  std::function<std::string(const std::string& event_id)> verdict;
};

// Returns the causes of an incident on `service` that started at `start`,
// at most `max_causes`: first the best cause of each root (a service, named
// by itself or by an event on it; a service-less event), best first, then
// the others, best first.
// `symptom_role` is the role of the signal that went wrong ("" when not
// known): a latency symptom is not what a dependency's errors produce.
std::vector<Cause> rank_causes(const RankInput& in, const std::string& service, TimeNs start,
                               std::string_view symptom_role = {}, std::size_t max_causes = 10);

// Returns how far past a symptom's start the ranking reads (a cause can show
// a step or two after the symptom was first seen: the symptom's step may be
// cut differently from the cause's).
inline TimeNs ranking_slack(TimeNs step) { return std::max<TimeNs>(2 * 60 * stream::kSecond, 2 * step); }

// The prior that an event of this type causes trouble (docs/engine.md has the table).
double event_type_prior(const std::string& type, Category category);

}  // namespace eventlens::correlate
