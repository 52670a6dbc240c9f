#include "sink/kafka_producer.h"

#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "kafka/rdkafka_config.h"
#include "kafka/rdkafka_handles.h"

namespace eventlens::sink {

namespace {

using Clock = std::chrono::steady_clock;

// Delivery reports are served from poll() calls; serving them every few
// hundred messages keeps librdkafka's queue from filling up with reports
// without taking its queue lock on every produce.
constexpr std::uint64_t kPollEvery = 256;

int to_ms(std::chrono::milliseconds d) {
  if (d.count() < 0) return 0;
  if (d.count() > 0x7fffffff) return 0x7fffffff;
  return static_cast<int>(d.count());
}

// Takes ownership of what a librdkafka transaction call returned.
TransactionStatus transaction_status(RdKafka::Error* raw, std::string_view call) {
  std::unique_ptr<RdKafka::Error> e(raw);
  if (!e) return std::nullopt;
  TransactionError out;
  out.kind = e->is_fatal()             ? TransactionError::Kind::fatal
             : e->txn_requires_abort() ? TransactionError::Kind::abortable
             : e->is_retriable()       ? TransactionError::Kind::retriable
                                       : TransactionError::Kind::abortable;
  out.error = make_error("", std::string(call) + ": " + e->str());
  return out;
}

}  // namespace

struct KafkaProducer::Impl final : RdKafka::DeliveryReportCb {
  KafkaProducerOptions options;
  std::atomic<std::uint64_t> produced{0};
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> failed{0};
  std::uint64_t failed_at_last_flush = 0;
  std::uint64_t since_poll = 0;
  mutable std::mutex error_mutex;
  std::optional<Error> last_error;

  // Declared before the topic handles: members are destroyed in reverse, and
  // a topic handle must go before the client that made it.
  std::unique_ptr<RdKafka::Producer> producer;
  // Topic handles by name, so that produce() without headers passes no
  // std::string per message. A producer writes to a handful of topics.
  std::vector<std::pair<std::string, std::unique_ptr<RdKafka::Topic>>> topics;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // Here rather than in ~KafkaProducer so that a producer replaced by move
  // assignment flushes too.
  ~Impl() override {
    if (!producer) return;
    producer->flush(to_ms(options.close_timeout));
    if (const int left = producer->outq_len(); left > 0) {
      // No caller is left to hand an Error to; say it where an operator looks.
      std::fprintf(stderr,
                   "eventlens: Kafka producer closed with %d message(s) undelivered after %lld ms\n",
                   left, static_cast<long long>(options.close_timeout.count()));
    }
    topics.clear();
    producer.reset();
  }

  // Runs on the thread that calls poll() or flush().
  void dr_cb(RdKafka::Message& message) override {
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      delivered.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    failed.fetch_add(1, std::memory_order_relaxed);
    Error e = make_error(message.topic_name(), message.errstr());
    std::lock_guard lock(error_mutex);
    last_error = std::move(e);
  }

  Result<RdKafka::Topic*> topic_handle(std::string_view name) {
    for (auto& [n, handle] : topics) {
      if (n == name) return handle.get();
    }
    std::string why;
    std::unique_ptr<RdKafka::Topic> handle(
        RdKafka::Topic::create(producer.get(), std::string(name), nullptr, why));
    if (!handle) return make_error(std::string(name), "cannot open topic: " + why);
    RdKafka::Topic* raw = handle.get();
    topics.emplace_back(std::string(name), std::move(handle));
    return raw;
  }

  void maybe_poll() {
    if (++since_poll >= kPollEvery) {
      since_poll = 0;
      producer->poll(0);
    }
  }
};

Result<KafkaProducer> KafkaProducer::create(const KafkaProducerOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  auto conf = kafka::make_rdkafka_conf(
      kafka::merge_properties(kafka::producer_defaults(), options.properties));
  if (!conf) return conf.error();
  std::string why;
  if ((*conf)->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(impl.get()), why) !=
      RdKafka::Conf::CONF_OK) {
    return make_error("", "cannot install the delivery report callback: " + why);
  }
  impl->producer.reset(RdKafka::Producer::create(conf->get(), why));
  if (!impl->producer) return make_error("", "cannot create the Kafka producer: " + why);
  return KafkaProducer(std::move(impl));
}

KafkaProducer::KafkaProducer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KafkaProducer::KafkaProducer(KafkaProducer&&) noexcept = default;
KafkaProducer& KafkaProducer::operator=(KafkaProducer&&) noexcept = default;

KafkaProducer::~KafkaProducer() = default;

Status KafkaProducer::produce(std::string_view topic, std::string_view key, std::string_view value,
                              const kafka::Headers& headers) {
  return produce_message(topic, RdKafka::Topic::PARTITION_UA, key, value, headers);
}

Status KafkaProducer::produce_to(std::string_view topic, std::int32_t partition, std::string_view key,
                                 std::optional<std::string_view> value) {
  return produce_message(topic, partition, key, value, {});
}

