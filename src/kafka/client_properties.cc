#include "kafka/client_properties.h"

namespace eventlens::kafka {

ClientProperties client_properties_from(const std::map<std::string, std::string>& config) {
  constexpr std::string_view kPrefix = "kafka.";
  ClientProperties out;
  for (const auto& [key, value] : config) {
    if (key.size() > kPrefix.size() && std::string_view(key).substr(0, kPrefix.size()) == kPrefix) {
      out.emplace_back(key.substr(kPrefix.size()), value);
    }
  }
  return out;
}

}  // namespace eventlens::kafka
