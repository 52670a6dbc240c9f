#include "codec/otlp_json.h"

#include <algorithm>
#include <array>

#include "codec/internal/lines.h"
#include "codec/internal/otlp_read.h"

namespace eventlens::codec {

namespace od = internal::od;
using internal::otlp::AnyKind;
using internal::otlp::AnyValueView;
using internal::otlp::indexed;
using internal::otlp::key_is;
using internal::otlp::open_member;
using internal::otlp::OtlpReader;
using internal::otlp::prefixed;
using internal::otlp::ResourceContext;

namespace {

// The member names of one signal's request, in lowerCamelCase (the names
// used in error paths, whatever the input spelt) and snake_case.
struct SignalNames {
  std::string_view resources, resources_snake;
  std::string_view scopes, scopes_snake;
  std::string_view records, records_snake;
  std::string_view request;
};

constexpr std::array<SignalNames, 3> kSignals = {{
    {"resourceLogs", "resource_logs", "scopeLogs", "scope_logs", "logRecords", "log_records",
     "ExportLogsServiceRequest"},
    {"resourceMetrics", "resource_metrics", "scopeMetrics", "scope_metrics", "metrics", "",
     "ExportMetricsServiceRequest"},
    {"resourceSpans", "resource_spans", "scopeSpans", "scope_spans", "spans", "", "ExportTraceServiceRequest"},
}};

template <typename T>
T& reuse(Record& r) {
  if (T* existing = std::get_if<T>(&r)) return *existing;
  return r.emplace<T>();
}

bool all_zeros(std::string_view id) {
  return std::all_of(id.begin(), id.end(), [](char c) { return c == '0'; });
}

// --- logs ---

Severity severity_from_number(std::int64_t n) {
  if (n >= 21) return Severity::critical;
  if (n >= 17) return Severity::error;
  if (n >= 13) return Severity::warning;
  if (n >= 9) return Severity::info;
  return Severity::debug;
}

// Reads severityText the way logging libraries write it ("WARN", "Error",
// "INFO2", "crit"); returns false for a word it does not know.
bool severity_from_text(std::string_view text, Severity& out) {
  char buf[16];
  if (text.size() > sizeof buf) return false;
  std::size_t n = 0;
  for (char c : text) buf[n++] = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  // OpenTelemetry's short names carry a digit: TRACE2, INFO4, FATAL3.
  while (n > 0 && buf[n - 1] >= '0' && buf[n - 1] <= '9') --n;
  const std::string_view t(buf, n);
  struct Word {
    std::string_view word;
    Severity severity;
  };
  static constexpr Word kWords[] = {
      {"trace", Severity::debug},     {"debug", Severity::debug},     {"dbg", Severity::debug},
      {"info", Severity::info},       {"information", Severity::info}, {"informational", Severity::info},
      {"notice", Severity::info},     {"warn", Severity::warning},    {"warning", Severity::warning},
      {"error", Severity::error},     {"err", Severity::error},       {"fatal", Severity::critical},
      {"critical", Severity::critical}, {"crit", Severity::critical}, {"alert", Severity::critical},
      {"emerg", Severity::critical},  {"emergency", Severity::critical}, {"panic", Severity::critical},
  };
  for (const Word& w : kWords) {
    if (w.word == t) {
      out = w.severity;
      return true;
    }
  }
  return false;
}

// A severityNumber: a number, a decimal string, or its enum name
// ("SEVERITY_NUMBER_WARN2").
Result<std::int64_t> read_severity_number(od::value& v) {
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS && s.rfind("SEVERITY_NUMBER_", 0) == 0) {
    std::string_view name = s.substr(16);
    if (name == "UNSPECIFIED") return std::int64_t{0};
    std::int64_t step = 0;
    if (!name.empty() && name.back() >= '2' && name.back() <= '4') {
      step = name.back() - '1';
      name.remove_suffix(1);
    }
    static constexpr std::pair<std::string_view, std::int64_t> kBases[] = {
        {"TRACE", 1}, {"DEBUG", 5}, {"INFO", 9}, {"WARN", 13}, {"ERROR", 17}, {"FATAL", 21}};
    for (const auto& [base_name, base] : kBases) {
      if (base_name == name) return base + step;
    }
    return make_error("severityNumber", "unknown severity \"" + std::string(s.substr(0, 40)) + "\"");
  }
  auto n = internal::read_int64(v, "severityNumber");
  if (!n) return n.error();
  if (*n < 0 || *n > 24) return make_error("severityNumber", std::to_string(*n) + " is not between 0 and 24");
  return n;
}

// Writes a log body: a string as it is, anything else as its JSON text
// (which read_any already wrote into `body` for arrays, maps and bytes).
void set_body(const AnyValueView& any, std::string& body) {
  switch (any.kind) {
    case AnyKind::string: body.assign(any.text); return;
    case AnyKind::json: return;
    case AnyKind::unset: body.clear(); return;
    default: break;
  }
  body.clear();
  JsonWriter w(body);
  if (any.kind == AnyKind::integer) w.integer(any.integer);
  else if (any.kind == AnyKind::floating) w.number(any.floating);
  else w.boolean(any.boolean);
}

void set_attribute(Attributes& attrs, std::string_view key, std::string_view value) {
  for (auto& [k, v] : attrs) {
    if (k == key) {
      v = std::string(value);
      return;
    }
  }
  attrs.emplace_back(std::string(key), std::string(value));
}

Status decode_log(od::value& v, const ResourceContext& resource, TimeNs default_time, OtlpReader& reader,
                  LogRecord& l) {
  od::object obj;
  if (v.get_object().get(obj)) return internal::wrong_type("", "a LogRecord object", v);
  l.service.assign(resource.service);
  l.severity = Severity::info;
  l.body.clear();
  l.trace_id.clear();
  l.span_id.clear();
  std::size_t attribute_count = 0;
  TimeNs time = 0;
  TimeNs observed = 0;
  std::int64_t severity_number = 0;
  std::string_view severity_text;
  std::string_view event_name;
  for (auto field_result : obj) {
    std::string_view key;
    if (auto ec = open_member(field_result, key)) return reader.syntax_error(ec, "");
    od::field& field = field_result.value_unsafe();
    od::value& x = field.value();
    if (internal::otlp::is_null(x)) continue;
    Status st = ok_status();
    if (key_is(key, "timeUnixNano", "time_unix_nano")) {
      auto t = internal::read_unix_nanos(x, "timeUnixNano");
      if (!t) return t.error();
      time = *t;
    } else if (key_is(key, "observedTimeUnixNano", "observed_time_unix_nano")) {
      auto t = internal::read_unix_nanos(x, "observedTimeUnixNano");
      if (!t) return t.error();
      observed = *t;
    } else if (key_is(key, "severityNumber", "severity_number")) {
      auto n = read_severity_number(x);
      if (!n) return n.error();
      severity_number = *n;
    } else if (key_is(key, "severityText", "severity_text")) {
      auto s = internal::read_string(x, "severityText");
      if (!s) return s.error();
      severity_text = *s;
    } else if (key == "body") {
      AnyValueView any;
      st = reader.read_any(x, any, l.body);
      if (!st) return prefixed("body", st.error());
      set_body(any, l.body);
    } else if (key == "attributes") {
      st = reader.read_attributes(x, "attributes", l.attributes, attribute_count);
    } else if (key_is(key, "traceId", "trace_id")) {
      st = reader.read_id(x, "traceId", 16, l.trace_id);
    } else if (key_is(key, "spanId", "span_id")) {
      st = reader.read_id(x, "spanId", 8, l.span_id);
    } else if (key_is(key, "eventName", "event_name")) {
      auto s = internal::read_string(x, "eventName");
      if (!s) return s.error();
      event_name = *s;
    }
    if (!st) return st;
  }
  l.attributes.resize(attribute_count);
  if (!event_name.empty()) set_attribute(l.attributes, "event.name", event_name);
  // Unset in OTLP is 0: the event time, else when the collector saw it,
  // else (neither set) the time the payload arrived.
  l.time = time != 0 ? time : observed != 0 ? observed : default_time;
  if (severity_number != 0) {
    l.severity = severity_from_number(severity_number);
  } else if (!severity_text.empty()) {
    severity_from_text(severity_text, l.severity);
  }
  // An all-zero id is W3C's "no trace".
  if (all_zeros(l.trace_id)) l.trace_id.clear();
  if (all_zeros(l.span_id)) l.span_id.clear();
  return ok_status();
}

// --- traces ---

// Returns the kind a span's `kind` says: its number (0-5) or its enum name.
Result<SpanKind> read_span_kind(od::value& v) {
  static constexpr std::string_view kEnum[] = {"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER",
                                               "SPAN_KIND_CLIENT",      "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"};
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS && s.rfind("SPAN_KIND_", 0) == 0) {
    for (std::size_t i = 0; i < std::size(kEnum); ++i) {
      if (kEnum[i] == s) return static_cast<SpanKind>(i);
    }
    return make_error("kind", "unknown span kind \"" + std::string(s.substr(0, 40)) + "\"");
  }
  auto n = internal::read_int64(v, "kind");
  if (!n) return n.error();
  if (*n < 0 || *n > 5) return make_error("kind", std::to_string(*n) + " is not a span kind (0-5)");
  return static_cast<SpanKind>(*n);
}

