// Readers shared by the OTLP/JSON decoder's parts: protobuf-JSON scalars,
// AnyValue and KeyValue lists, trace ids, resources, error paths, Prometheus
// names. Internal to src/codec (pulls in simdjson.h); one reader per decoder,
// so per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "codec/internal/json_read.h"
#include "codec/json_writer.h"

namespace eventlens::codec::internal::otlp {

// Returns whether `key` is a field's lowerCamelCase name (what OTLP/JSON
// specifies) or its snake_case name (what protobuf JSON parsers also accept).
inline bool key_is(std::string_view key, std::string_view camel, std::string_view snake) {
  return key == camel || (!snake.empty() && key == snake);
}

// Returns `e` with `prefix` put in front of its field: "attributes[2]" and
// "value.intValue" give "attributes[2].value.intValue".
Error prefixed(std::string_view prefix, Error e);
// Returns true when `v` is JSON null (consuming it), protobuf JSON's "not
// set". As internal::is_null, but inlined: it runs once per member.
inline bool is_null(od::value& v) {
  bool null = false;
  return v.is_null().get(null) == simdjson::SUCCESS && null;
}

// Returns "key[index]".
std::string indexed(std::string_view key, std::size_t index);

// Returns the path (raw keys, as written) of the innermost value open at byte
// `offset` of `json`, for errors found before the request can be walked
// (invalid UTF-8, a truncated request). Long paths are cut short.
std::string path_at(std::string_view json, std::size_t offset);
// Returns the offset of the first byte of `s` that is not valid UTF-8, or
// s.size() when all of it is.
std::size_t first_invalid_utf8(std::string_view s);

// What one AnyValue held. `text` is a string value (pointing into the
// parser's buffer) or, for `json`, the compact JSON text of an array, a map
// or bytes (pointing into the buffer the reader was given).
enum class AnyKind : std::uint8_t { unset, string, integer, floating, boolean, json };
struct AnyValueView {
  AnyKind kind = AnyKind::unset;
  std::string_view text;
  std::int64_t integer = 0;
  double floating = 0;
  bool boolean = false;
};

// The resource of the records being decoded.
struct ResourceContext {
  std::string service;
  // The resource's attributes as received are the first attribute_count;
  // `service_index` is the one that named the service (npos when none
  // did). Entries past the count keep their storage for the next resource.
  Attributes attributes;
  std::size_t attribute_count = 0;
  std::size_t service_index = std::string::npos;
  // The metric labels the resource gives (names sanitised, the service's
  // attribute left out): the first label_count, built on first use by the
  // metric decoder.
  Labels labels;
  std::size_t label_count = 0;
  bool labels_ready = false;

  void clear() {
    service.clear();
    attribute_count = 0;
    service_index = std::string::npos;
    label_count = 0;
    labels_ready = false;
  }
};

// Reads the parts of an OTLP request that every signal shares. Holds scratch
// buffers (reused, so reading allocates nothing once they have grown) and
// remembers when the JSON itself turned out broken mid-request: On-Demand
// finds syntax errors only where it reads, and after one nothing more of the
// request can be trusted.
class OtlpReader {
 public:
  // True once a syntax error was met; the request walk stops.
  bool broken() const { return broken_; }
  void start_request() { broken_ = false; }
  // Returns the Error for a syntax error met at `field`, and marks the
  // request broken.
  Error syntax_error(simdjson::error_code ec, std::string_view field);

  // Reads an AnyValue. Arrays and maps are written as compact JSON into
  // `json_out` (cleared first); bytes as the JSON string of their base64.
  // Errors name fields relative to the AnyValue ("kvlistValue.values[1].value").
  Status read_any(od::value v, AnyValueView& out, std::string& json_out);

  // Reads a KeyValue list (`field` names it in errors), writing entries
  // from out[n] on and advancing n; entries already there are overwritten in
  // place so that their strings keep their storage. Attributes whose value
  // is unset are left out.
  Status read_attributes(od::value v, std::string_view field, Attributes& out, std::size_t& n);

  // Reads a trace or span id of `bytes` bytes: lower-case hex of 2*bytes
  // digits (upper case accepted), or the standard base64 that generic
  // protobuf JSON writers produce for bytes fields. Empty stays empty.
  Status read_id(od::value v, std::string_view field, std::size_t bytes, std::string& out);

  // Reads a Resource object (null allowed) into `out`; the service is the
  // first of `service_attributes` (in that order) that the resource has.
  Status read_resource(od::value v, const std::vector<std::string>& service_attributes,
                       ResourceContext& out);

