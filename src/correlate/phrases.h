// Small formatting helpers for the sentences verdicts and reasons carry
// ("memory at 98 % of its 512 MiB limit, rising 6 MiB/min for 9 min").
// Pure functions.
#pragma once

#include <string>

#include "correlate/results.h"
#include "model/time.h"

namespace eventlens::correlate {

// "45 s", "2 min 10 s", "1 h 5 min".
std::string human_duration(TimeNs d);
// `v` with `digits` decimals, "-" when NaN; never a negative zero ("0.00",
// not "-0.00", for anything that rounds to zero). Every number a sentence
// carries goes through here.
std::string fixed(double v, int digits);
// 536870912 -> "512 MiB".
std::string human_bytes(double bytes);
// "10:02:15" (UTC).
std::string clock_time(TimeNs t);
// A value of a role in its natural unit: latency "231 ms", errors "4.1 %",
// memory "498 MiB", throughput "120 req/s", anything else plain.
std::string role_value(const std::string& role, double v);
// A cause as a sentence part: "deploy of payment at 10:02:15", or
// "payment (its own telemetry went wrong first)".
std::string cause_phrase(const Cause& cause);
// What a person calls a role's signal: "p95 latency", "error ratio", or the role.
std::string role_phrase(const std::string& role);

}  // namespace eventlens::correlate