Result<SpanStatus> read_status_code(od::value& v) {
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) {
    const std::string_view name = s.rfind("STATUS_CODE_", 0) == 0 ? s.substr(12) : s;
    if (name == "UNSET") return SpanStatus::unset;
    if (name == "OK") return SpanStatus::ok;
    if (name == "ERROR") return SpanStatus::error;
    // Not an enum name: perhaps a number in a string.
    if (name.empty() || name.find_first_not_of("0123456789") != std::string_view::npos) {
      return make_error("code", "unknown status code \"" + std::string(s.substr(0, 40)) +
                                    "\" (STATUS_CODE_UNSET, STATUS_CODE_OK, STATUS_CODE_ERROR or 0-2)");
    }
  }
  auto n = internal::read_int64(v, "code");
  if (!n) return n.error();
  if (*n < 0 || *n > 2) return make_error("code", std::to_string(*n) + " is not a status code (0-2)");
  return static_cast<SpanStatus>(*n);
}

Status read_status(od::value& v, OtlpReader& reader, Span& s, std::string_view& message) {
  od::object obj;
  if (v.get_object().get(obj)) return internal::wrong_type("status", "a Status object", v);
  for (auto field_result : obj) {
    std::string_view key;
    if (auto ec = open_member(field_result, key)) return reader.syntax_error(ec, "status");
    od::field& field = field_result.value_unsafe();
    od::value& x = field.value();
    if (internal::otlp::is_null(x)) continue;
    if (key == "code") {
      auto c = read_status_code(x);
      if (!c) return prefixed("status", c.error());
      s.status = *c;
    } else if (key == "message") {
      auto m = internal::read_string(x, "message");
      if (!m) return prefixed("status", m.error());
      message = *m;
    }
  }
  return ok_status();
}

