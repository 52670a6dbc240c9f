// Round trips through a real Kafka broker: records encoded as native JSON,
// produced keyed by service, consumed back with manual commits, decoded and
// compared with the originals; headers; resuming after a committed offset.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "codec/cloudevents.h"
#include "codec/native_json.h"
#include "kafka/test_broker.h"
#include "sink/kafka_producer.h"
#include "source/kafka_consumer.h"
#include "support/test_data.h"

namespace eventlens {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kRecordCount = 100'000;
constexpr int kPartitions = 4;

// ---------------------------------------------------------------------------
// Deterministic, varied records. The text comes from the shared sample data:
// real log lines (Loghub, CRLF line ends kept) and the Online Boutique service
// names, mixed with non-ASCII names and JSON's awkward characters.

std::vector<std::string> loghub_lines() {
  std::vector<std::string> lines;
  for (const char* file : {"BGL/BGL_2k.log", "HDFS/HDFS_2k.log", "Hadoop/Hadoop_2k.log",
                           "Linux/Linux_2k.log", "OpenStack/OpenStack_2k.log", "Spark/Spark_2k.log",
                           "Thunderbird/Thunderbird_2k.log", "Zookeeper/Zookeeper_2k.log"}) {
    std::istringstream in(testing::read_file(testing::data_path(std::string("logs/loghub/") + file)));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) lines.push_back(line);
    }
  }
  return lines;
}

// The service names of the Online Boutique call graph (rca/online-boutique/topology.yaml).
std::vector<std::string> boutique_services() {
  std::istringstream in(testing::read_file(testing::data_path("rca/online-boutique/topology.yaml")));
  std::vector<std::string> names;
  bool in_topology = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("topology:", 0) == 0) {
      in_topology = true;
      continue;
    }
    if (!in_topology) continue;
    if (line.rfind("  ", 0) != 0) break;
    const auto colon = line.find(':');
    if (colon != std::string::npos) names.push_back(line.substr(2, colon - 2));
  }
  return names;
}

struct Corpus {
  std::vector<std::string> services;
  std::vector<std::string> texts;
};

Corpus make_corpus() {
  Corpus c;
  std::vector<std::string> bases = boutique_services();
  for (const char* extra : {"支付服务", "παραγγελίες", "čeština-api", "rocket-🚀", "naïve-café",
                            "日本語の検索", "кэш", "quote\"back\\slash"}) {
    bases.emplace_back(extra);
  }
  // Enough services that each partition holds many: 18 names x 4 regions.
  for (const char* region : {"eu", "us", "ap", "ü"}) {
    for (const auto& b : bases) c.services.push_back(b + "." + region);
  }
  c.texts = loghub_lines();
  for (const char* odd : {"tab\there, newline\nthere, nul-free \x01\x1f controls",
                          "emoji 🚀🔥 and combining é (e\xcc\x81)", "", "\"quoted\" {json} [array]",
                          "right-to-left עברית العربية", "a\\b\\\\c"}) {
    c.texts.emplace_back(odd);
  }
  return c;
}

std::string hex_id(std::uint64_t hi, std::uint64_t lo, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i) {
    std::uint64_t& word = i >= digits - 16 ? lo : hi;
    out[static_cast<std::size_t>(i)] = kHex[word & 15];
    word >>= 4;
  }
  return out;
}

// std::mt19937_64 gives the same sequence everywhere; the draws below use
// only its raw output so that no library's distribution code is involved.
struct Draw {
  std::mt19937_64 rng{20240501};
  std::uint64_t next() { return rng(); }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(rng() % n); }
  bool chance(int percent) { return below(100) < static_cast<std::size_t>(percent); }
  double real() { return static_cast<double>(rng() >> 11) / 9007199254740992.0; }
};

Attributes make_attributes(Draw& d, const Corpus& c, std::size_t seq) {
  Attributes a;
  a.emplace_back("seq", static_cast<std::int64_t>(seq));
  a.emplace_back("text", c.texts[d.below(c.texts.size())]);
  static constexpr std::int64_t kInts[] = {0, 1, -1, 42, std::numeric_limits<std::int64_t>::max(),
                                           std::numeric_limits<std::int64_t>::min(), 9007199254740993};
  a.emplace_back("count", d.chance(30) ? kInts[d.below(std::size(kInts))]
                                       : static_cast<std::int64_t>(d.next() >> 20));
  static constexpr double kDoubles[] = {0.5, -0.0, 3.0, 1e-300, 5e-324, 1.7976931348623157e308,
                                        0.1, 2.0 / 3.0};
  a.emplace_back("ratio", d.chance(30) ? kDoubles[d.below(std::size(kDoubles))]
                                       : (d.real() - 0.5) * 1e6);
  a.emplace_back("flag", d.chance(50));
  if (d.chance(20)) a.emplace_back("ключ.ü", std::string("значение ✓"));
  return a;
}

