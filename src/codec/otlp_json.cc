#include "codec/otlp_json.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include "codec/internal/lines.h"
#include "codec/json_writer.h"

namespace eventlens::codec {
namespace {

namespace dom = simdjson::dom;

// OTLP/JSON is protobuf JSON: members may come in any order, so the codec
// reads each request into simdjson's DOM (one tape per request) rather than
// On-Demand, which must visit members in document order.

// Returns the member named `camel` or, as protobuf JSON parsers also accept,
// `snake`. Sets `found` when either exists.
dom::element member(dom::object obj, std::string_view camel, std::string_view snake, bool& found) {
  dom::element e;
  if (obj[camel].get(e) == simdjson::SUCCESS || (!snake.empty() && obj[snake].get(e) == simdjson::SUCCESS)) {
    found = true;
    return e;
  }
  found = false;
  return e;
}

std::string_view type_name(dom::element_type t) {
  switch (t) {
    case dom::element_type::ARRAY: return "array";
    case dom::element_type::OBJECT: return "object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE: return "number";
    case dom::element_type::STRING: return "string";
    case dom::element_type::BOOL: return "boolean";
    case dom::element_type::NULL_VALUE: return "null";
  }
  return "unknown";
}

Error wrong_type(const std::string& path, std::string_view expected, dom::element e) {
  return make_error(path, "expected " + std::string(expected) + ", got " + std::string(type_name(e.type())));
}

// The path of a member under `base`.
std::string at(const std::string& base, std::string_view key) {
  return base.empty() ? std::string(key) : base + "." + std::string(key);
}
std::string at(const std::string& base, std::string_view key, std::size_t index) {
  return at(base, key) + "[" + std::to_string(index) + "]";
}

// An empty array to stand for an absent one: a default-constructed
// dom::array points at no document and cannot be iterated.
dom::array empty_array() {
  thread_local dom::parser parser;
  thread_local dom::array empty = parser.parse(std::string_view("[]")).get_array().value_unsafe();
  return empty;
}

// Reads an optional array member: absent or null is an empty array.
Result<dom::array> optional_array(dom::object obj, std::string_view camel, std::string_view snake,
                                  const std::string& path) {
  bool found = false;
  dom::element e = member(obj, camel, snake, found);
  if (!found || e.is_null()) return empty_array();
  dom::array a;
  if (e.get_array().get(a)) return wrong_type(at(path, camel), "array", e);
  return a;
}

// An int64 as protobuf JSON writes it: a number or a decimal string.
Result<std::int64_t> read_int64(dom::element e, const std::string& path) {
  if (e.is_int64()) return e.get_int64().value_unsafe();
  if (e.is_uint64()) return make_error(path, "integer out of int64 range");
  if (e.is_double()) {
    const double d = e.get_double().value_unsafe();
    if (d != std::floor(d) || !(std::fabs(d) < 9.2e18)) return make_error(path, "expected an integer");
    return static_cast<std::int64_t>(d);
  }
  if (e.is_string()) {
    const std::string_view s = e.get_string().value_unsafe();
    std::int64_t v = 0;
    const auto res = std::from_chars(s.data(), s.data() + s.size(), v);
    if (res.ec == std::errc::result_out_of_range) return make_error(path, "integer out of int64 range");
    if (res.ec != std::errc() || res.ptr != s.data() + s.size() || s.empty()) {
      return make_error(path, "expected an integer, got \"" + std::string(s.substr(0, 32)) + "\"");
    }
    return v;
  }
  return wrong_type(path, "an integer (number or decimal string)", e);
}

// A uint64 count (bucket counts): a number or a decimal string, never negative.
Result<std::uint64_t> read_uint64(dom::element e, const std::string& path) {
  if (e.is_uint64()) return e.get_uint64().value_unsafe();
  if (e.is_string()) {
    const std::string_view s = e.get_string().value_unsafe();
    std::uint64_t v = 0;
    const auto res = std::from_chars(s.data(), s.data() + s.size(), v);
    if (res.ec != std::errc() || res.ptr != s.data() + s.size() || s.empty()) {
      return make_error(path, "expected a count, got \"" + std::string(s.substr(0, 32)) + "\"");
    }
    return v;
  }
  auto i = read_int64(e, path);
  if (!i) return i.error();
  if (*i < 0) return make_error(path, "a count cannot be negative");
  return static_cast<std::uint64_t>(*i);
}

// A double as protobuf JSON writes it: a number or "NaN"/"Infinity"/"-Infinity".
Result<double> read_double(dom::element e, const std::string& path) {
  if (e.is_number()) return e.get_double().value_unsafe();
  if (e.is_string()) {
    const std::string_view s = e.get_string().value_unsafe();
    if (s == "NaN") return std::nan("");
    if (s == "Infinity") return HUGE_VAL;
    if (s == "-Infinity") return -HUGE_VAL;
    double d = 0;
    const auto res = std::from_chars(s.data(), s.data() + s.size(), d);
    if (res.ec == std::errc() && res.ptr == s.data() + s.size() && !s.empty()) return d;
    return make_error(path, "expected a number, got \"" + std::string(s.substr(0, 32)) + "\"");
  }
  return wrong_type(path, "number", e);
}

// Nanoseconds since the epoch; 0 and absent mean unset.
Result<TimeNs> read_nanos(dom::object obj, std::string_view camel, std::string_view snake,
                          const std::string& path) {
  bool found = false;
  dom::element e = member(obj, camel, snake, found);
  if (!found || e.is_null()) return TimeNs{0};
  const auto field = [&] { return at(path, camel); };  // built only for errors
  // simdjson calls any non-negative integer uint64 too: only values beyond
  // int64 take this path.
  if ((e.is_uint64() && !e.is_int64()) || (e.is_string() && e.get_string().value_unsafe().size() >= 19)) {
    if (e.is_string()) {
      const std::string_view s = e.get_string().value_unsafe();
      std::uint64_t u = 0;
      const auto res = std::from_chars(s.data(), s.data() + s.size(), u);
      if (res.ec == std::errc() && res.ptr == s.data() + s.size() && u > static_cast<std::uint64_t>(INT64_MAX)) {
        return make_error(field(), "time " + std::string(s) + " ns is after 2262-04-11, out of range for int64 nanoseconds");
      }
    } else {
      return make_error(field(), "time " + std::to_string(e.get_uint64().value_unsafe()) +
                                   " ns is after 2262-04-11, out of range for int64 nanoseconds");
    }
  }
  auto v = read_int64(e, {});
  if (!v) return make_error(field(), v.error().reason);
  if (*v < 0) return make_error(field(), "time is negative");
  return *v;
}

// Minified JSON text of any element (for values that are not scalars).
std::string json_text(dom::element e) { return simdjson::minify(e); }

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

// Decodes standard base64 into hex; returns "" when `s` is not base64 of
// exactly `bytes` bytes.
std::string base64_to_hex(std::string_view s, std::size_t bytes) {
  const auto sextet = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  // Standard base64 with padding only: `bytes` bytes take exactly this many
  // characters, so that a word like "invalid-hex" is not read as an id.
  if (s.size() != (bytes + 2) / 3 * 4) return "";
  while (!s.empty() && s.back() == '=') s.remove_suffix(1);
  std::string raw;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : s) {
    const int v = sextet(c);
    if (v < 0) return "";
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      raw += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  if (raw.size() != bytes) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : raw) {
    hex += kHex[c >> 4];
    hex += kHex[c & 0xf];
  }
  return hex;
}

// A trace or span id: hex of `digits` digits, as OTLP/JSON specifies, stored
// lower-case; base64, which generic protobuf JSON writers produce for bytes
// fields, is accepted too. Empty is allowed unless `required`.
Status read_id(dom::object obj, std::string_view camel, std::string_view snake, std::size_t digits,
               bool required, const std::string& path, std::string& out) {
  out.clear();
  bool found = false;
  dom::element e = member(obj, camel, snake, found);
  const auto field = [&] { return at(path, camel); };  // built only for errors
  if (!found || e.is_null()) {
    if (required) return make_error(field(), "missing");
    return ok_status();
  }
  if (!e.is_string()) return wrong_type(field(), "a hex string", e);
  const std::string_view s = e.get_string().value_unsafe();
  if (s.empty()) {
    if (required) return make_error(field(), "empty");
    return ok_status();
  }
  if (s.size() != digits || !is_hex(s)) {
    std::string hex = base64_to_hex(s, digits / 2);
    if (hex.empty()) {
      return make_error(field(), "not " + std::to_string(digits) + " hex digits: \"" + std::string(s.substr(0, 40)) + "\"");
    }
    out = std::move(hex);
    return ok_status();
  }
  if (std::all_of(s.begin(), s.end(), [](char c) { return c == '0'; })) {
    return make_error(field(), "all zeros is not a valid id");
  }
  out.assign(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ok_status();
}

// An AnyValue. `present` is false for an empty AnyValue ({}: no value set).
struct AnyValueResult {
  AttributeValue value;
  bool present = false;
};

Result<AnyValueResult> read_any_value(dom::element e, const std::string& path) {
  AnyValueResult out;
  if (e.is_null()) return out;
  dom::object obj;
  if (e.get_object().get(obj)) return wrong_type(path, "an AnyValue object", e);
  for (dom::key_value_pair member_kv : obj) {
    // Named variables, not a structured binding: lambdas may not capture
    // those before C++20 (clang 14).
    const std::string_view key = member_kv.key;
    dom::element v = member_kv.value;
    const auto field = [&] { return at(path, key); };  // built only for errors
    if (key == "stringValue" || key == "string_value") {
      if (!v.is_string()) return wrong_type(field(), "string", v);
      out.value = std::string(v.get_string().value_unsafe());
    } else if (key == "boolValue" || key == "bool_value") {
      if (!v.is_bool()) return wrong_type(field(), "boolean", v);
      out.value = v.get_bool().value_unsafe();
    } else if (key == "intValue" || key == "int_value") {
      auto i = read_int64(v, {});
      if (!i) return make_error(field(), i.error().reason);
      out.value = *i;
    } else if (key == "doubleValue" || key == "double_value") {
      auto d = read_double(v, {});
      if (!d) return make_error(field(), d.error().reason);
      out.value = *d;
    } else if (key == "arrayValue" || key == "array_value" || key == "kvlistValue" || key == "kvlist_value") {
      if (!v.is_object()) return wrong_type(field(), "object", v);
      out.value = json_text(v);
    } else if (key == "bytesValue" || key == "bytes_value") {
      if (!v.is_string()) return wrong_type(field(), "a base64 string", v);
      out.value = std::string(v.get_string().value_unsafe());
    } else {
      continue;  // Unknown members are ignored, as protobuf JSON allows.
    }
    out.present = true;
  }
  return out;
}

// Reads a KeyValue list into `out` (appending).
Status read_attributes(dom::object obj, const std::string& path, Attributes& out) {
  auto list = optional_array(obj, "attributes", "", path);
  if (!list) return list.error();
  std::size_t i = 0;
  for (dom::element kv : *list) {
    const std::size_t index = i++;
    const auto item = [&] { return at(path, "attributes", index); };  // built only for errors
    dom::object kvo;
    if (kv.get_object().get(kvo)) return wrong_type(item(), "a KeyValue object", kv);
    std::string_view key;
    if (kvo["key"].get_string().get(key)) return make_error(at(item(), "key"), "missing or not a string");
    dom::element value;
    if (kvo["value"].get(value)) continue;  // No value: the attribute is unset.
    auto v = read_any_value(value, {});
    if (!v) return make_error(at(at(item(), "value"), v.error().field), v.error().reason);
    if (v->present) out.emplace_back(std::string(key), std::move(v->value));
  }
  return ok_status();
}

std::string attribute_text(const AttributeValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using V = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<V, std::string>) {
          return x;
        } else if constexpr (std::is_same_v<V, bool>) {
          return x ? "true" : "false";
        } else if constexpr (std::is_same_v<V, std::int64_t>) {
          return std::to_string(x);
        } else {
          char buf[32];
          const auto res = std::to_chars(buf, buf + sizeof buf, x);
          return std::string(buf, res.ptr);
        }
      },
      v);
}

