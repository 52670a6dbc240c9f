#include "codec/k8s_event.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>

#include "codec/internal/k8s_yaml.h"
#include "model/taxonomy.h"
#include "support/test_data.h"

namespace eventlens::codec {
namespace {

using testing::data_path;
using testing::read_file;

// Collects what a decoder produced, with the position of every record.
struct Collected final : RecordHandler {
  std::vector<Event> events;
  std::vector<std::size_t> event_lines;
  std::vector<std::pair<Error, std::size_t>> rejects;
  std::map<std::string, std::size_t> skipped;

  void on_record(const Record& r, std::size_t position) override {
    events.push_back(std::get<Event>(r));
    event_lines.push_back(position);
  }
  void on_reject(Error&& e, std::size_t position) override { rejects.emplace_back(std::move(e), position); }
  void on_skip(std::string_view kind, std::size_t) override { ++skipped[std::string(kind)]; }

  std::string describe() const {
    std::string out;
    for (const auto& [e, pos] : rejects) out += "  @" + std::to_string(pos) + " " + e.to_string() + "\n";
    return out;
  }
};

Collected decode_k8s(std::string_view payload, const DecodeOptions& options = {}) {
  Collected c;
  K8sEventDecoder decoder(options);
  decoder.decode(payload, c);
  return c;
}

Collected decode_file(const std::string& relative) { return decode_k8s(read_file(data_path(relative))); }

Event only_event(const std::string& relative) {
  auto c = decode_file(relative);
  EXPECT_EQ(c.events.size(), 1u) << relative << "\n" << c.describe();
  EXPECT_TRUE(c.rejects.empty()) << relative << "\n" << c.describe();
  return c.events.empty() ? Event{} : c.events.front();
}

const AttributeValue* attribute(const Event& e, std::string_view key) {
  for (const auto& [k, v] : e.attributes) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::string text_attribute(const Event& e, std::string_view key) {
  const AttributeValue* v = attribute(e, key);
  return v != nullptr && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : "<none>";
}

std::int64_t int_attribute(const Event& e, std::string_view key) {
  const AttributeValue* v = attribute(e, key);
  return v != nullptr && std::holds_alternative<std::int64_t>(*v) ? std::get<std::int64_t>(*v) : -1;
}

TimeNs at(std::string_view rfc3339) {
  auto t = parse_rfc3339(rfc3339);
  EXPECT_TRUE(t.ok()) << rfc3339;
  return t.ok() ? *t : 0;
}

// A core/v1 Event as one JSON line; `extra` adds or overrides members (JSON
// keeps the last of two equal keys, as the decoder does).
std::string core_event(std::string_view extra = "", std::string_view uid = "u-1") {
  std::string s = R"({"kind":"Event","apiVersion":"v1","metadata":{"name":"web.17a","namespace":"shop",)";
  s += R"("uid":")" + std::string(uid) + R"(","creationTimestamp":"2024-05-01T10:00:00Z"},)";
  s += R"("involvedObject":{"kind":"Pod","name":"web-7d4b9c8f6d-x2x4z","namespace":"shop"},)";
  s += R"("reason":"Started","message":"Started container web","type":"Normal",)";
  s += R"("source":{"component":"kubelet","host":"node-1"},"lastTimestamp":"2024-05-01T12:00:00Z")";
  s += extra;
  s += "}";
  return s;
}

// ---------------------------------------------------------------------------
// The shared sample data.

TEST(K8sEventData, EveryJsonAndYamlFileGivesTheReadmeCounts) {
  struct Expected {
    std::size_t events;
    std::size_t rejects;
    std::size_t skips;
  };
  // README.md, "Kubernetes events": records per file. The watch event of a
  // custom object is skipped; the reduced openshift schema is refused.
  const std::map<std::string, Expected> expected = {
      {"api-roundtrip-fixtures/core.v1.Event.json", {1, 0, 0}},
      {"api-roundtrip-fixtures/core.v1.Event.yaml", {1, 0, 0}},
      {"api-roundtrip-fixtures/core.v1.WatchEvent.json", {0, 0, 1}},
      {"api-roundtrip-fixtures/events.k8s.io.v1.Event.json", {1, 0, 0}},
      {"api-roundtrip-fixtures/events.k8s.io.v1.Event.yaml", {1, 0, 0}},
      {"api-roundtrip-fixtures/events.k8s.io.v1beta1.Event.json", {1, 0, 0}},
      {"api-roundtrip-fixtures/events.k8s.io.v1beta1.Event.yaml", {1, 0, 0}},
      {"fluent-bit/eventlist_v1_with_creationTimestamp.json", {1, 0, 0}},
      {"fluent-bit/eventlist_v1_with_lastTimestamp.json", {1, 0, 0}},
      {"fluent-bit/watch_v1_with_lastTimestamp.json", {1, 0, 0}},
      {"k9s/ev.json", {1, 0, 0}},
      {"kspan/deployment-2-pods.watch.yaml", {19, 0, 7}},
      {"openshift-insights-operator/openshift-machine-api.events.json", {0, 2, 0}},
      {"otel-contrib/k8seventsreceiver-e2e-event.yaml", {1, 0, 0}},
  };
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(data_path("k8s"))) {
    const auto ext = entry.path().extension();
    if (ext != ".json" && ext != ".yaml") continue;
    const std::string relative =
        std::filesystem::relative(entry.path(), data_path("k8s")).generic_string();
    ASSERT_EQ(expected.count(relative), 1u) << "a new sample file needs its count here: " << relative;
    ++files;
    const auto c = decode_k8s(read_file(entry.path().string()));
    std::size_t skips = 0;
    for (const auto& [kind, n] : c.skipped) skips += n;
    EXPECT_EQ(c.events.size(), expected.at(relative).events) << relative << "\n" << c.describe();
    EXPECT_EQ(c.rejects.size(), expected.at(relative).rejects) << relative << "\n" << c.describe();
    EXPECT_EQ(skips, expected.at(relative).skips) << relative;
    for (const Event& e : c.events) {
      EXPECT_FALSE(e.id.empty()) << relative;
      EXPECT_FALSE(e.type.empty()) << relative;
      EXPECT_EQ(e.category, category_of_type(e.type).value_or(Category::other)) << relative;
      EXPECT_NE(text_attribute(e, "k8s.reason"), "<none>") << relative;
    }
  }
  EXPECT_EQ(files, expected.size());
}

TEST(K8sEventData, KspanWatchStreamSkipsOtherKindsAndInfersTheDeployment) {
  const std::string text = read_file(data_path("k8s/kspan/deployment-2-pods.watch.yaml"));
  const auto c = decode_k8s(text);
  ASSERT_EQ(c.events.size(), 19u) << c.describe();
  EXPECT_TRUE(c.rejects.empty()) << c.describe();
  EXPECT_EQ(c.skipped, (std::map<std::string, std::size_t>{{"Deployment", 1}, {"Pod", 4}, {"ReplicaSet", 2}}));

  // Reasons as the README counts them.
  std::map<std::string, int> reasons;
  for (const Event& e : c.events) ++reasons[text_attribute(e, "k8s.reason")];
  EXPECT_EQ(reasons, (std::map<std::string, int>{{"ScalingReplicaSet", 4}, {"SuccessfulCreate", 2},
                                                 {"Scheduled", 2}, {"Pulling", 1}, {"Pulled", 2},
                                                 {"Created", 2}, {"Started", 2},
                                                 {"SuccessfulDelete", 2}, {"Killing", 2}}));
  // ScalingReplicaSet splits by its message.
  for (const Event& e : c.events) {
    if (text_attribute(e, "k8s.reason") != "ScalingReplicaSet") continue;
    const bool up = e.message.rfind("Scaled up", 0) == 0;
    EXPECT_EQ(e.type, up ? "scale_up" : "scale_down") << e.message;
    EXPECT_EQ(e.category, Category::scaling);
    EXPECT_EQ(e.source, "k8s/deployment-controller");
  }
  // Deployment, ReplicaSet and Pod events all belong to the deployment "px".
  for (const Event& e : c.events) {
    EXPECT_EQ(e.service, "px") << text_attribute(e, "k8s.kind") << " " << text_attribute(e, "k8s.name");
    EXPECT_EQ(e.namespace_, "default");
  }
  // Each record's position is the line its document's root starts on: the
  // line after the "# {...,"kind":"Event"}" comment.
  std::vector<std::size_t> event_roots;
  std::istringstream lines(text);
  std::string line;
  std::size_t line_no = 0;
  bool next_is_event = false;
  while (std::getline(lines, line)) {
    ++line_no;
    if (next_is_event) event_roots.push_back(line_no);
    next_is_event = line.rfind("# {", 0) == 0 && line.find("\"kind\":\"Event\"") != std::string::npos;
  }
  EXPECT_EQ(c.event_lines, event_roots);
  // Pod events from the kubelet name the node; the scheduler's Binding does not.
  for (const Event& e : c.events) {
    if (text_attribute(e, "k8s.reason") == "Started") {
      EXPECT_EQ(e.node, "kind-control-plane");
      EXPECT_EQ(e.pod.substr(0, 3), "px-");
    }
  }
}

TEST(K8sEventData, NewStyleRecorderWithNullCoreTimestamps) {
  const Event e = only_event("k8s/fluent-bit/eventlist_v1_with_creationTimestamp.json");
  // firstTimestamp/lastTimestamp/count are null: the time is eventTime, to
  // the microsecond, and there is no count.
  EXPECT_EQ(e.time, at("2023-12-24T13:37:16.335172Z"));
  EXPECT_EQ(attribute(e, "k8s.count"), nullptr);
  EXPECT_EQ(text_attribute(e, "k8s.first_timestamp"), "2023-12-24T13:37:16.335172Z");
  EXPECT_EQ(e.source, "k8s/default-scheduler") << "source {} is empty; reportingComponent names it";
  EXPECT_EQ(e.type, "allocation_failed");
  EXPECT_EQ(e.category, Category::provisioning);
  EXPECT_EQ(e.severity, Severity::warning);
  EXPECT_EQ(e.pod, "fluent-bit-78945dccd8-2g7qg");
  EXPECT_EQ(e.service, "fluent-bit");
  EXPECT_EQ(e.node, "");
  EXPECT_EQ(text_attribute(e, "k8s.action"), "Scheduling");
  EXPECT_EQ(text_attribute(e, "k8s.reporting_instance"), "default-scheduler-minikube");
  EXPECT_EQ(e.id, "k8s:6e3013d5-a79b-4dc4-b6c0-6b652302672e:1");
}

TEST(K8sEventData, InvolvedObjectWithoutNameOrNamespace) {
  const Event e = only_event("k8s/fluent-bit/eventlist_v1_with_lastTimestamp.json");
  EXPECT_EQ(e.namespace_, "default") << "from metadata.namespace";
  EXPECT_EQ(e.pod, "");
  EXPECT_EQ(e.service, "") << "an Endpoints object belongs to no inferred service";
  EXPECT_EQ(e.type, "leader_election");
  EXPECT_EQ(e.category, Category::other);
  EXPECT_EQ(text_attribute(e, "k8s.kind"), "Endpoints");
  EXPECT_EQ(attribute(e, "k8s.name"), nullptr);
  EXPECT_EQ(text_attribute(e, "k8s.event_name"), ".17a3ba8b4aa36c81");
  EXPECT_EQ(e.source, "k8s/k8s.io/minikube-hostpath_minikube_31f5cdfb-29b0-4f84-9f9c-585088e9235f");
  EXPECT_EQ(e.time, at("2023-12-24T09:29:51Z"));
  EXPECT_EQ(int_attribute(e, "k8s.count"), 1);
}

TEST(K8sEventData, ModifiedWatchLineOfARecurringEvent) {
  const Event e = only_event("k8s/fluent-bit/watch_v1_with_lastTimestamp.json");
  EXPECT_EQ(e.type, "mount_failed");
  EXPECT_EQ(e.category, Category::failure);
  EXPECT_EQ(e.severity, Severity::warning);
  EXPECT_EQ(e.time, at("2024-07-31T18:47:15Z")) << "the last occurrence";
  EXPECT_EQ(text_attribute(e, "k8s.first_timestamp"), "2024-07-31T18:26:51Z");
  EXPECT_EQ(int_attribute(e, "k8s.count"), 16);
  EXPECT_EQ(e.node, "minikube");
  EXPECT_EQ(e.pod, "fluent-bit-78945dccd8-hvr55");
  EXPECT_EQ(e.source, "k8s/kubelet");
  EXPECT_EQ(e.id, "k8s:b7cb03e8-0e0b-4e02-971d-24807f563d43:16");
}

TEST(K8sEventData, K9sPulledEvent) {
  const Event e = only_event("k8s/k9s/ev.json");
  EXPECT_EQ(e.type, "image_pulled");
  EXPECT_EQ(e.category, Category::provisioning);
  EXPECT_EQ(e.severity, Severity::info);
  EXPECT_EQ(e.time, at("2019-08-30T20:43:05Z"));
  EXPECT_EQ(e.node, "gke-k9s-default-pool-0fa2fb89-qnkc");
  EXPECT_EQ(e.pod, "hello-1567197780-mn4mv");
  EXPECT_EQ(e.message, "Successfully pulled image \"blang/busybox-bash\"");
  EXPECT_EQ(text_attribute(e, "k8s.field_path"), "spec.containers{c1}");
}

TEST(K8sEventData, RoundTripFixturesReadEveryField) {
  for (const std::string api : {"core.v1", "events.k8s.io.v1", "events.k8s.io.v1beta1"}) {
    const bool core = api == "core.v1";
    const Event json = only_event("k8s/api-roundtrip-fixtures/" + api + ".Event.json");
    const Event yaml = only_event("k8s/api-roundtrip-fixtures/" + api + ".Event.yaml");
    EXPECT_EQ(json, yaml) << api << ": YAML goes through the same mapping";
    // reasonValue is no known reason: category other, the reason in snake_case.
    EXPECT_EQ(json.type, "reason_value") << api;
    EXPECT_EQ(json.category, Category::other) << api;
    EXPECT_EQ(text_attribute(json, "k8s.reason"), "reasonValue");
    // series.lastObservedTime is the most recent occurrence and wins.
    EXPECT_EQ(json.time, at("2002-01-01T01:01:01.000002Z")) << api;
    EXPECT_EQ(text_attribute(json, "k8s.first_timestamp"),
              core ? "2006-01-01T01:01:01Z" : "2013-01-01T01:01:01Z") << api;
    EXPECT_EQ(int_attribute(json, "k8s.count"), 1) << api << ": series.count";
    EXPECT_EQ(json.message, core ? "messageValue" : "noteValue") << api;
    EXPECT_EQ(json.source, core ? "k8s/reportingComponentValue" : "k8s/reportingControllerValue");
    EXPECT_EQ(json.node, "hostValue") << api << ": source.host / deprecatedSource.host";
    EXPECT_EQ(json.namespace_, "namespaceValue");
    EXPECT_EQ(json.severity, Severity::info) << "typeValue is neither Normal nor Warning";
    EXPECT_EQ(text_attribute(json, "k8s.type"), "typeValue");
    EXPECT_EQ(text_attribute(json, "k8s.kind"), "kindValue");
    EXPECT_EQ(text_attribute(json, "k8s.name"), "nameValue");
    EXPECT_EQ(text_attribute(json, "k8s.uid"), "uidValue");
    EXPECT_EQ(text_attribute(json, "k8s.event_name"), "nameValue");
    EXPECT_EQ(text_attribute(json, "k8s.action"), "actionValue");
    EXPECT_EQ(text_attribute(json, "k8s.reporting_instance"), "reportingInstanceValue");
    EXPECT_EQ(json.id, "k8s:uidValue:1");
  }
}

TEST(K8sEventData, WatchEventOfACustomObjectIsSkipped) {
  const auto c = decode_file("k8s/api-roundtrip-fixtures/core.v1.WatchEvent.json");
  EXPECT_TRUE(c.events.empty());
  EXPECT_TRUE(c.rejects.empty()) << c.describe();
  EXPECT_EQ(c.skipped, (std::map<std::string, std::size_t>{{"CustomType", 1}}));
}

TEST(K8sEventData, EventsApiYamlWithEventTimeIn2099) {
  const Event e = only_event("k8s/otel-contrib/k8seventsreceiver-e2e-event.yaml");
  EXPECT_EQ(e.time, at("2099-01-01T00:00:00Z"));
  EXPECT_EQ(e.message, "Test event for k8seventsreceiver e2e testing") << "from note";
  EXPECT_EQ(e.source, "k8s/e2etest") << "from reportingController";
  EXPECT_EQ(e.namespace_, "test-k8sevents-e2e");
  EXPECT_EQ(e.pod, "test-pod");
  EXPECT_EQ(e.type, "test_event");
  EXPECT_EQ(e.id.substr(0, 3), "ev-") << "no metadata.uid: a content-derived id";
  EXPECT_EQ(e.id, derive_event_id([&] {
              Event copy = e;
              copy.id.clear();
              return copy;
            }()));
}

TEST(K8sEventData, ReducedOpenshiftSchemaIsRefusedNotHalfParsed) {
  const auto c = decode_file("k8s/openshift-insights-operator/openshift-machine-api.events.json");
  EXPECT_TRUE(c.events.empty());
  ASSERT_EQ(c.rejects.size(), 2u) << c.describe();
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(c.rejects[i].first.field, "items[" + std::to_string(i) + "].involvedObject");
    EXPECT_NE(c.rejects[i].first.reason.find("not a Kubernetes Event"), std::string::npos);
  }
  EXPECT_EQ(c.rejects[0].second, 3u) << "the line each item starts on";
  EXPECT_EQ(c.rejects[1].second, 10u);
}

// ---------------------------------------------------------------------------
// The mapping.

TEST(K8sEventMapping, ReasonTable) {
  struct Case {
    std::string reason, message, k8s_type, type;
    Category category;
    Severity severity;
  };
  using C = Category;
  using S = Severity;
  const std::vector<Case> cases = {
      {"ScalingReplicaSet", "Scaled up replica set web-5d to 3", "Normal", "scale_up", C::scaling, S::info},
      {"ScalingReplicaSet", "Scaled down replica set web-5d to 1", "Normal", "scale_down", C::scaling, S::info},
      {"SuccessfulRescale", "New size: 5; reason: cpu resource utilization (percentage of request) above target",
       "Normal", "scale_up", C::scaling, S::info},
      {"SuccessfulRescale", "New size: 1; reason: All metrics below target", "Normal", "scale_down",
       C::scaling, S::info},
      {"SuccessfulRescale", "New size: 2; reason: external metric above/below", "Normal", "rescale",
       C::scaling, S::info},
      {"FailedGetResourceMetric", "failed to get cpu utilization", "Warning", "metrics_unavailable",
       C::failure, S::warning},
      {"TriggeredScaleUp", "pod triggered scale-up: [{ng-1 1->2 (max: 5)}]", "Normal",
       "resource_requested", C::provisioning, S::info},
      {"NotTriggerScaleUp", "pod didn't trigger scale-up", "Normal", "allocation_failed",
       C::provisioning, S::info},
      {"ScaleDown", "node removed by cluster autoscaler", "Normal", "node_removed", C::provisioning, S::info},
      {"RegisteredNode", "Node n1 event: Registered Node n1", "Normal", "node_added", C::provisioning, S::info},
      {"RemovingNode", "Node n1 event: Removing Node n1", "Normal", "node_removed", C::provisioning, S::info},
      {"NodeReady", "Node n1 status is now: NodeReady", "Normal", "node_ready", C::provisioning, S::info},
      {"NodeNotReady", "Node n1 status is now: NodeNotReady", "Normal", "node_not_ready", C::failure, S::error},
      {"Scheduled", "Successfully assigned a/b to n1", "Normal", "pod_scheduled", C::provisioning, S::info},
      {"FailedScheduling", "0/3 nodes are available", "Warning", "allocation_failed", C::provisioning,
       S::warning},
      {"SuccessfulCreate", "Created pod: web-5d-abcde", "Normal", "pod_created", C::provisioning, S::info},
      {"FailedCreate", "Error creating: exceeded quota", "Warning", "allocation_failed", C::provisioning,
       S::warning},
      {"SuccessfulDelete", "Deleted pod: web-5d-abcde", "Normal", "pod_deleted", C::provisioning, S::info},
      {"Created", "Created container web", "Normal", "container_created", C::provisioning, S::info},
      {"Started", "Started container web", "Normal", "container_started", C::provisioning, S::info},
      {"Pulling", "Pulling image \"nginx\"", "Normal", "image_pulling", C::provisioning, S::info},
      {"Pulled", "Successfully pulled image \"nginx\"", "Normal", "image_pulled", C::provisioning, S::info},
      {"Killing", "Stopping container web", "Normal", "container_killed", C::other, S::info},
      {"Killing", "Container web failed liveness probe, will be restarted", "Normal", "probe_failed",
       C::failure, S::info},
      {"BackOff", "Back-off restarting failed container", "Warning", "crash", C::failure, S::warning},
      {"BackOff", "Back-off pulling image \"nginx:nope\"", "Normal", "image_pull_failed", C::failure, S::info},
      {"Failed", "Failed to pull image \"nginx:nope\": not found", "Warning", "image_pull_failed",
       C::failure, S::warning},
      {"Failed", "Error: failed to start container", "Warning", "crash", C::failure, S::warning},
      {"OOMKilling", "Memory cgroup out of memory: Killed process 42", "Warning", "oom_killed", C::failure,
       S::error},
      {"SystemOOM", "System OOM encountered", "Warning", "oom_killed", C::failure, S::error},
      {"Evicted", "The node was low on resource: memory.", "Warning", "evicted", C::failure, S::warning},
      {"Preempting", "Preempted by a/b on node n1", "Normal", "evicted", C::failure, S::info},
      {"Unhealthy", "Readiness probe failed: HTTP probe failed", "Warning", "probe_failed", C::failure,
       S::warning},
      {"FailedMount", "MountVolume.SetUp failed", "Warning", "mount_failed", C::failure, S::warning},
      {"LeaderElection", "x became leader", "Normal", "leader_election", C::other, S::info},
      {"reasonValue", "", "typeValue", "reason_value", C::other, S::info},
      {"NodeHasSufficientPID", "", "Normal", "node_has_sufficient_pid", C::other, S::info},
      {"", "", "Normal", "unknown", C::other, S::info},
  };
  for (const Case& c : cases) {
    const K8sReasonMapping m = map_k8s_reason(c.reason, c.message, c.k8s_type);
    EXPECT_EQ(m.type, c.type) << c.reason << " / " << c.message;
    EXPECT_EQ(m.category, c.category) << c.reason << " / " << c.message;
    EXPECT_EQ(m.severity, c.severity) << c.reason << " / " << c.message;
    EXPECT_EQ(m.known, c.category != C::other || c.type == "container_killed") << c.reason;
  }
}

TEST(K8sEventMapping, ServiceFromTheObjectName) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"Deployment", "checkout", "checkout"},
      {"StatefulSet", "db", "db"},
      {"DaemonSet", "fluent-bit", "fluent-bit"},
      {"HorizontalPodAutoscaler", "checkout", "checkout"},
      {"ReplicaSet", "px-5d567cc74c", "px"},
      {"ReplicaSet", "checkout-api-78945dccd8", "checkout-api"},
      {"Pod", "px-5d567cc74c-ss4lb", "px"},                 // Deployment pod
      {"Pod", "fluent-bit-78945dccd8-2g7qg", "fluent-bit"},  // Deployment pod
      {"Pod", "db-0", "db"},                                 // StatefulSet pod
      {"Pod", "kafka-broker-12", "kafka-broker"},            // StatefulSet pod
      {"Pod", "kube-proxy-x7k2p", "kube-proxy"},             // DaemonSet pod
      {"Pod", "test-pod", "test-pod"},                       // a bare pod
      {"Pod", "etcd-minikube", "etcd-minikube"},             // a static pod
      {"Node", "node-1", ""},
      {"Endpoints", "web", ""},
      {"", "", ""},
  };
  for (const auto& [kind, name, service] : cases) {
    EXPECT_EQ(infer_k8s_service(kind, name), service) << kind << " " << name;
  }
}

