// The JSON lines of correlation results (docs/engine.md): enriched events,
// incidents and dead letters. Numbers are written with 6 significant digits
// (what a person reads; the same value always gives the same text), and
// values that are not known (NaN) as null.
#pragma once

#include <string>

#include "correlate/results.h"

namespace eventlens::correlate {

// Each appends one JSON object, without a newline.
void append_enriched_json(std::string& out, const EnrichedEvent& e);
void append_incident_json(std::string& out, const Incident& incident);
void append_dead_letter_json(std::string& out, const Record& record, const Error& reason);

}  // namespace eventlens::correlate
