#include "source/file_source.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "codec/cloudevents.h"
#include "codec/k8s_event.h"
#include "codec/native_json.h"
#include "codec/otlp_json.h"
#include "support/test_data.h"

namespace eventlens::source {
namespace {

using codec::DecodeOptions;
using codec::Format;

constexpr TimeNs kBase = 1'714'564'800'000'000'000;  // 2024-05-01T12:00:00Z

// What reading a whole file batch by batch gave.
struct Collected {
  std::vector<Record> records;
  std::vector<RejectedRecord> rejects;
  std::size_t batches = 0;
  std::size_t largest_batch = 0;
};

Collected read_all(FileSource& source, std::size_t max_records) {
  Collected c;
  std::vector<Record> out;
  std::vector<RejectedRecord> rejected;
  while (source.next_batch(out, rejected, max_records)) {
    ++c.batches;
    c.largest_batch = std::max(c.largest_batch, out.size() + rejected.size());
    c.records.insert(c.records.end(), out.begin(), out.end());
    c.rejects.insert(c.rejects.end(), rejected.begin(), rejected.end());
  }
  // Exhausted stays exhausted.
  EXPECT_FALSE(source.next_batch(out, rejected, max_records));
  return c;
}

Collected read_file(const std::string& path, std::optional<Format> format, std::size_t max_records,
                    const DecodeOptions& options = {}) {
  auto source = FileSource::open(path, format, options);
  EXPECT_TRUE(source.ok()) << (source.ok() ? "" : source.error().to_string());
  if (!source.ok()) return {};
  return read_all(**source, max_records);
}

// Expects the records and rejections of decoding the file whole, in order.
// Rejections are compared by position; `same_reasons` compares the errors
// too (they differ only where the reader refuses over-long lines itself).
void expect_same(const Collected& got, const testing::CollectingHandler& want, bool same_reasons = true) {
  ASSERT_EQ(got.records.size(), want.records.size());
  for (std::size_t i = 0; i < got.records.size(); ++i) {
    ASSERT_TRUE(got.records[i] == want.records[i]) << "record " << i << " differs";
  }
  ASSERT_EQ(got.rejects.size(), want.rejects.size()) << want.describe_rejects();
  for (std::size_t i = 0; i < got.rejects.size(); ++i) {
    EXPECT_EQ(got.rejects[i].position, want.rejects[i].second) << "rejection " << i << ": "
                                                                << got.rejects[i].error.to_string();
    if (same_reasons) {
      EXPECT_EQ(got.rejects[i].error, want.rejects[i].first) << "rejection " << i;
    }
  }
}

class FileSourceTest : public ::testing::Test {
 protected:
  // A folder per test: ctest runs the tests (and each parameter) in
  // processes of their own, side by side.
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "." + info->name();
    std::replace(name.begin(), name.end(), '/', '_');
    dir_ = std::filesystem::path(EVENTLENS_TEST_TMP) / "file_source_test" / name;
    std::filesystem::create_directories(dir_);
  }

  std::string write(const std::string& name, std::string_view text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary).write(text.data(), static_cast<std::streamsize>(text.size()));
    return path;
  }

  std::string write_gz(const std::string& name, std::string_view text) {
    const std::string path = (dir_ / name).string();
    gzFile f = gzopen(path.c_str(), "wb6");
    EXPECT_NE(f, nullptr);
    EXPECT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
    gzclose(f);
    return path;
  }

  std::filesystem::path dir_;
};

// ---- generated inputs ----

