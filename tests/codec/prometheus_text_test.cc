#include "codec/prometheus_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <set>

#include "support/test_data.h"

namespace eventlens::codec {
namespace {

using testing::data_path;
using testing::decode;
using testing::read_file;

constexpr TimeNs kMs = 1'000'000;
constexpr TimeNs kScrape = 1'893'456'000'000'000'000;  // 2030-01-01T00:00:00Z, after every file's own times

DecodeOptions options() {
  DecodeOptions o;
  o.default_time = kScrape;
  return o;
}

// Keeps each sample with the line it came from.
struct LineHandler final : RecordHandler {
  std::vector<std::pair<MetricSample, std::size_t>> samples;
  std::vector<std::pair<Error, std::size_t>> rejects;

  void on_record(const Record& r, std::size_t line) override {
    samples.emplace_back(std::get<MetricSample>(r), line);
  }
  void on_reject(Error&& e, std::size_t line) override { rejects.emplace_back(std::move(e), line); }
  std::string describe() const {
    std::string out;
    for (const auto& [e, line] : rejects) out += "  @" + std::to_string(line) + " " + e.to_string() + "\n";
    return out;
  }
};

LineHandler decode_lines(std::string_view payload, const DecodeOptions& o = options()) {
  LineHandler h;
  PrometheusTextDecoder(o).decode(payload, h);
  return h;
}

// The payload's lines, 1-based: lines[0] is empty.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines{{}};
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return lines;
}

std::string label(const MetricSample& m, std::string_view name) {
  for (const auto& [k, v] : m.labels) {
    if (k == name) return v;
  }
  return "<none>";
}

std::string year_of(TimeNs t) { return format_rfc3339(t).substr(0, 4); }

// ---------------------------------------------------------------------------
// The shared sample files

TEST(PrometheusText, EverySampleFileDecodesWithTheReadmeCounts) {
  // "samples/series" of ../shared/data/README.md.
  const std::map<std::string, std::size_t> counts = {
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
  // Every text file on disk is in the table, so that none goes untested.
  const std::filesystem::path root = data_path("prometheus");
  std::set<std::string> on_disk;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    const auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".prom" || ext == ".txt")) {
      on_disk.insert("prometheus/" + std::filesystem::relative(entry.path(), root).generic_string());
    }
  }
  std::set<std::string> listed;
  for (const auto& [file, n] : counts) listed.insert(file);
  EXPECT_EQ(on_disk, listed);

  for (const auto& [file, count] : counts) {
    const std::string text = read_file(data_path(file));
    const auto lines = split_lines(text);
    const auto h = decode_lines(text);
    EXPECT_EQ(h.samples.size(), count) << file;
    EXPECT_TRUE(h.rejects.empty()) << file << "\n" << h.describe();
    for (const auto& [m, line] : h.samples) {
      // Each sample comes from a sample line that starts with its name.
      ASSERT_LT(line, lines.size()) << file;
      EXPECT_TRUE(lines[line].starts_with(m.name)) << file << ":" << line;
      EXPECT_TRUE(std::is_sorted(m.labels.begin(), m.labels.end())) << file << ":" << line;
    }
  }
}

TEST(PrometheusText, DecoderIsReachableThroughMakeDecoder) {
  const std::string text = read_file(data_path("prometheus/prometheus-promtool/metrics-test.prom"));
  auto h = decode(Format::prometheus, text, options());
  EXPECT_EQ(h.records.size(), 27u);
  EXPECT_TRUE(h.rejects.empty()) << h.describe_rejects();
}

