#include "codec/cloudevents.h"

#include <algorithm>
#include <cctype>

#include "codec/internal/json_read.h"
#include "codec/internal/lines.h"
#include "codec/json_writer.h"
#include "model/taxonomy.h"

namespace eventlens::codec {

namespace od = internal::od;

namespace {

constexpr std::string_view kEventlensTypePrefix = "io.eventlens.";

// CloudEvents 1.0: attribute names are lower-case ASCII letters and digits.
bool valid_attribute_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Returns the eventlens type a CloudEvents `type` names: "io.eventlens.X" is
// X; otherwise the last dot-separated segment when it is a known type
// ("com.example.scaling.scale_up" -> scale_up); otherwise the whole string.
std::string event_type_from(std::string_view ce_type) {
  if (ce_type.substr(0, kEventlensTypePrefix.size()) == kEventlensTypePrefix) {
    return std::string(ce_type.substr(kEventlensTypePrefix.size()));
  }
  const std::size_t dot = ce_type.rfind('.');
  if (dot != std::string_view::npos && category_of_type(ce_type.substr(dot + 1))) {
    return std::string(ce_type.substr(dot + 1));
  }
  return std::string(ce_type);
}

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

// W3C traceparent: "00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>".
Result<std::string> trace_id_from_traceparent(std::string_view tp) {
  if (tp.size() != 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-' ||
      !is_hex(tp.substr(0, 2)) || !is_hex(tp.substr(3, 32)) || !is_hex(tp.substr(36, 16)) ||
      !is_hex(tp.substr(53, 2))) {
    return make_error("traceparent", "not a W3C traceparent (00-<trace id>-<parent id>-<flags>)");
  }
  return ascii_lower(tp.substr(3, 32));
}

// The state of one event under construction, shared by the structured and
// binary readers so that both apply one mapping.
struct EventBuilder {
  explicit EventBuilder(Event& target) : event(target) {}
  Event& event;
  bool have_specversion = false;
  bool have_id = false;
  bool have_source = false;
  bool have_type = false;
  bool have_time = false;
  bool have_category = false;
  bool have_data = false;

  void reset() {
    clear_for_reuse(event);
    have_specversion = have_id = have_source = have_type = have_time = have_category = have_data =
        false;
  }

  // Applies a context attribute or extension given as text (binary mode, or
  // a string in structured mode). `name` is already lower-case.
  Status apply_string(std::string_view name, std::string_view value) {
    if (name == "specversion") {
      if (value != "1.0") {
        return make_error("specversion", "unsupported CloudEvents version \"" +
                                             std::string(value.substr(0, 16)) + "\" (1.0 only)");
      }
      have_specversion = true;
    } else if (name == "id") {
      if (value.empty()) return make_error("id", "empty");
      event.id.assign(value);
      have_id = true;
    } else if (name == "source") {
      if (value.empty()) return make_error("source", "empty");
      event.source.assign(value);
      have_source = true;
    } else if (name == "type") {
      if (value.empty()) return make_error("type", "empty");
      event.type = event_type_from(value);
      // Keep a foreign type's full name; our own prefix carries nothing.
      if (event.type != value && value.substr(0, kEventlensTypePrefix.size()) != kEventlensTypePrefix) {
        event.attributes.emplace_back("ce.type", std::string(value));
      }
      have_type = true;
    } else if (name == "time") {
      auto t = parse_rfc3339(value);
      if (!t) return make_error("time", t.error().reason);
      event.time = *t;
      have_time = true;
    } else if (name == "subject" || name == "datacontenttype" || name == "dataschema") {
      event.attributes.emplace_back(std::string(name), std::string(value));
    } else if (name == "category") {
      if (!parse_category(value, event.category)) {
        return make_error("category", "unknown category \"" + std::string(value.substr(0, 32)) + "\"");
      }
      have_category = true;
    } else if (name == "severity") {
      if (!parse_severity(value, event.severity)) {
        return make_error("severity", "unknown severity \"" + std::string(value.substr(0, 32)) + "\"");
      }
    } else if (name == "service") {
      event.service.assign(value);
    } else if (name == "namespace") {
      event.namespace_.assign(value);
    } else if (name == "cluster") {
      event.cluster.assign(value);
    } else if (name == "node") {
      event.node.assign(value);
    } else if (name == "pod") {
      event.pod.assign(value);
    } else if (name == "traceid") {
      event.trace_id = ascii_lower(value);
    } else if (name == "traceparent") {
      auto id = trace_id_from_traceparent(value);
      if (!id) return id.error();
      event.trace_id = std::move(*id);
    } else if (name == "data_base64") {
      event.attributes.emplace_back("data_base64", std::string(value));
      have_data = true;
    } else {
      if (!valid_attribute_name(name)) {
        return make_error(std::string(name),
                          "not a valid CloudEvents attribute name (lower-case letters and digits)");
      }
      event.attributes.emplace_back(std::string(name), std::string(value));
    }
    return ok_status();
  }