TEST(K8sEventMapping, SeverityIsRaisedForOomAndNotReadyNodes) {
  std::string payload;
  for (const std::string reason : {"OOMKilling", "SystemOOM", "NodeNotReady", "Started"}) {
    payload += core_event(R"(,"reason":")" + reason + R"(","type":"Normal")", "u-" + reason) + "\n";
  }
  const auto c = decode_k8s(payload);
  ASSERT_EQ(c.events.size(), 4u) << c.describe();
  EXPECT_EQ(c.events[0].severity, Severity::error);
  EXPECT_EQ(c.events[1].severity, Severity::error);
  EXPECT_EQ(c.events[2].severity, Severity::error);
  EXPECT_EQ(c.events[3].severity, Severity::info);
  EXPECT_EQ(c.events[0].type, "oom_killed");
}

TEST(K8sEventMapping, TimeIsTheMostRecentOccurrenceInTheDocumentedOrder) {
  const std::string series = R"(,"series":{"count":4,"lastObservedTime":"2024-05-01T12:30:00.000001Z"})";
  const std::string event_time = R"(,"eventTime":"2024-05-01T11:30:00.000002Z")";
  const std::string first = R"(,"firstTimestamp":"2024-05-01T11:00:00Z")";
  const std::string no_last = R"(,"lastTimestamp":null)";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {series + event_time + first, "2024-05-01T12:30:00.000001Z"},  // series.lastObservedTime
      {event_time + first, "2024-05-01T12:00:00Z"},                  // lastTimestamp
      {no_last + event_time + first, "2024-05-01T11:30:00.000002Z"}, // eventTime
      {no_last + first + R"(,"eventTime":null)", "2024-05-01T11:00:00Z"},  // firstTimestamp
      {no_last, "2024-05-01T10:00:00Z"},                             // metadata.creationTimestamp
  };
  std::string payload;
  for (const auto& [extra, expected] : cases) payload += core_event(extra) + "\n";
  const auto c = decode_k8s(payload);
  ASSERT_EQ(c.events.size(), cases.size()) << c.describe();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(format_rfc3339(c.events[i].time), cases[i].second) << cases[i].first;
  }
  EXPECT_EQ(int_attribute(c.events[0], "k8s.count"), 4) << "series.count";
}

