// Kubernetes Event codec: core/v1 and events.k8s.io/v1 (and v1beta1) Event
// objects as JSON (an object, a List, watch-stream lines) or YAML (one
// document or a multi-document stream). Objects of other kinds are skipped and
// counted. Reasons map onto the taxonomy by the table in docs/k8s-reasons.md.
// One decoder per thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "codec/decoder.h"

namespace eventlens::codec {

class K8sEventDecoder final : public Decoder {
 public:
  explicit K8sEventDecoder(DecodeOptions options = {});
  ~K8sEventDecoder() override;

  // Decodes a JSON or YAML payload (told apart by its first non-blank byte).
  void decode(std::string_view payload, RecordHandler& out) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Appends the event as one events.k8s.io/v1 watch line
// ({"type":"ADDED","object":{...}}), no trailing newline. The eventlens fields
// that the Kubernetes schema lacks travel as `eventlens.io/...` annotations,
// which the decoder prefers, so that decoding the line gives `e` back.
void encode_k8s_watch_line(const Event& e, std::string& out);

// How one Kubernetes reason maps onto the taxonomy (docs/k8s-reasons.md).
struct K8sReasonMapping {
  std::string type;                    // from the table, or the reason in snake_case
  Category category = Category::other; // category_of_type(type), other when unknown
  Severity severity = Severity::info;  // Warning -> warning, Normal -> info, raised per reason
  bool known = false;                  // the reason is in the table
};

// Returns the mapping of `reason`; `message` decides the reasons that cover
// several kinds of event (ScalingReplicaSet, SuccessfulRescale, Killing,
// BackOff, Failed); `k8s_type` is the Event's type ("Normal", "Warning").
K8sReasonMapping map_k8s_reason(std::string_view reason, std::string_view message,
                                std::string_view k8s_type);

// Returns the service a Kubernetes object belongs to by the naming heuristic
// of docs/k8s-reasons.md ("Pod", "px-5d567cc74c-ss4lb" -> "px"); empty for
// kinds that belong to no service.
std::string infer_k8s_service(std::string_view kind, std::string_view name);

}  // namespace eventlens::codec