  Status finish(TimeNs default_time) {
    if (!have_specversion) return make_error("specversion", "missing");
    if (!have_id) return make_error("id", "missing");
    if (!have_source) return make_error("source", "missing");
    if (!have_type) return make_error("type", "missing");
    // `time` is optional in CloudEvents; without it the event happened when
    // it arrived.
    if (!have_time) event.time = default_time;
    if (!have_category) event.category = category_of_type(event.type).value_or(Category::other);
    return ok_status();
  }
};

// Returns the JSON text of any value (object, array or scalar).
Result<std::string_view> raw_json(od::value v, const std::string& field) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return make_error(field, internal::describe(ec));
  std::string_view raw;
  simdjson::error_code ec;
  if (t == od::json_type::object) {
    od::object obj;
    ec = v.get_object().get(obj);
    if (!ec) ec = obj.raw_json().get(raw);
  } else if (t == od::json_type::array) {
    od::array arr;
    ec = v.get_array().get(arr);
    if (!ec) ec = arr.raw_json().get(raw);
  } else {
    ec = simdjson::SUCCESS;
    raw = v.raw_json_token();
    while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' ||
                            raw.back() == '\t')) {
      raw.remove_suffix(1);
    }
  }
  if (ec) return make_error(field, internal::describe(ec));
  return raw;
}

// The data of an event: a string is the message; an object's "message" is the
// message, its "attributes" object holds attributes, and its other members
// become "data.<key>" attributes; anything else is kept as the "data"
// attribute.
Status apply_data(od::value v, EventBuilder& b) {
  b.have_data = true;
  od::json_type t;
  if (auto ec = v.type().get(t)) return make_error("data", internal::describe(ec));
  if (t == od::json_type::null) return ok_status();
  if (t == od::json_type::string) {
    std::string_view s;
    if (auto ec = v.get_string().get(s)) return make_error("data", internal::describe(ec));
    b.event.message.assign(s);
    return ok_status();
  }
  if (t != od::json_type::object) {
    auto scalar = internal::read_scalar_attribute(v, "data");
    if (scalar) {
      b.event.attributes.emplace_back("data", std::move(*scalar));
      return ok_status();
    }
    auto raw = raw_json(v, "data");
    if (!raw) return raw.error();
    b.event.attributes.emplace_back("data", std::string(*raw));
    return ok_status();
  }
  od::object obj;
  if (auto ec = v.get_object().get(obj)) return make_error("data", internal::describe(ec));
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return make_error("data", internal::describe(ec));
    od::value member = field.value();
    const std::string path = "data." + std::string(key);
    od::json_type mt;
    if (auto ec = member.type().get(mt)) return make_error(path, internal::describe(ec));
    if (key == "message" && mt == od::json_type::string) {
      auto s = internal::read_string(member, path);
      if (!s) return s.error();
      b.event.message.assign(*s);
    } else if (key == "attributes" && mt == od::json_type::object) {
      od::object attrs;
      if (auto ec = member.get_object().get(attrs)) return make_error(path, internal::describe(ec));
      for (auto attr : attrs) {
        std::string_view ak;
        if (auto ec = attr.unescaped_key().get(ak)) return make_error(path, internal::describe(ec));
        auto value = internal::read_scalar_attribute(attr.value(), path + "." + std::string(ak));
        if (!value) return value.error();
        b.event.attributes.emplace_back(std::string(ak), std::move(*value));
      }
    } else if (mt == od::json_type::object || mt == od::json_type::array) {
      auto raw = raw_json(member, path);
      if (!raw) return raw.error();
      b.event.attributes.emplace_back(path, std::string(*raw));
    } else if (mt != od::json_type::null) {
      auto value = internal::read_scalar_attribute(member, path);
      if (!value) return value.error();
      b.event.attributes.emplace_back(path, std::move(*value));
    }
  }
  return ok_status();
}

