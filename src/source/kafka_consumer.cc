#include "source/kafka_consumer.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "kafka/rdkafka_config.h"
#include "kafka/rdkafka_handles.h"

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

std::vector<kafka::TopicPartition> partitions_of(const std::vector<RdKafka::TopicPartition*>& list) {
  std::vector<kafka::TopicPartition> out;
  out.reserve(list.size());
  for (const RdKafka::TopicPartition* tp : list) out.push_back({tp->topic(), tp->partition()});
  std::sort(out.begin(), out.end());
  return out;
}

void PartitionsAtEnd::see(const MessageBatch& batch) {
  for (const ConsumedMessage& m : batch) partitions_[{m.topic, m.partition}] = {m.offset + 1, false};
  for (const kafka::PartitionOffset& end : batch.reached_end()) {
    Position& p = partitions_[{end.topic, end.partition}];
    if (end.offset >= p.next) p.at_end = true;
  }
}

std::size_t PartitionsAtEnd::count() const {
  return static_cast<std::size_t>(
      std::count_if(partitions_.begin(), partitions_.end(), [](const auto& kv) { return kv.second.at_end; }));
}

struct KafkaConsumer::Impl final : RdKafka::RebalanceCb {
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;
  std::function<std::vector<kafka::PartitionOffset>(const std::vector<kafka::TopicPartition>&)> on_assigned;
  std::function<void(const std::vector<kafka::TopicPartition>&)> on_revoked;
  // The batch poll() is filling, while it does.
  MessageBatch* filling = nullptr;
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

  // Runs inside consume(), on poll()'s thread. The eager assignors hand out
  // and take back whole assignments: assign() and unassign().
  void rebalance_cb(RdKafka::KafkaConsumer* c, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      if (on_assigned) {
        for (const kafka::PartitionOffset& start : on_assigned(partitions_of(partitions))) {
          for (RdKafka::TopicPartition* tp : partitions) {
            if (tp->topic() == start.topic && tp->partition() == start.partition) tp->set_offset(start.offset);
          }
        }
      }
      c->assign(partitions);
      return;
    }
    // A revocation, or a rebalance that failed: this member owns nothing
    // until the next assignment. What this poll took of the partitions
    // before is dropped: their next owner reads it again from the committed
    // offsets, and a caller that got it would do the work twice.
    if (filling != nullptr) filling->clear();
    if (on_revoked) on_revoked(partitions_of(partitions));
    c->unassign();
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
  impl->on_assigned = options.on_assigned;
  impl->on_revoked = options.on_revoked;
  std::string why;
  if ((*conf)->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(impl.get()), why) != RdKafka::Conf::CONF_OK) {
    return make_error("", "cannot install the rebalance callback: " + why);
  }
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