// Prometheus naming: characters outside [a-zA-Z0-9_:] become '_', and a
// leading digit gets a '_' in front.
std::string prometheus_name(std::string_view in, bool allow_colon) {
  std::string out;
  out.reserve(in.size() + 1);
  if (!in.empty() && in[0] >= '0' && in[0] <= '9') out += '_';
  for (char c : in) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    (allow_colon && c == ':');
    out += ok ? c : '_';
  }
  return out;
}

std::string number_text(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

// The resource a record belongs to: its service and its other attributes.
struct ResourceContext {
  std::string service;
  Attributes attributes;  // all resource attributes but the service's
};

Status read_resource(dom::object resource_entry, const std::string& path, const DecodeOptions& options,
                     ResourceContext& out) {
  out.service.clear();
  out.attributes.clear();
  bool found = false;
  dom::element res = member(resource_entry, "resource", "", found);
  if (!found || res.is_null()) return ok_status();
  dom::object ro;
  if (res.get_object().get(ro)) return wrong_type(at(path, "resource"), "object", res);
  Attributes all;
  if (Status st = read_attributes(ro, at(path, "resource"), all); !st) return st;
  std::size_t service_rank = options.service_attributes.size();
  for (auto& [k, v] : all) {
    const auto it = std::find(options.service_attributes.begin(), options.service_attributes.end(), k);
    const auto rank = static_cast<std::size_t>(it - options.service_attributes.begin());
    if (rank < service_rank && std::holds_alternative<std::string>(v)) {
      service_rank = rank;
      out.service = std::get<std::string>(v);
    }
  }
  for (auto& kv : all) {
    const bool is_service = service_rank < options.service_attributes.size() &&
                            kv.first == options.service_attributes[service_rank];
    if (!is_service) out.attributes.push_back(std::move(kv));
  }
  return ok_status();
}

Severity severity_from_number(std::int64_t n) {
  if (n >= 21) return Severity::critical;
  if (n >= 17) return Severity::error;
  if (n >= 13) return Severity::warning;
  if (n >= 9) return Severity::info;
  return Severity::debug;
}

Severity severity_from_text(std::string_view t) {
  std::string s(t);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s.rfind("fatal", 0) == 0 || s.rfind("crit", 0) == 0 || s == "emergency" || s == "alert") return Severity::critical;
  if (s.rfind("err", 0) == 0) return Severity::error;
  if (s.rfind("warn", 0) == 0) return Severity::warning;
  if (s.rfind("debug", 0) == 0 || s.rfind("trace", 0) == 0) return Severity::debug;
  return Severity::info;
}