TEST(PrometheusText, KubeletCadvisorMixesOwnMillisecondTimestampsWithTheScrapeTime) {
  const std::string text = read_file(data_path("prometheus/nri-kubernetes-1_35/kubelet-cadvisor.metrics.prom"));
  const auto lines = split_lines(text);
  const auto h = decode_lines(text);
  ASSERT_TRUE(h.rejects.empty()) << h.describe();
  std::size_t own = 0;
  std::size_t scraped = 0;
  for (const auto& [m, line] : h.samples) {
    if (m.time == kScrape) {
      ++scraped;
      continue;
    }
    ++own;
    EXPECT_EQ(year_of(m.time), "2026") << lines[line];
    EXPECT_EQ(m.time % kMs, 0) << lines[line];
    // The time is the line's last field, read as milliseconds.
    const std::string_view last = lines[line].substr(lines[line].rfind(' ') + 1);
    EXPECT_EQ(std::to_string(m.time / kMs), last) << lines[line];
  }
  EXPECT_EQ(own, 4246u);
  EXPECT_EQ(scraped, 375u);
}

TEST(PrometheusText, ClientSideTimestampWithoutHelpOrType) {
  const auto h = decode_lines(
      read_file(data_path("prometheus/node-exporter/textfile/client_side_timestamp.prom")));
  ASSERT_EQ(h.samples.size(), 2u) << h.describe();
  EXPECT_EQ(h.samples[0].first.name, "metric_with_custom_timestamp");
  EXPECT_EQ(h.samples[0].first.time, 1441205977284 * kMs);
  EXPECT_EQ(h.samples[0].first.value, 1.0);
  EXPECT_EQ(h.samples[1].first.name, "normal_metric");
  EXPECT_EQ(h.samples[1].first.time, kScrape);
  EXPECT_EQ(h.samples[1].first.value, 2.0);
}

TEST(PrometheusText, EofEndsA004FileWithoutARejection) {
  for (const char* file : {"prometheus/prometheus-textparse/promtestdata.txt",
                           "prometheus/prometheus-textparse/alltypes.237mfs.prom.txt"}) {
    const std::string text = read_file(data_path(file));
    const auto lines = split_lines(text);
    ASSERT_NE(text.find("\n# EOF"), std::string::npos) << file;
    const auto h = decode_lines(text);
    EXPECT_TRUE(h.rejects.empty()) << file << "\n" << h.describe();
    ASSERT_FALSE(h.samples.empty());
    // The last sample is the last sample line before `# EOF`.
    std::size_t eof = lines.size() - 1;
    while (eof > 0 && lines[eof] != "# EOF") --eof;
    std::size_t last_sample = eof - 1;
    while (last_sample > 0 && lines[last_sample].starts_with("#")) --last_sample;
    EXPECT_EQ(h.samples.back().second, last_sample) << file;
  }
}

TEST(PrometheusText, LinesAfterEofAreReportedNotDecoded) {
  const auto h = decode_lines("a 1\n# EOF\n\nb 2\nc 3\n");
  ASSERT_EQ(h.samples.size(), 1u);
  EXPECT_EQ(h.samples[0].first.name, "a");
  ASSERT_EQ(h.rejects.size(), 1u) << h.describe();
  EXPECT_EQ(h.rejects[0].second, 4u);
  EXPECT_NE(h.rejects[0].first.reason.find("2 line(s)"), std::string::npos) << h.rejects[0].first.reason;
  // "# EOF" followed by text is a plain comment, not the end.
  EXPECT_EQ(decode_lines("a 1\n# EOF or not\nb 2\n").samples.size(), 2u);
}

TEST(PrometheusText, PromtestdataKeepsNaNSummaryQuantiles) {
  const std::string text = read_file(data_path("prometheus/prometheus-textparse/promtestdata.txt"));
  std::size_t nan_lines = 0;
  for (std::string_view line : split_lines(text)) nan_lines += line.ends_with(" NaN") ? 1 : 0;
  ASSERT_GT(nan_lines, 0u);
  const auto h = decode_lines(text);
  ASSERT_TRUE(h.rejects.empty()) << h.describe();
  std::size_t nans = 0;
  for (const auto& [m, line] : h.samples) {
    if (!std::isnan(m.value)) continue;
    ++nans;
    EXPECT_NE(label(m, "quantile"), "<none>") << m.name;
  }
  EXPECT_EQ(nans, nan_lines);
}

