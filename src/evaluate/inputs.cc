#include "evaluate/inputs.h"

#include <simdjson.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "evaluate/internal/json_fields.h"

namespace eventlens::evaluate {

using internal::Fields;
using internal::read_json_lines;
using simulate::IncidentTruth;
using simulate::OomTruth;
using simulate::ProvisioningTruth;
using simulate::ScalingTruth;
using simulate::Truth;
namespace dom = simdjson::dom;

Result<std::string> read_whole_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return make_error("", std::string("cannot open: ") + std::strerror(errno));
  std::string bytes;
  char buffer[1 << 16];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) bytes.append(buffer, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return make_error("", "read error");
  return bytes;
}

// Reads the parts of truth.json (docs/simulate.md) that evaluate scores into
// simulate::Truth; other members keep their defaults. Nulls read as the
// sentinels truth.h uses: a provisioning delay as 0 (so it is not scored), an
// incident end as 0 (open until the run's end).
Result<Truth> read_truth(std::string_view bytes) {
  dom::parser parser;
  dom::element doc;
  if (auto err = parser.parse(bytes.data(), bytes.size()).get(doc)) {
    return make_error("", std::string("not JSON: ") + simdjson::error_message(err));
  }
  std::optional<Error> error;
  Fields top(doc, "", error);
  Truth t;
  t.scenario = top.string("scenario");
  t.seed = top.unsigned_integer("seed");
  t.start = top.time("start");
  t.end = top.time("end");
  top.each("scaling", [&](Fields& f) {
    ScalingTruth s;
    s.event_id = f.string("event_id");
    s.service = f.string_or_null("service");
    s.type = f.string_or_null("type");
    s.time = f.time_or_null("time").value_or(0);
    s.verdict = f.string("verdict");
    s.relief = f.number_or_null("relief").value_or(0);
    t.scaling.push_back(std::move(s));
  });
  top.each("oom_kills", [&](Fields& f) {
    OomTruth o;
    o.event_id = f.string("event_id");
    o.service = f.string_or_null("service");
    o.time = f.time_or_null("time").value_or(0);
    o.attribution = f.string("attribution");
    t.oom_kills.push_back(std::move(o));
  });
  top.each("provisioning", [&](Fields& f) {
    ProvisioningTruth p;
    p.request_event_id = f.string("request_event_id");
    p.service = f.string_or_null("service");
    p.requested = f.time_or_null("requested").value_or(0);
    p.delay_s = f.number_or_null("delay_s").value_or(0);
    t.provisioning.push_back(std::move(p));
  });
  top.each("incidents", [&](Fields& f) {
    IncidentTruth i;
    i.id = f.string("id");
    i.service = f.string("service");
    i.signal = f.string_or_null("signal");
    i.start = f.time("start");
    i.end = f.time_or_null("end").value_or(0);
    i.cause = f.string_or_null("cause");
    f.object("root_cause", [&](Fields& r) {
      i.root_cause.kind = r.string("kind");
      i.root_cause.service = r.string_or_null("service");
      i.root_cause.event_id = r.string_or_null("event_id");
      i.root_cause.type = r.string_or_null("type");
      // Each kind is scored by one member; without it the incident cannot be scored.
      if (i.root_cause.kind == "event") {
        if (i.root_cause.event_id.empty()) r.fail("event_id", "missing for a root cause of kind event");
      } else if (i.root_cause.kind == "service") {
        if (i.root_cause.service.empty()) r.fail("service", "missing for a root cause of kind service");
      } else {
        r.fail("kind", "\"" + i.root_cause.kind + "\" is neither event nor service");
      }
    });
    t.incidents.push_back(std::move(i));
  });
  if (error) return *error;
  if (t.end <= t.start) return make_error("end", "not after start");
  return t;
}

// Keeps the verdict of each event's final record (the last one, should there
// be several); provisional records are early guesses that evaluate ignores.
Status read_enriched_events(std::string_view bytes, EngineResults& out) {
  return read_json_lines(bytes, [&](Fields& f) {
    std::string event_id = f.string("event_id");
    const std::string stage = f.string("stage");
    if (stage == "provisional") return;
    if (stage != "final") {
      f.fail("stage", "\"" + stage + "\" is neither final nor provisional");
      return;
    }
    EngineVerdict v;
    f.object("verdict", [&](Fields& verdict) {
      v.kind = verdict.string_or_null("kind");
      v.value = verdict.string("value");
      v.relief = verdict.number_or_null("relief");
      v.delay_s = verdict.number_or_null("delay_s");
    });
    out.final_verdicts[std::move(event_id)] = std::move(v);
  });
}

Status read_incidents(std::string_view bytes, EngineResults& out) {
  return read_json_lines(bytes, [&](Fields& f) {
    EngineIncident incident;
    incident.id = f.string("id");
    incident.service = f.string("service");
    incident.start = f.time("start");
    incident.end = f.time_or_null("end");
    f.each("causes", [&](Fields& c) {
      EngineCause cause;
      cause.kind = c.string("kind");
      cause.service = c.string_or_null("service");
      cause.event_id = c.string_or_null("event_id");
      cause.type = c.string_or_null("type");
      cause.score = c.number_or_null("score");
      incident.causes.push_back(std::move(cause));
    });
    f.object_if_present("confidence", [&](Fields& c) { incident.confident = c.boolean("confident"); });
    out.incidents.push_back(std::move(incident));
  });
}

Status read_problems(std::string_view bytes, EngineResults& out) {
  out.has_problems = true;
  return read_json_lines(bytes, [&](Fields& f) {
    EngineProblem problem;
    problem.id = f.string("id");
    f.each("symptoms", [&](Fields& s) { problem.incident_ids.push_back(s.string("incident_id")); });
    out.problems.push_back(std::move(problem));
  });
}

}  // namespace eventlens::evaluate