Status decode_span(od::value& v, const ResourceContext& resource, OtlpReader& reader, Span& s) {
  od::object obj;
  if (v.get_object().get(obj)) return internal::wrong_type("", "a Span object", v);
  s.trace_id.clear();
  s.span_id.clear();
  s.parent_span_id.clear();
  s.service.assign(resource.service);
  s.name.clear();
  s.start = s.end = 0;
  s.status = SpanStatus::unset;
  s.kind = SpanKind::unspecified;
  std::size_t attribute_count = 0;
  std::string_view status_message;
  for (auto field_result : obj) {
    std::string_view key;
    if (auto ec = open_member(field_result, key)) return reader.syntax_error(ec, "");
    od::field& field = field_result.value_unsafe();
    od::value& x = field.value();
    if (internal::otlp::is_null(x)) continue;
    Status st = ok_status();
    if (key_is(key, "traceId", "trace_id")) {
      st = reader.read_id(x, "traceId", 16, s.trace_id);
    } else if (key_is(key, "spanId", "span_id")) {
      st = reader.read_id(x, "spanId", 8, s.span_id);
    } else if (key_is(key, "parentSpanId", "parent_span_id")) {
      st = reader.read_id(x, "parentSpanId", 8, s.parent_span_id);
    } else if (key == "name") {
      auto n = internal::read_string(x, "name");
      if (!n) return n.error();
      s.name.assign(*n);
    } else if (key_is(key, "startTimeUnixNano", "start_time_unix_nano")) {
      auto t = internal::read_unix_nanos(x, "startTimeUnixNano");
      if (!t) return t.error();
      s.start = *t;
    } else if (key_is(key, "endTimeUnixNano", "end_time_unix_nano")) {
      auto t = internal::read_unix_nanos(x, "endTimeUnixNano");
      if (!t) return t.error();
      s.end = *t;
    } else if (key == "kind") {
      auto k = read_span_kind(x);
      if (!k) return k.error();
      s.kind = *k;
    } else if (key == "status") {
      st = read_status(x, reader, s, status_message);
    } else if (key == "attributes") {
      st = reader.read_attributes(x, "attributes", s.attributes, attribute_count);
    }
    if (!st) return st;
  }
  s.attributes.resize(attribute_count);
  if (s.trace_id.empty()) return make_error("traceId", "missing");
  if (all_zeros(s.trace_id)) return make_error("traceId", "all zeros is not a valid trace id");
  if (s.span_id.empty()) return make_error("spanId", "missing");
  if (all_zeros(s.span_id)) return make_error("spanId", "all zeros is not a valid span id");
  if (all_zeros(s.parent_span_id)) s.parent_span_id.clear();
  // A span without times cannot be placed in event time.
  if (s.start == 0) return make_error("startTimeUnixNano", "missing");
  if (s.end == 0) return make_error("endTimeUnixNano", "missing");
  if (s.end < s.start) return make_error("endTimeUnixNano", "the span ends before it starts");
  if (!status_message.empty()) s.attributes.emplace_back("status.message", std::string(status_message));
  return ok_status();
}

