#include "codec/k8s_event.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "codec/internal/json_read.h"
#include "codec/internal/k8s_json_scan.h"
#include "codec/internal/k8s_reasons.h"
#include "codec/internal/k8s_yaml.h"
#include "codec/json_writer.h"
#include "model/taxonomy.h"

namespace eventlens::codec {

namespace od = internal::od;

namespace {

constexpr std::string_view kAnnotationPrefix = "eventlens.io/";

std::string join(std::string_view parent, std::string_view key) {
  std::string out(parent);
  if (!out.empty() && !key.empty()) out += '.';
  out += key;
  return out;
}

// Returns `e` with `prefix` ("object", "items[3]") before its field.
Error prefixed(Error e, std::string_view prefix) {
  if (prefix.empty()) return e;
  if (e.field.empty()) {
    e.field = std::string(prefix);
  } else {
    e.field = std::string(prefix) + (e.field.front() == '[' ? "" : ".") + e.field;
  }
  return e;
}

Error at(std::string_view parent, std::string_view key, Error e) {
  e.field = join(parent, key);
  return e;
}

struct ObjectRef {
  std::string_view kind, name, namespace_, uid, field_path;
};

struct EventSource {
  std::string_view component, host;
};

struct OptionalTime {
  bool set = false;
  TimeNs value = 0;
};

struct OptionalCount {
  bool set = false;
  std::int64_t value = 0;
};

struct Annotation {
  std::string_view key;  // without the eventlens.io/ prefix
  std::string_view value;
};

// The fields of one Event object that the mapping reads: views into the
// parser's buffers, valid while its document is.
struct EventFields {
  std::string_view kind, api_version;
  std::string_view name, namespace_, uid;  // metadata
  OptionalTime creation;
  bool have_involved = false;
  bool have_regarding = false;
  ObjectRef involved, regarding;
  std::string_view reason, message, note, type, action;
  std::string_view reporting_component, reporting_controller, reporting_instance;
  EventSource source, deprecated_source;
  OptionalTime first, last, event_time, deprecated_first, deprecated_last, series_last;
  OptionalCount count, deprecated_count, series_count;
  std::vector<Annotation> annotations;  // eventlens.io/* only

  void clear() {
    std::vector<Annotation> keep = std::move(annotations);
    keep.clear();
    *this = EventFields{};
    annotations = std::move(keep);
  }
};

// Reads a string that may be null (read as empty).
Status read_text(od::value v, std::string_view parent, std::string_view key, std::string_view& out) {
  const auto ec = v.get_string().get(out);
  if (ec == simdjson::SUCCESS) return ok_status();
  out = {};
  if (ec == simdjson::INCORRECT_TYPE) {
    if (internal::is_null(v)) return ok_status();
    return internal::wrong_type(join(parent, key), "string", v);
  }
  return make_error(join(parent, key), internal::describe(ec));
}

// Reads a Kubernetes time (metav1.Time, MicroTime): an RFC 3339 string;
// null or "" is absent.
Status read_k8s_time(od::value v, std::string_view parent, std::string_view key, OptionalTime& out) {
  out = OptionalTime{};
  std::string_view s;
  const auto ec = v.get_string().get(s);
  if (ec == simdjson::INCORRECT_TYPE) {
    if (internal::is_null(v)) return ok_status();
    return internal::wrong_type(join(parent, key), "an RFC 3339 string", v);
  }
  if (ec) return make_error(join(parent, key), internal::describe(ec));
  if (s.empty()) return ok_status();
  auto t = parse_rfc3339(s);
  if (!t) return make_error(join(parent, key), t.error().reason);
  out.set = true;
  out.value = *t;
  return ok_status();
}

Status read_count(od::value v, std::string_view parent, std::string_view key, OptionalCount& out) {
  out = OptionalCount{};
  if (internal::is_null(v)) return ok_status();
  auto n = internal::read_int64(v, {});
  if (!n) return at(parent, key, n.error());
  if (*n < 0) return make_error(join(parent, key), "count is negative");
  out.set = true;
  out.value = *n;
  return ok_status();
}

// Opens an object that may be null; `present` says which it was.
Status open_object(od::value v, std::string_view path, od::object& obj, bool& present) {
  present = false;
  const auto ec = v.get_object().get(obj);
  if (ec == simdjson::INCORRECT_TYPE) {
    if (internal::is_null(v)) return ok_status();
    return internal::wrong_type(path, "object", v);
  }
  if (ec) return make_error(std::string(path), internal::describe(ec));
  present = true;
  return ok_status();
}

// Calls fn(key, value) for each member of `obj`; stops at the first error.
template <typename Fn>
Status for_each_member(od::object obj, std::string_view path, Fn&& fn) {
  std::string_view last_key;
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = internal::read_key(field, key)) {
      return make_error(join(path, last_key), internal::describe(ec));
    }
    last_key = key;
    od::value v;
    if (auto ec = field.value().get(v)) return make_error(join(path, key), internal::describe(ec));
    if (Status st = fn(key, v); !st) return st;
  }
  return ok_status();
}

