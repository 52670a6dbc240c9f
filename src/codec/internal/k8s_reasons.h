// The Kubernetes vocabulary the k8s codec maps onto eventlens: reasons onto
// taxonomy types, object names onto services. Pure functions, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/records.h"

namespace eventlens::codec::internal {

// Writes into `type` the eventlens type of a Kubernetes reason (the table in
// docs/k8s-reasons.md, with its message rules), or the reason in snake_case
// when the table does not know it. Returns the lowest severity the reason
// deserves (info for most; error for OOM kills and NotReady nodes). Reuses
// `type`'s storage.
Severity classify_reason(std::string_view reason, std::string_view message, std::string& type);

// The figures a scaling event's message states; `reason` is a view into the
// message. Each is absent when the message does not state it as a whole
// non-negative decimal that fits int64.
struct ScalingFigures {
  std::optional<std::int64_t> to_replicas;
  std::optional<std::int64_t> from_replicas;
  std::string_view reason;  // HPA: the text after "reason: "; empty when absent
};

// Returns the figures of a ScalingReplicaSet message (the deployment
// controller's "Scaled up replica set web-5d to 3", newer releases "... to 3
// from 1") or a SuccessfulRescale one (the HPA's "New size: 4; reason: All
// metrics below target"); nothing for other reasons. Compares without case;
// never allocates.
ScalingFigures read_scaling_figures(std::string_view reason, std::string_view message);

// Returns true when the table lists `reason`.
bool is_known_reason(std::string_view reason);

// Writes `reason` in snake_case into `out` ("LeaderElection" ->
// "leader_election", "OOMKilling" -> "oom_killing"); "unknown" when it holds
// no letter or digit.
void snake_case(std::string_view reason, std::string& out);

// Returns a Kubernetes reason for an eventlens type, for the encoder: the
// table's reason when one maps onto the type (a scale_up/scale_down in the
// HPA's words, "New size: N; reason: ...", is its SuccessfulRescale rather
// than the deployment controller's ScalingReplicaSet), otherwise the type in
// CamelCase ("leader_election" -> "LeaderElection").
std::string reason_for_type(std::string_view type, std::string_view message = {});

// Writes into `out` the service a Kubernetes object most likely belongs to
// (see docs/k8s-reasons.md, "Service"): a Deployment's own name, a
// ReplicaSet's name without its pod-template-hash, a Pod's name without the
// ReplicaSet hash and pod suffix or the StatefulSet ordinal. Empty for kinds
// that belong to no service (Node, Endpoints, ...).
void infer_service(std::string_view kind, std::string_view name, std::string& out);

}  // namespace eventlens::codec::internal