// True when the payload is JSON lines of requests (the Collector's file
// exporter) rather than one request, perhaps pretty-printed: its first line
// is a whole object and more follows.
bool is_json_lines(std::string_view payload) {
  const std::size_t first = payload.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return false;
  const std::size_t newline = payload.find('\n', first);
  if (newline == std::string_view::npos) return false;
  std::string_view line = payload.substr(first, newline - first);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  return line.size() >= 2 && line.front() == '{' && line.back() == '}' &&
         payload.find_first_not_of(" \t\r\n", newline) != std::string_view::npos;
}

}  // namespace

struct OtlpJsonDecoder::Impl final : internal::otlp::SampleSink {
  OtlpSignal signal = OtlpSignal::logs;
  SignalNames names;
  DecodeOptions options;
  od::parser parser;
  std::string pad;
  OtlpReader reader;
  ResourceContext resource;
  internal::otlp::MetricDecoder metrics;
  Record record;

  // Where the walk is, for error paths (built only when there is an error).
  RecordHandler* out = nullptr;
  std::size_t position = 0;
  bool wrapped = false;
  std::size_t resource_index = 0, scope_index = 0, record_index = 0;

  std::string resources_path() const {
    return (wrapped ? "result." : "") + std::string(names.resources);
  }
  std::string resource_path() const { return indexed(resources_path(), resource_index); }
  std::string scope_path() const { return resource_path() + "." + indexed(names.scopes, scope_index); }
  std::string record_path() const { return scope_path() + "." + indexed(names.records, record_index); }

  void reject(std::string_view prefix, Error e) { out->on_reject(prefixed(prefix, std::move(e)), position); }

  // SampleSink: metric errors are relative to the Metric object.
  void emit_sample() override { out->on_record(record, position); }
  void reject(Error e) override { reject(record_path(), std::move(e)); }

