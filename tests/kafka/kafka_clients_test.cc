// The Kafka client wrappers' configuration and failure reporting: property
// pass-through and defaults, refused settings, and deliveries that fail.
// None of these needs the test broker.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "kafka/client_properties.h"
#include "sink/kafka_producer.h"
#include "source/kafka_consumer.h"

namespace eventlens {
namespace {

using namespace std::chrono_literals;

TEST(KafkaClientProperties, KafkaPrefixedKeysPassThroughWithoutThePrefix) {
  const kafka::ClientProperties p = kafka::client_properties_from({
      {"kafka.linger.ms", "20"},
      {"kafka.bootstrap.servers", "127.0.0.1:9092"},
      {"kafka.", "no name"},
      {"kafkaesque", "x"},
      {"store.path", "/var/lib/eventlens"},
  });
  const kafka::ClientProperties want = {{"bootstrap.servers", "127.0.0.1:9092"},
                                        {"linger.ms", "20"}};
  EXPECT_EQ(p, want);
}

TEST(KafkaClientProperties, OverridesReplaceInPlaceAndAppendNewNames) {
  const kafka::ClientProperties merged = kafka::merge_properties(
      {{"acks", "all"}, {"linger.ms", "5"}}, {{"linger.ms", "50"}, {"bootstrap.servers", "b:1"}});
  const kafka::ClientProperties want = {
      {"acks", "all"}, {"linger.ms", "50"}, {"bootstrap.servers", "b:1"}};
  EXPECT_EQ(merged, want);
  ASSERT_NE(kafka::find_property(merged, "linger.ms"), nullptr);
  EXPECT_EQ(*kafka::find_property(merged, "linger.ms"), "50");
  EXPECT_EQ(kafka::find_property(merged, "nope"), nullptr);
}

TEST(KafkaClientProperties, DefaultsKeepRecordsSafeAndCommitsManual) {
  const kafka::ClientProperties producer = kafka::producer_defaults();
  EXPECT_EQ(*kafka::find_property(producer, "acks"), "all");
  EXPECT_EQ(*kafka::find_property(producer, "enable.idempotence"), "true");
  EXPECT_EQ(*kafka::find_property(producer, "compression.type"), "lz4");
  // Keys hash as in the Java client, so topics stay co-partitioned.
  EXPECT_EQ(*kafka::find_property(producer, "partitioner"), "murmur2_random");
  const kafka::ClientProperties consumer = kafka::consumer_defaults();
  EXPECT_EQ(*kafka::find_property(consumer, "enable.auto.commit"), "false");
  EXPECT_EQ(*kafka::find_property(consumer, "auto.offset.reset"), "earliest");
  EXPECT_EQ(*kafka::find_property(consumer, "partition.assignment.strategy"), "range");
}

TEST(KafkaClients, RefuseAutoCommitAndBadProperties) {
  source::KafkaConsumerOptions consumer_options;
  consumer_options.group_id = "g";
  consumer_options.properties = {{"enable.auto.commit", "true"}};
  auto consumer = source::KafkaConsumer::create(consumer_options);
  ASSERT_FALSE(consumer);
  EXPECT_EQ(consumer.error().field, "kafka.enable.auto.commit");

  consumer_options.properties = {{"fetch.wait.max.ms", "not a number"}};
  consumer = source::KafkaConsumer::create(consumer_options);
  ASSERT_FALSE(consumer);
  EXPECT_EQ(consumer.error().field, "kafka.fetch.wait.max.ms");

  consumer_options.group_id.clear();
  consumer_options.properties.clear();
  consumer = source::KafkaConsumer::create(consumer_options);
  ASSERT_FALSE(consumer);
  EXPECT_EQ(consumer.error().field, "kafka.group.id");

  sink::KafkaProducerOptions producer_options;
  producer_options.properties = {{"no.such.property", "1"}};
  auto producer = sink::KafkaProducer::create(producer_options);
  ASSERT_FALSE(producer);
  EXPECT_EQ(producer.error().field, "kafka.no.such.property");
}

TEST(KafkaClients, FlushReportsUndeliverableMessages) {
  // Nothing listens on port 1 of 127.0.0.1: deliveries time out and flush
  // says so rather than pretending they are durable.
  sink::KafkaProducerOptions options;
  options.properties = {{"bootstrap.servers", "127.0.0.1:1"}, {"message.timeout.ms", "1500"}};
  options.close_timeout = 100ms;
  auto producer = sink::KafkaProducer::create(options);
  ASSERT_TRUE(producer) << producer.error().to_string();
  ASSERT_TRUE(producer->produce("nowhere", "k", "v"));
  Status st = producer->flush(20s);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().reason.find("1 message(s) failed delivery"), std::string::npos)
      << st.error().reason;
  EXPECT_EQ(producer->counts().failed, 1u);
  ASSERT_TRUE(producer->last_error().has_value());
  EXPECT_EQ(producer->last_error()->field, "nowhere");
  // The failure is reported once; a later flush with nothing new is clean.
  EXPECT_TRUE(producer->flush(1s));
}

}  // namespace
}  // namespace eventlens
