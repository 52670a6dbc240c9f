// KafkaProducer: writes records to Kafka topics through librdkafka, counting
// what the broker acknowledged and what failed. One thread calls produce, poll
// and flush; counts() and last_error() may be read from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "kafka/client_properties.h"
#include "kafka/group_metadata.h"
#include "kafka/message.h"
#include "model/result.h"

namespace eventlens::sink {

struct KafkaProducerOptions {
  // librdkafka properties laid over kafka::producer_defaults(); typically
  // kafka::client_properties_from(config) plus bootstrap.servers.
  kafka::ClientProperties properties;
  // How long produce() keeps polling for room when librdkafka's queue is full
  // (queue.buffering.max.messages/kbytes) before it gives up with an Error.
  std::chrono::milliseconds queue_full_timeout{30'000};
  // How long the destructor waits for messages still in flight.
  std::chrono::milliseconds close_timeout{30'000};
};

// How a transaction call failed, as librdkafka classifies it: what the
// caller does next depends on it.
struct TransactionError {
  enum class Kind {
    retriable,  // call it again
    abortable,  // abort_transaction(), then begin again: the transaction's output is void
    fatal,      // the producer is unusable (fenced by a newer instance with its
                // transactional id, or the broker lost its state): make a new one
  };
  Kind kind = Kind::fatal;
  Error error;
};
// Ok, or how it failed.
using TransactionStatus = std::optional<TransactionError>;

struct DeliveryCounts {
  std::uint64_t produced = 0;   // accepted by produce()
  std::uint64_t delivered = 0;  // acknowledged by the broker (acks=all by default)
  std::uint64_t failed = 0;     // given up on by librdkafka; see last_error()
};

class KafkaProducer {
 public:
  // Returns a producer, or an Error naming the `kafka.`-prefixed property that
  // librdkafka refused. Connecting is lazy: a wrong address shows up as
  // failed deliveries, not here.
  static Result<KafkaProducer> create(const KafkaProducerOptions& options);

  KafkaProducer(KafkaProducer&&) noexcept;
  KafkaProducer& operator=(KafkaProducer&&) noexcept;
  // Flushes for up to close_timeout; what is still undelivered then is lost
  // and reported on stderr (and in counts() until then).
  ~KafkaProducer();

  // Queues one message; the topic's partitioner places it by `key` (an empty
  // key sends none, and the message goes to a random partition). Key, value
  // and headers are copied. Returns an Error when the message cannot be
  // queued: too large, unknown topic, or the queue stayed full for
  // queue_full_timeout while delivery reports were served.
  Status produce(std::string_view topic, std::string_view key, std::string_view value,
                 const kafka::Headers& headers = {});
  // Queues one message for one partition, whatever its key; a value of
  // nullopt is a tombstone (a compacted topic forgets the key).
  Status produce_to(std::string_view topic, std::int32_t partition, std::string_view key,
                    std::optional<std::string_view> value);

  // Serves delivery reports, waiting up to `timeout` for one; returns how
  // many events were served.
  int poll(std::chrono::milliseconds timeout = std::chrono::milliseconds{0});

  // Waits until every queued message is delivered or failed. Returns an
  // Error when messages are still in flight after `timeout`, or when any
  // delivery failed since the previous flush: Ok means everything produced
  // so far is durable on the broker.
  Status flush(std::chrono::milliseconds timeout);

  // Transactions (options.properties must set transactional.id): every
  // message produced between begin and commit, and the consumer offsets sent
  // with it, become visible to read_committed consumers together or not at
  // all. init_transactions() once, first: it fences off an older producer
  // with the same transactional id and aborts what it left open.
  TransactionStatus init_transactions(std::chrono::milliseconds timeout);
  TransactionStatus begin_transaction();
  // Commits `offsets` (next offsets to read) for the group `group` names,
  // as part of the transaction.
  TransactionStatus send_offsets_to_transaction(std::span<const kafka::PartitionOffset> offsets,
                                                const kafka::GroupMetadata& group,
                                                std::chrono::milliseconds timeout);
  // Flushes what was produced and commits it.
  TransactionStatus commit_transaction(std::chrono::milliseconds timeout);
  TransactionStatus abort_transaction(std::chrono::milliseconds timeout);

  DeliveryCounts counts() const;
  // Returns the latest delivery failure, if any.
  std::optional<Error> last_error() const;
  // Returns how many messages are queued or in flight.
  int in_flight() const;

 private:
  struct Impl;
  explicit KafkaProducer(std::unique_ptr<Impl> impl);
  Status produce_message(std::string_view topic, std::int32_t partition, std::string_view key,
                         std::optional<std::string_view> value, const kafka::Headers& headers);
  std::unique_ptr<Impl> impl_;
};

}  // namespace eventlens::sink