  void decode_request(std::string_view json, std::size_t capacity, std::size_t line) {
    position = line;
    wrapped = false;
    reader.start_request();
    if (json.substr(0, 3) == "\xEF\xBB\xBF") {  // a UTF-8 byte order mark
      json.remove_prefix(3);
      capacity -= 3;
    }
    const simdjson::padded_string_view view = internal::padded(json, capacity, pad);
    od::document doc;
    if (auto ec = parser.iterate(view).get(doc)) return reject_document(json, ec);
    // On-Demand checks the structure only where it reads: walk the whole
    // request once (cheap, no values are parsed) so that a truncated one is
    // refused as a whole rather than after its first records went out.
    std::string_view raw;
    if (auto ec = doc.raw_json().get(raw)) return reject_document(json, ec);
    const char* rest = nullptr;
    if (doc.current_location().get(rest) == simdjson::SUCCESS) {
      return reject(internal::otlp::path_at(json, static_cast<std::size_t>(rest - view.data())),
                    make_error("", "content after the end of the request; the request is refused"));
    }
    doc.rewind();
    od::object root;
    if (doc.get_object().get(root)) {
      od::json_type t{};
      const std::string_view got = doc.type().get(t) == simdjson::SUCCESS ? internal::type_name(t) : "malformed JSON";
      return reject("", make_error("", "expected a JSON object (an " + std::string(names.request) + "), got " +
                                           std::string(got)));
    }
    bool saw_result = false;
    if (!walk_root(root, saw_result) && !reader.broken()) {
      reject("", make_error((saw_result ? "result." : "") + std::string(names.resources), "missing"));
    }
  }

  void reject_document(std::string_view json, simdjson::error_code ec) {
    using internal::otlp::path_at;
    if (ec == simdjson::UTF8_ERROR) {
      const std::size_t at = internal::otlp::first_invalid_utf8(json);
      return reject(path_at(json, at), make_error("", "not valid UTF-8 (byte " + std::to_string(at) +
                                                          "); the request is refused"));
    }
    if (ec == simdjson::EMPTY) return reject("", make_error("", "empty request"));
    std::string reason = ec == simdjson::TAPE_ERROR || ec == simdjson::INCOMPLETE_ARRAY_OR_OBJECT
                             ? std::string("malformed JSON: the request ends inside an object or array (truncated?)")
                             : internal::describe(ec);
    reject(path_at(json, json.size()), make_error("", reason + "; the request is refused"));
  }

  // Returns whether the request's resource list was found.
  bool walk_root(od::object obj, bool& saw_result) {
    bool found = false;
    for (auto field_result : obj) {
      std::string_view key;
      if (auto ec = open_member(field_result, key)) {
        reject("", reader.syntax_error(ec, ""));
        return true;
      }
      od::field& field = field_result.value_unsafe();
      od::value& v = field.value();
      if (key_is(key, names.resources, names.resources_snake)) {
        found = true;
        walk_resources(v);
      } else if (key == "result" && !wrapped) {
        // Jaeger's API v3 wraps the request: {"result": {...}}.
        od::object inner;
        if (v.get_object().get(inner) == simdjson::SUCCESS) {
          saw_result = true;
          wrapped = true;
          found = walk_root(inner, saw_result) || found;
          wrapped = false;
        }
      }
      if (reader.broken()) return true;
    }
    return found;
  }

  void walk_resources(od::value& v) {
    if (internal::otlp::is_null(v)) return;
    od::array arr;
    if (v.get_array().get(arr)) return reject(resources_path(), internal::wrong_type("", "array", v));
    std::size_t i = 0;
    for (auto element : arr) {
      resource_index = i++;
      if (element.error()) return reject(resource_path(), reader.syntax_error(element.error(), ""));
      od::value& rv = element.value_unsafe();
      od::object obj;
      if (rv.get_object().get(obj)) {
        reject(resource_path(), internal::wrong_type("", "an object", rv));
        continue;
      }
      walk_group(obj, true);
      if (reader.broken()) return;
    }
  }