// Positions `out` on the member `key` of `obj`, which the caller knows is
// there (scan_shape saw it); the members after it are not read.
Status find_member(od::object obj, std::string_view key, od::value& out) {
  std::string_view last_key;
  for (auto field : obj) {
    std::string_view k;
    if (auto ec = internal::read_key(field, k)) return make_error(std::string(last_key), internal::describe(ec));
    last_key = k;
    if (k != key) continue;
    if (auto ec = field.value().get(out)) return make_error(std::string(key), internal::describe(ec));
    return ok_status();
  }
  return make_error(std::string(key), "missing");
}

Status read_object_ref(od::value v, std::string_view key, ObjectRef& ref, bool& present) {
  ref = ObjectRef{};
  od::object obj;
  if (Status st = open_object(v, key, obj, present); !st || !present) return st;
  return for_each_member(obj, key, [&](std::string_view k, od::value fv) -> Status {
    std::string_view* target = k == "kind"        ? &ref.kind
                               : k == "name"      ? &ref.name
                               : k == "namespace" ? &ref.namespace_
                               : k == "uid"       ? &ref.uid
                               : k == "fieldPath" ? &ref.field_path
                                                  : nullptr;
    return target != nullptr ? read_text(fv, key, k, *target) : ok_status();
  });
}

Status read_source(od::value v, std::string_view key, EventSource& source) {
  source = EventSource{};
  od::object obj;
  bool present = false;
  if (Status st = open_object(v, key, obj, present); !st || !present) return st;
  return for_each_member(obj, key, [&](std::string_view k, od::value fv) -> Status {
    if (k == "component") return read_text(fv, key, k, source.component);
    if (k == "host") return read_text(fv, key, k, source.host);
    return ok_status();
  });
}

Status read_series(od::value v, EventFields& f) {
  od::object obj;
  bool present = false;
  if (Status st = open_object(v, "series", obj, present); !st || !present) return st;
  return for_each_member(obj, "series", [&](std::string_view k, od::value fv) -> Status {
    if (k == "count") return read_count(fv, "series", k, f.series_count);
    if (k == "lastObservedTime") return read_k8s_time(fv, "series", k, f.series_last);
    return ok_status();
  });
}

Status read_annotations(od::value v, EventFields& f) {
  constexpr std::string_view kPath = "metadata.annotations";
  od::object obj;
  bool present = false;
  if (Status st = open_object(v, kPath, obj, present); !st || !present) return st;
  return for_each_member(obj, kPath, [&](std::string_view k, od::value fv) -> Status {
    // Other annotations are not read, so their values are not checked.
    if (k.substr(0, kAnnotationPrefix.size()) != kAnnotationPrefix) return ok_status();
    std::string_view value;
    const auto ec = fv.get_string().get(value);
    if (ec == simdjson::INCORRECT_TYPE) return internal::wrong_type(join(kPath, k), "string", fv);
    if (ec) return make_error(join(kPath, k), internal::describe(ec));
    f.annotations.push_back(Annotation{k.substr(kAnnotationPrefix.size()), value});
    return ok_status();
  });
}

Status read_metadata(od::value v, EventFields& f) {
  od::object obj;
  bool present = false;
  if (Status st = open_object(v, "metadata", obj, present); !st || !present) return st;
  return for_each_member(obj, "metadata", [&](std::string_view k, od::value fv) -> Status {
    if (k == "name") return read_text(fv, "metadata", k, f.name);
    if (k == "namespace") return read_text(fv, "metadata", k, f.namespace_);
    if (k == "uid") return read_text(fv, "metadata", k, f.uid);
    if (k == "creationTimestamp") return read_k8s_time(fv, "metadata", k, f.creation);
    if (k == "annotations") return read_annotations(fv, f);
    return ok_status();
  });
}

enum class EventKey {
  kind, api_version, metadata, involved_object, regarding, reason, message, note, type, action,
  source, deprecated_source, first_timestamp, last_timestamp, deprecated_first_timestamp,
  deprecated_last_timestamp, event_time, count, deprecated_count, series, reporting_component,
  reporting_controller, reporting_instance, other
};

// A switch on the length first: most keys then cost one comparison.
EventKey event_key(std::string_view k) {
  switch (k.size()) {
    case 4:
      if (k == "kind") return EventKey::kind;
      if (k == "note") return EventKey::note;
      if (k == "type") return EventKey::type;
      break;
    case 5: if (k == "count") return EventKey::count; break;
    case 6:
      if (k == "reason") return EventKey::reason;
      if (k == "action") return EventKey::action;
      if (k == "source") return EventKey::source;
      if (k == "series") return EventKey::series;
      break;
    case 7: if (k == "message") return EventKey::message; break;
    case 8: if (k == "metadata") return EventKey::metadata; break;
    case 9:
      if (k == "regarding") return EventKey::regarding;
      if (k == "eventTime") return EventKey::event_time;
      break;
    case 10: if (k == "apiVersion") return EventKey::api_version; break;
    case 13: if (k == "lastTimestamp") return EventKey::last_timestamp; break;
    case 14:
      if (k == "involvedObject") return EventKey::involved_object;
      if (k == "firstTimestamp") return EventKey::first_timestamp;
      break;
    case 15: if (k == "deprecatedCount") return EventKey::deprecated_count; break;
    case 16: if (k == "deprecatedSource") return EventKey::deprecated_source; break;
    case 17: if (k == "reportingInstance") return EventKey::reporting_instance; break;
    case 18: if (k == "reportingComponent") return EventKey::reporting_component; break;
    case 19: if (k == "reportingController") return EventKey::reporting_controller; break;
    case 23: if (k == "deprecatedLastTimestamp") return EventKey::deprecated_last_timestamp; break;
    case 24: if (k == "deprecatedFirstTimestamp") return EventKey::deprecated_first_timestamp; break;
    default: break;
  }
  return EventKey::other;
}

