// Builds librdkafka configuration objects from ClientProperties; shared by the
// producer and the consumer. Internal to src/kafka, src/sink and src/source.
// Pure functions; callable from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "kafka/client_properties.h"
#include "model/result.h"

namespace RdKafka {
class Conf;
}

namespace eventlens::kafka {

// Returns a global librdkafka configuration with every property set in
// order, or an Error whose field is the property with the `kafka.` prefix
// eventlens' configuration gives it ("kafka.linger.ms") and whose reason is
// librdkafka's.
Result<std::unique_ptr<RdKafka::Conf>> make_rdkafka_conf(const ClientProperties& properties);

// Returns librdkafka's text for an error code ("Broker: Unknown topic or partition").
std::string rdkafka_error_text(int code);

}  // namespace eventlens::kafka
