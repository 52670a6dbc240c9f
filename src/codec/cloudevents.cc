// TEMPORARY STUB: replaced by the real CloudEvents decoder.
#include "codec/cloudevents.h"
namespace eventlens::codec {
struct CloudEventsDecoder::Impl {};
CloudEventsDecoder::CloudEventsDecoder(DecodeOptions) : impl_(std::make_unique<Impl>()) {}
CloudEventsDecoder::~CloudEventsDecoder() = default;
void CloudEventsDecoder::decode(std::string_view, RecordHandler& out) { out.on_reject(make_error("", "cloudevents: not implemented"), 0); }
Result<Event> CloudEventsDecoder::decode_binary(const Headers&, std::string_view) { return make_error("", "not implemented"); }
void encode_cloudevent(const Event&, std::string&) {}
Headers encode_cloudevent_binary(const Event&, std::string_view, std::string&) { return {}; }
}  // namespace eventlens::codec
