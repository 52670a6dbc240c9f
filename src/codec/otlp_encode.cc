// The OTLP/JSON encoders: records back into Export*ServiceRequest bodies
// that OtlpJsonDecoder reads into the same records.
#include <charconv>
#include <cmath>

#include "codec/json_writer.h"
#include "codec/otlp_json.h"

namespace eventlens::codec {
namespace {

// proto3 JSON writes 64-bit integers as decimal strings.
void write_int64_string(JsonWriter& w, std::string_view key, std::int64_t v) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  w.field(key, std::string_view(buf, static_cast<std::size_t>(res.ptr - buf)));
}

// proto3 JSON spells the non-finite doubles "NaN", "Infinity", "-Infinity".
void write_double(JsonWriter& w, double v) {
  if (std::isnan(v)) return w.string("NaN");
  if (std::isinf(v)) return w.string(v > 0 ? "Infinity" : "-Infinity");
  w.number(v);
}

void write_any_value(JsonWriter& w, const AttributeValue& v) {
  w.begin_object();
  if (const auto* s = std::get_if<std::string>(&v)) {
    w.field("stringValue", *s);
  } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
    write_int64_string(w, "intValue", *i);
  } else if (const auto* d = std::get_if<double>(&v)) {
    w.key("doubleValue");
    write_double(w, *d);
  } else {
    w.key("boolValue");
    w.boolean(std::get<bool>(v));
  }
  w.end_object();
}

void write_key_value(JsonWriter& w, std::string_view key, const AttributeValue& v) {
  w.begin_object();
  w.field("key", key);
  w.key("value");
  write_any_value(w, v);
  w.end_object();
}

void write_string_key_value(JsonWriter& w, std::string_view key, std::string_view value) {
  w.begin_object();
  w.field("key", key);
  w.key("value");
  w.begin_object();
  w.field("stringValue", value);
  w.end_object();
  w.end_object();
}

void write_attributes(JsonWriter& w, const Attributes& attrs) {
  if (attrs.empty()) return;
  w.key("attributes");
  w.begin_array();
  for (const auto& [k, v] : attrs) write_key_value(w, k, v);
  w.end_array();
}

// Writes the request: one resource per run of records of the same service
// (so that decoding gives the records back in their order), each with one
// scope. `body(w, begin, end)` writes the records [begin, end).
template <typename T, typename ServiceOf, typename Body>
void write_request(std::string& out, std::span<const T> records, std::string_view resources_key,
                   std::string_view scopes_key, std::string_view records_key, ServiceOf service_of, Body body) {
  JsonWriter w(out);
  w.begin_object();
  w.key(resources_key);
  w.begin_array();
  std::size_t i = 0;
  while (i < records.size()) {
    const std::string_view service = service_of(records[i]);
    std::size_t end = i + 1;
    while (end < records.size() && service_of(records[end]) == service) ++end;
    w.begin_object();
    w.key("resource");
    w.begin_object();
    if (!service.empty()) {
      w.key("attributes");
      w.begin_array();
      write_string_key_value(w, "service.name", service);
      w.end_array();
    }
    w.end_object();
    w.key(scopes_key);
    w.begin_array();
    w.begin_object();
    w.key("scope");
    w.begin_object();
    w.field("name", "eventlens");
    w.end_object();
    w.key(records_key);
    w.begin_array();
    body(w, i, end);
    w.end_array();
    w.end_object();
    w.end_array();
    w.end_object();
    i = end;
  }
  w.end_array();
  w.end_object();
}

int severity_number(Severity s) {
  switch (s) {
    case Severity::debug: return 5;
    case Severity::info: return 9;
    case Severity::warning: return 13;
    case Severity::error: return 17;
    case Severity::critical: return 21;
  }
  return 0;
}

std::string_view service_label(const MetricSample& m) {
  for (const auto& [k, v] : m.labels) {
    if (k == "service") return v;
  }
  return {};
}

}  // namespace

void encode_otlp_logs(std::span<const LogRecord> logs, std::string& out) {
  write_request(
      out, logs, "resourceLogs", "scopeLogs", "logRecords",
      [](const LogRecord& l) { return std::string_view(l.service); },
      [&](JsonWriter& w, std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) {
          const LogRecord& l = logs[i];
          w.begin_object();
          write_int64_string(w, "timeUnixNano", l.time);
          w.key("severityNumber");
          w.integer(severity_number(l.severity));
          w.field("severityText", to_string(l.severity));
          w.key("body");
          w.begin_object();
          w.field("stringValue", l.body);
          w.end_object();
          write_attributes(w, l.attributes);
          w.field_if_set("traceId", l.trace_id);
          w.field_if_set("spanId", l.span_id);
          w.end_object();
        }
      });
}

void encode_otlp_traces(std::span<const Span> spans, std::string& out) {
  write_request(
      out, spans, "resourceSpans", "scopeSpans", "spans", [](const Span& s) { return std::string_view(s.service); },
      [&](JsonWriter& w, std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) {
          const Span& s = spans[i];
          w.begin_object();
          w.field("traceId", s.trace_id);
          w.field("spanId", s.span_id);
          w.field_if_set("parentSpanId", s.parent_span_id);
          w.field("name", s.name);
          write_int64_string(w, "startTimeUnixNano", s.start);
          write_int64_string(w, "endTimeUnixNano", s.end);
          if (s.kind != SpanKind::unspecified) {
            w.key("kind");
            w.integer(static_cast<int>(s.kind));
          }
          if (s.status != SpanStatus::unset) {
            w.key("status");
            w.begin_object();
            w.key("code");
            w.integer(static_cast<int>(s.status));
            w.end_object();
          }
          write_attributes(w, s.attributes);
          w.end_object();
        }
      });
}

void encode_otlp_metrics(std::span<const MetricSample> samples, std::string& out) {
  write_request(out, samples, "resourceMetrics", "scopeMetrics", "metrics", service_label,
                [&](JsonWriter& w, std::size_t begin, std::size_t end) {
                  // One gauge per run of samples of the same name.
                  std::size_t i = begin;
                  while (i < end) {
                    std::size_t run_end = i + 1;
                    while (run_end < end && samples[run_end].name == samples[i].name) ++run_end;
                    w.begin_object();
                    w.field("name", samples[i].name);
                    w.key("gauge");
                    w.begin_object();
                    w.key("dataPoints");
                    w.begin_array();
                    for (; i < run_end; ++i) {
                      const MetricSample& m = samples[i];
                      w.begin_object();
                      write_int64_string(w, "timeUnixNano", m.time);
                      w.key("asDouble");
                      write_double(w, m.value);
                      bool any = false;
                      for (const auto& [k, v] : m.labels) {
                        if (k == "service") continue;
                        if (!any) {
                          w.key("attributes");
                          w.begin_array();
                          any = true;
                        }
                        write_string_key_value(w, k, v);
                      }
                      if (any) w.end_array();
                      w.end_object();
                    }
                    w.end_array();
                    w.end_object();
                    w.end_object();
                  }
                });
}

}  // namespace eventlens::codec
