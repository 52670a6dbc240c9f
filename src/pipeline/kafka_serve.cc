#include "pipeline/kafka_serve.h"

#include <xxhash.h>

#include <algorithm>
#include <deque>
#include <cstdio>
#include <map>
#include <mutex>
#include <memory>
#include <optional>
#include <set>
#include <unordered_set>
#include <utility>

#include "codec/decoder.h"
#include "correlate/config.h"
#include "correlate/results_json.h"
#include "http/server.h"
#include "kafka/admin.h"
#include "pipeline/engine.h"
#include "pipeline/file_inputs.h"
#include "pipeline/kafka_task_state.h"
#include "sink/kafka_producer.h"
#include "source/kafka_consumer.h"

namespace eventlens::pipeline {

namespace {

using Clock = std::chrono::steady_clock;

// A dead letter carries the bytes it came as, up to this many; a longer
// original is cut, and its size and hash say what it was.
constexpr std::size_t kDeadLetterBytes = 64 * 1024;

// Messages taken per poll: enough to amortize the poll, few enough that a
// commit is never far away.
constexpr std::size_t kPollBatch = 10'000;
constexpr std::chrono::milliseconds kPollWait{100};

// A partition whose records wait in its task's buffer beyond this many is
// paused (the task waits for a slower input to catch up in event time), and
// resumed below half of it: memory stays bounded whatever the inputs' pace.
constexpr std::size_t kPauseAbove = 50'000;

// How often a retriable transaction call is tried before the run gives up.
constexpr int kTransactionTries = 5;

TimeNs wall_clock_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Where a record came from: what a dead letter says of it.
struct Origin {
  const std::string* topic = nullptr;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;
};

kafka::Headers origin_headers(const Origin& o, const Error& reason) {
  return {{"eventlens.source.topic", *o.topic},
          {"eventlens.source.partition", std::to_string(o.partition)},
          {"eventlens.source.offset", std::to_string(o.offset)},
          {"eventlens.reason", reason.to_string()}};
}

// What /metrics, /healthz and /readyz answer: written by the serve loop,
// read by the HTTP server's thread.
class Board {
 public:
  void publish(std::string metrics) {
    std::lock_guard lock(mutex_);
    metrics_ = std::move(metrics);
    last_loop_ = Clock::now();
  }
  void set_ready(bool ready) {
    std::lock_guard lock(mutex_);
    ready_ = ready;
  }
  http::Response answer(const http::Request& r) const {
    std::lock_guard lock(mutex_);
    const std::string path = r.target.substr(0, r.target.find('?'));
    if (r.method != "GET" && r.method != "HEAD") return {405, "text/plain; charset=utf-8", "GET only\n"};
    if (path == "/metrics") return {200, "text/plain; version=0.0.4; charset=utf-8", metrics_};
    if (path == "/healthz") {
      // Alive: the loop went round within the last 30 s (a poll waits 100 ms;
      // a transaction may take the transaction timeout, 30 s).
      const bool alive = Clock::now() - last_loop_ < std::chrono::seconds(30);
      return {alive ? 200 : 503, "text/plain; charset=utf-8", alive ? "ok\n" : "the serve loop is stuck\n"};
    }
    if (path == "/readyz") {
      return {ready_ ? 200 : 503, "text/plain; charset=utf-8", ready_ ? "ready\n" : "waiting for partitions\n"};
    }
    return {404, "text/plain; charset=utf-8", "not found: /metrics, /healthz, /readyz\n"};
  }

 private:
  mutable std::mutex mutex_;
  std::string metrics_;
  Clock::time_point last_loop_ = Clock::now();
  bool ready_ = false;
};

// The output side of one run: a transactional producer, the topic names,
// and the first error met while producing (results are produced from inside
// the engines' callbacks, where no error can be returned).
class Output {
 public:
  Output(sink::KafkaProducer& producer, const KafkaServeSpec& spec) : producer_(producer) {
    const std::string& p = spec.topic_prefix;
    enriched_ = p + spec.topics.enriched;
    incidents_ = p + spec.topics.incidents;
    problems_ = p + spec.topics.problems;
    dead_letter_ = p + spec.topics.dead_letter;
  }

  void send(const std::string& topic, std::string_view key, std::string_view value, const kafka::Headers& headers) {
    if (Status st = producer_.produce(topic, key, value, headers); !st && !error_) error_ = st.error();
    ++produced_;
    ++per_topic_[topic];
  }
  const std::map<std::string, std::uint64_t>& per_topic() const { return per_topic_; }

  const std::string& enriched() const { return enriched_; }
  const std::string& incidents() const { return incidents_; }
  const std::string& problems() const { return problems_; }
  const std::string& dead_letter() const { return dead_letter_; }
  std::optional<Error> take_error() { return std::exchange(error_, std::nullopt); }
  std::uint64_t produced() const { return produced_; }

 private:
  sink::KafkaProducer& producer_;
  std::string enriched_, incidents_, problems_, dead_letter_;
  std::optional<Error> error_;
  std::uint64_t produced_ = 0;
  std::map<std::string, std::uint64_t> per_topic_;
};

// What a task produced, by identity ("e:<event id>:f" for a final enriched
// record, ...): what a restored task must not produce again, and what the
// state topic hears of at the next commit.
class Produced {
 public:
  // True when `identity` is to go out: not among what was committed before
  // the task was restored (each of those is held back once).
  bool first_time(std::string identity) {
    if (!already_.empty()) {
      if (auto it = already_.find(identity); it != already_.end()) {
        already_.erase(it);
        ++suppressed_;
        return false;
      }
    }
    since_commit_.push_back(std::move(identity));
    return true;
  }
  void restore(std::vector<std::string> committed) {
    already_.clear();
    for (std::string& id : committed) already_.insert(std::move(id));
  }
  // Committed before the restore and not made again yet.
  std::vector<std::string> still_held() const { return {already_.begin(), already_.end()}; }
  void forget_held() { already_.clear(); }
  std::vector<std::string> take_since_commit() { return std::exchange(since_commit_, {}); }
  std::uint64_t suppressed() const { return suppressed_; }

