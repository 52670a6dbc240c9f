// Internal to enrichment: what its measuring half (enrich.cc: signals, the
// memo, evidence) and its judging half (verdicts.cc: one verdict per event
// category) share. Not for other stages: they call enrich().
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "correlate/deviation.h"
#include "correlate/enrich.h"

namespace eventlens::correlate::enrich_detail {

// Difference in differences uses at most this many untouched services.
inline constexpr std::size_t kMaxControls = 16;

// The signals of `service` with `role`, in the order the shard made them.
std::vector<stream::SignalId> signals_with_role(const stream::Shard& shard, stream::StringId service,
                                                std::string_view role);
// The final values of a signal for steps starting in [from, to).
std::vector<Point> points(const stream::Shard& shard, stream::SignalId s, TimeNs from, TimeNs to);
// The mean of the values that are not NaN; NaN without any.
double mean_of(const std::vector<Point>& pts);
// The level just before an event: the median of the last few points.
double level_before(const std::vector<Point>& before);
// An event attribute read as a number (integer, double or numeric text).
std::optional<double> attribute_number(const Event& e, std::string_view name);
// The service itself and its direct callers and callees, as the shard's ids.
const std::vector<stream::StringId>& neighbours(const EnrichInput& in, stream::StringId service);
bool contains(const std::vector<stream::StringId>& ids, stream::StringId id);
// The mean of a signal over the steps starting in [from, to) (memoized).
double mean_over(const EnrichInput& in, stream::SignalId sig, TimeNs from, TimeNs to);
// How `service` behaved over [from, to) in whole steps (memoized; `scratch`
// holds it without a memo).
const ServiceDeviation& deviation_between(const EnrichInput& in, stream::StringId service, TimeNs from, TimeNs to,
                                          ServiceDeviation& scratch);
// The first measured signal of `role` with points before the event.
const SignalImpact* first_with_role(const EnrichedEvent& out, std::string_view role);

// The verdicts (verdicts.cc; docs/engine.md "Verdicts").
void judge_scaling(const EnrichInput& in, const Event& e, const WindowSpec& win, EnrichedEvent& out);
void judge_failure(const EnrichInput& in, const Event& e, const WindowSpec& win, EnrichedEvent& out);
void judge_provisioning(const EnrichInput& in, const Event& e, const std::optional<ProvisioningOutcome>& outcome,
                        EnrichedEvent& out);
void judge_change(const EnrichInput& in, const Event& e, EnrichedEvent& out);

}  // namespace eventlens::correlate::enrich_detail
