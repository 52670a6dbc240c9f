#include "codec/internal/otlp_read.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace eventlens::codec::internal::otlp {
namespace {

// An AnyValue nests arrays and maps in one another; past this many levels
// it is refused (simdjson On-Demand does not limit depth, and the writer
// recurses once per level).
constexpr int kMaxAnyDepth = 64;
constexpr std::string_view kTooDeep = "nested deeper than 64 levels";

// As prefixed(), except that a depth error keeps naming the outermost
// AnyValue: its full path would be thousands of characters long.
Error nest(std::string_view prefix, Error e) {
  if (e.reason == kTooDeep) return e;
  return prefixed(prefix, std::move(e));
}

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Decodes padded standard base64 of exactly `bytes` bytes into lower-case
// hex in `out`; returns false (leaving `out` unspecified) when `s` is not.
bool base64_to_hex(std::string_view s, std::size_t bytes, std::string& out) {
  if (s.size() != (bytes + 2) / 3 * 4) return false;
  static constexpr char kHex[] = "0123456789abcdef";
  out.clear();
  unsigned buffer = 0;
  int bits = 0;
  std::size_t i = 0;
  for (; i < s.size() && s[i] != '='; ++i) {
    const int v = base64_value(s[i]);
    if (v < 0) return false;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      const unsigned byte = (buffer >> bits) & 0xffu;
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  for (; i < s.size(); ++i) {
    if (s[i] != '=') return false;
  }
  return out.size() == bytes * 2;
}

// Writes `a` into `out`, reusing the storage of a string `out` already holds.
void store(const AnyValueView& a, AttributeValue& out) {
  switch (a.kind) {
    case AnyKind::string:
    case AnyKind::json:
      if (auto* s = std::get_if<std::string>(&out)) {
        s->assign(a.text);
      } else {
        out.emplace<std::string>(a.text);
      }
      return;
    case AnyKind::integer: out = a.integer; return;
    case AnyKind::floating: out = a.floating; return;
    case AnyKind::boolean: out = a.boolean; return;
    case AnyKind::unset: return;
  }
}

bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

void sanitize(std::string_view in, bool allow_colon, std::string& out) {
  out.clear();
  if (!in.empty() && in[0] >= '0' && in[0] <= '9') out += '_';
  for (char c : in) {
    const auto u = static_cast<unsigned char>(c);
    if (is_label_char(c) || (allow_colon && c == ':')) {
      out += c;
    } else if ((u & 0xC0u) != 0x80u) {
      // One '_' per character: UTF-8 continuation bytes add none.
      out += '_';
    }
  }
}

}  // namespace

Error prefixed(std::string_view prefix, Error e) {
  if (prefix.empty()) return e;
  if (e.field.empty()) {
    e.field.assign(prefix);
  } else if (e.field.front() == '[') {
    e.field.insert(0, prefix);
  } else {
    e.field.insert(0, 1, '.');
    e.field.insert(0, prefix);
  }
  return e;
}

std::string indexed(std::string_view key, std::size_t index) {
  std::string out(key);
  out += '[';
  out += std::to_string(index);
  out += ']';
  return out;
}

std::string path_at(std::string_view json, std::size_t offset) {
  struct Frame {
    bool object;
    bool has_key;
    std::size_t index;
    std::string_view key;
  };
  std::vector<Frame> stack;
  offset = std::min(offset, json.size());
  std::size_t i = 0;
  while (i < offset) {
    const char c = json[i];
    if (c == '"') {
      std::size_t j = i + 1;
      while (j < json.size() && json[j] != '"') j += json[j] == '\\' ? 2 : 1;
      if (!stack.empty() && stack.back().object && !stack.back().has_key) {
        stack.back().key = json.substr(i + 1, std::min(j, json.size()) - i - 1);
        stack.back().has_key = true;
      }
      i = j + 1;
      continue;
    }
    if (c == '{' || c == '[') {
      stack.push_back(Frame{c == '{', false, 0, {}});
    } else if ((c == '}' || c == ']') && !stack.empty()) {
      stack.pop_back();
    } else if (c == ',' && !stack.empty()) {
      if (stack.back().object) {
        stack.back().has_key = false;
      } else {
        ++stack.back().index;
      }
    }
    ++i;
  }
  constexpr std::size_t kMaxPath = 300;
  std::string path;
  for (const Frame& f : stack) {
    if (path.size() > kMaxPath) {
      path += "...";
      break;
    }
    if (f.object) {
      if (!f.has_key) break;
      if (!path.empty()) path += '.';
      path += f.key;
    } else {
      path += '[';
      path += std::to_string(f.index);
      path += ']';
    }
  }
  return path;
}

std::size_t first_invalid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0u) == 0xC0u) {
      len = 2;
      cp = c & 0x1Fu;
    } else if ((c & 0xF0u) == 0xE0u) {
      len = 3;
      cp = c & 0x0Fu;
    } else if ((c & 0xF8u) == 0xF0u) {
      len = 4;
      cp = c & 0x07u;
    } else {
      return i;
    }
    if (i + len > s.size()) return i;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0u) != 0x80u) return i;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    const bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return s.size();
}

