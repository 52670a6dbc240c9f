// `eventlens simulate --kafka` against the real broker: every record the
// simulator wrote to files also arrives on its DESIGN.md topic, keyed by
// service, and decodes.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "codec/native_json.h"
#include "source/kafka_consumer.h"
#include "support/test_data.h"
#include "test_broker.h"

namespace eventlens {
namespace {

using namespace std::chrono_literals;

std::size_t count_lines(const std::string& path) {
  const std::string text = testing::read_file(path);
  std::size_t n = 0;
  for (char c : text) n += c == '\n' ? 1 : 0;
  return n;
}

TEST(KafkaSimulate, EveryRecordReachesItsTopicKeyedByService) {
  auto bootstrap = testing::kafka_bootstrap();
  ASSERT_TRUE(bootstrap) << bootstrap.error().to_string();
  const std::string prefix = testing::unique_kafka_name("sim-") + ".";
  const std::vector<std::string> topics = {"scaling_events", "resource_provisioning", "failure_events",
                                           "change_events", "metrics", "logs", "traces"};
  for (const auto& t : topics) {
    ASSERT_TRUE(testing::create_kafka_topic(*bootstrap, prefix + t, 2)) << t;
  }
  const std::string dir = std::string(EVENTLENS_TEST_TMP) + "/kafka-simulate";
  std::filesystem::remove_all(dir);
  const std::string command = std::string(EVENTLENS_BINARY) +
                              " simulate --scenario node-shortage --seed 5 --duration 30m --quiet --out " + dir +
                              " --kafka " + *bootstrap + " --topic-prefix " + prefix;
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  std::map<std::string, std::size_t> want;
  want["metrics"] = count_lines(dir + "/metrics.jsonl");
  want["logs"] = count_lines(dir + "/logs.jsonl");
  want["traces"] = count_lines(dir + "/traces.jsonl");
  const std::size_t events = count_lines(dir + "/events.jsonl");
  ASSERT_GT(events, 10u);
  std::size_t want_total = want["metrics"] + want["logs"] + want["traces"] + events;

  source::KafkaConsumerOptions options;
  options.properties = {{"bootstrap.servers", *bootstrap}};
  options.group_id = testing::unique_kafka_name("sim-group");
  auto consumer = source::KafkaConsumer::create(options);
  ASSERT_TRUE(consumer) << consumer.error().to_string();
  std::vector<std::string> full;
  for (const auto& t : topics) full.push_back(prefix + t);
  ASSERT_TRUE(consumer->subscribe(full));

  codec::NativeJsonDecoder decoder;
  Record record;
  source::MessageBatch batch;
  std::map<std::string, std::size_t> got;
  std::size_t total = 0, undecodable = 0, wrong_key = 0;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (total < want_total && std::chrono::steady_clock::now() < deadline) {
    auto n = consumer->poll(batch, 5000, 500ms);
    ASSERT_TRUE(n) << n.error().to_string();
    for (const auto& m : batch) {
      ++total;
      const std::string topic = m.topic.substr(prefix.size());
      ++got[topic];
      if (!decoder.decode_one(m.value, m.value.size(), record)) {
        ++undecodable;
        continue;
      }
      std::string service;
      if (const auto* e = std::get_if<Event>(&record)) service = e->service;
      if (const auto* l = std::get_if<LogRecord>(&record)) service = l->service;
      if (const auto* s = std::get_if<Span>(&record)) service = s->service;
      if (const auto* s = std::get_if<MetricSample>(&record)) {
        for (const auto& [k, v] : s->labels) {
          if (k == "service") service = v;
        }
      }
      if (m.key != service) ++wrong_key;
    }
  }
  EXPECT_EQ(total, want_total);
  EXPECT_EQ(undecodable, 0u);
  EXPECT_EQ(wrong_key, 0u);
  for (const auto& [topic, n] : want) EXPECT_EQ(got[topic], n) << topic;
  EXPECT_EQ(got["scaling_events"] + got["resource_provisioning"] + got["failure_events"] + got["change_events"],
            events);
  EXPECT_GT(got["resource_provisioning"], 0u);
  EXPECT_GT(got["scaling_events"], 0u);
}

}  // namespace
}  // namespace eventlens
