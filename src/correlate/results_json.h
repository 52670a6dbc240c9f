// The JSON lines of correlation results (docs/engine.md): enriched events,
// incidents, problems and dead letters. Numbers are written with 6 significant digits
// (what a person reads; the same value always gives the same text), and
// values that are not known (NaN) as null.
#pragma once

#include <string>

#include <map>
#include <utility>

#include "correlate/correlator.h"
#include "correlate/results.h"

namespace eventlens::correlate {

// Each appends one JSON object, without a newline.
void append_enriched_json(std::string& out, const EnrichedEvent& e);
void append_incident_json(std::string& out, const Incident& incident);
void append_problem_json(std::string& out, const Problem& problem);
void append_explanation_json(std::string& out, const Explanation& explanation);
void append_dead_letter_json(std::string& out, const Record& record, const Error& reason);

// The impacts per (service, event type) as one JSON array, each entry with
// its counts, the distribution of relative p95 latency changes (median, p25,
// p75) and a sentence ("scale_up events of checkout lowered p95 latency by a
// median 31 % (n = 42)").
void append_aggregates_json(std::string& out,
                            const std::map<std::pair<std::string, std::string>, ImpactAggregate>& aggregates);
// The sentence alone.
std::string aggregate_sentence(const ImpactAggregate& a);

}  // namespace eventlens::correlate