class Emitter {
 public:
  Emitter(RecordHandler& out, std::size_t position) : out_(out), position_(position) {}
  void record(const Record& r) { out_.on_record(r, position_); }
  void reject(Error e) { out_.on_reject(std::move(e), position_); }

 private:
  RecordHandler& out_;
  std::size_t position_;
};

// --- logs ---

void decode_log_record(dom::element e, const std::string& path, const ResourceContext& resource,
                       const DecodeOptions& options, Record& scratch, Emitter& emit) {
  dom::object obj;
  if (e.get_object().get(obj)) return emit.reject(wrong_type(path, "a LogRecord object", e));
  LogRecord& l = scratch.emplace<LogRecord>();
  l.service = resource.service;
  auto t = read_nanos(obj, "timeUnixNano", "time_unix_nano", path);
  if (!t) return emit.reject(t.error());
  l.time = *t;
  if (l.time == 0) {
    auto observed = read_nanos(obj, "observedTimeUnixNano", "observed_time_unix_nano", path);
    if (!observed) return emit.reject(observed.error());
    // Neither time set: the record happened when it arrived.
    l.time = *observed != 0 ? *observed : options.default_time;
  }
  bool found = false;
  dom::element sev = member(obj, "severityNumber", "severity_number", found);
  bool have_severity = false;
  if (found && !sev.is_null()) {
    if (sev.is_string() && sev.get_string().value_unsafe().rfind("SEVERITY_NUMBER_", 0) == 0) {
      l.severity = severity_from_text(sev.get_string().value_unsafe().substr(16));
      have_severity = sev.get_string().value_unsafe() != "SEVERITY_NUMBER_UNSPECIFIED";
    } else {
      auto n = read_int64(sev, at(path, "severityNumber"));
      if (!n) return emit.reject(n.error());
      if (*n < 0 || *n > 24) return emit.reject(make_error(at(path, "severityNumber"), "not between 0 and 24"));
      if (*n != 0) {
        l.severity = severity_from_number(*n);
        have_severity = true;
      }
    }
  }
  dom::element text = member(obj, "severityText", "severity_text", found);
  if (found && !text.is_null()) {
    if (!text.is_string()) return emit.reject(wrong_type(at(path, "severityText"), "string", text));
    if (!have_severity && !text.get_string().value_unsafe().empty()) {
      l.severity = severity_from_text(text.get_string().value_unsafe());
    }
  }
  dom::element body = member(obj, "body", "", found);
  if (found) {
    auto v = read_any_value(body, at(path, "body"));
    if (!v) return emit.reject(v.error());
    if (v->present) {
      // A stringValue is the body itself; arrays, maps and bytes keep
      // their JSON form; other scalars their text.
      const bool is_string_value = !body["stringValue"].error() || !body["string_value"].error();
      const bool is_complex = std::holds_alternative<std::string>(v->value) && !is_string_value;
      l.body = is_complex ? json_text(body) : attribute_text(v->value);
    }
  }
  if (Status st = read_attributes(obj, path, l.attributes); !st) return emit.reject(st.error());
  dom::element event_name = member(obj, "eventName", "event_name", found);
  if (found && event_name.is_string() && !event_name.get_string().value_unsafe().empty()) {
    l.attributes.emplace_back("event.name", std::string(event_name.get_string().value_unsafe()));
  }
  if (Status st = read_id(obj, "traceId", "trace_id", 32, false, path, l.trace_id); !st) return emit.reject(st.error());
  if (Status st = read_id(obj, "spanId", "span_id", 16, false, path, l.span_id); !st) return emit.reject(st.error());
  emit.record(scratch);
}

