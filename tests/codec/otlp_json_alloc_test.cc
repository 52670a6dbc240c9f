// Allocation counts of warm OTLP JSON decoders. A program of its own because
// it replaces the global operator new/delete, which AddressSanitizer cannot
// share: tests/CMakeLists.txt leaves *_alloc_test.cc out of sanitizer builds.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "codec/bench_inputs.h"
#include "codec/otlp_json.h"
#include "support/allocation_counter.h"

namespace eventlens::codec {
namespace {

constexpr TimeNs kArrival = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z
constexpr TimeNs kT = 1'700'000'000'000'000'000;
constexpr const char* kTraceId = "5b8efff798038103d269b633813fc60c";
constexpr const char* kSpanId = "eee19b7ec3c1b174";

DecodeOptions options() {
  DecodeOptions o;
  o.default_time = kArrival;
  return o;
}

TEST(OtlpJsonAllocation, AWarmDecoderAllocatesNothingPerRecord) {
  struct Counting final : RecordHandler {
    std::size_t records = 0, rejects = 0;
    void on_record(const Record&, std::size_t) override { ++records; }
    void on_reject(Error&&, std::size_t) override { ++rejects; }
  };
  const std::string payload = codec::generate_otlp_metrics(2000);
  OtlpJsonDecoder decoder(OtlpSignal::metrics, options());
  Counting warm;
  decoder.decode(payload, warm);
  ASSERT_EQ(warm.records, 2000u);
  ASSERT_EQ(warm.rejects, 0u);
  Counting counted;
  const std::size_t before = eventlens::testing::allocation_count();
  decoder.decode(payload, counted);
  const std::size_t allocations = eventlens::testing::allocation_count() - before;
  EXPECT_EQ(counted.records, 2000u);
  EXPECT_EQ(allocations, 0u) << "per-record allocations on the hot path";
}

TEST(OtlpJsonAllocation, WarmLogAndSpanDecodersAllocateNothingPerRecord) {
  std::vector<LogRecord> log_records;
  std::vector<Span> spans;
  for (int i = 0; i < 500; ++i) {
    LogRecord l;
    l.time = kT + i;
    l.service = i % 2 ? "checkout-service-with-a-long-name" : "cart";
    l.severity = static_cast<Severity>(i % 5);
    l.body = "request " + std::to_string(i) + " failed after a long wait on the upstream dependency";
    l.attributes = {{"http.route", std::string("/api/v1/items/" + std::to_string(i % 7))},
                    {"http.status_code", std::int64_t{500}},
                    {"retry", i % 2 == 0}};
    l.trace_id = kTraceId;
    l.span_id = kSpanId;
    log_records.push_back(l);
    Span s;
    s.trace_id = kTraceId;
    s.span_id = kSpanId;
    s.service = l.service;
    s.name = "GET /api/v1/items/{id} with a long route name";
    s.start = kT + i;
    s.end = kT + i + 10;
    s.attributes = {{"db.statement", std::string("SELECT * FROM items WHERE id = ") + std::to_string(i)}};
    spans.push_back(s);
  }
  struct Counting final : RecordHandler {
    std::size_t records = 0;
    void on_record(const Record&, std::size_t) override { ++records; }
    void on_reject(Error&&, std::size_t) override {}
  };
  std::string log_text, span_text;
  encode_otlp_logs(log_records, log_text);
  encode_otlp_traces(spans, span_text);
  for (const auto& [signal, text] : std::vector<std::pair<OtlpSignal, std::string>>{
           {OtlpSignal::logs, log_text}, {OtlpSignal::traces, span_text}}) {
    OtlpJsonDecoder decoder(signal, options());
    Counting warm;
    decoder.decode(text, warm);
    ASSERT_EQ(warm.records, 500u);
    Counting counted;
    const std::size_t before = eventlens::testing::allocation_count();
    decoder.decode(text, counted);
    const std::size_t allocations = eventlens::testing::allocation_count() - before;
    EXPECT_EQ(counted.records, 500u);
    // The request is copied once into simdjson's padded buffer, already
    // grown; nothing else allocates.
    EXPECT_EQ(allocations, 0u) << (signal == OtlpSignal::logs ? "logs" : "traces");
  }
}

}  // namespace
}  // namespace eventlens::codec