Error text_error(simdjson::error_code ec, od::value& v, std::string_view field) {
  if (ec == simdjson::INCORRECT_TYPE) return wrong_type(field, "string", v);
  return make_error(std::string(field), describe(ec));
}

Error OtlpReader::syntax_error(simdjson::error_code ec, std::string_view field) {
  broken_ = true;
  return make_error(std::string(field), describe(ec) + "; the rest of the request is not read");
}

Status OtlpReader::read_any(od::value& v, AnyValueView& out, std::string& json_out) {
  out = AnyValueView{};
  if (is_null(v)) return ok_status();
  od::object obj;
  if (v.get_object().get(obj)) return wrong_type("", "an AnyValue object", v);
  int values = 0;
  for (auto field_result : obj) {
    std::string_view key;
    if (auto ec = open_member(field_result, key)) return syntax_error(ec, "");
    od::field& field = field_result.value_unsafe();
    od::value& x = field.value();
    // null is protobuf JSON's "not set".
    if (is_null(x)) continue;
    if (key_is(key, "stringValue", "string_value")) {
      if (auto ec = get_text(x, out.text)) return text_error(ec, x, "stringValue");
      out.kind = AnyKind::string;
    } else if (key_is(key, "intValue", "int_value")) {
      auto i = read_int64(x, "intValue");
      if (!i) return i.error();
      out.kind = AnyKind::integer;
      out.integer = *i;
    } else if (key_is(key, "doubleValue", "double_value")) {
      auto d = read_proto_double(x, "doubleValue");
      if (!d) return d.error();
      out.kind = AnyKind::floating;
      out.floating = *d;
    } else if (key_is(key, "boolValue", "bool_value")) {
      auto b = read_proto_bool(x, "boolValue");
      if (!b) return b.error();
      out.kind = AnyKind::boolean;
      out.boolean = *b;
    } else if (key_is(key, "arrayValue", "array_value") || key_is(key, "kvlistValue", "kvlist_value")) {
      const bool array = key[0] == 'a';
      json_out.clear();
      JsonWriter w(json_out);
      Status st = array ? write_array_json(x, w, 1) : write_kvlist_json(x, w, 1);
      if (!st) return nest(array ? "arrayValue" : "kvlistValue", st.error());
      out.kind = AnyKind::json;
      out.text = json_out;
    } else if (key_is(key, "bytesValue", "bytes_value")) {
      auto s = read_string(x, "bytesValue");
      if (!s) return s.error();
      json_out.clear();
      JsonWriter w(json_out);
      w.string(*s);
      out.kind = AnyKind::json;
      out.text = json_out;
    } else {
      continue;  // unknown members are ignored, as protobuf JSON parsers may
    }
    ++values;
  }
  if (values > 1) return make_error("", "more than one value set (an AnyValue holds one)");
  return ok_status();
}

