// Shared helpers for the simdjson On-Demand decoders: padded views, field
// paths for error messages, and typed reads that turn simdjson errors into
// Errors naming the field. Internal to src/codec; include only from .cc files
// (it pulls in simdjson.h, which is heavy to compile).
#pragma once

#include <simdjson.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "model/records.h"
#include "model/result.h"
#include "model/small_copy.h"

namespace eventlens::codec::internal {

namespace od = simdjson::ondemand;

// Returns a view of `in` that simdjson may read with its padding: `in` itself
// when `capacity` bytes (counted from in.data()) leave room, otherwise a copy
// in `scratch`.
simdjson::padded_string_view padded(std::string_view in, std::size_t capacity,
                                    std::string& scratch);

// A dotted path into the document under construction, for error messages:
// "resourceLogs[0].scopeLogs[2].logRecords[1].timeUnixNano".
class FieldPath {
 public:
  // RAII segment: appended on construction, removed on destruction.
  class Scope {
   public:
    Scope(FieldPath& p, std::string_view key) : p_(p), len_(p.s_.size()) { p.push(key); }
    Scope(FieldPath& p, std::size_t index) : p_(p), len_(p.s_.size()) { p.push(index); }
    ~Scope() { p_.s_.resize(len_); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    FieldPath& p_;
    std::size_t len_;
  };

  void push(std::string_view key) {
    if (!s_.empty()) s_ += '.';
    s_ += key;
  }
  void push(std::size_t index) {
    s_ += '[';
    s_ += std::to_string(index);
    s_ += ']';
  }
  void clear() { s_.clear(); }
  const std::string& str() const { return s_; }
  // Returns the path with `key` appended, without changing this path.
  std::string with(std::string_view key) const {
    return s_.empty() ? std::string(key) : s_ + "." + std::string(key);
  }

 private:
  std::string s_;
};

// Returns a user-facing reason for a simdjson error ("not valid UTF-8",
// "malformed JSON", "nesting too deep", "number out of range", ...).
std::string describe(simdjson::error_code ec);

// Returns "string", "number", "object", "array", "boolean" or "null".
std::string_view type_name(od::json_type t);

// Returns an Error at `field` saying what type was expected and what was found.
Error wrong_type(std::string_view field, std::string_view expected, od::value& v);

// Typed reads. Each returns an Error naming `field` when the value is missing
// or of the wrong type; the field's name is only copied on that error path.
Result<std::string_view> read_string(od::value v, std::string_view field);
Result<double> read_double(od::value v, std::string_view field);
Result<bool> read_bool(od::value v, std::string_view field);
// An int64 given as a JSON number or, as proto3 JSON writes 64-bit integers, as
// a decimal string ("1700000000000000000"). Out-of-range values are refused.
Result<std::int64_t> read_int64(od::value v, std::string_view field);
// A time: an RFC 3339 string or an epoch number (unit by magnitude, see
// model/time.h).
Result<TimeNs> read_time(od::value& v, std::string_view field);
// Nanoseconds since the epoch as OTLP writes them: a decimal string or number,
// always nanoseconds (no unit guessing). "0" means unset and yields 0.
Result<TimeNs> read_unix_nanos(od::value v, std::string_view field);
// Appends one attribute value that must be a string, number or bool.
Result<AttributeValue> read_scalar_attribute(od::value v, std::string_view field);


// Returns true when none of the `n` bytes at `p` is a quote or a backslash.
// Reads whole 16-byte blocks, so up to 15 bytes past p + n: only for bytes
// inside a simdjson padded input, where a string is always followed by at
// least its closing quote and the padding. (32-byte AVX2 blocks measured
// slower here: most fields are short.)
[[gnu::always_inline]] inline bool plain_string_bytes(const char* p, std::size_t n) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  for (std::size_t i = 0; i < n; i += 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    auto mask = static_cast<unsigned>(_mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(block, quote), _mm_cmpeq_epi8(block, backslash))));
    if (n - i < 16) mask &= (1u << (n - i)) - 1;
    if (mask != 0) return false;
  }
  return true;
#else
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] == '"' || p[i] == '\\') return false;
  }
  return true;
#endif
}

