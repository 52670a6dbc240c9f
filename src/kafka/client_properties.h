// Kafka client properties: every `kafka.*` key of eventlens' configuration
// passes through to librdkafka with the prefix removed. Pure functions.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eventlens::kafka {

// librdkafka property name -> value, in the order given.
using ClientProperties = std::vector<std::pair<std::string, std::string>>;

// Returns the librdkafka properties named by the `kafka.`-prefixed keys of
// `config` ("kafka.linger.ms" -> "linger.ms"); other keys are ignored.
ClientProperties client_properties_from(const std::map<std::string, std::string>& config);

}  // namespace eventlens::kafka