// A non-string context attribute or extension in structured mode.
Status apply_json_value(std::string_view name, od::value v, EventBuilder& b) {
  od::json_type t;
  const std::string field(name);
  if (auto ec = v.type().get(t)) return make_error(field, internal::describe(ec));
  switch (t) {
    case od::json_type::null:
      return ok_status();  // An unset attribute (the spec's "unsetextension": null).
    case od::json_type::string: {
      auto s = internal::read_string(v, field);
      if (!s) return s.error();
      return b.apply_string(name, *s);
    }
    case od::json_type::boolean: {
      if (!valid_attribute_name(name) || name == "specversion" || name == "id" ||
          name == "source" || name == "type" || name == "time") {
        return internal::wrong_type(field, "string", v);
      }
      auto flag = internal::read_bool(v, field);
      if (!flag) return flag.error();
      b.event.attributes.emplace_back(field, *flag);
      return ok_status();
    }
    case od::json_type::number: {
      if (!valid_attribute_name(name) || name == "specversion" || name == "id" ||
          name == "source" || name == "type" || name == "time") {
        return internal::wrong_type(field, "string", v);
      }
      // The CloudEvents Integer type is a signed 32-bit integer; JSON numbers
      // with fractions or beyond that range are not CloudEvents values.
      od::number_type nt;
      if (auto ec = v.get_number_type().get(nt)) return make_error(field, internal::describe(ec));
      std::int64_t i = 0;
      if (nt != od::number_type::signed_integer || v.get_int64().get(i) ||
          i < INT32_MIN || i > INT32_MAX) {
        auto raw = raw_json(v, field);
        return make_error(field, "number " + std::string(raw ? *raw : "") +
                                     " is not a CloudEvents Integer (32-bit, no fraction)");
      }
      b.event.attributes.emplace_back(field, i);
      return ok_status();
    }
    default:
      return internal::wrong_type(field, "a string, integer or boolean", v);
  }
}

Status decode_structured_object(od::object obj, EventBuilder& b, TimeNs default_time) {
  b.reset();
  for (auto field : obj) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return make_error("", internal::describe(ec));
    od::value v = field.value();
    Status st = ok_status();
    if (key == "data") {
      if (b.have_data) return make_error("data", "both data and data_base64 are set");
      st = apply_data(v, b);
    } else if (key == "data_base64") {
      if (b.have_data) return make_error("data_base64", "both data and data_base64 are set");
      st = apply_json_value(key, v, b);
    } else {
      st = apply_json_value(key, v, b);
    }
    if (!st) return st;
  }
  return b.finish(default_time);
}

bool is_json_content_type(std::string_view ct) {
  const std::string lower = ascii_lower(ct.substr(0, ct.find(';')));
  return lower == "application/json" || lower == "text/json" ||
         (lower.size() > 5 && lower.substr(lower.size() - 5) == "+json");
}

bool is_text_content_type(std::string_view ct) {
  const std::string lower = ascii_lower(ct.substr(0, ct.find(';')));
  return lower.empty() || lower.substr(0, 5) == "text/" || lower == "application/xml" ||
         (lower.size() > 4 && lower.substr(lower.size() - 4) == "+xml");
}

std::string base64_encode(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto n = (static_cast<unsigned char>(in[i]) << 16) |
                   (static_cast<unsigned char>(in[i + 1]) << 8) | static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < in.size()) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// HTTP binary mode percent-encodes header values outside printable ASCII
// (CloudEvents HTTP binding 3.1.3.2).
std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

struct CloudEventsDecoder::Impl {
  DecodeOptions options;
  od::parser parser;
  std::string scratch;
  std::string wrapped;
  // The event under construction lives in `record`, which is lent to the
  // handler and reused: no allocation per event once strings have grown.
  Record record{std::in_place_type<Event>};
  EventBuilder builder{std::get<Event>(record)};