Status read_event_fields(od::object obj, EventFields& f) {
  f.clear();
  return for_each_member(obj, "", [&](std::string_view k, od::value v) -> Status {
    switch (event_key(k)) {
      case EventKey::kind: return read_text(v, "", k, f.kind);
      case EventKey::api_version: return read_text(v, "", k, f.api_version);
      case EventKey::metadata: return read_metadata(v, f);
      case EventKey::involved_object: return read_object_ref(v, k, f.involved, f.have_involved);
      case EventKey::regarding: return read_object_ref(v, k, f.regarding, f.have_regarding);
      case EventKey::reason: return read_text(v, "", k, f.reason);
      case EventKey::message: return read_text(v, "", k, f.message);
      case EventKey::note: return read_text(v, "", k, f.note);
      case EventKey::type: return read_text(v, "", k, f.type);
      case EventKey::action: return read_text(v, "", k, f.action);
      case EventKey::source: return read_source(v, k, f.source);
      case EventKey::deprecated_source: return read_source(v, k, f.deprecated_source);
      case EventKey::first_timestamp: return read_k8s_time(v, "", k, f.first);
      case EventKey::last_timestamp: return read_k8s_time(v, "", k, f.last);
      case EventKey::deprecated_first_timestamp: return read_k8s_time(v, "", k, f.deprecated_first);
      case EventKey::deprecated_last_timestamp: return read_k8s_time(v, "", k, f.deprecated_last);
      case EventKey::event_time: return read_k8s_time(v, "", k, f.event_time);
      case EventKey::count: return read_count(v, "", k, f.count);
      case EventKey::deprecated_count: return read_count(v, "", k, f.deprecated_count);
      case EventKey::series: return read_series(v, f);
      case EventKey::reporting_component: return read_text(v, "", k, f.reporting_component);
      case EventKey::reporting_controller: return read_text(v, "", k, f.reporting_controller);
      case EventKey::reporting_instance: return read_text(v, "", k, f.reporting_instance);
      case EventKey::other: break;
    }
    return ok_status();
  });
}

// Overwrites a record's attributes in place, so that a reused record keeps
// its string capacity.
class AttributeSlots {
 public:
  explicit AttributeSlots(Attributes& a) : a_(a) {}
  ~AttributeSlots() { a_.resize(n_); }
  AttributeSlots(const AttributeSlots&) = delete;
  AttributeSlots& operator=(const AttributeSlots&) = delete;

  std::string& text(std::string_view key) {
    AttributeValue& v = slot(key);
    if (auto* s = std::get_if<std::string>(&v)) {
      s->clear();
      return *s;
    }
    return v.emplace<std::string>();
  }
  void text(std::string_view key, std::string_view value) { text(key).assign(value); }
  void text_if_set(std::string_view key, std::string_view value) {
    if (!value.empty()) text(key, value);
  }
  void integer(std::string_view key, std::int64_t value) { slot(key) = value; }

 private:
  AttributeValue& slot(std::string_view key) {
    if (n_ == a_.size()) a_.emplace_back();
    auto& kv = a_[n_++];
    kv.first.assign(key);
    return kv.second;
  }
  Attributes& a_;
  std::size_t n_ = 0;
};

std::string_view first_non_empty(std::initializer_list<std::string_view> values) {
  for (const std::string_view v : values) {
    if (!v.empty()) return v;
  }
  return {};
}

const OptionalTime* first_set(std::initializer_list<const OptionalTime*> times) {
  for (const OptionalTime* t : times) {
    if (t->set) return t;
  }
  return nullptr;
}

void append_integer(std::string& out, std::int64_t v) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

// Reads a value whose wrong type is not this pass's business: a later pass,
// or the default, deals with it.
template <typename T>
void read_or_default(simdjson::simdjson_result<T>&& r, T& out) {
  if (std::move(r).get(out) != simdjson::SUCCESS) out = T{};
}

// What to do with one Kubernetes object.
enum class Disposition { event, status, skip, not_an_event };

Disposition dispose(std::string_view kind, bool has_ref) {
  if (kind == "Event") return Disposition::event;
  if (kind == "Status") return Disposition::status;
  if (kind.empty()) return has_ref ? Disposition::event : Disposition::not_an_event;
  return Disposition::skip;
}

Error not_an_event_error() {
  return make_error("involvedObject",
                    "missing, and no regarding either: without kind, involvedObject or regarding "
                    "this is not a Kubernetes Event (a reduced or foreign schema)");
}

// The top-level shape of a document, read before decoding it.
struct Shape {
  std::string_view kind;
  std::string_view type;
  bool has_ref = false;
  bool has_items = false;
  bool has_object = false;
  std::string_view object_kind;
  bool object_has_ref = false;
};

bool is_ref_key(std::string_view k) { return k == "involvedObject" || k == "regarding"; }