Status OtlpReader::write_any_json(od::value& v, JsonWriter& w, int depth) {
  if (depth > kMaxAnyDepth) return make_error("", std::string(kTooDeep));
  if (is_null(v)) {
    w.null();
    return ok_status();
  }
  od::object obj;
  if (v.get_object().get(obj)) return wrong_type("", "an AnyValue object", v);
  int values = 0;
  for (auto field_result : obj) {
    std::string_view key;
    if (auto ec = open_member(field_result, key)) return syntax_error(ec, "");
    od::field& field = field_result.value_unsafe();
    od::value& x = field.value();
    if (is_null(x)) continue;
    if (key_is(key, "stringValue", "string_value") || key_is(key, "bytesValue", "bytes_value")) {
      auto s = read_text(x, key);
      if (!s) return s.error();
      w.string(*s);
    } else if (key_is(key, "intValue", "int_value")) {
      auto i = read_int64(x, "intValue");
      if (!i) return i.error();
      w.integer(*i);
    } else if (key_is(key, "doubleValue", "double_value")) {
      auto d = read_proto_double(x, "doubleValue");
      if (!d) return d.error();
      w.number(*d);
    } else if (key_is(key, "boolValue", "bool_value")) {
      auto b = read_proto_bool(x, "boolValue");
      if (!b) return b.error();
      w.boolean(*b);
    } else if (key_is(key, "arrayValue", "array_value")) {
      if (Status st = write_array_json(x, w, depth + 1); !st) return nest("arrayValue", st.error());
    } else if (key_is(key, "kvlistValue", "kvlist_value")) {
      if (Status st = write_kvlist_json(x, w, depth + 1); !st) return nest("kvlistValue", st.error());
    } else {
      continue;
    }
    ++values;
  }
  if (values == 0) w.null();
  if (values > 1) return make_error("", "more than one value set (an AnyValue holds one)");
  return ok_status();
}

Status OtlpReader::write_array_json(od::value& v, JsonWriter& w, int depth) {
  if (depth > kMaxAnyDepth) return make_error("", std::string(kTooDeep));
  od::object obj;
  if (v.get_object().get(obj)) return wrong_type("", "an ArrayValue object", v);
  w.begin_array();
  for (auto field_result : obj) {
    std::string_view key;
    if (auto ec = open_member(field_result, key)) return syntax_error(ec, "");
    od::field& field = field_result.value_unsafe();
    if (key != "values") continue;
    od::value& x = field.value();
    if (is_null(x)) continue;
    od::array arr;
    if (x.get_array().get(arr)) return wrong_type("values", "array", x);
    std::size_t i = 0;
    for (auto element : arr) {
      if (element.error()) return syntax_error(element.error(), indexed("values", i));
      if (Status st = write_any_json(element.value_unsafe(), w, depth); !st) {
        return nest(indexed("values", i), st.error());
      }
      ++i;
    }
  }
  w.end_array();
  return ok_status();
}

Status OtlpReader::write_kvlist_json(od::value& v, JsonWriter& w, int depth) {
  if (depth > kMaxAnyDepth) return make_error("", std::string(kTooDeep));
  od::object obj;
  if (v.get_object().get(obj)) return wrong_type("", "a KeyValueList object", v);
  w.begin_object();
  for (auto field_result : obj) {
    std::string_view key;
    if (auto ec = open_member(field_result, key)) return syntax_error(ec, "");
    od::field& field = field_result.value_unsafe();
    if (key != "values") continue;
    od::value& x = field.value();
    if (is_null(x)) continue;
    od::array arr;
    if (x.get_array().get(arr)) return wrong_type("values", "array", x);
    std::size_t i = 0;
    for (auto element : arr) {
      const std::size_t index = i++;
      if (element.error()) return syntax_error(element.error(), indexed("values", index));
      od::value& entry = element.value_unsafe();
      od::object kv;
      if (entry.get_object().get(kv)) return wrong_type(indexed("values", index), "a KeyValue object", entry);
      // The writer needs the key before the value, whatever their order.
      od::value found;
      auto ec = kv.find_field_unordered("key").get(found);
      if (ec == simdjson::NO_SUCH_FIELD) return make_error(indexed("values", index) + ".key", "missing");
      if (ec) return syntax_error(ec, indexed("values", index));
      auto k = read_text(found, "key");
      if (!k) return nest(indexed("values", index), k.error());
      w.key(*k);
      ec = kv.find_field_unordered("value").get(found);
      if (ec == simdjson::NO_SUCH_FIELD) {
        w.null();
        continue;
      }
      if (ec) return syntax_error(ec, indexed("values", index));
      if (Status st = write_any_json(found, w, depth); !st) {
        return nest(indexed("values", index) + ".value", st.error());
      }
    }
  }
  w.end_object();
  return ok_status();
}

