#include "cli/consume_command.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <utility>

#include "source/kafka_consumer.h"

namespace eventlens::cli {

namespace {

std::atomic<bool> g_consume_stop{false};
extern "C" void on_consume_stop(int) { g_consume_stop.store(true); }

std::string unique_group() {
  return "eventlens-consume-" +
         std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
}

}  // namespace

int run_consume(const ConsumeCommandOptions& options) {
  if (options.brokers.empty() || options.topics.empty()) {
    std::fprintf(stderr, "eventlens consume: give --kafka BROKERS and at least one topic\n");
    return 2;
  }
  source::KafkaConsumerOptions co;
  co.properties = {{"bootstrap.servers", options.brokers}};
  if (options.until_end) co.properties.emplace_back("enable.partition.eof", "true");
  // A group of its own each time: it reads from the beginning and commits nothing.
  co.group_id = unique_group();
  auto consumer = source::KafkaConsumer::create(co);
  if (!consumer) {
    std::fprintf(stderr, "eventlens consume: %s\n", consumer.error().to_string().c_str());
    return 2;
  }
  std::vector<std::string> topics;
  for (const std::string& t : options.topics) topics.push_back(options.topic_prefix + t);
  if (Status st = consumer->subscribe(topics); !st) {
    std::fprintf(stderr, "eventlens consume: %s\n", st.error().to_string().c_str());
    return 2;
  }
  std::signal(SIGINT, on_consume_stop);
  std::signal(SIGTERM, on_consume_stop);
  source::MessageBatch batch;
  source::PartitionsAtEnd ended;
  std::size_t partitions = 0;
  while (!g_consume_stop.load()) {
    auto n = consumer->poll(batch, 1000, std::chrono::milliseconds(200));
    if (!n) {
      std::fprintf(stderr, "eventlens consume: %s\n", n.error().to_string().c_str());
      return 1;
    }
    for (const auto& m : batch) {
      if (options.headers) {
        std::string head = m.topic;
        for (const auto& [k, v] : m.headers) head += " " + k + "=" + v;
        std::printf("%s\t", head.c_str());
      }
      std::fwrite(m.value.data(), 1, m.value.size(), stdout);
      std::fputc('\n', stdout);
    }
    ended.see(batch);
    if (options.until_end) {
      if (partitions == 0) {
        if (auto a = consumer->assignment(); a) partitions = a->size();
      }
      if (partitions > 0 && ended.count() >= partitions) break;
    }
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace eventlens::cli
