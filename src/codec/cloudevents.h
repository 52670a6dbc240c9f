// CloudEvents 1.0 codec: structured-mode JSON (one event or a batch array) and
// binary mode (attributes in `ce-*` HTTP headers or `ce_*` Kafka headers, data
// in the body). Extension attributes map onto Event fields; see
// docs/formats.md. One decoder per thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codec/decoder.h"

namespace eventlens::codec {

using Headers = std::vector<std::pair<std::string, std::string>>;

class CloudEventsDecoder final : public Decoder {
 public:
  explicit CloudEventsDecoder(DecodeOptions options = {});
  ~CloudEventsDecoder() override;

  // Decodes a structured-mode payload: one JSON object, a JSON array (batch
  // mode) or JSON lines of objects.
  void decode(std::string_view payload, RecordHandler& out) override;

  // Decodes a binary-mode message: `headers` as received (HTTP `ce-id` or
  // Kafka `ce_id`, names case-insensitive; `content-type` gives
  // datacontenttype), `body` the event data.
  Result<Event> decode_binary(const Headers& headers, std::string_view body);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Appends the event as a structured-mode CloudEvent JSON object.
void encode_cloudevent(const Event& e, std::string& out);

// Returns the binary-mode headers of the event (prefix "ce-" for HTTP, "ce_"
// for Kafka) and sets `body` to its data.
Headers encode_cloudevent_binary(const Event& e, std::string_view prefix, std::string& body);

}  // namespace eventlens::codec