Status OtlpReader::read_attributes(od::value& v, std::string_view field, Attributes& out, std::size_t& n) {
  if (is_null(v)) return ok_status();
  od::array arr;
  if (v.get_array().get(arr)) return wrong_type(field, "an array of KeyValue", v);
  std::size_t i = 0;
  for (auto element : arr) {
    const std::size_t index = i++;
    if (element.error()) return syntax_error(element.error(), indexed(field, index));
    od::value& entry = element.value_unsafe();
    od::object kv;
    if (entry.get_object().get(kv)) return wrong_type(indexed(field, index), "a KeyValue object", entry);
    if (n == out.size()) out.emplace_back();
    auto& [name, value] = out[n];
    bool have_key = false;
    AnyValueView any;
    for (auto member_result : kv) {
      std::string_view key;
      if (auto ec = open_member(member_result, key)) return syntax_error(ec, indexed(field, index));
      od::field& member = member_result.value_unsafe();
      od::value& x = member.value();
      if (key == "key") {
        auto s = read_text(x, "key");
        if (!s) return prefixed(indexed(field, index), s.error());
        name.assign(*s);
        have_key = true;
      } else if (key == "value") {
        if (Status st = read_any(x, any, scratch_); !st) {
          return nest(indexed(field, index) + ".value", st.error());
        }
      }
    }
    if (!have_key) return make_error(indexed(field, index) + ".key", "missing");
    if (any.kind == AnyKind::unset) continue;
    store(any, value);
    ++n;
  }
  return ok_status();
}

Status OtlpReader::read_attribute_views(od::value& v, std::string_view field, std::vector<AttributeView>& out,
                                        std::string& text) {
  if (is_null(v)) return ok_status();
  od::array arr;
  if (v.get_array().get(arr)) return wrong_type(field, "an array of KeyValue", v);
  std::size_t i = 0;
  for (auto element : arr) {
    const std::size_t index = i++;
    if (element.error()) return syntax_error(element.error(), indexed(field, index));
    od::value& entry = element.value_unsafe();
    od::object kv;
    if (entry.get_object().get(kv)) return wrong_type(indexed(field, index), "a KeyValue object", entry);
    std::string_view name;
    bool have_key = false;
    AnyValueView any;
    for (auto member_result : kv) {
      std::string_view key;
      if (auto ec = open_member(member_result, key)) return syntax_error(ec, indexed(field, index));
      od::field& member = member_result.value_unsafe();
      od::value& x = member.value();
      if (key == "key") {
        if (auto ec = get_text(x, name)) return prefixed(indexed(field, index), text_error(ec, x, "key"));
        have_key = true;
      } else if (key == "value") {
        if (Status st = read_any(x, any, scratch_); !st) {
          return nest(indexed(field, index) + ".value", st.error());
        }
      }
    }
    if (!have_key) return make_error(indexed(field, index) + ".key", "missing");
    if (any.kind == AnyKind::unset) continue;
    AttributeView& a = out.emplace_back();
    a.key = name;
    a.in_text = any.kind != AnyKind::string;
    if (!a.in_text) {
      a.value = any.text;
      continue;
    }
    a.text_begin = text.size();
    switch (any.kind) {
      case AnyKind::integer: {
        char buf[24];
        const auto res = std::to_chars(buf, buf + sizeof buf, any.integer);
        text.append(buf, res.ptr);
        break;
      }
      case AnyKind::floating: append_number(any.floating, text); break;
      case AnyKind::boolean: text += any.boolean ? "true" : "false"; break;
      default: text += any.text; break;  // the JSON text of an array, a map or bytes
    }
    a.text_end = text.size();
  }
  return ok_status();
}

