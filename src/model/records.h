// The four records eventlens reads and joins: Event, MetricSample, LogRecord
// and Span (DESIGN.md, "Records"). Plain values; no threading concerns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "model/time.h"

namespace eventlens {

enum class Category : std::uint8_t { scaling, provisioning, failure, change, other };
enum class Severity : std::uint8_t { debug, info, warning, error, critical };

// An attribute value: string, integer, floating point or bool. Integers are
// kept apart from doubles so that ids and counts survive a round trip.
using AttributeValue = std::variant<std::string, std::int64_t, double, bool>;
// Ordered as received: attribute order is part of what a round trip keeps.
using Attributes = std::vector<std::pair<std::string, AttributeValue>>;
// Metric labels, sorted by name (the canonical order of a series).
using Labels = std::vector<std::pair<std::string, std::string>>;

struct Event {
  std::string id;
  TimeNs time = 0;
  Category category = Category::other;
  std::string type;
  std::string service;
  std::string namespace_;
  std::string cluster;
  std::string node;
  std::string pod;
  Severity severity = Severity::info;
  std::string message;
  Attributes attributes;
  std::string trace_id;
  std::string source;
  std::int32_t schema_version = 1;

  friend bool operator==(const Event&, const Event&) = default;
};

struct MetricSample {
  std::string name;
  Labels labels;
  TimeNs time = 0;
  double value = 0;

  // NaN != NaN would make every NaN sample unequal to itself; Prometheus
  // summaries carry NaN quantiles, so equality treats two NaNs as the same.
  friend bool operator==(const MetricSample& a, const MetricSample& b) {
    const bool same_value = a.value == b.value || (a.value != a.value && b.value != b.value);
    return same_value && a.name == b.name && a.labels == b.labels && a.time == b.time;
  }
};

struct LogRecord {
  TimeNs time = 0;
  std::string service;
  Severity severity = Severity::info;
  std::string body;
  Attributes attributes;
  std::string trace_id;
  std::string span_id;

  friend bool operator==(const LogRecord&, const LogRecord&) = default;
};

enum class SpanStatus : std::uint8_t { unset, ok, error };
// OTLP's SPAN_KIND_* in its numbering: a server span is a request handled, a
// client span a call made (a caller's view of its callee, network included).
enum class SpanKind : std::uint8_t { unspecified, internal, server, client, producer, consumer };
// True for a span that stands for a request a service handled: a server or
// consumer span, or one of unspecified kind (traces that do not say, read as
// they were before kinds). Client, producer and internal spans are parts of
// such a request: its calls and its steps.
constexpr bool is_request_span(SpanKind kind) {
  return kind == SpanKind::server || kind == SpanKind::consumer || kind == SpanKind::unspecified;
}

struct Span {
  std::string trace_id;
  std::string span_id;
  std::string parent_span_id;
  std::string service;
  std::string name;
  TimeNs start = 0;
  TimeNs end = 0;
  SpanStatus status = SpanStatus::unset;
  SpanKind kind = SpanKind::unspecified;
  Attributes attributes;

  friend bool operator==(const Span&, const Span&) = default;
};

// Empties every field of `e` but keeps the strings' and the attribute list's
// storage, so that a decoder can reuse one Event record after record.
void clear_for_reuse(Event& e);

// Any one decoded record.
using Record = std::variant<Event, MetricSample, LogRecord, Span>;

// Names as they appear in JSON ("scaling", "warning", "error", ...).
std::string_view to_string(Category c);
std::string_view to_string(Severity s);
std::string_view to_string(SpanStatus s);
std::string_view to_string(SpanKind k);
// Returns false when `text` names no value of the enum.
bool parse_category(std::string_view text, Category& out);
bool parse_severity(std::string_view text, Severity& out);
bool parse_span_status(std::string_view text, SpanStatus& out);
bool parse_span_kind(std::string_view text, SpanKind& out);

// Returns "event", "metric", "log" or "span".
std::string_view record_kind(const Record& r);

}  // namespace eventlens
