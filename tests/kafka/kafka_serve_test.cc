// `eventlens serve --kafka` against the real broker: the engine as a
// consumer group on the input topics, results in transactions on the output
// topics, read back read_committed.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <csignal>
#include <fstream>
#include <thread>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "kafka/admin.h"
#include "sink/kafka_producer.h"
#include "source/kafka_consumer.h"
#include "support/test_data.h"
#include "serve_harness.h"
#include "test_broker.h"

namespace eventlens {
namespace {

using namespace std::chrono_literals;
using namespace testing;


// Every test runs against the broker; most on a simulation produced to
// fresh topics and replayed from its files.
class KafkaServe : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = testing::kafka_bootstrap();
    ASSERT_TRUE(b) << b.error().to_string();
    bootstrap = *b;
  }
  // `simulation` on topics of a fresh prefix (created with `partitions`
  // partitions and the topic settings `configs`) and in files, and replay's
  // results of those files, under EVENTLENS_TEST_TMP/kafka-`name`.
  void prepare(const std::string& name, int partitions, const std::vector<std::string>& configs,
               const std::string& simulation) {
    prefix = testing::unique_kafka_name(name + "-") + ".";
    dir = std::string(EVENTLENS_TEST_TMP) + "/kafka-" + name;
    simulate_and_replay(bootstrap, prefix, partitions, configs, dir, simulation);
  }
  std::string bootstrap, prefix, dir;
};