TEST(K8sEventMapping, NoTimeAtAllIsRefusedNamingTheField) {
  const std::string core = core_event(R"(,"lastTimestamp":null,"metadata":{"uid":"x","creationTimestamp":null})");
  const std::string events_api =
      R"({"apiVersion":"events.k8s.io/v1","kind":"Event","regarding":{"kind":"Pod","name":"p"},"reason":"Started","eventTime":null})";
  const auto c = decode_k8s(core + "\n" + events_api + "\n");
  ASSERT_EQ(c.rejects.size(), 2u) << c.describe();
  EXPECT_EQ(c.rejects[0].first.field, "lastTimestamp");
  EXPECT_EQ(c.rejects[1].first.field, "eventTime");
  EXPECT_NE(c.rejects[0].first.reason.find("no time"), std::string::npos);
}

TEST(K8sEventMapping, EachOccurrenceOfARecurringEventHasItsOwnId) {
  const std::string first = core_event(R"(,"count":1)", "abc");
  const std::string second = core_event(R"(,"count":2)", "abc");
  const std::string replay = core_event(R"(,"count":2)", "abc");
  const std::string no_uid = core_event(R"(,"count":2)", "");
  const auto c = decode_k8s(first + "\n" + second + "\n" + replay + "\n" + no_uid + "\n" + no_uid + "\n");
  ASSERT_EQ(c.events.size(), 5u) << c.describe();
  EXPECT_NE(c.events[0].id, c.events[1].id);
  EXPECT_EQ(c.events[1].id, c.events[2].id) << "the same occurrence seen twice";
  EXPECT_EQ(c.events[3].id.substr(0, 3), "ev-");
  EXPECT_EQ(c.events[3].id, c.events[4].id);
}

