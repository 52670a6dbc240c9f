#include "codec/native_json.h"

#include <algorithm>

#include "codec/internal/json_read.h"
#include "codec/internal/lines.h"
#include "codec/json_writer.h"
#include "model/taxonomy.h"

namespace eventlens::codec {

using internal::FieldPath;
namespace od = internal::od;

namespace {

constexpr std::int32_t kSchemaVersion = 1;

// Reads an optional string field: null counts as absent.
Status read_optional_string(od::value v, std::string_view key, std::string& out) {
  std::string_view s;
  const auto ec = v.get_string().get(s);
  if (ec == simdjson::SUCCESS) {
    out.assign(s);
    return ok_status();
  }
  // The uncommon paths: null, or a value of the wrong type.
  if (internal::is_null(v)) {
    out.clear();
    return ok_status();
  }
  if (ec == simdjson::INCORRECT_TYPE) return internal::wrong_type(key, "string", v);
  return make_error(std::string(key), internal::describe(ec));
}


// Reads an attributes object into `out`, overwriting its existing entries in
// place so that a reused record keeps its string capacity.
Status read_attributes(od::value v, std::string_view key, Attributes& out) {
  std::size_t n = 0;
  if (internal::is_null(v)) {
    out.clear();
    return ok_status();
  }
  od::object obj;
  if (v.get_object().get(obj)) return internal::wrong_type(key, "object", v);
  for (auto field : obj) {
    std::string_view k;
    if (auto ec = internal::read_key(field, k)) return make_error(std::string(key), internal::describe(ec));
    if (n == out.size()) out.emplace_back();
    auto& [name, value] = out[n++];
    name.assign(k);
    if (Status st = internal::read_scalar_attribute_into(field.value(), {}, value); !st) {
      out.resize(n);
      // The path is built only for the error, not for every attribute.
      return make_error(std::string(key) + "." + std::string(k), st.error().reason);
    }
  }
  out.resize(n);
  return ok_status();
}

bool valid_metric_name(std::string_view n) {
  if (n.empty()) return false;
  const auto first_ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  };
  if (!first_ok(n[0])) return false;
  return std::all_of(n.begin() + 1, n.end(),
                     [&](char c) { return first_ok(c) || (c >= '0' && c <= '9'); });
}

Status read_labels(od::value v, Labels& out) {
  out.clear();
  if (internal::is_null(v)) return ok_status();
  od::object obj;
  if (v.get_object().get(obj)) return internal::wrong_type("labels", "object", v);
  for (auto field : obj) {
    std::string_view k;
    if (auto ec = internal::read_key(field, k)) return make_error("labels", internal::describe(ec));
    auto s = internal::read_string(field.value(), {});
    if (!s) return make_error("labels." + std::string(k), s.error().reason);
    out.emplace_back(std::string(k), std::string(*s));
  }
  std::sort(out.begin(), out.end());
  for (std::size_t i = 1; i < out.size(); ++i) {
    if (out[i].first == out[i - 1].first) {
      return make_error("labels." + out[i].first, "duplicate label");
    }
  }
  return ok_status();
}

Error unknown_field(std::string_view key, std::string_view kind) {
  return make_error(std::string(key), "unknown field for a native " + std::string(kind) +
                                          " (extra data belongs in attributes)");
}

Error missing(std::string_view key) { return make_error(std::string(key), "missing"); }

enum class EventKey {
  time, type, category, severity, id, service, namespace_, cluster, node, pod, message,
  attributes, trace_id, source, schema_version, unknown
};

// Returns which Event field a key names: a switch on the length first, so
// that a key costs one or two comparisons instead of a chain of fifteen.
EventKey event_key(std::string_view k) {
  switch (k.size()) {
    case 2: if (k == "id") return EventKey::id; break;
    case 3: if (k == "pod") return EventKey::pod; break;
    case 4:
      if (k == "time") return EventKey::time;
      if (k == "type") return EventKey::type;
      if (k == "node") return EventKey::node;
      break;
    case 6: if (k == "source") return EventKey::source; break;
    case 7:
      if (k == "service") return EventKey::service;
      if (k == "message") return EventKey::message;
      if (k == "cluster") return EventKey::cluster;
      break;
    case 8:
      if (k == "severity") return EventKey::severity;
      if (k == "category") return EventKey::category;
      if (k == "trace_id") return EventKey::trace_id;
      break;
    case 9: if (k == "namespace") return EventKey::namespace_; break;
    case 10: if (k == "attributes") return EventKey::attributes; break;
    case 14: if (k == "schema_version") return EventKey::schema_version; break;
    default: break;
  }
  return EventKey::unknown;
}

Status decode_event_object(od::object obj, Event& e) {
  // The attribute list is overwritten in place by read_attributes (keeping
  // its strings' storage), so it is cleared only when the line has none.
  Attributes attributes = std::move(e.attributes);
  clear_for_reuse(e);
  e.attributes = std::move(attributes);
  bool have_time = false;
  bool have_category = false;
  bool have_attributes = false;
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = internal::read_key(field, key)) return make_error("", internal::describe(ec));
    od::value v = field.value();
    const EventKey field_key = event_key(key);
    Status st = ok_status();
    if (field_key == EventKey::time) {
      auto t = internal::read_time(v, "time");
      if (!t) return t.error();
      e.time = *t;
      have_time = true;
    } else if (field_key == EventKey::type) {
      st = read_optional_string(v, key, e.type);
    } else if (field_key == EventKey::category) {
      std::string c;
      st = read_optional_string(v, key, c);
      if (st && !c.empty()) {
        if (!parse_category(c, e.category)) {
          return make_error("category", "unknown category \"" + c +
                                            "\" (scaling, provisioning, failure, change, other)");
        }
        have_category = true;
      }
    } else if (field_key == EventKey::severity) {
      std::string s;
      st = read_optional_string(v, key, s);
      if (st && !s.empty() && !parse_severity(s, e.severity)) {
        return make_error("severity", "unknown severity \"" + s + "\" (info, warning, error, critical)");
      }
    } else if (field_key == EventKey::id) {
      st = read_optional_string(v, key, e.id);
    } else if (field_key == EventKey::service) {
      st = read_optional_string(v, key, e.service);
    } else if (field_key == EventKey::namespace_) {
      st = read_optional_string(v, key, e.namespace_);
    } else if (field_key == EventKey::cluster) {
      st = read_optional_string(v, key, e.cluster);
    } else if (field_key == EventKey::node) {
      st = read_optional_string(v, key, e.node);
    } else if (field_key == EventKey::pod) {
      st = read_optional_string(v, key, e.pod);
    } else if (field_key == EventKey::message) {
      st = read_optional_string(v, key, e.message);
    } else if (field_key == EventKey::attributes) {
      st = read_attributes(v, key, e.attributes);
      have_attributes = true;
    } else if (field_key == EventKey::trace_id) {
      st = read_optional_string(v, key, e.trace_id);
    } else if (field_key == EventKey::source) {
      st = read_optional_string(v, key, e.source);
    } else if (field_key == EventKey::schema_version) {
      auto n = internal::read_int64(v, "schema_version");
      if (!n) return n.error();
      if (*n < 1 || *n > kSchemaVersion) {
        return make_error("schema_version", "version " + std::to_string(*n) +
                                                " is not supported (this eventlens reads 1)");
      }
      e.schema_version = static_cast<std::int32_t>(*n);
    } else {
      return unknown_field(key, "event");
    }
    if (!st) return st;
  }
  if (!have_attributes) e.attributes.clear();
  if (!have_time) return missing("time");
  if (e.type.empty()) return missing("type");
  if (!have_category) e.category = category_of_type(e.type).value_or(Category::other);
  if (e.id.empty()) e.id = derive_event_id(e);
  return ok_status();
}

