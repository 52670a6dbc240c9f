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
#include <utility>

#include "codec/decoder.h"
#include "correlate/config.h"
#include "correlate/results_json.h"
#include "http/server.h"
#include "kafka/admin.h"
#include "pipeline/engine.h"
#include "pipeline/file_inputs.h"
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

// One task's results, keyed by service, on their topics. `current` is where
// the record the engine is taking in came from: a record it refuses goes to
// dead_letter with that origin.
class TaskSink final : public correlate::ResultSink {
 public:
  TaskSink(Output& out, const Origin*& current) : out_(out), current_(current) {}

  void on_enriched(const correlate::EnrichedEvent& e) override {
    value_.clear();
    correlate::append_enriched_json(value_, e);
    out_.send(out_.enriched(), e.event.service, value_, {{"eventlens.stage", e.provisional ? "provisional" : "final"}});
  }
  void on_incident(const correlate::Incident& incident, bool final) override {
    value_.clear();
    correlate::append_incident_json(value_, incident);
    out_.send(out_.incidents(), incident.service, value_, {{"eventlens.stage", final ? "final" : "open"}});
  }
  void on_problem(const correlate::Problem& problem) override {
    value_.clear();
    correlate::append_problem_json(value_, problem);
    out_.send(out_.problems(), problem.root, value_, {});
  }
  // serve answers no named symptoms (replay --explain does).
  void on_explanation(const correlate::Explanation&) override {}
  void on_dead_letter(const Record& record, const Error& reason) override {
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
  std::unique_ptr<TaskSink> sink;  // before the engine, which reports to it
  std::unique_ptr<Engine> engine;
  // In the order of the spec's topics; by pointer, so that the records
  // buffered in one (which point at its topic's name) survive adding another.
  std::vector<std::unique_ptr<TaskInput>> inputs;
  // The engine's input for the keyless records of other tasks' partitions,
  // made when the first comes.
  std::optional<std::size_t> cluster_input;

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
  KafkaServe(const KafkaServeSpec& spec, correlate::Config config, const KafkaServeLog& log, Board& board)
      : spec_(spec),
        config_(std::move(config)),
        log_(log),
        board_(board),
        skew_(std::chrono::duration_cast<std::chrono::nanoseconds>(spec.max_ahead_of_clock).count()) {
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
  void assigned(const std::vector<kafka::TopicPartition>& partitions);
  void revoked(const std::vector<kafka::TopicPartition>& partitions);
  Task& task_for(std::int32_t partition);
  void take(const source::ConsumedMessage& m);
  void dead_letter(const source::ConsumedMessage& m, const Error& reason);
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
  // Produces nothing itself: sends the consumed offsets with what the
  // engines produced since the last commit, and commits.
  Status commit();
  sink::TransactionStatus retried(const std::function<sink::TransactionStatus()>& call);
  // The Prometheus text of where the run is.
  std::string metrics_text();

  const KafkaServeSpec& spec_;
  correlate::Config config_;
  const KafkaServeLog& log_;
  Board& board_;
  std::vector<std::string> inputs_;  // the input topics' full names, in the spec's order
  const TimeNs skew_;                // spec_.max_ahead_of_clock
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
    t.sink = std::make_unique<TaskSink>(*output_, t.current);
    t.engine = std::make_unique<Engine>(config_, *t.sink, spec_.provisional);
  }
  return t;
}

void KafkaServe::assigned(const std::vector<kafka::TopicPartition>& partitions) {
  ++counts_.rebalances;
  const auto now = Clock::now();
  std::string names;
  for (const kafka::TopicPartition& tp : partitions) {
    assigned_.insert(tp);
    input_of(task_for(tp.partition), tp.topic).last_record = now;
    names += (names.empty() ? "" : " ") + tp.topic + "[" + std::to_string(tp.partition) + "]";
  }
  say("assigned " + std::to_string(partitions.size()) + " partitions (" + std::to_string(tasks_.size()) +
      " tasks): " + names);
}

void KafkaServe::revoked(const std::vector<kafka::TopicPartition>& partitions) {
  // What is done goes out with its offsets before another member takes the
  // partitions over; the tasks' state goes with them.
  if (Status st = commit(); !st && !failed_) failed_ = st.error();
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
    if (!t.cluster_input) {
      t.cluster_input = t.engine->add_context_input();
      t.engine->set_idle(*t.cluster_input, true);
    }
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

void KafkaServe::dead_letter(const source::ConsumedMessage& m, const Error& reason) {
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
    dead_letter(m, format.error());
    return;
  }
  auto& decoder = decoders_[*format];
  if (!decoder) decoder = codec::make_decoder(*format);
  to_buffer_.reset(&in, m, latest_, skew_);
  decoder->decode(m.value, to_buffer_);
  for (const Error& e : to_buffer_.rejects) dead_letter(m, e);
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

Status KafkaServe::commit() {
  if (auto e = output_->take_error()) return *e;
  // A partition's offset to commit is that of its first record still
  // waiting in a buffer: what went into an engine is done, what waits is
  // read again by whoever owns the partition next.
  std::vector<kafka::PartitionOffset> offsets;
  for (auto& [partition, t] : tasks_) {
    for (const auto& input : t.inputs) {
      const TaskInput& in = *input;
      const std::int64_t at = in.buffered.empty() ? in.next_offset : in.buffered.front().origin.offset;
      if (at >= 0 && at != in.committed) offsets.push_back({in.topic, partition, at});
    }
  }
  if (offsets.empty() && output_->produced() == produced_at_commit_) return ok_status();
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
  if (missing.empty()) return ok_status();
  if (Status st = admin->create_topics(missing, timeout); !st) return st;
  std::string names;
  for (const kafka::NewTopic& t : missing) names += (names.empty() ? "" : " ") + t.name;
  say("created " + std::to_string(missing.size()) + " topics with " + std::to_string(partitions) +
      " partitions: " + names);
  return ok_status();
}

Result<KafkaServeCounts> KafkaServe::run(const std::atomic<bool>& stop) {
  kafka::ClientProperties common = kafka::merge_properties(spec_.properties, {{"bootstrap.servers", spec_.brokers}});
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
  co.on_assigned = [this](const std::vector<kafka::TopicPartition>& p) { assigned(p); };
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
  if (Status st = commit(); !st) return st.error();
  counts_.produced = output_->produced();
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
  KafkaServe serve(spec, std::move(config), log, board);
  return serve.run(stop);
}

}  // namespace eventlens::pipeline
