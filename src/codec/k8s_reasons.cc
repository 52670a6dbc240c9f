#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "codec/internal/k8s_reasons.h"
#include "codec/k8s_event.h"
#include "model/taxonomy.h"

namespace eventlens::codec {
namespace internal {
namespace {

// Some reasons cover several kinds of event; their message tells which.
enum class MessageRule : std::uint8_t {
  none,
  scaled_up_down,     // "Scaled up replica set ..." / "Scaled down replica set ..."
  above_below,        // HPA: "... above target" / "... below target"
  probe_kill,         // "Container x failed liveness probe, will be restarted"
  backoff,            // "Back-off pulling image" vs "Back-off restarting failed container"
  failed_container,   // kubelet "Failed": image pull errors vs container errors
};

struct ReasonEntry {
  std::string_view reason;
  std::string_view type;  // the type when no message rule applies
  Severity floor;
  MessageRule rule;
};

constexpr Severity kInfo = Severity::info;

// The table of docs/k8s-reasons.md; keep the two in step.
constexpr std::array kReasons = {
    // Workload scaling (deployment controller, HPA).
    ReasonEntry{"ScalingReplicaSet", "rescale", kInfo, MessageRule::scaled_up_down},
    ReasonEntry{"SuccessfulRescale", "rescale", kInfo, MessageRule::above_below},
    ReasonEntry{"FailedGetResourceMetric", "metrics_unavailable", kInfo, MessageRule::none},
    ReasonEntry{"FailedGetPodsMetric", "metrics_unavailable", kInfo, MessageRule::none},
    ReasonEntry{"FailedGetObjectMetric", "metrics_unavailable", kInfo, MessageRule::none},
    ReasonEntry{"FailedGetExternalMetric", "metrics_unavailable", kInfo, MessageRule::none},
    ReasonEntry{"FailedComputeMetricsReplicas", "metrics_unavailable", kInfo, MessageRule::none},
    // Cluster autoscaler and node lifecycle.
    ReasonEntry{"TriggeredScaleUp", "resource_requested", kInfo, MessageRule::none},
    ReasonEntry{"NotTriggerScaleUp", "allocation_failed", kInfo, MessageRule::none},
    ReasonEntry{"ScaleDown", "node_removed", kInfo, MessageRule::none},
    ReasonEntry{"ScaleDownEmpty", "node_removed", kInfo, MessageRule::none},
    ReasonEntry{"RegisteredNode", "node_added", kInfo, MessageRule::none},
    ReasonEntry{"RemovingNode", "node_removed", kInfo, MessageRule::none},
    ReasonEntry{"DeletingNode", "node_removed", kInfo, MessageRule::none},
    ReasonEntry{"NodeReady", "node_ready", kInfo, MessageRule::none},
    ReasonEntry{"NodeNotReady", "node_not_ready", Severity::error, MessageRule::none},
    // Scheduling and pod lifecycle.
    ReasonEntry{"Scheduled", "pod_scheduled", kInfo, MessageRule::none},
    ReasonEntry{"FailedScheduling", "allocation_failed", kInfo, MessageRule::none},
    ReasonEntry{"SuccessfulCreate", "pod_created", kInfo, MessageRule::none},
    ReasonEntry{"FailedCreate", "allocation_failed", kInfo, MessageRule::none},
    ReasonEntry{"SuccessfulDelete", "pod_deleted", kInfo, MessageRule::none},
    // Containers (kubelet).
    ReasonEntry{"Pulling", "image_pulling", kInfo, MessageRule::none},
    ReasonEntry{"Pulled", "image_pulled", kInfo, MessageRule::none},
    ReasonEntry{"Created", "container_created", kInfo, MessageRule::none},
    ReasonEntry{"Started", "container_started", kInfo, MessageRule::none},
    ReasonEntry{"Killing", "container_killed", kInfo, MessageRule::probe_kill},
    ReasonEntry{"BackOff", "crash", kInfo, MessageRule::backoff},
    ReasonEntry{"Failed", "crash", kInfo, MessageRule::failed_container},
    ReasonEntry{"ErrImagePull", "image_pull_failed", kInfo, MessageRule::none},
    ReasonEntry{"ImagePullBackOff", "image_pull_failed", kInfo, MessageRule::none},
    ReasonEntry{"InspectFailed", "image_pull_failed", kInfo, MessageRule::none},
    ReasonEntry{"Unhealthy", "probe_failed", kInfo, MessageRule::none},
    ReasonEntry{"OOMKilling", "oom_killed", Severity::error, MessageRule::none},
    ReasonEntry{"SystemOOM", "oom_killed", Severity::error, MessageRule::none},
    ReasonEntry{"Evicted", "evicted", kInfo, MessageRule::none},
    ReasonEntry{"Preempting", "evicted", kInfo, MessageRule::none},
    ReasonEntry{"Preempted", "evicted", kInfo, MessageRule::none},
    ReasonEntry{"TaintManagerEviction", "evicted", kInfo, MessageRule::none},
    ReasonEntry{"FailedMount", "mount_failed", kInfo, MessageRule::none},
    ReasonEntry{"FailedAttachVolume", "mount_failed", kInfo, MessageRule::none},
    ReasonEntry{"DeadlineExceeded", "timeout", kInfo, MessageRule::none},
    ReasonEntry{"DeploymentRollback", "rollback", kInfo, MessageRule::none},
};

// Reasons the encoder writes for the types that several reasons share, or
// that only a message rule produces.
struct TypeReason {
  std::string_view type;
  std::string_view reason;
};
constexpr std::array kEncoderReasons = {
    TypeReason{"scale_up", "ScalingReplicaSet"},
    TypeReason{"scale_down", "ScalingReplicaSet"},
    TypeReason{"rescale", "SuccessfulRescale"},
    TypeReason{"image_pull_failed", "ErrImagePull"},
    TypeReason{"crash", "BackOff"},
    TypeReason{"probe_failed", "Unhealthy"},
};

const ReasonEntry* find_reason(std::string_view reason) {
  for (const auto& entry : kReasons) {
    if (entry.reason == reason) return &entry;
  }
  return nullptr;
}

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Kubernetes messages come from fixed templates, but their capitalisation
// has changed between releases; compare without case. Returns where `needle`
// first starts at or after `from`, npos when nowhere.
std::size_t find_nocase(std::string_view haystack, std::string_view needle, std::size_t from = 0) {
  if (needle.size() > haystack.size()) return std::string_view::npos;
  for (std::size_t i = from; i + needle.size() <= haystack.size(); ++i) {
    bool match = true;
    for (std::size_t j = 0; j < needle.size() && match; ++j) {
      match = ascii_lower(haystack[i + j]) == ascii_lower(needle[j]);
    }
    if (match) return i;
  }
  return std::string_view::npos;
}

bool contains_nocase(std::string_view haystack, std::string_view needle) {
  return find_nocase(haystack, needle) != std::string_view::npos;
}

bool equals_nocase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && find_nocase(a, b) == 0;
}

std::string_view apply_rule(const ReasonEntry& entry, std::string_view message) {
  switch (entry.rule) {
    case MessageRule::none:
      break;
    case MessageRule::scaled_up_down:
      if (contains_nocase(message, "scaled up")) return "scale_up";
      if (contains_nocase(message, "scaled down")) return "scale_down";
      break;
    case MessageRule::above_below:
      if (contains_nocase(message, "above target")) return "scale_up";
      if (contains_nocase(message, "below target")) return "scale_down";
      break;
    case MessageRule::probe_kill:
      if (contains_nocase(message, "probe")) return "probe_failed";
      break;
    case MessageRule::backoff:
      if (contains_nocase(message, "pulling image") || contains_nocase(message, "image pull")) {
        return "image_pull_failed";
      }
      break;
    case MessageRule::failed_container:
      if (contains_nocase(message, "pull") || contains_nocase(message, "image")) {
        return "image_pull_failed";
      }
      break;
  }
  return entry.type;
}

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The alphabet Kubernetes uses for generated name parts (pod-template-hash,
// generateName suffixes): no vowels, no 0/1/3, so that no word is spelt.
bool is_generated(std::string_view s, std::size_t min_len, std::size_t max_len) {
  constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  if (s.size() < min_len || s.size() > max_len) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return kAlphabet.find(c) != std::string_view::npos; });
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Returns the word (run of non-blanks) at or after `pos`, and moves `pos`
// past it; empty at the end.
std::string_view next_word(std::string_view s, std::size_t& pos) {
  while (pos < s.size() && is_space(s[pos])) ++pos;
  const std::size_t start = pos;
  while (pos < s.size() && !is_space(s[pos])) ++pos;
  return s.substr(start, pos - start);
}

// A whole non-negative decimal that fits int64: "3", "007"; not "-1",
// "+3", "3.5", "3x" or 20 nines.
std::optional<std::int64_t> whole_number(std::string_view s) {
  if (!all_digits(s)) return std::nullopt;
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// "Scaled up replica set web-5d567cc74c to 3 from 1": the number after the
// word "to", and after "from" when there is one, in either order. The words
// are read after the replica set's name (so that a name cannot pass for one),
// or from the start when the message does not name it.
void read_replica_set_scaling(std::string_view message, ScalingFigures& out) {
  constexpr std::string_view kReplicaSet = "replica set ";
  std::size_t pos = find_nocase(message, kReplicaSet);
  if (pos == std::string_view::npos) {
    pos = 0;
  } else {
    pos += kReplicaSet.size();
    next_word(message, pos);
  }
  while (pos < message.size()) {
    const std::string_view word = next_word(message, pos);
    std::optional<std::int64_t>* target = equals_nocase(word, "to")     ? &out.to_replicas
                                          : equals_nocase(word, "from") ? &out.from_replicas
                                                                        : nullptr;
    if (target == nullptr || target->has_value()) continue;
    std::size_t after = pos;
    if (auto n = whole_number(next_word(message, after))) {
      *target = n;
      pos = after;
    }
  }
}

// "New size: 4; reason: cpu resource utilization (percentage of request)
// above target": the new size, and the autoscaler's reason as it gives it.
void read_rescale(std::string_view message, ScalingFigures& out) {
  constexpr std::string_view kSize = "new size:";
  std::size_t reason_from = 0;
  if (std::size_t p = find_nocase(message, kSize); p != std::string_view::npos) {
    p += kSize.size();
    while (p < message.size() && is_space(message[p])) ++p;
    std::size_t end = p;
    while (end < message.size() && is_digit(message[end])) ++end;
    // The size ends at ';', a blank or the end: "4x" or "4.5" is no size.
    if (end == message.size() || message[end] == ';' || is_space(message[end])) {
      out.to_replicas = whole_number(message.substr(p, end - p));
    }
    reason_from = end;
  }
  constexpr std::string_view kReason = "reason:";
  if (std::size_t p = find_nocase(message, kReason, reason_from); p != std::string_view::npos) {
    std::size_t begin = p + kReason.size(), end = message.size();
    while (begin < end && is_space(message[begin])) ++begin;
    while (end > begin && is_space(message[end - 1])) --end;
    out.reason = message.substr(begin, end - begin);
  }
}

// pod-template-hash: a uint32 written in the generated alphabet, 6 to 10
// characters in practice; before Kubernetes 1.11, plain decimal digits.
bool is_template_hash(std::string_view s) { return is_generated(s, 6, 10) || (all_digits(s) && s.size() >= 6); }

// Splits "a-b-c" into "a-b" and "c"; false when there is no dash.
bool split_last(std::string_view name, std::string_view& head, std::string_view& tail) {
  const std::size_t dash = name.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return false;
  head = name.substr(0, dash);
  tail = name.substr(dash + 1);
  return true;
}

std::string_view pod_service(std::string_view name) {
  std::string_view head, tail;
  if (!split_last(name, head, tail)) return name;
  if (all_digits(tail)) return head;  // StatefulSet: <set>-<ordinal>
  if (!is_generated(tail, 5, 5)) return name;
  // <owner>-<random>: a DaemonSet's or Job's pod, or <deployment>-<hash>-<random>.
  std::string_view owner_head, owner_tail;
  if (split_last(head, owner_head, owner_tail) && is_generated(owner_tail, 6, 10)) return owner_head;
  return head;
}

}  // namespace

Severity classify_reason(std::string_view reason, std::string_view message, std::string& type) {
  if (const ReasonEntry* entry = find_reason(reason)) {
    type.assign(apply_rule(*entry, message));
    return entry->floor;
  }
  snake_case(reason, type);
  return Severity::info;
}

bool is_known_reason(std::string_view reason) { return find_reason(reason) != nullptr; }

ScalingFigures read_scaling_figures(std::string_view reason, std::string_view message) {
  ScalingFigures out;
  if (reason == "ScalingReplicaSet") {
    read_replica_set_scaling(message, out);
  } else if (reason == "SuccessfulRescale") {
    read_rescale(message, out);
  }
  return out;
}

void snake_case(std::string_view reason, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < reason.size(); ++i) {
    const char c = reason[i];
    if (is_upper(c)) {
      // A word starts at an upper-case letter after a lower-case letter or a
      // digit ("leaderElection"), or at the last capital of an acronym that
      // a lower-case letter follows ("OOMKilling" -> "oom" + "killing").
      const bool boundary =
          i > 0 && (is_lower(reason[i - 1]) || is_digit(reason[i - 1]) ||
                    (is_upper(reason[i - 1]) && i + 1 < reason.size() && is_lower(reason[i + 1])));
      if (boundary && !out.empty() && out.back() != '_') out += '_';
      out += ascii_lower(c);
    } else if (is_lower(c) || is_digit(c)) {
      out += c;
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (out.empty()) out = "unknown";
}

std::string reason_for_type(std::string_view type, std::string_view message) {
  // Each scaling reason has its message's form: the HPA's is "New size: ...".
  if ((type == "scale_up" || type == "scale_down") && message.starts_with("New size:")) return "SuccessfulRescale";
  for (const auto& tr : kEncoderReasons) {
    if (tr.type == type) return std::string(tr.reason);
  }
  for (const auto& entry : kReasons) {
    if (entry.type == type) return std::string(entry.reason);
  }
  std::string out;
  bool upper = true;
  for (const char c : type) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper && is_lower(c) ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return out;
}

void infer_service(std::string_view kind, std::string_view name, std::string& out) {
  std::string_view service;
  if (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" ||
      kind == "HorizontalPodAutoscaler" || kind == "Service" || kind == "CronJob" ||
      kind == "Job") {
    service = name;
  } else if (kind == "ReplicaSet") {
    std::string_view head, tail;
    service = split_last(name, head, tail) && is_template_hash(tail) ? head : name;
  } else if (kind == "Pod") {
    service = pod_service(name);
  }
  out.assign(service);
}

}  // namespace internal

K8sReasonMapping map_k8s_reason(std::string_view reason, std::string_view message,
                                std::string_view k8s_type) {
  K8sReasonMapping m;
  const Severity floor = internal::classify_reason(reason, message, m.type);
  m.category = category_of_type(m.type).value_or(Category::other);
  m.severity = k8s_type == "Warning" ? Severity::warning : Severity::info;
  m.severity = std::max(m.severity, floor);
  m.known = internal::is_known_reason(reason);
  return m;
}

std::string infer_k8s_service(std::string_view kind, std::string_view name) {
  std::string out;
  internal::infer_service(kind, name, out);
  return out;
}

}  // namespace eventlens::codec