TEST(PrometheusText, OpenMetricsExemplarsAreDroppedAndNegativeBucketBoundsKept) {
  const std::string text = read_file(data_path("prometheus/prometheus-textparse/alltypes.5mfs.om.txt"));
  const auto lines = split_lines(text);
  const auto h = decode_lines(text);
  ASSERT_EQ(h.samples.size(), 53u);
  ASSERT_TRUE(h.rejects.empty()) << h.describe();
  std::size_t exemplar_lines = 0;
  std::size_t negative_bounds = 0;
  for (const auto& [m, line] : h.samples) {
    EXPECT_EQ(label(m, "dummyID"), "<none>") << lines[line];
    if (lines[line].find(" # {") != std::string_view::npos) {
      ++exemplar_lines;
      // The exemplar's timestamp (2024) is not the sample's.
      EXPECT_EQ(m.time, kScrape) << lines[line];
      EXPECT_EQ(m.labels.size(), 1u) << lines[line];
    }
    const std::string le = label(m, "le");
    if (le.starts_with("-")) {
      ++negative_bounds;
      double bound = 0;
      ASSERT_NO_THROW(bound = std::stod(le));
      EXPECT_LT(bound, 0.0);
    }
  }
  EXPECT_EQ(exemplar_lines, 6u);  // README: 6 exemplars
  std::size_t negative_lines = 0;
  for (std::string_view line : lines) negative_lines += line.find("{le=\"-") != std::string_view::npos ? 1 : 0;
  EXPECT_GT(negative_bounds, 0u);
  EXPECT_EQ(negative_bounds, negative_lines);

  const auto find = [&](std::string_view name, std::string_view le) -> const MetricSample* {
    for (const auto& [m, line] : h.samples) {
      if (m.name == name && label(m, "le") == le) return &m;
    }
    return nullptr;
  };
  const MetricSample* bucket = find("rpc_durations_histogram_seconds_bucket", "-0.0002899999999999998");
  ASSERT_NE(bucket, nullptr);
  EXPECT_EQ(bucket->value, 3.0);
  const MetricSample* created = find("rpc_durations_histogram_seconds_created", "<none>");
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(created->value, 1.726839813016302e+09);
}

TEST(PrometheusText, InconsistentMetricsToleratesASpaceAfterAComma) {
  const std::string text = read_file(data_path("prometheus/node-exporter/textfile/inconsistent_metrics.prom"));
  const auto lines = split_lines(text);
  const auto h = decode_lines(text);
  ASSERT_EQ(h.samples.size(), 19u);
  ASSERT_TRUE(h.rejects.empty()) << h.describe();
  bool seen = false;
  for (const auto& [m, line] : h.samples) {
    if (lines[line].find(", foo=\"bar\"") == std::string_view::npos) continue;
    seen = true;
    const Labels expected = {{"code", "200"}, {"foo", "bar"}, {"method", "get"}};
    EXPECT_EQ(m.labels, expected);
    EXPECT_EQ(m.value, 325.0);
  }
  EXPECT_TRUE(seen);
}

TEST(PrometheusText, DifferentMetricTypesKnowsASummaryNamedTotal) {
  const std::string text = read_file(data_path("prometheus/node-exporter/textfile/different_metric_types.prom"));
  const auto h = decode_lines(text);
  ASSERT_EQ(h.samples.size(), 22u);
  ASSERT_TRUE(h.rejects.empty()) << h.describe();
  std::size_t quantiles = 0;
  for (const auto& [m, line] : h.samples) {
    if (m.name == "event_duration_seconds_total") {
      ++quantiles;
      EXPECT_NE(label(m, "quantile"), "<none>");
    }
  }
  EXPECT_EQ(quantiles, 12u);
  // The TYPE line is remembered for that family: a quantile sample that lost
  // its quantile label is refused, while its _sum and _count still decode.
  std::string broken = text;
  const std::string needle = "event_duration_seconds_total{baz=\"inner_eval\",quantile=\"0.5\"}";
  const std::size_t at = broken.find(needle);
  ASSERT_NE(at, std::string::npos);
  broken.replace(at, needle.size(), "event_duration_seconds_total{baz=\"inner_eval\"}");
  const auto b = decode_lines(broken);
  EXPECT_EQ(b.samples.size(), 21u);
  ASSERT_EQ(b.rejects.size(), 1u) << b.describe();
  EXPECT_EQ(b.rejects[0].first.field, "labels.quantile");
}