 private:
  std::unordered_set<std::string> already_;
  std::vector<std::string> since_commit_;
  std::uint64_t suppressed_ = 0;
};

// One task's results, keyed by service, on their topics. `current` is where
// the record the engine is taking in came from: a record it refuses goes to
// dead_letter with that origin.
class TaskSink final : public correlate::ResultSink {
 public:
  TaskSink(Output& out, const Origin*& current, Produced& produced)
      : out_(out), current_(current), produced_(produced) {}

  void on_enriched(const correlate::EnrichedEvent& e) override {
    if (!produced_.first_time("e:" + e.event.id + (e.provisional ? ":p" : ":f"))) return;
    value_.clear();
    correlate::append_enriched_json(value_, e);
    out_.send(out_.enriched(), e.event.service, value_, {{"eventlens.stage", e.provisional ? "provisional" : "final"}});
  }
  void on_incident(const correlate::Incident& incident, bool final) override {
    if (!produced_.first_time("i:" + incident.id + (final ? ":f" : ":o"))) return;
    value_.clear();
    correlate::append_incident_json(value_, incident);
    out_.send(out_.incidents(), incident.service, value_, {{"eventlens.stage", final ? "final" : "open"}});
  }
  void on_problem(const correlate::Problem& problem) override {
    if (!produced_.first_time("p:" + problem.id)) return;
    value_.clear();
    correlate::append_problem_json(value_, problem);
    out_.send(out_.problems(), problem.root, value_, {});
  }
  // serve answers no named symptoms (replay --explain does).
  void on_explanation(const correlate::Explanation&) override {}
  void on_dead_letter(const Record& record, const Error& reason) override {
    std::string identity = "x:" + reason.to_string();
    if (current_ != nullptr) {
      identity += ":" + *current_->topic + ":" + std::to_string(current_->partition) + ":" +
                  std::to_string(current_->offset);
    }
    if (!produced_.first_time(std::move(identity))) return;
    value_.clear();
    correlate::append_dead_letter_json(value_, record, reason);
    kafka::Headers headers;
    if (current_ != nullptr) headers = origin_headers(*current_, reason);
    out_.send(out_.dead_letter(), current_ != nullptr ? std::string_view(current_->key) : std::string_view(), value_,
              headers);
  }

 private:
  Output& out_;
  const Origin*& current_;
  Produced& produced_;
  std::string value_;
};

// A decoded record waiting for its turn, and where it came from.
struct Buffered {
  Record record;
  TimeNs time = 0;
  Origin origin;
};

// One input topic's partition as an input of its task's engine. Its records
// wait here until the task takes them in event-time order.
struct TaskInput {
  std::string topic;
  std::size_t order = 0;  // the topic's place among the inputs: breaks ties in time
  std::size_t id = 0;     // the engine's input
  std::deque<Buffered> buffered;
  TimeNs announced = 0;   // the latest heartbeat given for it
  // Kafka offsets: after the last message taken, and as last committed.
  std::int64_t next_offset = -1;
  std::int64_t committed = -1;
  Clock::time_point last_record;
  bool idle = false;    // told to the engine
  bool at_end = false;  // bounded: read to its end
  bool paused = false;
};

// The engine of one partition number and the inputs that feed it. As
// `replay` merges its files, a task hands its engine the earliest record
// any input holds, once every input that may still send something holds
// one (as a Kafka Streams task picks among its partitions' buffered
// records): inputs consumed at different speeds meet in event time.
struct Task {
  const Origin* current = nullptr;
  Produced produced;
  std::unique_ptr<TaskSink> sink;  // before the engine, which reports to it
  std::unique_ptr<Engine> engine;
  // In the order of the spec's topics; by pointer, so that the records
  // buffered in one (which point at its topic's name) survive adding another.
  std::vector<std::unique_ptr<TaskInput>> inputs;
  // The engine's input for the keyless records of other tasks' partitions,
  // made with the task.
  std::optional<std::size_t> cluster_input;
  // Its state on the state topic (kafka_task_state.h): the latest
  // snapshot's generation and chunks, the `emitted` records since.
  std::uint64_t generation = 0;
  std::size_t snapshot_chunks = 0;
  std::uint64_t emitted_next = 0;  // the n of the next `emitted/<n>` record
  Clock::time_point last_snapshot = Clock::now();
  bool snapshot_due = false;  // at the next commit, whatever the interval
  std::vector<kafka::PartitionOffset> snapshot_positions;  // its inputs' offsets at the latest
  int held_across = 0;        // snapshots the restored identities were carried over

  TaskInput* input(const std::string& topic) {
    for (auto& in : inputs) {
      if (in->topic == topic) return in.get();
    }
    return nullptr;
  }
};

// Decodes a message's records into its input's buffer; keeps what the
// decoder refused for the dead letters.
class ToBuffer final : public codec::RecordHandler {
 public:
  // `latest`: the newest event time taken (the wall clock plus the skew
  // allowed); a record dated later is refused.
  void reset(TaskInput* input, const source::ConsumedMessage& m, TimeNs latest, TimeNs skew) {
    input_ = input;
    origin_ = Origin{&input->topic, m.partition, m.offset, m.key};
    latest_ = latest;
    skew_ = skew;
    rejects.clear();
  }
  void on_record(const Record& record, std::size_t) override {
    const TimeNs t = record_time(record);
    if (t > latest_) {
      // A clock far ahead would carry event time with it: every record
      // after it would be late, every window closed before its data came.
      rejects.push_back(make_error(std::holds_alternative<Span>(record) ? "start" : "time",
                                   format_rfc3339(t) + " is more than " + std::to_string(skew_ / kNanosPerSecond) +
                                       " s ahead of this machine's clock"));
      return;
    }
    input_->buffered.push_back(Buffered{record, t, origin_});
  }
  void on_reject(Error&& error, std::size_t) override { rejects.push_back(std::move(error)); }

  std::vector<Error> rejects;

