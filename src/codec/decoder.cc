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

// The keys that tell JSON formats apart, found in one pass over the quotes
// (a search per key took ten passes over every message, a third of serve's
// time on Kafka): each key is a quoted string, so it starts at a quote.
struct JsonKeys {
  bool otlp_logs = false, otlp_metrics = false, otlp_traces = false, cloudevents = false, k8s = false;
};

JsonKeys scan_json_keys(std::string_view text) {
  JsonKeys keys;
  auto key_at = [&](std::size_t quote, std::string_view key) {
    const std::size_t end = quote + 1 + key.size();
    return end < text.size() && text[end] == '"' && text.compare(quote + 1, key.size(), key) == 0;
  };
  for (std::size_t i = text.find('"'); i != std::string_view::npos && i + 1 < text.size(); i = text.find('"', i + 1)) {
    switch (text[i + 1]) {
      case 'r':
        if (key_at(i, "resourceLogs") || key_at(i, "resource_logs")) keys.otlp_logs = true;
        if (key_at(i, "resourceMetrics") || key_at(i, "resource_metrics")) keys.otlp_metrics = true;
        if (key_at(i, "resourceSpans") || key_at(i, "resource_spans")) keys.otlp_traces = true;
        if (key_at(i, "regarding")) keys.k8s = true;
        break;
      case 's':
        if (key_at(i, "specversion")) keys.cloudevents = true;
        break;
      case 'i':
        if (key_at(i, "involvedObject")) keys.k8s = true;
        break;
      case 'k': {
        const std::string_view rest = text.substr(i);
        if (rest.starts_with("\"kind\":\"Event\"") || rest.starts_with("\"kind\": \"Event\"")) keys.k8s = true;
        break;
      }
      default: break;
    }
  }
  return keys;
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
  const std::size_t first = head.find_first_not_of(" \t\r\n");
  const bool json = first != std::string_view::npos && (head[first] == '{' || head[first] == '[');
  if (json) {
    // A JSON document is told by its keys.
    const JsonKeys keys = scan_json_keys(head);
    if (keys.otlp_logs) return Format::otlp_logs;
    if (keys.otlp_metrics) return Format::otlp_metrics;
    if (keys.otlp_traces) return Format::otlp_traces;
    if (keys.cloudevents) return Format::cloudevents;
    if (keys.k8s) return Format::k8s;
    if (head[first] == '{') return Format::native;
  } else if (contains(head, "involvedObject:") || contains(head, "regarding:") || contains(head, "kind: Event")) {
    // Kubernetes YAML (a watch's or kubectl's output) by its lines.
    return Format::k8s;
  }
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
