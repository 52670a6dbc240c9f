// Prometheus text exposition format 0.0.4 (and the OpenMetrics text that
// shares its syntax): one MetricSample per sample line; HELP/TYPE/EOF comments
// read, exemplars dropped. One decoder per thread.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "codec/decoder.h"

namespace eventlens::codec {

class PrometheusTextDecoder final : public Decoder {
 public:
  explicit PrometheusTextDecoder(DecodeOptions options = {});
  ~PrometheusTextDecoder() override;

  // Decodes a whole exposition; samples without a timestamp get
  // options.default_time (the scrape time). The rules are in
  // docs/codecs/prometheus.md.
  void decode(std::string_view payload, RecordHandler& out) override;

 private:
  // The families' TYPEs and the reused sample and scratch buffers.
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Appends the samples as text exposition lines with millisecond timestamps,
// in the order given, without HELP or TYPE lines. Names that are not valid
// Prometheus names have each offending character replaced by '_'.
void encode_prometheus_text(std::span<const MetricSample> samples, std::string& out);

}  // namespace eventlens::codec
