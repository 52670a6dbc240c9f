// `eventlens bench engine`: records/s per core through the stream engine
// (stream::Shard + correlate::Correlator) on a generated cluster's telemetry,
// next to decoding the same records from native JSON lines in the same run,
// and the bytes of state the engine holds per live series. With --replay DIR:
// `eventlens replay` on a simulator's output next to decoding the same files.
// Single-threaded: every figure is for one core.
#include "pipeline/engine_bench.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "codec/json_writer.h"
#include "codec/native_json.h"
#include "correlate/config.h"
#include "correlate/correlator.h"
#include "model/taxonomy.h"
#include "pipeline/engine.h"
#include "pipeline/kafka_serve_bench.h"
#include "pipeline/replay.h"
#include "source/file_source.h"
#include "stream/shard.h"

namespace eventlens::pipeline {
namespace {

namespace fs = std::filesystem;

constexpr TimeNs kStep = 15 * kNanosPerSecond;
// The metric samples of one pod per scrape (PodSamples) and the engine series
// they feed under the default configuration: http_requests_total feeds two
// (throughput, and the denominator of the error ratio); the 0.5 quantile and
// the _sum and _count of the summary feed none.
constexpr std::size_t kSamplesPerPod = 10;
constexpr std::size_t kSeriesPerPod = 8;
constexpr std::size_t kChunkRecords = 8192;

std::uint64_t mix(std::uint64_t a, std::uint64_t b, std::uint64_t c = 0) {
  std::uint64_t z = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull) * 0xBF58476D1CE4E5B9ull ^ c;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double unit(std::uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

void append_hex(std::string& out, std::uint64_t v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out += kHex[(v >> (4 * i)) & 15];
}

// The shape of the generated cluster.
struct Shape {
  std::size_t pods = 0;
  std::size_t pods_per_service = 20;
  std::size_t services = 0;
  std::size_t event_every = 1;  // one event per this many pod scrapes
  std::size_t records = 0;      // the stream ends after the pod that reaches this
};

// A cluster's telemetry, generated deterministically pod by pod: every 15 s
// step, each pod is scraped (kSamplesPerPod samples: gauges, counters, a
// summary, two metrics no signal reads), writes one log line and one span
// (a call from the same pod slot of its caller service, so the engine learns
// a service tree), and every event_every-th pod scrape comes with an event.
// Pods are scraped spread over the step, so event time only moves forward.
class ClusterStream {
 public:
  explicit ClusterStream(const Shape& shape) : shape_(shape) {
    static constexpr std::array<const char*, 10> kWords = {"frontend", "checkout", "payment", "inventory", "search",
                                                           "cart",     "shipping", "auth",    "catalog",   "orders"};
    for (std::size_t s = 0; s < shape_.services; ++s) {
      services_.push_back(std::string(kWords[s % kWords.size()]) + "-" + std::to_string(s));
    }
    for (std::size_t p = 0; p < shape_.pods; ++p) {
      std::string pod = services_[service_of(p)] + "-5d8c7b9f4-";
      std::uint64_t h = mix(p, 77);
      for (int i = 0; i < 5; ++i, h /= 36) pod += "0123456789abcdefghijklmnopqrstuvwxyz"[h % 36];
      pods_.push_back(std::move(pod));
      nodes_.push_back("ip-10-0-" + std::to_string(p / 30 / 250) + "-" + std::to_string(p / 30 % 250) +
                       ".ec2.internal");
    }
  }

  void rewind() { step_ = pod_ = produced_ = units_ = 0; }
  std::size_t steps() const { return step_ + (pod_ != 0 ? 1 : 0); }

  // Replaces `out` with the next records (whole pods, about kChunkRecords);
  // false once the stream has ended.
  bool next_chunk(std::vector<Record>& out) {
    out.clear();
    while (produced_ < shape_.records && out.size() + kSamplesPerPod + 3 <= kChunkRecords) {
      const std::size_t before = out.size();
      pod_records(out);
      produced_ += out.size() - before;
      if (++pod_ == shape_.pods) {
        pod_ = 0;
        ++step_;
      }
    }
    return !out.empty();
  }

 private:
  std::size_t service_of(std::size_t pod) const { return pod / shape_.pods_per_service; }

  TimeNs time_of(std::size_t step, std::size_t pod) const {
    return kBase + static_cast<TimeNs>(step) * kStep +
           static_cast<TimeNs>(pod) * (kStep / static_cast<TimeNs>(shape_.pods));
  }

  MetricSample& sample(std::vector<Record>& out, const char* name, TimeNs t, double value) {
    auto& m = std::get<MetricSample>(out.emplace_back(std::in_place_type<MetricSample>));
    m.name = name;
    m.time = t;
    m.value = value;
    return m;
  }

  void pod_records(std::vector<Record>& out) {
    const std::size_t p = pod_, k = step_, s = service_of(p);
    const std::string& service = services_[s];
    const std::string& pod = pods_[p];
    const TimeNs t = time_of(k, p);
    const std::uint64_t h = mix(k, p);
    // Requests per second of this pod: steady with a little noise; a few
    // services run hot.
    const double rps = 20.0 + static_cast<double>(mix(s, 5) % 200);
    const double requests = std::floor(rps * 15.0 * static_cast<double>(k + 1) + 100 * unit(h));
    const double errors = std::floor(requests * (0.001 + 0.004 * unit(mix(s, 6))));
    const double p50 = 0.02 + 0.01 * unit(mix(h, 1));
    const double p95 = 0.08 + 0.04 * unit(mix(h, 2)) + (s % 7 == 0 ? 0.05 : 0.0);
    const Labels basic = {{"namespace", "shop"}, {"pod", pod}, {"service", service}};

    sample(out, "http_requests_total", t, requests).labels = basic;
    sample(out, "http_requests_errors_total", t, errors).labels = basic;
    sample(out, "http_request_duration_seconds", t, p50).labels = {
        {"namespace", "shop"}, {"pod", pod}, {"quantile", "0.5"}, {"service", service}};
    sample(out, "http_request_duration_seconds", t, p95).labels = {
        {"namespace", "shop"}, {"pod", pod}, {"quantile", "0.95"}, {"service", service}};
    sample(out, "http_request_duration_seconds_sum", t, requests * p50).labels = basic;
    sample(out, "http_request_duration_seconds_count", t, requests).labels = basic;
    const Labels container = {{"container", service}, {"namespace", "shop"}, {"node", nodes_[p]},
                              {"pod", pod},           {"service", service}};
    sample(out, "container_cpu_usage_seconds_total", t, 0.25 * 15.0 * static_cast<double>(k + 1) + unit(mix(h, 3)))
        .labels = container;
    sample(out, "container_memory_working_set_bytes", t, std::floor(3.0e8 + 1.0e8 * unit(mix(p, 9)) + 1.0e6 * unit(mix(h, 4))))
        .labels = container;
    sample(out, "kube_pod_container_resource_limits", t, 536870912.0).labels = {
        {"container", service}, {"namespace", "shop"}, {"pod", pod}, {"resource", "memory"},
        {"service", service},   {"unit", "byte"}};
    sample(out, "kube_pod_status_phase", t, 0.0).labels = {
        {"namespace", "shop"}, {"phase", "Pending"}, {"pod", pod}, {"service", service}};

    // One span: pod slot j of service s is called by pod slot j of service
    // (s - 1) / 4, in the trace of slot j at this step.
    const std::size_t slot = p % shape_.pods_per_service;
    auto& sp = std::get<Span>(out.emplace_back(std::in_place_type<Span>));
    append_hex(sp.trace_id, mix(k, slot, 11), 16);
    append_hex(sp.trace_id, mix(k, slot, 12), 16);
    append_hex(sp.span_id, mix(k, p, 13), 16);
    if (s > 0) {
      const std::size_t caller = (s - 1) / 4 * shape_.pods_per_service + slot;
      append_hex(sp.parent_span_id, mix(k, caller, 13), 16);
    }
    sp.service = service;
    sp.name = "GET /api/v1/items";
    const bool failed = unit(mix(h, 7)) < 0.01;
    sp.start = t - static_cast<TimeNs>((5 + mix(h, 8) % 300) * 1'000'000);
    sp.end = t;
    sp.status = failed ? SpanStatus::error : SpanStatus::ok;
    sp.attributes = {{"http.status_code", std::int64_t{failed ? 500 : 200}}};

    // One log line: mostly access lines, some warnings and errors.
    auto& l = std::get<LogRecord>(out.emplace_back(std::in_place_type<LogRecord>));
    l.time = t;
    l.service = service;
    const double roll = unit(mix(h, 9));
    if (roll < 0.02) {
      l.severity = Severity::error;
      l.body = "upstream timeout after " + std::to_string(1000 + mix(h, 10) % 4000) + " ms calling " +
               services_[(s + 1) % services_.size()] + " (attempt " + std::to_string(1 + mix(h, 11) % 3) + ")";
      l.trace_id = sp.trace_id;
      l.span_id = sp.span_id;
    } else if (roll < 0.10) {
      l.severity = Severity::warning;
      l.body = "slow query on orders: " + std::to_string(200 + mix(h, 10) % 800) + " ms";
    } else {
      l.severity = Severity::info;
      l.body = "GET /api/v1/items/" + std::to_string(mix(h, 10) % 100000) + " 200 in " +
               std::to_string(5 + mix(h, 11) % 60) + " ms";
    }

    if (units_++ % shape_.event_every == 0) {
      static constexpr std::array<const char*, 8> kTypes = {"scale_up",   "pod_scheduled", "scale_down", "deploy",
                                                            "oom_killed", "node_added",    "probe_failed",
                                                            "config_changed"};
      auto& e = std::get<Event>(out.emplace_back(std::in_place_type<Event>));
      e.type = kTypes[mix(h, 12) % kTypes.size()];
      e.category = category_of_type(e.type).value_or(Category::other);
      e.id = "ev-" + std::to_string(k) + "-" + std::to_string(p);
      e.time = t;
      e.service = service;
      e.namespace_ = "shop";
      e.node = nodes_[p];
      e.pod = pod;
      e.severity = e.category == Category::failure ? Severity::error : Severity::info;
      e.message = e.type + " on " + service;
      e.attributes = {{"replicas", static_cast<std::int64_t>(shape_.pods_per_service)}};
      e.source = "k8s";
    }
  }

  static constexpr TimeNs kBase = 1'793'610'000'000'000'000 / kStep * kStep;
  Shape shape_;
  std::vector<std::string> services_, pods_, nodes_;
  std::size_t step_ = 0, pod_ = 0, produced_ = 0, units_ = 0;
};

void encode_lines(const std::vector<Record>& records, std::string& text) {
  text.clear();
  for (const Record& r : records) {
    codec::encode_native(r, text);
    text += '\n';
  }
}

// Results are counted and dropped: the figure is the engine's, not a sink's.
struct CountingSink final : correlate::ResultSink {
  std::uint64_t enriched = 0, incidents = 0, problems = 0, dead_letters = 0;
  void on_enriched(const correlate::EnrichedEvent&) override { ++enriched; }
  void on_incident(const correlate::Incident&, bool final) override { incidents += final ? 1 : 0; }
  void on_problem(const correlate::Problem&) override { ++problems; }
  void on_explanation(const correlate::Explanation&) override {}
  void on_dead_letter(const Record&, const Error&) override { ++dead_letters; }
};

struct DropHandler final : codec::RecordHandler {
  std::size_t records = 0, rejected = 0;
  void on_record(const Record&, std::size_t) override { ++records; }
  void on_reject(Error&&, std::size_t) override { ++rejected; }
};

// The engine of one run, default configuration; its results are counted.
struct BenchEngine {
  CountingSink sink;
  Engine engine{correlate::default_config(), sink, false};
  std::size_t input = engine.add_input();
};

struct PushHandler final : codec::RecordHandler {
  BenchEngine& engine;
  std::size_t records = 0, rejected = 0;
  explicit PushHandler(BenchEngine& e) : engine(e) {}
  void on_record(const Record& r, std::size_t) override {
    engine.engine.push(engine.input, r);
    ++records;
  }
  void on_reject(Error&&, std::size_t) override { ++rejected; }
};

// Wall and thread CPU time of the timed sections of one pass.
struct Clock {
  double wall = 0, cpu = 0;
  template <typename Fn>
  void time(Fn&& fn) {
    timespec c0, c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    const auto w0 = std::chrono::steady_clock::now();
    fn();
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    cpu += static_cast<double>(c1.tv_sec - c0.tv_sec) + static_cast<double>(c1.tv_nsec - c0.tv_nsec) / 1e9;
  }
};

std::size_t resident_bytes() {
  long pages = 0, resident = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<std::size_t>(resident) * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

enum class Mode { decode_only, engine_only, decode_engine };

struct Pass {
  Clock clock;
  std::size_t records = 0, bytes = 0;
};

// One pass over the whole stream in `mode`; generating the records (and
// their text) is not timed. `engine` (engine modes) is left holding the
// state the stream built.
Pass run_pass(Mode mode, ClusterStream& stream, std::vector<Record>& chunk, std::string& text, BenchEngine* engine) {
  Pass pass;
  codec::NativeJsonDecoder decoder;
  stream.rewind();
  std::size_t rejected = 0;
  while (stream.next_chunk(chunk)) {
    if (mode != Mode::engine_only) {
      encode_lines(chunk, text);
      pass.bytes += text.size();
    }
    switch (mode) {
      case Mode::decode_only: {
        DropHandler h;
        pass.clock.time([&] { decoder.decode(text, h); });
        pass.records += h.records;
        rejected += h.rejected;
        break;
      }
      case Mode::engine_only:
        pass.clock.time([&] {
          for (const Record& r : chunk) engine->engine.push(engine->input, r);
        });
        pass.records += chunk.size();
        break;
      case Mode::decode_engine: {
        PushHandler h(*engine);
        pass.clock.time([&] { decoder.decode(text, h); });
        pass.records += h.records;
        rejected += h.rejected;
        break;
      }
    }
  }
  if (engine != nullptr) pass.clock.time([&] { engine->engine.finish(); });
  if (rejected != 0) std::fprintf(stderr, "bench engine: %zu generated records rejected by the decoder\n", rejected);
  return pass;
}

// The decoder must hand the engine exactly the generated records, or the two
// measurements would not be of the same input.
bool round_trips(ClusterStream& stream, std::vector<Record>& chunk, std::string& text) {
  stream.rewind();
  stream.next_chunk(chunk);
  encode_lines(chunk, text);
  struct Compare final : codec::RecordHandler {
    const std::vector<Record>& want;
    std::size_t at = 0;
    bool same = true;
    explicit Compare(const std::vector<Record>& w) : want(w) {}
    void on_record(const Record& r, std::size_t) override { same = same && at < want.size() && r == want[at++]; }
    void on_reject(Error&&, std::size_t) override { same = false; }
  } compare(chunk);
  codec::NativeJsonDecoder decoder;
  decoder.decode(text, compare);
  return compare.same && compare.at == chunk.size();
}

void key_number(codec::JsonWriter& w, std::string_view k, double v) {
  w.key(k);
  w.number(v);
}
void key_integer(codec::JsonWriter& w, std::string_view k, std::uint64_t v) {
  w.key(k);
  w.integer(static_cast<std::int64_t>(v));
}

int run_in_memory(const BenchEngineOptions& options) {
  const int runs = std::max(1, options.runs);
  Shape shape;
  shape.pods_per_service = std::max<std::size_t>(1, options.pods_per_service);
  shape.pods = std::max<std::size_t>(1, (options.series + kSeriesPerPod - 1) / kSeriesPerPod);
  shape.services = (shape.pods + shape.pods_per_service - 1) / shape.pods_per_service;
  shape.event_every = std::max<std::size_t>(1, options.event_every);
  shape.records = std::max<std::size_t>(1, options.records);
  ClusterStream stream(shape);
  std::vector<Record> chunk;
  chunk.reserve(kChunkRecords);
  std::string text;
  text.reserve(kChunkRecords * 400);
  if (!round_trips(stream, chunk, text)) {
    std::fprintf(stderr, "bench engine: decoded records differ from the generated ones\n");
    return 1;
  }

  // The untimed first pass measures memory: state the shard counts, and the
  // growth of resident memory while it was built (which also holds the
  // correlator's pending events and the allocator's slack).
  const std::size_t rss_before = resident_bytes();
  std::size_t state_bytes = 0, live_series = 0, rss_growth = 0, signals = 0, steps = 0;
  // The metrics derived from spans and logs keep counters per service and
  // the calls whose other half has not arrived yet.
  std::size_t derived_bytes = 0, derived_services = 0;
  std::uint64_t enriched = 0, incidents = 0, dead_letters = 0, expired = 0;
  std::optional<RestoreTiming> restore;
  {
    auto engine = std::make_unique<BenchEngine>();
    run_pass(Mode::engine_only, stream, chunk, text, engine.get());
    rss_growth = resident_bytes() - std::min(resident_bytes(), rss_before);
    state_bytes = engine->engine.shard().state_bytes();
    live_series = engine->engine.shard().live_series();
    derived_bytes = engine->engine.derived().state_bytes();
    derived_services = engine->engine.derived().services();
    signals = engine->engine.shard().signal_count();
    expired = engine->engine.shard().counters().series_expired;
    enriched = engine->sink.enriched;
    incidents = engine->sink.incidents;
    dead_letters = engine->sink.dead_letters;
    steps = stream.steps();
    if (!options.restore_kafka.empty()) {
      stream::CheckpointStore::Parts parts;
      engine->engine.save(parts);
      std::unique_ptr<BenchEngine> fresh;
      auto timing = time_state_restore(
          options.restore_kafka, parts,
          [&fresh](const stream::CheckpointStore::Parts& p) {
            fresh = std::make_unique<BenchEngine>();
            return fresh->engine.load(p);
          },
          std::min(runs, 3));
      if (!timing) {
        std::fprintf(stderr, "bench engine: restore from Kafka: %s\n", timing.error().to_string().c_str());
        return 2;
      }
      restore = *timing;
    }
  }
  run_pass(Mode::decode_only, stream, chunk, text, nullptr);  // warms the decoder path

  // Runs interleave the three measurements, so that a noisy neighbour slows
  // all of them alike; each figure is the median over runs.
  std::vector<double> wall[3], cpu[3];
  std::size_t records = 0, bytes = 0;
  for (int run = 0; run < runs; ++run) {
    for (Mode mode : {Mode::decode_only, Mode::engine_only, Mode::decode_engine}) {
      std::unique_ptr<BenchEngine> engine;
      if (mode != Mode::decode_only) engine = std::make_unique<BenchEngine>();
      const Pass pass = run_pass(mode, stream, chunk, text, engine.get());
      wall[static_cast<int>(mode)].push_back(pass.clock.wall);
      cpu[static_cast<int>(mode)].push_back(pass.clock.cpu);
      records = pass.records;
      if (mode == Mode::decode_only) bytes = pass.bytes;
    }
  }
  const double n = static_cast<double>(records);
  const double decode_rate = n / median(wall[0]), engine_rate = n / median(wall[1]), both_rate = n / median(wall[2]);
  const double decode_cpu_rate = n / median(cpu[0]), engine_cpu_rate = n / median(cpu[1]),
               both_cpu_rate = n / median(cpu[2]);
  const double per_series = live_series == 0 ? 0.0 : static_cast<double>(state_bytes) / static_cast<double>(live_series);
  const double rss_per_series =
      live_series == 0 ? 0.0 : static_cast<double>(rss_growth) / static_cast<double>(live_series);
  const double derived_per_service =
      derived_services == 0 ? 0.0 : static_cast<double>(derived_bytes) / static_cast<double>(derived_services);

  if (options.json) {
    auto line = [&](std::string_view name, double rate, double cpu_rate, bool with_state) {
      std::string out;
      codec::JsonWriter w(out);
      w.begin_object();
      w.field("name", name);
      key_number(w, "records_per_s", rate);
      key_number(w, "records_per_cpu_s", cpu_rate);
      w.field("baseline", "decode_only_native_json");
      key_number(w, "baseline_records_per_s", decode_rate);
      key_number(w, "baseline_records_per_cpu_s", decode_cpu_rate);
      key_number(w, "ratio", rate / decode_rate);
      key_integer(w, "records", records);
      key_integer(w, "bytes", bytes);
      key_integer(w, "steps", steps);
      key_integer(w, "pods", shape.pods);
      key_integer(w, "services", shape.services);
      key_integer(w, "event_every", shape.event_every);
      key_integer(w, "runs", static_cast<std::uint64_t>(runs));
      if (with_state) {
        key_integer(w, "series_target", options.series);
        key_integer(w, "live_series", live_series);
        key_integer(w, "expired_series", expired);
        key_integer(w, "signals", signals);
        key_integer(w, "state_bytes", state_bytes);
        key_number(w, "state_bytes_per_series", per_series);
        key_integer(w, "rss_growth_bytes", rss_growth);
        key_number(w, "rss_growth_bytes_per_series", rss_per_series);
        key_integer(w, "derived_state_bytes", derived_bytes);
        key_integer(w, "derived_services", derived_services);
        key_number(w, "derived_state_bytes_per_service", derived_per_service);
        key_integer(w, "enriched_events", enriched);
        key_integer(w, "incidents", incidents);
        key_integer(w, "dead_letters", dead_letters);
      }
      w.end_object();
      std::printf("%s\n", out.c_str());
    };
    line("engine_only", engine_rate, engine_cpu_rate, true);
    line("decode_plus_engine", both_rate, both_cpu_rate, false);
    if (restore) {
      std::string out;
      codec::JsonWriter w(out);
      w.begin_object();
      w.field("name", "restore_from_kafka");
      key_integer(w, "live_series", live_series);
      key_integer(w, "snapshot_bytes", restore->snapshot_bytes);
      key_integer(w, "snapshot_messages", restore->records);
      key_number(w, "seconds", restore->seconds);
      key_number(w, "read_seconds", restore->read_seconds);
      key_number(w, "load_seconds", restore->load_seconds);
      w.end_object();
      std::printf("%s\n", out.c_str());
    }
  } else {
    std::printf("engine: %zu records in %zu steps of 15 s; %zu pods of %zu services, one event per %zu pod scrapes; "
                "median of %d runs\n",
                records, steps, shape.pods, shape.services, shape.event_every, runs);
    std::printf("  decode only        %12.0f records/s  (%12.0f per CPU s)\n", decode_rate, decode_cpu_rate);
    std::printf("  engine only        %12.0f records/s  (%12.0f per CPU s)   ratio to decode %.2f\n", engine_rate,
                engine_cpu_rate, engine_rate / decode_rate);
    std::printf("  decode + engine    %12.0f records/s  (%12.0f per CPU s)   ratio to decode %.2f\n", both_rate,
                both_cpu_rate, both_rate / decode_rate);
    std::printf("  state: %zu live series (%zu expired), %zu signals; %zu bytes = %.0f bytes/series; "
                "RSS growth %zu bytes = %.0f bytes/series\n",
                live_series, static_cast<std::size_t>(expired), signals, state_bytes, per_series, rss_growth,
                rss_per_series);
    std::printf("  derived from spans and logs: %zu services, %zu bytes = %.0f bytes/service\n", derived_services,
                derived_bytes, derived_per_service);
    std::printf("  out: %llu events enriched, %llu incidents, %llu dead letters\n",
                static_cast<unsigned long long>(enriched), static_cast<unsigned long long>(incidents),
                static_cast<unsigned long long>(dead_letters));
    if (restore) {
      std::printf("  restore from Kafka: %zu series, snapshot %llu bytes in %zu messages: %.2f s (read %.2f s, "
                  "load %.2f s)\n",
                  live_series, static_cast<unsigned long long>(restore->snapshot_bytes), restore->records,
                  restore->seconds, restore->read_seconds, restore->load_seconds);
    }
  }
  return dead_letters == 0 ? 0 : 1;
}

// `eventlens replay` over a simulator's output next to decoding the same
// files through the same file sources (the records dropped).
int run_replay_files(const BenchEngineOptions& options) {
  const fs::path dir = options.replay;
  ReplaySpec replay;
  std::vector<std::string> files;
  for (const auto& [name, list] : {std::pair{"events.jsonl", &replay.events}, std::pair{"metrics.jsonl", &replay.metrics},
                                   std::pair{"logs.jsonl", &replay.logs}, std::pair{"traces.jsonl", &replay.traces}}) {
    for (const std::string suffix : {"", ".gz"}) {
      const fs::path p = dir / (std::string(name) + suffix);
      if (fs::exists(p)) {
        list->push_back(p.string());
        files.push_back(p.string());
      }
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "bench engine: %s holds no events/metrics/logs/traces .jsonl files\n", dir.c_str());
    return 2;
  }
  const fs::path out = fs::temp_directory_path() / ("eventlens-bench-replay-" + std::to_string(::getpid()));
  replay.out = out.string();
  codec::DecodeOptions decode_options;
  decode_options.service_attributes = {"service.name"};

  std::uint64_t records = 0, bytes = 0;
  auto decode_all = [&]() -> bool {
    std::vector<Record> batch;
    std::vector<source::RejectedRecord> rejected;
    records = bytes = 0;
    for (const std::string& path : files) {
      auto src = source::FileSource::open(path, std::nullopt, decode_options);
      if (!src.ok()) {
        std::fprintf(stderr, "bench engine: %s\n", src.error().to_string().c_str());
        return false;
      }
      while ((*src)->next_batch(batch, rejected, 4096)) records += batch.size();
      bytes += (*src)->bytes_read();
    }
    return true;
  };
  std::vector<double> decode_s, replay_s;
  if (!decode_all()) return 2;  // warms the page cache
  for (int run = 0; run < std::max(1, options.runs); ++run) {
    Clock d;
    bool ok = true;
    d.time([&] { ok = decode_all(); });
    if (!ok) return 2;
    decode_s.push_back(d.wall);
    Clock r;
    ReplayOutcome outcome;
    r.time([&] { outcome = run_replay(replay); });
    if (outcome.kind != ReplayOutcome::Kind::done) {
      std::fprintf(stderr, "bench engine: replay: %s\n", outcome.message.c_str());
      return outcome.kind == ReplayOutcome::Kind::refused ? 2 : 1;
    }
    replay_s.push_back(r.wall);
  }
  fs::remove_all(out);
  const double n = static_cast<double>(records);
  const double replay_rate = n / median(replay_s), decode_rate = n / median(decode_s);
  if (options.json) {
    std::string line;
    codec::JsonWriter w(line);
    w.begin_object();
    w.field("name", "replay_files");
    key_number(w, "records_per_s", replay_rate);
    key_number(w, "mb_per_s", static_cast<double>(bytes) / median(replay_s) / 1e6);
    w.field("baseline", "decode_same_files");
    key_number(w, "baseline_records_per_s", decode_rate);
    key_number(w, "ratio", replay_rate / decode_rate);
    key_integer(w, "records", records);
    key_integer(w, "bytes", bytes);
    key_integer(w, "runs", static_cast<std::uint64_t>(std::max(1, options.runs)));
    w.end_object();
    std::printf("%s\n", line.c_str());
  } else {
    std::printf("replay %s: %llu records, %.1f MB; median of %d runs\n", dir.c_str(),
                static_cast<unsigned long long>(records), static_cast<double>(bytes) / 1e6, std::max(1, options.runs));
    std::printf("  decode the files   %12.0f records/s\n", decode_rate);
    std::printf("  replay             %12.0f records/s   ratio to decode %.2f\n", replay_rate,
                replay_rate / decode_rate);
  }
  return 0;
}

}  // namespace

int run_bench_engine(const BenchEngineOptions& options) {
  return options.replay.empty() ? run_in_memory(options) : run_replay_files(options);
}

}  // namespace eventlens::pipeline
