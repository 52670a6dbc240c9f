#include "model/records.h"

#include <array>

#include "model/small_copy.h"

namespace eventlens {
namespace {

constexpr std::array<std::string_view, 5> kCategoryNames = {"scaling", "provisioning", "failure",
                                                             "change", "other"};
constexpr std::array<std::string_view, 5> kSeverityNames = {"debug", "info", "warning", "error",
                                                             "critical"};
constexpr std::array<std::string_view, 3> kSpanStatusNames = {"unset", "ok", "error"};
constexpr std::array<std::string_view, 6> kSpanKindNames = {"unspecified", "internal", "server",
                                                            "client",      "producer", "consumer"};

template <typename Enum, std::size_t N>
bool parse_enum(const std::array<std::string_view, N>& names, std::string_view text, Enum& out) {
  for (std::size_t i = 0; i < N; ++i) {
    if (equal_short(names[i], text)) {
      out = static_cast<Enum>(i);
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view to_string(Category c) { return kCategoryNames[static_cast<std::size_t>(c)]; }
std::string_view to_string(Severity s) { return kSeverityNames[static_cast<std::size_t>(s)]; }
std::string_view to_string(SpanStatus s) { return kSpanStatusNames[static_cast<std::size_t>(s)]; }
std::string_view to_string(SpanKind k) { return kSpanKindNames[static_cast<std::size_t>(k)]; }

bool parse_category(std::string_view text, Category& out) {
  return parse_enum(kCategoryNames, text, out);
}
bool parse_severity(std::string_view text, Severity& out) {
  if (parse_enum(kSeverityNames, text, out)) return true;
  // Loggers write levels in capitals ("INFO", "Error") as often as not: the
  // level is compared without case, and common spellings from log shippers
  // and Kubernetes are accepted.
  if (text.size() > 8) return false;
  char lower[8];
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    lower[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  const std::string_view folded(lower, text.size());
  if (parse_enum(kSeverityNames, folded, out)) return true;
  if (folded == "warn") {
    out = Severity::warning;
    return true;
  }
  if (folded == "fatal" || folded == "crit" || folded == "emerg" || folded == "alert") {
    out = Severity::critical;
    return true;
  }
  if (folded == "err") {
    out = Severity::error;
    return true;
  }
  if (folded == "trace") {
    out = Severity::debug;
    return true;
  }
  return false;
}
bool parse_span_status(std::string_view text, SpanStatus& out) {
  return parse_enum(kSpanStatusNames, text, out);
}
bool parse_span_kind(std::string_view text, SpanKind& out) { return parse_enum(kSpanKindNames, text, out); }

void clear_for_reuse(Event& e) {
  e.id.clear();
  e.time = 0;
  e.category = Category::other;
  e.type.clear();
  e.service.clear();
  e.namespace_.clear();
  e.cluster.clear();
  e.node.clear();
  e.pod.clear();
  e.severity = Severity::info;
  e.message.clear();
  e.attributes.clear();
  e.trace_id.clear();
  e.source.clear();
  e.schema_version = 1;
}

std::string_view record_kind(const Record& r) {
  static constexpr std::array<std::string_view, 4> kKinds = {"event", "metric", "log", "span"};
  return kKinds[r.index()];
}

}  // namespace eventlens
