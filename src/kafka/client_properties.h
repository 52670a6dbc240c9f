// Kafka client properties: every `kafka.*` key of eventlens' configuration
// passes through to librdkafka with the prefix removed, over eventlens' own
// defaults for producers and consumers (docs/kafka.md). Pure functions.
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

// Returns `base` with `overrides` laid over it: a name in both keeps its place
// in `base` and takes the value from `overrides`; new names are appended.
ClientProperties merge_properties(ClientProperties base, const ClientProperties& overrides);

// Returns the value of `name` (the last one when it repeats), or nullptr.
const std::string* find_property(const ClientProperties& properties, std::string_view name);

// Returns the settings every eventlens producer starts from: no lost or
// duplicated record on retry (acks=all, idempotence), batches filled for a few
// milliseconds and compressed with lz4, keys hashed as the Java client does.
ClientProperties producer_defaults();

// Returns the settings every eventlens consumer starts from: offsets are
// committed only by eventlens, after the results are durable; reading starts
// at the earliest offset of a new group; transactions are read committed.
ClientProperties consumer_defaults();

}  // namespace eventlens::kafka