// --- traces ---

std::string_view span_kind_name(std::int64_t k) {
  switch (k) {
    case 1: return "internal";
    case 2: return "server";
    case 3: return "client";
    case 4: return "producer";
    case 5: return "consumer";
    default: return "";
  }
}

void decode_span(dom::element e, const std::string& path, const ResourceContext& resource, Record& scratch,
                 Emitter& emit) {
  dom::object obj;
  if (e.get_object().get(obj)) return emit.reject(wrong_type(path, "a Span object", e));
  Span& s = scratch.emplace<Span>();
  s.service = resource.service;
  if (Status st = read_id(obj, "traceId", "trace_id", 32, true, path, s.trace_id); !st) return emit.reject(st.error());
  if (Status st = read_id(obj, "spanId", "span_id", 16, true, path, s.span_id); !st) return emit.reject(st.error());
  if (Status st = read_id(obj, "parentSpanId", "parent_span_id", 16, false, path, s.parent_span_id); !st) {
    return emit.reject(st.error());
  }
  bool found = false;
  dom::element name = member(obj, "name", "", found);
  if (found && !name.is_null()) {
    if (!name.is_string()) return emit.reject(wrong_type(at(path, "name"), "string", name));
    s.name.assign(name.get_string().value_unsafe());
  }
  auto start = read_nanos(obj, "startTimeUnixNano", "start_time_unix_nano", path);
  if (!start) return emit.reject(start.error());
  auto end = read_nanos(obj, "endTimeUnixNano", "end_time_unix_nano", path);
  if (!end) return emit.reject(end.error());
  if (*start == 0) return emit.reject(make_error(at(path, "startTimeUnixNano"), "missing"));
  if (*end == 0) return emit.reject(make_error(at(path, "endTimeUnixNano"), "missing"));
  if (*end < *start) return emit.reject(make_error(at(path, "endTimeUnixNano"), "span ends before it starts"));
  s.start = *start;
  s.end = *end;
  dom::element kind = member(obj, "kind", "", found);
  if (found && !kind.is_null()) {
    std::string_view kind_name;
    if (kind.is_string() && kind.get_string().value_unsafe().rfind("SPAN_KIND_", 0) == 0) {
      static const std::pair<std::string_view, std::string_view> kNames[] = {
          {"SPAN_KIND_INTERNAL", "internal"}, {"SPAN_KIND_SERVER", "server"}, {"SPAN_KIND_CLIENT", "client"},
          {"SPAN_KIND_PRODUCER", "producer"}, {"SPAN_KIND_CONSUMER", "consumer"}};
      for (const auto& [k, v] : kNames) {
        if (k == kind.get_string().value_unsafe()) kind_name = v;
      }
    } else {
      auto k = read_int64(kind, at(path, "kind"));
      if (!k) return emit.reject(k.error());
      if (*k < 0 || *k > 5) return emit.reject(make_error(at(path, "kind"), "not a span kind (0-5)"));
      kind_name = span_kind_name(*k);
    }
    if (!kind_name.empty()) s.attributes.emplace_back("span.kind", std::string(kind_name));
  }
  dom::element status = member(obj, "status", "", found);
  if (found && !status.is_null()) {
    dom::object so;
    if (status.get_object().get(so)) return emit.reject(wrong_type(at(path, "status"), "object", status));
    dom::element code;
    if (so["code"].get(code) == simdjson::SUCCESS && !code.is_null()) {
      if (code.is_string() && code.get_string().value_unsafe().rfind("STATUS_CODE_", 0) == 0) {
        const std::string_view c = code.get_string().value_unsafe();
        s.status = c == "STATUS_CODE_ERROR" ? SpanStatus::error : c == "STATUS_CODE_OK" ? SpanStatus::ok : SpanStatus::unset;
      } else {
        auto c = read_int64(code, at(path, "status.code"));
        if (!c) return emit.reject(c.error());
        if (*c < 0 || *c > 2) return emit.reject(make_error(at(path, "status.code"), "not a status code (0-2)"));
        s.status = static_cast<SpanStatus>(*c);
      }
    }
    std::string_view message;
    if (so["message"].get_string().get(message) == simdjson::SUCCESS && !message.empty()) {
      s.attributes.emplace_back("status.message", std::string(message));
    }
  }
  if (Status st = read_attributes(obj, path, s.attributes); !st) return emit.reject(st.error());
  emit.record(scratch);
}

// --- metrics ---

class MetricPoints {
 public:
  MetricPoints(const ResourceContext& resource, Record& scratch, Emitter& emit)
      : resource_(resource), scratch_(scratch), emit_(emit) {}

