// `eventlens serve --kafka` against the real broker: the engine as a
// consumer group on the input topics, results in transactions on the output
// topics, read back read_committed.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sink/kafka_producer.h"
#include "source/kafka_consumer.h"
#include "support/test_data.h"
#include "test_broker.h"

namespace eventlens {
namespace {

using namespace std::chrono_literals;

const std::vector<std::string> kInputs = {"scaling_events", "failure_events", "resource_provisioning",
                                          "change_events",  "metrics",        "logs",
                                          "traces"};
const std::vector<std::string> kOutputs = {"enriched_events", "incidents", "problems", "dead_letter"};

struct OutputMessage {
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
};

// Every committed message of `topics`, by topic (without `prefix`): read
// read_committed until each partition is read to its end.
std::map<std::string, std::vector<OutputMessage>> read_outputs(const std::string& bootstrap,
                                                               const std::string& prefix,
                                                               const std::vector<std::string>& topics,
                                                               std::size_t partitions) {
  source::KafkaConsumerOptions options;
  options.properties = {{"bootstrap.servers", bootstrap}, {"enable.partition.eof", "true"}};
  options.group_id = testing::unique_kafka_name("serve-reader");
  auto consumer = source::KafkaConsumer::create(options);
  EXPECT_TRUE(consumer) << consumer.error().to_string();
  std::vector<std::string> full;
  for (const auto& t : topics) full.push_back(prefix + t);
  EXPECT_TRUE(consumer->subscribe(full));
  std::map<std::string, std::vector<OutputMessage>> out;
  std::set<std::pair<std::string, int>> ended;
  source::MessageBatch batch;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (ended.size() < topics.size() * partitions && std::chrono::steady_clock::now() < deadline) {
    auto n = consumer->poll(batch, 5000, 200ms);
    EXPECT_TRUE(n) << n.error().to_string();
    if (!n) break;
    for (const auto& m : batch) {
      OutputMessage o{m.key, m.value, {}};
      for (const auto& [k, v] : m.headers) o.headers[k] = v;
      out[m.topic.substr(prefix.size())].push_back(std::move(o));
      ended.erase({m.topic, m.partition});
    }
    for (const auto& tp : batch.reached_end()) ended.insert({tp.topic, tp.partition});
  }
  EXPECT_EQ(ended.size(), topics.size() * partitions) << "every output partition read to its end in time";
  return out;
}

std::vector<std::string> sorted_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::istringstream in(testing::read_file(path));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::vector<std::string> sorted_values(const std::vector<OutputMessage>& messages, const std::string& stage) {
  std::vector<std::string> values;
  for (const auto& m : messages) {
    auto it = m.headers.find("eventlens.stage");
    if (stage.empty() || (it != m.headers.end() && it->second == stage)) values.push_back(m.value);
  }
  std::sort(values.begin(), values.end());
  return values;
}

int run(const std::string& command) { return std::system(command.c_str()); }

// A simulation on the input topics of `prefix` (created with `partitions`
// partitions and the topic settings `configs`, outputs too) and in files
// under `dir`/sim, and `replay` of those files in `dir`/replay.
void simulate_and_replay(const std::string& bootstrap, const std::string& prefix, int partitions,
                         const std::vector<std::string>& configs, const std::string& dir,
                         const std::string& simulation) {
  for (const auto& t : kInputs) ASSERT_TRUE(testing::create_kafka_topic(bootstrap, prefix + t, partitions, configs));
  for (const auto& t : kOutputs) ASSERT_TRUE(testing::create_kafka_topic(bootstrap, prefix + t, partitions));
  std::filesystem::remove_all(dir);
  const std::string binary = EVENTLENS_BINARY;
  ASSERT_EQ(run(binary + " simulate " + simulation + " --quiet --out " + dir + "/sim --kafka " + bootstrap +
                " --topic-prefix " + prefix),
            0);
  ASSERT_EQ(run(binary + " replay --quiet --events " + dir + "/sim/events.jsonl --metrics " + dir +
                "/sim/metrics.jsonl --logs " + dir + "/sim/logs.jsonl --traces " + dir + "/sim/traces.jsonl --out " +
                dir + "/replay"),
            0);
}

// The same records through `replay` (files) and through `serve --kafka
// --bounded` (one partition per topic) give the same results: the live path
// and the file path are one engine.
TEST(KafkaServe, ABoundedRunOnOnePartitionGivesWhatReplayGives) {
  auto bootstrap = testing::kafka_bootstrap();
  ASSERT_TRUE(bootstrap) << bootstrap.error().to_string();
  const std::string prefix = testing::unique_kafka_name("serve-") + ".";
  const std::string dir = std::string(EVENTLENS_TEST_TMP) + "/kafka-serve";
  simulate_and_replay(*bootstrap, prefix, 1, {}, dir, "--scenario cascading-timeout --seed 3 --duration 1h");
  if (HasFatalFailure()) return;
  const std::string binary = EVENTLENS_BINARY;
  const auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(run(binary + " serve --quiet --bounded --kafka " + *bootstrap + " --topic-prefix " + prefix +
                " --group " + testing::unique_kafka_name("serve-group") + " --instance one"),
            0);
  std::printf("serve --bounded took %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());

  auto out = read_outputs(*bootstrap, prefix, kOutputs, 1);
  const auto enriched = sorted_lines(dir + "/replay/enriched_events.jsonl");
  const auto incidents = sorted_lines(dir + "/replay/incidents.jsonl");
  const auto problems = sorted_lines(dir + "/replay/problems.jsonl");
  ASSERT_FALSE(enriched.empty());
  ASSERT_FALSE(incidents.empty());
  EXPECT_EQ(sorted_values(out["enriched_events"], "final"), enriched);
  EXPECT_EQ(sorted_values(out["incidents"], "final"), incidents);
  EXPECT_EQ(sorted_values(out["problems"], ""), problems);
  EXPECT_EQ(sorted_values(out["enriched_events"], "provisional").size(), enriched.size())
      << "every event also got a provisional record as it arrived";
  EXPECT_TRUE(out["dead_letter"].empty());
  for (const auto& m : out["incidents"]) {
    EXPECT_NE(m.value.find("\"service\":\"" + m.key + "\""), std::string::npos) << "keyed by service: " << m.value;
  }
}

// A valid record of each input topic's kind, dated `time`.
std::string record_of(const std::string& topic, const std::string& time) {
  if (topic == "metrics") {
    return R"({"name":"http_requests_total","labels":{"service":"checkout"},"time":")" + time + R"(","value":1.0})";
  }
  if (topic == "logs") return R"({"time":")" + time + R"(","service":"checkout","severity":"error","body":"x"})";
  if (topic == "traces") {
    return R"({"trace_id":"01","span_id":"02","service":"checkout","name":"GET /","start":")" + time +
           R"(","end":")" + time + R"(","status":"ok","kind":"server"})";
  }
  const std::string category = topic == "scaling_events"          ? "scaling"
                               : topic == "failure_events"        ? "failure"
                               : topic == "resource_provisioning" ? "provisioning"
                                                                  : "change";
  const std::string type = category == "scaling"        ? "scale_up"
                           : category == "failure"      ? "oom_killed"
                           : category == "provisioning" ? "resource_requested"
                                                        : "deploy";
  return R"({"id":"poison-)" + topic + R"(","time":")" + time + R"(","category":")" + category +
         R"(","type":")" + type + R"(","service":"checkout"})";
}