Status scan_shape(od::object obj, Shape& shape) {
  shape = Shape{};
  return for_each_member(obj, "", [&](std::string_view k, od::value v) -> Status {
    // Wrong types are left for the decoding pass to name.
    if (k == "kind") {
      read_or_default(v.get_string(), shape.kind);
    } else if (k == "type") {
      read_or_default(v.get_string(), shape.type);
    } else if (is_ref_key(k)) {
      shape.has_ref = true;
    } else if (k == "items") {
      od::json_type t;
      shape.has_items = v.type().get(t) == simdjson::SUCCESS && t == od::json_type::array;
    } else if (k == "object") {
      od::object inner;
      if (v.get_object().get(inner) != simdjson::SUCCESS) return ok_status();
      shape.has_object = true;
      return for_each_member(inner, "object", [&](std::string_view ik, od::value iv) -> Status {
        if (ik == "kind") {
          read_or_default(iv.get_string(), shape.object_kind);
        } else if (is_ref_key(ik)) {
          shape.object_has_ref = true;
        }
        return ok_status();
      });
    }
    return ok_status();
  });
}

// The error a Kubernetes API Status object stands for.
Error status_error(od::object obj, std::string_view field, std::string_view what) {
  std::string_view message, reason;
  std::int64_t code = 0;
  Status st = for_each_member(obj, field, [&](std::string_view k, od::value v) -> Status {
    if (k == "message") read_or_default(v.get_string(), message);
    if (k == "reason") read_or_default(v.get_string(), reason);
    if (k == "code") read_or_default(v.get_int64(), code);
    return ok_status();
  });
  if (!st) return st.error();
  std::string text(what);
  text += ": ";
  text += message.empty() ? std::string_view("(no message)") : message;
  if (!reason.empty() || code != 0) {
    text += " (";
    if (!reason.empty()) text += "reason " + std::string(reason);
    if (!reason.empty() && code != 0) text += ", ";
    if (code != 0) text += "code " + std::to_string(code);
    text += ')';
  }
  return make_error(std::string(field), std::move(text));
}

Error size_error(std::size_t size, std::size_t limit, std::string_view what) {
  return make_error("", std::string(what) + " is " + std::to_string(size) + " bytes, over the " +
                            std::to_string(limit) + "-byte limit");
}

// Returns the error simdjson's iterate() reported, with the field located by
// our own scan when simdjson gives no position.
Error parse_error(std::string_view json, simdjson::error_code ec) {
  if (ec == simdjson::UTF8_ERROR) {
    const std::size_t offset = internal::first_invalid_utf8(json);
    return make_error(internal::json_path_at(json, offset), "not valid UTF-8");
  }
  if (ec == simdjson::UNCLOSED_STRING || ec == simdjson::INCOMPLETE_ARRAY_OR_OBJECT) {
    return make_error(internal::json_path_at(json, json.size()), internal::describe(ec));
  }
  return make_error("", internal::describe(ec));
}

Error flaw_error(std::string_view json, const internal::JsonValueSpan& span) {
  using internal::JsonFlaw;
  switch (span.flaw) {
    case JsonFlaw::unterminated_string:
      return make_error(internal::json_path_at(json, span.flaw_offset + 1),
                        "unterminated string (truncated JSON)");
    case JsonFlaw::truncated:
      return make_error(internal::json_path_at(json, span.flaw_offset),
                        "truncated JSON: an object or array is not closed");
    case JsonFlaw::too_deep:
      return make_error(internal::json_path_at(json, span.flaw_offset),
                        "nesting deeper than " + std::to_string(internal::kMaxK8sNesting) + " levels");
    case JsonFlaw::not_json:
    case JsonFlaw::none:
      break;
  }
  const std::string_view shown = json.substr(0, 32);
  return make_error("", "not JSON: expected a Kubernetes object, found \"" + std::string(shown) +
                            (json.size() > shown.size() ? "...\"" : "\""));
}

// Payload lines where the records of one top-level value start.
class ValueLines {
 public:
  ValueLines(std::string_view text, std::size_t first_line, const std::vector<std::size_t>* item_lines)
      : text_(text), first_line_(first_line), item_lines_(item_lines) {}

  std::size_t first() const { return first_line_; }

  // Returns the line of the `index`-th item, which starts at byte `offset`
  // of the text; items come in increasing order.
  std::size_t item(std::size_t index, std::size_t offset) {
    if (item_lines_ != nullptr) return index < item_lines_->size() ? (*item_lines_)[index] : first_line_;
    offset = std::min(offset, text_.size());
    if (offset < counted_to_) return first_line_ + newlines_;
    newlines_ += static_cast<std::size_t>(
        std::count(text_.begin() + static_cast<std::ptrdiff_t>(counted_to_),
                   text_.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
    counted_to_ = offset;
    return first_line_ + newlines_;
  }

 private:
  std::string_view text_;
  std::size_t first_line_;
  const std::vector<std::size_t>* item_lines_;
  std::size_t counted_to_ = 0;
  std::size_t newlines_ = 0;
};

}  // namespace

struct K8sEventDecoder::Impl {
  DecodeOptions options;
  // A List's items are parsed again on their own (item_parser) and the
  // attributes annotation inside an object (attr_parser): each needs a
  // parser of its own while the enclosing document is open.
  od::parser doc_parser;
  od::parser item_parser;
  od::parser attr_parser;
  std::string doc_scratch, item_scratch, attr_scratch;
  Record record{std::in_place_type<Event>};
  EventFields fields;
  internal::YamlToJson yaml;