 private:
  TaskInput* input_ = nullptr;
  Origin origin_;
  TimeNs latest_ = 0;
  TimeNs skew_ = 0;
};

class KafkaServe {
 public:
  // `configuration`: a hash of what shapes the engines' state; a snapshot
  // taken under another is refused.
  KafkaServe(const KafkaServeSpec& spec, correlate::Config config, std::uint64_t configuration,
             const KafkaServeLog& log, Board& board)
      : spec_(spec),
        config_(std::move(config)),
        configuration_(configuration),
        log_(log),
        board_(board),
        skew_(std::chrono::duration_cast<std::chrono::nanoseconds>(spec.max_ahead_of_clock).count()),
        state_topic_(spec.topic_prefix + spec.group + spec.topics.state_suffix) {
    for (const std::string& t : spec.topics.inputs) inputs_.push_back(spec.topic_prefix + t);
  }

  Result<KafkaServeCounts> run(const std::atomic<bool>& stop);

 private:
  // Checks that the input topics are co-partitioned and creates the
  // missing inputs and outputs with their partition count.
  Status prepare_topics(const kafka::ClientProperties& properties);
  void say(const std::string& line) const {
    if (log_) log_(line);
  }
  // Rebuilds the tasks of the partitions assigned from the state topic;
  // returns where each partition is read from.
  std::vector<kafka::PartitionOffset> assigned(const std::vector<kafka::TopicPartition>& partitions);
  Status restore(const std::vector<kafka::TopicPartition>& partitions, std::vector<kafka::PartitionOffset>& start);
  void revoked(const std::vector<kafka::TopicPartition>& partitions);
  Task& task_for(std::int32_t partition);
  void take(const source::ConsumedMessage& m);
  // `index`: which of the message's refusals (a message may hold many records).
  void dead_letter(Task& t, const source::ConsumedMessage& m, const Error& reason, std::size_t index);
  TaskInput& input_of(Task& t, const std::string& topic);
  // Hands the engines what can go in, in event-time order across every
  // task of this process (each task's own inputs come in that order too).
  void merge();
  // A record with no key belongs to no service (a node's event or metric):
  // every other task of this process gets it too.
  void broadcast(const Task& from, const Buffered& b);
  void mark_idle(Clock::time_point now);
  // Pauses the partitions whose buffers are full, resumes those drained.
  Status apply_backpressure();
  bool all_read() const;
  // Sends the consumed offsets and the tasks' state records with what the
  // engines produced since the last commit, and commits. `snapshot_all`:
  // every task's state is snapshotted (its partitions are leaving).
  Status commit(bool snapshot_all = false);
  // The state records of task `t` for this transaction; `at` its inputs'
  // positions, as committed with it.
  Status write_state(std::int32_t partition, Task& t, const std::vector<kafka::PartitionOffset>& at, bool snapshot);
  sink::TransactionStatus retried(const std::function<sink::TransactionStatus()>& call);
  // The Prometheus text of where the run is.
  std::string metrics_text();

