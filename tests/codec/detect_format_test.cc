// Telling an input's format from its bytes (codec::detect_format): what
// `decode`, `replay` and `serve --kafka` do with every file or message.
// Real samples of each format, and the cases that tell them apart.
#include <gtest/gtest.h>

#include <string>

#include "codec/decoder.h"
#include "support/test_data.h"

namespace eventlens::codec {
namespace {

Format detected(const std::string& text, std::string_view file_name = "") {
  auto f = detect_format(text, file_name);
  EXPECT_TRUE(f) << f.error().to_string();
  return f ? *f : Format::native;
}

Format detected_file(const std::string& relative) {
  return detected(testing::read_file(testing::data_path(relative)));
}

TEST(DetectFormat, RealSamplesOfEachFormat) {
  EXPECT_EQ(detected_file("otlp/fluent-bit-cases/logs.json"), Format::otlp_logs);
  EXPECT_EQ(detected_file("otlp/fluent-bit-cases/metrics.json"), Format::otlp_metrics);
  EXPECT_EQ(detected_file("otlp/fluent-bit-cases/traces.json"), Format::otlp_traces);
  EXPECT_EQ(detected_file("cloudevents/spec/json-format.01.binary-data-base64.json"), Format::cloudevents);
  EXPECT_EQ(detected_file("k8s/api-roundtrip-fixtures/core.v1.Event.json"), Format::k8s);
  EXPECT_EQ(detected_file("k8s/api-roundtrip-fixtures/core.v1.Event.yaml"), Format::k8s);
  EXPECT_EQ(detected_file("k8s/api-roundtrip-fixtures/events.k8s.io.v1.Event.json"), Format::k8s) << "regarding";
  EXPECT_EQ(detected_file("k8s/api-roundtrip-fixtures/events.k8s.io.v1.Event.yaml"), Format::k8s);
  EXPECT_EQ(detected_file("prometheus/common-expfmt/text.prom"), Format::prometheus);
}

TEST(DetectFormat, JsonIsToldByItsKeysWhereverTheyAre) {
  EXPECT_EQ(detected(R"({"id":"e1","time":"2026-11-23T00:00:00Z","category":"change","type":"deploy"})"),
            Format::native);
  EXPECT_EQ(detected(R"(  {"name":"http_requests_total","labels":{"service":"a"},"value":1})"), Format::native);
  EXPECT_EQ(detected(R"({"data":{},"id":"1","specversion":"1.0","source":"s","type":"t"})"), Format::cloudevents);
  EXPECT_EQ(detected(R"({"apiVersion":"v1","kind": "Event","reason":"Killing"})"), Format::k8s);
  EXPECT_EQ(detected(R"({"metadata":{},"kind":"Event"})"), Format::k8s);
  EXPECT_EQ(detected(R"({"type":"ADDED","object":{"involvedObject":{"kind":"Pod"}}})"), Format::k8s);
  EXPECT_EQ(detected(R"([{"resource_spans":[]}])"), Format::otlp_traces);
  // OTLP wins over keys nested inside it.
  EXPECT_EQ(detected(R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"x"},"attributes":[{"key":"specversion"}]}]}]}]})"),
            Format::otlp_logs);
}

TEST(DetectFormat, TextThatOnlyMentionsAKeyIsNotThatFormat) {
  // A native log whose message quotes YAML or a key's name without its
  // quotes is still a native record.
  EXPECT_EQ(detected(R"({"time":"2026-11-23T00:00:00Z","service":"a","body":"kind: Event regarding: involvedObject:"})"),
            Format::native);
  EXPECT_EQ(detected(R"({"time":"2026-11-23T00:00:00Z","service":"a","body":"the kind field"})"), Format::native);
  EXPECT_EQ(detected(R"({"kindness":"Event"})"), Format::native);
}

TEST(DetectFormat, PrometheusTextAndUnknownInput) {
  EXPECT_EQ(detected("# HELP up 1 if up\n# TYPE up gauge\nup 1\n"), Format::prometheus);
  EXPECT_EQ(detected("http_requests_total{code=\"200\"} 1027\n"), Format::prometheus);
  EXPECT_EQ(detected("anything", "metrics.prom"), Format::prometheus);
  EXPECT_FALSE(detect_format("<xml/>", ""));
  EXPECT_FALSE(detect_format("", ""));
}

}  // namespace
}  // namespace eventlens::codec
