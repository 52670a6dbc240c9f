#include "codec/internal/json_read.h"

#include <charconv>
#include <cmath>

namespace eventlens::codec::internal {

simdjson::padded_string_view padded(std::string_view in, std::size_t capacity,
                                    std::string& scratch) {
  if (capacity >= in.size() + simdjson::SIMDJSON_PADDING) {
    return simdjson::padded_string_view(in.data(), in.size(), capacity);
  }
  scratch.assign(in);
  scratch.resize(in.size() + simdjson::SIMDJSON_PADDING, ' ');
  return simdjson::padded_string_view(scratch.data(), in.size(), scratch.size());
}

std::string describe(simdjson::error_code ec) {
  using simdjson::error_code;
  switch (ec) {
    case error_code::UTF8_ERROR: return "not valid UTF-8";
    case error_code::DEPTH_ERROR: return "nesting too deep";
    case error_code::NUMBER_ERROR: return "malformed number";
    case error_code::NUMBER_OUT_OF_RANGE: return "number out of range";
    case error_code::STRING_ERROR: return "malformed string";
    case error_code::UNCLOSED_STRING: return "unterminated string";
    case error_code::UNESCAPED_CHARS: return "control character inside a string";
    case error_code::EMPTY: return "empty input";
    case error_code::CAPACITY: return "document too large";
    case error_code::INCORRECT_TYPE: return "wrong type";
    case error_code::NO_SUCH_FIELD: return "missing";
    case error_code::TAPE_ERROR:
    case error_code::TRAILING_CONTENT:
    case error_code::INCOMPLETE_ARRAY_OR_OBJECT:
    case error_code::T_ATOM_ERROR:
    case error_code::F_ATOM_ERROR:
    case error_code::N_ATOM_ERROR:
      return std::string("malformed JSON (") + simdjson::error_message(ec) + ")";
    default:
      return std::string("malformed JSON (") + simdjson::error_message(ec) + ")";
  }
}

std::string_view type_name(od::json_type t) {
  switch (t) {
    case od::json_type::array: return "array";
    case od::json_type::object: return "object";
    case od::json_type::number: return "number";
    case od::json_type::string: return "string";
    case od::json_type::boolean: return "boolean";
    case od::json_type::null: return "null";
  }
  return "unknown";
}

Error wrong_type(std::string_view field, std::string_view expected, od::value& v) {
  od::json_type t;
  if (v.type().get(t) != simdjson::SUCCESS) return make_error(std::string(field), "malformed JSON value");
  return make_error(std::string(field), "expected " + std::string(expected) + ", got " +
                               std::string(type_name(t)));
}

Result<std::string_view> read_string(od::value v, std::string_view field) {
  std::string_view s;
  const auto ec = get_string_view(v, s);
  if (ec == simdjson::INCORRECT_TYPE) return wrong_type(field, "string", v);
  if (ec) return make_error(std::string(field), describe(ec));
  return s;
}

Result<double> read_double(od::value v, std::string_view field) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return make_error(std::string(field), describe(ec));
  if (t == od::json_type::string) {
    // NaN and infinities travel as strings in JSON (see JsonWriter::number).
    std::string_view s;
    if (auto ec = v.get_string().get(s)) return make_error(std::string(field), describe(ec));
    if (s == "NaN") return std::nan("");
    if (s == "+Inf" || s == "Inf" || s == "Infinity") return HUGE_VAL;
    if (s == "-Inf" || s == "-Infinity") return -HUGE_VAL;
    return make_error(std::string(field), "expected a number, got the string \"" + std::string(s.substr(0, 32)) + "\"");
  }
  if (t != od::json_type::number) return wrong_type(field, "number", v);
  double d;
  if (auto ec = v.get_double().get(d)) return make_error(std::string(field), describe(ec));
  if (!std::isfinite(d)) return make_error(std::string(field), "number out of range");
  return d;
}