  const KafkaServeSpec& spec_;
  correlate::Config config_;
  const std::uint64_t configuration_;
  const KafkaServeLog& log_;
  Board& board_;
  std::vector<std::string> inputs_;  // the input topics' full names, in the spec's order
  const TimeNs skew_;                // spec_.max_ahead_of_clock
  const std::string state_topic_;
  kafka::ClientProperties common_;   // both clients' properties, brokers included
  std::uint64_t state_bytes_written_ = 0;
  double last_restore_seconds_ = 0;
  TimeNs latest_ = 0;                // the newest event time taken from the batch in hand
  std::map<std::string, std::uint64_t> consumed_;  // messages by topic
  std::optional<sink::KafkaProducer> producer_;
  std::optional<Output> output_;
  std::map<std::int32_t, Task> tasks_;
  std::set<kafka::TopicPartition> assigned_;  // now
  std::uint64_t produced_at_commit_ = 0;
  std::map<codec::Format, std::unique_ptr<codec::Decoder>> decoders_;
  ToBuffer to_buffer_;
  KafkaServeCounts counts_;
  std::optional<Error> failed_;  // a commit in a rebalance callback that failed
  // Last, so destroyed first: leaving the group (when a run ends early with
  // an error) calls revoked(), which needs everything above.
  std::optional<source::KafkaConsumer> consumer_;
};

Task& KafkaServe::task_for(std::int32_t partition) {
  auto [it, added] = tasks_.try_emplace(partition);
  Task& t = it->second;
  if (added) {
    t.sink = std::make_unique<TaskSink>(*output_, t.current, t.produced);
    t.engine = std::make_unique<Engine>(config_, *t.sink, spec_.provisional);
  }
  return t;
}

std::vector<kafka::PartitionOffset> KafkaServe::assigned(const std::vector<kafka::TopicPartition>& partitions) {
  ++counts_.rebalances;
  std::vector<kafka::PartitionOffset> start;
  std::string names;
  for (const kafka::TopicPartition& tp : partitions) {
    assigned_.insert(tp);
    names += (names.empty() ? "" : " ") + tp.topic + "[" + std::to_string(tp.partition) + "]";
  }
  say("assigned " + std::to_string(partitions.size()) + " partitions: " + names);
  if (Status st = restore(partitions, start); !st && !failed_) failed_ = st.error();
  return start;
}

Status KafkaServe::restore(const std::vector<kafka::TopicPartition>& partitions,
                           std::vector<kafka::PartitionOffset>& start) {
  const auto began = Clock::now();
  std::map<std::int32_t, std::vector<const kafka::TopicPartition*>> by_task;
  for (const kafka::TopicPartition& tp : partitions) by_task[tp.partition].push_back(&tp);
  std::vector<std::int32_t> numbers;
  for (const auto& [p, _] : by_task) numbers.push_back(p);
  // A state partition that never held anything (a new group) needs no
  // reader: starting one costs most of a second.
  std::vector<std::int32_t> to_read;
  for (std::int32_t p : numbers) {
    auto marks = consumer_->watermarks({state_topic_, p}, spec_.transaction_timeout);
    if (!marks) return marks.error();
    if (marks->second > 0) to_read.push_back(p);
  }
  // A transaction a dead member left open holds read_committed readers
  // until the broker aborts it (the transaction timeout, then its check).
  auto states = read_task_states(common_, state_topic_, to_read, spec_.transaction_timeout + std::chrono::seconds(30));
  if (!states) return states.error();
  for (std::int32_t p : numbers) states->try_emplace(p);
  auto committed = consumer_->committed(partitions, spec_.transaction_timeout);
  if (!committed) return committed.error();
  const std::string* reset = kafka::find_property(common_, "auto.offset.reset");
  const bool from_latest = reset != nullptr && (*reset == "latest" || *reset == "end" || *reset == "largest");
  std::uint64_t restored_bytes = 0;
  for (auto& [p, tps] : by_task) {
    RestoredTask& state = states->at(p);
    restored_bytes += state.bytes;
    const std::string where = state_topic_ + "[" + std::to_string(p) + "]";
    Task& t = task_for(p);
    t.generation = state.generation;
    t.snapshot_chunks = state.chunks;
    t.emitted_next = state.emitted_next;
    t.last_snapshot = Clock::now();
    // The engine's inputs as a snapshot has them: the partitions in the
    // spec's order, then the context input.
    std::sort(tps.begin(), tps.end(), [this](const auto* a, const auto* b) {
      return std::find(inputs_.begin(), inputs_.end(), a->topic) < std::find(inputs_.begin(), inputs_.end(), b->topic);
    });
    for (const kafka::TopicPartition* tp : tps) input_of(t, tp->topic);
    t.cluster_input = t.engine->add_context_input();
    t.engine->set_idle(*t.cluster_input, true);
    std::map<std::string, std::int64_t> positions;
    if (state.snapshot && !spec_.reset_state) {
      if (state.snapshot->configuration != configuration_) {
        return make_error(where, "the state of partition " + std::to_string(p) +
                                     " was taken under another configuration (--config, or provisional records on "
                                     "or off): run with the one it was taken under, or with --reset-state to "
                                     "rebuild it from the input topics' retention");
      }
      if (Status st = t.engine->load(state.snapshot->engine); !st) {
        return make_error(where, st.error().to_string() +
                                     " (run with --reset-state to rebuild it from the input topics' retention)");
      }
      // Whether an input holds event time back is the merge's to say again.
      for (const auto& in : t.inputs) t.engine->set_idle(in->id, false);
      for (const kafka::PartitionOffset& o : state.snapshot->positions) positions[o.topic] = o.offset;
      t.snapshot_positions = state.snapshot->positions;
      t.produced.restore(std::move(state.emitted));
      t.held_across = 0;
      ++counts_.restored;
    } else {
      if (!spec_.reset_state && state.generation == 0) {
        // Offsets without state: this group ran an eventlens that kept no
        // state on Kafka, or the state topic was deleted.
        for (const kafka::PartitionOffset& c : *committed) {
          if (c.partition == p && c.offset >= 0) {
            return make_error(where, "partition " + std::to_string(p) + " has offsets committed in group " +
                                         spec_.group + " but no state in " + state_topic_ +
                                         ": run with --reset-state to rebuild it from the input topics' retention");
          }
        }
      }
      // A task with nothing behind it starts where its group's policy says,
      // and snapshots that start at its first commit: whoever takes it over
      // knows where its state begins.
      t.snapshot_due = true;
    }
    for (const kafka::TopicPartition* tp : tps) {
      std::int64_t at;
      if (auto it = positions.find(tp->topic); it != positions.end()) {
        at = it->second;
      } else {
        auto marks = consumer_->watermarks(*tp, spec_.transaction_timeout);
        if (!marks) return marks.error();
        at = from_latest && !spec_.reset_state ? marks->second : marks->first;
      }
      TaskInput& in = *t.input(tp->topic);
      in.next_offset = at;
      in.committed = -1;
      in.last_record = Clock::now();
      start.push_back({tp->topic, tp->partition, at});
    }
    say("task " + std::to_string(p) + ": " +
        (state.snapshot && !spec_.reset_state
             ? "restored snapshot " + std::to_string(state.generation) + " (" + std::to_string(state.bytes) +
                   " bytes read, " + std::to_string(t.produced.still_held().size()) +
                   " results already committed since)"
             : spec_.reset_state ? "state reset; reading its inputs from the first record kept"
                                 : "no state yet; starting empty"));
  }
  last_restore_seconds_ = std::chrono::duration<double>(Clock::now() - began).count();
  say("restored " + std::to_string(by_task.size()) + " tasks from " + state_topic_ + " (" +
      std::to_string(restored_bytes) + " bytes) in " + std::to_string(last_restore_seconds_) + " s");
  return ok_status();
}

void KafkaServe::revoked(const std::vector<kafka::TopicPartition>& partitions) {
  // What is done goes out with its offsets, and each task's state with a
  // snapshot of it, before another member takes the partitions over.
  if (Status st = commit(/*snapshot_all=*/true); !st && !failed_) failed_ = st.error();
  for (const auto& [partition, t] : tasks_) counts_.suppressed += t.produced.suppressed();
  tasks_.clear();
  assigned_.clear();
  say("revoked " + std::to_string(partitions.size()) + " partitions");
}

TaskInput& KafkaServe::input_of(Task& t, const std::string& topic) {
  if (TaskInput* in = t.input(topic)) return *in;
  TaskInput in;
  in.topic = topic;
  in.order = static_cast<std::size_t>(std::find(inputs_.begin(), inputs_.end(), topic) - inputs_.begin());
  in.id = t.engine->add_input();
  in.last_record = Clock::now();
  // The engine's inputs in the spec's order, whatever order they came in.
  const auto at = std::upper_bound(t.inputs.begin(), t.inputs.end(), in.order,
                                   [](std::size_t order, const auto& x) { return order < x->order; });
  return **t.inputs.insert(at, std::make_unique<TaskInput>(std::move(in)));
}

void KafkaServe::merge() {
  for (;;) {
    Task* next_task = nullptr;
    TaskInput* next = nullptr;
    for (auto& [partition, t] : tasks_) {
      for (auto& input : t.inputs) {
        TaskInput& in = *input;
        if (in.buffered.empty()) {
          // An input that may still send something earlier holds the merge;
          // one read to its end is done, as a file that ends (before any
          // further record goes in: event time must not depend on the poll
          // that brought the end).
          if (!in.at_end) {
            if (!in.idle) return;
          } else if (!in.idle) {
            // Read to its end: ended (bounded) or, live, caught up -- what
            // it sends next is as new as what the others send, so neither
            // the merge nor event time waits for it (the engine keeps event
            // time the allowed out-of-orderness short of the newest record
            // when every input is caught up).
            in.idle = true;
            t.engine->set_idle(in.id, true);
          }
          continue;
        }
        if (in.idle) {
          // Records again: it holds event time back again (a message that
          // brought none, a dead letter, does not).
          in.idle = false;
          t.engine->set_idle(in.id, false);
        }
        if (in.buffered.front().time > in.announced) {
          in.announced = in.buffered.front().time;
          t.engine->heartbeat(in.id, in.announced);
        }
        if (next == nullptr || in.buffered.front().time < next->buffered.front().time) {
          next = &in;
          next_task = &t;
        }
      }
    }
    if (next == nullptr) return;
    Task& t = *next_task;
    Buffered b = std::move(next->buffered.front());
    next->buffered.pop_front();
    t.current = &b.origin;
    t.engine->push(next->id, b.record);
    t.current = nullptr;
    ++counts_.records;
    if (b.origin.key.empty() && tasks_.size() > 1) broadcast(t, b);
    if (!next->buffered.empty()) {
      next->announced = std::max(next->announced, next->buffered.front().time);
      t.engine->heartbeat(next->id, next->announced);
    } else if (next->at_end) {
      // Its last record is in: as a file that ends, it stops holding event
      // time back now, not at the next poll (event time would stall while
      // the others go on, and bounded state would drop what a window needs).
      next->idle = true;
      t.engine->set_idle(next->id, true);
    }
  }
}

void KafkaServe::broadcast(const Task& from, const Buffered& b) {
  for (auto& [partition, t] : tasks_) {
    if (&t == &from) continue;
    if (!t.cluster_input) continue;  // made with the task
    // An input that never holds event time back: the merge hands records
    // over in event-time order across every task, so a record that comes
    // this way is never behind what the task has taken in.
    t.current = &b.origin;
    t.engine->push(*t.cluster_input, b.record);
    t.current = nullptr;
    t.engine->set_idle(*t.cluster_input, true);
    ++counts_.broadcast;
  }
}

void KafkaServe::dead_letter(Task& t, const source::ConsumedMessage& m, const Error& reason, std::size_t index) {
  if (!t.produced.first_time("d:" + m.topic + ":" + std::to_string(m.partition) + ":" + std::to_string(m.offset) +
                             ":" + std::to_string(index))) {
    return;
  }
  kafka::Headers headers = origin_headers(Origin{&m.topic, m.partition, m.offset, {}}, reason);
  std::string_view value = m.value;
  if (value.size() > kDeadLetterBytes) {
    headers.emplace_back("eventlens.size", std::to_string(value.size()));
    headers.emplace_back("eventlens.xxh3", hex64(XXH3_64bits(value.data(), value.size())));
    value = value.substr(0, kDeadLetterBytes);
  }
  output_->send(output_->dead_letter(), m.key, value, headers);
  ++counts_.rejected;
}

void KafkaServe::take(const source::ConsumedMessage& m) {
  // Only what this member owns now (a rebalance in the poll that brought it
  // would otherwise have work done twice).
  if (assigned_.count({m.topic, m.partition}) == 0) return;
  ++counts_.messages;
  ++consumed_[m.topic];
  Task& t = task_for(m.partition);
  TaskInput& in = input_of(t, m.topic);
  in.last_record = Clock::now();
  in.next_offset = m.offset + 1;
  in.at_end = false;
  auto format = codec::detect_format(m.value);
  if (!format) {
    dead_letter(t, m, format.error(), 0);
    return;
  }
  auto& decoder = decoders_[*format];
  if (!decoder) decoder = codec::make_decoder(*format);
  to_buffer_.reset(&in, m, latest_, skew_);
  decoder->decode(m.value, to_buffer_);
  for (std::size_t i = 0; i < to_buffer_.rejects.size(); ++i) dead_letter(t, m, to_buffer_.rejects[i], i);
}

void KafkaServe::mark_idle(Clock::time_point now) {
  // An input whose records have all gone in, and which is read to its end
  // or sent nothing for the idle timeout, stops holding event time back.
  const auto idle_timeout = std::chrono::nanoseconds(config_.stream.idle_timeout);
  for (auto& [partition, t] : tasks_) {
    for (auto& input : t.inputs) {
      TaskInput& in = *input;
      const bool idle = in.buffered.empty() && (in.at_end || now - in.last_record >= idle_timeout);
      if (idle && !in.idle) {
        in.idle = true;
        t.engine->set_idle(in.id, true);
      }
    }
  }
}

Status KafkaServe::apply_backpressure() {
  std::vector<kafka::TopicPartition> pause, resume;
  for (auto& [partition, t] : tasks_) {
    for (auto& input : t.inputs) {
      TaskInput& in = *input;
      if (!in.paused && in.buffered.size() > kPauseAbove) {
        in.paused = true;
        pause.push_back({in.topic, partition});
      } else if (in.paused && in.buffered.size() < kPauseAbove / 2) {
        in.paused = false;
        resume.push_back({in.topic, partition});
      }
    }
  }
  counts_.pauses += pause.size();
  if (Status st = consumer_->pause(pause); !st) return st;
  return consumer_->resume(resume);
}

bool KafkaServe::all_read() const {
  if (tasks_.empty()) return false;
  for (const auto& [partition, t] : tasks_) {
    for (const auto& input : t.inputs) {
      const TaskInput& in = *input;
      if (!in.at_end || !in.buffered.empty()) return false;
    }
  }
  return true;
}

sink::TransactionStatus KafkaServe::retried(const std::function<sink::TransactionStatus()>& call) {
  sink::TransactionStatus st;
  for (int i = 0; i < kTransactionTries; ++i) {
    st = call();
    if (!st || st->kind != sink::TransactionError::Kind::retriable) return st;
  }
  return st;
}

Status KafkaServe::commit(bool snapshot_all) {
  if (auto e = output_->take_error()) return *e;
  const auto now = Clock::now();
  // A partition's offset to commit is that of its first record still
  // waiting in a buffer: what went into an engine is done, what waits is
  // read again by whoever owns the partition next.
  std::vector<kafka::PartitionOffset> offsets;
  bool state_to_write = false;
  for (auto& [partition, t] : tasks_) {
    std::vector<kafka::PartitionOffset> at;
    for (const auto& input : t.inputs) {
      const TaskInput& in = *input;
      const std::int64_t next = in.buffered.empty() ? in.next_offset : in.buffered.front().origin.offset;
      if (next < 0) continue;
      at.push_back({in.topic, partition, next});
      if (next != in.committed) offsets.push_back(at.back());
    }
    const bool snapshot = snapshot_all || t.snapshot_due || now - t.last_snapshot >= spec_.snapshot_interval;
    // A snapshot is worth writing only when the task moved since the last.
    const bool moved = at != t.snapshot_positions;
    if (snapshot && (moved || t.snapshot_due)) {
      if (Status st = write_state(partition, t, at, true); !st) return st;
      state_to_write = true;
    } else if (Status st = write_state(partition, t, at, false); !st) {
      return st;
    }
  }
  if (auto e = output_->take_error()) return *e;
  if (offsets.empty() && !state_to_write && output_->produced() == produced_at_commit_) return ok_status();
  auto group = consumer_->group_metadata();
  if (!group) return group.error();
  const auto timeout = spec_.transaction_timeout;
  sink::TransactionStatus st =
      retried([&] { return producer_->send_offsets_to_transaction(offsets, *group, timeout); });
  if (!st) st = retried([&] { return producer_->commit_transaction(timeout); });
  if (st) {
    // The transaction's output is void and the engines' state is past it:
    // nothing consistent can follow in this process. Its offsets were not
    // committed, so a restart reads those records again.
    if (st->kind == sink::TransactionError::Kind::abortable) (void)producer_->abort_transaction(timeout);
    return st->error;
  }
  ++counts_.transactions;
  for (const kafka::PartitionOffset& o : offsets) tasks_[o.partition].input(o.topic)->committed = o.offset;
  produced_at_commit_ = output_->produced();
  if (sink::TransactionStatus b = producer_->begin_transaction()) return b->error;
  return ok_status();
}

Status KafkaServe::write_state(std::int32_t partition, Task& t, const std::vector<kafka::PartitionOffset>& at,
                               bool snapshot) {
  std::vector<StateRecord> records;
  std::vector<std::string> since = t.produced.take_since_commit();
  if (snapshot) {
    // What this transaction's results came of is in the snapshot: a restore
    // from it does not make them again, so they need no record.
    TaskSnapshot s;
    s.generation = t.generation + 1;
    s.configuration = configuration_;
    s.positions = at;
    t.engine->save(s.engine);
    records = snapshot_records(std::move(s), t.snapshot_chunks, t.emitted_next);
    for (const StateRecord& r : records) counts_.snapshot_bytes += r.key.size() + (r.value ? r.value->size() : 0);
    t.generation = s.generation;
    t.snapshot_chunks = 0;
    for (const StateRecord& r : records) t.snapshot_chunks += r.value && r.key.starts_with("chunk/");
    t.emitted_next = 0;
    t.last_snapshot = Clock::now();
    t.snapshot_due = false;
    t.snapshot_positions = at;
    ++counts_.snapshots;
    // Results committed before this task was restored and not made again
    // yet may still come (later in event time than the snapshot): they stay
    // held back, and on record, across a few snapshots.
    if (std::vector<std::string> held = t.produced.still_held(); !held.empty()) {
      if (++t.held_across > 3) {
        t.produced.forget_held();
      } else {
        for (StateRecord& r : emitted_records(t.generation, t.emitted_next, held)) records.push_back(std::move(r));
      }
    }
  } else if (!since.empty()) {
    records = emitted_records(t.generation, t.emitted_next, since);
  }
  for (StateRecord& r : records) {
    state_bytes_written_ += r.key.size() + (r.value ? r.value->size() : 0);
    const std::optional<std::string_view> value =
        r.value ? std::optional<std::string_view>(*r.value) : std::nullopt;
    if (Status st = producer_->produce_to(state_topic_, partition, r.key, value); !st) {
      return make_error(st.error().field, st.error().reason + " (state record " + r.key + " of task " +
                                              std::to_string(partition) + ")");
    }
    // librdkafka holds its own copy now: a large snapshot is not kept twice.
    if (r.value) std::string().swap(*r.value);
  }
  return ok_status();
}

std::string KafkaServe::metrics_text() {
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  auto sample = [&](const char* name, const std::string& labels, double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", value);
    out += std::string(name) + (labels.empty() ? "" : "{" + labels + "}") + " " + buf + "\n";
  };
  auto tp = [](const std::string& topic, std::int32_t partition) {
    return "topic=\"" + topic + "\",partition=\"" + std::to_string(partition) + "\"";
  };
  family("eventlens_records_in_total", "counter", "Messages consumed from an input topic.");
  for (const auto& [topic, n] : consumed_) sample("eventlens_records_in_total", "topic=\"" + topic + "\"", n);
  family("eventlens_records_out_total", "counter", "Messages produced to an output topic (committed or not yet).");
  for (const auto& [topic, n] : output_->per_topic()) {
    sample("eventlens_records_out_total", "topic=\"" + topic + "\"", static_cast<double>(n));
  }
  family("eventlens_dead_letters_total", "counter", "Input the decoders refused, sent to dead_letter.");
  sample("eventlens_dead_letters_total", "", static_cast<double>(counts_.rejected));
  family("eventlens_transactions_committed_total", "counter", "Transactions committed with their offsets.");
  sample("eventlens_transactions_committed_total", "", static_cast<double>(counts_.transactions));
  family("eventlens_rebalances_total", "counter", "Partition assignments received.");
  sample("eventlens_rebalances_total", "", static_cast<double>(counts_.rebalances));
  family("eventlens_state_written_bytes_total", "counter", "Bytes written to the state topic (snapshots, records of results).");
  sample("eventlens_state_written_bytes_total", "", static_cast<double>(state_bytes_written_));
  family("eventlens_snapshots_total", "counter", "Task snapshots written to the state topic.");
  sample("eventlens_snapshots_total", "", static_cast<double>(counts_.snapshots));
  family("eventlens_restore_seconds", "gauge", "How long the latest assignment took to rebuild its tasks' state.");
  sample("eventlens_restore_seconds", "", last_restore_seconds_);
  family("eventlens_results_suppressed_total", "counter",
         "Results a restored task made again that had been committed before: not produced twice.");
  std::uint64_t suppressed = counts_.suppressed;
  for (const auto& [partition, t] : tasks_) suppressed += t.produced.suppressed();
  sample("eventlens_results_suppressed_total", "", static_cast<double>(suppressed));
  family("eventlens_checkpoint_age_seconds", "gauge", "Seconds since a task's latest snapshot.");
  for (const auto& [partition, t] : tasks_) {
    sample("eventlens_checkpoint_age_seconds", "partition=\"" + std::to_string(partition) + "\"",
           std::chrono::duration<double>(Clock::now() - t.last_snapshot).count());
  }
  family("eventlens_duplicate_events", "gauge",
         "Events a task dropped as the same id again (a producer's retry); kept with the task's state.");
  for (const auto& [partition, t] : tasks_) {
    sample("eventlens_duplicate_events", "partition=\"" + std::to_string(partition) + "\"",
           static_cast<double>(t.engine->shard().counters().duplicate_events));
  }
  family("eventlens_tasks", "gauge", "Tasks (assigned partition numbers) this process runs.");
  sample("eventlens_tasks", "", static_cast<double>(tasks_.size()));
  family("eventlens_consumer_lag", "gauge", "Messages in a partition not consumed yet (from the last fetch).");
  for (auto& [partition, t] : tasks_) {
    for (const auto& input : t.inputs) {
      const TaskInput& in = *input;
      const auto [low, high] = consumer_->cached_watermarks({in.topic, partition});
      const std::int64_t at = in.next_offset >= 0 ? in.next_offset : low;
      if (high >= 0 && at >= 0) sample("eventlens_consumer_lag", tp(in.topic, partition), static_cast<double>(high - at));
    }
  }
  family("eventlens_buffered_records", "gauge", "Records waiting in a task's buffer for the merge by event time.");
  for (auto& [partition, t] : tasks_) {
    for (const auto& input : t.inputs) {
      const TaskInput& in = *input;
      sample("eventlens_buffered_records", tp(in.topic, partition), static_cast<double>(in.buffered.size()));
    }
  }
  family("eventlens_watermark_delay_seconds", "gauge",
         "How far a task's event time is behind this machine's clock (large while reading history).");
  family("eventlens_state_bytes", "gauge", "Bytes of engine state a task holds (signals, rings, pending events).");
  const TimeNs now = wall_clock_now();
  for (auto& [partition, t] : tasks_) {
    const std::string label = "partition=\"" + std::to_string(partition) + "\"";
    const TimeNs wm = t.engine->shard().watermark();
    if (wm != stream::kNoTime) {
      sample("eventlens_watermark_delay_seconds", label, static_cast<double>(now - wm) / 1e9);
    }
    sample("eventlens_state_bytes", label,
           static_cast<double>(t.engine->shard().state_bytes() + t.engine->derived().state_bytes()));
  }
  return out;
}

Status KafkaServe::prepare_topics(const kafka::ClientProperties& properties) {
  auto admin = kafka::KafkaAdmin::create(properties);
  if (!admin) return admin.error();
  const auto timeout = spec_.transaction_timeout;
  std::vector<std::string> all = inputs_;
  for (const std::string* t : {&spec_.topics.enriched, &spec_.topics.incidents, &spec_.topics.problems,
                               &spec_.topics.dead_letter}) {
    all.push_back(spec_.topic_prefix + *t);
  }
  auto counts = admin->partition_counts(all, timeout);
  if (!counts) return counts.error();
  // A service's events and telemetry meet in one task only when every input
  // topic has the same partition count (and producers key by service with
  // the same hash, as the Java client's murmur2).
  std::map<int, std::vector<std::string>> by_count;
  for (const std::string& t : inputs_) {
    if (auto it = counts->find(t); it != counts->end()) by_count[it->second].push_back(t);
  }
  if (by_count.size() > 1) {
    std::string listed;
    for (const auto& [n, topics] : by_count) {
      for (const std::string& t : topics) listed += (listed.empty() ? "" : ", ") + t + " " + std::to_string(n);
    }
    return make_error("topics", "the input topics are not co-partitioned (partitions: " + listed +
                                    "): a service's events and its telemetry would reach different tasks. "
                                    "Give them one partition count (eventlens does not repartition; docs/kafka.md)");
  }
  const int partitions = by_count.empty() ? spec_.partitions : by_count.begin()->first;
  std::vector<kafka::NewTopic> missing;
  for (const std::string& t : all) {
    if (counts->count(t) == 0) missing.push_back({t, partitions, {}});
  }
  // The state topic: a partition per task, compacted (only the latest of a
  // key is kept), rolled and cleaned often enough that a restore does not
  // read many superseded snapshots.
  auto state = admin->partition_counts({state_topic_}, timeout);
  if (!state) return state.error();
  if (auto it = state->find(state_topic_); it == state->end()) {
    missing.push_back({state_topic_,
                       partitions,
                       {{"cleanup.policy", "compact"},
                        {"segment.ms", "600000"},
                        {"segment.bytes", std::to_string(64 << 20)},
                        {"min.cleanable.dirty.ratio", "0.1"}}});
  } else if (it->second != partitions) {
    return make_error(state_topic_, "has " + std::to_string(it->second) + " partitions, the input topics " +
                                        std::to_string(partitions) +
                                        ": it holds a task's state per partition. Delete it and run with "
                                        "--reset-state, or give the inputs their former partition count");
  }
  if (missing.empty()) return ok_status();
  if (Status st = admin->create_topics(missing, timeout); !st) return st;
  std::string names;
  for (const kafka::NewTopic& t : missing) names += (names.empty() ? "" : " ") + t.name;
  say("created " + std::to_string(missing.size()) + " topics with " + std::to_string(partitions) +
      " partitions: " + names);
  return ok_status();
}

Result<KafkaServeCounts> KafkaServe::run(const std::atomic<bool>& stop) {
  common_ = kafka::merge_properties(spec_.properties, {{"bootstrap.servers", spec_.brokers}});
  const kafka::ClientProperties& common = common_;
  if (Status st = prepare_topics(common); !st) return st.error();

  sink::KafkaProducerOptions po;
  po.properties = kafka::merge_properties(
      common, {{"transactional.id", spec_.group + "-" + spec_.instance},
               {"transaction.timeout.ms", std::to_string(spec_.transaction_timeout.count())},
               // librdkafka requires a message to time out within its transaction.
               {"message.timeout.ms", std::to_string(spec_.transaction_timeout.count())}});
  auto producer = sink::KafkaProducer::create(po);
  if (!producer) return producer.error();
  producer_.emplace(std::move(*producer));
  if (sink::TransactionStatus st = producer_->init_transactions(spec_.transaction_timeout)) return st->error;
  if (sink::TransactionStatus st = producer_->begin_transaction()) return st->error;
  output_.emplace(*producer_, spec_);

  source::KafkaConsumerOptions co;
  co.properties = common;
  // Read to its end: the end of a bounded run's input; live, a partition
  // caught up, which the merge need not wait for.
  co.properties = kafka::merge_properties(co.properties, {{"enable.partition.eof", "true"}});
  co.group_id = spec_.group;
  if (spec_.static_membership) {
    co.properties = kafka::merge_properties(co.properties, {{"group.instance.id", spec_.instance}});
  }
  co.on_assigned = [this](const std::vector<kafka::TopicPartition>& p) { return assigned(p); };
  co.on_revoked = [this](const std::vector<kafka::TopicPartition>& p) { revoked(p); };
  auto consumer = source::KafkaConsumer::create(co);
  if (!consumer) return consumer.error();
  consumer_.emplace(std::move(*consumer));
  if (Status st = consumer_->subscribe(inputs_); !st) return st.error();

  source::MessageBatch batch;
  auto last_commit = Clock::now();
  bool finished = false;
  while (!stop.load(std::memory_order_relaxed)) {
    auto n = consumer_->poll(batch, kPollBatch, kPollWait);
    if (failed_) return *failed_;
    if (!n) return n.error();
    // The clock is read once a batch: a record may be this far ahead of it.
    latest_ = wall_clock_now() + skew_;
    for (const source::ConsumedMessage& m : batch) take(m);
    for (const kafka::PartitionOffset& end : batch.reached_end()) {
      if (auto t = tasks_.find(end.partition); t != tasks_.end()) {
        // Unless messages past that end came in the same batch.
        TaskInput* in = t->second.input(end.topic);
        if (in != nullptr && in->next_offset <= end.offset) in->at_end = true;
      }
    }
    board_.set_ready(!tasks_.empty());
    const auto now = Clock::now();
    // Merging empties buffers, which may make inputs idle, which may let
    // more through.
    merge();
    mark_idle(now);
    merge();
    if (Status st = apply_backpressure(); !st) return st.error();
    if (spec_.bounded && all_read()) {
      for (auto& [partition, t] : tasks_) t.engine->finish();
      finished = true;
      break;
    }
    if (now - last_commit >= spec_.commit_interval) {
      if (Status st = commit(); !st) return st.error();
      last_commit = now;
      board_.publish(metrics_text());
    }
  }
  // Stopped live, each task's state is snapshotted so that the next owner
  // starts where this one stopped; a bounded run's engines are finished.
  if (Status st = commit(/*snapshot_all=*/!finished); !st) return st.error();
  counts_.produced = output_->produced();
  counts_.state_bytes = state_bytes_written_;
  for (const auto& [partition, t] : tasks_) counts_.suppressed += t.produced.suppressed();
  // Leaving the group revokes what is left: nothing more to commit.
  tasks_.clear();
  if (Status st = consumer_->close(); !st) say("leaving the group: " + st.error().to_string());
  if (failed_) return *failed_;
  if (finished) say("every partition read to its end; results committed");
  return counts_;
}

}  // namespace

Result<KafkaServeCounts> run_kafka_serve(const KafkaServeSpec& spec, const std::atomic<bool>& stop,
                                         const KafkaServeLog& log) {
  if (spec.brokers.empty()) return make_error("--kafka", "give the brokers to read from");
  if (spec.instance.empty()) return make_error("instance", "every process needs an instance name");
  correlate::Config config = correlate::default_config();
  if (!spec.config.empty()) {
    auto loaded = correlate::load_config_file(spec.config);
    if (!loaded) return loaded.error();
    config = std::move(*loaded);
  }
  config.stream.all_idle_reaches_newest = spec.bounded;
  Board board;
  std::unique_ptr<http::HttpServer> server;
  if (!spec.metrics_listen.empty()) {
    http::ServerOptions options;
    options.listen = spec.metrics_listen;
    auto started = http::HttpServer::start(options, [&board](const http::Request& r) { return board.answer(r); });
    if (!started) {
      return make_error("--metrics-listen", started.error().reason + " (another serve on this machine? give it "
                                                                    "--metrics-listen 127.0.0.1:0 or another port)");
    }
    server = std::move(*started);
    if (log) {
      log("metrics on http://" + spec.metrics_listen.substr(0, spec.metrics_listen.rfind(':')) + ":" +
          std::to_string(server->port()) + "/metrics (and /healthz, /readyz)");
    }
  }
  // What shapes the engines' state: a snapshot taken under other settings
  // would be misread.
  std::string shape = spec.provisional ? "provisional\n" : "final only\n";
  if (!spec.config.empty()) {
    std::FILE* f = std::fopen(spec.config.c_str(), "rb");
    if (f == nullptr) return make_error(spec.config, "cannot be read");
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) shape.append(buf, n);
    std::fclose(f);
  }
  KafkaServe serve(spec, std::move(config), XXH3_64bits(shape.data(), shape.size()), log, board);
  return serve.run(stop);
}

}  // namespace eventlens::pipeline