Status decode_metric_object(od::object obj, MetricSample& m) {
  m.name.clear();
  m.labels.clear();
  m.time = 0;
  m.value = 0;
  bool have_time = false;
  bool have_value = false;
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = internal::read_key(field, key)) return make_error("", internal::describe(ec));
    od::value v = field.value();
    if (key == "name") {
      auto s = internal::read_string(v, "name");
      if (!s) return s.error();
      if (!valid_metric_name(*s)) {
        return make_error("name", "\"" + std::string(s->substr(0, 64)) +
                                      "\" is not a Prometheus metric name");
      }
      m.name.assign(*s);
    } else if (key == "labels") {
      if (auto st = read_labels(v, m.labels); !st) return st;
    } else if (key == "time") {
      auto t = internal::read_time(v, "time");
      if (!t) return t.error();
      m.time = *t;
      have_time = true;
    } else if (key == "value") {
      auto d = internal::read_double(v, "value");
      if (!d) return d.error();
      m.value = *d;
      have_value = true;
    } else {
      return unknown_field(key, "metric sample");
    }
  }
  if (m.name.empty()) return missing("name");
  if (!have_time) return missing("time");
  if (!have_value) return missing("value");
  return ok_status();
}

Status decode_log_object(od::object obj, LogRecord& l) {
  l.time = 0;
  l.service.clear();
  l.severity = Severity::info;
  l.body.clear();
  l.attributes.clear();
  l.trace_id.clear();
  l.span_id.clear();
  bool have_time = false;
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = internal::read_key(field, key)) return make_error("", internal::describe(ec));
    od::value v = field.value();
    Status st = ok_status();
    if (key == "time") {
      auto t = internal::read_time(v, "time");
      if (!t) return t.error();
      l.time = *t;
      have_time = true;
    } else if (key == "service") {
      st = read_optional_string(v, key, l.service);
    } else if (key == "severity") {
      std::string s;
      st = read_optional_string(v, key, s);
      if (st && !s.empty() && !parse_severity(s, l.severity)) {
        return make_error("severity", "unknown severity \"" + s + "\"");
      }
    } else if (key == "body") {
      st = read_optional_string(v, key, l.body);
    } else if (key == "attributes") {
      st = read_attributes(v, key, l.attributes);
    } else if (key == "trace_id") {
      st = read_optional_string(v, key, l.trace_id);
    } else if (key == "span_id") {
      st = read_optional_string(v, key, l.span_id);
    } else {
      return unknown_field(key, "log record");
    }
    if (!st) return st;
  }
  if (!have_time) return missing("time");
  return ok_status();
}

