// JsonWriter: appends compact JSON to a caller-owned std::string, so encoding a
// record reuses one buffer and never builds strings quadratically.
// Not thread-safe; one writer per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/records.h"

namespace eventlens::codec {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void begin_object() { separate(); out_ += '{'; first_ = true; }
  void end_object() { out_ += '}'; first_ = false; }
  void begin_array() { separate(); out_ += '['; first_ = true; }
  void end_array() { out_ += ']'; first_ = false; }

  // Writes `"key":`; the next value call writes the value.
  void key(std::string_view k);

  void string(std::string_view s);
  void integer(std::int64_t v);
  // Finite doubles in their shortest round-trip form (integral values keep a
  // ".0" so they read back as doubles); NaN and infinities as the strings
  // "NaN", "+Inf", "-Inf", which Prometheus users know and JSON can carry.
  void number(double v);
  void boolean(bool v);
  void null();
  void time(TimeNs t);
  // Copies already-encoded JSON verbatim.
  void raw(std::string_view json);

  void attributes(const Attributes& attrs);
  void labels(const Labels& labels);

  // Field helpers: write the key and value, skipping empty strings so that
  // encoded records stay short and optional fields stay optional.
  void field(std::string_view k, std::string_view v) { key(k); string(v); }
  void field_if_set(std::string_view k, std::string_view v) {
    if (!v.empty()) field(k, v);
  }

 private:
  void separate() {
    if (!first_ && !after_key_) out_ += ',';
    first_ = false;
    after_key_ = false;
  }

  std::string& out_;
  bool first_ = true;
  bool after_key_ = false;
};

// Appends `s` as a JSON string body (without quotes), escaping what JSON
// requires. Invalid UTF-8 is not repaired here: decoders refuse it first.
void append_json_escaped(std::string& out, std::string_view s);

}  // namespace eventlens::codec
