// Readers shared by the OTLP/JSON decoder's parts: protobuf-JSON scalars,
// AnyValue and KeyValue lists, trace ids, resources, error paths, Prometheus
// names. Internal to src/codec (pulls in simdjson.h); one reader per decoder,
// so per thread.
#pragma once

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <cstdint>
#include <cstring>
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
[[gnu::always_inline]] inline bool is_null(od::value& v) {
  bool null = false;
  return v.is_null().get(null) == simdjson::SUCCESS && null;
}

// Returns whether none of the `n` bytes at `p` is a backslash. Reads whole
// 16-byte blocks, so up to 15 bytes past p + n: only for bytes of a
// simdjson padded input, where a string is followed by its closing quote
// and the padding.
inline bool no_backslash(const char* p, std::size_t n) {
#if defined(__SSE2__)
  const __m128i backslash = _mm_set1_epi8('\\');
  for (std::size_t i = 0; i < n; i += 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(block, backslash)));
    if (n - i < 16) mask &= (1u << (n - i)) - 1;
    if (mask != 0) return false;
  }
  return true;
#else
  return std::memchr(p, '\\', n) == nullptr;
#endif
}

// Returns the text between the quotes of the string token `token` (as
// raw_json_token gives it: up to the next structural character, so perhaps
// with whitespace after the closing quote), or false when the token is not
// a string or holds an escape.
inline bool plain_string_token(std::string_view token, std::string_view& text) {
  if (token.empty() || token[0] != '"') return false;
  std::size_t n = token.size();
  while (n > 1 && (token[n - 1] == ' ' || token[n - 1] == '\n' || token[n - 1] == '\r' || token[n - 1] == '\t')) {
    --n;
  }
  if (n < 2 || token[n - 1] != '"' || !no_backslash(token.data() + 1, n - 2)) return false;
  text = token.substr(1, n - 2);
  return true;
}

// Reads a JSON string. One without escapes (nearly every real one) is read
// in place: the view points into the request, skipping simdjson's unescaping
// copy. An escaped one is unescaped into the parser's string buffer. Either
// view lives as long as the parsed request. A value that is not a string
// gives INCORRECT_TYPE and is left unconsumed, as with get_string.
inline simdjson::error_code get_text(od::value& v, std::string_view& out) {
  std::string_view text;
  if (!plain_string_token(v.raw_json_token(), text)) return v.get_string().get(out);
  od::raw_json_string raw;
  if (auto ec = v.get_raw_json_string().get(raw)) return ec;
  out = text;
  return simdjson::SUCCESS;
}

// Returns the Error for get_text's `ec` at `field` (as internal::read_string
// words it).
Error text_error(simdjson::error_code ec, od::value& v, std::string_view field);

// As internal::read_string (same errors), read with get_text.
inline Result<std::string_view> read_text(od::value& v, std::string_view field) {
  std::string_view s;
  if (auto ec = get_text(v, s)) return text_error(ec, v, field);
  return s;
}

