// Event time: int64 nanoseconds since the Unix epoch, and its text forms.
// Pure functions, no state; callable from any thread.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
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

// The calendar arithmetic parse_rfc3339_utc (below) needs inline.
namespace time_detail {

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's
// days_from_civil algorithm, public domain description).
inline constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

inline bool is_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

inline unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Returns the 8 bytes at `p` as one little-endian word.
inline std::uint64_t load8(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Returns non-zero when a byte of `v` is not an ASCII digit, once the bytes
// `separators` selects have been replaced by '0'. Eight bytes at a time: a
// digit d - '0' stays below 10, so adding 0x76 leaves its top bit clear.
inline std::uint64_t non_digits(std::uint64_t v, std::uint64_t separators) {
  constexpr std::uint64_t kZeros = 0x3030303030303030ULL;
  v = (v & ~separators) | (kZeros & separators);
  const std::uint64_t x = v - kZeros;
  return (x | (x + 0x7676767676767676ULL)) & 0x8080808080808080ULL;
}

}  // namespace time_detail

// Returns true and sets `out` when `s` is in the layout nearly every producer
// writes, YYYY-MM-DDTHH:MM:SS[.frac]Z, between 1970 and 2261, read without the
// general parser's bounds checks; returns false (leaving `out` alone) for
// anything else, which parse_rfc3339 then reads or refuses. Inline: a decoder
// reads a time per record.
inline bool parse_rfc3339_utc(std::string_view s, TimeNs& out) {
  using time_detail::days_from_civil;
  using time_detail::days_in_month;
  using time_detail::load8;
  using time_detail::non_digits;
  static_assert(std::endian::native == std::endian::little, "non_digits reads little-endian words");
  const std::size_t n = s.size();
  if (n < 20 || n > 30 || s[n - 1] != 'Z') return false;
  const char* p = s.data();
  if (p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' || p[16] != ':') return false;
  // Bytes 0-7 "YYYY-MM-", 5-12 "MM-DDTHH", 11-18 "HH:MM:SS".
  constexpr std::uint64_t kDateSeparators = 0xFF0000FF00000000ULL;  // bytes 4 and 7
  constexpr std::uint64_t kMiddleSeparators = 0x0000FF0000FF0000ULL;  // bytes 2 and 5
  if ((non_digits(load8(p), kDateSeparators) | non_digits(load8(p + 5), kMiddleSeparators) |
       non_digits(load8(p + 11), kMiddleSeparators)) != 0) {
    return false;
  }
  const auto digit = [p](std::size_t i) { return static_cast<unsigned>(p[i]) - '0'; };
  const unsigned year = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
  const unsigned month = digit(5) * 10 + digit(6);
  const unsigned day = digit(8) * 10 + digit(9);
  const unsigned hour = digit(11) * 10 + digit(12);
  const unsigned minute = digit(14) * 10 + digit(15);
  const unsigned second = digit(17) * 10 + digit(18);
  // Years from 1970 to 2261 need no range check below; leap seconds and the
  // rest take the general path.
  if (year < 1970 || year > 2261 || month < 1 || month > 12 || day < 1 ||
      day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 59) {
    return false;
  }
  std::int64_t nanos = 0;
  if (n > 20) {
    if (p[19] != '.') return false;
    std::size_t digits = 0;
    for (std::size_t i = 20; i < n - 1; ++i, ++digits) {
      if (digit(i) > 9) return false;
      nanos = nanos * 10 + digit(i);
    }
    if (digits == 0) return false;
    static constexpr std::int64_t kScale[] = {1'000'000'000, 100'000'000, 10'000'000, 1'000'000, 100'000,
                                              10'000,        1'000,       100,        10,        1};
    nanos *= kScale[digits];
  }
  const std::int64_t days = days_from_civil(year, month, day);
  out = (days * 86400 + hour * 3600 + minute * 60 + second) * kNanosPerSecond + nanos;
  return true;
}

// Returns the time an epoch number names. The unit follows the magnitude, the
// rule documented in docs/formats.md:
//   |v| < 1e11  seconds (fractions kept to the nanosecond)
//   |v| < 1e14  milliseconds
//   |v| < 1e17  microseconds
//   otherwise   nanoseconds
// so that any time between 1973 and 2262 is read in its natural unit.
Result<TimeNs> time_from_epoch_number(double value);
Result<TimeNs> time_from_epoch_integer(std::int64_t value);

// Returns the seconds a duration names: a sequence of <number><unit> with the
// units ms, s, m, h and d ("250ms", "90s", "5m", "1h30m", "2d"), or a bare
// number of seconds ("45"). Negative durations are refused. The error's field
// is empty; callers fill in the key that held the text.
Result<double> parse_duration_seconds(std::string_view text);

// Returns the same duration in nanoseconds, rounded to the nearest one;
// refused when it does not fit int64 nanoseconds (about 292 years).
Result<TimeNs> parse_duration(std::string_view text);

// Returns the time as RFC 3339 in UTC with the shortest exact fraction
// (none, 3, 6 or 9 digits): "2024-05-01T12:00:00.5Z" is written ".500Z".
std::string format_rfc3339(TimeNs t);
void append_rfc3339(std::string& out, TimeNs t);

}  // namespace eventlens
