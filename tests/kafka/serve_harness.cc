#include "serve_harness.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <spawn.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "kafka/admin.h"
#include "source/kafka_consumer.h"
#include "support/test_data.h"
#include "test_broker.h"

extern "C" char** environ;

namespace eventlens::testing {

using namespace std::chrono_literals;


// Every committed message of `topics`, by topic (without `prefix`): read
// read_committed until each partition is read to its end.
std::map<std::string, std::vector<OutputMessage>> read_outputs(const std::string& bootstrap,
                                                               const std::string& prefix,
                                                               const std::vector<std::string>& topics,
                                                               std::size_t partitions) {
  source::KafkaConsumerOptions options;
  options.properties = {{"bootstrap.servers", bootstrap}, {"enable.partition.eof", "true"}};
  options.group_id = unique_kafka_name("serve-reader");
  auto consumer = source::KafkaConsumer::create(options);
  EXPECT_TRUE(consumer) << consumer.error().to_string();
  std::vector<std::string> full;
  for (const auto& t : topics) full.push_back(prefix + t);
  EXPECT_TRUE(consumer->subscribe(full));
  std::map<std::string, std::vector<OutputMessage>> out;
  source::PartitionsAtEnd ended;
  source::MessageBatch batch;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (ended.count() < topics.size() * partitions && std::chrono::steady_clock::now() < deadline) {
    auto n = consumer->poll(batch, 5000, 200ms);
    EXPECT_TRUE(n) << n.error().to_string();
    if (!n) break;
    for (const auto& m : batch) {
      OutputMessage o{m.key, m.value, {}};
      for (const auto& [k, v] : m.headers) o.headers[k] = v;
      out[m.topic.substr(prefix.size())].push_back(std::move(o));
    }
    ended.see(batch);
  }
  EXPECT_EQ(ended.count(), topics.size() * partitions) << "every output partition read to its end in time";
  return out;
}

std::vector<std::string> sorted_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::istringstream in(read_file(path));
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
  // Through the admin API: a JVM per topic (scripts/kafka topics) would take
  // a second or two each.
  auto admin = kafka::KafkaAdmin::create({{"bootstrap.servers", bootstrap}});
  ASSERT_TRUE(admin) << admin.error().to_string();
  std::vector<kafka::NewTopic> topics;
  std::vector<std::pair<std::string, std::string>> settings;
  for (const std::string& c : configs) settings.emplace_back(c.substr(0, c.find('=')), c.substr(c.find('=') + 1));
  for (const auto& t : kInputs) topics.push_back({prefix + t, partitions, settings});
  for (const auto& t : kOutputs) topics.push_back({prefix + t, partitions, {}});
  const Status created = admin->create_topics(topics, 30s);
  ASSERT_TRUE(created) << created.error().to_string();
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

// `serve --kafka --bounded` on the topics of `prefix` in a new group;
// returns its exit status.
int serve_bounded(const std::string& bootstrap, const std::string& prefix, const std::string& more) {
  return run(std::string(EVENTLENS_BINARY) + " serve --quiet --bounded --kafka " + bootstrap + " --topic-prefix " +
             prefix + " --group " + unique_kafka_name("serve-group") +
             " --instance one --metrics-listen 127.0.0.1:0 " + more);
}

// The value of `key` in a JSON object's text (the first occurrence, a
// string value), or "".
std::string json_string(const std::string& json, const std::string& key) {
  const std::string look = "\"" + key + "\":\"";
  const auto at = json.find(look);
  if (at == std::string::npos) return {};
  const auto from = at + look.size();
  return json.substr(from, json.find('"', from) - from);
}


// `eventlens serve` in a child process, stderr to `log`; returns its pid.
pid_t spawn_serve(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> argv_s{EVENTLENS_BINARY, "serve"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(rc, 0);
  return pid;
}


}  // namespace eventlens::testing
