// Generated inputs for the decode benchmarks, and the baseline they are
// measured against: simdjson On-Demand walking every field of the same bytes.
// Pure functions; callable from any thread (each call owns its parser).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace eventlens::codec {

// Returns `n` native JSON event lines, varied like a real cluster's events
// (types, services, attributes, messages), deterministic.
std::string generate_native_events(std::size_t n);

// Returns OTLP/HTTP JSON metrics requests, one per line, holding `n` gauge and
// sum data points in all (20 points per metric, 5 metrics per resource).
std::string generate_otlp_metrics(std::size_t n);

// The baseline: parses every JSON document of `payload` (one per line) with
// simdjson On-Demand and reads every value of every field (strings unescaped,
// numbers converted). Returns the number of scalar values read, so that the
// work cannot be optimised away.
std::size_t simdjson_walk_lines(std::string_view payload);

}  // namespace eventlens::codec
