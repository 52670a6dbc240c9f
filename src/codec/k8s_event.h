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
// ({"type":"ADDED","object":{...}}), no trailing newline.
void encode_k8s_watch_line(const Event& e, std::string& out);

}  // namespace eventlens::codec