  // Checks an InstrumentationScope object: eventlens keeps nothing of it,
  // but a malformed one makes the records under it suspect.
  Status check_scope(od::value v);

 private:
  Status write_any_json(od::value v, JsonWriter& w, int depth);
  Status write_array_json(od::value v, JsonWriter& w, int depth);
  Status write_kvlist_json(od::value v, JsonWriter& w, int depth);

  bool broken_ = false;
  std::string scratch_;
  Attributes scope_attributes_;
};

// Receives what MetricDecoder produces: a sample it filled in, or a refused
// data point (or metric) with its field relative to the Metric object.
class SampleSink {
 public:
  virtual void emit_sample() = 0;
  virtual void reject(Error error) = 0;

 protected:
  ~SampleSink() = default;
};

// Turns one Metric object into Prometheus-named samples (docs/codecs/otlp.md).
// Owns the scratch of its data points, reused from point to point.
class MetricDecoder {
 public:
  enum class Kind : std::uint8_t { gauge, sum, histogram, exponential_histogram, summary };

  // Decodes `metric`, filling `sample` and calling out.emit_sample() for each
  // sample, out.reject() for each refused point or a refused metric.
  void decode(od::value metric, ResourceContext& resource, OtlpReader& reader, MetricSample& sample,
              SampleSink& out);

 private:
  struct Side {
    std::int64_t offset = 0;
    std::vector<std::uint64_t> counts;
  };
  struct Point {
    Attributes attributes;
    std::size_t attribute_count = 0;
    TimeNs time = 0;
    std::uint64_t flags = 0;
    bool has_double = false, has_int = false, has_sum = false;
    double as_double = 0;
    std::int64_t as_int = 0;
    std::uint64_t count = 0;
    double sum = 0;
    std::vector<std::uint64_t> bucket_counts;
    std::vector<double> bounds;
    std::int64_t scale = 0;
    std::uint64_t zero_count = 0;
    double zero_threshold = 0;
    Side positive, negative;
    std::vector<std::pair<double, double>> quantiles;
  };

  void decode_data(od::value data, Kind kind, ResourceContext& resource, OtlpReader& reader,
                   MetricSample& sample, SampleSink& out);
  void decode_points(od::value points, Kind kind, ResourceContext& resource, OtlpReader& reader,
                     MetricSample& sample, SampleSink& out);
  Status read_point(od::value v, Kind kind, OtlpReader& reader);
  Status read_side(od::value v, std::string_view field, Side& side, OtlpReader& reader);
  Status read_quantiles(od::value v, OtlpReader& reader);
  Status emit_point(Kind kind, ResourceContext& resource, MetricSample& sample, SampleSink& out);
  // Builds the point's labels, leaving out `reserved` (the label the
  // metric's own series use).
  void build_labels(ResourceContext& resource, std::string_view reserved);
  void set_label(std::string_view name, std::string_view value);
  void emit(std::string_view suffix, std::string_view extra_name, std::string_view extra_value, double value,
            MetricSample& sample, SampleSink& out);

  std::string metric_name_;  // sanitised, with _total when that applies
  std::string label_name_, label_value_, le_;
  Point point_;
  Labels labels_;  // the point's labels, the first label_count_ in use
  std::size_t label_count_ = 0;
};

// Protobuf JSON numbers (fields relative, copied only on error):
// a double as a number, a numeric string, or "NaN", "Infinity", "-Infinity".
Result<double> read_proto_double(od::value v, std::string_view field);
// A bool; a misspelt literal ("tru") is named as such.
Result<bool> read_proto_bool(od::value v, std::string_view field);
// A uint64 as a number or a decimal string.
Result<std::uint64_t> read_uint64(od::value v, std::string_view field);

// Returns the text of an attribute value as a label value or log body part:
// strings as they are, numbers in their shortest exact form, bools as
// true/false.
void append_text(const AttributeValue& v, std::string& out);
// Appends the shortest decimal form of `v` that reads back as `v`; "+Inf",
// "-Inf", "NaN" for the others (Prometheus `le` and `quantile` values).
void append_number(double v, std::string& out);

// Prometheus names: every character outside [a-zA-Z0-9_:] (metric names) or
// [a-zA-Z0-9_] (label names) becomes '_', one per character (not per UTF-8
// byte); a leading digit gets a '_' in front. Writes into `out`.
void sanitize_metric_name(std::string_view in, std::string& out);
void sanitize_label_name(std::string_view in, std::string& out);

}  // namespace eventlens::codec::internal::otlp