// Bad input on every input topic goes to dead_letter with the bytes it came
// as and, in headers, where it came from and why; everything else flows on
// as if it had not been there.
TEST(KafkaServe, PoisonRecordsOnEveryInputTopicGoToDeadLetterAndNothingElseChanges) {
  auto bootstrap = testing::kafka_bootstrap();
  ASSERT_TRUE(bootstrap) << bootstrap.error().to_string();
  const std::string prefix = testing::unique_kafka_name("poison-") + ".";
  const std::string dir = std::string(EVENTLENS_TEST_TMP) + "/kafka-poison";
  // The input topics take a value of over 1 MB, as a team's topics may.
  simulate_and_replay(*bootstrap, prefix, 1, {"max.message.bytes=3000000"}, dir,
                      "--scenario bad-deploy --seed 2 --duration 30m");
  if (HasFatalFailure()) return;
  const std::string binary = EVENTLENS_BINARY;

  struct Poison {
    std::string what;
    std::string value;
  };
  const std::string huge(1'200'000, 'a');
  sink::KafkaProducerOptions po;
  po.properties = {{"bootstrap.servers", *bootstrap}, {"message.max.bytes", "3000000"}};
  auto producer = sink::KafkaProducer::create(po);
  ASSERT_TRUE(producer) << producer.error().to_string();
  std::map<std::string, std::map<std::string, std::string>> sent;  // topic -> its first 64 bytes -> what
  std::size_t huge_size = 0;
  for (const auto& t : kInputs) {
    const std::vector<Poison> poison = {
        {"bad json", R"({"time": "2026-11-23T00:10:00Z", "service": )"},
        {"wrong type", R"({"id":"w","time":true,"category":"change","type":"deploy","service":"checkout"})"},
        {"invalid utf-8", "{\"time\":\"2026-11-23T00:10:00Z\",\"service\":\"\xff\xfe\",\"body\":\"x\"}"},
        {"huge", R"({"time":"2026-11-23T00:10:00Z","service":"checkout","body":")" + huge + R"("})"},
        {"far future", record_of(t, "2100-01-01T00:00:00Z")},
    };
    huge_size = poison[3].value.size();
    for (const auto& p : poison) {
      ASSERT_TRUE(producer->produce(prefix + t, "checkout", p.value)) << t << " " << p.what;
      sent[prefix + t][p.value.substr(0, 64)] = p.what;
    }
  }
  ASSERT_TRUE(producer->flush(30s));

  ASSERT_EQ(run(binary + " serve --quiet --bounded --kafka " + *bootstrap + " --topic-prefix " + prefix +
                " --group " + testing::unique_kafka_name("poison-group") + " --instance one"),
            0);
  auto out = read_outputs(*bootstrap, prefix, kOutputs, 1);
  ASSERT_EQ(out["dead_letter"].size(), kInputs.size() * 5);
  std::map<std::string, int> per_topic;
  for (const auto& m : out["dead_letter"]) {
    const std::string topic = m.headers.count("eventlens.source.topic") ? m.headers.at("eventlens.source.topic") : "";
    ASSERT_TRUE(sent.count(topic)) << "names its source topic: " << topic;
    ++per_topic[topic];
    EXPECT_EQ(m.headers.count("eventlens.source.partition"), 1u);
    EXPECT_EQ(m.headers.count("eventlens.source.offset"), 1u);
    const std::string reason = m.headers.count("eventlens.reason") ? m.headers.at("eventlens.reason") : "";
    EXPECT_FALSE(reason.empty());
    const auto what = sent[topic].find(m.value.substr(0, 64));
    ASSERT_NE(what, sent[topic].end()) << "carries the bytes it came as: " << m.value.substr(0, 80);
    if (what->second == "huge") {
      EXPECT_EQ(m.value.size(), 64u * 1024) << "cut to its first 64 KiB";
      EXPECT_EQ(m.headers.at("eventlens.size"), std::to_string(huge_size));
      EXPECT_EQ(m.headers.count("eventlens.xxh3"), 1u);
    } else {
      EXPECT_EQ(m.value.substr(0, 64), what->first);
    }
    if (what->second == "far future") {
      EXPECT_NE(reason.find("ahead of this machine's clock"), std::string::npos) << reason;
    }
    if (what->second == "wrong type") {
      EXPECT_NE(reason.find("time"), std::string::npos) << "names the field: " << reason;
    }
  }
  for (const auto& t : kInputs) EXPECT_EQ(per_topic[prefix + t], 5) << t;
  EXPECT_EQ(sorted_values(out["enriched_events"], "final"), sorted_lines(dir + "/replay/enriched_events.jsonl"));
  EXPECT_EQ(sorted_values(out["incidents"], "final"), sorted_lines(dir + "/replay/incidents.jsonl"));
}

}  // namespace
}  // namespace eventlens
