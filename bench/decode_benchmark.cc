// Decode throughput of each codec on generated input, next to simdjson's own
// On-Demand walk of the same bytes. Run: build/bench/eventlens_benchmarks
// --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include "codec/bench_inputs.h"
#include "codec/decoder.h"
#include "codec/native_json.h"

namespace eventlens {
namespace {

constexpr std::size_t kRecords = 20'000;

struct Counting final : codec::RecordHandler {
  std::size_t records = 0;
  void on_record(const Record&, std::size_t) override { ++records; }
  void on_reject(Error&&, std::size_t) override {}
};

void decode_bench(benchmark::State& state, std::unique_ptr<codec::Decoder> decoder,
                  const std::string& input) {
  std::size_t records = 0;
  for (auto _ : state) {
    Counting h;
    decoder->decode(input, h);
    records = h.records;
    benchmark::DoNotOptimize(h.records);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * records));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * input.size()));
}

void walk_bench(benchmark::State& state, const std::string& input, std::size_t records) {
  for (auto _ : state) benchmark::DoNotOptimize(codec::simdjson_walk_lines(input));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * records));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * input.size()));
}

const std::string& native_input() {
  static const std::string s = codec::generate_native_events(kRecords);
  return s;
}
const std::string& otlp_input() {
  static const std::string s = codec::generate_otlp_metrics(kRecords);
  return s;
}

void BM_DecodeNativeEvents(benchmark::State& s) {
  decode_bench(s, std::make_unique<codec::NativeJsonDecoder>(codec::DecodeOptions{}, codec::NativeKind::event),
               native_input());
}
void BM_WalkNativeEvents(benchmark::State& s) { walk_bench(s, native_input(), kRecords); }
void BM_DecodeOtlpMetrics(benchmark::State& s) {
  decode_bench(s, codec::make_decoder(codec::Format::otlp_metrics), otlp_input());
}
void BM_WalkOtlpMetrics(benchmark::State& s) { walk_bench(s, otlp_input(), kRecords); }

BENCHMARK(BM_DecodeNativeEvents)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WalkNativeEvents)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeOtlpMetrics)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WalkOtlpMetrics)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace eventlens