// Returns the value of the 8 decimal digits at `p`, or false when they are
// not all digits (SWAR, as simdjson parses numbers).
inline bool eight_digits(const char* p, std::uint64_t& out) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if ((((v & 0xF0F0F0F0F0F0F0F0ULL) | (((v + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) >> 4)) !=
       0x3333333333333333ULL)) {
    return false;
  }
  v -= 0x3030303030303030ULL;
  v = (v * 10) + (v >> 8);
  v = (((v & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
       (((v >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
      32;
  out = v;
  return true;
}

// The common spelling of protobuf JSON's 64-bit integers: a string of 1 to
// 19 decimal digits. When `v` is one and its value fits an int64, consumes it
// into `out` and returns true; otherwise leaves `v` alone for the full reader
// (which handles numbers, signs and the errors).
inline bool try_decimal_string(od::value& v, std::int64_t& out) {
  const std::string_view token = v.raw_json_token();
  if (token.size() < 3 || token[0] != '"') return false;
  // Digits only, so no escape: the string ends at the first quote.
  std::size_t n = token.size() - 1;
  while (n > 0 && token[n] != '"') --n;
  if (n < 2 || n > 20) return false;
  --n;
  const char* p = token.data() + 1;
  std::uint64_t value = 0;
  for (; n >= 8; n -= 8, p += 8) {
    std::uint64_t eight = 0;
    if (!eight_digits(p, eight)) return false;
    value = value * 100000000 + eight;  // at most 16 digits so far: no overflow
  }
  for (; n > 0; --n, ++p) {
    if (*p < '0' || *p > '9') return false;
    if (value > (static_cast<std::uint64_t>(INT64_MAX) - static_cast<std::uint64_t>(*p - '0')) / 10) return false;
    value = value * 10 + static_cast<std::uint64_t>(*p - '0');
  }
  od::raw_json_string raw;
  if (v.get_raw_json_string().get(raw)) return false;
  out = static_cast<std::int64_t>(value);
  return true;
}

// As internal::read_unix_nanos and internal::read_int64 (same values, same
// errors), with try_decimal_string first.
inline Result<TimeNs> read_nanos(od::value& v, std::string_view field) {
  std::int64_t n = 0;
  if (try_decimal_string(v, n)) return TimeNs{n};
  return read_unix_nanos(v, field);
}
inline Result<std::int64_t> read_integer(od::value& v, std::string_view field) {
  std::int64_t n = 0;
  if (try_decimal_string(v, n)) return n;
  return read_int64(v, field);
}

// Opens a member of an object being iterated and reads its key as read_key
// does (in place unless it holds an escape). The member is then used in
// place (member.value_unsafe()): copying simdjson's iterator objects right
// after they were built stalls on store forwarding.
inline simdjson::error_code open_member(simdjson::simdjson_result<od::field>& member, std::string_view& key) {
  if (auto ec = member.error()) return ec;
  od::field& f = member.value_unsafe();
  const char* const begin = f.key().raw();
  // Only whitespace and the ':' lie between the key's closing quote and
  // its value.
  const char* end = f.value().raw_json_token().data() - 1;
  while (*end != '"') --end;
  const auto n = static_cast<std::size_t>(end - begin);
  if (!no_backslash(begin, n)) return f.unescaped_key().get(key);
  key = std::string_view(begin, n);
  return simdjson::SUCCESS;
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

// One attribute of a KeyValue list read as views: the key as written, and
// the value as its label text. A string value is a view like get_text's;
// any other value is written into a text buffer the reader is given, and
// is found there at [text_begin, text_end) (that buffer may still grow while
// the list is read).
struct AttributeView {
  std::string_view key;
  std::string_view value;
  std::size_t text_begin = 0, text_end = 0;
  bool in_text = false;
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
  Status read_any(od::value& v, AnyValueView& out, std::string& json_out);

  // Reads a KeyValue list (`field` names it in errors), writing entries
  // from out[n] on and advancing n; entries already there are overwritten in
  // place so that their strings keep their storage. Attributes whose value
  // is unset are left out.
  Status read_attributes(od::value& v, std::string_view field, Attributes& out, std::size_t& n);

  // As read_attributes, but as views: nothing is copied for string values;
  // other values are written as text (append_text's form, compact JSON for
  // arrays, maps and bytes) at the end of `text`. Appends to `out`.
  Status read_attribute_views(od::value& v, std::string_view field, std::vector<AttributeView>& out,
                              std::string& text);

  // Reads a trace or span id of `bytes` bytes: lower-case hex of 2*bytes
  // digits (upper case accepted), or the standard base64 that generic
  // protobuf JSON writers produce for bytes fields. Empty stays empty.
  Status read_id(od::value& v, std::string_view field, std::size_t bytes, std::string& out);

  // Reads a Resource object (null allowed) into `out`; the service is the
  // first of `service_attributes` (in that order) that the resource has.
  Status read_resource(od::value& v, const std::vector<std::string>& service_attributes,
                       ResourceContext& out);

  // Checks an InstrumentationScope object: eventlens keeps nothing of it,
  // but a malformed one makes the records under it suspect.
  Status check_scope(od::value& v);

 private:
  Status write_any_json(od::value& v, JsonWriter& w, int depth);
  Status write_array_json(od::value& v, JsonWriter& w, int depth);
  Status write_kvlist_json(od::value& v, JsonWriter& w, int depth);

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
  // A label as views, for sorting and merging without copying strings.
  struct LabelView {
    std::string_view name, value;
    // The point attribute the label came from; -1 when from the resource.
    int attribute = -1;
  };

  // Decodes `metric`, filling `sample` and calling out.emit_sample() for each
  // sample, out.reject() for each refused point or a refused metric.
  void decode(od::value& metric, ResourceContext& resource, OtlpReader& reader, MetricSample& sample,
              SampleSink& out);

 private:
  struct Side {
    std::int64_t offset = 0;
    std::vector<std::uint64_t> counts;
  };
  struct Point {
    std::vector<AttributeView> attributes;
    std::string text;  // the attributes' values that are not strings
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

  void decode_data(od::value& data, Kind kind, ResourceContext& resource, OtlpReader& reader,
                   MetricSample& sample, SampleSink& out);
  void decode_points(od::value& points, Kind kind, ResourceContext& resource, OtlpReader& reader,
                     MetricSample& sample, SampleSink& out);
  Status read_point(od::value& v, Kind kind, OtlpReader& reader);
  Status read_side(od::value& v, std::string_view field, Side& side, OtlpReader& reader);
  Status read_quantiles(od::value& v, OtlpReader& reader);
  Status emit_point(Kind kind, ResourceContext& resource, MetricSample& sample, SampleSink& out);
  // An attribute key and its sanitised label name, kept per attribute
  // position: points of one metric name their attributes alike, so the
  // name is sanitised once, not per point.
  struct LabelName {
    std::string key, name;
  };

  // Builds the point's labels (labels_, sorted by name), leaving out
  // `reserved` (the label the metric's own series use).
  void build_labels(ResourceContext& resource, std::string_view reserved);
  // Readies resource_labels_: the resource's labels sorted by name, one per
  // name (the later attribute wins), once per resource.
  void prepare_resource_labels(ResourceContext& resource);
  // Returns the label name of the point's attribute `index` (a view of the
  // key itself when it needs no change).
  std::string_view label_name(std::size_t index, std::string_view key);
  void emit(std::string_view suffix, std::string_view extra_name, std::string_view extra_value, double value,
            MetricSample& sample, SampleSink& out);

  std::string metric_name_;  // sanitised, with _total when that applies
  std::string le_;
  Point point_;
  std::vector<LabelName> label_names_;
  std::vector<LabelView> resource_labels_, point_labels_;
  std::vector<LabelView> labels_;  // the point's labels, sorted

  // Points of one resource mostly carry the same attribute keys: labels_
  // then has the same names in the same order, and only the values that
  // came from the point change. `layout_keys_` are the keys labels_ was
  // built from (valid while the resource is; views into its request), and
  // the layout holds while the next point has the same keys (and no empty
  // value, which would drop a label).
  std::vector<std::string_view> layout_keys_;
  std::string_view layout_reserved_;
  bool layout_valid_ = false;
  std::uint64_t layout_id_ = 0;  // changes whenever labels_'s names may
  // What the sample's labels hold: the names of layout `emitted_layout_`,
  // with `emitted_extra_` at `emitted_extra_at_` (emit skips comparing
  // names that cannot have changed).
  const MetricSample* emitted_sample_ = nullptr;
  std::uint64_t emitted_layout_ = 0;
  std::string_view emitted_extra_;
  std::size_t emitted_extra_at_ = 0;
};

// Protobuf JSON numbers (fields relative, copied only on error):
// a double as a number, a numeric string, or "NaN", "Infinity", "-Infinity".
Result<double> read_proto_double_slow(od::value& v, std::string_view field);
inline Result<double> read_proto_double(od::value& v, std::string_view field) {
  double d = 0;
  // The common case inline: a plain JSON number (not consumed on failure).
  if (v.get_double().get(d) == simdjson::SUCCESS) return d;
  return read_proto_double_slow(v, field);
}
// A bool; a misspelt literal ("tru") is named as such.
Result<bool> read_proto_bool(od::value& v, std::string_view field);
// A uint64 as a number or a decimal string.
Result<std::uint64_t> read_uint64(od::value& v, std::string_view field);

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
