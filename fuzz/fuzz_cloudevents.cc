// Fuzzes the CloudEvents decoder in structured mode and, splitting the input
// at its first blank line into headers and body, in binary mode.
#include <cstdint>
#include <string_view>

#include "codec/cloudevents.h"
#include "fuzz_handler.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace eventlens;
  static codec::CloudEventsDecoder decoder;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  fuzz::CheckingHandler handler;
  decoder.decode(input, handler);

  const std::size_t split = input.find("\n\n");
  const std::string_view head = input.substr(0, split);
  const std::string_view body = split == std::string_view::npos ? std::string_view() : input.substr(split + 2);
  codec::Headers headers;
  std::size_t pos = 0;
  while (pos < head.size()) {
    std::size_t end = head.find('\n', pos);
    if (end == std::string_view::npos) end = head.size();
    const std::string_view line = head.substr(pos, end - pos);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      headers.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
    }
    pos = end + 1;
  }
  auto event = decoder.decode_binary(headers, body);
  if (!event.ok() && event.error().reason.empty()) __builtin_trap();
  return 0;
}
