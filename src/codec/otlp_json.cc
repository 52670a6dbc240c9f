// TEMPORARY STUB: replaced by the real OTLP decoder.
#include "codec/otlp_json.h"
namespace eventlens::codec {
struct OtlpJsonDecoder::Impl {};
OtlpJsonDecoder::OtlpJsonDecoder(OtlpSignal, DecodeOptions) : impl_(std::make_unique<Impl>()) {}
OtlpJsonDecoder::~OtlpJsonDecoder() = default;
void OtlpJsonDecoder::decode(std::string_view, RecordHandler& out) { out.on_reject(make_error("", "otlp: not implemented"), 0); }
void encode_otlp_logs(std::span<const LogRecord>, std::string&) {}
void encode_otlp_traces(std::span<const Span>, std::string&) {}
void encode_otlp_metrics(std::span<const MetricSample>, std::string&) {}
}  // namespace eventlens::codec