Status KafkaConsumer::assign(const std::vector<kafka::PartitionOffset>& from) {
  if (Status st = impl_->usable(); !st) return st;
  PartitionList list;
  list.items.reserve(from.size());
  for (const kafka::PartitionOffset& o : from) {
    list.items.push_back(RdKafka::TopicPartition::create(o.topic, o.partition, o.offset));
  }
  const RdKafka::ErrorCode err = impl_->consumer->assign(list.items);
  if (err != RdKafka::ERR_NO_ERROR) return make_error("", "assign: " + RdKafka::err2str(err));
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
  impl.filling = &batch;
  struct Done {
    Impl& impl;
    ~Done() { impl.filling = nullptr; }
  } done{impl};
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
    if (err == RdKafka::ERR__PARTITION_EOF) {
      batch.ends_.push_back({m->topic_name(), m->partition(), m->offset()});
      continue;
    }
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

namespace {

Status pause_or_resume(RdKafka::KafkaConsumer& consumer, const std::vector<kafka::TopicPartition>& partitions,
                       bool pause) {
  if (partitions.empty()) return ok_status();
  PartitionList list;
  list.items.reserve(partitions.size());
  for (const kafka::TopicPartition& tp : partitions) {
    list.items.push_back(RdKafka::TopicPartition::create(tp.topic, tp.partition));
  }
  const RdKafka::ErrorCode err = pause ? consumer.pause(list.items) : consumer.resume(list.items);
  if (err != RdKafka::ERR_NO_ERROR) {
    return make_error("", std::string(pause ? "pause: " : "resume: ") + RdKafka::err2str(err));
  }
  return ok_status();
}

}  // namespace

Status KafkaConsumer::pause(const std::vector<kafka::TopicPartition>& partitions) {
  if (Status st = impl_->usable(); !st) return st;
  return pause_or_resume(*impl_->consumer, partitions, true);
}

Status KafkaConsumer::resume(const std::vector<kafka::TopicPartition>& partitions) {
  if (Status st = impl_->usable(); !st) return st;
  return pause_or_resume(*impl_->consumer, partitions, false);
}

Result<std::vector<kafka::TopicPartition>> KafkaConsumer::assignment() {
  if (Status st = impl_->usable(); !st) return st.error();
  PartitionList list;
  const RdKafka::ErrorCode err = impl_->consumer->assignment(list.items);
  if (err != RdKafka::ERR_NO_ERROR) return make_error("", "assignment: " + RdKafka::err2str(err));
  return partitions_of(list.items);
}

Result<std::pair<std::int64_t, std::int64_t>> KafkaConsumer::watermarks(const kafka::TopicPartition& partition,
                                                                       std::chrono::milliseconds timeout) {
  if (Status st = impl_->usable(); !st) return st.error();
  std::int64_t low = 0, high = 0;
  // A topic made a moment ago may have no leader yet: asked again until the
  // timeout, as librdkafka's own requests are.
  const auto deadline = Clock::now() + timeout;
  RdKafka::ErrorCode err;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    err = impl_->consumer->query_watermark_offsets(partition.topic, partition.partition, &low, &high,
                                                   std::max(1, to_ms(left)));
    const bool transient = err == RdKafka::ERR_NOT_LEADER_FOR_PARTITION || err == RdKafka::ERR_LEADER_NOT_AVAILABLE ||
                           err == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART;
    if (!transient || Clock::now() + std::chrono::milliseconds(100) >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (err != RdKafka::ERR_NO_ERROR) {
    return make_error(partition.topic + "[" + std::to_string(partition.partition) + "]",
                      "watermarks: " + RdKafka::err2str(err));
  }
  return std::pair{low, high};
}

std::pair<std::int64_t, std::int64_t> KafkaConsumer::cached_watermarks(const kafka::TopicPartition& partition) {
  std::int64_t low = -1, high = -1;
  if (impl_->usable()) {
    if (impl_->consumer->get_watermark_offsets(partition.topic, partition.partition, &low, &high) !=
        RdKafka::ERR_NO_ERROR) {
      low = high = -1;
    }
  }
  return {low, high};
}

Result<kafka::GroupMetadata> KafkaConsumer::group_metadata() {
  if (Status st = impl_->usable(); !st) return st.error();
  auto native = std::make_unique<kafka::GroupMetadata::Native>();
  native->metadata.reset(impl_->consumer->groupMetadata());
  if (!native->metadata) return make_error("", "the consumer has no group metadata");
  return kafka::GroupMetadata(std::move(native));
}

Result<std::vector<kafka::PartitionOffset>> KafkaConsumer::committed(std::chrono::milliseconds timeout) {
  auto assigned = assignment();
  if (!assigned) return assigned.error();
  return committed(*assigned, timeout);
}

Result<std::vector<kafka::PartitionOffset>> KafkaConsumer::committed(
    const std::vector<kafka::TopicPartition>& partitions, std::chrono::milliseconds timeout) {
  if (Status st = impl_->usable(); !st) return st.error();
  PartitionList list;
  list.items.reserve(partitions.size());
  for (const kafka::TopicPartition& tp : partitions) {
    list.items.push_back(RdKafka::TopicPartition::create(tp.topic, tp.partition));
  }
  if (!list.items.empty()) {
    const RdKafka::ErrorCode err = impl_->consumer->committed(list.items, to_ms(timeout));
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
