// The native eventlens JSON-lines codec: one Event, MetricSample, LogRecord or
// Span per line, in the shape DESIGN.md "Records" gives. Strict: an unknown
// field is refused (put extra data in `attributes`). One decoder per thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "codec/decoder.h"

namespace eventlens::codec {

// Which record a native line holds. `automatic` tells them apart by their
// fields: "start"/"end"/"parent_span_id" make a span, "value" or "name" a
// metric sample, "body" a log record, anything else an event.
enum class NativeKind { automatic, event, metric, log, span };

class NativeJsonDecoder final : public Decoder {
 public:
  explicit NativeJsonDecoder(DecodeOptions options = {}, NativeKind kind = NativeKind::automatic);
  ~NativeJsonDecoder() override;

  // Decodes every non-blank line of `payload`.
  void decode(std::string_view payload, RecordHandler& out) override;

  // Decodes one JSON object into `out`. `capacity` is how many bytes from
  // json.data() may be read (at least json.size()); when it leaves room for
  // simdjson's padding the line is parsed in place, without a copy.
  Status decode_one(std::string_view json, std::size_t capacity, Record& out);

  // The allocation-lean path for a stream of events: decodes into `out`,
  // reusing its string capacity.
  Status decode_event(std::string_view json, std::size_t capacity, Event& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Append one record as a single-line JSON object (no trailing newline).
void encode_native(const Event& e, std::string& out);
void encode_native(const MetricSample& m, std::string& out);
void encode_native(const LogRecord& l, std::string& out);
void encode_native(const Span& s, std::string& out);
void encode_native(const Record& r, std::string& out);

}  // namespace eventlens::codec