Status KafkaProducer::produce_message(std::string_view topic, std::int32_t partition, std::string_view key,
                                      std::optional<std::string_view> value, const kafka::Headers& headers) {
  Impl& impl = *impl_;
  // librdkafka copies the payload (RK_MSG_COPY) and never writes to it; a
  // null payload is a tombstone.
  void* payload = value ? const_cast<char*>(value->data()) : nullptr;
  const std::size_t size = value ? value->size() : 0;
  const void* key_data = key.empty() ? nullptr : key.data();

  RdKafka::Topic* handle = nullptr;
  std::unique_ptr<RdKafka::Headers> wire_headers;
  std::string topic_name;
  if (headers.empty()) {
    auto h = impl.topic_handle(topic);
    if (!h) return h.error();
    handle = *h;
  } else {
    // Only the by-name overload carries headers.
    topic_name.assign(topic);
    wire_headers.reset(RdKafka::Headers::create());
    for (const auto& [name, header_value] : headers) {
      wire_headers->add(name, header_value.data(), header_value.size());
    }
  }

  const auto deadline = Clock::now() + impl.options.queue_full_timeout;
  for (;;) {
    RdKafka::ErrorCode err;
    if (handle != nullptr) {
      err = impl.producer->produce(handle, partition, RdKafka::Producer::RK_MSG_COPY, payload, size, key_data,
                                   key.size(), nullptr);
    } else {
      err = impl.producer->produce(topic_name, partition, RdKafka::Producer::RK_MSG_COPY, payload, size, key_data,
                                   key.size(), 0, wire_headers.get(), nullptr);
      // On success librdkafka owns and frees the headers.
      if (err == RdKafka::ERR_NO_ERROR) (void)wire_headers.release();
    }
    if (err == RdKafka::ERR_NO_ERROR) {
      impl.produced.fetch_add(1, std::memory_order_relaxed);
      impl.maybe_poll();
      return ok_status();
    }
    if (err != RdKafka::ERR__QUEUE_FULL) {
      return make_error(std::string(topic), "cannot queue a " + std::to_string(size) +
                                                "-byte message: " + RdKafka::err2str(err));
    }
    if (Clock::now() >= deadline) {
      return make_error(std::string(topic),
                        "the producer queue stayed full for " +
                            std::to_string(impl.options.queue_full_timeout.count()) +
                            " ms (is the broker reachable?)");
    }
    // Delivery reports free queue room; wait for some.
    impl.producer->poll(50);
  }
}

int KafkaProducer::poll(std::chrono::milliseconds timeout) {
  impl_->since_poll = 0;
  return impl_->producer->poll(to_ms(timeout));
}

Status KafkaProducer::flush(std::chrono::milliseconds timeout) {
  Impl& impl = *impl_;
  impl.since_poll = 0;
  const RdKafka::ErrorCode err = impl.producer->flush(to_ms(timeout));
  if (err == RdKafka::ERR__TIMED_OUT) {
    return make_error("", std::to_string(impl.producer->outq_len()) +
                              " message(s) still in flight after " +
                              std::to_string(timeout.count()) + " ms");
  }
  if (err != RdKafka::ERR_NO_ERROR) return make_error("", "flush: " + RdKafka::err2str(err));
  const std::uint64_t failed = impl.failed.load(std::memory_order_relaxed);
  const std::uint64_t new_failures = failed - impl.failed_at_last_flush;
  impl.failed_at_last_flush = failed;
  if (new_failures > 0) {
    Error last = last_error().value_or(Error{});
    return make_error(last.field, std::to_string(new_failures) +
                                      " message(s) failed delivery since the last flush; last: " +
                                      last.reason);
  }
  return ok_status();
}

TransactionStatus KafkaProducer::init_transactions(std::chrono::milliseconds timeout) {
  return transaction_status(impl_->producer->init_transactions(to_ms(timeout)), "init_transactions");
}

TransactionStatus KafkaProducer::begin_transaction() {
  return transaction_status(impl_->producer->begin_transaction(), "begin_transaction");
}

TransactionStatus KafkaProducer::send_offsets_to_transaction(std::span<const kafka::PartitionOffset> offsets,
                                                             const kafka::GroupMetadata& group,
                                                             std::chrono::milliseconds timeout) {
  if (offsets.empty()) return std::nullopt;
  std::vector<RdKafka::TopicPartition*> list;
  list.reserve(offsets.size());
  for (const kafka::PartitionOffset& o : offsets) {
    list.push_back(RdKafka::TopicPartition::create(o.topic, o.partition, o.offset));
  }
  TransactionStatus st = transaction_status(
      impl_->producer->send_offsets_to_transaction(list, group.native().metadata.get(), to_ms(timeout)),
      "send_offsets_to_transaction");
  RdKafka::TopicPartition::destroy(list);
  return st;
}

TransactionStatus KafkaProducer::commit_transaction(std::chrono::milliseconds timeout) {
  impl_->since_poll = 0;
  return transaction_status(impl_->producer->commit_transaction(to_ms(timeout)), "commit_transaction");
}

TransactionStatus KafkaProducer::abort_transaction(std::chrono::milliseconds timeout) {
  return transaction_status(impl_->producer->abort_transaction(to_ms(timeout)), "abort_transaction");
}

DeliveryCounts KafkaProducer::counts() const {
  return DeliveryCounts{impl_->produced.load(std::memory_order_relaxed),
                        impl_->delivered.load(std::memory_order_relaxed),
                        impl_->failed.load(std::memory_order_relaxed)};
}

std::optional<Error> KafkaProducer::last_error() const {
  std::lock_guard lock(impl_->error_mutex);
  return impl_->last_error;
}

int KafkaProducer::in_flight() const { return impl_->producer->outq_len(); }

}  // namespace eventlens::sink