  Event& event() { return std::get<Event>(record); }

  void reject(Error e, std::string_view prefix, std::size_t position, RecordHandler& out) {
    out.on_reject(prefixed(std::move(e), prefix), position);
  }

  void decode_json(std::string_view payload, RecordHandler& out) {
    internal::JsonValueScanner scanner(payload);
    internal::JsonValueSpan span;
    while (scanner.next(span)) {
      const std::string_view json = payload.substr(span.begin, span.end - span.begin);
      if (span.flaw != internal::JsonFlaw::none) {
        out.on_reject(flaw_error(json, span), span.line);
        continue;
      }
      ValueLines lines(json, span.line, nullptr);
      decode_value(json, payload.size() - span.begin, lines, out);
    }
  }

  void decode_yaml(std::string_view payload, RecordHandler& out) {
    struct Sink final : internal::YamlDocumentSink {
      Sink(Impl& i, RecordHandler& h) : impl(i), handler(h) {}
      void on_document(const internal::YamlDocument& doc) override {
        ValueLines lines(doc.json, doc.line, doc.item_lines);
        impl.decode_value(doc.json, doc.json.size() + simdjson::SIMDJSON_PADDING, lines, handler);
      }
      void on_error(Error&& error, std::size_t line) override { handler.on_reject(std::move(error), line); }
      Impl& impl;
      RecordHandler& handler;
    } sink(*this, out);
    yaml.convert(payload, options.max_payload_bytes, sink);
  }

  // Decodes one top-level JSON value: an object, a List, a watch event, or a
  // bare array of objects.
  void decode_value(std::string_view json, std::size_t capacity, ValueLines& lines, RecordHandler& out) {
    const std::size_t position = lines.first();
    const auto buffer = internal::padded(json, capacity, doc_scratch);
    const char* const buffer_end = buffer.data() + (buffer.data() == json.data() ? capacity : doc_scratch.size());
    od::document doc;
    if (auto ec = doc_parser.iterate(buffer).get(doc)) {
      out.on_reject(parse_error(json, ec), position);
      return;
    }
    od::json_type t;
    if (auto ec = doc.type().get(t)) {
      out.on_reject(parse_error(json, ec), position);
      return;
    }
    if (t == od::json_type::array) {
      od::array arr;
      if (auto ec = doc.get_array().get(arr)) {
        out.on_reject(make_error("", internal::describe(ec)), position);
        return;
      }
      decode_items(arr, "", {}, buffer.data(), buffer_end, lines, out);
      return;
    }
    if (t != od::json_type::object) {
      out.on_reject(make_error("", "expected a Kubernetes object, got a JSON " +
                                       std::string(internal::type_name(t))),
                    position);
      return;
    }
    Shape shape;
    od::object obj;
    Status st = doc.get_object().get(obj) ? make_error("", "malformed JSON") : scan_shape(obj, shape);
    if (!st) {
      out.on_reject(Error(st.error()), position);
      return;
    }
    doc.rewind();
    if (shape.has_items && !shape.has_ref) {
      decode_list(doc, shape.kind, buffer.data(), buffer_end, lines, out);
      return;
    }
    if (json.size() > options.max_record_bytes) {
      out.on_reject(size_error(json.size(), options.max_record_bytes, "object"), position);
      return;
    }
    if (doc.get_object().get(obj)) {
      out.on_reject(make_error("", "malformed JSON"), position);
      return;
    }
    if (shape.has_object && !shape.has_ref) {
      decode_watch(obj, shape, position, out);
      return;
    }
    decode_object(obj, dispose(shape.kind, shape.has_ref), shape.kind, "", position, out);
  }

  void decode_object(od::object obj, Disposition d, std::string_view kind, std::string_view prefix,
                     std::size_t position, RecordHandler& out) {
    switch (d) {
      case Disposition::event: {
        Status st = decode_event(obj);
        if (st) {
          out.on_record(record, position);
        } else {
          reject(st.error(), prefix, position, out);
        }
        return;
      }
      case Disposition::status:
        reject(status_error(obj, "", "Kubernetes API Status"), prefix, position, out);
        return;
      case Disposition::skip:
        out.on_skip(kind, position);
        return;
      case Disposition::not_an_event:
        reject(not_an_event_error(), prefix, position, out);
        return;
    }
  }

  void decode_watch(od::object obj, const Shape& shape, std::size_t position, RecordHandler& out) {
    // A BOOKMARK carries only a resourceVersion; a DELETED Event is one that
    // expired, not one that happened again.
    const Disposition d = dispose(shape.object_kind, shape.object_has_ref);
    if (shape.type == "BOOKMARK" || (shape.type == "DELETED" && d == Disposition::event)) {
      out.on_skip(shape.type, position);
      return;
    }
    od::value v;
    auto found = find_member(obj, "object", v);
    if (!found) {
      out.on_reject(Error(found.error()), position);
      return;
    }
    od::object inner;
    if (auto ec = v.get_object().get(inner)) {
      out.on_reject(make_error("object", internal::describe(ec)), position);
      return;
    }
    if (shape.type == "ERROR") {
      reject(status_error(inner, "", "watch ERROR"), "object", position, out);
      return;
    }
    decode_object(inner, d, shape.object_kind, "object", position, out);
  }

