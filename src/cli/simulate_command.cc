#include "cli/simulate_command.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "codec/native_json.h"
#include "kafka/client_properties.h"
#include "simulate/record_sink.h"
#include "simulate/simulator.h"
#include "sink/kafka_producer.h"

namespace eventlens::cli {
namespace {

using simulate::RecordSink;

// Produces each record to its DESIGN.md topic, keyed by service so that a
// service's events and telemetry share a partition number.
class KafkaRecordSink final : public RecordSink {
 public:
  KafkaRecordSink(sink::KafkaProducer producer, std::string prefix)
      : producer_(std::move(producer)), prefix_(std::move(prefix)) {}

  void event(const Event& e) override { send(topic_of(e.category), e.service, e); }
  void metric(const MetricSample& m) override {
    std::string_view service;
    for (const auto& [k, v] : m.labels) {
      if (k == "service") service = v;
    }
    send("metrics", service, m);
  }
  void log(const LogRecord& l) override { send("logs", l.service, l); }
  void span(const Span& s) override { send("traces", s.service, s); }
  void end_of_second(TimeNs) override { producer_.poll(); }
  Status close() override {
    if (!error_.field.empty() || !error_.reason.empty()) return error_;
    return producer_.flush(std::chrono::seconds(60));
  }

 private:
  static std::string_view topic_of(Category c) {
    switch (c) {
      case Category::scaling: return "scaling_events";
      case Category::provisioning: return "resource_provisioning";
      case Category::failure: return "failure_events";
      default: return "change_events";
    }
  }
  template <typename R>
  void send(std::string_view topic, std::string_view key, const R& record) {
    buffer_.clear();
    codec::encode_native(record, buffer_);
    topic_.assign(prefix_).append(topic);
    if (Status st = producer_.produce(topic_, key, buffer_); !st && error_.reason.empty()) error_ = st.error();
  }

  sink::KafkaProducer producer_;
  std::string prefix_;
  std::string topic_;
  std::string buffer_;
  Error error_;
};

// Sends every record to each of several sinks (files and Kafka at once).
class TeeSink final : public RecordSink {
 public:
  explicit TeeSink(std::vector<std::unique_ptr<RecordSink>> sinks) : sinks_(std::move(sinks)) {}
  void event(const Event& e) override { for (auto& s : sinks_) s->event(e); }
  void metric(const MetricSample& m) override { for (auto& s : sinks_) s->metric(m); }
  void log(const LogRecord& l) override { for (auto& s : sinks_) s->log(l); }
  void span(const Span& sp) override { for (auto& s : sinks_) s->span(sp); }
  void end_of_second(TimeNs t) override { for (auto& s : sinks_) s->end_of_second(t); }
  Status close() override {
    Status first = ok_status();
    for (auto& s : sinks_) {
      Status st = s->close();
      if (first && !st) first = st;
    }
    return first;
  }

 private:
  std::vector<std::unique_ptr<RecordSink>> sinks_;
};

int usage_error(const std::string& field, const std::string& reason) {
  std::fprintf(stderr, "eventlens simulate: %s%s%s\n", field.c_str(), field.empty() ? "" : ": ", reason.c_str());
  return 2;
}

}  // namespace

int run_simulate(const SimulateCommandOptions& options) {
  auto scenario = simulate::load_scenario(options.scenario);
  if (!scenario) return usage_error(scenario.error().field, scenario.error().reason);
  auto duration = simulate::parse_duration(options.duration);
  if (!duration) return usage_error("--duration", duration.error().reason);
  if (*duration < 1) return usage_error("--duration", "must be at least 1s");
  simulate::SimulationOptions sim;
  sim.seed = options.seed;
  sim.duration_s = *duration;
  if (options.speed == "max") {
    sim.speed = 0;
  } else if (options.speed == "realtime") {
    sim.speed = 1;
  } else {
    char* end = nullptr;
    sim.speed = std::strtod(options.speed.c_str(), &end);
    if (end == options.speed.c_str() || *end != '\0' || !(sim.speed > 0) || !std::isfinite(sim.speed)) {
      return usage_error("--speed", "\"" + options.speed + "\" is not max, realtime or a positive factor");
    }
  }
  if (options.out.empty() && options.kafka.empty()) return usage_error("", "give --out DIR, --kafka BROKERS or both");
  simulate::FileSinkOptions files;
  files.dir = options.out;
  for (const auto& f : options.formats) {
    if (f == "k8s") files.k8s_events = true;
    else if (f == "prometheus") files.prometheus_metrics = true;
    else if (f == "native") continue;
    else return usage_error("--format", "unknown format \"" + f + "\" (native, k8s, prometheus)");
  }

  std::vector<std::unique_ptr<RecordSink>> sinks;
  if (!options.out.empty()) {
    auto sink = simulate::open_file_sink(files);
    if (!sink) return usage_error(sink.error().field, sink.error().reason);
    sinks.push_back(std::move(*sink));
  }
  if (!options.kafka.empty()) {
    sink::KafkaProducerOptions kafka;
    kafka.properties = kafka::merge_properties(kafka::producer_defaults(), {{"bootstrap.servers", options.kafka}});
    auto producer = sink::KafkaProducer::create(kafka);
    if (!producer) return usage_error(producer.error().field, producer.error().reason);
    sinks.push_back(std::make_unique<KafkaRecordSink>(std::move(*producer), options.topic_prefix));
  }
  TeeSink sink(std::move(sinks));

  const auto started = std::chrono::steady_clock::now();
  auto result = simulate::run_simulation(*scenario, sim, sink);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!result) {
    std::fprintf(stderr, "eventlens simulate: %s\n", result.error().to_string().c_str());
    return 1;
  }
  if (!options.out.empty()) {
    std::string json;
    simulate::write_truth_json(result->truth, json);
    const auto path = std::filesystem::path(options.out) / "truth.json";
    std::ofstream truth(path, std::ios::binary);
    truth << json;
    if (!truth.flush()) {
      std::fprintf(stderr, "eventlens simulate: cannot write %s\n", path.c_str());
      return 1;
    }
  }
  if (!options.quiet) {
    const auto& c = result->counts;
    std::fprintf(stderr,
                 "simulated %s seed %llu for %.0f s: %llu events, %llu metric samples, %llu logs, %llu spans "
                 "(%.2f M records/s); %zu causes, %zu incidents, %zu scaling verdicts in truth.json\n",
                 scenario->name.c_str(), static_cast<unsigned long long>(options.seed), sim.duration_s,
                 static_cast<unsigned long long>(c.events), static_cast<unsigned long long>(c.metrics),
                 static_cast<unsigned long long>(c.logs), static_cast<unsigned long long>(c.spans),
                 static_cast<double>(c.total()) / std::max(wall, 1e-9) / 1e6, result->truth.causes.size(),
                 result->truth.incidents.size(), result->truth.scaling.size());
  }
  return 0;
}

}  // namespace eventlens::cli
