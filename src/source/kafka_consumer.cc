#include "source/kafka_consumer.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <utility>

#include "kafka/rdkafka_config.h"

namespace eventlens::source {

namespace {

using Clock = std::chrono::steady_clock;

int to_ms(std::chrono::milliseconds d) {
  if (d.count() < 0) return 0;
  if (d.count() > 0x7fffffff) return 0x7fffffff;
  return static_cast<int>(d.count());
}

// Errors a caller has to act on. librdkafka recovers from the others by
// itself (lost connections, coordinator moves, leader elections), so those
// are only counted.
bool caller_must_know(RdKafka::ErrorCode err) {
  switch (err) {
    case RdKafka::ERR__FATAL:
    case RdKafka::ERR__UNKNOWN_TOPIC:
    case RdKafka::ERR_UNKNOWN_TOPIC_OR_PART:
    case RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED:
    case RdKafka::ERR_GROUP_AUTHORIZATION_FAILED:
    case RdKafka::ERR__AUTO_OFFSET_RESET:
    case RdKafka::ERR__INVALID_ARG:
      return true;
    default:
      return false;
  }
}

// Owns TopicPartition objects for one librdkafka call.
struct PartitionList {
  std::vector<RdKafka::TopicPartition*> items;
  PartitionList() = default;
  PartitionList(const PartitionList&) = delete;
  PartitionList& operator=(const PartitionList&) = delete;
  ~PartitionList() { RdKafka::TopicPartition::destroy(items); }
};

}  // namespace

ConsumedMessage& MessageBatch::append() {
  if (size_ == messages_.size()) messages_.emplace_back();
  return messages_[size_++];
}

void MessageBatch::merge_next_offsets(std::vector<kafka::PartitionOffset>& offsets) const {
  for (const ConsumedMessage& m : *this) {
    auto it = std::find_if(offsets.begin(), offsets.end(), [&](const kafka::PartitionOffset& o) {
      return o.partition == m.partition && o.topic == m.topic;
    });
    if (it == offsets.end()) {
      offsets.push_back(kafka::PartitionOffset{m.topic, m.partition, m.offset + 1});
    } else {
      it->offset = std::max(it->offset, m.offset + 1);
    }
  }
}

struct KafkaConsumer::Impl {
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;
  bool closed = false;
  // An Error met while a batch was already being filled; poll() returns it next.
  std::optional<Error> pending;
  std::optional<Error> last_error;
  ConsumerCounts counts;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  // Here rather than in ~KafkaConsumer so that a consumer replaced by move
  // assignment leaves its group too.
  ~Impl() { (void)close(); }

  Status close() {
    if (closed || !consumer) return ok_status();
    closed = true;
    const RdKafka::ErrorCode err = consumer->close();
    if (err != RdKafka::ERR_NO_ERROR) return make_error("", "close: " + RdKafka::err2str(err));
    return ok_status();
  }

  Status usable() const {
    if (closed) return make_error("", "the Kafka consumer is closed");
    return ok_status();
  }

  void fill(const RdKafka::Message& m, ConsumedMessage& out) {
    out.topic.assign(m.topic_name());
    out.partition = m.partition();
    out.offset = m.offset();
    // key_pointer() rather than key(): key() builds a std::string per message.
    if (const void* k = m.key_pointer(); k != nullptr) {
      out.key.assign(static_cast<const char*>(k), m.key_len());
    } else {
      out.key.clear();
    }
    if (const void* p = m.payload(); p != nullptr) {
      out.value.assign(static_cast<const char*>(p), m.len());
    } else {
      out.value.clear();
    }
    const RdKafka::MessageTimestamp ts = m.timestamp();
    out.timestamp = ts.type == RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE || ts.timestamp < 0
                        ? 0
                        : ts.timestamp * 1'000'000;
    // headers() is non-const in librdkafka's API and parses lazily; a
    // message without headers costs nothing here.
    RdKafka::Headers* h = const_cast<RdKafka::Message&>(m).headers();
    if (h == nullptr) {
      out.headers.clear();
      return;
    }
    const std::vector<RdKafka::Headers::Header> all = h->get_all();
    out.headers.resize(all.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
      out.headers[i].first.assign(all[i].key());
      if (all[i].value() != nullptr) {
        out.headers[i].second.assign(static_cast<const char*>(all[i].value()), all[i].value_size());
      } else {
        out.headers[i].second.clear();
      }
    }
  }