// Native JSON lines: events, samples, logs and spans, with refused lines,
// blank lines and CRLF line ends among them; about `bytes` long.
std::string native_lines(std::size_t bytes) {
  std::string text;
  std::string line;
  for (int i = 0; text.size() < bytes; ++i) {
    line.clear();
    switch (i % 4) {
      case 0: {
        Event e;
        e.id = "e-" + std::to_string(i);
        e.time = kBase + i * kNanosPerSecond;
        e.category = Category::scaling;
        e.type = "scale_up";
        e.service = "checkout-" + std::to_string(i % 7);
        e.message = "scaled from " + std::to_string(i % 5) + " to " + std::to_string(i % 5 + 1);
        e.attributes = {{"replicas", std::int64_t{i % 5 + 1}}};
        codec::encode_native(e, line);
        break;
      }
      case 1: {
        MetricSample m;
        m.name = "http_requests_total";
        m.labels = {{"pod", "p-" + std::to_string(i % 13)}, {"service", "frontend"}};
        m.time = kBase + i * kNanosPerSecond;
        m.value = i * 0.5;
        codec::encode_native(m, line);
        break;
      }
      case 2: {
        LogRecord l;
        l.time = kBase + i * kNanosPerSecond;
        l.service = "payment";
        l.severity = Severity::error;
        l.body = "timeout after " + std::to_string(i) + " ms";
        codec::encode_native(l, line);
        break;
      }
      default: {
        Span s;
        s.trace_id = "0af7651916cd43dd8448eb211c80319c";
        s.span_id = "b7ad6b71692033" + std::to_string(10 + i % 90);
        s.service = "frontend";
        s.name = "GET /cart";
        s.start = kBase + i * kNanosPerSecond;
        s.end = s.start + 1'000'000;
        codec::encode_native(s, line);
        break;
      }
    }
    text += line;
    text += i % 17 == 0 ? "\r\n" : "\n";
    if (i % 101 == 0) text += "not json at all\n";
    if (i % 103 == 0) text += "{\"name\":\"m\",\"value\":\"high\"}\n";
    if (i % 107 == 0) text += "   \n\n";
  }
  return text;
}

// Prometheus text whose reading needs what earlier chunks saw: bucket and
// quantile samples whose family TYPE came thousands of lines before, a
// second TYPE for a family, a refused TYPE, comments that only look like
// TYPE lines, and a `# EOF` followed by lines that must be reported.
std::string prometheus_text(std::size_t bytes) {
  std::string t;
  const char* kTypes[] = {"counter", "gauge", "histogram", "summary"};
  for (int f = 0; f < 200; ++f) {
    const std::string name = "fam_" + std::to_string(f);
    const std::string type = kTypes[f % 4];
    t += "# HELP " + name + " family number " + std::to_string(f) + "\n";
    t += "# TYPE " + name + " " + type + "\n";
    if (type == "histogram") {
      t += name + "_bucket{le=\"0.5\",svc=\"a\"} 1 1714564800000\n";
      t += name + "_bucket{le=\"+Inf\",svc=\"a\"} 2 1714564800000\n";
      t += name + "_sum{svc=\"a\"} 0.7 1714564800000\n";
      t += name + "_count{svc=\"a\"} 2 1714564800000\n";
    } else if (type == "summary") {
      t += name + "{quantile=\"0.95\",svc=\"a\"} 0.2 1714564800000\n";
      t += name + "_sum{svc=\"a\"} 9 1714564800000\n";
    } else {
      t += name + "{svc=\"a\"} " + std::to_string(f) + " 1714564800000\n";
    }
  }
  t += "#TYPE lookalike histogram\n";  // no blank after '#': a plain comment
  t += "# TYPE fam_bad sometimes\n";   // refused: not a type
  for (int i = 0; t.size() < bytes; ++i) {
    const int f = (i * 7) % 200;
    const std::string name = "fam_" + std::to_string(f);
    const std::string ts = " " + std::to_string(1714564800000LL + i * 15000LL);
    switch (f % 4) {
      case 2:  // histogram: every third bucket forgets its le
        t += name + "_bucket{" + (i % 3 == 0 ? "" : "le=\"1\",") + "svc=\"b\"} 3" + ts + "\n";
        break;
      case 3:  // summary: every fifth sample forgets its quantile
        t += name + "{" + (i % 5 == 0 ? "" : "quantile=\"0.5\",") + "svc=\"b\"} 0.1" + ts + "\n";
        break;
      default:
        t += name + "{svc=\"b\",i=\"" + std::to_string(i % 50) + "\"} " + std::to_string(i) + ts +
             (i % 11 == 0 ? "\r\n" : "\n");
    }
    if (i % 97 == 0) t += "lookalike_bucket{svc=\"c\"} 1" + ts + "\n";   // plain: its TYPE was not one
    if (i % 89 == 0) t += "fam_bad_bucket{svc=\"c\"} 1" + ts + "\n";     // plain: its TYPE was refused
    if (i % 499 == 0) t += "# TYPE fam_" + std::to_string(i % 200) + " gauge\n";  // a second TYPE
    if (i % 131 == 0) t += "this is { not a sample\n";
    if (i % 211 == 0) t += "\n   \n";
    if (i % 307 == 0) t += "# just a comment\n";
  }
  t += "# EOF\n";
  for (int i = 0; i < 3000; ++i) t += i % 10 == 0 ? "\n" : "after_eof " + std::to_string(i) + "\n";
  return t;
}

