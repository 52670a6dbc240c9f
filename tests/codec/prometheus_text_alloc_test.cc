// Allocation count of a warm Prometheus text decoder. A program of its own
// because it replaces the global operator new/delete, which AddressSanitizer
// cannot share: tests/CMakeLists.txt leaves *_alloc_test.cc out of sanitizer
// builds.
#include <gtest/gtest.h>

#include <string>

#include "codec/prometheus_text.h"
#include "support/allocation_counter.h"
#include "support/test_data.h"

namespace eventlens::codec {
namespace {

using eventlens::testing::data_path;
using eventlens::testing::read_file;

DecodeOptions options() {
  DecodeOptions o;
  o.default_time = 1'893'456'000'000'000'000;  // 2030-01-01T00:00:00Z: the scrape time, after every file's own times
  return o;
}

TEST(PrometheusText, AWarmDecoderAllocatesNothingPerSample) {
  const std::string text = read_file(data_path("prometheus/nri-kubernetes-1_35/kubelet-cadvisor.metrics.prom"));
  struct Counting final : RecordHandler {
    std::size_t records = 0;
    std::size_t rejects = 0;
    std::size_t labels = 0;
    void on_record(const Record& r, std::size_t) override {
      ++records;
      labels += std::get<MetricSample>(r).labels.size();
    }
    void on_reject(Error&&, std::size_t) override { ++rejects; }
  };
  PrometheusTextDecoder decoder(options());
  Counting first;
  const std::size_t cold = eventlens::testing::allocation_count();
  decoder.decode(text, first);  // grows the buffers
  EXPECT_GT(eventlens::testing::allocation_count(), cold) << "the counter counts";
  Counting second;
  const std::size_t before = eventlens::testing::allocation_count();
  decoder.decode(text, second);
  const std::size_t allocations = eventlens::testing::allocation_count() - before;
  EXPECT_EQ(second.records, 4621u);
  EXPECT_EQ(second.rejects, 0u);
  EXPECT_GT(second.labels, second.records);
  EXPECT_EQ(allocations, 0u);
}

}  // namespace
}  // namespace eventlens::codec