Status decode_span_object(od::object obj, Span& s) {
  s.trace_id.clear();
  s.span_id.clear();
  s.parent_span_id.clear();
  s.service.clear();
  s.name.clear();
  s.start = s.end = 0;
  s.status = SpanStatus::unset;
  s.attributes.clear();
  bool have_start = false;
  bool have_end = false;
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = internal::read_key(field, key)) return make_error("", internal::describe(ec));
    od::value v = field.value();
    Status st = ok_status();
    if (key == "trace_id") {
      st = read_optional_string(v, key, s.trace_id);
    } else if (key == "span_id") {
      st = read_optional_string(v, key, s.span_id);
    } else if (key == "parent_span_id") {
      st = read_optional_string(v, key, s.parent_span_id);
    } else if (key == "service") {
      st = read_optional_string(v, key, s.service);
    } else if (key == "name") {
      st = read_optional_string(v, key, s.name);
    } else if (key == "start" || key == "end") {
      auto t = internal::read_time(v, key);
      if (!t) return t.error();
      (key == "start" ? s.start : s.end) = *t;
      (key == "start" ? have_start : have_end) = true;
    } else if (key == "status") {
      std::string text;
      st = read_optional_string(v, key, text);
      if (st && !text.empty() && !parse_span_status(text, s.status)) {
        return make_error("status", "unknown span status \"" + text + "\" (unset, ok, error)");
      }
    } else if (key == "attributes") {
      st = read_attributes(v, key, s.attributes);
    } else {
      return unknown_field(key, "span");
    }
    if (!st) return st;
  }
  if (s.trace_id.empty()) return missing("trace_id");
  if (s.span_id.empty()) return missing("span_id");
  if (!have_start) return missing("start");
  if (!have_end) return missing("end");
  if (s.end < s.start) return make_error("end", "span ends before it starts");
  return ok_status();
}

template <typename T>
T& reuse(Record& r) {
  if (T* existing = std::get_if<T>(&r)) return *existing;
  return r.emplace<T>();
}

}  // namespace

struct NativeJsonDecoder::Impl {
  DecodeOptions options;
  NativeKind kind;
  od::parser parser;
  std::string scratch;
  Record record;  // lent to the handler, reused line after line

  // Parses `json` and hands its top-level object to `body`; turns parse
  // failures into Errors.
  template <typename Body>
  Status with_object(std::string_view json, std::size_t capacity, Body&& body) {
    if (json.size() > options.max_record_bytes) {
      return make_error("", "record is " + std::to_string(json.size()) + " bytes, over the " +
                                std::to_string(options.max_record_bytes) + "-byte limit");
    }
    od::document doc;
    if (auto ec = parser.iterate(internal::padded(json, capacity, scratch)).get(doc)) {
      return make_error("", internal::describe(ec));
    }
    od::object obj;
    if (auto ec = doc.get_object().get(obj)) {
      return make_error("", ec == simdjson::INCORRECT_TYPE ? "expected a JSON object"
                                                           : internal::describe(ec));
    }
    Status st = body(obj, doc);
    if (!st) {
      // A structural fault deep inside shows up as a generic error on the
      // field being read; report what the parser saw instead.
      return st;
    }
    const char* next = nullptr;
    if (doc.current_location().get(next) == simdjson::SUCCESS) {
      return make_error("", "trailing content after the JSON object");
    }
    return st;
  }