// ---- the real capture ----

TEST_F(FileSourceTest, ReadsTheRealCaptureInFull) {
  const std::string path = testing::data_path("rca/online-boutique/native/2022-08-22/metrics.jsonl.gz");
  auto source = FileSource::open(path, std::nullopt, {});
  ASSERT_TRUE(source.ok()) << source.error().to_string();
  EXPECT_EQ((*source)->format(), Format::native);
  EXPECT_EQ((*source)->path(), path);
  const Collected c = read_all(**source, 4096);
  EXPECT_EQ(c.records.size(), 257'007u);
  EXPECT_TRUE(c.rejects.empty()) << c.rejects.front().error.to_string();
  EXPECT_LE(c.largest_batch, 4096u);
  EXPECT_EQ((*source)->bytes_read(), 45'629'579u);  // the decompressed size
  EXPECT_TRUE((*source)->status().ok());
  ASSERT_TRUE(std::holds_alternative<MetricSample>(c.records.front()));
  EXPECT_EQ(std::get<MetricSample>(c.records.front()).name, "cpu_usage_millicores");
}

// ---- compressed and plain ----

TEST_F(FileSourceTest, GzipAndPlainCopiesGiveTheSameRecords) {
  const std::string text = native_lines(3 * FileSource::kChunkBytes / 2);
  const std::string plain = write("same.jsonl", text);
  const std::string gz = write_gz("same.jsonl.gz", text);
  const Collected a = read_file(plain, std::nullopt, 10'000);
  const Collected b = read_file(gz, std::nullopt, 10'000);
  ASSERT_GT(a.records.size(), 10'000u);
  ASSERT_FALSE(a.rejects.empty());
  ASSERT_EQ(a.records.size(), b.records.size());
  for (std::size_t i = 0; i < a.records.size(); ++i) ASSERT_TRUE(a.records[i] == b.records[i]) << i;
  ASSERT_EQ(a.rejects.size(), b.rejects.size());
  for (std::size_t i = 0; i < a.rejects.size(); ++i) {
    EXPECT_EQ(a.rejects[i].position, b.rejects[i].position);
    EXPECT_EQ(a.rejects[i].error, b.rejects[i].error);
  }
}

TEST_F(FileSourceTest, DetectsTheFormatFromTheNameWithoutGz) {
  // No "# TYPE" and no '{': only the .prom under the .gz says Prometheus.
  const std::string gz = write_gz("scrape.prom.gz", "up 1 1714564800000\nup{job=\"x\"} 0 1714564800000\n");
  auto source = FileSource::open(gz, std::nullopt, {});
  ASSERT_TRUE(source.ok()) << source.error().to_string();
  EXPECT_EQ((*source)->format(), Format::prometheus);
  EXPECT_EQ(read_all(**source, 10).records.size(), 2u);
}

// ---- chunking gives what decoding the whole file gives ----

class ChunkingTest : public FileSourceTest, public ::testing::WithParamInterface<std::size_t> {};

TEST_P(ChunkingTest, NativeLines) {
  const std::size_t max_records = GetParam();
  const std::string text = native_lines(5 * FileSource::kChunkBytes / 2);
  const std::string path = write("chunked.jsonl", text);
  const Collected got = read_file(path, Format::native, max_records);
  const auto want = testing::decode(Format::native, text);
  ASSERT_FALSE(want.rejects.empty());
  expect_same(got, want);
  EXPECT_LE(got.largest_batch, max_records);
  EXPECT_GT(text.size(), 2 * FileSource::kChunkBytes);
}

TEST_P(ChunkingTest, PrometheusText) {
  const std::size_t max_records = GetParam();
  const std::string text = prometheus_text(5 * FileSource::kChunkBytes / 2);
  const std::string path = write("chunked.prom", text);
  const Collected got = read_file(path, std::nullopt, max_records);
  const auto want = testing::decode(Format::prometheus, text);
  // The file exercises what it should: refused buckets and quantiles (TYPE
  // from far back), second TYPEs, and the lines after `# EOF`.
  std::size_t missing_le = 0, second_type = 0, after_eof = 0;
  for (const auto& [e, line] : want.rejects) {
    missing_le += e.field == "labels.le" ? 1 : 0;
    second_type += e.reason.find("a second TYPE") != std::string::npos ? 1 : 0;
    after_eof += e.reason.find("after the `# EOF`") != std::string::npos ? 1 : 0;
  }
  EXPECT_GT(missing_le, 100u);
  EXPECT_GT(second_type, 10u);
  EXPECT_EQ(after_eof, 1u);
  expect_same(got, want);
  EXPECT_LE(got.largest_batch, max_records);
}

INSTANTIATE_TEST_SUITE_P(BatchSizes, ChunkingTest, ::testing::Values(std::size_t{100}, std::size_t{1} << 20));

TEST_F(FileSourceTest, PrometheusEofInTheLastChunk) {
  const std::string text = "# TYPE a histogram\na_bucket{le=\"1\"} 1 1000\n# EOF\n\nlate 1\nlater 2\n";
  const Collected got = read_file(write("eof.prom", text), std::nullopt, 1);
  expect_same(got, testing::decode(Format::prometheus, text));
  ASSERT_EQ(got.rejects.size(), 1u);
  EXPECT_EQ(got.rejects[0].position, 5u);
}

TEST_F(FileSourceTest, KubernetesWatchLines) {
  std::string text;
  std::string line;
  for (int i = 0; i < 20'000; ++i) {
    Event e;
    e.time = kBase + i * kNanosPerSecond;
    e.category = Category::failure;
    e.type = "oom_killed";
    e.service = "cart";
    e.namespace_ = "shop";
    e.pod = "cart-" + std::to_string(i % 9);
    e.message = "Container cart was OOM killed";
    e.severity = Severity::warning;
    e.source = "k8s";
    e.id = "k8s-" + std::to_string(i);
    line.clear();
    codec::encode_k8s_watch_line(e, line);
    text += line + "\n";
    if (i % 1000 == 7) text += "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"x\"}}}\n";
    if (i % 1000 == 9) text += "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Event\"\n";  // cut short
    if (i % 1000 == 11) text += "oops\n";
  }
  const std::string path = write("watch.jsonl", text);
  auto source = FileSource::open(path, std::nullopt, {});
  ASSERT_TRUE(source.ok()) << source.error().to_string();
  EXPECT_EQ((*source)->format(), Format::k8s);
  const Collected got = read_all(**source, 500);
  const auto want = testing::decode(Format::k8s, text);
  ASSERT_GT(text.size(), 2 * FileSource::kChunkBytes);
  ASSERT_FALSE(want.rejects.empty());
  expect_same(got, want);
  std::size_t skipped = 0;
  for (const auto& [kind, n] : want.skipped) skipped += n;
  EXPECT_EQ((*source)->skipped_objects(), skipped);
  EXPECT_GT(skipped, 0u);
}

TEST_F(FileSourceTest, OtlpJsonLinesComeOutInBatchesOfTheSizeAsked) {
  // Each line is a request with 25 records: a batch of 7 takes records out
  // of the middle of a line's.
  std::string text;
  for (int n = 0; n < 60; ++n) {
    std::vector<LogRecord> logs;
    for (int i = 0; i < 25; ++i) {
      LogRecord l;
      l.time = kBase + (n * 25 + i) * kNanosPerSecond;
      l.service = "svc-" + std::to_string(i % 3);
      l.severity = Severity::warning;
      l.body = "line " + std::to_string(n) + " record " + std::to_string(i);
      logs.push_back(l);
    }
    std::string request;
    codec::encode_otlp_logs(logs, request);
    text += request + "\n";
    if (n == 30) text += "{\"resourceLogs\": [ {\"truncated\"\n";
    if (n == 40) text += "\n\n";
  }
  const std::string path = write("logs.otlp.jsonl", text);
  auto source = FileSource::open(path, std::nullopt, {});
  ASSERT_TRUE(source.ok()) << source.error().to_string();
  EXPECT_EQ((*source)->format(), Format::otlp_logs);
  const Collected got = read_all(**source, 7);
  EXPECT_EQ(got.largest_batch, 7u);
  const auto want = testing::decode(Format::otlp_logs, text);
  ASSERT_EQ(want.records.size(), 60u * 25u);
  ASSERT_EQ(want.rejects.size(), 1u);
  EXPECT_EQ(want.rejects[0].second, 32u);
  expect_same(got, want);
}

TEST_F(FileSourceTest, CloudEventsJsonLines) {
  std::string text;
  std::string line;
  for (int i = 0; i < 3000; ++i) {
    Event e;
    e.id = "ce-" + std::to_string(i);
    e.time = kBase + i * kNanosPerSecond;
    e.category = Category::change;
    e.type = "config_changed";
    e.service = "search";
    e.source = "ci";
    line.clear();
    codec::encode_cloudevent(e, line);
    text += line + "\n";
    if (i == 1500) text += "[1, 2\n";
  }
  const Collected got = read_file(write("events.ce.jsonl", text), std::nullopt, 64);
  const auto want = testing::decode(Format::cloudevents, text);
  ASSERT_EQ(want.records.size(), 3000u);
  ASSERT_EQ(want.rejects.size(), 1u);
  expect_same(got, want);
}

// ---- over-long lines ----

TEST_F(FileSourceTest, AnOverLongLineIsRefusedWithItsLine) {
  DecodeOptions options;
  options.max_record_bytes = 1000;
  const std::string ok = R"({"name":"m","labels":{"pod":"a"},"time":"2024-05-01T12:00:00Z","value":1})";
  std::string exact = ok;  // 1000 bytes before its CR: at the limit, not over it
  exact.insert(exact.size() - 1, std::string(1000 - exact.size(), ' '));
  std::string over = ok;
  over.insert(over.size() - 1, std::string(1001 - over.size(), ' '));
  const std::string huge = "{\"x\":\"" + std::string(FileSource::kChunkBytes + 12345, 'y') + "\"}";
  const std::string text = ok + "\n" +                        // 1
                           "{\"a\":\"" + std::string(3000, 'z') + "\"}\n" +  // 2: over
                           ok + "\n" +                        // 3
                           std::string(3000, ' ') + "\n" +    // 4: blank, however long
                           ok + "\n" +                        // 5
                           huge + "\n" +                      // 6: over, longer than a chunk
                           ok + "\r\n" +                      // 7
                           exact + "\r\n" +                   // 8
                           over + "\n" +                      // 9: over by one byte
                           ok;                                // 10, no line end
  ASSERT_EQ(exact.size(), 1000u);
  const std::string path = write("long.jsonl", text);
  for (std::size_t max_records : {std::size_t{1}, std::size_t{2}, std::size_t{1000}}) {
    const Collected got = read_file(path, Format::native, max_records, options);
    EXPECT_EQ(got.records.size(), 6u);
    ASSERT_EQ(got.rejects.size(), 3u);
    EXPECT_EQ(got.rejects[0].position, 2u);
    EXPECT_EQ(got.rejects[0].error.reason, "line is 3008 bytes, over the 1000-byte limit");
    EXPECT_EQ(got.rejects[1].position, 6u);
    EXPECT_EQ(got.rejects[1].error.reason,
              "line is " + std::to_string(huge.size()) + " bytes, over the 1000-byte limit");
    EXPECT_EQ(got.rejects[2].position, 9u);
    // The same records and positions as the decoder reading the file whole
    // (which words its refusal "record is ...").
    expect_same(got, testing::decode(Format::native, text, options), /*same_reasons=*/false);
  }
}

TEST_F(FileSourceTest, AKubernetesChunkAfterASkippedLineStaysJson) {
  DecodeOptions options;
  options.max_record_bytes = 2000;
  std::string first, last;
  Event e;
  e.id = "a";
  e.time = kBase;
  e.type = "scale_up";
  e.category = Category::scaling;
  e.service = "cart";
  e.source = "k8s";
  codec::encode_k8s_watch_line(e, first);
  e.id = "b";
  codec::encode_k8s_watch_line(e, last);
  std::string long_line = first;
  long_line.insert(long_line.size() - 1, std::string(3000, ' '));
  const std::string text = first + "\n" + long_line + "\n" + "oops\n" + last + "\n";
  const Collected got = read_file(write("after-long.jsonl", text), Format::k8s, 10, options);
  ASSERT_EQ(got.records.size(), 2u);
  ASSERT_EQ(got.rejects.size(), 2u);
  EXPECT_EQ(got.rejects[0].position, 2u);
  EXPECT_EQ(got.rejects[1].position, 3u);
  expect_same(got, testing::decode(Format::k8s, text, options), /*same_reasons=*/false);
}

// ---- whole documents ----

TEST_F(FileSourceTest, APrettyPrintedRequestIsReadWhole) {
  const std::string path = testing::data_path("otlp/proto-examples/logs.json");
  const std::string text = testing::read_file(path);
  auto source = FileSource::open(path, std::nullopt, {});
  ASSERT_TRUE(source.ok()) << source.error().to_string();
  EXPECT_EQ((*source)->format(), Format::otlp_logs);
  const Collected got = read_all(**source, 1);
  const auto want = testing::decode(Format::otlp_logs, text);
  ASSERT_FALSE(want.records.empty());
  expect_same(got, want);
  EXPECT_EQ((*source)->bytes_read(), text.size());
}

TEST_F(FileSourceTest, AKubernetesListIsReadWhole) {
  const std::string path = testing::data_path("k8s/fluent-bit/eventlist_v1_with_creationTimestamp.json");
  const Collected got = read_file(path, std::nullopt, 3);
  const auto want = testing::decode(Format::k8s, testing::read_file(path));
  ASSERT_FALSE(want.records.empty());
  expect_same(got, want);
}

TEST_F(FileSourceTest, AWholeDocumentOverTheLimitIsRefusedAtOpen) {
  DecodeOptions options;
  options.max_payload_bytes = 100;
  const std::string path = testing::data_path("otlp/proto-examples/logs.json");
  auto source = FileSource::open(path, std::nullopt, options);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.error().field, path);
  EXPECT_NE(source.error().reason.find("100-byte limit (max_payload_bytes)"), std::string::npos)
      << source.error().reason;
}

// ---- failures ----

TEST_F(FileSourceTest, AMissingFileNamesThePath) {
  const std::string path = (dir_ / "no-such-file.jsonl").string();
  auto source = FileSource::open(path, std::nullopt, {});
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.error().field, path);
  EXPECT_EQ(source.error().reason, "No such file or directory");
  auto gz = FileSource::open(path + ".gz", Format::native, {});
  ASSERT_FALSE(gz.ok());
  EXPECT_EQ(gz.error().field, path + ".gz");
}

TEST_F(FileSourceTest, AnUnknownFormatIsRefusedAtOpen) {
  auto source = FileSource::open(write("mystery.bin", "\x01\x02\x03 binary"), std::nullopt, {});
  ASSERT_FALSE(source.ok());
  EXPECT_NE(source.error().reason.find("cannot tell the format"), std::string::npos);
}

TEST_F(FileSourceTest, AnEmptyFileHasNoRecords) {
  const Collected c = read_file(write("empty.jsonl", ""), std::nullopt, 10);
  EXPECT_TRUE(c.records.empty());
  EXPECT_TRUE(c.rejects.empty());
  EXPECT_EQ(c.batches, 0u);
}

std::string truncated_copy(const std::string& gz_path, std::size_t keep, const std::string& out) {
  std::ifstream in(gz_path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  bytes.resize(std::min(keep, bytes.size()));
  std::ofstream(out, std::ios::binary) << bytes;
  return out;
}

TEST_F(FileSourceTest, ATruncatedGzipEndsTheFileWithAnError) {
  const std::string text = native_lines(FileSource::kChunkBytes);
  const std::string gz = write_gz("whole.jsonl.gz", text);
  const std::size_t size = std::filesystem::file_size(gz);
  const std::string cut = truncated_copy(gz, size / 2, (dir_ / "cut.jsonl.gz").string());
  auto source = FileSource::open(cut, std::nullopt, {});
  ASSERT_TRUE(source.ok()) << source.error().to_string();
  const Collected c = read_all(**source, 5000);
  EXPECT_GT(c.records.size(), 1000u);
  ASSERT_FALSE(c.rejects.empty());
  EXPECT_EQ(c.rejects.back().error.field, cut);
  EXPECT_NE(c.rejects.back().error.reason.find("truncated gzip"), std::string::npos)
      << c.rejects.back().error.reason;
  EXPECT_EQ(c.rejects.back().position, 0u);
  EXPECT_FALSE((*source)->status().ok());
  EXPECT_LT((*source)->bytes_read(), text.size());

  // Cut within what open() reads to detect the format: refused there.
  const std::string small = write_gz("small.jsonl.gz", native_lines(20'000));
  const std::string small_cut = truncated_copy(small, std::filesystem::file_size(small) - 20,
                                               (dir_ / "small-cut.jsonl.gz").string());
  auto refused = FileSource::open(small_cut, std::nullopt, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().field, small_cut);
  EXPECT_NE(refused.error().reason.find("truncated gzip"), std::string::npos) << refused.error().reason;
}

TEST_F(FileSourceTest, CorruptGzipIsAnError) {
  const std::string gz = write_gz("corrupt.jsonl.gz", native_lines(FileSource::kChunkBytes));
  std::fstream f(gz, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(gz) / 2));
  f.write("garbage!garbage!garbage!", 24);
  f.close();
  auto source = FileSource::open(gz, std::nullopt, {});
  ASSERT_TRUE(source.ok()) << source.error().to_string();
  const Collected c = read_all(**source, 5000);
  ASSERT_FALSE(c.rejects.empty());
  EXPECT_EQ(c.rejects.back().error.field, gz);
  EXPECT_FALSE((*source)->status().ok());
}

}  // namespace
}  // namespace eventlens::source
