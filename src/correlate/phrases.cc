#include "correlate/phrases.h"

#include <cmath>
#include <cstdio>
#include <cstring>

namespace eventlens::correlate {

std::string human_duration(TimeNs d) {
  const std::int64_t s = std::llabs(d) / kNanosPerSecond;
  char buf[64];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%lld s", static_cast<long long>(s));
  } else if (s < 3600) {
    if (s % 60 == 0) {
      std::snprintf(buf, sizeof buf, "%lld min", static_cast<long long>(s / 60));
    } else {
      std::snprintf(buf, sizeof buf, "%lld min %lld s", static_cast<long long>(s / 60),
                    static_cast<long long>(s % 60));
    }
  } else {
    std::snprintf(buf, sizeof buf, "%lld h %lld min", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  }
  return buf;
}

std::string fixed(double v, int digits) {
  if (std::isnan(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  // A value that rounds to zero is zero, whatever its sign: -0.0, or a
  // -0.001 % error ratio (a success rate read as 1 - 0.01 x 100.001),
  // would otherwise read "-0.00".
  if (buf[0] == '-' && std::strspn(buf + 1, "0.") == std::strlen(buf + 1)) return buf + 1;
  return buf;
}

std::string human_bytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (std::fabs(bytes) >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  return fixed(bytes, std::fabs(bytes) >= 100 || unit == 0 ? 0 : 1) + " " + kUnits[unit];
}

std::string clock_time(TimeNs t) {
  const std::int64_t s = (t / kNanosPerSecond) % 86400;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                static_cast<long long>(s % 3600 / 60), static_cast<long long>(s % 60));
  return buf;
}

std::string cause_phrase(const Cause& c) {
  if (c.kind == "event") {
    return c.type + " of " + (c.service.empty() ? std::string("the cluster") : c.service) + " at " + clock_time(c.time);
  }
  return c.service + " (its own telemetry went wrong first)";
}

std::string role_phrase(const std::string& role) {
  if (role == "latency") return "p95 latency";
  if (role == "errors") return "error ratio";
  if (role == "span_latency") return "mean latency of the spans";
  if (role == "span_errors") return "error ratio of the spans";
  if (role == "span_throughput") return "rate of spans";
  if (role == "call_latency") return "mean latency of calls";
  if (role == "call_errors") return "error ratio of calls";
  if (role == "log_errors") return "rate of error logs";
  if (role == "log_warnings") return "rate of warning logs";
  return role;
}

std::string role_value(const std::string& role, double v) {
  if (std::isnan(v)) return "-";
  if (role == "latency" || role == "span_latency" || role == "call_latency") {
    return v < 1 ? fixed(v * 1000, v < 0.01 ? 1 : 0) + " ms" : fixed(v, 2) + " s";
  }
  if (role == "errors" || role == "span_errors" || role == "call_errors") return fixed(v * 100, v < 0.1 ? 2 : 1) + " %";
  if (role == "log_errors" || role == "log_warnings") return fixed(v, 2) + " lines/s";
  if (role == "span_throughput") return fixed(v, v < 10 ? 2 : 0) + " spans/s";
  if (role == "memory" || role == "memory_limit") return human_bytes(v);
  if (role == "throughput") return fixed(v, v < 10 ? 2 : 0) + " req/s";
  if (role == "cpu") return fixed(v, 2) + " cores";
  return fixed(v, std::fabs(v) < 10 ? 2 : 0);
}

}  // namespace eventlens::correlate