TEST(K8sEventMapping, NamespaceNodeAndPodFromTheObject) {
  const std::string node_event =
      R"({"kind":"Event","apiVersion":"v1","metadata":{"namespace":"default","uid":"n"},"involvedObject":{"kind":"Node","name":"ip-10-0-0-1"},"reason":"NodeNotReady","lastTimestamp":"2024-05-01T12:00:00Z","source":{"component":"node-controller"}})";
  const std::string other_ns = core_event(R"(,"involvedObject":{"kind":"ReplicaSet","name":"api-6f9c8b7d4","namespace":"prod"})");
  const auto c = decode_k8s(node_event + "\n" + other_ns + "\n");
  ASSERT_EQ(c.events.size(), 2u) << c.describe();
  EXPECT_EQ(c.events[0].node, "ip-10-0-0-1");
  EXPECT_EQ(c.events[0].pod, "");
  EXPECT_EQ(c.events[0].source, "k8s/node-controller");
  EXPECT_EQ(c.events[0].category, Category::failure);
  EXPECT_EQ(c.events[1].namespace_, "prod") << "the object's namespace wins over metadata's";
  EXPECT_EQ(c.events[1].service, "api");
  EXPECT_EQ(c.events[1].node, "node-1") << "source.host";
}

// ---------------------------------------------------------------------------
// Scaling figures: what ScalingReplicaSet and SuccessfulRescale messages say
// in numbers (docs/k8s-reasons.md, "Scaling figures").

// Decodes one core/v1 Event with `reason` and `message` (no quotes or
// backslashes in it).
Event scaling_event(std::string_view reason, std::string_view message) {
  const auto c = decode_k8s(core_event(R"(,"reason":")" + std::string(reason) + R"(","message":")" +
                                       std::string(message) + R"(")"));
  EXPECT_EQ(c.events.size(), 1u) << message << "\n" << c.describe();
  return c.events.empty() ? Event{} : c.events.front();
}

// The integer attribute `key`, or nullopt when it is absent (or not an integer).
std::optional<std::int64_t> figure(const Event& e, std::string_view key) {
  const AttributeValue* v = attribute(e, key);
  if (v == nullptr || !std::holds_alternative<std::int64_t>(*v)) return std::nullopt;
  return std::get<std::int64_t>(*v);
}

TEST(K8sScalingFigures, KspanDeploymentMessagesOfOlderReleasesGiveToReplicasOnly) {
  // A real kind cluster (2021): "Scaled up replica set px-5d567cc74c to 1",
  // then to 2 while the old replica set goes to 1 and 0. No " from N" then.
  const auto c = decode_file("k8s/kspan/deployment-2-pods.watch.yaml");
  std::vector<std::pair<std::string, std::int64_t>> seen;
  for (const Event& e : c.events) {
    if (text_attribute(e, "k8s.reason") != "ScalingReplicaSet") {
      EXPECT_EQ(attribute(e, "to_replicas"), nullptr) << e.message;
      continue;
    }
    seen.emplace_back(e.type, figure(e, "to_replicas").value_or(-1));
    EXPECT_EQ(attribute(e, "from_replicas"), nullptr) << e.message;
    EXPECT_EQ(attribute(e, "scaling_reason"), nullptr) << e.message;
    EXPECT_EQ(attribute(e, "cpu_utilization_percent"), nullptr) << e.message;
  }
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::int64_t>>{
                      {"scale_up", 1}, {"scale_down", 1}, {"scale_up", 2}, {"scale_down", 0}}));
}