  // Returns the kind the object's keys imply. A parse error met on the way is
  // returned as is: the document cannot be rewound after one.
  Result<NativeKind> classify(od::object obj) {
    bool has_value = false, has_span = false, has_body = false, has_name = false;
    for (auto field : obj) {
      std::string_view key;
      if (auto ec = internal::read_key(field, key)) return make_error("", internal::describe(ec));
      if (key == "value") has_value = true;
      else if (key == "name") has_name = true;
      else if (key == "start" || key == "end" || key == "parent_span_id") has_span = true;
      else if (key == "body") has_body = true;
    }
    if (has_span) return NativeKind::span;
    if (has_value || has_name) return NativeKind::metric;
    if (has_body) return NativeKind::log;
    return NativeKind::event;
  }
};

NativeJsonDecoder::NativeJsonDecoder(DecodeOptions options, NativeKind kind)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->kind = kind;
}

NativeJsonDecoder::~NativeJsonDecoder() = default;

Status NativeJsonDecoder::decode_event(std::string_view json, std::size_t capacity, Event& out) {
  return impl_->with_object(json, capacity, [&](od::object obj, od::document&) {
    return decode_event_object(obj, out);
  });
}

Status NativeJsonDecoder::decode_one(std::string_view json, std::size_t capacity, Record& out) {
  return impl_->with_object(json, capacity, [&](od::object obj, od::document& doc) -> Status {
    NativeKind kind = impl_->kind;
    if (kind == NativeKind::automatic) {
      auto classified = impl_->classify(obj);
      if (!classified) return classified.error();
      kind = *classified;
      doc.rewind();
      if (auto ec = doc.get_object().get(obj)) return make_error("", internal::describe(ec));
    }
    // Reuse the record's storage when it already holds this kind.
    switch (kind) {
      case NativeKind::metric: return decode_metric_object(obj, reuse<MetricSample>(out));
      case NativeKind::log: return decode_log_object(obj, reuse<LogRecord>(out));
      case NativeKind::span: return decode_span_object(obj, reuse<Span>(out));
      default: return decode_event_object(obj, reuse<Event>(out));
    }
  });
}

void NativeJsonDecoder::decode(std::string_view payload, RecordHandler& out) {
  Record& record = impl_->record;
  internal::for_each_line(payload, [&](std::string_view line, std::size_t line_no) {
    const std::size_t capacity = static_cast<std::size_t>(payload.data() + payload.size() - line.data());
    if (Status st = decode_one(line, capacity, record); st) {
      out.on_record(record, line_no);
    } else {
      out.on_reject(Error(st.error()), line_no);
    }
  });
}

void encode_native(const Event& e, std::string& out) {
  JsonWriter w(out);
  w.begin_object();
  w.field("id", e.id);
  w.key("time");
  w.time(e.time);
  w.field("category", to_string(e.category));
  w.field("type", e.type);
  w.field_if_set("service", e.service);
  w.field_if_set("namespace", e.namespace_);
  w.field_if_set("cluster", e.cluster);
  w.field_if_set("node", e.node);
  w.field_if_set("pod", e.pod);
  w.field("severity", to_string(e.severity));
  w.field_if_set("message", e.message);
  if (!e.attributes.empty()) {
    w.key("attributes");
    w.attributes(e.attributes);
  }
  w.field_if_set("trace_id", e.trace_id);
  w.field_if_set("source", e.source);
  w.key("schema_version");
  w.integer(e.schema_version);
  w.end_object();
}

void encode_native(const MetricSample& m, std::string& out) {
  JsonWriter w(out);
  w.begin_object();
  w.field("name", m.name);
  w.key("labels");
  w.labels(m.labels);
  w.key("time");
  w.time(m.time);
  w.key("value");
  w.number(m.value);
  w.end_object();
}

void encode_native(const LogRecord& l, std::string& out) {
  JsonWriter w(out);
  w.begin_object();
  w.key("time");
  w.time(l.time);
  w.field_if_set("service", l.service);
  w.field("severity", to_string(l.severity));
  w.field("body", l.body);
  if (!l.attributes.empty()) {
    w.key("attributes");
    w.attributes(l.attributes);
  }
  w.field_if_set("trace_id", l.trace_id);
  w.field_if_set("span_id", l.span_id);
  w.end_object();
}

void encode_native(const Span& s, std::string& out) {
  JsonWriter w(out);
  w.begin_object();
  w.field("trace_id", s.trace_id);
  w.field("span_id", s.span_id);
  w.field_if_set("parent_span_id", s.parent_span_id);
  w.field_if_set("service", s.service);
  w.field("name", s.name);
  w.key("start");
  w.time(s.start);
  w.key("end");
  w.time(s.end);
  w.field("status", to_string(s.status));
  if (!s.attributes.empty()) {
    w.key("attributes");
    w.attributes(s.attributes);
  }
  w.end_object();
}

void encode_native(const Record& r, std::string& out) {
  std::visit([&out](const auto& x) { encode_native(x, out); }, r);
}

}  // namespace eventlens::codec