  // Walks a ResourceX (resource level) or ScopeX object: its header
  // (`resource`, `scope`) first, whatever the member order, then its list.
  // A malformed header refuses the records under it with one rejection.
  void walk_group(od::object obj, bool resource_level) {
    const std::string_view header = resource_level ? "resource" : "scope";
    const std::string_view list = resource_level ? names.scopes : names.records;
    const std::string_view list_snake = resource_level ? names.scopes_snake : names.records_snake;
    const auto group_path = [&] { return resource_level ? resource_path() : scope_path(); };
    if (resource_level) resource.clear();
    bool header_read = false;
    bool deferred = false;
    for (auto field_result : obj) {
      std::string_view key;
      if (auto ec = open_member(field_result, key)) return reject(group_path(), reader.syntax_error(ec, ""));
      od::field& field = field_result.value_unsafe();
      od::value& v = field.value();
      if (key == header) {
        header_read = true;
        Status st = resource_level ? reader.read_resource(v, options.service_attributes, resource)
                                   : reader.check_scope(v);
        if (!st) {
          Error e = prefixed(header, st.error());
          if (!reader.broken()) e.reason += "; the records under it are refused";
          return reject(group_path(), std::move(e));
        }
      } else if (key_is(key, list, list_snake)) {
        if (!header_read) {
          deferred = true;
          continue;
        }
        walk_list(v, resource_level);
      }
      if (reader.broken()) return;
    }
    if (!deferred) return;
    bool ignored = false;
    if (auto ec = obj.reset().get(ignored)) return reject(group_path(), reader.syntax_error(ec, ""));
    for (auto field_result : obj) {
      std::string_view key;
      if (auto ec = open_member(field_result, key)) return reject(group_path(), reader.syntax_error(ec, ""));
      od::field& field = field_result.value_unsafe();
      if (!key_is(key, list, list_snake)) continue;
      walk_list(field.value(), resource_level);
      if (reader.broken()) return;
    }
  }

  void walk_list(od::value& v, bool resource_level) {
    const std::string_view list = resource_level ? names.scopes : names.records;
    const auto group_path = [&] { return resource_level ? resource_path() : scope_path(); };
    const auto item_path = [&] { return resource_level ? scope_path() : record_path(); };
    if (internal::otlp::is_null(v)) return;
    od::array arr;
    if (v.get_array().get(arr)) return reject(group_path(), internal::wrong_type(list, "array", v));
    std::size_t i = 0;
    for (auto element : arr) {
      (resource_level ? scope_index : record_index) = i++;
      if (element.error()) return reject(item_path(), reader.syntax_error(element.error(), ""));
      od::value& item = element.value_unsafe();
      if (resource_level) {
        od::object obj;
        if (item.get_object().get(obj)) {
          reject(item_path(), internal::wrong_type("", "an object", item));
          continue;
        }
        walk_group(obj, false);
      } else {
        decode_record(item);
      }
      if (reader.broken()) return;
    }
  }

  void decode_record(od::value& v) {
    switch (signal) {
      case OtlpSignal::logs: {
        Status st = decode_log(v, resource, options.default_time, reader, reuse<LogRecord>(record));
        if (st) return out->on_record(record, position);
        return reject(record_path(), st.error());
      }
      case OtlpSignal::traces: {
        Status st = decode_span(v, resource, reader, reuse<Span>(record));
        if (st) return out->on_record(record, position);
        return reject(record_path(), st.error());
      }
      case OtlpSignal::metrics:
        return metrics.decode(v, resource, reader, reuse<MetricSample>(record), *this);
    }
  }
};

OtlpJsonDecoder::OtlpJsonDecoder(OtlpSignal signal, DecodeOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->signal = signal;
  impl_->names = kSignals[static_cast<std::size_t>(signal)];
  impl_->options = std::move(options);
}

OtlpJsonDecoder::~OtlpJsonDecoder() = default;

void OtlpJsonDecoder::decode(std::string_view payload, RecordHandler& out) {
  impl_->out = &out;
  if (payload.size() > impl_->options.max_payload_bytes) {
    out.on_reject(make_error("", "payload is " + std::to_string(payload.size()) + " bytes, over the " +
                                     std::to_string(impl_->options.max_payload_bytes) + "-byte limit"),
                  0);
    return;
  }
  if (!is_json_lines(payload)) {
    if (payload.find_first_not_of(" \t\r\n") == std::string_view::npos) return;
    impl_->decode_request(payload, payload.size(), 0);
    return;
  }
  internal::for_each_line(payload, [&](std::string_view line, std::size_t line_no) {
    // The bytes after a line serve as simdjson's padding, so that most lines
    // are parsed in place.
    const auto capacity = static_cast<std::size_t>(payload.data() + payload.size() - line.data());
    impl_->decode_request(line, capacity, line_no);
  });
}

}  // namespace eventlens::codec
