// `eventlens serve --kafka` under faults, against the real broker: killed
// with SIGKILL mid-stream and restarted; two members of one group, one
// killed, the survivor taking its partitions over. After each, the
// read_committed outputs hold every result exactly once — none lost, none
// doubled — and the results are the ones an uninterrupted run gives.
// (Label kafka_faults as well as kafka; the seconds each test takes are in
// its comment.)
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kafka/admin.h"
#include "model/time.h"
#include "serve_harness.h"
#include "sink/kafka_producer.h"
#include "support/test_data.h"
#include "test_broker.h"

namespace eventlens {
namespace {

using namespace std::chrono_literals;
using namespace testing;

// A stream of `services` services' metrics (requests, errors, latency as
// sum and count, every 15 s for `steps` steps: 4 x services x steps samples)
// and `events_per_service` events each (deploys, scalings, config changes
// at random moments; every third deploy doubles its service's latency for
// ten minutes), written as files under `dir` for replay and produced, keyed
// by service, to the input topics of `prefix`.
struct Stream {
  std::size_t events = 0;
  std::size_t samples = 0;
};

Stream produce_stream(const std::string& bootstrap, const std::string& prefix, const std::string& dir,
                      int services, int steps, int events_per_service, std::uint32_t seed) {
  constexpr TimeNs kStep = 15 * kNanosPerSecond;
  const TimeNs start = 1'795'392'000LL * kNanosPerSecond;  // 2026-11-23T00:00:00Z
  std::mt19937 random(seed);
  struct Ev {
    TimeNs time;
    int service;
    int n;
    std::string type;
  };
  const std::vector<std::string> types = {"deploy", "scale_up", "config_change", "scale_down"};
  std::vector<Ev> events;
  std::uniform_int_distribution<TimeNs> when(kStep * 60, kStep * (steps - 60));
  for (int s = 0; s < services; ++s) {
    for (int n = 0; n < events_per_service; ++n) {
      events.push_back({start + when(random), s, n, types[n % types.size()]});
    }
  }
  std::sort(events.begin(), events.end(), [](const Ev& a, const Ev& b) { return a.time < b.time; });
  // Slow (latency doubled) until this time, by service.
  std::vector<TimeNs> slow_until(services, 0);

  sink::KafkaProducerOptions po;
  po.properties = {{"bootstrap.servers", bootstrap},
                   {"linger.ms", "20"},
                   {"compression.type", "lz4"},
                   {"batch.num.messages", "10000"}};
  auto producer = sink::KafkaProducer::create(po);
  EXPECT_TRUE(producer) << producer.error().to_string();
  std::filesystem::create_directories(dir);
  std::ofstream events_file(dir + "/events.jsonl"), metrics_file(dir + "/metrics.jsonl");
  auto service_name = [](int s) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "svc-%03d", s);
    return std::string(buf);
  };
  struct Counters {
    double requests = 0, errors = 0, latency_sum = 0;
  };
  std::vector<Counters> counters(services);
  std::normal_distribution<double> noise(0, 0.05);
  Stream out;
  std::size_t next_event = 0;
  std::string line;
  for (int k = 0; k < steps; ++k) {
    const TimeNs t = start + k * kStep;
    // The events up to this step, in time order, before its samples.
    for (; next_event < events.size() && events[next_event].time <= t; ++next_event) {
      const Ev& e = events[next_event];
      const std::string service = service_name(e.service);
      const bool change = e.type == "deploy" || e.type == "config_change";
      if (e.type == "deploy" && e.n % 3 == 0) slow_until[e.service] = e.time + 40 * kStep;
      line = R"({"id":"ev-)" + service + "-" + std::to_string(e.n) + R"(","time":")" + format_rfc3339(e.time) +
             R"(","category":")" + (change ? "change" : "scaling") + R"(","type":")" + e.type +
             R"(","service":")" + service + R"("})";
      events_file << line << '\n';
      EXPECT_TRUE(producer->produce(prefix + (change ? "change_events" : "scaling_events"), service, line));
      ++out.events;
    }
    for (int s = 0; s < services; ++s) {
      const std::string service = service_name(s);
      const double rps = 50 + 10 * std::sin(k / 240.0 + s) + 5 * noise(random);
      const double latency = (0.05 + 0.001 * s) * (1 + noise(random)) * (t < slow_until[s] ? 2 : 1);
      Counters& c = counters[s];
      c.requests += rps * 15;
      c.errors += rps * 15 * 0.002;
      c.latency_sum += rps * 15 * latency;
      const std::string labels = R"(","labels":{"service":")" + service + R"("},"time":")" + format_rfc3339(t) +
                                 R"(","value":)";
      for (const auto& [name, value] : {std::pair<const char*, double>{"http_requests_total", c.requests},
                                        {"http_requests_errors_total", c.errors},
                                        {"http_request_duration_seconds_sum", c.latency_sum},
                                        {"http_request_duration_seconds_count", c.requests}}) {
        char v[32];
        std::snprintf(v, sizeof v, "%.3f", value);
        line = std::string(R"({"name":")") + name + labels + v + "}";
        metrics_file << line << '\n';
        EXPECT_TRUE(producer->produce(prefix + "metrics", service, line));
        ++out.samples;
      }
    }
  }
  EXPECT_TRUE(producer->flush(120s));
  return out;
}