TEST(PrometheusText, HistogramBucketsNeedANumericLe) {
  const std::string text = read_file(data_path("prometheus/node-exporter/textfile/histogram.prom"));
  ASSERT_TRUE(decode_lines(text).rejects.empty());
  const auto h = decode_lines(
      "# TYPE h histogram\n"
      "h_bucket{le=\"0.5\"} 1\n"
      "h_bucket{path=\"/\"} 2\n"
      "h_bucket{le=\"wide\"} 3\n"
      "h_sum 4\n"
      "h_count 5\n"
      "other_bucket{x=\"1\"} 6\n"  // not a histogram: no TYPE
      "# TYPE g gaugehistogram\n"
      "g_bucket 7\n"
      "g_gsum 8\n");
  ASSERT_EQ(h.rejects.size(), 3u) << h.describe();
  EXPECT_EQ(h.rejects[0].second, 3u);
  EXPECT_EQ(h.rejects[0].first.field, "labels.le");
  EXPECT_EQ(h.rejects[1].second, 4u);
  EXPECT_EQ(h.rejects[1].first.field, "labels.le");
  EXPECT_EQ(h.rejects[2].second, 9u);
  EXPECT_EQ(h.samples.size(), 5u);
}

TEST(PrometheusText, TypeAndHelpLinesAreChecked) {
  const auto h = decode_lines(
      "# TYPE a counter\n"
      "# TYPE a gauge\n"
      "# TYPE b sometimes\n"
      "# TYPE 9c gauge\n"
      "# HELP 9d text\n"
      "# HELP e bad \xC3\x28 text\n"
      "# HELP f all \xE2\x82\xAC fine \\n here\n"
      "# UNIT a seconds\n"
      "#TYPE not a type line\n"
      "a_total 1\n");
  ASSERT_EQ(h.rejects.size(), 5u) << h.describe();
  const std::vector<std::pair<std::size_t, std::string>> expected = {
      {2, "type"}, {3, "type"}, {4, "type"}, {5, "help"}, {6, "help"}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(h.rejects[i].second, expected[i].first);
    EXPECT_EQ(h.rejects[i].first.field, expected[i].second);
  }
  EXPECT_NE(h.rejects[0].first.reason.find("first said counter"), std::string::npos);
  ASSERT_EQ(h.samples.size(), 1u);
}

// ---------------------------------------------------------------------------
// The line grammar

TEST(PrometheusText, LabelsAreUnescapedSortedAndBlanksTolerated) {
  const auto h = decode_lines(
      "m{z=\"1\", a=\"q\\\"uote\\\\back\\nline\",} 2.5e3 1700000000000\n"
      "m2{ b = \"x\" ,\tc=\"\xE2\x82\xAC \xF0\x9F\x98\x80\" } -Inf\n"
      "m3{} 1\n"
      "m4 {a=\"1\"}\t7\n");
  ASSERT_EQ(h.samples.size(), 4u) << h.describe();
  const MetricSample& m = h.samples[0].first;
  const Labels expected = {{"a", "q\"uote\\back\nline"}, {"z", "1"}};
  EXPECT_EQ(m.labels, expected);
  EXPECT_EQ(m.value, 2500.0);
  EXPECT_EQ(m.time, 1700000000000 * kMs);
  const Labels expected2 = {{"b", "x"}, {"c", "\xE2\x82\xAC \xF0\x9F\x98\x80"}};
  EXPECT_EQ(h.samples[1].first.labels, expected2);
  EXPECT_EQ(h.samples[1].first.value, -HUGE_VAL);
  EXPECT_TRUE(h.samples[2].first.labels.empty());
  EXPECT_EQ(h.samples[3].first.labels, (Labels{{"a", "1"}}));
  EXPECT_EQ(h.samples[3].first.value, 7.0);
}