  // Reads a data point's labels (resource attributes, then the point's own,
  // which win on a clash) and time. Returns false after a rejection.
  bool begin_point(dom::object point, const std::string& path, TimeNs default_time) {
    labels_.clear();
    if (!resource_.service.empty()) labels_.emplace_back("service", resource_.service);
    for (const auto& [k, v] : resource_.attributes) labels_.emplace_back(prometheus_name(k, false), attribute_text(v));
    Attributes attrs;
    if (Status st = read_attributes(point, path, attrs); !st) {
      emit_.reject(st.error());
      return false;
    }
    for (const auto& [k, v] : attrs) {
      const std::string name = prometheus_name(k, false);
      auto it = std::find_if(labels_.begin(), labels_.end(), [&](const auto& l) { return l.first == name; });
      if (it != labels_.end()) {
        it->second = attribute_text(v);
      } else {
        labels_.emplace_back(name, attribute_text(v));
      }
    }
    std::sort(labels_.begin(), labels_.end());
    auto t = read_nanos(point, "timeUnixNano", "time_unix_nano", path);
    if (!t) {
      emit_.reject(t.error());
      return false;
    }
    // A point without a time was observed when it arrived.
    time_ = *t != 0 ? *t : default_time;
    return true;
  }

  void sample(const std::string& name, double value, std::string_view extra_label = {},
              const std::string& extra_value = {}) {
    MetricSample* reused = std::get_if<MetricSample>(&scratch_);
    MetricSample& m = reused != nullptr ? *reused : scratch_.emplace<MetricSample>();
    m.name = name;
    m.labels = labels_;
    if (!extra_label.empty()) {
      auto it = std::find_if(m.labels.begin(), m.labels.end(), [&](const auto& l) { return l.first == extra_label; });
      if (it != m.labels.end()) {
        it->second = extra_value;
      } else {
        m.labels.emplace_back(std::string(extra_label), extra_value);
        std::sort(m.labels.begin(), m.labels.end());
      }
    }
    m.time = time_;
    m.value = value;
    emit_.record(scratch_);
  }

 private:
  const ResourceContext& resource_;
  Record& scratch_;
  Emitter& emit_;
  Labels labels_;
  TimeNs time_ = 0;
};

bool no_recorded_value(dom::object point) {
  dom::element flags;
  if (point["flags"].get(flags)) return false;
  auto f = read_int64(flags, "flags");
  return f && (*f & 1) != 0;
}

Status read_buckets(dom::object obj, std::string_view camel, std::string_view snake, const std::string& path,
                    std::vector<std::uint64_t>& out) {
  out.clear();
  auto counts = optional_array(obj, camel, snake, path);
  if (!counts) return counts.error();
  std::size_t i = 0;
  for (dom::element c : *counts) {
    auto n = read_uint64(c, at(path, camel, i++));
    if (!n) return n.error();
    out.push_back(*n);
  }
  return ok_status();
}

