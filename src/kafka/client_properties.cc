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

ClientProperties merge_properties(ClientProperties base, const ClientProperties& overrides) {
  for (const auto& [name, value] : overrides) {
    bool replaced = false;
    for (auto& [base_name, base_value] : base) {
      if (base_name == name) {
        base_value = value;
        replaced = true;
      }
    }
    if (!replaced) base.emplace_back(name, value);
  }
  return base;
}

const std::string* find_property(const ClientProperties& properties, std::string_view name) {
  const std::string* found = nullptr;
  for (const auto& [n, value] : properties) {
    if (n == name) found = &value;
  }
  return found;
}

// The reasons for each value are in docs/kafka.md; keep the two in step.
ClientProperties producer_defaults() {
  return {
      {"client.id", "eventlens"},
      {"acks", "all"},
      {"enable.idempotence", "true"},
      {"linger.ms", "5"},
      {"compression.type", "lz4"},
      {"partitioner", "murmur2_random"},
      {"message.timeout.ms", "120000"},
  };
}

ClientProperties consumer_defaults() {
  return {
      {"client.id", "eventlens"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      {"isolation.level", "read_committed"},
      {"partition.assignment.strategy", "range"},
      {"fetch.wait.max.ms", "100"},
      {"session.timeout.ms", "10000"},
  };
}

}  // namespace eventlens::kafka