  void decode_document(std::string_view json, std::size_t capacity, std::size_t position,
                       RecordHandler& out) {
    if (json.size() > options.max_payload_bytes) {
      out.on_reject(make_error("", "payload is " + std::to_string(json.size()) +
                                       " bytes, over the " + std::to_string(options.max_payload_bytes) +
                                       "-byte limit"),
                    position);
      return;
    }
    od::document doc;
    if (auto ec = parser.iterate(internal::padded(json, capacity, scratch)).get(doc)) {
      out.on_reject(make_error("", internal::describe(ec)), position);
      return;
    }
    od::json_type t;
    if (auto ec = doc.type().get(t)) {
      out.on_reject(make_error("", internal::describe(ec)), position);
      return;
    }
    if (t == od::json_type::array) {
      // Batch mode: an array of structured events.
      od::array batch;
      if (auto ec = doc.get_array().get(batch)) {
        out.on_reject(make_error("", internal::describe(ec)), position);
        return;
      }
      std::size_t index = 0;
      for (auto element : batch) {
        od::object obj;
        const std::string path = "[" + std::to_string(index++) + "]";
        if (auto ec = element.get_object().get(obj)) {
          out.on_reject(make_error(path, ec == simdjson::INCORRECT_TYPE ? "expected a JSON object"
                                                                        : internal::describe(ec)),
                        position);
          if (ec != simdjson::INCORRECT_TYPE) return;  // The rest cannot be read.
          continue;
        }
        emit(decode_structured_object(obj, builder, options.default_time), path, position, out);
      }
      return;
    }
    od::object obj;
    if (auto ec = doc.get_object().get(obj)) {
      out.on_reject(make_error("", ec == simdjson::INCORRECT_TYPE ? "expected a JSON object or array"
                                                                  : internal::describe(ec)),
                    position);
      return;
    }
    emit(decode_structured_object(obj, builder, options.default_time), "", position, out);
  }

  void emit(Status st, const std::string& prefix, std::size_t position, RecordHandler& out) {
    if (!st) {
      Error e = st.error();
      if (!prefix.empty()) e.field = e.field.empty() ? prefix : prefix + "." + e.field;
      out.on_reject(std::move(e), position);
      return;
    }
    if (builder.event.id.empty()) builder.event.id = derive_event_id(builder.event);
    out.on_record(record, position);
  }
};

