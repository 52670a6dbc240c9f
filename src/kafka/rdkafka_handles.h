// The librdkafka objects behind eventlens' opaque Kafka types. Internal to
// src/kafka, src/sink and src/source.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <memory>

#include "kafka/group_metadata.h"

namespace eventlens::kafka {

struct GroupMetadata::Native {
  std::unique_ptr<RdKafka::ConsumerGroupMetadata> metadata;
};

}  // namespace eventlens::kafka