// Reads a string value as od::value::get_string does, but when the string
// holds no escape (nearly every real one) the view points into the input
// itself: the token's length is already known from stage 1, so this skips
// simdjson's unescaping copy. Escaped strings go through get_string (the view
// then lives until the parser's next string). A value that is not a string
// gives INCORRECT_TYPE and is not consumed, as with get_string.
[[gnu::always_inline]] inline simdjson::error_code get_string_view(od::value& v, std::string_view& out) {
  const std::string_view token = v.raw_json_token();
  if (token.empty() || token[0] != '"') return v.get_string().get(out);
  // The token runs up to the next structural character: the closing quote,
  // then perhaps whitespace.
  std::size_t n = token.size();
  while (n > 1 && (token[n - 1] == ' ' || token[n - 1] == '\n' || token[n - 1] == '\r' ||
                   token[n - 1] == '\t')) {
    --n;
  }
  if (n < 2 || token[n - 1] != '"' || !plain_string_bytes(token.data() + 1, n - 2)) {
    return v.get_string().get(out);
  }
  od::raw_json_string raw;
  if (auto ec = v.get_raw_json_string().get(raw)) return ec;
  out = std::string_view(token.data() + 1, n - 2);
  return simdjson::SUCCESS;
}

// Returns true and sets `key` to the bytes between a field key's quotes as
// they stand in the input, escapes not decoded: enough to compare with a name
// that needs no escaping (if those bytes spell it, so does the key). Stage 1
// already found where the key ends: the value's token follows the ':' that
// follows the key's closing quote (whitespace aside), so this costs a few byte
// compares instead of a scan. Returns false if the input is not shaped so.
[[gnu::always_inline]] inline bool raw_key(od::field& field, std::string_view& key) {
  const char* begin = field.key().raw();
  const char* end = field.value().raw_json_token().data() - 1;
  const auto space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (space(*end)) --end;
  if (*end != ':') return false;
  --end;
  while (space(*end)) --end;
  // begin[-1] is the opening quote, so `end` stops there at the latest.
  if (*end != '"' || end < begin) return false;
  key = std::string_view(begin, static_cast<std::size_t>(end - begin));
  return true;
}

// Reads a field's key. Keys without escapes (all real ones) are read in place,
// without simdjson's unescaping copy; a key with an escape is unescaped.
[[gnu::always_inline]] inline simdjson::error_code read_key(od::field& field, std::string_view& key) {
  if (raw_key(field, key) && plain_string_bytes(key.data(), key.size())) return simdjson::SUCCESS;
  return field.unescaped_key().get(key);
}

[[gnu::always_inline]] inline simdjson::error_code read_key(simdjson::simdjson_result<od::field>& field,
                                                         std::string_view& key) {
  if (auto ec = field.error()) return ec;
  return read_key(field.value_unsafe(), key);
}

// Sets `out` to `x`, assigning in place when it already holds a T.
template <typename T>
void set_alternative(AttributeValue& out, T x) {
  if (auto* existing = std::get_if<T>(&out)) {
    *existing = x;
  } else {
    out.emplace<T>(x);
  }
}
inline void set_string_alternative(AttributeValue& out, std::string_view s) {
  if (auto* existing = std::get_if<std::string>(&out)) {
    assign_reusing(*existing, s);
  } else {
    out.emplace<std::string>(s);
  }
}

// The out-of-line part of read_scalar_attribute_into: numbers its fast path
// refused, and values that are not scalars (both get a worded error).
Status read_scalar_attribute_general(od::value& v, std::string_view field, AttributeValue& out);

// As read_scalar_attribute, but writes into `out`, reusing the storage of a
// string it already holds (the allocation-free path for reused records).
// Inline for the common values: dispatched on the token's first byte (one
// peek instead of type()), and a value of the alternative `out` already holds
// is overwritten in place.
[[gnu::always_inline]] inline Status read_scalar_attribute_into(od::value& v, std::string_view field,
                                                                AttributeValue& out) {
  const std::string_view token = v.raw_json_token();
  const char first = token.empty() ? '\0' : token[0];
  if (first == '"') {
    std::string_view s;
    if (auto ec = get_string_view(v, s)) return make_error(std::string(field), describe(ec));
    set_string_alternative(out, s);
    return ok_status();
  }
  if (first == 't' || first == 'f') {
    bool b;
    if (auto ec = v.get_bool().get(b)) return make_error(std::string(field), describe(ec));
    set_alternative(out, b);
    return ok_status();
  }
  if (first == '-' || (first >= '0' && first <= '9')) {
    // One parse for the common cases; a number it refuses (a big integer, a
    // malformed one) is left unread for the general path, which words the
    // error.
    od::number number;
    if (v.get_number().get(number) == simdjson::SUCCESS) {
      if (number.is_int64()) {
        set_alternative(out, number.get_int64());
        return ok_status();
      }
      const double d = number.as_double();
      if (!std::isfinite(d)) return make_error(std::string(field), "number out of range");
      set_alternative(out, d);
      return ok_status();
    }
  }
  return read_scalar_attribute_general(v, field, out);
}

// Returns true when `v` is JSON null (consuming it).
bool is_null(od::value& v);

}  // namespace eventlens::codec::internal
