#include "pipeline/kafka_serve_bench.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#include "codec/json_writer.h"
#include "codec/native_json.h"
#include "kafka/admin.h"
#include "pipeline/kafka_serve.h"
#include "pipeline/kafka_task_state.h"
#include "sink/kafka_producer.h"
#include "source/kafka_consumer.h"

namespace eventlens::pipeline {

namespace {

using Clock = std::chrono::steady_clock;

const std::vector<std::string> kInputs = {"scaling_events", "failure_events", "resource_provisioning",
                                          "change_events",  "metrics",        "logs",
                                          "traces"};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

std::string unique(const std::string& prefix) {
  return prefix + std::to_string(getpid()) + "-" +
         std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
}

// Reads every input topic of `prefix` to its end in a new group; with
// `decode`, decodes each value as native JSON. Returns (messages, seconds).
Result<std::pair<std::uint64_t, double>> consume_all(const std::string& bootstrap, const std::string& prefix,
                                                     bool decode) {
  source::KafkaConsumerOptions co;
  co.properties = {{"bootstrap.servers", bootstrap}, {"enable.partition.eof", "true"}};
  co.group_id = unique("bench-consume-");
  auto consumer = source::KafkaConsumer::create(co);
  if (!consumer) return consumer.error();
  std::vector<std::string> topics;
  for (const auto& t : kInputs) topics.push_back(prefix + t);
  if (Status st = consumer->subscribe(topics); !st) return st.error();
  codec::NativeJsonDecoder decoder;
  Record record;
  source::MessageBatch batch;
  source::PartitionsAtEnd ended;
  std::size_t partitions = 0;
  std::uint64_t messages = 0, records = 0;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::minutes(10);
  while (Clock::now() < deadline) {
    auto n = consumer->poll(batch, 10'000, std::chrono::milliseconds(100));
    if (!n) return n.error();
    for (const auto& m : batch) {
      ++messages;
      if (decode && decoder.decode_one(m.value, m.value.size(), record)) ++records;
    }
    ended.see(batch);
    if (partitions == 0) {
      if (auto a = consumer->assignment(); a) partitions = a->size();
    }
    if (partitions > 0 && ended.count() >= partitions) break;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (decode && records != messages) return make_error("", "some messages did not decode");
  return std::pair{messages, seconds};
}

// The Kafka Streams peer (bench/peers/kafka-streams) over the scaling events
// and metrics of `prefix`, from a new application id: (records, seconds) as
// it reports them, from its start to its last input record.
Result<std::pair<double, double>> run_kafka_streams_peer(const std::string& dir, const std::string& bootstrap,
                                                         const std::string& prefix) {
  source::KafkaConsumerOptions co;
  co.properties = {{"bootstrap.servers", bootstrap}};
  co.group_id = unique("bench-marks-");
  auto consumer = source::KafkaConsumer::create(co);
  if (!consumer) return consumer.error();
  std::int64_t expected = 0;
  for (const char* t : {"scaling_events", "metrics"}) {
    auto marks = consumer->watermarks({prefix + t, 0}, std::chrono::seconds(10));
    if (!marks) return marks.error();
    expected += marks->second - marks->first;
  }
  const std::string command = "java -Xmx1g -cp '" + dir + "/target/kafka-streams-peer-1.jar:" + dir +
                              "/target/lib/*' eventlens.peers.ScalingLatencyJoin " + bootstrap + " " + prefix + " " +
                              unique("bench-ks-") + " " + std::to_string(expected) + " 2>&1";
  std::FILE* out = popen(command.c_str(), "r");
  if (out == nullptr) return make_error("--kafka-streams", "cannot run java");
  std::string said;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, out) != nullptr) said += buf;
  const int status = pclose(out);
  double records = 0, seconds = 0;
  const auto at = said.find("records ");
  if (status != 0 || at == std::string::npos ||
      std::sscanf(said.c_str() + at, "records %lf seconds %lf", &records, &seconds) != 2 || seconds <= 0) {
    return make_error("--kafka-streams", "the peer failed (build it with " + dir + "/build): " + said.substr(0, 2000));
  }
  return std::pair{records, seconds};
}

long peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss * 1024L;
}

}  // namespace