TEST(PrometheusText, EmptyLabelValuesAreTheSameSeriesAsNoLabel) {
  const auto h = decode_lines("m{a=\"\",b=\"1\"} 1\nm{b=\"1\"} 2\n");
  ASSERT_EQ(h.samples.size(), 2u) << h.describe();
  EXPECT_EQ(h.samples[0].first.labels, h.samples[1].first.labels);
  EXPECT_EQ(h.samples[0].first.labels, (Labels{{"b", "1"}}));
  // Still a duplicate, though.
  EXPECT_EQ(decode_lines("m{a=\"\",a=\"1\"} 1\n").rejects.size(), 1u);
}

TEST(PrometheusText, ValuesInEveryFormPrometheusAccepts) {
  const std::vector<std::pair<std::string, double>> good = {
      {"1", 1.0},          {"-1.5", -1.5},      {"+2", 2.0},          {"1e3", 1000.0},
      {"1E-3", 0.001},     {".5", 0.5},         {"5.", 5.0},          {"1.5e+06", 1.5e6},
      {"0x1p-2", 0.25},    {"0X1.8P1", 3.0},    {"+Inf", HUGE_VAL},   {"Inf", HUGE_VAL},
      {"-Inf", -HUGE_VAL}, {"inf", HUGE_VAL},   {"+infinity", HUGE_VAL}, {"-INF", -HUGE_VAL},
      {"1e-400", 0.0},     {"-0", -0.0},        {"9007199254740993", 9007199254740992.0},
  };
  for (const auto& [text, expected] : good) {
    const auto h = decode_lines("m " + text + "\n");
    ASSERT_EQ(h.samples.size(), 1u) << text << "\n" << h.describe();
    EXPECT_EQ(h.samples[0].first.value, expected) << text;
  }
  for (const char* nan : {"NaN", "nan", "NAN"}) {
    const auto h = decode_lines(std::string("m ") + nan + "\n");
    ASSERT_EQ(h.samples.size(), 1u) << nan;
    EXPECT_TRUE(std::isnan(h.samples[0].first.value)) << nan;
  }
  for (const char* bad : {"abc", "1e400", "-1e400", "+NaN", "1,5", "0x10", "0x-1p0", "1e", "--1", "1_000", "."}) {
    const auto h = decode_lines(std::string("m ") + bad + "\n");
    ASSERT_EQ(h.rejects.size(), 1u) << bad;
    EXPECT_EQ(h.rejects[0].first.field, "value") << bad;
  }
}

