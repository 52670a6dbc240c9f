#include "cli/commands.h"

#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/consume_command.h"
#include "cli/decode_command.h"
#include "cli/evaluate_command.h"
#include "cli/replay_command.h"
#include "cli/serve_command.h"
#include "codec/decode_bench.h"
#include "pipeline/engine_bench.h"
#include "pipeline/kafka_live_bench.h"
#include "pipeline/kafka_serve_bench.h"
#include "simulate/simulate_bench.h"
#include "cli/simulate_command.h"

#ifndef EVENTLENS_VERSION
#define EVENTLENS_VERSION "0.1.0"
#endif

namespace eventlens::cli {

int run(int argc, char** argv) {
  CLI::App app{"eventlens: event-driven observability engine"};
  app.require_subcommand(1);

  DecodeCommandOptions decode;
  auto* decode_cmd = app.add_subcommand(
      "decode", "Decode files and print one native JSON line per record (errors on stderr)");
  decode_cmd
      ->add_option("--format", decode.format,
                   "native|cloudevents|k8s|otlp-logs|otlp-metrics|otlp-traces|prometheus|auto")
      ->default_val("auto");
  decode_cmd->add_option("--time", decode.default_time,
                         "RFC 3339 time for records that carry none (default: now)");
  decode_cmd->add_option("--max-record-bytes", decode.max_record_bytes,
                         "refuse records longer than this")
      ->default_val(decode.max_record_bytes);
  decode_cmd->add_flag("--stats", decode.stats,
                       "print per-file counts (records, rejected, skipped kinds) on stderr");
  decode_cmd->add_option("files", decode.files, "input files (- for stdin)")->required();

  codec::BenchDecodeOptions bench;
  auto* bench_cmd = app.add_subcommand("bench", "Run built-in benchmarks");
  bench_cmd->require_subcommand(1);
  auto* bench_decode = bench_cmd->add_subcommand(
      "decode", "Decode throughput next to simdjson's own parse of the same bytes");
  bench_decode->add_flag("--json", bench.json, "one JSON object per line");
  bench_decode->add_option("--records", bench.records, "records per generated input")
      ->default_val(bench.records);
  bench_decode->add_option("--runs", bench.runs, "runs per measurement (the median is reported)")
      ->default_val(bench.runs);

  SimulateCommandOptions simulate;
  auto* simulate_cmd = app.add_subcommand(
      "simulate", "Run a synthetic cluster and write its events, metrics, logs, traces and truth.json");
  simulate_cmd->add_option("--scenario", simulate.scenario,
                           "steady|traffic-surge|memory-leak|node-shortage|cascading-timeout|bad-deploy|mixed "
                           "or a scenario .yaml file")
      ->required();
  simulate_cmd->add_option("--seed", simulate.seed, "random seed")->default_val(simulate.seed);
  simulate_cmd->add_option("--duration", simulate.duration, "simulated time (90s, 30m, 24h)")
      ->default_val(simulate.duration);
  simulate_cmd->add_option("--out", simulate.out, "output directory");
  simulate_cmd->add_option("--kafka", simulate.kafka, "Kafka bootstrap servers: produce to the DESIGN.md topics");
  simulate_cmd->add_option("--topic-prefix", simulate.topic_prefix, "prepended to every Kafka topic name");
  simulate_cmd->add_option("--format", simulate.formats, "extra outputs: k8s (events.k8s.jsonl), prometheus (metrics.prom)")
      ->delimiter(',');
  simulate_cmd->add_option("--speed", simulate.speed, "max, realtime, or a factor of real time (60 = 1 min/s)")
      ->default_val(simulate.speed);
  simulate_cmd->add_flag("--quiet", simulate.quiet, "no summary on stderr");

  ReplayCommandOptions replay;
  auto* replay_cmd = app.add_subcommand(
      "replay", "Run the whole pipeline over files: enriched events, incidents with ranked causes, dead letters");
  replay_cmd->add_option("--events", replay.spec.events, "event files (native JSON lines, k8s, CloudEvents)");
  replay_cmd->add_option("--metrics", replay.spec.metrics, "metric files (native JSON lines, OTLP JSON, Prometheus text)");
  replay_cmd->add_option("--logs", replay.spec.logs, "log files (native JSON lines, OTLP JSON)");
  replay_cmd->add_option("--traces", replay.spec.traces, "span files (native JSON lines, OTLP JSON)");
  replay_cmd->add_option("--format", replay.spec.format,
                         "native|cloudevents|k8s|otlp-logs|otlp-metrics|otlp-traces|prometheus|auto (per file)")
      ->default_val(replay.spec.format);
  replay_cmd->add_option("--config", replay.spec.config, "engine configuration (YAML, docs/engine-config.md)");
  replay_cmd->add_option("--state", replay.spec.state, "checkpoint directory: makes the run resumable");
  replay_cmd->add_option("--checkpoint-every", replay.spec.checkpoint_every, "records between checkpoints")
      ->default_val(replay.spec.checkpoint_every);
  replay_cmd->add_option("--out", replay.spec.out, "output directory")->required();
  replay_cmd->add_flag("--provisional", replay.spec.provisional, "also write the provisional enrichment of each event");
  replay_cmd->add_option("--explain", replay.spec.explain,
                         "SERVICE@TIME[:ROLE]: rank the causes of a symptom you name (repeatable; explanations.jsonl)");
  replay_cmd->add_flag("--quiet", replay.quiet, "no summary on stdout");

  EvaluateCommandOptions evaluate;
  auto* evaluate_cmd = app.add_subcommand(
      "evaluate", "Score a replay's verdicts, incidents and causes against a simulation's truth.json");
  evaluate_cmd->add_option("--truth", evaluate.truth, "truth.json written by eventlens simulate")->required();
  evaluate_cmd->add_option("--results", evaluate.results, "directory written by eventlens replay --out")
      ->required();
  evaluate_cmd->add_flag("--json", evaluate.json, "one JSON object instead of the table and the misses");

  simulate::BenchSimulateOptions bench_sim;
  auto* bench_simulate = bench_cmd->add_subcommand(
      "simulate", "Records/s that eventlens simulate writes to files, next to writing the same bytes alone");
  bench_simulate->add_flag("--json", bench_sim.json, "one JSON object per line");
  bench_simulate->add_option("--scenario", bench_sim.scenario, "scenario name or file")->default_val(bench_sim.scenario);
  bench_simulate->add_option("--duration", bench_sim.duration, "simulated time")->default_val(bench_sim.duration);
  bench_simulate->add_option("--seed", bench_sim.seed, "random seed")->default_val(bench_sim.seed);
  bench_simulate->add_option("--runs", bench_sim.runs, "runs (the median is reported)")->default_val(bench_sim.runs);

  pipeline::BenchEngineOptions bench_engine_opts;
  auto* bench_engine = bench_cmd->add_subcommand(
      "engine", "Records/s through the stream engine next to decoding the same records; bytes of state per series");
  bench_engine->add_flag("--json", bench_engine_opts.json, "one JSON object per line");
  bench_engine->add_option("--runs", bench_engine_opts.runs, "runs per measurement (the median is reported)")
      ->default_val(bench_engine_opts.runs);
  bench_engine->add_option("--records", bench_engine_opts.records, "records per pass over the generated stream")
      ->default_val(bench_engine_opts.records);
  bench_engine->add_option("--series", bench_engine_opts.series, "live series the generated cluster feeds")
      ->default_val(bench_engine_opts.series);
  bench_engine->add_option("--pods-per-service", bench_engine_opts.pods_per_service, "pods of each generated service")
      ->default_val(bench_engine_opts.pods_per_service);
  bench_engine->add_option("--event-every", bench_engine_opts.event_every,
                           "one event per this many pod scrapes (each 10 samples, 1 log, 1 span)")
      ->default_val(bench_engine_opts.event_every);
  bench_engine->add_option("--replay", bench_engine_opts.replay,
                           "a simulator output directory: time replay of its files next to decoding them instead");
  bench_engine->add_option("--restore-kafka", bench_engine_opts.restore_kafka,
                           "a Kafka broker: also time rebuilding the engine's state from a state topic there");

  ServeCommandOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "Run the engine live: with --kafka, on Kafka topics as a consumer group");
  serve_cmd->add_option("--kafka", serve.kafka.brokers, "Kafka bootstrap servers (host:port,...)");
  serve_cmd->add_option("--config", serve.kafka.config, "engine configuration (YAML, docs/engine-config.md)");
  serve_cmd->add_option("--group", serve.kafka.group, "consumer group: processes with the same group share the work")
      ->default_val(serve.kafka.group);
  serve_cmd->add_option("--instance", serve.kafka.instance,
                        "this process's name in the group (default: kept in --state, else host and pid)");
  serve_cmd->add_option("--state", serve.state, "directory for what this instance keeps across restarts");
  serve_cmd->add_option("--topic-prefix", serve.kafka.topic_prefix, "prepended to every Kafka topic name");
  serve_cmd->add_option("--partitions", serve.kafka.partitions,
                        "partitions of the topics it creates when no input topic exists yet")
      ->default_val(serve.kafka.partitions);
  serve_cmd->add_flag("--bounded", serve.kafka.bounded,
                      "stop once every assigned partition is read to its end (a backfill), results committed");
  serve_cmd->add_option("-X,--kafka-property", serve.kafka_properties,
                        "a librdkafka property KEY=VALUE for its clients (repeatable), e.g. session.timeout.ms=10000");
  serve_cmd
      ->add_option_function<double>(
          "--transaction-timeout",
          [&serve](double s) {
            serve.kafka.transaction_timeout = std::chrono::milliseconds(static_cast<long>(s * 1000));
          },
          "seconds a transaction may stay open: how long one left open by a member that died holds readers "
          "and the member taking its partitions over")
      ->default_str("30");
  serve_cmd->add_flag("--reset-state", serve.kafka.reset_state,
                      "start every task from empty state and read its inputs from the first record kept "
                      "(after a refused state; results already produced go out again)");
  serve_cmd
      ->add_option_function<double>(
          "--snapshot-interval",
          [&serve](double s) { serve.kafka.snapshot_interval = std::chrono::milliseconds(static_cast<long>(s * 1000)); },
          "seconds between snapshots of each task's state to the state topic (a restore reads the inputs again "
          "from the last one)")
      ->default_str("10");
  serve_cmd->add_option("--metrics-listen", serve.kafka.metrics_listen,
                        "HOST:PORT for /metrics, /healthz and /readyz (port 0: any free one; empty: none)")
      ->default_val(serve.kafka.metrics_listen);
  serve_cmd->add_flag("--quiet", serve.quiet, "no progress lines on stderr");