Result<RestoreTiming> time_state_restore(const std::string& bootstrap, const stream::CheckpointStore::Parts& parts,
                                         const std::function<Status(const stream::CheckpointStore::Parts&)>& load,
                                         int runs) {
  const kafka::ClientProperties common = {{"bootstrap.servers", bootstrap}};
  const std::string topic = unique("bench-state-");
  auto admin = kafka::KafkaAdmin::create(common);
  if (!admin) return admin.error();
  if (Status st = admin->create_topics({{topic, 1, {{"cleanup.policy", "compact"}}}}, std::chrono::seconds(30)); !st) {
    return st.error();
  }
  TaskSnapshot snapshot;
  snapshot.generation = 1;
  snapshot.engine = parts;
  const std::vector<StateRecord> records = snapshot_records(std::move(snapshot), 0, 0);
  sink::KafkaProducerOptions po;
  po.properties = common;
  auto producer = sink::KafkaProducer::create(po);
  if (!producer) return producer.error();
  RestoreTiming out;
  for (const StateRecord& r : records) {
    out.snapshot_bytes += r.key.size() + r.value->size();
    if (Status st = producer->produce_to(topic, 0, r.key, *r.value); !st) return st.error();
  }
  out.records = records.size();
  if (Status st = producer->flush(std::chrono::seconds(60)); !st) return st.error();
  std::vector<double> total, read, loaded;
  for (int run = 0; run < std::max(1, runs); ++run) {
    const auto start = Clock::now();
    auto states = read_task_states(common, topic, {0}, std::chrono::seconds(120));
    if (!states) return states.error();
    const auto read_at = Clock::now();
    if (!states->at(0).snapshot) return make_error(topic, "no snapshot read back");
    if (Status st = load(states->at(0).snapshot->engine); !st) return st.error();
    const auto end = Clock::now();
    total.push_back(std::chrono::duration<double>(end - start).count());
    read.push_back(std::chrono::duration<double>(read_at - start).count());
    loaded.push_back(std::chrono::duration<double>(end - read_at).count());
  }
  out.seconds = median(total);
  out.read_seconds = median(read);
  out.load_seconds = median(loaded);
  return out;
}

