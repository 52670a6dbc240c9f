#include "codec/decode_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "codec/bench_inputs.h"
#include "codec/decoder.h"
#include "codec/json_writer.h"
#include "codec/native_json.h"

namespace eventlens::codec {
namespace {

// Counts records; the decoded record itself is dropped, as a pipeline stage
// would hand it on.
struct CountingHandler final : codec::RecordHandler {
  std::size_t records = 0;
  std::size_t rejected = 0;
  void on_record(const Record&, std::size_t) override { ++records; }
  void on_reject(Error&&, std::size_t) override { ++rejected; }
};

template <typename Fn>
double median_seconds(int runs, Fn&& fn) {
  std::vector<double> seconds;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

struct Measurement {
  std::string name;
  std::size_t records = 0;
  std::size_t bytes = 0;
  double seconds = 0;
  double baseline_seconds = 0;
};

Measurement measure(std::string name, std::unique_ptr<codec::Decoder> decoder, const std::string& input,
                    int runs) {
  Measurement m;
  m.name = std::move(name);
  m.bytes = input.size();
  std::size_t sink = 0;
  // One untimed pass warms caches and sizes the parser's buffers.
  {
    CountingHandler h;
    decoder->decode(input, h);
    m.records = h.records;
    if (h.rejected != 0) std::fprintf(stderr, "bench: %zu generated records rejected\n", h.rejected);
    sink += simdjson_walk_lines(input);
  }
  m.seconds = median_seconds(runs, [&] {
    CountingHandler h;
    decoder->decode(input, h);
    sink += h.records;
  });
  m.baseline_seconds = median_seconds(runs, [&] { sink += simdjson_walk_lines(input); });
  if (sink == 0) std::fprintf(stderr, "bench: nothing decoded\n");
  return m;
}

void print(const Measurement& m, bool json) {
  const double records_per_s = static_cast<double>(m.records) / m.seconds;
  const double mb_per_s = static_cast<double>(m.bytes) / m.seconds / 1e6;
  const double baseline_records_per_s = static_cast<double>(m.records) / m.baseline_seconds;
  const double ratio = m.baseline_seconds / m.seconds;
  if (json) {
    std::string line;
    codec::JsonWriter w(line);
    w.begin_object();
    w.field("name", m.name);
    w.key("records_per_s");
    w.number(records_per_s);
    w.key("mb_per_s");
    w.number(mb_per_s);
    w.field("baseline", "simdjson_ondemand_full_walk");
    w.key("baseline_records_per_s");
    w.number(baseline_records_per_s);
    w.key("baseline_mb_per_s");
    w.number(static_cast<double>(m.bytes) / m.baseline_seconds / 1e6);
    w.key("ratio");
    w.number(ratio);
    w.key("records");
    w.integer(static_cast<std::int64_t>(m.records));
    w.key("bytes");
    w.integer(static_cast<std::int64_t>(m.bytes));
    w.end_object();
    std::printf("%s\n", line.c_str());
  } else {
    std::printf("%-22s %12.0f records/s %8.1f MB/s   baseline %12.0f records/s   ratio %.2f\n",
                m.name.c_str(), records_per_s, mb_per_s, baseline_records_per_s, ratio);
  }
}

}  // namespace

int run_bench_decode(const BenchDecodeOptions& options) {
  const int runs = std::max(1, options.runs);
  // Events as `replay --events` and the event topics read them: the kind is
  // known, so the decoder does not first look at the keys to tell it.
  print(measure("native_events",
                std::make_unique<codec::NativeJsonDecoder>(codec::DecodeOptions{}, codec::NativeKind::event),
                generate_native_events(options.records), runs),
        options.json);
  print(measure("otlp_metrics", codec::make_decoder(codec::Format::otlp_metrics),
                generate_otlp_metrics(options.records), runs),
        options.json);
  return 0;
}

}  // namespace eventlens::codec