// The event id of an enriched record.
std::string event_id(const std::string& json) { return json_string(json, "event_id"); }

class KafkaFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = kafka_bootstrap();
    ASSERT_TRUE(b) << b.error().to_string();
    bootstrap = *b;
  }
  // Topics of a fresh prefix with `partitions` partitions (outputs too).
  void create_topics(const std::string& name, int partitions) {
    prefix = unique_kafka_name(name + "-") + ".";
    dir = std::string(EVENTLENS_TEST_TMP) + "/kafka-" + name;
    std::filesystem::remove_all(dir);
    auto admin = kafka::KafkaAdmin::create({{"bootstrap.servers", bootstrap}});
    ASSERT_TRUE(admin) << admin.error().to_string();
    std::vector<kafka::NewTopic> topics;
    for (const auto& t : kInputs) topics.push_back({prefix + t, partitions, {}});
    for (const auto& t : kOutputs) topics.push_back({prefix + t, partitions, {}});
    ASSERT_TRUE(admin->create_topics(topics, 30s));
  }
  // `replay` of the files under `dir`/in into `dir`/replay.
  void replay() {
    ASSERT_EQ(run(std::string(EVENTLENS_BINARY) + " replay --quiet --events " + dir + "/in/events.jsonl --metrics " +
                  dir + "/in/metrics.jsonl --out " + dir + "/replay"),
              0);
  }
  // `transaction_timeout`: how long a transaction a killed member left open
  // holds the member taking its partitions over, at most.
  std::vector<std::string> serve_args(const std::string& group, const std::string& instance, bool bounded,
                                      const std::string& transaction_timeout = "10") const {
    std::vector<std::string> args = {"--kafka",         bootstrap, "--topic-prefix", prefix, "--group", group,
                                     "--instance",      instance,  "--metrics-listen", "127.0.0.1:0",
                                     "--snapshot-interval", "3",
                                     "--transaction-timeout", transaction_timeout,
                                     // A member that died hands its partitions on after 6 s (the
                                     // broker's least), not librdkafka's 45.
                                     "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=1000"};
    if (bounded) args.push_back("--bounded");
    return args;
  }
  std::string bootstrap, prefix, dir;
};