// The same records through `replay` (files) and through `serve --kafka
// --bounded` (one partition per topic) give the same results: the live path
// and the file path are one engine.
// Snapshots of the tasks' state (here one at every commit, 10 a second)
// change nothing in the results.
TEST_F(KafkaServe, ABoundedRunOnOnePartitionGivesWhatReplayGives) {
  prepare("serve", 1, {}, "--scenario cascading-timeout --seed 3 --duration 1h");
  if (HasFatalFailure()) return;
  const std::string binary = EVENTLENS_BINARY;
  const auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(serve_bounded(bootstrap, prefix, "--snapshot-interval 0"), 0);
  std::printf("serve --bounded took %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());

  auto out = read_outputs(bootstrap, prefix, kOutputs, 1);
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
TEST_F(KafkaServe, PoisonRecordsOnEveryInputTopicGoToDeadLetterAndNothingElseChanges) {
  // The input topics take a value of over 1 MB, as a team's topics may.
  prepare("poison", 1, {"max.message.bytes=3000000"}, "--scenario bad-deploy --seed 2 --duration 30m");
  if (HasFatalFailure()) return;
  const std::string binary = EVENTLENS_BINARY;

  struct Poison {
    std::string what;
    std::string value;
  };
  const std::string huge(1'200'000, 'a');
  sink::KafkaProducerOptions po;
  po.properties = {{"bootstrap.servers", bootstrap}, {"message.max.bytes", "3000000"}};
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

  ASSERT_EQ(serve_bounded(bootstrap, prefix), 0);
  auto out = read_outputs(bootstrap, prefix, kOutputs, 1);
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

// Four partitions, one process: node events and node metrics carry no
// service (and no key), land on one partition, and still reach every task
// (a pod's provisioning waits for the node that arrives, on another
// partition). Every event's final verdict is the one replay gives.
TEST_F(KafkaServe, FourPartitionsGiveEveryEventReplaysVerdict) {
  prepare("four", 4, {}, "--scenario node-shortage --seed 1 --duration 2h");
  if (HasFatalFailure()) return;
  ASSERT_EQ(serve_bounded(bootstrap, prefix), 0);
  auto out = read_outputs(bootstrap, prefix, kOutputs, 4);
  std::map<std::string, std::string> replayed, served;  // event id -> verdict value
  for (const std::string& line : sorted_lines(dir + "/replay/enriched_events.jsonl")) {
    replayed[json_string(line, "event_id")] = line.substr(line.find("\"verdict\""), 80);
  }
  for (const std::string& v : sorted_values(out["enriched_events"], "final")) {
    EXPECT_TRUE(served.emplace(json_string(v, "event_id"), v.substr(v.find("\"verdict\""), 80)).second)
        << "one final record per event";
  }
  ASSERT_GT(replayed.size(), 100u);
  EXPECT_EQ(served.size(), replayed.size());
  std::size_t same = 0;
  for (const auto& [id, verdict] : replayed) {
    if (served.count(id) && served[id] == verdict) {
      ++same;
    } else {
      ADD_FAILURE() << id << ": replay " << verdict << " | serve " << (served.count(id) ? served[id] : "(none)");
    }
  }
  std::printf("4 partitions: %zu of %zu verdicts as replay's\n", same, replayed.size());
}

// Started where none of its topics exist, it creates them all with the
// partition count asked for; a bounded run over empty inputs ends at once.
TEST_F(KafkaServe, CreatesTheTopicsItOwnsWhereNoneExist) {
  prefix = testing::unique_kafka_name("fresh-") + ".";
  const std::string log = std::string(EVENTLENS_TEST_TMP) + "/kafka-fresh.log";
  ASSERT_EQ(run(std::string(EVENTLENS_BINARY) + " serve --bounded --partitions 3 --kafka " + bootstrap +
                " --topic-prefix " + prefix + " --group " + testing::unique_kafka_name("fresh-group") +
                " --instance one --metrics-listen 127.0.0.1:0 2> " + log),
            0)
      << testing::read_file(log);
  auto admin = kafka::KafkaAdmin::create({{"bootstrap.servers", bootstrap}});
  ASSERT_TRUE(admin) << admin.error().to_string();
  std::vector<std::string> all;
  for (const auto& t : kInputs) all.push_back(prefix + t);
  for (const auto& t : kOutputs) all.push_back(prefix + t);
  auto counts = admin->partition_counts(all, 30s);
  ASSERT_TRUE(counts) << counts.error().to_string();
  for (const auto& t : all) EXPECT_EQ((*counts)[t], 3) << t;
}

// Input topics with different partition counts would send a service's
// events and its telemetry to different tasks: refused, naming them.
TEST_F(KafkaServe, RefusesInputTopicsThatAreNotCoPartitioned) {
  prefix = testing::unique_kafka_name("skew-") + ".";
  ASSERT_TRUE(testing::create_kafka_topic(bootstrap, prefix + "metrics", 3));
  ASSERT_TRUE(testing::create_kafka_topic(bootstrap, prefix + "logs", 2));
  const std::string log = std::string(EVENTLENS_TEST_TMP) + "/kafka-skew.log";
  EXPECT_NE(run(std::string(EVENTLENS_BINARY) + " serve --bounded --kafka " + bootstrap + " --topic-prefix " +
                prefix + " --group " + testing::unique_kafka_name("skew-group") + " --instance one --metrics-listen 127.0.0.1:0 2> " + log),
            0);
  const std::string said = testing::read_file(log);
  EXPECT_NE(said.find("not co-partitioned"), std::string::npos) << said;
  EXPECT_NE(said.find(prefix + "metrics 3"), std::string::npos) << said;
  EXPECT_NE(said.find(prefix + "logs 2"), std::string::npos) << said;
}

// Live (not bounded): results come as event time moves on (here the inputs
// go idle after 2 s without records, so event time reaches the newest
// record); SIGTERM commits what is done and leaves. Every final record it
// gave is given once, and is the one replay gives for the same event.
TEST_F(KafkaServe, LiveUntilSigtermGivesEachFinalRecordOnceAsReplayDoes) {
  prepare("live", 1, {}, "--scenario bad-deploy --seed 4 --duration 30m");
  if (HasFatalFailure()) return;
  std::ofstream(dir + "/config.yaml") << "idle_timeout: 2s\n";
  const pid_t pid = spawn_serve({"--kafka", bootstrap, "--topic-prefix", prefix, "--config", dir + "/config.yaml",
                                 "--group", testing::unique_kafka_name("live-group"), "--instance", "one",
                                 "--metrics-listen", "127.0.0.1:0"},
                                dir + "/serve.log");
  const auto replay_enriched = sorted_lines(dir + "/replay/enriched_events.jsonl");
  ASSERT_FALSE(replay_enriched.empty());
  // Wait (at most 60 s) until the final records stop coming.
  std::size_t finals = 0, steady = 0;
  for (int i = 0; i < 30 && steady < 3; ++i) {
    std::this_thread::sleep_for(2s);
    const std::size_t n = sorted_values(read_outputs(bootstrap, prefix, {"enriched_events"}, 1)["enriched_events"],
                                        "final")
                              .size();
    steady = n > 0 && n == finals ? steady + 1 : 0;
    finals = n;
  }
  // What an operator's Prometheus and Kubernetes probes read meanwhile.
  const std::string said = testing::read_file(dir + "/serve.log");
  const auto url = said.find("metrics on http://127.0.0.1:");
  ASSERT_NE(url, std::string::npos) << said;
  const std::string base = said.substr(url + 11, said.find("/metrics", url) - url - 11);
  const std::string scraped = dir + "/metrics.txt";
  ASSERT_EQ(run("curl -sf " + base + "/metrics > " + scraped), 0) << base;
  const std::string metrics = testing::read_file(scraped);
  EXPECT_NE(metrics.find("# TYPE eventlens_consumer_lag gauge"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("eventlens_consumer_lag{topic=\"" + prefix + "metrics\",partition=\"0\"} 0"),
            std::string::npos)
      << "caught up: " << metrics;
  EXPECT_NE(metrics.find("eventlens_records_in_total{topic=\"" + prefix + "logs\"}"), std::string::npos);
  EXPECT_NE(metrics.find("eventlens_records_out_total{topic=\"" + prefix + "enriched_events\"}"), std::string::npos);
  EXPECT_NE(metrics.find("eventlens_watermark_delay_seconds{partition=\"0\"}"), std::string::npos);
  EXPECT_NE(metrics.find("eventlens_state_bytes{partition=\"0\"}"), std::string::npos);
  EXPECT_EQ(run("curl -sf " + base + "/healthz > /dev/null"), 0);
  EXPECT_EQ(run("curl -sf " + base + "/readyz > /dev/null"), 0);
  EXPECT_NE(run("curl -sf " + base + "/nothing > /dev/null"), 0) << "404";

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << testing::read_file(dir + "/serve.log");
  EXPECT_NE(testing::read_file(dir + "/serve.log").find("transactions"), std::string::npos)
      << "says what it did on the way out";

  auto out = read_outputs(bootstrap, prefix, kOutputs, 1);
  const auto finals_given = sorted_values(out["enriched_events"], "final");
  // Event time stops at the newest record: the events whose after window
  // ends later never get a final record live (replay's end of input gives
  // them one with what there is).
  EXPECT_GE(finals_given.size(), replay_enriched.size() * 3 / 4);
  std::set<std::string> replayed(replay_enriched.begin(), replay_enriched.end());
  std::set<std::string> ids;
  for (const std::string& v : finals_given) {
    EXPECT_TRUE(replayed.count(v)) << "as replay gives it: " << v.substr(0, 200);
    const auto at = v.find("\"event_id\":\"") + 12;
    EXPECT_TRUE(ids.insert(v.substr(at, v.find('"', at) - at)).second) << "once: " << v.substr(0, 120);
  }
  EXPECT_EQ(sorted_values(out["enriched_events"], "provisional").size(), replay_enriched.size())
      << "every event got its provisional record as it arrived";
}

}  // namespace
}  // namespace eventlens
