#include "pipeline/kafka_live_bench.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "codec/json_writer.h"
#include "kafka/admin.h"
#include "model/time.h"
#include "sink/kafka_producer.h"
#include "source/kafka_consumer.h"

extern "C" char** environ;

namespace eventlens::pipeline {

namespace {

using Clock = std::chrono::steady_clock;

TimeNs wall_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::size_t resident_bytes_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/statm");
  std::size_t pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
}

// The string value of `key` in a JSON text from `from` on, or "".
std::string_view json_string_at(std::string_view json, std::string_view key, std::size_t from = 0) {
  const std::string look = "\"" + std::string(key) + "\":\"";
  const auto at = json.find(look, from);
  if (at == std::string_view::npos) return {};
  const auto begin = at + look.size();
  return json.substr(begin, json.find('"', begin) - begin);
}

// Phases of the run, by when an event was produced. In the tail records
// still come at the steady rate, without events: event time moves on only
// with new records (live, it stops a little short of the newest), and the
// last events' after windows must close.
enum Phase : int { kSteady = 0, kBurst = 1, kAfter = 2, kTail = 3 };
constexpr int kTailSeconds = 35;  // the after window (20 s), a step (5 s), margin

struct Produced {
  std::atomic<TimeNs> at{0};
  std::atomic<int> phase{kSteady};
};

// Reads enriched_events read_committed and records each result's latency:
// provisional ones from their event's produce time, final ones from the end
// of their after window.
class LatencyReader {
 public:
  LatencyReader(const std::string& bootstrap, const std::string& topic, const std::vector<Produced>& produced)
      : produced_(produced) {
    source::KafkaConsumerOptions co;
    // A reader that wants results as they come asks the broker not to hold
    // a fetch (librdkafka waits up to 500 ms for more by default).
    co.properties = {{"bootstrap.servers", bootstrap}, {"fetch.wait.max.ms", "5"}};
    co.group_id = topic + "-latency";
    auto consumer = source::KafkaConsumer::create(co);
    if (!consumer) {
      error_ = consumer.error().to_string();
      return;
    }
    consumer_.emplace(std::move(*consumer));
    if (Status st = consumer_->subscribe({topic}); !st) error_ = st.error().to_string();
  }
  void run(const std::atomic<bool>& stop) {
    if (!consumer_) return;
    source::MessageBatch batch;
    while (!stop.load()) {
      auto n = consumer_->poll(batch, 5'000, std::chrono::milliseconds(50));
      if (!n) continue;
      const TimeNs now = wall_now();
      for (const source::ConsumedMessage& m : batch) take(m, now);
    }
  }
  const std::string& error() const { return error_; }
  std::vector<double> provisional_ms[4], final_ms[4];

 private:
  void take(const source::ConsumedMessage& m, TimeNs now) {
    bool final = false;
    for (const auto& [k, v] : m.headers) {
      if (k == "eventlens.stage") final = v == "final";
    }
    const std::string_view id = json_string_at(m.value, "event_id");
    if (id.size() < 4 || id.substr(0, 3) != "ev-") return;
    const std::size_t seq = std::strtoull(std::string(id.substr(3)).c_str(), nullptr, 10);
    if (seq >= produced_.size()) return;
    const int phase = produced_[seq].phase.load();
    if (!final) {
      provisional_ms[phase].push_back(static_cast<double>(now - produced_[seq].at.load()) / 1e6);
      return;
    }
    const auto window = m.value.find("\"window\":");
    auto to = parse_rfc3339(json_string_at(m.value, "to", window == std::string::npos ? 0 : window));
    if (to) final_ms[phase].push_back(static_cast<double>(now - *to) / 1e6);
  }

  const std::vector<Produced>& produced_;
  std::optional<source::KafkaConsumer> consumer_;
  std::string error_;
};

}  // namespace

int run_bench_kafka_live(const BenchKafkaLiveOptions& o) {
  if (o.bootstrap.empty()) {
    std::fprintf(stderr, "bench kafka --live: give --bootstrap HOST:PORT\n");
    return 2;
  }
  const std::string id = std::to_string(getpid()) + "-" + std::to_string(wall_now() / 1'000'000);
  const std::string prefix = "bench-live-" + id + ".";
  const kafka::ClientProperties common = {{"bootstrap.servers", o.bootstrap}};
  {
    auto admin = kafka::KafkaAdmin::create(common);
    if (!admin) return std::fprintf(stderr, "bench kafka --live: %s\n", admin.error().to_string().c_str()), 2;
    std::vector<kafka::NewTopic> topics;
    for (const char* t : {"scaling_events", "failure_events", "resource_provisioning", "change_events", "metrics",
                          "logs", "traces", "enriched_events", "incidents", "problems", "dead_letter"}) {
      topics.push_back({prefix + t, 1, {}});
    }
    if (Status st = admin->create_topics(topics, std::chrono::seconds(30)); !st) {
      return std::fprintf(stderr, "bench kafka --live: %s\n", st.error().to_string().c_str()), 2;
    }
  }
  // Short windows and steps, so that final records come within the run:
  // a final record waits for its after window (20 s) to end, then for event
  // time (the newest record less 1 s) to pass the end of that step (5 s).
  const std::string config = "/tmp/eventlens-bench-live-" + id + ".yaml";
  std::ofstream(config) << "step: 5s\nmax_out_of_orderness: 1s\nidle_timeout: 5s\nwindows:\n"
                           "  scaling: {before: 30s, settle: 0s, after: 20s}\n"
                           "  change: {before: 30s, settle: 0s, after: 20s}\n";
  char self[4096] = {};
  const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) return 2;
  std::vector<std::string> args = {std::string(self, static_cast<std::size_t>(len)),
                                   "serve", "--kafka", o.bootstrap, "--topic-prefix", prefix, "--group",
                                   "bench-live-" + id, "--instance", "bench", "--config", config,
                                   "--metrics-listen", "", "--quiet"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t serve = -1;
  if (posix_spawn(&serve, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return 2;

  const std::size_t max_events =
      static_cast<std::size_t>(o.events_per_s * o.burst_factor * (o.seconds + 1)) + 1000;
  std::vector<Produced> produced(max_events);
  LatencyReader reader(o.bootstrap, prefix + "enriched_events", produced);
  if (!reader.error().empty()) return std::fprintf(stderr, "bench kafka --live: %s\n", reader.error().c_str()), 2;
  std::atomic<bool> stop_reading{false};
  std::thread reading([&] { reader.run(stop_reading); });

  sink::KafkaProducerOptions po;
  po.properties = common;
  auto producer = sink::KafkaProducer::create(po);
  if (!producer) return std::fprintf(stderr, "bench kafka --live: %s\n", producer.error().to_string().c_str()), 2;
  // Give serve its assignment before the clock starts.
  std::this_thread::sleep_for(std::chrono::seconds(5));

  constexpr int kPods = 100;
  const char* const kMetrics[] = {"http_requests_total", "container_cpu_usage_seconds_total",
                                  "container_memory_working_set_bytes", "http_requests_errors_total"};
  const std::size_t series = static_cast<std::size_t>(o.services) * kPods * 4;
  std::vector<double> counters(series, 0);
  std::vector<std::size_t> rss[4];
  std::uint64_t records[4] = {0, 0, 0, 0};
  double seconds_in[4] = {0, 0, 0, 0};
  const double burst_from = o.seconds / 3.0, burst_to = burst_from + o.burst_seconds;
  std::size_t next_series = 0, events = 0;
  double due = 0;
  std::string line;
  const auto start = Clock::now();
  auto last_sample = start;
  for (;;) {
    const double t = std::chrono::duration<double>(Clock::now() - start).count();
    if (t >= o.seconds + kTailSeconds) break;
    const Phase phase = t < burst_from ? kSteady : t < burst_to ? kBurst : t < o.seconds ? kAfter : kTail;
    const double rate = phase == kBurst ? o.rate * o.burst_factor : o.rate;
    due += rate * 0.005;
    const double event_every = rate / o.events_per_s;
    while (due >= 1) {
      due -= 1;
      const TimeNs now = wall_now();
      const std::string when = format_rfc3339(now);
      if (phase != kTail && events < max_events &&
          records[phase] % std::max<std::uint64_t>(1, static_cast<std::uint64_t>(event_every)) == 0) {
        const std::size_t seq = events++;
        const int s = static_cast<int>(seq % static_cast<std::size_t>(o.services));
        const bool scaling = seq % 2 == 0;
        const std::string service = "svc-" + std::to_string(s);
        line = "{\"id\":\"ev-" + std::to_string(seq) + "\",\"time\":\"" + when + "\",\"category\":\"" +
               (scaling ? "scaling" : "change") + "\",\"type\":\"" + (scaling ? "scale_up" : "deploy") +
               "\",\"service\":\"" + service + "\"}";
        produced[seq].phase = phase;
        produced[seq].at = wall_now();
        (void)producer->produce(prefix + (scaling ? "scaling_events" : "change_events"), service, line);
      }
      const std::size_t k = next_series++ % series;
      const int s = static_cast<int>(k % static_cast<std::size_t>(o.services));
      const int pod = static_cast<int>((k / static_cast<std::size_t>(o.services)) % kPods);
      const char* metric = kMetrics[k / (static_cast<std::size_t>(o.services) * kPods)];
      counters[k] += 1 + static_cast<double>(k % 7);
      char value[32];
      std::snprintf(value, sizeof value, "%.1f", counters[k]);
      const std::string service = "svc-" + std::to_string(s);
      line = std::string("{\"name\":\"") + metric + "\",\"labels\":{\"service\":\"" + service + "\",\"pod\":\"" +
             service + "-" + std::to_string(pod) + "\"},\"time\":\"" + when + "\",\"value\":" + value + "}";
      (void)producer->produce(prefix + "metrics", service, line);
      ++records[phase];
    }
    const auto now = Clock::now();
    if (now - last_sample >= std::chrono::milliseconds(100)) {
      rss[phase].push_back(resident_bytes_of(serve));
      last_sample = now;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  seconds_in[kSteady] = burst_from + (o.seconds - burst_to);
  seconds_in[kBurst] = o.burst_seconds;
  (void)producer->flush(std::chrono::seconds(60));
  // What was committed last reaches the reader.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  kill(serve, SIGTERM);
  int status = 0;
  waitpid(serve, &status, 0);
  stop_reading = true;
  reading.join();
  std::remove(config.c_str());

  std::vector<double> steady_prov = reader.provisional_ms[kSteady], steady_final = reader.final_ms[kSteady];
  std::vector<double> all_prov, all_final;
  for (int p = kSteady; p <= kAfter; ++p) {
    all_prov.insert(all_prov.end(), reader.provisional_ms[p].begin(), reader.provisional_ms[p].end());
    all_final.insert(all_final.end(), reader.final_ms[p].begin(), reader.final_ms[p].end());
  }
  std::vector<double> steady_rss(rss[kSteady].begin(), rss[kSteady].end());
  const double rss_steady = percentile(steady_rss, 0.5);
  double rss_peak = 0;
  for (int p : {kBurst, kAfter, kTail}) {
    for (std::size_t b : rss[p]) rss_peak = std::max(rss_peak, static_cast<double>(b));
  }
  const double steady_rate =
      static_cast<double>(records[kSteady] + records[kAfter] + records[kTail]) / (seconds_in[kSteady] + kTailSeconds);
  const double burst_rate = static_cast<double>(records[kBurst]) / seconds_in[kBurst];
  if (o.json) {
    std::string out;
    codec::JsonWriter w(out);
    w.begin_object();
    w.field("name", "serve_kafka_live");
    w.key("records_per_s");
    w.number(steady_rate);
    w.key("burst_records_per_s");
    w.number(burst_rate);
    w.key("events");
    w.number(static_cast<double>(events));
    w.key("p50_ms");
    w.number(percentile(steady_prov, 0.5));
    w.key("p99_ms");
    w.number(percentile(steady_prov, 0.99));
    w.key("final_beyond_window_p50_ms");
    w.number(percentile(steady_final, 0.5));
    w.key("final_beyond_window_p99_ms");
    w.number(percentile(steady_final, 0.99));
    w.key("steady_rss_bytes");
    w.number(rss_steady);
    w.key("peak_rss_bytes");
    w.number(rss_peak);
    w.key("burst_rss_ratio");
    w.number(rss_steady > 0 ? rss_peak / rss_steady : 0);
    w.end_object();
    std::printf("%s\n", out.c_str());
  } else {
    std::printf("kafka live (topics %s*): %.0f records/s steady, %.0f in a %d s burst; %zu events; serve exited %d\n",
                prefix.c_str(), steady_rate, burst_rate, o.burst_seconds, events,
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    std::printf("  provisional, produce -> read_committed reader: steady p50 %.0f ms, p99 %.0f ms (n %zu); "
                "all p99 %.0f ms (n %zu)\n",
                percentile(steady_prov, 0.5), percentile(steady_prov, 0.99), steady_prov.size(),
                percentile(all_prov, 0.99), all_prov.size());
    std::printf("  final, beyond the end of the after window: steady p50 %.0f ms, p99 %.0f ms (n %zu); "
                "all p99 %.0f ms (n %zu)\n",
                percentile(steady_final, 0.5), percentile(steady_final, 0.99), steady_final.size(),
                percentile(all_final, 0.99), all_final.size());
    std::printf("  serve RSS: steady median %.0f MB, peak in and after the burst %.0f MB = %.2fx\n", rss_steady / 1e6,
                rss_peak / 1e6, rss_steady > 0 ? rss_peak / rss_steady : 0);
  }
  return 0;
}

}  // namespace eventlens::pipeline
