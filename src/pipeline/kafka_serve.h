// The pipeline on Kafka (`eventlens serve --kafka`): the input topics read as
// one consumer group; each assigned partition number is a task with an engine
// of its own (a service's events and telemetry, keyed by service, meet there);
// results go to the output topics in transactions that also carry the
// consumed offsets, so read_committed readers see every result exactly once
// (docs/kafka.md, "serve --kafka"). Single-threaded: one thread polls, runs
// the tasks and commits.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kafka/client_properties.h"
#include "model/result.h"

namespace eventlens::pipeline {

// Topic names, before `KafkaServeSpec::topic_prefix`.
struct KafkaTopics {
  std::vector<std::string> inputs = {"scaling_events", "failure_events", "resource_provisioning",
                                     "change_events",  "metrics",        "logs",
                                     "traces"};
  std::string enriched = "enriched_events";
  std::string incidents = "incidents";
  std::string problems = "problems";
  std::string dead_letter = "dead_letter";
  // The tasks' state (kafka_task_state.h), compacted: `<group>` + this.
  std::string state_suffix = "-state";
};

struct KafkaServeSpec {
  std::string brokers;
  std::string group = "eventlens";
  // This process among the group's: names its transactional producer
  // (`<group>-<instance>`), so that a restarted instance fences its
  // predecessor and aborts what that one left open at once, instead of
  // read_committed readers waiting for the broker's transaction timeout.
  std::string instance;
  // The instance joins as a static member (group.instance.id = instance): a
  // restart gets its partitions back at once, without a rebalance; a member
  // that stops or dies keeps them until session.timeout.ms passes.
  bool static_membership = false;
  std::string config;        // YAML file; empty for the built-in defaults
  std::string topic_prefix;  // prepended to every topic name
  KafkaTopics topics;
  // Partitions of the topics it creates when no input topic exists yet
  // (else the input topics' count).
  int partitions = 1;
  // librdkafka properties (the configuration's `kafka.*` keys) for both clients.
  kafka::ClientProperties properties;
  // Stop once every assigned partition has been read to its end: results as
  // `replay` gives them for the same records (a backfill), then exit.
  bool bounded = false;
  bool provisional = true;  // provisional enriched records as events arrive
  // How often a transaction is committed: results reach readers this much
  // after they were made, at worst.
  std::chrono::milliseconds commit_interval{100};
  // A record dated further than this ahead of this machine's clock goes to
  // dead_letter: a producer's clock far ahead would carry event time with it.
  // (A partition that sends nothing for the configuration's
  // stream.idle_timeout stops holding event time back.)
  std::chrono::milliseconds max_ahead_of_clock{10 * 60 * 1000};
  // Where /metrics (Prometheus text), /healthz and /readyz are served;
  // empty for nowhere. Port 0 picks a free port (the log says which).
  std::string metrics_listen = "127.0.0.1:9464";
  // How long a transaction call may take before the run gives up (also the
  // broker's transaction.timeout.ms: how long a transaction left open by a
  // member that died holds read_committed readers, and a restore).
  std::chrono::milliseconds transaction_timeout{30'000};
  // How often each task's state is snapshotted to the state topic: a task
  // taken over reads its inputs again from its last snapshot. Also taken
  // when a task starts, when its partitions are revoked and at SIGTERM.
  std::chrono::milliseconds snapshot_interval{10'000};
  // Start every task from empty state, reading its inputs from the first
  // record kept, whatever state and offsets exist (results go out again).
  bool reset_state = false;
};

struct KafkaServeCounts {
  std::uint64_t messages = 0;       // consumed
  std::uint64_t records = 0;        // decoded and handed to an engine
  std::uint64_t rejected = 0;       // refused by a decoder (to dead_letter)
  std::uint64_t produced = 0;       // output messages
  std::uint64_t transactions = 0;   // committed
  std::uint64_t rebalances = 0;     // assignments received
  std::uint64_t pauses = 0;         // partitions paused while their task waited for a slower one
  std::uint64_t broadcast = 0;      // keyless records handed to the other tasks too
  std::uint64_t snapshots = 0;      // task snapshots written to the state topic
  std::uint64_t snapshot_bytes = 0; // ... their bytes
  std::uint64_t state_bytes = 0;    // everything written to the state topic (snapshots, records of results)
  std::uint64_t restored = 0;       // tasks rebuilt from a snapshot
  std::uint64_t suppressed = 0;     // results a restored task made again, not produced twice
};

// What a person running it hears of: assignments, commits that failed,
// the end of a bounded run.
using KafkaServeLog = std::function<void(const std::string&)>;

// Runs until `stop` becomes true (SIGTERM: what is done is committed and the
// group is left cleanly) or, bounded, until every partition is read. Returns
// the counts, or an Error naming what failed: the configuration, a topic, the
// broker, a transaction that could not be committed.
Result<KafkaServeCounts> run_kafka_serve(const KafkaServeSpec& spec, const std::atomic<bool>& stop,
                                         const KafkaServeLog& log = {});

}  // namespace eventlens::pipeline