TEST(K8sScalingFigures, NewerDeploymentMessagesAlsoGiveFromReplicas) {
  // kube's deployment controller today: "Scaled %s replica set %s to %d from %d".
  const Event up = scaling_event("ScalingReplicaSet", "Scaled up replica set web-5d567cc74c to 3 from 1");
  EXPECT_EQ(up.type, "scale_up");
  EXPECT_EQ(figure(up, "to_replicas"), 3);
  EXPECT_EQ(figure(up, "from_replicas"), 1);
  const Event down = scaling_event("ScalingReplicaSet", "Scaled down replica set web-5d567cc74c to 0 from 2");
  EXPECT_EQ(down.type, "scale_down");
  EXPECT_EQ(figure(down, "to_replicas"), 0);
  EXPECT_EQ(figure(down, "from_replicas"), 2);
  // The older form, case changed, and the other order some controllers use.
  const Event old = scaling_event("ScalingReplicaSet", "scaled UP Replica Set web-5d567cc74c TO 12");
  EXPECT_EQ(figure(old, "to_replicas"), 12);
  EXPECT_EQ(figure(old, "from_replicas"), std::nullopt);
  const Event swapped = scaling_event("ScalingReplicaSet", "Scaled up replica set web-5d567cc74c from 4 to 6");
  EXPECT_EQ(figure(swapped, "to_replicas"), 6);
  EXPECT_EQ(figure(swapped, "from_replicas"), 4);
  // A replica set called "to" is a name, not the word.
  const Event named_to = scaling_event("ScalingReplicaSet", "Scaled up replica set to 5 from 4");
  EXPECT_EQ(figure(named_to, "to_replicas"), std::nullopt) << "5 follows the name, not \"to\"";
  EXPECT_EQ(figure(named_to, "from_replicas"), 4);
  // The figures come after the attributes the codec already wrote, which stay.
  EXPECT_EQ(text_attribute(up, "k8s.reason"), "ScalingReplicaSet");
  EXPECT_EQ(text_attribute(up, "k8s.kind"), "Pod");
  EXPECT_EQ(attribute(up, "scaling_reason"), nullptr);
  // The same words under another reason say nothing.
  const Event other = scaling_event("Killing", "Scaled up replica set web-5d567cc74c to 3 from 1");
  EXPECT_EQ(attribute(other, "to_replicas"), nullptr);
  EXPECT_EQ(attribute(other, "from_replicas"), nullptr);
}

TEST(K8sScalingFigures, HpaRescaleGivesTheNewSizeAndItsReasonButNoUtilisation) {
  const Event up = scaling_event(
      "SuccessfulRescale", "New size: 4; reason: cpu resource utilization (percentage of request) above target");
  EXPECT_EQ(up.type, "scale_up");
  EXPECT_EQ(figure(up, "to_replicas"), 4);
  EXPECT_EQ(text_attribute(up, "scaling_reason"), "cpu resource utilization (percentage of request) above target");
  EXPECT_EQ(attribute(up, "from_replicas"), nullptr) << "the HPA does not say what it had";
  EXPECT_EQ(attribute(up, "cpu_utilization_percent"), nullptr) << "nor the utilisation figure";
  const Event down = scaling_event("SuccessfulRescale", "New size: 1; reason: All metrics below target");
  EXPECT_EQ(down.type, "scale_down");
  EXPECT_EQ(figure(down, "to_replicas"), 1);
  EXPECT_EQ(text_attribute(down, "scaling_reason"), "All metrics below target");
  const Event shouting = scaling_event("SuccessfulRescale", "NEW SIZE:7;REASON:  Current number of replicas above Spec.MaxReplicas ");
  EXPECT_EQ(figure(shouting, "to_replicas"), 7);
  EXPECT_EQ(text_attribute(shouting, "scaling_reason"), "Current number of replicas above Spec.MaxReplicas");
}

TEST(K8sScalingFigures, OddOrOverflowingNumbersAreLeftOut) {
  struct Case {
    std::string reason, message;
    std::optional<std::int64_t> to, from;
  };
  const std::vector<Case> cases = {
      {"ScalingReplicaSet", "Scaled up replica set w-5d to 9223372036854775807 from 1", INT64_MAX, 1},
      {"ScalingReplicaSet", "Scaled up replica set w-5d to 9223372036854775808 from 1", std::nullopt, 1},
      {"ScalingReplicaSet", "Scaled up replica set w-5d to 3 from 99999999999999999999999", 3, std::nullopt},
      {"ScalingReplicaSet", "Scaled up replica set w-5d to -1 from 2", std::nullopt, 2},
      {"ScalingReplicaSet", "Scaled up replica set w-5d to +3 from 2", std::nullopt, 2},
      {"ScalingReplicaSet", "Scaled up replica set w-5d to 3.5 from 2", std::nullopt, 2},
      {"ScalingReplicaSet", "Scaled up replica set w-5d to 3x from 0x2", std::nullopt, std::nullopt},
      {"ScalingReplicaSet", "Scaled up replica set w-5d to 007", 7, std::nullopt},
      {"ScalingReplicaSet", "Scaled up replica set w-5d to three from two", std::nullopt, std::nullopt},
      {"ScalingReplicaSet", "Scaled up replica set w-5d to", std::nullopt, std::nullopt},
      {"ScalingReplicaSet", "Scaled up replica set", std::nullopt, std::nullopt},
      {"ScalingReplicaSet", "", std::nullopt, std::nullopt},
      {"SuccessfulRescale", "New size: 9223372036854775808; reason: x", std::nullopt, std::nullopt},
      {"SuccessfulRescale", "New size: -2; reason: x", std::nullopt, std::nullopt},
      {"SuccessfulRescale", "New size: 4x; reason: x", std::nullopt, std::nullopt},
      {"SuccessfulRescale", "New size: 4.5; reason: x", std::nullopt, std::nullopt},
      {"SuccessfulRescale", "New size: ", std::nullopt, std::nullopt},
      {"SuccessfulRescale", "New size: 5", 5, std::nullopt},
      {"SuccessfulRescale", "New size 5; reason: x", std::nullopt, std::nullopt},
  };
  for (const Case& c : cases) {
    const Event e = scaling_event(c.reason, c.message);
    EXPECT_EQ(figure(e, "to_replicas"), c.to) << c.message;
    EXPECT_EQ(figure(e, "from_replicas"), c.from) << c.message;
    EXPECT_EQ(attribute(e, "cpu_utilization_percent"), nullptr) << c.message;
  }
  // A reason with nothing after it is no reason; the size still counts.
  const Event empty_reason = scaling_event("SuccessfulRescale", "New size: 3; reason:   ");
  EXPECT_EQ(figure(empty_reason, "to_replicas"), 3);
  EXPECT_EQ(attribute(empty_reason, "scaling_reason"), nullptr);
}

TEST(K8sScalingFigures, EveryTruncationOfAMessageDecodesWithoutInventingFigures) {
  // Messages cut anywhere (a log line cut short, a bad copy) still decode;
  // a figure appears only once its digits have.
  const std::string deployment = "Scaled up replica set web-5d567cc74c to 3 from 12";
  for (std::size_t n = 0; n <= deployment.size(); ++n) {
    const std::string cut = deployment.substr(0, n);
    const Event e = scaling_event("ScalingReplicaSet", cut);
    const bool to_there = cut.size() >= deployment.find(" to 3") + 5;
    EXPECT_EQ(figure(e, "to_replicas"), to_there ? std::optional<std::int64_t>(3) : std::nullopt) << cut;
    const std::optional<std::int64_t> from = figure(e, "from_replicas");
    if (n == deployment.size()) {
      EXPECT_EQ(from, 12) << cut;
    } else if (n < deployment.size() - 2) {
      EXPECT_EQ(from, std::nullopt) << cut;
    }
  }
  const std::string hpa = "New size: 4; reason: All metrics below target";
  for (std::size_t n = 0; n <= hpa.size(); ++n) {
    const std::string cut = hpa.substr(0, n);
    const Event e = scaling_event("SuccessfulRescale", cut);
    EXPECT_EQ(figure(e, "to_replicas"), n >= 11 ? std::optional<std::int64_t>(4) : std::nullopt) << cut;
    std::string reason = n > 21 ? hpa.substr(21, n - 21) : "";
    while (!reason.empty() && reason.back() == ' ') reason.pop_back();  // as the codec trims it
    EXPECT_EQ(text_attribute(e, "scaling_reason"), reason.empty() ? "<none>" : reason) << cut;
  }
}

