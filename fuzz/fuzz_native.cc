// Fuzzes the native JSON-lines decoder, and checks that whatever it accepts
// encodes and decodes again to the same record.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "codec/native_json.h"
#include "fuzz_handler.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace eventlens;
  static codec::NativeJsonDecoder decoder;
  fuzz::CheckingHandler first;
  decoder.decode(std::string_view(reinterpret_cast<const char*>(data), size), first);
  std::string encoded;
  for (const Record& r : first.records) {
    codec::encode_native(r, encoded);
    encoded += '\n';
  }
  fuzz::CheckingHandler second;
  decoder.decode(encoded, second);
  if (second.rejected != 0 || second.records.size() != first.records.size()) std::abort();
  for (std::size_t i = 0; i < first.records.size(); ++i) {
    if (!(first.records[i] == second.records[i])) {
      // NaN attribute values are the one documented lossy case (written as
      // the string "NaN"); anything else is a bug.
      const auto* e = std::get_if<Event>(&first.records[i]);
      bool has_nan = false;
      if (e != nullptr) {
        for (const auto& kv : e->attributes) {
          if (const double* d = std::get_if<double>(&kv.second); d != nullptr && *d != *d) has_nan = true;
        }
      }
      if (!has_nan) std::abort();
    }
  }
  return 0;
}