  void decode_list(od::document& doc, std::string_view list_kind, const char* buffer,
                   const char* buffer_end, ValueLines& lines, RecordHandler& out) {
    // Items of an EventList carry no kind of their own.
    std::string_view item_kind;
    if (list_kind.size() > 4 && list_kind.substr(list_kind.size() - 4) == "List") {
      item_kind = list_kind.substr(0, list_kind.size() - 4);
    }
    od::object obj;
    if (doc.get_object().get(obj)) {
      out.on_reject(make_error("", "malformed JSON"), lines.first());
      return;
    }
    od::value v;
    od::array arr;
    auto found = find_member(obj, "items", v);
    if (!found) {
      out.on_reject(Error(found.error()), lines.first());
      return;
    }
    if (auto ec = v.get_array().get(arr)) {
      out.on_reject(make_error("items", internal::describe(ec)), lines.first());
      return;
    }
    decode_items(arr, "items", item_kind, buffer, buffer_end, lines, out);
  }

  void decode_items(od::array arr, std::string_view path, std::string_view default_kind,
                    const char* buffer, const char* buffer_end, ValueLines& lines, RecordHandler& out) {
    std::size_t index = 0;
    for (auto element : arr) {
      const std::string prefix = std::string(path) + "[" + std::to_string(index) + "]";
      od::value v;
      od::object item;
      std::string_view text;
      auto ec = element.get(v);
      if (!ec) ec = v.get_object().get(item);
      if (ec == simdjson::INCORRECT_TYPE) {
        reject(make_error("", "expected an object"), prefix, lines.item(index, 0), out);
        ++index;
        continue;
      }
      if (!ec) ec = item.raw_json().get(text);
      if (ec) {
        // The array cannot be read past a structural error.
        reject(make_error("", internal::describe(ec)), prefix, lines.first(), out);
        return;
      }
      const std::size_t position = lines.item(index, static_cast<std::size_t>(text.data() - buffer));
      if (text.size() > options.max_record_bytes) {
        reject(size_error(text.size(), options.max_record_bytes, "object"), prefix, position, out);
      } else {
        decode_item(text, static_cast<std::size_t>(buffer_end - text.data()), default_kind, prefix,
                    position, out);
      }
      ++index;
    }
  }

  // Each List item is parsed as a document of its own, so that its kind can
  // be read before its fields whatever the key order.
  void decode_item(std::string_view text, std::size_t capacity, std::string_view default_kind,
                   std::string_view prefix, std::size_t position, RecordHandler& out) {
    od::document doc;
    od::object obj;
    Shape shape;
    auto ec = item_parser.iterate(internal::padded(text, capacity, item_scratch)).get(doc);
    if (!ec) ec = doc.get_object().get(obj);
    if (ec) {
      reject(parse_error(text, ec), prefix, position, out);
      return;
    }
    if (Status st = scan_shape(obj, shape); !st) {
      reject(st.error(), prefix, position, out);
      return;
    }
    doc.rewind();
    if (doc.get_object().get(obj)) {
      reject(make_error("", "malformed JSON"), prefix, position, out);
      return;
    }
    const std::string_view kind = shape.kind.empty() ? default_kind : shape.kind;
    decode_object(obj, dispose(kind, shape.has_ref), kind, prefix, position, out);
  }

  Status decode_event(od::object obj) {
    if (Status st = read_event_fields(obj, fields); !st) return st;
    return map_event(fields, event());
  }