TEST(PrometheusText, IntegerTimestampsAreMillisecondsAndFractionsSeconds) {
  const std::vector<std::pair<std::string, TimeNs>> cases = {
      {"1700000000000", 1700000000000 * kMs},
      {"0", 0},
      {"1700000000.25", 1700000000 * kNanosPerSecond + 250'000'000},
      {"1726839814.2239082", 1726839814 * kNanosPerSecond + 223'908'200},
      {"1.7268398142239082e+09", 1726839814 * kNanosPerSecond + 223'908'200},
      {"1.7e9", 1'700'000'000 * kNanosPerSecond},
      {"0.000000001", 1},
      {"1.0000000009", kNanosPerSecond},  // below a nanosecond: truncated
      {"9223372036.854775807", std::numeric_limits<TimeNs>::max()},
      {"9223372036854", 9223372036854 * kMs},
  };
  for (const auto& [text, expected] : cases) {
    const auto h = decode_lines("m 1 " + text + "\n");
    ASSERT_EQ(h.samples.size(), 1u) << text << "\n" << h.describe();
    EXPECT_EQ(h.samples[0].first.time, expected) << text;
  }
  for (const char* bad : {"-5", "-1.5", "9223372036855", "99999999999999999999", "9223372036.854775808",
                          "1e400", "NaN", "+Inf", "12:00", "1.5x", "0x10", "1e"}) {
    const auto h = decode_lines(std::string("m 1 ") + bad + "\n");
    ASSERT_EQ(h.rejects.size(), 1u) << bad;
    EXPECT_EQ(h.rejects[0].first.field, "timestamp") << bad;
  }
}

TEST(PrometheusText, ExemplarsAreCheckedThenDropped) {
  const auto h = decode_lines(
      "c_total 5 # {trace_id=\"abc\"} 0.67\n"
      "c_total 6 1520879607789 # {trace_id=\"abc\"} 0.67 1520879607.789\n"
      "c_total 7 # trace\n"
      "c_total 8 # {trace_id=\"abc} 0.67\n"
      "c_total 9 # {trace_id=\"abc\"} many\n");
  ASSERT_EQ(h.samples.size(), 2u) << h.describe();
  EXPECT_TRUE(h.samples[0].first.labels.empty());
  EXPECT_EQ(h.samples[0].first.time, kScrape);
  EXPECT_EQ(h.samples[1].first.time, 1520879607789 * kMs);
  ASSERT_EQ(h.rejects.size(), 3u) << h.describe();
  EXPECT_EQ(h.rejects[0].first.field, "exemplar");
  EXPECT_EQ(h.rejects[1].first.field, "exemplar.labels.trace_id");
  EXPECT_EQ(h.rejects[2].first.field, "exemplar");
}

TEST(PrometheusText, CrlfLinesDecodeAsLf) {
  const std::string text = read_file(data_path("prometheus/prometheus-promtool/metrics-test.prom"));
  std::string crlf;
  for (char c : text) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  const auto lf = decode_lines(text);
  const auto cr = decode_lines(crlf);
  ASSERT_TRUE(cr.rejects.empty()) << cr.describe();
  ASSERT_EQ(cr.samples.size(), lf.samples.size());
  for (std::size_t i = 0; i < lf.samples.size(); ++i) EXPECT_EQ(cr.samples[i], lf.samples[i]);
}

TEST(PrometheusText, BadLinesAreRefusedByFieldAndTheRestDecodes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"m", "value"},                                  // missing value
      {"m{a=\"1\"}", "value"},                         // missing value after labels
      {"m abc", "value"},                              // bad float
      {"m 1.2.3", "value"},                            // bad float
      {"m{a=\"1} 1", "labels.a"},                      // unterminated label value
      {"m{a=\"1\\", "labels.a"},                       // unterminated after a backslash
      {"m{a=\"\\x\"} 1", "labels.a"},                  // bad escape
      {"m{a=\"\\t\"} 1", "labels.a"},                  // bad escape
      {"m{1a=\"x\"} 1", "labels"},                     // invalid label name
      {"m{a-b=\"x\"} 1", "labels.a"},                  // invalid label name
      {"m{\"a.b\"=\"x\"} 1", "labels"},                // quoted (UTF-8) label name
      {"m{a=\"1\",a=\"2\"} 1", "labels.a"},            // duplicate label
      {"m{a \"1\"} 1", "labels.a"},                    // no '='
      {"m{a=1} 1", "labels.a"},                        // unquoted value
      {"m{a=\"1\" b=\"2\"} 1", "labels"},              // no comma
      {"m{a=\"1\"", "labels"},                         // no closing brace
      {"1m 1", "name"},                                // bad metric name
      {"m-x 1", "name"},                               // bad metric name
      {"{__name__=\"m\"} 1", "name"},                  // quoted metric name
      {"m{a=\"\xff\"} 1", "labels.a"},                 // invalid UTF-8: a stray byte
      {"m{a=\"\xC0\xAF\"} 1", "labels.a"},             // invalid UTF-8: overlong
      {"m{a=\"\xED\xA0\x80\"} 1", "labels.a"},         // invalid UTF-8: a surrogate
      {"m{a=\"\xE2\x82\"} 1", "labels.a"},             // invalid UTF-8: truncated
      {"m\xC3\xA9 1", "name"},                         // UTF-8 in a metric name
      {"m 1 \xff", "timestamp"},                       // invalid UTF-8 as a timestamp
      {"m 1 notatime", "timestamp"},                   // bad timestamp
      {"m 1 99999999999999999999", "timestamp"},       // timestamp out of range
      {"m 1 -5", "timestamp"},                         // before 1970
      {"m 1 123 junk", ""},                            // text after the timestamp
  };
  std::string payload;
  for (const auto& c : cases) payload += c.first + "\ngood{n=\"" + std::to_string(&c - cases.data()) + "\"} 1\n";
  const auto h = decode_lines(payload);
  ASSERT_EQ(h.samples.size(), cases.size()) << h.describe();
  ASSERT_EQ(h.rejects.size(), cases.size()) << h.describe();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(h.samples[i].second, 2 * i + 2);
    EXPECT_EQ(label(h.samples[i].first, "n"), std::to_string(i));
    EXPECT_EQ(h.rejects[i].second, 2 * i + 1) << cases[i].first;
    EXPECT_EQ(h.rejects[i].first.field, cases[i].second) << cases[i].first << " -> " << h.rejects[i].first.to_string();
    EXPECT_FALSE(h.rejects[i].first.reason.empty());
    // Reasons quote the input safely: never a raw byte outside ASCII.
    for (char c : h.rejects[i].first.reason) EXPECT_LT(static_cast<unsigned char>(c), 0x80) << cases[i].first;
  }
}

