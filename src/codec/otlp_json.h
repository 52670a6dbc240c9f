// OTLP/HTTP JSON codec for logs, metrics and traces (the protobuf JSON mapping:
// lowerCamelCase and snake_case keys, 64-bit integers as strings or numbers,
// hex trace and span ids). Metric points become samples with the Prometheus
// names of docs/codecs/otlp.md. One decoder per thread; encoders are pure.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "codec/decoder.h"

namespace eventlens::codec {

enum class OtlpSignal { logs, metrics, traces };

class OtlpJsonDecoder final : public Decoder {
 public:
  OtlpJsonDecoder(OtlpSignal signal, DecodeOptions options = {});
  ~OtlpJsonDecoder() override;

  // Decodes one Export*ServiceRequest JSON body (or JSON lines of them, as the
  // OpenTelemetry Collector's file exporter writes).
  void decode(std::string_view payload, RecordHandler& out) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Append one Export*ServiceRequest JSON body holding the records, grouped by
// service into resources (service.name).
void encode_otlp_logs(std::span<const LogRecord> logs, std::string& out);
void encode_otlp_traces(std::span<const Span> spans, std::string& out);
// Samples are written as gauge points.
void encode_otlp_metrics(std::span<const MetricSample> samples, std::string& out);

}  // namespace eventlens::codec
