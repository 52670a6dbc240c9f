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

// The same records through `replay` (files) and through `serve --kafka
// --bounded` (one partition per topic) give the same results: the live path
// and the file path are one engine.
TEST(KafkaServe, ABoundedRunOnOnePartitionGivesWhatReplayGives) {
  auto bootstrap = testing::kafka_bootstrap();
  ASSERT_TRUE(bootstrap) << bootstrap.error().to_string();
  const std::string prefix = testing::unique_kafka_name("serve-") + ".";
  for (const auto& t : kInputs) ASSERT_TRUE(testing::create_kafka_topic(*bootstrap, prefix + t, 1)) << t;
  for (const auto& t : kOutputs) ASSERT_TRUE(testing::create_kafka_topic(*bootstrap, prefix + t, 1)) << t;

  const std::string dir = std::string(EVENTLENS_TEST_TMP) + "/kafka-serve";
  std::filesystem::remove_all(dir);
  const std::string binary = EVENTLENS_BINARY;
  ASSERT_EQ(run(binary + " simulate --scenario cascading-timeout --seed 3 --duration 1h --quiet --out " + dir +
                "/sim --kafka " + *bootstrap + " --topic-prefix " + prefix),
            0);
  ASSERT_EQ(run(binary + " replay --quiet --events " + dir + "/sim/events.jsonl --metrics " + dir +
                "/sim/metrics.jsonl --logs " + dir + "/sim/logs.jsonl --traces " + dir + "/sim/traces.jsonl --out " +
                dir + "/replay"),
            0);
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

}  // namespace
}  // namespace eventlens