TEST(PrometheusText, ATenMegabyteLineIsRefusedWithoutBeingParsed) {
  // The line would also fail on its bad escape if it were parsed.
  const std::string payload = "before 1\r\nm{a=\"\\q" + std::string(10 << 20, 'x') + "\"} 1\r\nafter 2\r\n";
  const auto h = decode_lines(payload);
  ASSERT_EQ(h.rejects.size(), 1u) << h.describe();
  EXPECT_EQ(h.rejects[0].second, 2u);
  EXPECT_EQ(h.rejects[0].first.field, "");
  EXPECT_NE(h.rejects[0].first.reason.find("limit"), std::string::npos);
  ASSERT_EQ(h.samples.size(), 2u);
  EXPECT_EQ(h.samples[0].first.name, "before");
  EXPECT_EQ(h.samples[1].first.name, "after");
  EXPECT_EQ(h.samples[1].second, 3u);
}

TEST(PrometheusText, APayloadOverTheLimitIsRefusedWhole) {
  DecodeOptions o = options();
  o.max_payload_bytes = 8;
  const auto h = decode_lines("a 1\nb 2\nc 3\n", o);
  EXPECT_TRUE(h.samples.empty());
  ASSERT_EQ(h.rejects.size(), 1u);
  EXPECT_EQ(h.rejects[0].second, 0u);
}

TEST(PrometheusText, SurvivesHostileInput) {
  // Never a crash, and every line is accounted for: a sample or a rejection.
  const std::vector<std::string> lines = {
      "{", "}", "m{", "m{a", "m{a=", "m{a=\"", "m{a=\"\\", "m 1 #", "m 1 # {", "m 1 # {a=\"b\"}",
      "m 1 1 1", std::string("m\0 1", 4), "m 0x", "m 0xp1", "m -", "m +", "\t\tm 1", "m\t1\t2",
      "m 1 1e999999999999", "m 1 1e-999999999999", "m 1 .e5", "m 1 0." + std::string(500, '0') + "1",
  };
  for (const auto& line : lines) {
    const auto h = decode_lines(line);
    EXPECT_EQ(h.samples.size() + h.rejects.size(), 1u) << line;
    for (const auto& [e, pos] : h.rejects) EXPECT_FALSE(e.reason.empty()) << line;
  }
}

// ---------------------------------------------------------------------------
// Encoding

