// Fuzzes the prometheus decoder: any bytes, never a crash, every rejection explained.
#include <cstdint>
#include <string_view>

#include "codec/prometheus_text.h"
#include "fuzz_handler.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace eventlens;
  static codec::PrometheusTextDecoder decoder;
  fuzz::CheckingHandler handler;
  decoder.decode(std::string_view(reinterpret_cast<const char*>(data), size), handler);
  return 0;
}
