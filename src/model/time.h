// Event time: int64 nanoseconds since the Unix epoch, and its text forms.
// Pure functions, no state; callable from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/result.h"

namespace eventlens {

using TimeNs = std::int64_t;

inline constexpr TimeNs kNanosPerSecond = 1'000'000'000;

// The representable range: 1970-01-01T00:00:00Z up to the last second that
// int64 nanoseconds can hold (2262-04-11). Times before the epoch are refused:
// nothing eventlens observes happened then, and a negative time is almost
// always a unit mistake.
inline constexpr TimeNs kMinTime = 0;
inline constexpr TimeNs kMaxTime = INT64_MAX;

// Returns the time an RFC 3339 string names ("2024-05-01T12:00:00Z",
// "2024-05-01T12:00:00.123456789+02:00"; 't', 'z' and a space separator are
// accepted as RFC 3339 allows). Fractions beyond nanoseconds are truncated.
// The error's field is empty; callers fill it in.
Result<TimeNs> parse_rfc3339(std::string_view text);

// Returns the time an epoch number names. The unit follows the magnitude, the
// rule documented in docs/formats.md:
//   |v| < 1e11  seconds (fractions kept to the nanosecond)
//   |v| < 1e14  milliseconds
//   |v| < 1e17  microseconds
//   otherwise   nanoseconds
// so that any time between 1973 and 2262 is read in its natural unit.
Result<TimeNs> time_from_epoch_number(double value);
Result<TimeNs> time_from_epoch_integer(std::int64_t value);

// Returns the time as RFC 3339 in UTC with the shortest exact fraction
// (none, 3, 6 or 9 digits): "2024-05-01T12:00:00.5Z" is written ".500Z".
std::string format_rfc3339(TimeNs t);
void append_rfc3339(std::string& out, TimeNs t);

}  // namespace eventlens