TEST(PrometheusText, EncodesWhatPrometheusWrites) {
  std::vector<MetricSample> samples(3);
  samples[0] = {"up", {{"job", "a\"b\\c\nd"}}, 1700000000123 * kMs + 999'999, 1427647};
  samples[1] = {"x", {}, 0, std::numeric_limits<double>::quiet_NaN()};
  samples[2] = {"y", {{"le", "+Inf"}}, kMs, -HUGE_VAL};
  std::string text;
  encode_prometheus_text(samples, text);
  EXPECT_EQ(text,
            "up{job=\"a\\\"b\\\\c\\nd\"} 1.427647e+06 1700000000123\n"
            "x NaN 0\n"
            "y{le=\"+Inf\"} -Inf 1\n");
  std::string more;
  const std::vector<MetricSample> plain = {{"z", {}, 0, 840923.7919437207}, {"z", {}, 0, 1e-5},
                                           {"z", {}, 0, 0.0001},            {"z", {}, 0, 100000}};
  encode_prometheus_text(plain, more);
  EXPECT_EQ(more, "z 840923.7919437207 0\nz 1e-05 0\nz 0.0001 0\nz 100000 0\n");
}

TEST(PrometheusText, EncodingRepairsNamesPrometheusWouldRefuse) {
  const std::vector<MetricSample> samples = {
      {"http.server.duration", {{"service.name", "checkout"}, {"2xx", "y"}}, 0, 1},
      {"caf\xC3\xA9", {{"", "v"}}, 0, 2}};
  std::string text;
  encode_prometheus_text(samples, text);
  EXPECT_EQ(text, "http_server_duration{service_name=\"checkout\",_2xx=\"y\"} 1 0\ncaf_{_=\"v\"} 2 0\n");
  EXPECT_TRUE(decode_lines(text).rejects.empty());
}

TEST(PrometheusText, RoundTripsVariedSamples) {
  std::vector<MetricSample> samples;
  const std::vector<double> values = {0.0, -0.5, 1e-300, 1.7976931348623157e308, 123456789.125, 0.1,
                                      -1e-7, 42, std::numeric_limits<double>::quiet_NaN(), HUGE_VAL,
                                      -HUGE_VAL, 5e-324};
  for (int i = 0; i < 48; ++i) {
    MetricSample m;
    m.name = i % 3 == 0 ? "http_requests_total" : i % 3 == 1 ? "node:cpu_seconds:rate5m" : "_x";
    // Labels in canonical (sorted) order, as the decoder gives them.
    m.labels = {{"code", std::to_string(200 + i)},
                {"path", "/a \"b\" \\c\nd \xE2\x82\xAC \xF0\x9F\x98\x80 \\n"}};
    if (i % 4 == 0) {
      for (int k = 0; k < 20; ++k) m.labels.emplace_back("z" + std::to_string(10 + k), std::string(k + 1, 'v'));
    }
    if (i % 5 == 0) m.labels.clear();
    m.time = 1'700'000'000'000'000'000 + static_cast<TimeNs>(i) * 1'234 * kMs;
    m.value = values[static_cast<std::size_t>(i) % values.size()] * (i % 2 == 0 ? 1 : -1);
    samples.push_back(std::move(m));
  }
  std::string text;
  encode_prometheus_text(samples, text);
  const auto h = decode_lines(text);
  ASSERT_TRUE(h.rejects.empty()) << h.describe();
  ASSERT_EQ(h.samples.size(), samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) EXPECT_EQ(h.samples[i].first, samples[i]) << i;
}

TEST(PrometheusText, RoundTripsARealScrape) {
  const std::string text = read_file(data_path("prometheus/node-exporter/e2e-output.txt"));
  const auto first = decode_lines(text);
  ASSERT_TRUE(first.rejects.empty()) << first.describe();
  std::vector<MetricSample> samples;
  for (const auto& [m, line] : first.samples) samples.push_back(m);
  std::string encoded;
  encode_prometheus_text(samples, encoded);
  const auto second = decode_lines(encoded);
  ASSERT_TRUE(second.rejects.empty()) << second.describe();
  ASSERT_EQ(second.samples.size(), samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) EXPECT_EQ(second.samples[i].first, samples[i]) << i;
}

}  // namespace
}  // namespace eventlens::codec