// Waits up to `limit` for `pid` to exit; returns its wait status, or -1
// when it is still running (then it is killed).
int wait_exit(pid_t pid, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(100ms);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

// How many events enriched records of one stage cover, and how many of
// those events got more than one.
struct PerEvent {
  std::size_t events = 0;
  std::size_t doubled = 0;
};

PerEvent per_event(const std::vector<std::string>& records) {
  std::map<std::string, int> n;
  for (const std::string& v : records) ++n[event_id(v)];
  PerEvent out{n.size(), 0};
  for (const auto& [id, count] : n) out.doubled += count > 1;
  return out;
}

// Results as replay gives them, each once: every final enriched record of
// an input event, incidents and problems.
void expect_as_replay_once(std::map<std::string, std::vector<OutputMessage>> out, const std::string& replay_dir,
                           std::size_t events) {
  const auto finals = sorted_values(out["enriched_events"], "final");
  const PerEvent final_per_event = per_event(finals);
  EXPECT_EQ(final_per_event.events, events) << "a final record for every event";
  EXPECT_EQ(final_per_event.doubled, 0u) << "none doubled";
  const PerEvent provisional = per_event(sorted_values(out["enriched_events"], "provisional"));
  EXPECT_EQ(provisional.events, events);
  EXPECT_EQ(provisional.doubled, 0u) << "provisional records not doubled either";

  const auto replayed = sorted_lines(replay_dir + "/enriched_events.jsonl");
  std::size_t differ = 0;
  std::set<std::string> replayed_set(replayed.begin(), replayed.end());
  for (const std::string& v : finals) {
    if (!replayed_set.count(v) && ++differ <= 5) ADD_FAILURE() << "not as replay gives it: " << v.substr(0, 300);
  }
  EXPECT_EQ(differ, 0u) << "final enriched records that differ from replay's";
  EXPECT_EQ(sorted_values(out["incidents"], "final"), sorted_lines(replay_dir + "/incidents.jsonl"));
  EXPECT_EQ(sorted_values(out["problems"], ""), sorted_lines(replay_dir + "/problems.jsonl"));
}

// SIGKILL at three random moments while 20,000 events and 2,000,000 metric
// samples stream through one partition; each restart restores the task from
// the state topic. The outputs equal replay's byte for byte, each once.
// About 90 s here (30 s producing, 3 x ~20 s of serve, replay).
TEST_F(KafkaFaults, KilledThreeTimesMidStreamEveryResultOnceAsReplayGivesIt) {
  create_topics("kill", 1);
  if (HasFatalFailure()) return;
  const Stream stream = produce_stream(bootstrap, prefix, dir + "/in", 100, 5000, 200, 7);
  ASSERT_EQ(stream.events, 20'000u);
  ASSERT_EQ(stream.samples, 2'000'000u);
  replay();
  if (HasFatalFailure()) return;

  const std::string group = unique_kafka_name("kill-group");
  std::random_device device;
  const std::uint32_t seed = std::getenv("EVENTLENS_FAULT_SEED") != nullptr
                                 ? static_cast<std::uint32_t>(std::stoul(std::getenv("EVENTLENS_FAULT_SEED")))
                                 : device();
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> after_ms(2'000, 9'000);
  std::printf("kill moments from EVENTLENS_FAULT_SEED=%u\n", seed);
  for (int kill_n = 0; kill_n < 3; ++kill_n) {
    const std::string log = dir + "/serve-" + std::to_string(kill_n) + ".log";
    const pid_t pid = spawn_serve(serve_args(group, "one", /*bounded=*/true), log);
    const int wait = after_ms(random);
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, WNOHANG), 0) << "still running when killed: " << read_file(log);
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    std::printf("killed after %d ms\n", wait);
  }
  const std::string log = dir + "/serve-last.log";
  const pid_t pid = spawn_serve(serve_args(group, "one", /*bounded=*/true), log);
  const int status = wait_exit(pid, 300s);
  ASSERT_TRUE(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_file(log);
  const std::string said = read_file(log);
  EXPECT_NE(said.find("restored snapshot"), std::string::npos) << "rebuilt from the state topic: " << said;

  expect_as_replay_once(read_outputs(bootstrap, prefix, kOutputs, 1), dir + "/replay", stream.events);
}

// The broker stopped for 10 s mid-stream (SIGTERM, as an operator or a
// node's restart would) and started again on its own data: serve rides it
// out by itself (its transactions may stay open 60 s here) and every result
// is there once, byte for byte as replay's. A broker of its own, not the
// shared one. About 90 s (the broker starts twice, ~15 s each).
TEST_F(KafkaFaults, ABrokerDownForTenSecondsMidStreamLosesAndDoublesNothing) {
  const std::string broker_dir = std::string(EVENTLENS_TEST_TMP) + "/kafka-outage-broker";
  ASSERT_EQ(kafka_script("start --dir '" + broker_dir + "' > '" + broker_dir + ".log' 2>&1"), 0)
      << read_file(broker_dir + ".log");
  struct Stop {
    std::string dir;
    ~Stop() { kafka_script("stop --dir '" + dir + "' > /dev/null 2>&1"); }
  } stop{broker_dir};
  bootstrap = read_file(broker_dir + "/bootstrap");
  bootstrap.erase(bootstrap.find_last_not_of("\n") + 1);
  create_topics("outage", 1);
  if (HasFatalFailure()) return;
  const Stream stream = produce_stream(bootstrap, prefix, dir + "/in", 60, 5000, 100, 13);
  replay();
  if (HasFatalFailure()) return;

  const auto args = serve_args(unique_kafka_name("outage-group"), "one", /*bounded=*/true, "60");
  const std::string log = dir + "/serve.log";
  const pid_t pid = spawn_serve(args, log);
  bool working = false;
  for (int i = 0; i < 150 && !working; ++i) {
    std::this_thread::sleep_for(100ms);
    working = read_file(log).find("task 0") != std::string::npos;
  }
  ASSERT_TRUE(working) << read_file(log);
  std::this_thread::sleep_for(2s);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, WNOHANG), 0) << "still running when the broker goes: " << read_file(log);
  ASSERT_EQ(kafka_script("restart --dir '" + broker_dir + "' --down 10 >> '" + broker_dir + ".log' 2>&1"), 0)
      << read_file(broker_dir + ".log");
  status = wait_exit(pid, 300s);
  ASSERT_TRUE(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_file(log);
  expect_as_replay_once(read_outputs(bootstrap, prefix, kOutputs, 1), dir + "/replay", stream.events);
}