// ---------------------------------------------------------------------------
// Input shapes.

TEST(K8sEventShapes, WatchBookmarkDeletedAndError) {
  const std::string payload =
      R"({"type":"ADDED","object":)" + core_event("", "a") + "}\n" +
      R"({"type":"BOOKMARK","object":{"kind":"Event","apiVersion":"v1","metadata":{"resourceVersion":"12746"}}})" "\n" +
      R"j({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (2)","reason":"Expired","code":410}})j" "\n" +
      R"({"type":"DELETED","object":)" + core_event("", "b") + "}\n" +
      R"({"type":"MODIFIED","object":)" + core_event(R"(,"count":2)", "a") + "}\n" +
      R"({"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"}}})" "\n" +
      R"({"type":"DELETED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"}}})" "\n";
  const auto c = decode_k8s(payload);
  ASSERT_EQ(c.events.size(), 2u) << c.describe();
  EXPECT_EQ(c.event_lines, (std::vector<std::size_t>{1, 5}));
  ASSERT_EQ(c.rejects.size(), 1u);
  EXPECT_EQ(c.rejects[0].second, 3u);
  EXPECT_EQ(c.rejects[0].first.field, "object");
  EXPECT_NE(c.rejects[0].first.reason.find("too old resource version: 1 (2)"), std::string::npos)
      << c.rejects[0].first.reason;
  EXPECT_NE(c.rejects[0].first.reason.find("410"), std::string::npos);
  EXPECT_EQ(c.skipped, (std::map<std::string, std::size_t>{{"BOOKMARK", 1}, {"DELETED", 1}, {"Pod", 2}}));
}

TEST(K8sEventShapes, ListsArraysAndConcatenatedPrettyObjects) {
  const std::string list = "{\n  \"kind\": \"EventList\",\n  \"items\": [\n    " + core_event("", "1") +
                           ",\n    " + core_event("", "2") + "\n  ]\n}\n";
  const std::string pretty = "{\n  \"type\": \"ADDED\",\n  \"object\": " + core_event("", "3") + "\n}\n";
  const std::string array = "[" + core_event("", "4") + ",\n" + core_event("", "5") + "]\n";
  const auto c = decode_k8s(list + pretty + pretty + array);
  ASSERT_EQ(c.events.size(), 6u) << c.describe();
  EXPECT_EQ(c.event_lines, (std::vector<std::size_t>{4, 5, 8, 12, 16, 17}));
  // A generic List names the kind of each item; a PodList's items are Pods.
  const std::string generic =
      R"({"kind":"List","items":[{"kind":"Pod","metadata":{}},)" + core_event("", "6") + "]}";
  const std::string pods = R"({"kind":"PodList","items":[{"metadata":{"name":"p"}}]})";
  const auto g = decode_k8s(generic + "\n" + pods + "\n");
  EXPECT_EQ(g.events.size(), 1u) << g.describe();
  EXPECT_EQ(g.skipped, (std::map<std::string, std::size_t>{{"Pod", 2}}));
}

TEST(K8sEventShapes, YamlListAndAnchors) {
  const std::string yaml =
      "apiVersion: v1\n"
      "kind: List\n"
      "items:\n"
      "- apiVersion: v1\n"
      "  kind: Event\n"
      "  metadata: {name: a.1, namespace: &ns shop, uid: u-1}\n"
      "  involvedObject: {kind: Deployment, name: checkout, namespace: *ns}\n"
      "  reason: ScalingReplicaSet\n"
      "  message: Scaled up replica set checkout-5d to 3\n"
      "  lastTimestamp: 2024-05-01T12:00:00Z\n"
      "  count: 0x10\n"
      "- kind: Pod\n"
      "  metadata: {name: p}\n";
  const auto c = decode_k8s(yaml);
  ASSERT_EQ(c.events.size(), 1u) << c.describe();
  EXPECT_EQ(c.event_lines, (std::vector<std::size_t>{4}));
  EXPECT_EQ(c.skipped, (std::map<std::string, std::size_t>{{"Pod", 1}}));
  const Event& e = c.events[0];
  EXPECT_EQ(e.namespace_, "shop");
  EXPECT_EQ(e.service, "checkout");
  EXPECT_EQ(e.type, "scale_up");
  EXPECT_EQ(e.time, at("2024-05-01T12:00:00Z")) << "an unquoted time is a string in YAML 1.2";
  EXPECT_EQ(int_attribute(e, "k8s.count"), 16) << "0x10 is an integer in the core schema";
}

TEST(K8sEventShapes, YamlQuotedScalarsAreStringsPlainOnesAreTyped) {
  using internal::append_yaml_plain_scalar;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "null"}, {"~", "null"}, {"Null", "null"}, {"true", "true"}, {"FALSE", "false"},
      {"12", "12"}, {"-0012", "-12"}, {"+7", "7"}, {"0o17", "15"}, {"0x1F", "31"},
      {"1.5", "1.5"}, {".5", "0.5"}, {"1.", "1.0"}, {"-2.5e3", "-2.5e3"}, {"1e5", "1.0e5"},
      {".inf", "\"+Inf\""}, {"-.Inf", "\"-Inf\""}, {".NaN", "\"NaN\""},
      {"yes", "\"yes\""}, {"1.2.3", "\"1.2.3\""}, {"0x", "\"0x\""}, {"12:30", "\"12:30\""},
      {"2024-05-01T12:00:00Z", "\"2024-05-01T12:00:00Z\""}, {"a \"b\"", "\"a \\\"b\\\"\""},
  };
  for (const auto& [plain, json] : cases) {
    std::string out;
    append_yaml_plain_scalar(out, plain);
    EXPECT_EQ(out, json) << plain;
  }
  // End to end: a plain 123 is a number, so a message of 123 is refused; a
  // quoted "123" is the string it looks like.
  const std::string base =
      "kind: Event\ninvolvedObject: {kind: Pod, name: p}\nreason: Started\nlastTimestamp: "
      "2024-05-01T12:00:00Z\n";
  const auto c = decode_k8s("---\n" + base + "message: 123\n---\n" + base + "message: \"123\"\n");
  ASSERT_EQ(c.events.size(), 1u) << c.describe();
  EXPECT_EQ(c.events[0].message, "123");
  ASSERT_EQ(c.rejects.size(), 1u);
  EXPECT_EQ(c.rejects[0].first.field, "message");
  EXPECT_NE(c.rejects[0].first.reason.find("got number"), std::string::npos) << c.rejects[0].first.reason;
}

// ---------------------------------------------------------------------------
// Malformed input: each bad object is refused with the field, the others of
// the same payload still decode.

std::string deep_path(int levels) {
  std::string p = "related";
  for (int i = 0; i < levels; ++i) p += "[0]";
  return p;
}

struct BadObject {
  std::string name;
  std::string json;  // one line
  std::string field;
  std::string reason_contains;
};

std::vector<BadObject> bad_json_objects() {
  const std::string good = core_event();
  return {
      {"truncated", good.substr(0, good.find(R"("kind":"Pod")") + 12), "involvedObject.kind", "truncated"},
      {"truncated in a string", good.substr(0, good.find("Started container") + 5), "message",
       "unterminated string"},
      {"count is a string", core_event(R"(,"count":"abc")"), "count", "abc"},
      {"involvedObject is a list", core_event(R"(,"involvedObject":[{"kind":"Pod"}])"), "involvedObject",
       "got array"},
      {"metadata.uid is a number", core_event(R"(,"metadata":{"uid":7})"), "metadata.uid", "got number"},
      {"invalid UTF-8", core_event(",\"message\":\"bad \xff byte\""), "message", "UTF-8"},
      {"deep nesting", core_event(R"(,"related":)" + std::string(200, '[') + std::string(200, ']')),
       deep_path(15) + "...", "nesting deeper"},
      {"year 9999", core_event(R"(,"lastTimestamp":"9999-01-01T00:00:00Z")"), "lastTimestamp", "2262"},
      {"time is not RFC 3339", core_event(R"(,"series":{"lastObservedTime":"yesterday"})"),
       "series.lastObservedTime", "RFC 3339"},
      {"time is a number", core_event(R"(,"firstTimestamp":5)"), "firstTimestamp", "got number"},
      {"reason is an object", core_event(R"(,"reason":{})"), "reason", "got object"},
      {"negative count", core_event(R"(,"count":-1)"), "count", "negative"},
      {"not an object", "[1]", "[0]", "expected an object"},
      {"not JSON", "{]", "", "malformed"},
      {"bad eventlens annotation",
       core_event(R"(,"metadata":{"annotations":{"eventlens.io/severity":"loud"}})"),
       "metadata.annotations.eventlens.io/severity", "unknown severity"},
  };
}