  Status map_event(const EventFields& f, Event& e) {
    const ObjectRef* ref = f.have_involved ? &f.involved : f.have_regarding ? &f.regarding : nullptr;
    if (ref == nullptr) {
      return make_error("involvedObject",
                        "missing: an Event names its object in involvedObject (core/v1) or "
                        "regarding (events.k8s.io)");
    }
    const bool core = f.have_involved;

    const OptionalTime* time = first_set({&f.series_last, &f.last, &f.deprecated_last, &f.event_time,
                                          &f.first, &f.deprecated_first, &f.creation});
    e.time = time != nullptr ? time->value : 0;

    const std::string_view message = first_non_empty({f.message, f.note});
    e.message.assign(message);
    const Severity floor = internal::classify_reason(f.reason, message, e.type);
    e.severity = std::max(f.type == "Warning" ? Severity::warning : Severity::info, floor);
    e.namespace_.assign(first_non_empty({ref->namespace_, f.namespace_}));
    e.pod.assign(ref->kind == "Pod" ? ref->name : std::string_view());
    e.node.assign(ref->kind == "Node" ? ref->name
                                      : first_non_empty({f.source.host, f.deprecated_source.host}));
    internal::infer_service(ref->kind, ref->name, e.service);
    e.cluster.clear();
    e.trace_id.clear();
    e.schema_version = 1;
    const std::string_view component =
        first_non_empty({f.reporting_component, f.reporting_controller, f.source.component,
                         f.deprecated_source.component});
    e.source.assign("k8s");
    if (!component.empty()) {
      e.source += '/';
      e.source += component;
    }

    const OptionalCount* count = f.series_count.set ? &f.series_count
                                 : f.count.set      ? &f.count
                                 : f.deprecated_count.set ? &f.deprecated_count
                                                          : nullptr;
    const OptionalTime* first = first_set({&f.first, &f.deprecated_first, &f.event_time});
    {
      AttributeSlots attrs(e.attributes);
      attrs.text("k8s.reason", f.reason);
      attrs.text_if_set("k8s.kind", ref->kind);
      attrs.text_if_set("k8s.name", ref->name);
      attrs.text_if_set("k8s.uid", ref->uid);
      attrs.text_if_set("k8s.field_path", ref->field_path);
      attrs.text_if_set("k8s.event_name", f.name);
      attrs.text_if_set("k8s.action", f.action);
      attrs.text_if_set("k8s.reporting_instance", f.reporting_instance);
      if (count != nullptr) attrs.integer("k8s.count", count->value);
      if (first != nullptr) append_rfc3339(attrs.text("k8s.first_timestamp"), first->value);
      if (!f.type.empty() && f.type != "Normal" && f.type != "Warning") attrs.text("k8s.type", f.type);
      // What a scaling message states in figures (docs/k8s-reasons.md, "Scaling figures").
      const internal::ScalingFigures figures = internal::read_scaling_figures(f.reason, message);
      if (figures.from_replicas) attrs.integer("from_replicas", *figures.from_replicas);
      if (figures.to_replicas) attrs.integer("to_replicas", *figures.to_replicas);
      attrs.text_if_set("scaling_reason", figures.reason);
    }

    e.id.clear();
    if (!f.uid.empty()) {
      // A recurring event keeps its uid and counts up: each occurrence
      // gets an id of its own, and a replayed one the same id again.
      e.id.assign("k8s:");
      e.id += f.uid;
      e.id += ':';
      append_integer(e.id, count != nullptr ? count->value : 1);
    }

    bool have_time = time != nullptr;
    bool have_category = false;
    if (Status st = apply_annotations(f, e, have_time, have_category); !st) return st;
    if (!have_category) e.category = category_of_type(e.type).value_or(Category::other);
    if (!have_time) {
      return make_error(core ? "lastTimestamp" : "eventTime",
                        "no time: series.lastObservedTime, lastTimestamp, eventTime, firstTimestamp "
                        "(or their deprecated* forms) and metadata.creationTimestamp are all absent "
                        "or null");
    }
    if (e.id.empty()) e.id = derive_event_id(e);
    return ok_status();
  }

  // The eventlens.io/* annotations that encode_k8s_watch_line writes win over
  // what the Kubernetes fields say.
  Status apply_annotations(const EventFields& f, Event& e, bool& have_time, bool& have_category) {
    for (const Annotation& a : f.annotations) {
      const auto bad = [&a](std::string reason) {
        return make_error("metadata.annotations." + std::string(kAnnotationPrefix) + std::string(a.key),
                          std::move(reason));
      };
      if (a.key == "id") {
        e.id.assign(a.value);
      } else if (a.key == "type") {
        e.type.assign(a.value);
      } else if (a.key == "category") {
        if (!parse_category(a.value, e.category)) return bad("unknown category \"" + std::string(a.value) + "\"");
        have_category = true;
      } else if (a.key == "severity") {
        if (!parse_severity(a.value, e.severity)) return bad("unknown severity \"" + std::string(a.value) + "\"");
      } else if (a.key == "service") {
        e.service.assign(a.value);
      } else if (a.key == "cluster") {
        e.cluster.assign(a.value);
      } else if (a.key == "trace-id") {
        e.trace_id.assign(a.value);
      } else if (a.key == "source") {
        e.source.assign(a.value);
      } else if (a.key == "time") {
        auto t = parse_rfc3339(a.value);
        if (!t) return bad(t.error().reason);
        e.time = *t;
        have_time = true;
      } else if (a.key == "attributes") {
        if (Status st = parse_attributes(a.value, e.attributes); !st) {
          Error err = bad(st.error().reason);
          if (!st.error().field.empty()) err.field += "." + st.error().field;
          return err;
        }
      }
      // Other eventlens.io/ keys are left for newer versions.
    }
    return ok_status();
  }