  ConsumeCommandOptions consume;
  auto* consume_cmd =
      app.add_subcommand("consume", "Print what Kafka topics hold (read_committed), one message value per line");
  consume_cmd->add_option("--kafka", consume.brokers, "Kafka bootstrap servers")->required();
  consume_cmd->add_option("--topic-prefix", consume.topic_prefix, "prepended to every topic name");
  consume_cmd->add_flag("--until-end", consume.until_end, "stop once every partition is read to its end");
  consume_cmd->add_flag("--headers", consume.headers, "start each line with the topic and the headers, then a tab");
  consume_cmd->add_option("topics", consume.topics, "topics (enriched_events incidents problems dead_letter)")
      ->required();

  pipeline::BenchKafkaOptions bench_kafka_opts;
  auto* bench_kafka = bench_cmd->add_subcommand(
      "kafka", "serve --kafka end to end next to librdkafka consuming (and decoding) the same topics");
  bench_kafka->add_option("--bootstrap", bench_kafka_opts.bootstrap, "a running broker (scripts/kafka start)")
      ->required();
  bench_kafka->add_option("--scenario", bench_kafka_opts.scenario, "simulation produced to the topics first")
      ->default_val(bench_kafka_opts.scenario);
  bench_kafka->add_option("--duration", bench_kafka_opts.duration, "its simulated time")
      ->default_val(bench_kafka_opts.duration);
  bench_kafka->add_option("--runs", bench_kafka_opts.runs, "runs (medians reported)")->default_val(bench_kafka_opts.runs);
  bench_kafka->add_flag("--json", bench_kafka_opts.json, "one JSON object per line");
  bench_kafka->add_option("--kafka-streams", bench_kafka_opts.kafka_streams,
                          "also time the Kafka Streams peer in this directory (bench/peers/kafka-streams, after its "
                          "./build)");
  bool bench_kafka_live = false;
  pipeline::BenchKafkaLiveOptions live_opts;
  bench_kafka->add_flag("--live", bench_kafka_live,
                        "instead: serve live, fed in real time with a burst; latency to read_committed readers and "
                        "memory under the burst");
  bench_kafka->add_option("--rate", live_opts.rate, "--live: records/s in steady state")->default_val(live_opts.rate);
  bench_kafka->add_option("--burst", live_opts.burst_factor, "--live: the burst's rate, times --rate")
      ->default_val(live_opts.burst_factor);
  bench_kafka->add_option("--seconds", live_opts.seconds, "--live: seconds of producing")
      ->default_val(live_opts.seconds);

  app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }

  if (decode_cmd->parsed()) return run_decode(decode);
  if (serve_cmd->parsed()) return run_serve(serve);
  if (bench_kafka->parsed() && bench_kafka_live) {
    live_opts.bootstrap = bench_kafka_opts.bootstrap;
    live_opts.json = bench_kafka_opts.json;
    return pipeline::run_bench_kafka_live(live_opts);
  }
  if (bench_kafka->parsed()) return pipeline::run_bench_kafka(bench_kafka_opts);
  if (consume_cmd->parsed()) return run_consume(consume);
  if (bench_decode->parsed()) return codec::run_bench_decode(bench);
  if (simulate_cmd->parsed()) return run_simulate(simulate);
  if (replay_cmd->parsed()) return run_replay(replay);
  if (evaluate_cmd->parsed()) return run_evaluate(evaluate);
  if (bench_simulate->parsed()) return simulate::run_bench_simulate(bench_sim);
  if (bench_engine->parsed()) return pipeline::run_bench_engine(bench_engine_opts);
  std::printf("eventlens %s\n", EVENTLENS_VERSION);
  return 0;
}

}  // namespace eventlens::cli
