// TEMPORARY STUB: replaced by the real Prometheus text decoder.
#include "codec/prometheus_text.h"
namespace eventlens::codec {
PrometheusTextDecoder::PrometheusTextDecoder(DecodeOptions options) : options_(std::move(options)) {}
void PrometheusTextDecoder::decode(std::string_view, RecordHandler& out) { out.on_reject(make_error("", "prometheus: not implemented"), 0); }
void encode_prometheus_text(std::span<const MetricSample>, std::string&) {}
}  // namespace eventlens::codec
