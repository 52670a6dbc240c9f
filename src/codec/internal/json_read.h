// Shared helpers for the simdjson On-Demand decoders: padded views, field
// paths for error messages, and typed reads that turn simdjson errors into
// Errors naming the field. Internal to src/codec; include only from .cc files
// (it pulls in simdjson.h, which is heavy to compile).
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "model/records.h"
#include "model/result.h"

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
Result<TimeNs> read_time(od::value v, std::string_view field);
// Nanoseconds since the epoch as OTLP writes them: a decimal string or number,
// always nanoseconds (no unit guessing). "0" means unset and yields 0.
Result<TimeNs> read_unix_nanos(od::value v, std::string_view field);
// Appends one attribute value that must be a string, number or bool.
Result<AttributeValue> read_scalar_attribute(od::value v, std::string_view field);

// As read_scalar_attribute, but writes into `out`, reusing the storage of a
// string it already holds (the allocation-free path for reused records).
Status read_scalar_attribute_into(od::value v, std::string_view field, AttributeValue& out);

// Reads a field's key. Keys without escapes (all real ones) are read in place,
// without simdjson's unescaping copy; a key with an escape is unescaped.
inline simdjson::error_code read_key(simdjson::simdjson_result<od::field>& field, std::string_view& key) {
  od::raw_json_string raw;
  if (auto ec = field.key().get(raw)) return ec;
  const char* begin = raw.raw();
  // Stage 1 validated the document, so the key's closing quote is there;
  // keys are short, so a plain scan beats a library call.
  const char* end = begin;
  bool escaped = false;
  while (*end != '"') {
    escaped |= *end == '\\';
    end += escaped ? 2 : 1;  // after a backslash, skip the escaped byte
    if (escaped) break;
  }
  if (!escaped) {
    key = std::string_view(begin, static_cast<std::size_t>(end - begin));
    return simdjson::SUCCESS;
  }
  return field.unescaped_key().get(key);
}

// Returns true when `v` is JSON null (consuming it).
bool is_null(od::value& v);

}  // namespace eventlens::codec::internal
