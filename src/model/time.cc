#include "model/time.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace eventlens {
namespace {

using time_detail::days_from_civil;
using time_detail::days_in_month;

struct CivilDate {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

constexpr CivilDate civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

// Reads exactly `n` digits at `pos`; returns -1 when they are not all digits.
std::int64_t read_digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return -1;
  std::int64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

Error time_error(std::string reason) { return make_error("", std::move(reason)); }

// Returns the number `text` holds in full, or an Error naming the text.
Result<double> parse_number(std::string_view text) {
  double v = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || !std::isfinite(v)) {
    return time_error("\"" + std::string(text) + "\" is not a number");
  }
  return v;
}

}  // namespace

Result<TimeNs> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  if (TimeNs t; parse_rfc3339_utc(s, t)) return t;
  const auto bad = [&] {
    std::string shown(s.substr(0, 40));
    return time_error("not an RFC 3339 time: \"" + shown + (s.size() > 40 ? "...\"" : "\""));
  };
  if (s.size() < 20) return bad();
  const std::int64_t year = read_digits(s, 0, 4);
  const std::int64_t month = read_digits(s, 5, 2);
  const std::int64_t day = read_digits(s, 8, 2);
  const std::int64_t hour = read_digits(s, 11, 2);
  const std::int64_t minute = read_digits(s, 14, 2);
  const std::int64_t second = read_digits(s, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return bad();
  if (s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':') return bad();
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return bad();
  if (month < 1 || month > 12 || day < 1 ||
      day > static_cast<std::int64_t>(days_in_month(year, static_cast<unsigned>(month))) ||
      hour > 23 || minute > 59 || second > 60) {
    return bad();
  }
  std::size_t pos = 19;
  std::int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 9) nanos = nanos * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad();
    for (std::size_t i = digits; i < 9; ++i) nanos *= 10;
  }
  if (pos >= s.size()) return bad();
  std::int64_t offset_seconds = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    const std::int64_t oh = read_digits(s, pos + 1, 2);
    const std::int64_t om = read_digits(s, pos + 4, 2);
    if (oh < 0 || om < 0 || pos + 3 >= s.size() || s[pos + 3] != ':' || oh > 23 || om > 59) {
      return bad();
    }
    offset_seconds = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != s.size()) return bad();
  // A leap second is read as the last nanosecond-free instant of its minute's
  // successor, as most systems do (23:59:60 == next day 00:00:00).
  const std::int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  constexpr std::int64_t kMaxSecs = kMaxTime / kNanosPerSecond;
  if (secs < 0) return time_error("time before 1970-01-01 is not supported");
  if (secs > kMaxSecs || (secs == kMaxSecs && nanos > kMaxTime % kNanosPerSecond)) {
    return time_error("time after 2262-04-11 is out of range for int64 nanoseconds");
  }
  return secs * kNanosPerSecond + nanos;
}

Result<TimeNs> time_from_epoch_number(double v) {
  if (!std::isfinite(v)) return time_error("epoch time is not a finite number");
  if (v < 0) return time_error("epoch time is negative");
  std::int64_t scale = 1;  // nanoseconds per unit
  if (v < 1e11) {
    scale = kNanosPerSecond;
  } else if (v < 1e14) {
    scale = 1'000'000;
  } else if (v < 1e17) {
    scale = 1'000;
  }
  if (v >= 9.2233720368547748e18 / static_cast<double>(scale)) {
    return time_error("epoch time is out of range for int64 nanoseconds");
  }
  // Whole units and the fraction apart: v * 1e9 in one double multiply would
  // lose the nanoseconds of a present-day time (53-bit mantissa).
  const double whole = std::floor(v);
  const auto fraction = static_cast<std::int64_t>(std::llround((v - whole) * static_cast<double>(scale)));
  return static_cast<std::int64_t>(whole) * scale + fraction;
}

Result<TimeNs> time_from_epoch_integer(std::int64_t v) {
  if (v < 0) return time_error("epoch time is negative");
  if (v < 100'000'000'000LL) return v * kNanosPerSecond;
  if (v < 100'000'000'000'000LL) return v * 1'000'000;
  if (v < 100'000'000'000'000'000LL) return v * 1'000;
  return v;
}

void append_rfc3339(std::string& out, TimeNs t) {
  const std::int64_t secs = t >= 0 ? t / kNanosPerSecond : (t - kNanosPerSecond + 1) / kNanosPerSecond;
  const std::int64_t nanos = t - secs * kNanosPerSecond;
  const std::int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  const std::int64_t sod = secs - days * 86400;
  const CivilDate date = civil_from_days(days);
  // Digits written by hand: snprintf was a fifth of the simulator's time.
  char buf[40];
  int n = 0;
  const auto put = [&](std::int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) {
      buf[n + i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    n += width;
  };
  put(date.year, 4);
  buf[n++] = '-';
  put(date.month, 2);
  buf[n++] = '-';
  put(date.day, 2);
  buf[n++] = 'T';
  put(sod / 3600, 2);
  buf[n++] = ':';
  put(sod / 60 % 60, 2);
  buf[n++] = ':';
  put(sod % 60, 2);
  if (nanos != 0) {
    buf[n++] = '.';
    if (nanos % 1'000'000 == 0) {
      put(nanos / 1'000'000, 3);
    } else if (nanos % 1'000 == 0) {
      put(nanos / 1'000, 6);
    } else {
      put(nanos, 9);
    }
  }
  buf[n++] = 'Z';
  out.append(buf, static_cast<std::size_t>(n));
}

std::string format_rfc3339(TimeNs t) {
  std::string s;
  append_rfc3339(s, t);
  return s;
}

Result<double> parse_duration_seconds(std::string_view text) {
  if (text.empty()) return time_error("empty duration");
  if (auto bare = parse_number(text)) {
    if (*bare < 0) return time_error("negative duration");
    return *bare;
  }
  // A sequence of <number><unit>: 1h30m, 90s, 250ms, 2d.
  double total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && ((text[j] >= '0' && text[j] <= '9') || text[j] == '.')) ++j;
    if (j == i) return time_error("\"" + std::string(text) + "\" is not a duration (e.g. 90s, 30m, 24h)");
    auto number = parse_number(text.substr(i, j - i));
    if (!number) return number;
    std::size_t k = j;
    while (k < text.size() && text[k] >= 'a' && text[k] <= 'z') ++k;
    const std::string_view unit = text.substr(j, k - j);
    double scale = 0;
    if (unit == "ms") scale = 1e-3;
    else if (unit == "s") scale = 1;
    else if (unit == "m") scale = 60;
    else if (unit == "h") scale = 3600;
    else if (unit == "d") scale = 86400;
    else return time_error("\"" + std::string(text) + "\": unknown unit \"" + std::string(unit) + "\" (ms, s, m, h, d)");
    total += *number * scale;
    i = k;
  }
  return total;
}

Result<TimeNs> parse_duration(std::string_view text) {
  auto seconds = parse_duration_seconds(text);
  if (!seconds) return seconds.error();
  // Through seconds as a double: exact to the nanosecond up to ~100 days, and
  // "100ms" (0.1 s, not exact in binary) still rounds to 100'000'000.
  const double nanos = *seconds * static_cast<double>(kNanosPerSecond);
  if (!(nanos < 9.2233720368547748e18)) {
    return time_error("\"" + std::string(text) + "\" is too long a duration (int64 nanoseconds end at ~292 years)");
  }
  return static_cast<TimeNs>(std::llround(nanos));
}

}  // namespace eventlens