CloudEventsDecoder::CloudEventsDecoder(DecodeOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

CloudEventsDecoder::~CloudEventsDecoder() = default;

void CloudEventsDecoder::decode(std::string_view payload, RecordHandler& out) {
  // One pretty-printed object or array spans many lines; JSON lines hold one
  // object per line. Tell them apart by whether the first line is a whole
  // object on its own.
  const std::size_t first = payload.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return;
  const std::size_t newline = payload.find('\n', first);
  const std::string_view first_line =
      payload.substr(first, newline == std::string_view::npos ? std::string_view::npos : newline - first);
  const bool json_lines = payload[first] == '{' && newline != std::string_view::npos &&
                          payload.find_first_not_of(" \t\r\n", newline) != std::string_view::npos &&
                          first_line.find_last_not_of(" \t\r") != std::string_view::npos &&
                          first_line[first_line.find_last_not_of(" \t\r")] == '}';
  if (!json_lines) {
    impl_->decode_document(payload, payload.size(), 0, out);
    return;
  }
  internal::for_each_line(payload, [&](std::string_view line, std::size_t line_no) {
    if (line.size() > impl_->options.max_record_bytes) {
      out.on_reject(make_error("", "record is " + std::to_string(line.size()) + " bytes, over the " +
                                       std::to_string(impl_->options.max_record_bytes) + "-byte limit"),
                    line_no);
      return;
    }
    const auto capacity = static_cast<std::size_t>(payload.data() + payload.size() - line.data());
    impl_->decode_document(line, capacity, line_no, out);
  });
}

Result<Event> CloudEventsDecoder::decode_binary(const Headers& headers, std::string_view body) {
  EventBuilder& b = impl_->builder;
  b.reset();
  std::string content_type;
  for (const auto& [raw_name, raw_value] : headers) {
    const std::string name = ascii_lower(raw_name);
    if (name == "content-type") {
      content_type = raw_value;
      continue;
    }
    if (name.size() <= 3 || (name.compare(0, 3, "ce-") != 0 && name.compare(0, 3, "ce_") != 0)) {
      continue;  // Not a CloudEvents attribute (transport headers).
    }
    const std::string attribute = name.substr(3);
    // Kafka headers carry raw bytes; HTTP headers are percent-encoded.
    const std::string value = name[2] == '-' ? percent_decode(raw_value) : raw_value;
    if (Status st = b.apply_string(attribute, value); !st) {
      Error e = st.error();
      e.field = raw_name;
      return e;
    }
  }
  if (!content_type.empty()) b.event.attributes.emplace_back("datacontenttype", content_type);
  if (!body.empty()) {
    if (is_json_content_type(content_type)) {
      // Read the body as the value of a {"data": ...} wrapper so that JSON
      // data gets exactly the structured-mode mapping (apply_data).
      std::string& wrapped = impl_->wrapped;
      wrapped.assign("{\"data\":");
      wrapped += body;
      wrapped += '}';
      od::document doc;
      if (auto ec = impl_->parser.iterate(internal::padded(wrapped, wrapped.size(), impl_->scratch)).get(doc)) {
        return make_error("data", internal::describe(ec));
      }
      od::value data;
      if (auto ec = doc["data"].get(data)) return make_error("data", internal::describe(ec));
      if (Status st = apply_data(data, b); !st) return st.error();
    } else if (is_text_content_type(content_type) &&
               simdjson::validate_utf8(body.data(), body.size())) {
      b.event.message.assign(body);
    } else {
      b.event.attributes.emplace_back("data_base64", base64_encode(body));
    }
  }
  if (Status st = b.finish(impl_->options.default_time); !st) return st.error();
  if (b.event.id.empty()) b.event.id = derive_event_id(b.event);
  return Event(b.event);
}

namespace {

// Attributes that the encoder writes as CloudEvents context attributes again.
bool is_context_attribute(std::string_view key) {
  return key == "subject" || key == "datacontenttype" || key == "dataschema" || key == "ce.type";
}

// The event's data: {"message": ..., "attributes": {...}} without the
// attributes that travel as context attributes.
void write_data(JsonWriter& w, const Event& e) {
  w.begin_object();
  w.field("message", e.message);
  Attributes rest;
  for (const auto& kv : e.attributes) {
    if (!is_context_attribute(kv.first)) rest.push_back(kv);
  }
  w.key("attributes");
  w.attributes(rest);
  w.end_object();
}

std::string ce_type_of(const Event& e) {
  for (const auto& [k, v] : e.attributes) {
    if (k == "ce.type") {
      if (const auto* s = std::get_if<std::string>(&v)) return *s;
    }
  }
  return std::string(kEventlensTypePrefix) + e.type;
}

}  // namespace

void encode_cloudevent(const Event& e, std::string& out) {
  JsonWriter w(out);
  w.begin_object();
  w.field("specversion", "1.0");
  w.field("id", e.id);
  w.field("source", e.source.empty() ? std::string_view("eventlens") : std::string_view(e.source));
  w.field("type", ce_type_of(e));
  w.key("time");
  w.time(e.time);
  w.field("category", to_string(e.category));
  w.field("severity", to_string(e.severity));
  w.field_if_set("service", e.service);
  w.field_if_set("namespace", e.namespace_);
  w.field_if_set("cluster", e.cluster);
  w.field_if_set("node", e.node);
  w.field_if_set("pod", e.pod);
  w.field_if_set("traceid", e.trace_id);
  for (const auto& [k, v] : e.attributes) {
    if (k == "subject" || k == "dataschema") {
      if (const auto* s = std::get_if<std::string>(&v)) w.field(k, *s);
    }
  }
  // No datacontenttype: in the JSON format, data without one is JSON.
  w.key("data");
  write_data(w, e);
  w.end_object();
}

Headers encode_cloudevent_binary(const Event& e, std::string_view prefix, std::string& body) {
  Headers h;
  const std::string p(prefix);
  h.emplace_back(p + "specversion", "1.0");
  h.emplace_back(p + "id", e.id);
  h.emplace_back(p + "source", e.source.empty() ? "eventlens" : e.source);
  h.emplace_back(p + "type", ce_type_of(e));
  h.emplace_back(p + "time", format_rfc3339(e.time));
  h.emplace_back(p + "category", std::string(to_string(e.category)));
  h.emplace_back(p + "severity", std::string(to_string(e.severity)));
  const auto add = [&](std::string_view name, const std::string& value) {
    if (!value.empty()) h.emplace_back(p + std::string(name), value);
  };
  add("service", e.service);
  add("namespace", e.namespace_);
  add("cluster", e.cluster);
  add("node", e.node);
  add("pod", e.pod);
  add("traceid", e.trace_id);
  for (const auto& [k, v] : e.attributes) {
    if (k == "subject" || k == "dataschema") {
      if (const auto* s = std::get_if<std::string>(&v)) h.emplace_back(p + k, *s);
    }
  }
  h.emplace_back("content-type", "application/json");
  body.clear();
  JsonWriter w(body);
  write_data(w, e);
  return h;
}

}  // namespace eventlens::codec