Status OtlpReader::read_id(od::value& v, std::string_view field, std::size_t bytes, std::string& out) {
  out.clear();
  if (is_null(v)) return ok_status();
  auto s = read_text(v, field);
  if (!s) return s.error();
  if (s->empty()) return ok_status();
  if (s->size() == bytes * 2 && std::all_of(s->begin(), s->end(), is_hex_digit)) {
    out.assign(*s);
    for (char& c : out) {
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    }
    return ok_status();
  }
  if (base64_to_hex(*s, bytes, out)) return ok_status();
  out.clear();
  return make_error(std::string(field), "expected " + std::to_string(bytes * 2) + " hex digits (or base64 of " +
                                            std::to_string(bytes) + " bytes), got \"" +
                                            std::string(s->substr(0, 40)) + "\"");
}

Status OtlpReader::read_resource(od::value& v, const std::vector<std::string>& service_attributes,
                                 ResourceContext& out) {
  out.clear();
  std::size_t n = 0;
  if (!is_null(v)) {
    od::object obj;
    if (v.get_object().get(obj)) return wrong_type("", "a Resource object", v);
    for (auto field_result : obj) {
      std::string_view key;
      if (auto ec = open_member(field_result, key)) return syntax_error(ec, "");
      od::field& field = field_result.value_unsafe();
      if (key != "attributes") continue;
      if (Status st = read_attributes(field.value(), "attributes", out.attributes, n); !st) {
        return st;
      }
    }
  }
  out.attribute_count = n;
  for (const std::string& wanted : service_attributes) {
    for (std::size_t i = 0; i < n; ++i) {
      if (out.attributes[i].first != wanted) continue;
      out.service_index = i;
      append_text(out.attributes[i].second, out.service);
      return ok_status();
    }
  }
  return ok_status();
}

Status OtlpReader::check_scope(od::value& v) {
  if (is_null(v)) return ok_status();
  od::object obj;
  if (v.get_object().get(obj)) return wrong_type("", "an InstrumentationScope object", v);
  for (auto field_result : obj) {
    std::string_view key;
    if (auto ec = open_member(field_result, key)) return syntax_error(ec, "");
    od::field& field = field_result.value_unsafe();
    od::value& x = field.value();
    if (key == "attributes") {
      std::size_t n = 0;
      if (Status st = read_attributes(x, "attributes", scope_attributes_, n); !st) return st;
    } else if ((key == "name" || key == "version") && !is_null(x)) {
      if (auto s = read_text(x, key); !s) return s.error();
    }
  }
  return ok_status();
}

Result<double> read_proto_double_slow(od::value& v, std::string_view field) {
  double d = 0;
  od::json_type t;
  if (auto ec = v.type().get(t)) return make_error(std::string(field), describe(ec));
  if (t == od::json_type::string) {
    std::string_view s;
    if (auto ec = v.get_string().get(s)) return make_error(std::string(field), describe(ec));
    if (s == "NaN") return std::nan("");
    if (s == "Infinity" || s == "+Infinity" || s == "Inf" || s == "+Inf") return HUGE_VAL;
    if (s == "-Infinity" || s == "-Inf") return -HUGE_VAL;
    const auto res = std::from_chars(s.data(), s.data() + s.size(), d);
    if (res.ec == std::errc::result_out_of_range) return make_error(std::string(field), "number out of range");
    if (res.ec != std::errc() || res.ptr != s.data() + s.size() || s.empty() || !std::isfinite(d)) {
      return make_error(std::string(field), "expected a number, got the string \"" +
                                                std::string(s.substr(0, 32)) + "\"");
    }
    return d;
  }
  if (t != od::json_type::number) return wrong_type(field, "a number", v);
  if (auto ec = v.get_double().get(d)) {
    // simdjson calls 1e400 malformed; say what it is.
    std::string_view token = v.raw_json_token();
    while (!token.empty() && (token.back() == ' ' || token.back() == '\n' || token.back() == '\r' ||
                              token.back() == '\t')) {
      token.remove_suffix(1);
    }
    double ignored = 0;
    const auto res = std::from_chars(token.data(), token.data() + token.size(), ignored);
    if (res.ec == std::errc::result_out_of_range) return make_error(std::string(field), "number out of range");
    return make_error(std::string(field), describe(ec));
  }
  return d;
}

