#include "codec/bench_inputs.h"

#include <simdjson.h>

#include <array>
#include <cstdint>

#include "codec/internal/lines.h"
#include "model/time.h"

namespace eventlens::codec {
namespace {

namespace od = simdjson::ondemand;

// A small deterministic generator (SplitMix64): the benchmark input must be
// the same on every run and machine.
struct SplitMix {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

constexpr std::array<std::string_view, 8> kServices = {"frontend", "checkout", "payment", "inventory",
                                                       "db", "search", "cart", "shipping"};
constexpr std::array<std::string_view, 8> kTypes = {"scale_up", "scale_down", "node_added", "pod_scheduled",
                                                    "allocation_failed", "oom_killed", "timeout", "deploy"};

std::size_t walk(od::value v);

std::size_t walk_object(od::object obj) {
  std::size_t n = 0;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return n;
    n += walk(field.value());
  }
  return n;
}

std::size_t walk(od::value v) {
  od::json_type t;
  if (v.type().get(t)) return 0;
  switch (t) {
    case od::json_type::object: {
      od::object obj;
      return v.get_object().get(obj) ? 0 : walk_object(obj);
    }
    case od::json_type::array: {
      od::array arr;
      if (v.get_array().get(arr)) return 0;
      std::size_t n = 0;
      for (auto element : arr) {
        od::value ev;
        if (element.get(ev)) return n;
        n += walk(ev);
      }
      return n;
    }
    case od::json_type::string: {
      std::string_view s;
      return v.get_string().get(s) ? 0 : 1;
    }
    case od::json_type::number: {
      double d;
      return v.get_double().get(d) ? 0 : 1;
    }
    case od::json_type::boolean: {
      bool b;
      return v.get_bool().get(b) ? 0 : 1;
    }
    case od::json_type::null:
      return v.is_null() ? 1 : 0;
  }
  return 0;
}

}  // namespace

std::string generate_native_events(std::size_t n) {
  SplitMix rng{42};
  std::string out;
  out.reserve(n * 330);
  TimeNs t = 1'793'610'000'000'000'000;
  for (std::size_t i = 0; i < n; ++i) {
    t += static_cast<TimeNs>(rng.below(2'000'000'000));
    const std::string_view service = kServices[rng.below(kServices.size())];
    const std::string_view type = kTypes[rng.below(kTypes.size())];
    out += "{\"time\":\"";
    append_rfc3339(out, t);
    out += "\",\"type\":\"";
    out += type;
    out += "\",\"service\":\"";
    out += service;
    out += "\",\"namespace\":\"shop\",\"pod\":\"";
    out += service;
    out += "-7d9f8c6b5-";
    out += std::to_string(10000 + rng.below(90000));
    out += "\",\"severity\":\"";
    out += type == "oom_killed" || type == "timeout" ? "error" : "info";
    out += "\",\"message\":\"";
    out += type;
    out += " on ";
    out += service;
    out += ": replicas ";
    out += std::to_string(rng.below(20));
    out += " \\u2192 ";
    out += std::to_string(rng.below(20));
    out += "\",\"attributes\":{\"replicas\":";
    out += std::to_string(rng.below(64));
    out += ",\"cpu_ratio\":0.";
    out += std::to_string(rng.below(1000));
    out += ",\"reason\":\"cpu above target\",\"manual\":false},\"trace_id\":\"5b8efff798038103d269b633813fc60c\",";
    out += "\"source\":\"k8s/horizontal-pod-autoscaler\"}\n";
  }
  return out;
}

std::string generate_otlp_metrics(std::size_t n) {
  SplitMix rng{7};
  constexpr std::size_t kPointsPerMetric = 20;
  constexpr std::size_t kMetricsPerResource = 5;
  std::string out;
  out.reserve(n * 190);
  std::size_t produced = 0;
  std::uint64_t t = 1'793'610'000'000'000'000ULL;
  while (produced < n) {
    const std::string_view service = kServices[rng.below(kServices.size())];
    out += "{\"resourceMetrics\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"";
    out += service;
    out += "\"}},{\"key\":\"k8s.namespace.name\",\"value\":{\"stringValue\":\"shop\"}}]},\"scopeMetrics\":[{\"scope\":{\"name\":\"bench\"},\"metrics\":[";
    for (std::size_t m = 0; m < kMetricsPerResource && produced < n; ++m) {
      if (m != 0) out += ',';
      const bool sum = m % 2 == 1;
      out += "{\"name\":\"";
      out += sum ? "http.server.requests" : "process.memory.usage";
      out += std::to_string(m);
      out += sum ? "\",\"unit\":\"1\",\"sum\":{\"aggregationTemporality\":2,\"isMonotonic\":true,\"dataPoints\":["
                 : "\",\"unit\":\"By\",\"gauge\":{\"dataPoints\":[";
      for (std::size_t p = 0; p < kPointsPerMetric && produced < n; ++p, ++produced) {
        if (p != 0) out += ',';
        t += 1'000'000'000;
        out += "{\"attributes\":[{\"key\":\"http.route\",\"value\":{\"stringValue\":\"/api/v1/item/";
        out += std::to_string(rng.below(50));
        out += "\"}}],\"timeUnixNano\":\"";
        out += std::to_string(t);
        out += sum ? "\",\"asInt\":\"" : "\",\"asDouble\":";
        out += std::to_string(rng.below(1'000'000));
        out += sum ? "\"}" : ".5}";
      }
      out += "]}}";
    }
    out += "]}]}]}\n";
  }
  return out;
}

std::size_t simdjson_walk_lines(std::string_view payload) {
  od::parser parser;
  std::size_t values = 0;
  std::string scratch;
  codec::internal::for_each_line(payload, [&](std::string_view line, std::size_t) {
    const auto capacity = static_cast<std::size_t>(payload.data() + payload.size() - line.data());
    simdjson::padded_string_view view;
    if (capacity >= line.size() + simdjson::SIMDJSON_PADDING) {
      view = simdjson::padded_string_view(line.data(), line.size(), capacity);
    } else {
      scratch.assign(line);
      scratch.resize(line.size() + simdjson::SIMDJSON_PADDING);
      view = simdjson::padded_string_view(scratch.data(), line.size(), scratch.size());
    }
    od::document doc;
    if (parser.iterate(view).get(doc)) return;
    od::object obj;
    if (doc.get_object().get(obj)) return;
    values += walk_object(obj);
  });
  return values;
}

}  // namespace eventlens::codec