void decode_metric(dom::element e, const std::string& path, const ResourceContext& resource, TimeNs default_time,
                   Record& scratch, Emitter& emit) {
  dom::object obj;
  if (e.get_object().get(obj)) return emit.reject(wrong_type(path, "a Metric object", e));
  std::string_view raw_name;
  if (obj["name"].get_string().get(raw_name) || raw_name.empty()) {
    return emit.reject(make_error(at(path, "name"), "missing or not a string"));
  }
  const std::string name = prometheus_name(raw_name, true);
  MetricPoints points(resource, scratch, emit);
  struct Kind {
    std::string_view camel, snake;
  };
  static constexpr Kind kKinds[] = {{"gauge", ""}, {"sum", ""}, {"histogram", ""},
                                    {"exponentialHistogram", "exponential_histogram"}, {"summary", ""}};
  for (std::size_t k = 0; k < std::size(kKinds); ++k) {
    bool found = false;
    dom::element data = member(obj, kKinds[k].camel, kKinds[k].snake, found);
    if (!found || data.is_null()) continue;
    const std::string data_path = at(path, kKinds[k].camel);
    dom::object dobj;
    if (data.get_object().get(dobj)) return emit.reject(wrong_type(data_path, "object", data));
    auto list = optional_array(dobj, "dataPoints", "data_points", data_path);
    if (!list) return emit.reject(list.error());
    std::string sample_name = name;
    if (k == 1) {
      bool mono = false;
      dom::element m = member(dobj, "isMonotonic", "is_monotonic", mono);
      if (mono && m.is_bool() && m.get_bool().value_unsafe() &&
          (sample_name.size() < 6 || sample_name.substr(sample_name.size() - 6) != "_total")) {
        sample_name += "_total";
      }
    }
    std::vector<std::uint64_t> counts;
    std::size_t i = 0;
    std::string point_path;
    for (dom::element pe : *list) {
      point_path.assign(data_path);
      point_path += ".dataPoints[";
      point_path += std::to_string(i++);
      point_path += ']';
      dom::object point;
      if (pe.get_object().get(point)) {
        emit.reject(wrong_type(point_path, "a data point object", pe));
        continue;
      }
      if (no_recorded_value(point)) continue;
      if (!points.begin_point(point, point_path, default_time)) continue;
      if (k <= 1) {  // gauge, sum
        bool found_value = false;
        dom::element v = member(point, "asDouble", "as_double", found_value);
        Result<double> value = make_error(at(point_path, "asDouble"), "missing (asDouble or asInt)");
        if (found_value) {
          value = read_double(v, at(point_path, "asDouble"));
        } else {
          v = member(point, "asInt", "as_int", found_value);
          if (found_value) {
            auto iv = read_int64(v, at(point_path, "asInt"));
            value = iv ? Result<double>(static_cast<double>(*iv)) : Result<double>(iv.error());
          }
        }
        if (!value) {
          emit.reject(value.error());
          continue;
        }
        points.sample(sample_name, *value);
        continue;
      }
      // histogram, exponentialHistogram, summary: count and sum first.
      bool found_count = false;
      dom::element ce = member(point, "count", "", found_count);
      std::uint64_t count = 0;
      if (found_count) {
        auto c = read_uint64(ce, at(point_path, "count"));
        if (!c) {
          emit.reject(c.error());
          continue;
        }
        count = *c;
      }
      bool found_sum = false;
      dom::element se = member(point, "sum", "", found_sum);
      double sum = 0;
      if (found_sum && !se.is_null()) {
        auto s = read_double(se, at(point_path, "sum"));
        if (!s) {
          emit.reject(s.error());
          continue;
        }
        sum = *s;
      }
      if (k == 2) {  // histogram
        if (Status st = read_buckets(point, "bucketCounts", "bucket_counts", point_path, counts); !st) {
          emit.reject(st.error());
          continue;
        }
        auto bounds = optional_array(point, "explicitBounds", "explicit_bounds", point_path);
        if (!bounds) {
          emit.reject(bounds.error());
          continue;
        }
        std::vector<double> b;
        bool bad = false;
        std::size_t j = 0;
        for (dom::element be : *bounds) {
          auto d = read_double(be, at(point_path, "explicitBounds", j++));
          if (!d) {
            emit.reject(d.error());
            bad = true;
            break;
          }
          b.push_back(*d);
        }
        if (bad) continue;
        if (!counts.empty() && counts.size() != b.size() + 1) {
          emit.reject(make_error(at(point_path, "bucketCounts"),
                                 "has " + std::to_string(counts.size()) + " counts for " + std::to_string(b.size()) +
                                     " bounds (want bounds + 1)"));
          continue;
        }
        std::uint64_t cumulative = 0;
        for (std::size_t bi = 0; bi < b.size() && bi < counts.size(); ++bi) {
          cumulative += counts[bi];
          points.sample(name + "_bucket", static_cast<double>(cumulative), "le", number_text(b[bi]));
        }
        points.sample(name + "_bucket", static_cast<double>(count), "le", "+Inf");
      } else if (k == 3) {  // exponentialHistogram
        auto scale = [&]() -> Result<std::int64_t> {
          bool f = false;
          dom::element se2 = member(point, "scale", "", f);
          if (!f) return std::int64_t{0};
          return read_int64(se2, at(point_path, "scale"));
        }();
        if (!scale) {
          emit.reject(scale.error());
          continue;
        }
        if (*scale < -10 || *scale > 20) {
          emit.reject(make_error(at(point_path, "scale"), "outside -10..20"));
          continue;
        }
        const double base = std::pow(2.0, std::pow(2.0, -static_cast<double>(*scale)));
        std::uint64_t zero_count = 0;
        bool f = false;
        dom::element ze = member(point, "zeroCount", "zero_count", f);
        if (f) {
          auto z = read_uint64(ze, at(point_path, "zeroCount"));
          if (!z) {
            emit.reject(z.error());
            continue;
          }
          zero_count = *z;
        }
        double zero_threshold = 0;
        dom::element zt = member(point, "zeroThreshold", "zero_threshold", f);
        if (f) {
          auto z = read_double(zt, at(point_path, "zeroThreshold"));
          if (!z) {
            emit.reject(z.error());
            continue;
          }
          zero_threshold = *z;
        }
        struct Side {
          std::int64_t offset = 0;
          std::vector<std::uint64_t> counts;
        };
        Side sides[2];  // negative, positive
        bool bad = false;
        for (int side = 0; side < 2 && !bad; ++side) {
          const std::string_view key = side == 0 ? "negative" : "positive";
          dom::element be = member(point, key, "", f);
          if (!f || be.is_null()) continue;
          dom::object bo;
          if (be.get_object().get(bo)) {
            emit.reject(wrong_type(at(point_path, key), "object", be));
            bad = true;
            break;
          }
          dom::element oe = member(bo, "offset", "", f);
          if (f) {
            auto o = read_int64(oe, at(point_path, key) + ".offset");
            if (!o) {
              emit.reject(o.error());
              bad = true;
              break;
            }
            sides[side].offset = *o;
          }
          if (Status st = read_buckets(bo, "bucketCounts", "bucket_counts", at(point_path, key), sides[side].counts);
              !st) {
            emit.reject(st.error());
            bad = true;
          }
        }
        if (bad) continue;
        // Cumulative buckets from -Inf upwards: negative buckets (largest
        // magnitude first, upper bound -base^index), the zero bucket, then
        // positive buckets (upper bound base^(index+1)).
        std::uint64_t cumulative = 0;
        for (std::size_t bi = sides[0].counts.size(); bi-- > 0;) {
          cumulative += sides[0].counts[bi];
          const double upper = -std::pow(base, static_cast<double>(sides[0].offset + static_cast<std::int64_t>(bi)));
          points.sample(name + "_bucket", static_cast<double>(cumulative), "le", number_text(upper));
        }
        cumulative += zero_count;
        points.sample(name + "_bucket", static_cast<double>(cumulative), "le", number_text(zero_threshold));
        for (std::size_t bi = 0; bi < sides[1].counts.size(); ++bi) {
          cumulative += sides[1].counts[bi];
          const double upper = std::pow(base, static_cast<double>(sides[1].offset + static_cast<std::int64_t>(bi) + 1));
          points.sample(name + "_bucket", static_cast<double>(cumulative), "le", number_text(upper));
        }
        points.sample(name + "_bucket", static_cast<double>(count), "le", "+Inf");
      } else {  // summary
        auto quantiles = optional_array(point, "quantileValues", "quantile_values", point_path);
        if (!quantiles) {
          emit.reject(quantiles.error());
          continue;
        }
        std::size_t qi = 0;
        for (dom::element qe : *quantiles) {
          const std::string qpath = at(point_path, "quantileValues", qi++);
          dom::object qo;
          if (qe.get_object().get(qo)) {
            emit.reject(wrong_type(qpath, "object", qe));
            continue;
          }
          double q = 0, v = 0;
          dom::element x;
          if (qo["quantile"].get(x) == simdjson::SUCCESS) {
            auto r = read_double(x, at(qpath, "quantile"));
            if (!r) {
              emit.reject(r.error());
              continue;
            }
            q = *r;
          }
          if (qo["value"].get(x) == simdjson::SUCCESS) {
            auto r = read_double(x, at(qpath, "value"));
            if (!r) {
              emit.reject(r.error());
              continue;
            }
            v = *r;
          }
          points.sample(name, v, "quantile", number_text(q));
        }
      }
      points.sample(name + "_sum", sum);
      points.sample(name + "_count", static_cast<double>(count));
    }
    return;
  }
  emit.reject(make_error(path, "no data (gauge, sum, histogram, exponentialHistogram or summary)"));
}

