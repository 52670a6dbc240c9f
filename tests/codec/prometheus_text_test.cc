#include "codec/prometheus_text.h"

#include <gtest/gtest.h>

#include <cmath>

#include "support/test_data.h"

namespace eventlens::codec {
namespace {

using testing::data_path;
using testing::decode;
using testing::read_file;

constexpr TimeNs kScrape = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z

DecodeOptions options() {
  DecodeOptions o;
  o.default_time = kScrape;
  return o;
}

std::string label(const MetricSample& m, std::string_view name) {
  for (const auto& [k, v] : m.labels) {
    if (k == name) return v;
  }
  return "<none>";
}

TEST(PrometheusText, EverySampleFileDecodesWithTheReadmeCounts) {
  // Counts from ../shared/data/README.md ("samples/series").
  const std::vector<std::pair<std::string, std::size_t>> files = {
      {"prometheus/common-expfmt/text.prom", 248},
      {"prometheus/fluent-bit/prometheus_textfile_metrics.prom", 2},
      {"prometheus/node-exporter/e2e-output-darwin.txt", 103},
      {"prometheus/node-exporter/e2e-output.txt", 3027},
      {"prometheus/node-exporter/textfile/client_side_timestamp.prom", 2},
      {"prometheus/node-exporter/textfile/different_metric_types.prom", 22},
      {"prometheus/node-exporter/textfile/histogram.prom", 13},
      {"prometheus/node-exporter/textfile/histogram_extra_dimension.prom", 26},
      {"prometheus/node-exporter/textfile/inconsistent_metrics.prom", 19},
      {"prometheus/node-exporter/textfile/summary.prom", 20},
      {"prometheus/nri-kubernetes-1_35/ksm.metrics.prom", 1698},
      {"prometheus/nri-kubernetes-1_35/kubelet-cadvisor.metrics.prom", 4621},
      {"prometheus/prometheus-promtool/metrics-test.prom", 27},
      {"prometheus/prometheus-textparse/1histogram.om.txt", 42},
      {"prometheus/prometheus-textparse/alltypes.237mfs.prom.txt", 1857},
      {"prometheus/prometheus-textparse/alltypes.5mfs.om.txt", 53},
      {"prometheus/prometheus-textparse/promtestdata.txt", 410},
  };
  for (const auto& [file, count] : files) {
    auto h = decode(Format::prometheus, read_file(data_path(file)), options());
    EXPECT_EQ(h.records.size(), count) << file;
    EXPECT_TRUE(h.rejects.empty()) << file << "\n" << h.describe_rejects();
  }
}

TEST(PrometheusText, MillisecondTimestampsMixedWithNone) {
  auto h = decode(Format::prometheus,
                  read_file(data_path("prometheus/nri-kubernetes-1_35/kubelet-cadvisor.metrics.prom")), options());
  std::size_t own = 0, scraped = 0;
  for (const auto& m : h.all<MetricSample>()) {
    if (m.time == kScrape) {
      ++scraped;
    } else {
      ++own;
      EXPECT_EQ(format_rfc3339(m.time).substr(0, 4), "2026");
    }
  }
  EXPECT_EQ(own, 4246u);
  EXPECT_EQ(scraped, 375u);
  auto c = decode(Format::prometheus,
                  read_file(data_path("prometheus/node-exporter/textfile/client_side_timestamp.prom")), options());
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(std::get<MetricSample>(c.records[0]).time, 1441205977284LL * 1'000'000);
  EXPECT_EQ(std::get<MetricSample>(c.records[1]).time, kScrape);
}

TEST(PrometheusText, NaNQuantilesAndEofInATextFile) {
  auto h = decode(Format::prometheus,
                  read_file(data_path("prometheus/prometheus-textparse/promtestdata.txt")), options());
  std::size_t nans = 0;
  for (const auto& m : h.all<MetricSample>()) nans += std::isnan(m.value) ? 1 : 0;
  EXPECT_GT(nans, 0u);
  // Nothing after `# EOF` is read.
  auto eof = decode(Format::prometheus, "a 1\n# EOF\nb 2\n", options());
  EXPECT_EQ(eof.records.size(), 1u);
}

TEST(PrometheusText, OpenMetricsExemplarsAreDroppedAndNegativeBoundsKept) {
  auto h = decode(Format::prometheus,
                  read_file(data_path("prometheus/prometheus-textparse/alltypes.5mfs.om.txt")), options());
  ASSERT_TRUE(h.rejects.empty()) << h.describe_rejects();
  bool negative = false;
  for (const auto& m : h.all<MetricSample>()) {
    if (m.name == "rpc_durations_histogram_seconds_bucket" && label(m, "le") == "-0.0002899999999999998") {
      negative = true;
      EXPECT_EQ(m.value, 3.0);
      EXPECT_EQ(m.time, kScrape) << "the exemplar's timestamp is not the sample's";
    }
  }
  EXPECT_TRUE(negative);
}

TEST(PrometheusText, LabelsAreUnescapedSortedAndBlanksTolerated) {
  auto h = decode(Format::prometheus,
                  "m{z=\"1\", a=\"q\\\"uote\\\\back\\nline\",} 2.5e3 1700000000000\n"
                  "m2{ b = \"x\" } -Inf\n",
                  options());
  ASSERT_EQ(h.records.size(), 2u) << h.describe_rejects();
  const auto m = std::get<MetricSample>(h.records[0]);
  ASSERT_EQ(m.labels.size(), 2u);
  EXPECT_EQ(m.labels[0].first, "a");
  EXPECT_EQ(m.labels[0].second, "q\"uote\\back\nline");
  EXPECT_EQ(m.value, 2500.0);
  EXPECT_EQ(m.time, 1700000000000LL * 1'000'000);
  EXPECT_EQ(std::get<MetricSample>(h.records[1]).value, -HUGE_VAL);
}

TEST(PrometheusText, OpenMetricsSecondTimestamps) {
  auto h = decode(Format::prometheus, "m 1 1700000000.25\n", options());
  ASSERT_EQ(h.records.size(), 1u);
  EXPECT_EQ(std::get<MetricSample>(h.records[0]).time, 1700000000LL * kNanosPerSecond + 250'000'000);
}

TEST(PrometheusText, BadLinesAreRefusedByFieldAndTheRestDecodes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"m", "value"},
      {"m{a=\"1\"}", "value"},
      {"m abc", "value"},
      {"m{a=\"1} 1", "labels.a"},
      {"m{a=\"\\x\"} 1", "labels.a"},
      {"m{1a=\"x\"} 1", "labels"},
      {"m{a=\"1\",a=\"2\"} 1", "labels.a"},
      {"m{a \"1\"} 1", "labels.a"},
      {"1m 1", "name"},
      {"m 1 notatime", "timestamp"},
      {"m 1 99999999999999999999", "timestamp"},
      {"m 1 -5", "timestamp"},
      {"m 1 123 junk", ""},
      {"m{a=\"\xff\"} 1", ""},
  };
  std::string payload;
  for (const auto& c : cases) payload += c.first + "\ngood 1\n";
  auto h = decode(Format::prometheus, payload, options());
  EXPECT_EQ(h.records.size(), cases.size());
  ASSERT_EQ(h.rejects.size(), cases.size()) << h.describe_rejects();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(h.rejects[i].second, 2 * i + 1) << cases[i].first;
    EXPECT_EQ(h.rejects[i].first.field, cases[i].second) << cases[i].first << " -> " << h.rejects[i].first.to_string();
    EXPECT_FALSE(h.rejects[i].first.reason.empty());
  }
}

