// The parts of a Kafka message that eventlens' producer and consumer share:
// headers and partition offsets. Plain values; no threading concerns.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace eventlens::kafka {

// Message headers as (name, value) pairs in wire order. Kafka allows a name to
// repeat, and so does this. The same shape as codec::Headers, so CloudEvents
// binary-mode headers pass straight through.
using Headers = std::vector<std::pair<std::string, std::string>>;

// A position in one partition. In a commit, `offset` is the next offset to
// read (the last processed message's offset + 1), as Kafka defines it.
struct PartitionOffset {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;

  friend bool operator==(const PartitionOffset&, const PartitionOffset&) = default;
};

// One partition of one topic.
struct TopicPartition {
  std::string topic;
  std::int32_t partition = 0;
  friend bool operator==(const TopicPartition&, const TopicPartition&) = default;
  friend auto operator<=>(const TopicPartition&, const TopicPartition&) = default;
};

// The offset a committed-offset query gives for a partition with no commit.
inline constexpr std::int64_t kNoOffset = -1;
// An offset to start reading at: the partition's first still kept (librdkafka's
// RD_KAFKA_OFFSET_BEGINNING).
inline constexpr std::int64_t kBeginning = -2;

}  // namespace eventlens::kafka
