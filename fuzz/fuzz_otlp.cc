// Fuzzes the OTLP JSON decoders: the same bytes go through the logs, metrics
// and traces decoders.
#include <cstdint>
#include <string_view>

#include "codec/otlp_json.h"
#include "fuzz_handler.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace eventlens;
  static codec::OtlpJsonDecoder logs(codec::OtlpSignal::logs);
  static codec::OtlpJsonDecoder metrics(codec::OtlpSignal::metrics);
  static codec::OtlpJsonDecoder traces(codec::OtlpSignal::traces);
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (codec::OtlpJsonDecoder* d : {&logs, &metrics, &traces}) {
    fuzz::CheckingHandler handler;
    d->decode(input, handler);
  }
  return 0;
}
