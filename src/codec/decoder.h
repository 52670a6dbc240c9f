// Decoder: turns the bytes of one payload (a file, an HTTP body, a Kafka
// message value) in one wire format into records, and refuses bad records one
// by one with an Error naming the field. One Decoder per thread: it owns a
// reusable parser and scratch buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/records.h"
#include "model/result.h"

namespace eventlens::codec {

enum class Format {
  native,        // eventlens JSON lines (DESIGN.md "Records")
  cloudevents,   // CloudEvents 1.0 structured JSON, single or batch
  k8s,           // Kubernetes Event objects: JSON object, List, watch lines, YAML
  otlp_logs,     // OTLP/HTTP JSON ExportLogsServiceRequest
  otlp_metrics,  // OTLP/HTTP JSON ExportMetricsServiceRequest
  otlp_traces,   // OTLP/HTTP JSON ExportTraceServiceRequest
  prometheus,    // Prometheus text exposition 0.0.4 (and OpenMetrics text)
};

// Returns the format a command-line name means ("native", "otlp-logs", ...).
Result<Format> parse_format(std::string_view name);
std::string_view to_string(Format f);

// Returns the format a payload is most likely in, from its first bytes and,
// when given, its file name; an Error when nothing fits.
Result<Format> detect_format(std::string_view payload, std::string_view file_name = {});

struct DecodeOptions {
  // Time given to records that carry none: Prometheus samples without a
  // timestamp (the scrape time) and CloudEvents without `time` (arrival time).
  TimeNs default_time = 0;
  // A single record (a JSON line, a Kubernetes object, one CloudEvent) longer
  // than this is refused without being parsed.
  std::size_t max_record_bytes = std::size_t{1} << 20;
  // A whole payload (an OTLP request, a List, a YAML stream) longer than this
  // is refused.
  std::size_t max_payload_bytes = std::size_t{64} << 20;
  // OTLP resource attributes that name the service, first match wins.
  std::vector<std::string> service_attributes = {"service.name"};
};

// Receives what a decoder produces. `position` is where the record starts in
// the payload, 1-based: the line for line-oriented formats (native JSON lines,
// watch lines, Prometheus text), 0 when the format has no lines.
//
// A decoder lends each record: it is valid during the call only, and the
// decoder reuses its storage for the next one (no heap allocation per record
// once buffers have grown). A handler that keeps records copies them.
class RecordHandler {
 public:
  virtual ~RecordHandler() = default;
  virtual void on_record(const Record& record, std::size_t position) = 0;
  virtual void on_reject(Error&& error, std::size_t position) = 0;
  // A well-formed object of a kind this format does not turn into records (a
  // Pod in a Kubernetes watch stream): counted, not an error.
  virtual void on_skip(std::string_view kind, std::size_t position) {
    (void)kind;
    (void)position;
  }
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Decodes every record of the payload; never throws, never stops early on
  // a bad record.
  virtual void decode(std::string_view payload, RecordHandler& out) = 0;
};

// Returns a decoder for `format`.
std::unique_ptr<Decoder> make_decoder(Format format, const DecodeOptions& options = {});

}  // namespace eventlens::codec