// Two members of one group split four partitions, live; one is killed with
// SIGKILL; the survivor takes its partitions over (after the session
// timeout, 6 s), rebuilds their tasks from the state topic (once the dead
// member's open transaction is aborted, up to 10 s more) and catches up.
// Stopped by SIGTERM (every task snapshotted), the survivor is restarted as
// a bounded run that finishes the stream from those snapshots. Every final
// record is there once, with replay's verdict. About 60 s.
TEST_F(KafkaFaults, TheSurvivorOfTwoTakesOverTheKilledMembersPartitionsWithTheirState) {
  create_topics("takeover", 4);
  if (HasFatalFailure()) return;
  const Stream stream = produce_stream(bootstrap, prefix, dir + "/in", 80, 5000, 100, 11);
  replay();
  if (HasFatalFailure()) return;
  const std::string group = unique_kafka_name("takeover-group");
  const pid_t survivor = spawn_serve(serve_args(group, "a", /*bounded=*/false), dir + "/a.log");
  const pid_t victim = spawn_serve(serve_args(group, "b", /*bounded=*/false), dir + "/b.log");
  // Until each holds some partitions and has worked on them a moment.
  bool split = false;
  for (int i = 0; i < 150 && !split; ++i) {
    std::this_thread::sleep_for(100ms);
    split = read_file(dir + "/a.log").find("task ") != std::string::npos &&
            read_file(dir + "/b.log").find("task ") != std::string::npos;
  }
  ASSERT_TRUE(split) << read_file(dir + "/a.log") << read_file(dir + "/b.log");
  std::this_thread::sleep_for(2s);
  ASSERT_EQ(kill(victim, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(victim, &status, 0), victim);

  // The takeover, then the survivor caught up: final records stop coming.
  bool took_over = false;
  for (int i = 0; i < 600 && !took_over; ++i) {
    std::this_thread::sleep_for(100ms);
    took_over = read_file(dir + "/a.log").find("assigned 28 partitions") != std::string::npos;
  }
  ASSERT_TRUE(took_over) << read_file(dir + "/a.log");
  std::size_t finals = 0, steady = 0;
  for (int i = 0; i < 60 && steady < 3; ++i) {
    std::this_thread::sleep_for(2s);
    const std::size_t n = sorted_values(read_outputs(bootstrap, prefix, {"enriched_events"}, 4)["enriched_events"],
                                        "final")
                              .size();
    steady = n > 0 && n == finals ? steady + 1 : 0;
    finals = n;
  }
  ASSERT_EQ(kill(survivor, SIGTERM), 0);
  status = wait_exit(survivor, 60s);
  const std::string said = read_file(dir + "/a.log");
  ASSERT_TRUE(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) << said;
  const std::string after_takeover = said.substr(said.find("assigned 28 partitions"));
  EXPECT_NE(after_takeover.find("task 2: restored snapshot"), std::string::npos) << said;
  EXPECT_NE(after_takeover.find("task 3: restored snapshot"), std::string::npos) << said;

  const pid_t finisher = spawn_serve(serve_args(group, "a", /*bounded=*/true), dir + "/a-bounded.log");
  status = wait_exit(finisher, 240s);
  ASSERT_TRUE(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_file(dir + "/a-bounded.log");

  // Until the broker aborts the transaction the killed member left open
  // (its timeout, 10 s here, then the broker's check for such, every 10 s),
  // read_committed readers of its partitions stop there and see nothing
  // committed after it: read again until everything shows, for a minute.
  std::map<std::string, std::vector<OutputMessage>> out;
  std::vector<std::string> all_finals;
  PerEvent final_per_event;
  for (int i = 0; i < 30; ++i) {
    out = read_outputs(bootstrap, prefix, kOutputs, 4);
    all_finals = sorted_values(out["enriched_events"], "final");
    final_per_event = per_event(all_finals);
    if (final_per_event.events >= stream.events) break;
    std::this_thread::sleep_for(2s);
  }
  EXPECT_EQ(final_per_event.events, stream.events) << "a final record for every event";
  EXPECT_EQ(final_per_event.doubled, 0u) << "none doubled";
  // Verdicts as replay's (one engine over everything): a service's events
  // and samples meet in one task, so each event is judged the same.
  std::map<std::string, std::string> replay_verdict;
  for (const std::string& line : sorted_lines(dir + "/replay/enriched_events.jsonl")) {
    replay_verdict[event_id(line)] = json_string(line.substr(line.find("\"verdict\"")), "value");
  }
  std::size_t same = 0, differ = 0;
  for (const std::string& v : all_finals) {
    const std::string verdict = json_string(v.substr(v.find("\"verdict\"")), "value");
    if (replay_verdict[event_id(v)] == verdict) {
      ++same;
    } else if (++differ <= 5) {
      ADD_FAILURE() << event_id(v) << ": " << verdict << ", replay " << replay_verdict[event_id(v)];
    }
  }
  EXPECT_EQ(same, stream.events);
}

}  // namespace
}  // namespace eventlens
