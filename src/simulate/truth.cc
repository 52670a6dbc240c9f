#include "simulate/truth.h"

#include <cmath>

#include "codec/json_writer.h"

namespace eventlens::simulate {
namespace {

using codec::JsonWriter;

void nullable_string(JsonWriter& w, std::string_view key, const std::string& v) {
  w.key(key);
  if (v.empty()) w.null();
  else w.string(v);
}

void time_or_null(JsonWriter& w, std::string_view key, TimeNs t) {
  w.key(key);
  if (t == 0) w.null();
  else w.time(t);
}

void number(JsonWriter& w, std::string_view key, double v) {
  w.key(key);
  // Three significant decimals keep the file readable and stable.
  w.number(std::round(v * 1000) / 1000);
}

}  // namespace

void write_truth_json(const Truth& t, std::string& out) {
  JsonWriter w(out);
  w.begin_object();
  w.key("schema_version");
  w.integer(t.schema_version);
  w.field("scenario", t.scenario);
  w.key("seed");
  w.integer(static_cast<std::int64_t>(t.seed));
  w.key("start");
  w.time(t.start);
  w.key("end");
  w.time(t.end);
  w.key("services");
  w.begin_array();
  for (const auto& s : t.services) {
    w.begin_object();
    w.field("name", s.name);
    w.key("calls");
    w.begin_array();
    for (const auto& c : s.calls) w.string(c);
    w.end_array();
    w.end_object();
  }
  w.end_array();

  w.key("causes");
  w.begin_array();
  for (const auto& c : t.causes) {
    w.begin_object();
    w.field("id", c.id);
    w.field("type", c.type);
    nullable_string(w, "service", c.service);
    nullable_string(w, "node", c.node);
    if (!c.services.empty()) {  // only node faults that name their victims: older truths read unchanged
      w.key("services");
      w.begin_array();
      for (const auto& s : c.services) w.string(s);
      w.end_array();
    }
    w.key("start");
    w.time(c.start);
    w.key("end");
    w.time(c.end);
    nullable_string(w, "event_id", c.event_id);
    number(w, "magnitude", c.magnitude);
    number(w, "error_rate", c.error_rate);
    w.key("incidents");
    w.begin_array();
    for (const auto& i : c.incidents) w.string(i);
    w.end_array();
    w.end_object();
  }
  w.end_array();

  w.key("scaling");
  w.begin_array();
  for (const auto& s : t.scaling) {
    w.begin_object();
    w.field("event_id", s.event_id);
    w.field("service", s.service);
    w.field("type", s.type);
    w.key("time");
    w.time(s.time);
    w.key("from_replicas");
    w.integer(s.from);
    w.key("to_replicas");
    w.integer(s.to);
    w.field("verdict", s.verdict);
    number(w, "p95_before_s", s.p95_before_s);
    number(w, "p95_after_s", s.p95_after_s);
    number(w, "p95_counterfactual_s", s.p95_counterfactual_s);
    number(w, "relief", s.relief);
    w.key("time_to_relief_s");
    if (s.time_to_relief_s < 0) w.null();
    else w.integer(static_cast<std::int64_t>(s.time_to_relief_s));
    number(w, "error_rate_after", s.error_rate_after);
    number(w, "error_rate_counterfactual", s.error_rate_counterfactual);
    w.end_object();
  }
  w.end_array();

  w.key("oom_kills");
  w.begin_array();
  for (const auto& o : t.oom_kills) {
    w.begin_object();
    w.field("event_id", o.event_id);
    w.field("service", o.service);
    w.field("pod", o.pod);
    w.key("time");
    w.time(o.time);
    w.field("attribution", o.attribution);
    nullable_string(w, "cause", o.cause);
    number(w, "memory_bytes", std::round(o.memory_bytes));
    number(w, "limit_bytes", o.limit_bytes);
    w.end_object();
  }
  w.end_array();

  w.key("provisioning");
  w.begin_array();
  for (const auto& p : t.provisioning) {
    w.begin_object();
    w.field("request_event_id", p.request_event_id);
    w.key("node_added_event_ids");
    w.begin_array();
    for (const auto& id : p.node_added_event_ids) w.string(id);
    w.end_array();
    w.field("service", p.service);
    w.key("requested");
    w.time(p.requested);
    time_or_null(w, "added", p.added);
    number(w, "delay_s", p.delay_s);
    w.key("nodes");
    w.integer(p.nodes);
    number(w, "requests_lost", std::round(p.requests_lost));
    w.end_object();
  }
  w.end_array();

  w.key("incidents");
  w.begin_array();
  for (const auto& i : t.incidents) {
    w.begin_object();
    w.field("id", i.id);
    w.field("service", i.service);
    w.field("signal", i.signal);
    w.key("start");
    w.time(i.start);
    w.key("end");
    w.time(i.end);
    w.field("cause", i.cause);
    w.key("root_cause");
    w.begin_object();
    w.field("kind", i.root_cause.kind);
    nullable_string(w, "service", i.root_cause.service);
    nullable_string(w, "event_id", i.root_cause.event_id);
    w.field("type", i.root_cause.type);
    w.end_object();
    number(w, "peak", i.peak);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  out += '\n';
}

}  // namespace eventlens::simulate