Result<bool> read_bool(od::value v, std::string_view field) {
  bool b;
  const auto ec = v.get_bool().get(b);
  if (ec == simdjson::INCORRECT_TYPE) return wrong_type(field, "boolean", v);
  if (ec) return make_error(std::string(field), describe(ec));
  return b;
}

namespace {

Result<std::int64_t> parse_decimal_int64(std::string_view s, std::string_view field) {
  std::int64_t out = 0;
  const char* end = s.data() + s.size();
  const auto res = std::from_chars(s.data(), end, out);
  if (res.ec == std::errc::result_out_of_range) {
    return make_error(std::string(field), "integer \"" + std::string(s.substr(0, 32)) + "\" out of int64 range");
  }
  if (res.ec != std::errc() || res.ptr != end || s.empty()) {
    return make_error(std::string(field), "expected an integer, got \"" + std::string(s.substr(0, 32)) + "\"");
  }
  return out;
}

}  // namespace

Result<std::int64_t> read_int64(od::value v, std::string_view field) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return make_error(std::string(field), describe(ec));
  if (t == od::json_type::string) {
    std::string_view s;
    if (auto ec = v.get_string().get(s)) return make_error(std::string(field), describe(ec));
    return parse_decimal_int64(s, field);
  }
  if (t != od::json_type::number) return wrong_type(field, "integer", v);
  od::number_type nt;
  if (auto ec = v.get_number_type().get(nt)) return make_error(std::string(field), describe(ec));
  if (nt == od::number_type::signed_integer) {
    std::int64_t i;
    if (auto ec = v.get_int64().get(i)) return make_error(std::string(field), describe(ec));
    return i;
  }
  if (nt == od::number_type::unsigned_integer) {
    return make_error(std::string(field), "integer out of int64 range");
  }
  double d;
  if (auto ec = v.get_double().get(d)) return make_error(std::string(field), describe(ec));
  if (d != std::floor(d)) return make_error(std::string(field), "expected an integer, got a fraction");
  if (!(d >= -9.2233720368547758e18 && d < 9.2233720368547758e18)) {
    return make_error(std::string(field), "integer out of int64 range");
  }
  return static_cast<std::int64_t>(d);
}

Result<TimeNs> read_time(od::value& v, std::string_view field) {
  std::string_view s;
  const auto string_ec = get_string_view(v, s);
  if (string_ec == simdjson::SUCCESS) {
    auto out = parse_rfc3339(s);
    if (!out) return make_error(std::string(field), out.error().reason);
    return out;
  }
  if (string_ec != simdjson::INCORRECT_TYPE) return make_error(std::string(field), describe(string_ec));
  od::json_type t;
  if (auto ec = v.type().get(t)) return make_error(std::string(field), describe(ec));
  if (t != od::json_type::number) {
    return wrong_type(field, "an RFC 3339 string or an epoch number", v);
  }
  od::number_type nt;
  if (auto ec = v.get_number_type().get(nt)) return make_error(std::string(field), describe(ec));
  Result<TimeNs> out = TimeNs{0};
  if (nt == od::number_type::signed_integer) {
    std::int64_t i;
    if (auto ec = v.get_int64().get(i)) return make_error(std::string(field), describe(ec));
    out = time_from_epoch_integer(i);
  } else if (nt == od::number_type::floating_point_number) {
    double d;
    if (auto ec = v.get_double().get(d)) return make_error(std::string(field), describe(ec));
    out = time_from_epoch_number(d);
  } else {
    return make_error(std::string(field), "epoch time is out of range for int64 nanoseconds");
  }
  if (!out) return make_error(std::string(field), out.error().reason);
  return out;
}