struct SignalShape {
  std::string_view resources_camel, resources_snake;
  std::string_view scopes_camel, scopes_snake;
  std::string_view records_camel, records_snake;
};

constexpr SignalShape kShapes[] = {
    {"resourceLogs", "resource_logs", "scopeLogs", "scope_logs", "logRecords", "log_records"},
    {"resourceMetrics", "resource_metrics", "scopeMetrics", "scope_metrics", "metrics", ""},
    {"resourceSpans", "resource_spans", "scopeSpans", "scope_spans", "spans", ""},
};

}  // namespace

struct OtlpJsonDecoder::Impl {
  OtlpSignal signal;
  DecodeOptions options;
  dom::parser parser;
  Record scratch;
  ResourceContext resource;
  std::string record_path;

  void decode_request(std::string_view json, std::size_t position, RecordHandler& out) {
    Emitter emit(out, position);
    dom::element root;
    if (auto ec = parser.parse(json.data(), json.size()).get(root)) {
      return emit.reject(make_error("", ec == simdjson::UTF8_ERROR    ? "not valid UTF-8"
                                        : ec == simdjson::DEPTH_ERROR ? "nesting too deep"
                                                                      : std::string("malformed JSON (") +
                                                                            simdjson::error_message(ec) + ")"));
    }
    dom::object obj;
    if (root.get_object().get(obj)) return emit.reject(wrong_type("", "a JSON object", root));
    // Jaeger's API v3 wraps the request: {"result": {...}}.
    dom::object wrapped;
    if (obj["result"].get_object().get(wrapped) == simdjson::SUCCESS) obj = wrapped;
    const SignalShape& shape = kShapes[static_cast<int>(signal)];
    bool found = false;
    dom::element resources = member(obj, shape.resources_camel, shape.resources_snake, found);
    if (!found) return emit.reject(make_error(std::string(shape.resources_camel), "missing"));
    dom::array resource_list;
    if (resources.get_array().get(resource_list)) {
      return emit.reject(wrong_type(std::string(shape.resources_camel), "array", resources));
    }
    std::size_t ri = 0;
    for (dom::element re : resource_list) {
      const std::string rpath = at("", shape.resources_camel, ri++);
      dom::object ro;
      if (re.get_object().get(ro)) {
        emit.reject(wrong_type(rpath, "object", re));
        continue;
      }
      if (Status st = read_resource(ro, rpath, options, resource); !st) {
        emit.reject(st.error());
        continue;
      }
      auto scopes = optional_array(ro, shape.scopes_camel, shape.scopes_snake, rpath);
      if (!scopes) {
        emit.reject(scopes.error());
        continue;
      }
      std::size_t si = 0;
      for (dom::element se : *scopes) {
        const std::string spath = at(rpath, shape.scopes_camel, si++);
        dom::object so;
        if (se.get_object().get(so)) {
          emit.reject(wrong_type(spath, "object", se));
          continue;
        }
        // The scope itself carries nothing eventlens keeps, but a malformed
        // one makes its records suspect: refuse the scope's records.
        bool has_scope = false;
        dom::element scope = member(so, "scope", "", has_scope);
        if (has_scope && !scope.is_null()) {
          dom::object scope_obj;
          if (scope.get_object().get(scope_obj)) {
            emit.reject(wrong_type(at(spath, "scope"), "object", scope));
            continue;
          }
          Attributes ignored;
          if (Status st = read_attributes(scope_obj, at(spath, "scope"), ignored); !st) {
            emit.reject(st.error());
            continue;
          }
        }
        auto records = optional_array(so, shape.records_camel, shape.records_snake, spath);
        if (!records) {
          emit.reject(records.error());
          continue;
        }
        std::size_t i = 0;
        for (dom::element rec : *records) {
          // One buffer for every record's path: no allocation per record.
          std::string& path = record_path;
          path.assign(spath);
          path += '.';
          path += shape.records_camel;
          path += '[';
          path += std::to_string(i++);
          path += ']';
          switch (signal) {
            case OtlpSignal::logs: decode_log_record(rec, path, resource, options, scratch, emit); break;
            case OtlpSignal::traces: decode_span(rec, path, resource, scratch, emit); break;
            case OtlpSignal::metrics: decode_metric(rec, path, resource, options.default_time, scratch, emit); break;
          }
        }
      }
    }
  }
};

OtlpJsonDecoder::OtlpJsonDecoder(OtlpSignal signal, DecodeOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->signal = signal;
  impl_->options = std::move(options);
}

OtlpJsonDecoder::~OtlpJsonDecoder() = default;