int run_bench_kafka(const BenchKafkaOptions& options) {
  if (options.bootstrap.empty()) {
    std::fprintf(stderr, "bench kafka: give --bootstrap HOST:PORT (scripts/kafka start prints it)\n");
    return 2;
  }
  const std::string prefix = unique("bench-") + ".";
  // The data: a simulation produced to the input topics (one partition
  // each: one task, as one core runs it), by this same binary.
  char self[4096] = {};
  const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) return 2;
  const std::string simulate = std::string(self, static_cast<std::size_t>(len)) + " simulate --scenario " +
                               options.scenario + " --seed 1 --duration " + options.duration + " --quiet --kafka " +
                               options.bootstrap + " --topic-prefix " + prefix + " 2>/dev/null";
  // serve creates the topics with one partition first; simulate fills them.
  {
    KafkaServeSpec spec;
    spec.brokers = options.bootstrap;
    spec.group = unique("bench-create-");
    spec.instance = "create";
    spec.topic_prefix = prefix;
    spec.bounded = true;
    spec.metrics_listen.clear();
    std::atomic<bool> stop{false};
    if (auto r = run_kafka_serve(spec, stop); !r) {
      std::fprintf(stderr, "bench kafka: %s\n", r.error().to_string().c_str());
      return 2;
    }
  }
  if (std::system(simulate.c_str()) != 0) {
    std::fprintf(stderr, "bench kafka: %s failed\n", simulate.c_str());
    return 2;
  }
  // serve --bounded over the topics in a new group, snapshotting every
  // `interval`: (counts, seconds).
  auto serve_once = [&](std::chrono::milliseconds interval) -> Result<std::pair<KafkaServeCounts, double>> {
    KafkaServeSpec spec;
    spec.brokers = options.bootstrap;
    spec.group = unique("bench-serve-");
    spec.instance = spec.group;
    spec.topic_prefix = prefix;
    spec.bounded = true;
    spec.metrics_listen.clear();
    spec.snapshot_interval = interval;
    std::atomic<bool> stop{false};
    const auto start = Clock::now();
    auto s = run_kafka_serve(spec, stop);
    if (!s) return s.error();
    return std::pair{*s, std::chrono::duration<double>(Clock::now() - start).count()};
  };
  if (!options.kafka_streams.empty()) {
    auto admin = kafka::KafkaAdmin::create({{"bootstrap.servers", options.bootstrap}});
    if (!admin) return std::fprintf(stderr, "bench kafka: %s\n", admin.error().to_string().c_str()), 2;
    if (Status st = admin->create_topics({{prefix + "ks_enriched", 1, {}}}, std::chrono::seconds(30)); !st) {
      return std::fprintf(stderr, "bench kafka: %s\n", st.error().to_string().c_str()), 2;
    }
  }
  std::vector<double> raw, decoded, served, served_snapshotting, state_rate, snapshot_size, streams;
  std::uint64_t messages = 0;
  for (int run = 0; run < options.runs; ++run) {
    auto r = consume_all(options.bootstrap, prefix, false);
    auto d = consume_all(options.bootstrap, prefix, true);
    if (!r || !d) {
      std::fprintf(stderr, "bench kafka: %s\n", (!r ? r.error() : d.error()).to_string().c_str());
      return 2;
    }
    messages = r->first;
    raw.push_back(static_cast<double>(r->first) / r->second);
    decoded.push_back(static_cast<double>(d->first) / d->second);
    // At the default snapshot interval (10 s: the run is shorter, so only a
    // task's first snapshot), then with a snapshot every second: what the
    // state topic costs at this load.
    auto s = serve_once(KafkaServeSpec{}.snapshot_interval);
    auto s1 = s ? serve_once(std::chrono::seconds(1)) : s;
    if (!s || !s1) {
      std::fprintf(stderr, "bench kafka: serve: %s\n", (!s ? s.error() : s1.error()).to_string().c_str());
      return 2;
    }
    served.push_back(static_cast<double>(s->first.messages) / s->second);
    served_snapshotting.push_back(static_cast<double>(s1->first.messages) / s1->second);
    state_rate.push_back(static_cast<double>(s1->first.state_bytes) / s1->second);
    if (s1->first.snapshots > 0) {
      snapshot_size.push_back(static_cast<double>(s1->first.snapshot_bytes) / s1->first.snapshots);
    }
    if (!options.kafka_streams.empty()) {
      auto k = run_kafka_streams_peer(options.kafka_streams, options.bootstrap, prefix);
      if (!k) return std::fprintf(stderr, "bench kafka: %s\n", k.error().to_string().c_str()), 2;
      streams.push_back(k->first / k->second);
    }
  }
  const double raw_rate = median(raw), decode_rate = median(decoded), serve_rate = median(served);
  if (options.json) {
    auto line = [](const char* name, double rate, const char* baseline, double base) {
      std::string out;
      codec::JsonWriter w(out);
      w.begin_object();
      w.field("name", name);
      w.key("records_per_s");
      w.number(rate);
      w.field("baseline", baseline);
      w.key("baseline_records_per_s");
      w.number(base);
      w.key("ratio");
      w.number(base > 0 ? rate / base : 0);
      w.end_object();
      std::printf("%s\n", out.c_str());
    };
    line("librdkafka_consume", raw_rate, "librdkafka_consume", raw_rate);
    line("librdkafka_consume_decode", decode_rate, "librdkafka_consume", raw_rate);
    line("serve_kafka_bounded", serve_rate, "librdkafka_consume_decode", decode_rate);
    std::string out;
    codec::JsonWriter w(out);
    w.begin_object();
    w.field("name", "serve_kafka_snapshot_every_s");
    w.key("records_per_s");
    w.number(median(served_snapshotting));
    w.field("baseline", "serve_kafka_bounded");
    w.key("ratio");
    w.number(median(served_snapshotting) / serve_rate);
    w.key("state_bytes_per_s");
    w.number(median(state_rate));
    w.key("bytes_per_snapshot");
    w.number(median(snapshot_size));
    w.end_object();
    std::printf("%s\n", out.c_str());
    if (!streams.empty()) {
      line("kafka_streams_peer", median(streams), "librdkafka_consume", raw_rate);
      line("serve_kafka_bounded_vs_kafka_streams", serve_rate, "kafka_streams_peer", median(streams));
    }
  } else {
    std::printf("kafka: %llu messages of `simulate --scenario %s --duration %s` on one partition per topic (%s*); "
                "median of %d runs\n",
                static_cast<unsigned long long>(messages), options.scenario.c_str(), options.duration.c_str(),
                prefix.c_str(), options.runs);
    std::printf("  librdkafka consume          %10.0f records/s\n", raw_rate);
    std::printf("  consume + native decode     %10.0f records/s   ratio to consume %.2f\n", decode_rate,
                decode_rate / raw_rate);
    std::printf("  serve --kafka --bounded     %10.0f records/s   ratio to consume + decode %.2f, to consume %.2f\n",
                serve_rate, serve_rate / decode_rate, serve_rate / raw_rate);
    std::printf("  ... a snapshot every second %10.0f records/s   ratio to serve %.2f; state topic %.0f bytes/s, "
                "%.0f bytes per snapshot\n",
                median(served_snapshotting), median(served_snapshotting) / serve_rate, median(state_rate),
                median(snapshot_size));
    if (!streams.empty()) {
      std::printf("  Kafka Streams peer          %10.0f records/s   serve is %.1fx it (scaling events and metrics "
                  "only; exactly_once_v2)\n",
                  median(streams), serve_rate / median(streams));
    }
    std::printf("  peak RSS of this process    %10ld bytes\n", peak_rss_bytes());
  }
  return 0;
}

}  // namespace eventlens::pipeline
