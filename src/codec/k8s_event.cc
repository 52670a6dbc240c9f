// TEMPORARY STUB: replaced by the real Kubernetes decoder.
#include "codec/k8s_event.h"
namespace eventlens::codec {
struct K8sEventDecoder::Impl {};
K8sEventDecoder::K8sEventDecoder(DecodeOptions) : impl_(std::make_unique<Impl>()) {}
K8sEventDecoder::~K8sEventDecoder() = default;
void K8sEventDecoder::decode(std::string_view, RecordHandler& out) { out.on_reject(make_error("", "k8s: not implemented"), 0); }
void encode_k8s_watch_line(const Event&, std::string&) {}
}  // namespace eventlens::codec