  Error message_error(const RdKafka::Message& m) {
    std::string reason = m.errstr();
    if (m.err() == RdKafka::ERR__FATAL) {
      std::string fatal;
      const RdKafka::ErrorCode code = consumer->fatal_error(fatal);
      reason = "fatal: " + RdKafka::err2str(code) + ": " + fatal;
    }
    return make_error(m.topic_name(), std::move(reason));
  }
};

Result<KafkaConsumer> KafkaConsumer::create(const KafkaConsumerOptions& options) {
  kafka::ClientProperties properties =
      kafka::merge_properties(kafka::consumer_defaults(), options.properties);
  if (!options.group_id.empty()) {
    properties = kafka::merge_properties(std::move(properties), {{"group.id", options.group_id}});
  }
  const std::string* group = kafka::find_property(properties, "group.id");
  if (group == nullptr || group->empty()) return make_error("kafka.group.id", "missing");
  if (const std::string* auto_commit = kafka::find_property(properties, "enable.auto.commit");
      auto_commit != nullptr && *auto_commit != "false") {
    return make_error("kafka.enable.auto.commit",
                      "must be false: eventlens commits offsets itself, once results are durable");
  }
  auto conf = kafka::make_rdkafka_conf(properties);
  if (!conf) return conf.error();
  auto impl = std::make_unique<Impl>();
  std::string why;
  impl->consumer.reset(RdKafka::KafkaConsumer::create(conf->get(), why));
  if (!impl->consumer) return make_error("", "cannot create the Kafka consumer: " + why);
  return KafkaConsumer(std::move(impl));
}

KafkaConsumer::KafkaConsumer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KafkaConsumer::KafkaConsumer(KafkaConsumer&&) noexcept = default;
KafkaConsumer& KafkaConsumer::operator=(KafkaConsumer&&) noexcept = default;

KafkaConsumer::~KafkaConsumer() = default;

Status KafkaConsumer::subscribe(const std::vector<std::string>& topics) {
  if (Status st = impl_->usable(); !st) return st;
  if (topics.empty()) return make_error("topics", "subscribe to at least one topic");
  const RdKafka::ErrorCode err = impl_->consumer->subscribe(topics);
  if (err != RdKafka::ERR_NO_ERROR) return make_error("topics", "subscribe: " + RdKafka::err2str(err));
  return ok_status();
}

Result<std::size_t> KafkaConsumer::poll(MessageBatch& batch, std::size_t max_messages,
                                        std::chrono::milliseconds timeout) {
  batch.clear();
  Impl& impl = *impl_;
  if (Status st = impl.usable(); !st) return st.error();
  if (impl.pending) {
    Error e = std::move(*impl.pending);
    impl.pending.reset();
    return e;
  }
  const auto deadline = Clock::now() + timeout;
  while (batch.size() < max_messages) {
    // Wait only for the first message; after it, drain what has arrived.
    int wait_ms = 0;
    if (batch.empty()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      wait_ms = to_ms(left);
    }
    std::unique_ptr<RdKafka::Message> m(impl.consumer->consume(wait_ms));
    if (!m) break;
    const RdKafka::ErrorCode err = m->err();
    if (err == RdKafka::ERR_NO_ERROR) {
      impl.fill(*m, batch.append());
      ++impl.counts.messages;
      continue;
    }
    if (err == RdKafka::ERR__TIMED_OUT) break;
    if (err == RdKafka::ERR__PARTITION_EOF) continue;
    Error e = impl.message_error(*m);
    ++impl.counts.errors;
    impl.last_error = e;
    if (caller_must_know(err)) {
      if (batch.empty()) return e;
      impl.pending = std::move(e);
      break;
    }
    if (wait_ms == 0 || Clock::now() >= deadline) break;
  }
  return batch.size();
}

Status KafkaConsumer::commit(std::span<const kafka::PartitionOffset> offsets) {
  if (Status st = impl_->usable(); !st) return st;
  if (offsets.empty()) return ok_status();
  PartitionList list;
  list.items.reserve(offsets.size());
  for (const kafka::PartitionOffset& o : offsets) {
    list.items.push_back(RdKafka::TopicPartition::create(o.topic, o.partition, o.offset));
  }
  const RdKafka::ErrorCode err = impl_->consumer->commitSync(list.items);
  if (err != RdKafka::ERR_NO_ERROR) return make_error("", "commit: " + RdKafka::err2str(err));
  for (const RdKafka::TopicPartition* tp : list.items) {
    if (tp->err() != RdKafka::ERR_NO_ERROR) {
      return make_error(tp->topic() + "[" + std::to_string(tp->partition()) + "]",
                        "commit: " + RdKafka::err2str(tp->err()));
    }
  }
  ++impl_->counts.commits;
  return ok_status();
}

Result<std::vector<kafka::PartitionOffset>> KafkaConsumer::committed(
    std::chrono::milliseconds timeout) {
  if (Status st = impl_->usable(); !st) return st.error();
  PartitionList list;
  RdKafka::ErrorCode err = impl_->consumer->assignment(list.items);
  if (err != RdKafka::ERR_NO_ERROR) return make_error("", "assignment: " + RdKafka::err2str(err));
  if (!list.items.empty()) {
    err = impl_->consumer->committed(list.items, to_ms(timeout));
    if (err != RdKafka::ERR_NO_ERROR) return make_error("", "committed: " + RdKafka::err2str(err));
  }
  std::vector<kafka::PartitionOffset> out;
  out.reserve(list.items.size());
  for (const RdKafka::TopicPartition* tp : list.items) {
    const std::int64_t offset = tp->offset() < 0 ? kafka::kNoOffset : tp->offset();
    out.push_back(kafka::PartitionOffset{tp->topic(), tp->partition(), offset});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.topic != b.topic ? a.topic < b.topic : a.partition < b.partition;
  });
  return out;
}

Status KafkaConsumer::close() { return impl_ ? impl_->close() : ok_status(); }

ConsumerCounts KafkaConsumer::counts() const { return impl_->counts; }

std::optional<Error> KafkaConsumer::last_error() const { return impl_->last_error; }

}  // namespace eventlens::source
