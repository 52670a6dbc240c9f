// `eventlens serve`: the engine live. With --kafka, the Kafka mode
// (pipeline/kafka_serve.h); the embedded mode (HTTP ingest, store, API) is
// not built yet.
#pragma once

#include <string>
#include <vector>

#include "pipeline/kafka_serve.h"

namespace eventlens::cli {

struct ServeCommandOptions {
  pipeline::KafkaServeSpec kafka;
  std::string state;  // where this instance keeps what it must remember across restarts
  std::vector<std::string> kafka_properties;  // librdkafka KEY=VALUE, for both clients
  bool quiet = false;
};

int run_serve(ServeCommandOptions options);

}  // namespace eventlens::cli