TEST(K8sEventMalformed, JsonLinesRefuseEachBadObjectAndKeepTheRest) {
  const auto cases = bad_json_objects();
  std::string payload;
  for (const auto& c : cases) {
    payload += c.json + "\n";
    payload += core_event() + "\n";
  }
  const auto c = decode_k8s(payload);
  EXPECT_EQ(c.events.size(), cases.size()) << c.describe();
  std::vector<std::size_t> good_lines;
  for (std::size_t i = 0; i < cases.size(); ++i) good_lines.push_back(2 * i + 2);
  EXPECT_EQ(c.event_lines, good_lines);
  ASSERT_EQ(c.rejects.size(), cases.size()) << c.describe();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& [error, line] = c.rejects[i];
    EXPECT_EQ(line, 2 * i + 1) << cases[i].name;
    EXPECT_EQ(error.field, cases[i].field) << cases[i].name << " -> " << error.to_string();
    EXPECT_NE(error.reason.find(cases[i].reason_contains), std::string::npos)
        << cases[i].name << " -> " << error.to_string();
  }
}

TEST(K8sEventMalformed, WatchLinesNameTheFieldUnderObject) {
  const std::string payload = R"({"type":"ADDED","object":)" + core_event(R"(,"count":"abc")") + "}\n" +
                              R"({"type":"ADDED","object":)" + core_event() + "}\n";
  const auto c = decode_k8s(payload);
  EXPECT_EQ(c.events.size(), 1u);
  ASSERT_EQ(c.rejects.size(), 1u);
  EXPECT_EQ(c.rejects[0].first.field, "object.count");
}

TEST(K8sEventMalformed, OversizedObjectsAreRefused) {
  const std::string huge = core_event(R"(,"message":")" + std::string(10 << 20, 'x') + "\"");
  // As a watch line, between two good ones.
  const auto lines = decode_k8s(core_event() + "\n" + huge + "\n" + core_event() + "\n");
  EXPECT_EQ(lines.events.size(), 2u);
  ASSERT_EQ(lines.rejects.size(), 1u);
  EXPECT_EQ(lines.rejects[0].second, 2u);
  EXPECT_NE(lines.rejects[0].first.reason.find("over the 1048576-byte limit"), std::string::npos);
  // As a List item: the List may be large, each item may not.
  const auto list = decode_k8s(R"({"kind":"EventList","items":[)" + core_event() + "," + huge + "," +
                               core_event() + "]}");
  EXPECT_EQ(list.events.size(), 2u);
  ASSERT_EQ(list.rejects.size(), 1u);
  EXPECT_EQ(list.rejects[0].first.field, "items[1]");
  // A payload over max_payload_bytes is refused whole.
  DecodeOptions small;
  small.max_payload_bytes = 500;
  const auto whole = decode_k8s(core_event() + "\n" + core_event() + "\n", small);
  EXPECT_TRUE(whole.events.empty());
  ASSERT_EQ(whole.rejects.size(), 1u);
  EXPECT_NE(whole.rejects[0].first.reason.find("payload"), std::string::npos);
  // And max_record_bytes is the caller's choice.
  DecodeOptions tight;
  tight.max_record_bytes = 100;
  EXPECT_EQ(decode_k8s(core_event(), tight).rejects.size(), 1u);
}

TEST(K8sEventMalformed, YamlStreamRefusesEachBadDocumentAndKeepsTheRest) {
  const std::string good =
      "kind: Event\napiVersion: v1\nmetadata: {name: a, uid: u}\n"
      "involvedObject: {kind: Pod, name: web-0}\nreason: Started\nlastTimestamp: 2024-05-01T12:00:00Z\n";
  const std::vector<BadObject> cases = {
      {"count is a string", good + "count: abc\n", "count", "abc"},
      {"involvedObject is a list", good + "involvedObject: [Pod]\n", "involvedObject", "got array"},
      {"year 9999", good + "lastTimestamp: 9999-01-01T00:00:00Z\n", "lastTimestamp", "2262"},
      {"invalid UTF-8", good + "message: \"bad \xff byte\"\n", "message", "UTF-8"},
      {"deep nesting", good + "related: " + std::string(150, '[') + std::string(150, ']') + "\n",
       deep_path(16), "nesting deeper"},
      {"bad indentation", good + "metadata:\n  name: a\n bad: x\n", "", "malformed YAML at line"},
      {"truncated in a quoted string", good + "message: \"Scaled up rep", "message", "unterminated quoted"},
      {"no involvedObject", "kind: Event\nreason: Started\nlastTimestamp: 2024-05-01T12:00:00Z\n",
       "involvedObject", "missing"},
  };
  std::string payload;
  std::vector<std::size_t> bad_lines, good_lines;
  std::size_t line = 1;
  const auto lines_of = [](const std::string& s) {
    return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
  };
  for (const auto& c : cases) {
    payload += "---\n";
    bad_lines.push_back(line + 1);
    line += 1 + lines_of(c.json);
    payload += c.json;
    if (payload.back() != '\n') {
      payload += '\n';
      ++line;
    }
    payload += "---\n" + good;
    good_lines.push_back(line + 1);
    line += 1 + lines_of(good);
  }
  const auto c = decode_k8s(payload);
  EXPECT_EQ(c.event_lines, good_lines) << c.describe();
  ASSERT_EQ(c.rejects.size(), cases.size()) << c.describe();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& [error, pos] = c.rejects[i];
    EXPECT_EQ(pos, bad_lines[i]) << cases[i].name;
    EXPECT_EQ(error.field.substr(0, cases[i].field.size()), cases[i].field)
        << cases[i].name << " -> " << error.to_string();
    EXPECT_NE(error.reason.find(cases[i].reason_contains), std::string::npos)
        << cases[i].name << " -> " << error.to_string();
  }
}

TEST(K8sEventMalformed, TruncatedYamlAtTheEndOfAStream) {
  const std::string text = read_file(data_path("k8s/kspan/deployment-2-pods.watch.yaml"));
  // Cut inside the last document's quoted resourceVersion.
  const std::size_t cut = text.rfind("resourceVersion: \"") + 20;
  const auto c = decode_k8s(text.substr(0, cut));
  EXPECT_EQ(c.events.size(), 18u) << c.describe();
  ASSERT_EQ(c.rejects.size(), 1u) << c.describe();
  EXPECT_NE(c.rejects[0].first.reason.find("malformed YAML at line"), std::string::npos)
      << c.rejects[0].first.to_string();
}

TEST(K8sEventMalformed, YamlAliasExpansionIsBounded) {
  std::string yaml = "kind: Event\na: &a [\"" + std::string(1000, 'x') + "\"]\n";
  std::string prev = "a";
  for (int i = 0; i < 12; ++i) {
    const std::string name = "l" + std::to_string(i);
    yaml += name + ": &" + name + " [";
    for (int j = 0; j < 8; ++j) yaml += (j ? ",*" : "*") + prev;
    yaml += "]\n";
    prev = name;
  }
  DecodeOptions options;
  options.max_payload_bytes = 1 << 20;
  const auto c = decode_k8s(yaml, options);
  EXPECT_TRUE(c.events.empty());
  ASSERT_EQ(c.rejects.size(), 1u);
  EXPECT_NE(c.rejects[0].first.reason.find("limit"), std::string::npos) << c.rejects[0].first.to_string();
}