Result<TimeNs> read_unix_nanos(od::value v, std::string_view field) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return make_error(std::string(field), describe(ec));
  if (t == od::json_type::string) {
    std::string_view s;
    if (auto ec = v.get_string().get(s)) return make_error(std::string(field), describe(ec));
    auto r = parse_decimal_int64(s, field);
    if (!r) {
      // proto3 uint64 values above INT64_MAX fit the wire type but not our
      // int64 nanoseconds: say so plainly.
      if (!s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos) {
        return make_error(std::string(field), "time " + std::string(s) +
                                     " ns is after 2262-04-11, out of range for int64 nanoseconds");
      }
      return r;
    }
    if (*r < 0) return make_error(std::string(field), "time is negative");
    return r;
  }
  if (t != od::json_type::number) return wrong_type(field, "a decimal string or number", v);
  od::number_type nt;
  if (auto ec = v.get_number_type().get(nt)) return make_error(std::string(field), describe(ec));
  if (nt == od::number_type::signed_integer) {
    std::int64_t i;
    if (auto ec = v.get_int64().get(i)) return make_error(std::string(field), describe(ec));
    if (i < 0) return make_error(std::string(field), "time is negative");
    return i;
  }
  if (nt == od::number_type::floating_point_number) {
    return make_error(std::string(field), "expected integer nanoseconds, got a fraction");
  }
  return make_error(std::string(field), "time is after 2262-04-11, out of range for int64 nanoseconds");
}

Result<AttributeValue> read_scalar_attribute(od::value v, std::string_view field) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return make_error(std::string(field), describe(ec));
  switch (t) {
    case od::json_type::string: {
      std::string_view s;
      if (auto ec = v.get_string().get(s)) return make_error(std::string(field), describe(ec));
      return AttributeValue(std::string(s));
    }
    case od::json_type::boolean: {
      bool b;
      if (auto ec = v.get_bool().get(b)) return make_error(std::string(field), describe(ec));
      return AttributeValue(b);
    }
    case od::json_type::number: {
      od::number_type nt;
      if (auto ec = v.get_number_type().get(nt)) return make_error(std::string(field), describe(ec));
      if (nt == od::number_type::signed_integer) {
        std::int64_t i;
        if (auto ec = v.get_int64().get(i)) return make_error(std::string(field), describe(ec));
        return AttributeValue(i);
      }
      double d;
      if (auto ec = v.get_double().get(d)) return make_error(std::string(field), describe(ec));
      if (!std::isfinite(d)) return make_error(std::string(field), "number out of range");
      return AttributeValue(d);
    }
    default:
      return wrong_type(field, "a string, number or boolean", v);
  }
}

Status read_scalar_attribute_general(od::value& v, std::string_view field, AttributeValue& out) {
  // Reached only from read_scalar_attribute_into, after its one-parse fast
  // path handled strings, booleans and every number get_number() accepts.
  const std::string_view token = v.raw_json_token();
  const char first = token.empty() ? '\0' : token[0];
  if (first == '-' || (first >= '0' && first <= '9')) {
    // A number the fast path refused (a big integer, a malformed number):
    // the two-step path below words the error.
    od::number_type nt;
    if (auto ec = v.get_number_type().get(nt)) return make_error(std::string(field), describe(ec));
    if (nt == od::number_type::signed_integer) {
      std::int64_t i;
      if (auto ec = v.get_int64().get(i)) return make_error(std::string(field), describe(ec));
      set_alternative(out, i);
      return ok_status();
    }
    double d;
    if (auto ec = v.get_double().get(d)) return make_error(std::string(field), describe(ec));
    if (!std::isfinite(d)) return make_error(std::string(field), "number out of range");
    set_alternative(out, d);
    return ok_status();
  }
  // null, objects, arrays and malformed values: the general path words the
  // error.
  auto value = read_scalar_attribute(v, field);
  if (!value) return value.error();
  out = std::move(*value);
  return ok_status();
}

bool is_null(od::value& v) {
  bool n = false;
  return v.is_null().get(n) == simdjson::SUCCESS && n;
}

}  // namespace eventlens::codec::internal