void OtlpJsonDecoder::decode(std::string_view payload, RecordHandler& out) {
  if (payload.size() > impl_->options.max_payload_bytes) {
    out.on_reject(make_error("", "payload is " + std::to_string(payload.size()) + " bytes, over the " +
                                     std::to_string(impl_->options.max_payload_bytes) + "-byte limit"),
                  0);
    return;
  }
  // One request (possibly pretty-printed) or JSON lines of requests, as the
  // Collector's file exporter writes: told apart by whether the first line
  // is a whole object.
  const std::size_t first = payload.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return;
  const std::size_t newline = payload.find('\n', first);
  std::string_view first_line = payload.substr(first, newline == std::string_view::npos ? std::string_view::npos : newline - first);
  while (!first_line.empty() && (first_line.back() == '\r' || first_line.back() == ' ')) first_line.remove_suffix(1);
  const bool json_lines = newline != std::string_view::npos && !first_line.empty() && first_line.front() == '{' &&
                          first_line.back() == '}' &&
                          payload.find_first_not_of(" \t\r\n", newline) != std::string_view::npos;
  if (!json_lines) {
    impl_->decode_request(payload, 0, out);
    return;
  }
  internal::for_each_line(payload, [&](std::string_view line, std::size_t line_no) {
    impl_->decode_request(line, line_no, out);
  });
}

// --- encoders ---

namespace {

void write_any_value(JsonWriter& w, const AttributeValue& v) {
  w.begin_object();
  std::visit(
      [&](const auto& x) {
        using V = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<V, std::string>) {
          w.field("stringValue", x);
        } else if constexpr (std::is_same_v<V, bool>) {
          w.key("boolValue");
          w.boolean(x);
        } else if constexpr (std::is_same_v<V, std::int64_t>) {
          w.field("intValue", std::to_string(x));
        } else {
          w.key("doubleValue");
          if (std::isnan(x)) w.string("NaN");
          else if (std::isinf(x)) w.string(x > 0 ? "Infinity" : "-Infinity");
          else w.number(x);
        }
      },
      v);
  w.end_object();
}

void write_attributes(JsonWriter& w, const Attributes& attrs, std::string_view skip = {}) {
  w.key("attributes");
  w.begin_array();
  for (const auto& [k, v] : attrs) {
    if (k == skip) continue;
    w.begin_object();
    w.field("key", k);
    w.key("value");
    write_any_value(w, v);
    w.end_object();
  }
  w.end_array();
}

void write_nanos(JsonWriter& w, std::string_view key, TimeNs t) { w.field(key, std::to_string(t)); }

// Writes one resource per run of consecutive records of the same service, so
// that decoding gives the records back in their order.
template <typename T, typename Service, typename Body>
void write_grouped(JsonWriter& w, std::span<const T> records, std::string_view resources_key,
                   std::string_view scopes_key, std::string_view records_key, Service&& service_of, Body&& body) {
  w.begin_object();
  w.key(resources_key);
  w.begin_array();
  std::size_t i = 0;
  while (i < records.size()) {
    const std::string service = service_of(records[i]);
    w.begin_object();
    w.key("resource");
    w.begin_object();
    Attributes resource_attrs;
    if (!service.empty()) resource_attrs.emplace_back("service.name", service);
    write_attributes(w, resource_attrs);
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
    while (i < records.size() && service_of(records[i]) == service) body(records[i++]);
    w.end_array();
    w.end_object();
    w.end_array();
    w.end_object();
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

}  // namespace

void encode_otlp_logs(std::span<const LogRecord> logs, std::string& out) {
  JsonWriter w(out);
  write_grouped(w, logs, "resourceLogs", "scopeLogs", "logRecords", [](const LogRecord& l) { return l.service; },
                [&](const LogRecord& l) {
                  w.begin_object();
                  write_nanos(w, "timeUnixNano", l.time);
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
                });
}

void encode_otlp_traces(std::span<const Span> spans, std::string& out) {
  JsonWriter w(out);
  write_grouped(w, spans, "resourceSpans", "scopeSpans", "spans", [](const Span& s) { return s.service; },
                [&](const Span& s) {
                  w.begin_object();
                  w.field("traceId", s.trace_id);
                  w.field("spanId", s.span_id);
                  w.field_if_set("parentSpanId", s.parent_span_id);
                  w.field("name", s.name);
                  write_nanos(w, "startTimeUnixNano", s.start);
                  write_nanos(w, "endTimeUnixNano", s.end);
                  w.key("status");
                  w.begin_object();
                  w.key("code");
                  w.integer(static_cast<int>(s.status));
                  w.end_object();
                  write_attributes(w, s.attributes);
                  w.end_object();
                });
}

void encode_otlp_metrics(std::span<const MetricSample> samples, std::string& out) {
  JsonWriter w(out);
  const auto service_of = [](const MetricSample& m) {
    for (const auto& [k, v] : m.labels) {
      if (k == "service") return v;
    }
    return std::string();
  };
  write_grouped(w, samples, "resourceMetrics", "scopeMetrics", "metrics", service_of, [&](const MetricSample& m) {
    w.begin_object();
    w.field("name", m.name);
    w.key("gauge");
    w.begin_object();
    w.key("dataPoints");
    w.begin_array();
    w.begin_object();
    write_nanos(w, "timeUnixNano", m.time);
    w.key("asDouble");
    if (std::isnan(m.value)) w.string("NaN");
    else if (std::isinf(m.value)) w.string(m.value > 0 ? "Infinity" : "-Infinity");
    else w.number(m.value);
    Attributes attrs;
    for (const auto& [k, v] : m.labels) {
      if (k != "service") attrs.emplace_back(k, v);
    }
    write_attributes(w, attrs);
    w.end_object();
    w.end_array();
    w.end_object();
    w.end_object();
  });
}

}  // namespace eventlens::codec
