#include "codec/decoder.h"

#include <array>

#include "codec/cloudevents.h"
#include "codec/k8s_event.h"
#include "codec/native_json.h"
#include "codec/otlp_json.h"
#include "codec/prometheus_text.h"

namespace eventlens::codec {
namespace {

struct FormatName {
  Format format;
  std::string_view name;
};

constexpr std::array kFormatNames = {
    FormatName{Format::native, "native"},
    FormatName{Format::cloudevents, "cloudevents"},
    FormatName{Format::k8s, "k8s"},
    FormatName{Format::otlp_logs, "otlp-logs"},
    FormatName{Format::otlp_metrics, "otlp-metrics"},
    FormatName{Format::otlp_traces, "otlp-traces"},
    FormatName{Format::prometheus, "prometheus"},
};

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

Result<Format> parse_format(std::string_view name) {
  for (const auto& f : kFormatNames) {
    if (f.name == name) return f.format;
  }
  std::string known;
  for (const auto& f : kFormatNames) {
    known += known.empty() ? "" : ", ";
    known += f.name;
  }
  return make_error("--format", "unknown format \"" + std::string(name) + "\" (" + known + ", auto)");
}

std::string_view to_string(Format f) {
  for (const auto& fn : kFormatNames) {
    if (fn.format == f) return fn.name;
  }
  return "unknown";
}

Result<Format> detect_format(std::string_view payload, std::string_view file_name) {
  // Look at a bounded prefix only: detection must stay cheap on big files.
  const std::string_view head = payload.substr(0, 64 * 1024);
  if (contains(head, "\"resourceLogs\"") || contains(head, "\"resource_logs\"")) {
    return Format::otlp_logs;
  }
  if (contains(head, "\"resourceMetrics\"") || contains(head, "\"resource_metrics\"")) {
    return Format::otlp_metrics;
  }
  if (contains(head, "\"resourceSpans\"") || contains(head, "\"resource_spans\"")) {
    return Format::otlp_traces;
  }
  if (contains(head, "\"specversion\"")) return Format::cloudevents;
  if (contains(head, "\"involvedObject\"") || contains(head, "\"regarding\"") ||
      contains(head, "involvedObject:") || contains(head, "regarding:") ||
      contains(head, "kind: Event") || contains(head, "\"kind\":\"Event\"") ||
      contains(head, "\"kind\": \"Event\"")) {
    return Format::k8s;
  }
  const std::size_t first = head.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && head[first] == '{') return Format::native;
  if (ends_with(file_name, ".prom") || ends_with(file_name, ".txt") || contains(head, "# TYPE ") ||
      contains(head, "# HELP ")) {
    return Format::prometheus;
  }
  if (first != std::string_view::npos) {
    // A Prometheus sample line starts with a metric name.
    const char c = head[first];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':') {
      return Format::prometheus;
    }
  }
  return make_error("--format", "cannot tell the format of " +
                                    (file_name.empty() ? std::string("the input")
                                                       : std::string(file_name)) +
                                    "; give --format");
}

std::unique_ptr<Decoder> make_decoder(Format format, const DecodeOptions& options) {
  switch (format) {
    case Format::native: return std::make_unique<NativeJsonDecoder>(options);
    case Format::cloudevents: return std::make_unique<CloudEventsDecoder>(options);
    case Format::k8s: return std::make_unique<K8sEventDecoder>(options);
    case Format::otlp_logs: return std::make_unique<OtlpJsonDecoder>(OtlpSignal::logs, options);
    case Format::otlp_metrics: return std::make_unique<OtlpJsonDecoder>(OtlpSignal::metrics, options);
    case Format::otlp_traces: return std::make_unique<OtlpJsonDecoder>(OtlpSignal::traces, options);
    case Format::prometheus: return std::make_unique<PrometheusTextDecoder>(options);
  }
  return nullptr;
}

}  // namespace eventlens::codec