Record make_record(std::size_t seq, Draw& d, const Corpus& c, std::string& service) {
  service = c.services[d.below(c.services.size())];
  const TimeNs time = 1'714'564'800'000'000'000 + static_cast<TimeNs>(seq) * 1'000'003 +
                      static_cast<TimeNs>(d.below(1'000'000));
  const std::string trace = hex_id(d.next(), d.next(), 32);
  switch (seq % 4) {
    case 0: {
      static constexpr std::pair<Category, const char*> kTypes[] = {
          {Category::scaling, "scale_up"},           {Category::scaling, "scale_down"},
          {Category::provisioning, "node_added"},    {Category::provisioning, "allocation_failed"},
          {Category::failure, "oom_killed"},         {Category::failure, "probe_failed"},
          {Category::change, "deploy"},              {Category::change, "config_changed"},
          {Category::other, "custom_ünïcode_type"}};
      const auto& [category, type] = kTypes[d.below(std::size(kTypes))];
      Event e;
      e.id = "ev-" + std::to_string(seq);
      e.time = time;
      e.category = category;
      e.type = type;
      e.service = service;
      e.namespace_ = d.chance(80) ? "prod" : "名前空間";
      e.cluster = "cluster-" + std::to_string(d.below(3));
      e.node = "node-" + std::to_string(d.below(40));
      e.pod = service + "-" + hex_id(0, d.next(), 10);
      e.severity = static_cast<Severity>(1 + d.below(4));
      e.message = c.texts[d.below(c.texts.size())];
      e.attributes = make_attributes(d, c, seq);
      if (d.chance(60)) e.trace_id = trace;
      e.source = d.chance(50) ? "k8s" : "cloudevents";
      return e;
    }
    case 1: {
      static constexpr const char* kNames[] = {"http_server_request_duration_seconds",
                                               "container_memory_working_set_bytes",
                                               "process_cpu_seconds_total", "queue:depth:avg5m"};
      MetricSample m;
      m.name = kNames[d.below(std::size(kNames))];
      m.labels = {{"service", service},
                  {"seq", std::to_string(seq)},
                  {"pod", "pod-" + std::to_string(d.below(12))},
                  {"région", d.chance(50) ? "eu-west-1" : "東京"}};
      if (d.chance(25)) m.labels.emplace_back("quantile", "0.99");
      std::sort(m.labels.begin(), m.labels.end());
      m.time = time;
      static constexpr double kSpecial[] = {std::numeric_limits<double>::quiet_NaN(),
                                            std::numeric_limits<double>::infinity(),
                                            -std::numeric_limits<double>::infinity(), 0.0, -1.5e-9};
      m.value = d.chance(5) ? kSpecial[d.below(std::size(kSpecial))] : d.real() * 1e9;
      return m;
    }
    case 2: {
      LogRecord l;
      l.time = time;
      l.service = service;
      l.severity = static_cast<Severity>(d.below(5));
      l.body = c.texts[d.below(c.texts.size())];
      l.attributes = make_attributes(d, c, seq);
      if (d.chance(70)) {
        l.trace_id = trace;
        l.span_id = hex_id(0, d.next(), 16);
      }
      return l;
    }
    default: {
      Span s;
      s.trace_id = trace;
      s.span_id = hex_id(0, d.next(), 16);
      if (d.chance(70)) s.parent_span_id = hex_id(0, d.next(), 16);
      s.service = service;
      s.name = d.chance(50) ? "GET /api/cart" : "grpc hipstershop.CartService/GetCart ✓";
      s.start = time;
      s.end = time + static_cast<TimeNs>(d.below(5'000'000'000));
      s.status = static_cast<SpanStatus>(d.below(3));
      s.attributes = make_attributes(d, c, seq);
      return s;
    }
  }
}

// Returns the sequence number a record carries (event id, metric label or
// attribute), or -1.
std::int64_t sequence_of(const Record& r) {
  if (const auto* e = std::get_if<Event>(&r)) {
    if (e->id.rfind("ev-", 0) != 0) return -1;
    return std::strtoll(e->id.c_str() + 3, nullptr, 10);
  }
  if (const auto* m = std::get_if<MetricSample>(&r)) {
    for (const auto& [k, v] : m->labels) {
      if (k == "seq") return std::strtoll(v.c_str(), nullptr, 10);
    }
    return -1;
  }
  const Attributes* attrs = nullptr;
  if (const auto* l = std::get_if<LogRecord>(&r)) attrs = &l->attributes;
  if (const auto* s = std::get_if<Span>(&r)) attrs = &s->attributes;
  if (attrs == nullptr || attrs->empty() || attrs->front().first != "seq") return -1;
  const auto* n = std::get_if<std::int64_t>(&attrs->front().second);
  return n == nullptr ? -1 : *n;
}

Result<std::string> bootstrap_or_fail() {
  auto b = testing::kafka_bootstrap();
  if (b) std::printf("kafka tests: broker at %s\n", b->c_str());
  return b;
}

Result<sink::KafkaProducer> make_producer(const std::string& bootstrap) {
  sink::KafkaProducerOptions options;
  options.properties = {{"bootstrap.servers", bootstrap}};
  return sink::KafkaProducer::create(options);
}

Result<source::KafkaConsumer> make_consumer(const std::string& bootstrap, const std::string& group,
                                            const std::string& topic) {
  source::KafkaConsumerOptions options;
  options.properties = {{"bootstrap.servers", bootstrap}};
  options.group_id = group;
  auto c = source::KafkaConsumer::create(options);
  if (!c) return c.error();
  if (Status st = c->subscribe({topic}); !st) return st.error();
  return c;
}

TEST(KafkaRoundTrip, HundredThousandRecordsArriveOnceUnalteredAndCoPartitioned) {
  auto bootstrap = bootstrap_or_fail();
  ASSERT_TRUE(bootstrap) << bootstrap.error().to_string();
  const std::string topic = testing::unique_kafka_name("roundtrip");
  Status created = testing::create_kafka_topic(*bootstrap, topic, kPartitions);
  ASSERT_TRUE(created) << created.error().to_string();

  const Corpus corpus = make_corpus();
  ASSERT_GT(corpus.texts.size(), 10'000u) << "the Loghub sample lines are missing";
  ASSERT_EQ(corpus.services.size(), 72u) << "expected the 10 Online Boutique services";

  Draw draw;
  std::vector<Record> originals;
  std::vector<std::string> service_of;
  originals.reserve(kRecordCount);
  service_of.reserve(kRecordCount);
  std::string service;
  for (std::size_t i = 0; i < kRecordCount; ++i) {
    originals.push_back(make_record(i, draw, corpus, service));
    service_of.push_back(service);
  }

  // Produce.
  const auto produce_start = Clock::now();
  {
    auto made = make_producer(*bootstrap);
    ASSERT_TRUE(made) << made.error().to_string();
    sink::KafkaProducer& producer = *made;
    std::string json;
    for (std::size_t i = 0; i < kRecordCount; ++i) {
      json.clear();
      codec::encode_native(originals[i], json);
      Status st = producer.produce(topic, service_of[i], json);
      ASSERT_TRUE(st) << "record " << i << ": " << st.error().to_string();
    }
    Status flushed = producer.flush(60s);
    ASSERT_TRUE(flushed) << flushed.error().to_string();
    const sink::DeliveryCounts counts = producer.counts();
    EXPECT_EQ(counts.produced, kRecordCount);
    EXPECT_EQ(counts.delivered, kRecordCount);
    EXPECT_EQ(counts.failed, 0u);
    EXPECT_EQ(producer.in_flight(), 0);
  }
  const auto produce_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - produce_start);

  // Consume, decode, compare, commit.
  auto consumer = make_consumer(*bootstrap, testing::unique_kafka_name("roundtrip-group"), topic);
  ASSERT_TRUE(consumer) << consumer.error().to_string();
  codec::NativeJsonDecoder decoder;
  source::MessageBatch batch;
  Record decoded;
  std::vector<char> seen(kRecordCount, 0);
  std::map<std::string, std::int32_t> partition_of_service;
  std::map<std::string, std::int64_t> last_seq_of_service;
  std::map<std::int32_t, std::size_t> per_partition;
  std::vector<kafka::PartitionOffset> offsets;
  std::size_t received = 0, duplicates = 0, altered = 0, undecodable = 0, foreign = 0;
  std::size_t split_services = 0, reordered = 0, wrong_keys = 0;
  const auto consume_start = Clock::now();
  const auto deadline = consume_start + 180s;
  while (received < kRecordCount && Clock::now() < deadline) {
    auto n = consumer->poll(batch, 2000, 500ms);
    ASSERT_TRUE(n) << n.error().to_string();
    for (const source::ConsumedMessage& m : batch) {
      ++received;
      ++per_partition[m.partition];
      EXPECT_EQ(m.topic, topic);
      Status st = decoder.decode_one(m.value, m.value.size(), decoded);
      if (!st) {
        if (++undecodable <= 5) ADD_FAILURE() << "offset " << m.offset << ": " << st.error().to_string();
        continue;
      }
      const std::int64_t seq = sequence_of(decoded);
      if (seq < 0 || seq >= static_cast<std::int64_t>(kRecordCount)) {
        ++foreign;
        continue;
      }
      const auto i = static_cast<std::size_t>(seq);
      if (seen[i]++) {
        ++duplicates;
        continue;
      }
      if (!(decoded == originals[i])) {
        if (++altered <= 5) {
          std::string want;
          codec::encode_native(originals[i], want);
          ADD_FAILURE() << "record " << i << " changed\n  sent: " << want << "\n  got:  " << m.value;
        }
      }
      if (m.key != service_of[i]) ++wrong_keys;
      auto [it, fresh] = partition_of_service.emplace(service_of[i], m.partition);
      if (!fresh && it->second != m.partition) ++split_services;
      // One producer, idempotent: a key's records keep their order.
      auto [last, first] = last_seq_of_service.emplace(service_of[i], seq);
      if (!first) {
        if (last->second > seq) ++reordered;
        last->second = seq;
      }
    }
    // The checks above are this test's "results"; once they are done the
    // offsets behind them may be committed.
    batch.merge_next_offsets(offsets);
    if (!batch.empty()) {
      Status committed = consumer->commit(offsets);
      ASSERT_TRUE(committed) << committed.error().to_string();
    }
  }
  const auto consume_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - consume_start);
  std::printf("kafka tests: %zu records produced in %lld ms, consumed and checked in %lld ms\n",
              kRecordCount, static_cast<long long>(produce_ms.count()),
              static_cast<long long>(consume_ms.count()));

  const auto missing = static_cast<std::size_t>(std::count(seen.begin(), seen.end(), 0));
  EXPECT_EQ(received, kRecordCount);
  EXPECT_EQ(missing, 0u) << "records never received";
  EXPECT_EQ(duplicates, 0u);
  EXPECT_EQ(altered, 0u);
  EXPECT_EQ(undecodable, 0u);
  EXPECT_EQ(foreign, 0u);
  EXPECT_EQ(wrong_keys, 0u);
  EXPECT_EQ(split_services, 0u) << "a service's records landed in more than one partition";
  EXPECT_EQ(reordered, 0u) << "a service's records arrived out of order";
  EXPECT_EQ(partition_of_service.size(), corpus.services.size());
  EXPECT_EQ(per_partition.size(), static_cast<std::size_t>(kPartitions))
      << "72 services should spread over every partition";

  // The group's committed offsets are the ends of the partitions.
  auto committed = consumer->committed(10s);
  ASSERT_TRUE(committed) << committed.error().to_string();
  ASSERT_EQ(committed->size(), static_cast<std::size_t>(kPartitions));
  std::int64_t committed_total = 0;
  for (const kafka::PartitionOffset& o : *committed) {
    EXPECT_EQ(o.topic, topic);
    EXPECT_EQ(o.offset, static_cast<std::int64_t>(per_partition[o.partition])) << "partition " << o.partition;
    committed_total += o.offset;
  }
  EXPECT_EQ(committed_total, static_cast<std::int64_t>(kRecordCount));
  EXPECT_EQ(consumer->counts().messages, kRecordCount);
  EXPECT_GT(consumer->counts().commits, 0u);
  EXPECT_EQ(consumer->counts().errors, 0u);
  EXPECT_TRUE(consumer->close());
}

// ---------------------------------------------------------------------------
// Headers and resuming.

struct BinaryModeExample {
  kafka::Headers headers;
  std::string payload;
};

// Reads the binary content mode scenario of the CloudEvents Kafka protocol
// binding conformance feature: its payload and its header table.
BinaryModeExample binary_mode_example() {
  std::istringstream in(
      testing::read_file(testing::data_path("cloudevents/conformance/kafka-protocol-binding.feature")));
  BinaryModeExample ex;
  enum { before, payload, after_payload, table } state = before;
  const auto trim = [](std::string s) {
    const auto b = s.find_first_not_of(" \t");
    const auto e = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  for (std::string line; std::getline(in, line);) {
    const std::string t = trim(line);
    if (state == before && t == "\"\"\"") {
      state = payload;
    } else if (state == payload) {
      if (t == "\"\"\"") state = after_payload;
      else ex.payload += t;
    } else if (state == after_payload && t.rfind("And Kafka headers:", 0) == 0) {
      state = table;
    } else if (state == table) {
      if (t.empty() || t[0] != '|') break;
      const auto mid = t.find('|', 1);
      std::string key = trim(t.substr(1, mid - 1));
      std::string value = trim(t.substr(mid + 1, t.rfind('|') - mid - 1));
      if (key != "key") ex.headers.emplace_back(std::move(key), std::move(value));
    }
  }
  return ex;
}

TEST(KafkaRoundTrip, HeadersPassThroughAndARestartedConsumerResumesAfterTheCommit) {
  auto bootstrap = bootstrap_or_fail();
  ASSERT_TRUE(bootstrap) << bootstrap.error().to_string();
  const BinaryModeExample example = binary_mode_example();
  ASSERT_EQ(example.headers.size(), 6u) << "the conformance feature's header table";
  ASSERT_EQ(example.headers[1].first, "ce_id");
  ASSERT_EQ(example.payload, "{\"message\": \"Hello World!\"}");

  const std::string topic = testing::unique_kafka_name("headers");
  const std::string group = testing::unique_kafka_name("headers-group");
  constexpr int kTopicPartitions = 2;
  Status created = testing::create_kafka_topic(*bootstrap, topic, kTopicPartitions);
  ASSERT_TRUE(created) << created.error().to_string();

  // Message i carries the example's headers with ce_id made unique, then a
  // binary header (NUL and bytes that are not UTF-8), an empty one and a
  // repeated name: all must arrive as sent, in order.
  constexpr int kMessages = 60;
  std::vector<kafka::Headers> sent(kMessages);
  const auto before_produce = std::chrono::system_clock::now();
  {
    auto made = make_producer(*bootstrap);
    ASSERT_TRUE(made) << made.error().to_string();
    sink::KafkaProducer& producer = *made;
    for (int i = 0; i < kMessages; ++i) {
      kafka::Headers h = example.headers;
      h[1].second += "-" + std::to_string(i);
      h.emplace_back("bytes", std::string("\0\xff\xfe" "raw", 6));
      h.emplace_back("empty", "");
      h.emplace_back("hop", "first");
      h.emplace_back("hop", "second");
      sent[static_cast<std::size_t>(i)] = h;
      Status st = producer.produce(topic, "svc-" + std::to_string(i % 7), example.payload, h);
      ASSERT_TRUE(st) << st.error().to_string();
    }
    Status flushed = producer.flush(30s);
    ASSERT_TRUE(flushed) << flushed.error().to_string();
    EXPECT_EQ(producer.counts().delivered, static_cast<std::uint64_t>(kMessages));
  }

  codec::CloudEventsDecoder cloudevents;
  const auto index_of = [&](const source::ConsumedMessage& m) -> int {
    for (const auto& [k, v] : m.headers) {
      const std::string prefix = example.headers[1].second + "-";
      if (k == "ce_id" && v.rfind(prefix, 0) == 0) return std::atoi(v.c_str() + prefix.size());
    }
    return -1;
  };
  const auto check_message = [&](const source::ConsumedMessage& m) {
    const int i = index_of(m);
    ASSERT_GE(i, 0) << "message without a ce_id from this test at offset " << m.offset;
    ASSERT_LT(i, kMessages);
    EXPECT_EQ(m.headers, sent[static_cast<std::size_t>(i)]);
    EXPECT_EQ(m.value, example.payload);
    EXPECT_EQ(m.key, "svc-" + std::to_string(i % 7));
    const auto ts = std::chrono::system_clock::time_point(std::chrono::nanoseconds(m.timestamp));
    EXPECT_GE(ts, before_produce - 5s);
    EXPECT_LE(ts, std::chrono::system_clock::now() + 5s);
    // The headers are a binary-mode CloudEvent that eventlens' codec reads.
    auto event = cloudevents.decode_binary(m.headers, m.value);
    ASSERT_TRUE(event) << event.error().to_string();
    EXPECT_EQ(event->id, sent[static_cast<std::size_t>(i)][1].second);
  };

  // First run: process 25 messages, commit exactly those, stop.
  constexpr int kFirstRun = 25;
  std::set<int> processed;
  std::map<std::int32_t, std::int64_t> committed_at;
  {
    auto consumer = make_consumer(*bootstrap, group, topic);
    ASSERT_TRUE(consumer) << consumer.error().to_string();
    source::MessageBatch batch;
    std::vector<kafka::PartitionOffset> offsets;
    const auto deadline = Clock::now() + 60s;
    while (static_cast<int>(processed.size()) < kFirstRun && Clock::now() < deadline) {
      auto n = consumer->poll(batch, 10, 500ms);
      ASSERT_TRUE(n) << n.error().to_string();
      for (const source::ConsumedMessage& m : batch) {
        // Fetched but not processed: must come again after the restart.
        if (static_cast<int>(processed.size()) == kFirstRun) break;
        check_message(m);
        processed.insert(index_of(m));
        offsets.push_back(kafka::PartitionOffset{m.topic, m.partition, m.offset + 1});
        committed_at[m.partition] = m.offset + 1;
      }
    }
    ASSERT_EQ(static_cast<int>(processed.size()), kFirstRun);
    // Later offsets of a partition supersede earlier ones in one commit.
    std::vector<kafka::PartitionOffset> last_per_partition;
    for (const auto& [partition, offset] : committed_at) {
      last_per_partition.push_back(kafka::PartitionOffset{topic, partition, offset});
    }
    Status st = consumer->commit(last_per_partition);
    ASSERT_TRUE(st) << st.error().to_string();
    auto committed = consumer->committed(10s);
    ASSERT_TRUE(committed) << committed.error().to_string();
    for (const kafka::PartitionOffset& o : *committed) {
      const auto it = committed_at.find(o.partition);
      EXPECT_EQ(o.offset, it == committed_at.end() ? kafka::kNoOffset : it->second)
          << "partition " << o.partition;
    }
    EXPECT_TRUE(consumer->close());
    // A closed consumer refuses work instead of crashing.
    EXPECT_FALSE(consumer->poll(batch, 1, 0ms));
  }

  // Second run, same group: everything after the commit, nothing before it.
  std::set<int> resumed;
  {
    auto consumer = make_consumer(*bootstrap, group, topic);
    ASSERT_TRUE(consumer) << consumer.error().to_string();
    source::MessageBatch batch;
    std::map<std::int32_t, std::int64_t> first_offset;
    const auto deadline = Clock::now() + 60s;
    while (static_cast<int>(resumed.size()) < kMessages - kFirstRun && Clock::now() < deadline) {
      auto n = consumer->poll(batch, 100, 500ms);
      ASSERT_TRUE(n) << n.error().to_string();
      for (const source::ConsumedMessage& m : batch) {
        check_message(m);
        const int i = index_of(m);
        EXPECT_FALSE(processed.count(i)) << "message " << i << " was committed but came again";
        EXPECT_TRUE(resumed.insert(i).second) << "message " << i << " came twice";
        first_offset.emplace(m.partition, m.offset);
      }
    }
    EXPECT_EQ(static_cast<int>(resumed.size()), kMessages - kFirstRun);
    for (const auto& [partition, offset] : first_offset) {
      const auto it = committed_at.find(partition);
      EXPECT_EQ(offset, it == committed_at.end() ? 0 : it->second) << "partition " << partition;
    }
    // Nothing more is waiting.
    auto n = consumer->poll(batch, 100, 1s);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 0u);
  }
  std::set<int> all = processed;
  all.insert(resumed.begin(), resumed.end());
  EXPECT_EQ(static_cast<int>(all.size()), kMessages);
}

}  // namespace
}  // namespace eventlens