  Status parse_attributes(std::string_view json, Attributes& out) {
    od::document doc;
    od::object obj;
    auto ec = attr_parser.iterate(internal::padded(json, json.size(), attr_scratch)).get(doc);
    if (!ec) ec = doc.get_object().get(obj);
    if (ec) {
      return make_error("", ec == simdjson::INCORRECT_TYPE ? "expected a JSON object"
                                                           : internal::describe(ec));
    }
    std::size_t n = 0;
    Status st = for_each_member(obj, "", [&](std::string_view k, od::value v) -> Status {
      if (n == out.size()) out.emplace_back();
      auto& [name, value] = out[n++];
      name.assign(k);
      if (Status read = internal::read_scalar_attribute_into(v, {}, value); !read) {
        return make_error(std::string(k), read.error().reason);
      }
      return ok_status();
    });
    out.resize(n);
    return st;
  }
};

K8sEventDecoder::K8sEventDecoder(DecodeOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

K8sEventDecoder::~K8sEventDecoder() = default;

void K8sEventDecoder::decode(std::string_view payload, RecordHandler& out) {
  if (payload.size() > impl_->options.max_payload_bytes) {
    out.on_reject(size_error(payload.size(), impl_->options.max_payload_bytes, "payload"), 0);
    return;
  }
  if (payload.substr(0, 3) == "\xEF\xBB\xBF") payload.remove_prefix(3);  // a UTF-8 byte order mark
  const std::size_t first = payload.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return;
  if (payload[first] == '{' || payload[first] == '[') {
    impl_->decode_json(payload, out);
  } else {
    impl_->decode_yaml(payload, out);
  }
}

namespace {

const AttributeValue* find_attribute(const Event& e, std::string_view key) {
  for (const auto& [k, v] : e.attributes) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::string_view string_attribute(const Event& e, std::string_view key) {
  const AttributeValue* v = find_attribute(e, key);
  const auto* s = v != nullptr ? std::get_if<std::string>(v) : nullptr;
  return s != nullptr ? std::string_view(*s) : std::string_view();
}

// events.k8s.io eventTime is a MicroTime: always six fraction digits.
std::string micro_time(TimeNs t) {
  const TimeNs seconds = t / kNanosPerSecond;
  const TimeNs micros = (t % kNanosPerSecond) / 1000;
  std::string s = format_rfc3339(seconds * kNanosPerSecond);
  s.pop_back();  // 'Z'
  char buf[16];
  std::snprintf(buf, sizeof buf, ".%06lldZ", static_cast<long long>(micros));
  s += buf;
  return s;
}

// metadata.name must be a DNS subdomain: lower-case letters, digits, '-', '.'.
std::string object_name(const Event& e) {
  std::string name;
  for (const char c : e.id) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.') {
      name += c;
    } else if (c >= 'A' && c <= 'Z') {
      name += static_cast<char>(c - 'A' + 'a');
    } else {
      name += '.';
    }
    if (name.size() == 253) break;
  }
  return name.empty() ? std::string("eventlens") : name;
}

}  // namespace

void encode_k8s_watch_line(const Event& e, std::string& out) {
  constexpr std::string_view kSourcePrefix = "k8s/";
  const bool natural_source = e.source == "k8s" || (e.source.size() > kSourcePrefix.size() &&
                                                    e.source.compare(0, kSourcePrefix.size(), kSourcePrefix) == 0);
  const bool exact_time = e.time >= 0 && e.time % 1000 == 0;

  JsonWriter w(out);
  w.begin_object();
  w.field("type", "ADDED");
  w.key("object");
  w.begin_object();
  w.field("kind", "Event");
  w.field("apiVersion", "events.k8s.io/v1");
  w.key("metadata");
  w.begin_object();
  w.field("name", object_name(e));
  w.field_if_set("namespace", e.namespace_);
  w.key("annotations");
  w.begin_object();
  w.field("eventlens.io/id", e.id);
  w.field("eventlens.io/type", e.type);
  w.field("eventlens.io/category", to_string(e.category));
  w.field("eventlens.io/severity", to_string(e.severity));
  w.field("eventlens.io/service", e.service);
  w.field_if_set("eventlens.io/cluster", e.cluster);
  w.field_if_set("eventlens.io/trace-id", e.trace_id);
  if (!natural_source) w.field("eventlens.io/source", e.source);
  if (!exact_time) w.field("eventlens.io/time", format_rfc3339(e.time));
  std::string attributes;
  JsonWriter(attributes).attributes(e.attributes);
  w.field("eventlens.io/attributes", attributes);
  w.end_object();
  w.end_object();

  w.field("eventTime", micro_time(e.time));
  if (natural_source && e.source != "k8s") {
    w.field("reportingController", std::string_view(e.source).substr(kSourcePrefix.size()));
  }
  w.field_if_set("reportingInstance", string_attribute(e, "k8s.reporting_instance"));
  w.field_if_set("action", string_attribute(e, "k8s.action"));
  const std::string_view reason = string_attribute(e, "k8s.reason");
  w.field("reason", !reason.empty() ? std::string(reason) : internal::reason_for_type(e.type, e.message));

  // The object the event is about says where the pod or node is: the decoder
  // reads them back from it.
  std::string_view kind, name;
  if (!e.pod.empty()) {
    kind = "Pod";
    name = e.pod;
  } else if (!e.node.empty()) {
    kind = "Node";
    name = e.node;
  } else {
    kind = string_attribute(e, "k8s.kind");
    name = string_attribute(e, "k8s.name");
    if (kind == "Pod" || kind == "Node") kind = name = {};
  }
  w.key("regarding");
  w.begin_object();
  w.field_if_set("kind", kind);
  w.field_if_set("name", name);
  w.field_if_set("namespace", e.namespace_);
  w.field_if_set("uid", string_attribute(e, "k8s.uid"));
  w.end_object();
  w.field_if_set("note", e.message);
  w.field("type", e.severity >= Severity::warning ? "Warning" : "Normal");
  if (!e.pod.empty() && !e.node.empty()) {
    w.key("deprecatedSource");
    w.begin_object();
    w.field("host", e.node);
    w.end_object();
  }
  w.end_object();
  w.end_object();
}

}  // namespace eventlens::codec