TEST(K8sEventMalformed, GarbageNeverCrashes) {
  const std::vector<std::string> inputs = {
      "", "   \n\n", "{", "[", "}", "\"", "{\"items\":[", "{\"object\":{", "{\"items\":[1,{},[]]}",
      "---\n---\n", "- a\n- b\n", "key: [unclosed", "\xef\xbb\xbf{}", "{\"type\":\"ERROR\"}",
      "{\"type\":\"ERROR\",\"object\":{}}", "*alias\n", "? [a, b]\n: c\n", "a: &x [*x]\n",
      std::string("{\"a\":\"\0\"}", 9), "%YAML 1.2\n---\nkind: Event\n",
      ",", "- ,\n", ",\n,\n", "a: 1\n,\n",  // yaml-cpp reports endless null documents here
  };
  for (const auto& input : inputs) {
    const auto c = decode_k8s(input);
    EXPECT_TRUE(c.events.empty()) << input;
  }
}

// ---------------------------------------------------------------------------
// Encoding.

std::vector<Event> varied_events() {
  std::vector<Event> out;
  Event e;
  e.id = "ev-0123456789abcdef0123456789abcdef";
  e.time = at("2024-05-01T12:00:00.123456789Z");
  e.category = Category::scaling;
  e.type = "scale_up";
  e.service = "checkout";
  e.namespace_ = "shop";
  e.cluster = "prod-eu";
  e.node = "node-1";
  e.pod = "checkout-5d567cc74c-ss4lb";
  e.severity = Severity::info;
  e.message = "Scaled up \"checkout\" to 6\nline two, ünïcødé";
  e.attributes = {{"replicas", std::int64_t{6}}, {"ratio", 0.75}, {"manual", false}, {"who", std::string("hpa")}};
  e.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  e.source = "k8s/horizontal-pod-autoscaler";
  out.push_back(e);

  Event node_only = e;
  node_only.pod.clear();
  node_only.type = "node_not_ready";
  node_only.category = Category::failure;
  node_only.severity = Severity::critical;
  node_only.time = at("2024-05-01T12:00:01Z");
  node_only.source = "my-agent";
  node_only.attributes.clear();
  out.push_back(node_only);

  Event neither = e;
  neither.pod.clear();
  neither.node.clear();
  neither.service.clear();
  neither.namespace_.clear();
  neither.cluster.clear();
  neither.trace_id.clear();
  neither.message.clear();
  neither.type = "something_new";
  neither.category = Category::change;  // not what the type would give
  neither.severity = Severity::warning;
  neither.source = "";
  neither.attributes = {{"k8s.kind", std::string("Deployment")}, {"k8s.name", std::string("checkout")},
                        {"dup", std::int64_t{1}}, {"dup", std::int64_t{2}}};
  out.push_back(neither);

  Event k8s_source = e;
  k8s_source.source = "k8s";
  k8s_source.id = "k8s:uid-1:3";
  k8s_source.type = "oom_killed";
  k8s_source.category = Category::failure;
  k8s_source.severity = Severity::error;
  k8s_source.attributes = {{"k8s.reason", std::string("OOMKilling")}, {"k8s.kind", std::string("Node")},
                           {"k8s.reporting_instance", std::string("node-1")}};
  k8s_source.time = 0;
  out.push_back(k8s_source);
  return out;
}

TEST(K8sEventEncoding, RoundTripsVariedEvents) {
  std::string payload;
  const auto events = varied_events();
  for (const Event& e : events) {
    std::string line;
    encode_k8s_watch_line(e, line);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    payload += line + "\n";
  }
  const auto c = decode_k8s(payload);
  ASSERT_EQ(c.events.size(), events.size()) << c.describe();
  for (std::size_t i = 0; i < events.size(); ++i) EXPECT_EQ(c.events[i], events[i]) << i;
}

TEST(K8sEventEncoding, RoundTripsEveryDecodedSampleEvent) {
  for (const std::string file : {"k8s/kspan/deployment-2-pods.watch.yaml",
                                 "k8s/api-roundtrip-fixtures/core.v1.Event.json",
                                 "k8s/fluent-bit/eventlist_v1_with_creationTimestamp.json",
                                 "k8s/otel-contrib/k8seventsreceiver-e2e-event.yaml"}) {
    const auto first = decode_file(file);
    ASSERT_FALSE(first.events.empty()) << file;
    std::string payload;
    for (const Event& e : first.events) {
      encode_k8s_watch_line(e, payload);
      payload += '\n';
    }
    const auto second = decode_k8s(payload);
    EXPECT_EQ(second.events, first.events) << file << "\n" << second.describe();
  }
}

TEST(K8sEventEncoding, WritesAnEventsApiObjectWithAReasonFromTheTable) {
  Event e = varied_events().front();
  e.attributes.clear();
  std::string line;
  encode_k8s_watch_line(e, line);
  EXPECT_EQ(line.rfind(R"({"type":"ADDED","object":{"kind":"Event","apiVersion":"events.k8s.io/v1")", 0), 0u)
      << line;
  EXPECT_NE(line.find(R"("reason":"ScalingReplicaSet")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("eventTime":"2024-05-01T12:00:00.123456Z")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("regarding":{"kind":"Pod","name":"checkout-5d567cc74c-ss4lb")"), std::string::npos);
  EXPECT_NE(line.find(R"("reportingController":"horizontal-pod-autoscaler")"), std::string::npos);
  // Without the eventlens annotations, the Kubernetes fields alone still say
  // what happened, through the reason table.
  const std::size_t ann = line.find(R"("annotations":)");
  const std::size_t metadata_end = line.find(R"(,"eventTime")") - 1;
  const std::string plain = line.substr(0, ann - 1) + line.substr(metadata_end);
  const auto c = decode_k8s(plain);
  ASSERT_EQ(c.events.size(), 1u) << plain << "\n" << c.describe();
  EXPECT_EQ(c.events[0].type, "scale_up") << "ScalingReplicaSet with a \"Scaled up\" message";
  EXPECT_EQ(c.events[0].category, Category::scaling);
  EXPECT_EQ(c.events[0].pod, e.pod);
  EXPECT_EQ(c.events[0].service, "checkout");
  EXPECT_EQ(c.events[0].time, at("2024-05-01T12:00:00.123456Z"));
}

TEST(K8sEventEncoding, AnAutoscalersScaleUpIsASuccessfulRescaleWhoseFiguresReadBack) {
  // The simulator's HPA events say "New size: N; reason: ...": written as
  // the HPA's SuccessfulRescale, the Kubernetes fields alone (without the
  // eventlens annotations) give back the type and the new size.
  Event e = varied_events().front();
  e.attributes.clear();
  e.message = "New size: 6; reason: cpu resource utilization (percentage of request) above target";
  std::string line;
  encode_k8s_watch_line(e, line);
  EXPECT_NE(line.find(R"("reason":"SuccessfulRescale")"), std::string::npos) << line;
  const std::size_t ann = line.find(R"("annotations":)");
  const std::size_t metadata_end = line.find(R"(,"eventTime")") - 1;
  const auto c = decode_k8s(line.substr(0, ann - 1) + line.substr(metadata_end));
  ASSERT_EQ(c.events.size(), 1u) << c.describe();
  EXPECT_EQ(c.events[0].type, "scale_up");
  std::int64_t to = 0;
  for (const auto& [k, v] : c.events[0].attributes) {
    if (k == "to_replicas") to = std::get<std::int64_t>(v);
  }
  EXPECT_EQ(to, 6);
}

TEST(K8sEventDecoder, ReusesOneDecoderAcrossPayloads) {
  K8sEventDecoder decoder;
  Collected a, b;
  decoder.decode(read_file(data_path("k8s/kspan/deployment-2-pods.watch.yaml")), a);
  decoder.decode(read_file(data_path("k8s/k9s/ev.json")), b);
  EXPECT_EQ(a.events.size(), 19u);
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(b.events[0], only_event("k8s/k9s/ev.json"));
}

}  // namespace
}  // namespace eventlens::codec
