#include "codec/native_json.h"

#include <algorithm>
#include <cstring>

#include "codec/internal/json_read.h"
#include "codec/internal/lines.h"
#include "codec/json_writer.h"
#include "model/small_copy.h"
#include "model/taxonomy.h"

namespace eventlens::codec {

using internal::FieldPath;
namespace od = internal::od;

namespace {

constexpr std::int32_t kSchemaVersion = 1;

// Reads an optional string field: null counts as absent.
Status read_optional_string(od::value& v, std::string_view key, std::string& out) {
  std::string_view s;
  const auto ec = internal::get_string_view(v, s);
  if (ec == simdjson::SUCCESS) {
    assign_reusing(out, s);
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

// As read_optional_string, for an enum-valued field: `s` views the text (empty
// when null), valid until the next string read.
Status read_optional_text(od::value& v, std::string_view key, std::string_view& s) {
  const auto ec = internal::get_string_view(v, s);
  if (ec == simdjson::SUCCESS) return ok_status();
  s = {};
  if (internal::is_null(v)) return ok_status();
  if (ec == simdjson::INCORRECT_TYPE) return internal::wrong_type(key, "string", v);
  return make_error(std::string(key), internal::describe(ec));
}

// Reads an attributes object into `out`, overwriting its existing entries in
// place so that a reused record keeps its string capacity.
Status read_attributes(od::value& v, std::string_view key, Attributes& out) {
  std::size_t n = 0;
  if (internal::is_null(v)) {
    out.clear();
    return ok_status();
  }
  od::object obj;
  if (v.get_object().get(obj)) return internal::wrong_type(key, "object", v);
  for (auto member : obj) {
    std::string_view k;
    if (auto ec = internal::read_key(member, k)) return make_error(std::string(key), internal::describe(ec));
    if (n == out.size()) out.emplace_back();
    auto& [name, value] = out[n++];
    assign_reusing(name, k);
    // By reference: copying simdjson's value objects around costs more than
    // reading a small scalar.
    od::value& member_value = member.value_unsafe().value();
    if (Status st = internal::read_scalar_attribute_into(member_value, {}, value); !st) {
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

// Returns true when `k`, already known to have N - 1 bytes, spells `name`: a
// memcmp of constant length, which compiles to one or two loads and compares
// (string_view's == calls the library, its length not being constant).
template <std::size_t N>
bool key_is(std::string_view k, const char (&name)[N]) {
  return std::memcmp(k.data(), name, N - 1) == 0;
}

// Returns which Event field a key names: a switch on the length first, so
// that a key costs one or two comparisons instead of a chain of fifteen.
EventKey event_key(std::string_view k) {
  switch (k.size()) {
    case 2: if (key_is(k, "id")) return EventKey::id; break;
    case 3: if (key_is(k, "pod")) return EventKey::pod; break;
    case 4:
      if (key_is(k, "time")) return EventKey::time;
      if (key_is(k, "type")) return EventKey::type;
      if (key_is(k, "node")) return EventKey::node;
      break;
    case 6: if (key_is(k, "source")) return EventKey::source; break;
    case 7:
      if (key_is(k, "service")) return EventKey::service;
      if (key_is(k, "message")) return EventKey::message;
      if (key_is(k, "cluster")) return EventKey::cluster;
      break;
    case 8:
      if (key_is(k, "severity")) return EventKey::severity;
      if (key_is(k, "category")) return EventKey::category;
      if (key_is(k, "trace_id")) return EventKey::trace_id;
      break;
    case 9: if (key_is(k, "namespace")) return EventKey::namespace_; break;
    case 10: if (key_is(k, "attributes")) return EventKey::attributes; break;
    case 14: if (key_is(k, "schema_version")) return EventKey::schema_version; break;
    default: break;
  }
  return EventKey::unknown;
}

// One bit per EventKey: which fields a line has set.
constexpr std::uint32_t bit(EventKey k) { return 1u << static_cast<unsigned>(k); }

// Empties the string fields the line did not set. They are left as they were
// until then, so that a field present line after line is overwritten in place
// (see assign_reusing) rather than cleared and appended again. The id is left
// to the caller: a derived id overwrites the last one in place.
void clear_unset_strings(Event& e, std::uint32_t seen) {
  if ((seen & bit(EventKey::type)) == 0) e.type.clear();
  if ((seen & bit(EventKey::service)) == 0) e.service.clear();
  if ((seen & bit(EventKey::namespace_)) == 0) e.namespace_.clear();
  if ((seen & bit(EventKey::cluster)) == 0) e.cluster.clear();
  if ((seen & bit(EventKey::node)) == 0) e.node.clear();
  if ((seen & bit(EventKey::pod)) == 0) e.pod.clear();
  if ((seen & bit(EventKey::message)) == 0) e.message.clear();
  if ((seen & bit(EventKey::attributes)) == 0) e.attributes.clear();
  if ((seen & bit(EventKey::trace_id)) == 0) e.trace_id.clear();
  if ((seen & bit(EventKey::source)) == 0) e.source.clear();
}

[[gnu::flatten]] Status decode_event_object(od::object obj, Event& e) {
  e.time = 0;
  e.category = Category::other;
  e.severity = Severity::info;
  e.schema_version = 1;
  std::uint32_t seen = 0;
  bool have_category = false;
  for (auto field_or_error : obj) {
    if (auto ec = field_or_error.error()) return make_error("", internal::describe(ec));
    // By reference: copying simdjson's value objects costs more than reading
    // a short string.
    od::field& field = field_or_error.value_unsafe();
    od::value& v = field.value();
    // Every field name is plain ASCII, so the key's raw bytes are compared
    // first; only a key they do not name is unescaped (and then, most likely,
    // refused).
    std::string_view key;
    EventKey field_key = internal::raw_key(field, key) ? event_key(key) : EventKey::unknown;
    if (field_key == EventKey::unknown) {
      if (auto ec = internal::read_key(field, key)) return make_error("", internal::describe(ec));
      field_key = event_key(key);
    }
    seen |= bit(field_key);
    // Most fields are plain strings: their case only names the target, and
    // one shared path below reads them (one copy of it, under flatten).
    std::string* text_field = nullptr;
    switch (field_key) {
      case EventKey::time: {
        // The common layout parsed inline; any other string through
        // parse_rfc3339, an epoch number through read_time.
        std::string_view text;
        const auto ec = internal::get_string_view(v, text);
        if (ec == simdjson::SUCCESS) {
          if (!parse_rfc3339_utc(text, e.time)) {
            auto t = parse_rfc3339(text);
            if (!t) return make_error("time", t.error().reason);
            e.time = *t;
          }
        } else if (ec == simdjson::INCORRECT_TYPE) {
          auto t = internal::read_time(v, "time");
          if (!t) return t.error();
          e.time = *t;
        } else {
          return make_error("time", internal::describe(ec));
        }
        break;
      }
      case EventKey::type: text_field = &e.type; break;
      case EventKey::category: {
        std::string_view c;
        if (Status st = read_optional_text(v, key, c); !st) return st;
        if (!c.empty()) {  // null or "": derived from the type below
          if (!parse_category(c, e.category)) {
            return make_error("category", "unknown category \"" + std::string(c) +
                                              "\" (scaling, provisioning, failure, change, other)");
          }
          have_category = true;
        }
        break;
      }
      case EventKey::severity: {
        std::string_view text;
        if (Status st = read_optional_text(v, key, text); !st) return st;
        if (!text.empty() && !parse_severity(text, e.severity)) {
          return make_error("severity", "unknown severity \"" + std::string(text) +
                                            "\" (info, warning, error, critical)");
        }
        break;
      }
      case EventKey::id: text_field = &e.id; break;
      case EventKey::service: text_field = &e.service; break;
      case EventKey::namespace_: text_field = &e.namespace_; break;
      case EventKey::cluster: text_field = &e.cluster; break;
      case EventKey::node: text_field = &e.node; break;
      case EventKey::pod: text_field = &e.pod; break;
      case EventKey::message: text_field = &e.message; break;
      case EventKey::attributes:
        if (Status st = read_attributes(v, key, e.attributes); !st) return st;
        break;
      case EventKey::trace_id: text_field = &e.trace_id; break;
      case EventKey::source: text_field = &e.source; break;
      case EventKey::schema_version: {
        auto n = internal::read_int64(v, "schema_version");
        if (!n) return n.error();
        if (*n < 1 || *n > kSchemaVersion) {
          return make_error("schema_version", "version " + std::to_string(*n) +
                                                  " is not supported (this eventlens reads 1)");
        }
        e.schema_version = static_cast<std::int32_t>(*n);
        break;
      }
      case EventKey::unknown: return unknown_field(key, "event");
    }
    if (text_field != nullptr) {
      if (Status st = read_optional_string(v, key, *text_field); !st) return st;
    }
  }
  clear_unset_strings(e, seen);
  if ((seen & bit(EventKey::time)) == 0) return missing("time");
  if (e.type.empty()) return missing("type");
  if (!have_category) e.category = category_of_type(e.type).value_or(Category::other);
  if ((seen & bit(EventKey::id)) == 0 || e.id.empty()) derive_event_id(e, e.id);
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
      std::string_view s;
      st = read_optional_text(v, key, s);
      if (st && !s.empty() && !parse_severity(s, l.severity)) {
        return make_error("severity", "unknown severity \"" + std::string(s) + "\"");
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
  s.kind = SpanKind::unspecified;
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
      std::string_view text;
      st = read_optional_text(v, key, text);
      if (st && !text.empty() && !parse_span_status(text, s.status)) {
        return make_error("status", "unknown span status \"" + std::string(text) +
                                        "\" (unset, ok, error)");
      }
    } else if (key == "kind") {
      std::string_view text;
      st = read_optional_text(v, key, text);
      if (st && !text.empty() && !parse_span_kind(text, s.kind)) {
        return make_error("kind", "unknown span kind \"" + std::string(text.substr(0, 40)) +
                                      "\" (server, client, producer, consumer, internal, unspecified)");
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
  // Left out when unspecified: spans of files written before kinds existed
  // encode as they did.
  if (s.kind != SpanKind::unspecified) w.field("kind", to_string(s.kind));
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
