// KafkaConsumer: reads messages of subscribed topics as a member of a consumer
// group, in batches, and commits offsets only when told that the results of
// the messages behind them are durable. One thread uses a consumer.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kafka/client_properties.h"
#include "kafka/group_metadata.h"
#include "kafka/message.h"
#include "model/result.h"
#include "model/time.h"

namespace eventlens::source {

// One consumed message. Its strings are storage that the next poll reuses.
struct ConsumedMessage {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;  // empty when the message has none
  std::string value;
  kafka::Headers headers;  // a header without a value reads as empty
  TimeNs timestamp = 0;    // producer's create time or the log append time; 0 when absent
};

// The messages of one poll, in the order received (offset order within each
// partition). Keeps its messages' storage from poll to poll, so the keys and
// values of a steady stream are copied without allocating after the first
// batches. (librdkafka's C++ API itself allocates a wrapper per message, a
// copy of its headers, and a std::string for a topic name over 15 bytes.)
class MessageBatch {
 public:
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const ConsumedMessage& operator[](std::size_t i) const { return messages_[i]; }
  const ConsumedMessage* begin() const { return messages_.data(); }
  const ConsumedMessage* end() const { return messages_.data() + size_; }

  // Merges into `offsets` the offset after the last message of each
  // topic-partition in this batch (what a commit of the batch takes),
  // keeping the larger offset where `offsets` already names the partition.
  void merge_next_offsets(std::vector<kafka::PartitionOffset>& offsets) const;

  // The partitions this poll read to their end (only with the librdkafka
  // property enable.partition.eof=true), each with the offset of that end:
  // a message of the partition at or past it in the same batch came after.
  const std::vector<kafka::PartitionOffset>& reached_end() const { return ends_; }

 private:
  friend class KafkaConsumer;
  ConsumedMessage& append();
  void clear() {
    size_ = 0;
    ends_.clear();
  }

  std::vector<ConsumedMessage> messages_;
  std::vector<kafka::PartitionOffset> ends_;
  std::size_t size_ = 0;
};

// Which partitions a reader has read to their end, batch after batch (with
// enable.partition.eof=true): a partition is at its end when the latest end
// it reached lies past its latest message. What `eventlens consume
// --until-end`, the benchmarks and the tests stop on.
class PartitionsAtEnd {
 public:
  void see(const MessageBatch& batch);
  // How many partitions are at their end now.
  std::size_t count() const;

 private:
  struct Position {
    std::int64_t next = 0;  // after the latest message
    bool at_end = false;
  };
  std::map<kafka::TopicPartition, Position> partitions_;
};

struct KafkaConsumerOptions {
  // librdkafka properties laid over kafka::consumer_defaults(); typically
  // kafka::client_properties_from(config) plus bootstrap.servers.
  kafka::ClientProperties properties;
  // The consumer group; overrides a group.id among the properties.
  std::string group_id;
  // Called on poll()'s thread while the group rebalances, before the change
  // takes effect: the partitions this member now owns, and those it gives up
  // (with the eager assignors eventlens uses, every partition it held). A
  // member that must finish work on a partition before another takes it over
  // (commit a transaction) does it in on_revoked. Either may be empty. The
  // messages a poll() took before a revocation are not handed out: the
  // partitions' next owner reads them again from the committed offsets.
  // on_assigned returns where to start reading some of the partitions (a
  // member that keeps its own position with its state); the others start at
  // the group's committed offsets.
  std::function<std::vector<kafka::PartitionOffset>(const std::vector<kafka::TopicPartition>&)> on_assigned;
  std::function<void(const std::vector<kafka::TopicPartition>&)> on_revoked;
};

struct ConsumerCounts {
  std::uint64_t messages = 0;  // handed out by poll()
  std::uint64_t errors = 0;    // errors librdkafka reported and recovers from by itself
  std::uint64_t commits = 0;   // successful commit() calls
};

class KafkaConsumer {
 public:
  // Returns a consumer, or an Error naming the refused property. Offsets are
  // never committed automatically: enable.auto.commit=true is refused.
  static Result<KafkaConsumer> create(const KafkaConsumerOptions& options);

  KafkaConsumer(KafkaConsumer&&) noexcept;
  KafkaConsumer& operator=(KafkaConsumer&&) noexcept;
  // Closes the consumer (leaves the group); commits nothing.
  ~KafkaConsumer();

  // Replaces the subscription. Partitions are assigned by the group later,
  // during poll().
  Status subscribe(const std::vector<std::string>& topics);

  // Reads exactly these partitions from these offsets (kafka::kBeginning for
  // the first still kept), outside any group's assignment: for a reader that
  // never subscribes (what restores a task's state) and commits nothing.
  Status assign(const std::vector<kafka::PartitionOffset>& from);

  // Fills `batch` with up to `max_messages` messages: waits up to `timeout`
  // for the first, then takes only what has already arrived. Returns how many
  // (0 when none came in time). Returns an Error for what the caller must act
  // on: a fatal client error, a subscribed topic that does not exist or may
  // not be read, or offsets reset because the committed ones are gone. The
  // consumer stays usable after a non-fatal Error; messages received before
  // it are returned first and the Error comes with the next poll.
  Result<std::size_t> poll(MessageBatch& batch, std::size_t max_messages,
                           std::chrono::milliseconds timeout);

  // Commits `offsets` (next offsets to read) for the group, synchronously.
  // Call it only once the results of the messages before them are durable.
  Status commit(std::span<const kafka::PartitionOffset> offsets);

  // Returns the group's committed offsets for the partitions assigned to this
  // consumer now; kafka::kNoOffset where none was committed.
  Result<std::vector<kafka::PartitionOffset>> committed(std::chrono::milliseconds timeout);
  // The same for any partitions of the group's topics (inside on_assigned,
  // before the assignment takes effect).
  Result<std::vector<kafka::PartitionOffset>> committed(const std::vector<kafka::TopicPartition>& partitions,
                                                        std::chrono::milliseconds timeout);

  // Stops fetching from `partitions` (poll() hands out what was already
  // fetched) until resume(): backpressure for a reader that falls behind.
  // A rebalance resumes every partition it assigns.
  Status pause(const std::vector<kafka::TopicPartition>& partitions);
  Status resume(const std::vector<kafka::TopicPartition>& partitions);

  // Returns the partitions assigned to this member now, ordered.
  Result<std::vector<kafka::TopicPartition>> assignment();

  // Returns the first and the next-to-be-written offset of a partition (its
  // low and high watermarks) as the broker knows them now.
  Result<std::pair<std::int64_t, std::int64_t>> watermarks(const kafka::TopicPartition& partition,
                                                          std::chrono::milliseconds timeout);

  // The same as librdkafka last heard from the broker (no request; -1 when
  // it has heard nothing yet): for lag, as often as wanted.
  std::pair<std::int64_t, std::int64_t> cached_watermarks(const kafka::TopicPartition& partition);

  // Returns what a transactional producer needs to commit this member's
  // offsets in its transactions (KafkaProducer::send_offsets_to_transaction).
  Result<kafka::GroupMetadata> group_metadata();

  // Leaves the group; later calls fail. Idempotent.
  Status close();

  ConsumerCounts counts() const;
  // Returns the latest error counted in counts().errors, if any.
  std::optional<Error> last_error() const;

 private:
  struct Impl;
  explicit KafkaConsumer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace eventlens::source