TEST(PrometheusText, AHugeLineIsRefusedWithoutParsing) {
  const std::string payload = "m{a=\"" + std::string(10 << 20, 'x') + "\"} 1\r\nok 2\r\n";
  auto h = decode(Format::prometheus, payload, options());
  ASSERT_EQ(h.rejects.size(), 1u);
  EXPECT_NE(h.rejects[0].first.reason.find("limit"), std::string::npos);
  EXPECT_EQ(h.records.size(), 1u);
}

TEST(PrometheusText, RoundTrip) {
  std::vector<MetricSample> samples;
  for (int i = 0; i < 30; ++i) {
    MetricSample m;
    m.name = i % 2 == 0 ? "http_requests_total" : "node:cpu_seconds";
    m.labels = {{"code", std::to_string(200 + i)}, {"path", "/a \"b\" \\c\nd \xe2\x82\xac"}};
    m.time = 1'700'000'000'000'000'000 + i * 1'000'000;
    m.value = i % 5 == 0 ? std::nan("") : i % 7 == 0 ? HUGE_VAL : i * 0.1 - 1;
    samples.push_back(m);
  }
  std::string text;
  encode_prometheus_text(samples, text);
  auto h = decode(Format::prometheus, text, options());
  ASSERT_TRUE(h.rejects.empty()) << h.describe_rejects();
  const auto back = h.all<MetricSample>();
  ASSERT_EQ(back.size(), samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) EXPECT_EQ(back[i], samples[i]) << i;
}

}  // namespace
}  // namespace eventlens::codec
