#include "correlate/results_json.h"

#include <cmath>
#include <cstdio>
#include <optional>

#include "codec/json_writer.h"
#include "codec/native_json.h"
#include "correlate/confidence.h"
#include "correlate/phrases.h"
#include "correlate/problems.h"

namespace eventlens::correlate {

namespace {

using codec::JsonWriter;

void number(JsonWriter& w, double v) {
  if (!std::isfinite(v)) return w.null();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  w.raw(buf);
}

void number_field(JsonWriter& w, std::string_view k, double v) {
  w.key(k);
  number(w, v);
}

void optional_field(JsonWriter& w, std::string_view k, const std::optional<double>& v) {
  w.key(k);
  if (v) {
    number(w, *v);
  } else {
    w.null();
  }
}

void summary(JsonWriter& w, std::string_view k, const Summary& s) {
  w.key(k);
  w.begin_object();
  w.key("n");
  w.integer(static_cast<std::int64_t>(s.n));
  number_field(w, "mean", s.mean);
  number_field(w, "p50", s.p50);
  number_field(w, "p95", s.p95);
  number_field(w, "min", s.min);
  number_field(w, "max", s.max);
  number_field(w, "slope_per_s", s.slope_per_s);
  w.end_object();
}

void signal(JsonWriter& w, const SignalImpact& s) {
  w.begin_object();
  w.field("role", s.role);
  w.field("metric", s.metric);
  w.field("service", s.service);
  summary(w, "before", s.before);
  summary(w, "after", s.after);
  w.key("change");
  w.begin_object();
  number_field(w, "abs", s.change_abs);
  number_field(w, "rel", s.change_rel);
  w.end_object();
  w.key("test");
  w.begin_object();
  w.field("method", s.test.method);
  number_field(w, "z", s.test.statistic);
  number_field(w, "p_value", s.test.p_value);
  number_field(w, "n_eff_before", s.test.n_eff_before);
  number_field(w, "n_eff_after", s.test.n_eff_after);
  number_field(w, "effect", s.test.effect);
  w.end_object();
  w.key("counterfactual");
  w.begin_object();
  w.field("method", s.counterfactual.method);
  number_field(w, "mean", s.counterfactual.mean);
  number_field(w, "lower", s.counterfactual.lower);
  number_field(w, "upper", s.counterfactual.upper);
  number_field(w, "impact", s.impact_vs_counterfactual);
  number_field(w, "impact_rel", s.impact_vs_counterfactual_rel);
  w.end_object();
  w.key("did");
  w.begin_object();
  number_field(w, "effect", s.did.effect);
  number_field(w, "relative", s.did.relative);
  w.key("controls");
  w.integer(static_cast<std::int64_t>(s.did.controls));
  w.end_object();
  w.end_object();
}

}  // namespace

void append_enriched_json(std::string& out, const EnrichedEvent& e) {
  JsonWriter w(out);
  const Event& ev = e.event;
  w.begin_object();
  w.field("event_id", ev.id);
  w.field("stage", e.provisional ? "provisional" : "final");
  w.key("time");
  w.time(ev.time);
  w.field("service", ev.service);
  w.field("category", to_string(ev.category));
  w.field("type", ev.type);
  w.field("severity", to_string(ev.severity));
  w.field_if_set("pod", ev.pod);
  w.field_if_set("node", ev.node);
  w.field_if_set("message", ev.message);
  w.key("window");
  w.begin_object();
  w.key("from");
  w.time(e.window_before);
  w.key("to");
  w.time(e.window_after);
  w.end_object();

  const Verdict& v = e.verdict;
  w.key("verdict");
  w.begin_object();
  w.field("kind", v.kind);
  w.field("value", v.value);
  w.field("sentence", v.sentence);
  optional_field(w, "relief", v.relief);
  optional_field(w, "time_to_relief_s", v.time_to_relief_s);
  optional_field(w, "delay_s", v.delay_s);
  optional_field(w, "requests_lost", v.requests_lost);
  w.key("evidence");
  w.begin_object();
  for (const Evidence& x : v.evidence) number_field(w, x.name, x.value);
  w.end_object();
  w.end_object();

  w.key("signals");
  w.begin_array();
  for (const SignalImpact& s : e.signals) signal(w, s);
  w.end_array();

  w.key("logs");
  w.begin_array();
  for (const LogEvidence& l : e.logs) {
    w.begin_object();
    w.field("template", l.template_text);
    w.field("example", l.example);
    w.field("severity", to_string(l.severity));
    w.key("count");
    w.integer(static_cast<std::int64_t>(l.count));
    w.key("first");
    w.time(l.first);
    w.key("last");
    w.time(l.last);
    w.field_if_set("trace_id", l.trace_id);
    w.end_object();
  }
  w.end_array();

  w.key("spans");
  w.begin_array();
  static const std::vector<SpanEvidence> kNoSpans;
  for (const SpanEvidence& s : e.spans ? *e.spans : kNoSpans) {
    w.begin_object();
    w.field("name", s.name);
    w.field("trace_id", s.trace_id);
    w.field("span_id", s.span_id);
    w.key("start");
    w.time(s.start);
    number_field(w, "duration_s", s.duration_s);
    w.field("status", to_string(s.status));
    if (s.kind != SpanKind::unspecified) w.field("kind", to_string(s.kind));
    w.end_object();
  }
  w.end_array();

  w.key("related");
  w.begin_array();
  for (const RelatedEvent& r : e.related) {
    w.begin_object();
    w.field("id", r.id);
    w.field("type", r.type);
    w.field("service", r.service);
    w.key("time");
    w.time(r.time);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

namespace {

// One cause, as incidents, problems and explanations write it; `reasons`
// false leaves them out (a problem's symptoms name their top cause only).
void write_cause(JsonWriter& w, const Cause& c, bool reasons = true) {
  w.begin_object();
  w.key("rank");
  w.integer(c.rank);
  w.field("kind", c.kind);
  w.field("service", c.service);
  w.key("event_id");
  if (c.kind == "event") {
    w.string(c.event_id);
  } else {
    w.null();
  }
  w.key("type");
  if (c.kind == "event") {
    w.string(c.type);
  } else {
    w.null();
  }
  w.key("time");
  w.time(c.time);
  number_field(w, "score", c.score);
  if (reasons) {
    w.key("reasons");
    w.begin_array();
    for (const CauseReason& r : c.reasons) {
      w.begin_object();
      w.field("name", r.name);
      number_field(w, "value", r.value);
      w.field("sentence", r.sentence);
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();
}

void write_end(JsonWriter& w, const std::optional<TimeNs>& end) {
  w.key("end");
  if (end) {
    w.time(*end);
  } else {
    w.null();
  }
}

// What an incident and a problem's symptom both say of an incident: its id
// (under `id_key`), service, signal, span and severity.
void write_incident_head(JsonWriter& w, const Incident& inc, std::string_view id_key) {
  w.field(id_key, inc.id);
  w.field("service", inc.service);
  w.key("signal");
  w.begin_object();
  w.field("role", inc.role);
  w.field("metric", inc.metric);
  w.end_object();
  w.key("start");
  w.time(inc.start);
  write_end(w, inc.end);
  w.field("severity", inc.severity);
}

// Whether the first cause leads the best naming another root by
// kConfidentLead (confidence.h): {"confident", "lead", "runner_up"}.
void write_confidence(JsonWriter& w, const std::vector<Cause>& causes) {
  const Confidence c = confidence_of(causes);
  w.key("confidence");
  w.begin_object();
  w.key("confident");
  w.boolean(c.confident);
  number_field(w, "lead", c.lead);
  w.key("runner_up");
  if (c.runner_up != nullptr) {
    w.integer(c.runner_up->rank);
  } else {
    w.null();
  }
  w.end_object();
}

}  // namespace

void append_incident_json(std::string& out, const Incident& inc) {
  JsonWriter w(out);
  w.begin_object();
  write_incident_head(w, inc, "id");
  w.field("summary", inc.summary);
  write_confidence(w, inc.causes);
  number_field(w, "baseline", inc.baseline);
  number_field(w, "peak", inc.peak);
  w.key("causes");
  w.begin_array();
  for (const Cause& c : inc.causes) write_cause(w, c);
  w.end_array();
  w.end_object();
}

void append_dead_letter_json(std::string& out, const Record& record, const Error& reason) {
  JsonWriter w(out);
  w.begin_object();
  w.field("kind", record_kind(record));
  w.field_if_set("field", reason.field);
  w.field("reason", reason.reason);
  w.key("record");
  std::string encoded;
  codec::encode_native(record, encoded);
  w.raw(encoded);
  w.end_object();
}

std::string aggregate_sentence(const ImpactAggregate& a) {
  const std::string who = a.type + " events of " + (a.service.empty() ? std::string("the cluster") : a.service);
  std::vector<double> changes = a.latency_change_rel;
  if (changes.empty()) return who + ": " + std::to_string(a.count) + " seen, no latency to judge them by";
  const double median = quantile_of(changes, 0.5);
  const std::string n = " (n = " + std::to_string(changes.size()) + ")";
  if (std::fabs(median) < 0.01) return who + " left p95 latency where it was" + n;
  return who + (median < 0 ? " lowered" : " raised") + " p95 latency by a median " +
         fixed(std::fabs(median) * 100, 0) + " %" + n;
}

void append_aggregates_json(std::string& out,
                            const std::map<std::pair<std::string, std::string>, ImpactAggregate>& aggregates) {
  JsonWriter w(out);
  w.begin_array();
  for (const auto& [key, a] : aggregates) {
    w.begin_object();
    w.field("service", a.service);
    w.field("type", a.type);
    w.key("count");
    w.integer(static_cast<std::int64_t>(a.count));
    w.key("verdicts");
    w.begin_object();
    for (const auto& [value, n] : a.verdicts) {
      w.key(value);
      w.integer(static_cast<std::int64_t>(n));
    }
    w.end_object();
    std::vector<double> changes = a.latency_change_rel;
    w.key("latency_change_rel");
    w.begin_object();
    w.key("n");
    w.integer(static_cast<std::int64_t>(changes.size()));
    number_field(w, "p25", quantile_of(changes, 0.25));
    number_field(w, "median", quantile_of(changes, 0.5));
    number_field(w, "p75", quantile_of(changes, 0.75));
    w.end_object();
    w.field("sentence", aggregate_sentence(a));
    w.end_object();
  }
  w.end_array();
}

void append_problem_json(std::string& out, const Problem& p) {
  JsonWriter w(out);
  w.begin_object();
  w.field("id", p.id);
  w.field("root", p.root);
  w.key("root_cause");
  if (p.root_cause.kind.empty()) {
    w.null();
  } else {
    write_cause(w, p.root_cause);
  }
  w.key("start");
  w.time(p.start);
  write_end(w, p.end);
  w.field("severity", p.severity);
  w.field("summary", p.summary);
  w.key("symptoms");
  w.begin_array();
  for (const Incident& s : p.symptoms) {
    w.begin_object();
    write_incident_head(w, s, "incident_id");
    w.key("top_cause");
    if (s.causes.empty()) {
      w.null();
    } else {
      write_cause(w, s.causes.front(), false);
    }
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

void append_explanation_json(std::string& out, const Explanation& e) {
  JsonWriter w(out);
  w.begin_object();
  w.field("id", e.id);
  w.field("service", e.symptom.service);
  w.key("time");
  w.time(e.symptom.time);
  w.key("role");
  if (e.symptom.role.empty()) {
    w.null();
  } else {
    w.string(e.symptom.role);
  }
  w.field("summary", e.summary);
  write_confidence(w, e.causes);
  w.key("causes");
  w.begin_array();
  for (const Cause& c : e.causes) write_cause(w, c);
  w.end_array();
  w.end_object();
}

}  // namespace eventlens::correlate