Result<bool> read_proto_bool(od::value& v, std::string_view field) {
  bool b = false;
  const auto ec = v.get_bool().get(b);
  if (ec == simdjson::SUCCESS) return b;
  od::json_type t{};
  // simdjson types a value by its first byte: "tru" looks boolean.
  if (v.type().get(t) == simdjson::SUCCESS && t == od::json_type::boolean) {
    return make_error(std::string(field), "malformed literal (expected true or false)");
  }
  if (ec == simdjson::INCORRECT_TYPE) return wrong_type(field, "boolean", v);
  return make_error(std::string(field), describe(ec));
}

Result<std::uint64_t> read_uint64(od::value& v, std::string_view field) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return make_error(std::string(field), describe(ec));
  if (t == od::json_type::string) {
    std::string_view s;
    if (auto ec = v.get_string().get(s)) return make_error(std::string(field), describe(ec));
    std::uint64_t u = 0;
    const auto res = std::from_chars(s.data(), s.data() + s.size(), u);
    if (res.ec == std::errc::result_out_of_range) return make_error(std::string(field), "integer out of uint64 range");
    if (res.ec != std::errc() || res.ptr != s.data() + s.size() || s.empty()) {
      return make_error(std::string(field), "expected an unsigned integer, got \"" + std::string(s.substr(0, 32)) + "\"");
    }
    return u;
  }
  if (t != od::json_type::number) return wrong_type(field, "an unsigned integer", v);
  od::number_type nt;
  if (auto ec = v.get_number_type().get(nt)) return make_error(std::string(field), describe(ec));
  if (nt == od::number_type::unsigned_integer) {
    std::uint64_t u = 0;
    if (auto ec = v.get_uint64().get(u)) return make_error(std::string(field), describe(ec));
    return u;
  }
  if (nt == od::number_type::signed_integer) {
    std::int64_t i = 0;
    if (auto ec = v.get_int64().get(i)) return make_error(std::string(field), describe(ec));
    if (i < 0) return make_error(std::string(field), "expected an unsigned integer, got a negative one");
    return static_cast<std::uint64_t>(i);
  }
  double d = 0;
  if (auto ec = v.get_double().get(d)) return make_error(std::string(field), describe(ec));
  if (d != std::floor(d)) return make_error(std::string(field), "expected an integer, got a fraction");
  if (!(d >= 0 && d < 18446744073709551616.0)) return make_error(std::string(field), "integer out of uint64 range");
  return static_cast<std::uint64_t>(d);
}

void append_number(double v, std::string& out) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

void append_text(const AttributeValue& v, std::string& out) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    out += *s;
  } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
    char buf[24];
    const auto res = std::to_chars(buf, buf + sizeof buf, *i);
    out.append(buf, res.ptr);
  } else if (const auto* d = std::get_if<double>(&v)) {
    append_number(*d, out);
  } else {
    out += std::get<bool>(v) ? "true" : "false";
  }
}

void sanitize_metric_name(std::string_view in, std::string& out) { sanitize(in, true, out); }
void sanitize_label_name(std::string_view in, std::string& out) { sanitize(in, false, out); }

}  // namespace eventlens::codec::internal::otlp
