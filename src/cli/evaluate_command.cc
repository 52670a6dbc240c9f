#include "cli/evaluate_command.h"

#include <simdjson.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "codec/json_writer.h"
#include "model/result.h"
#include "model/time.h"
#include "simulate/truth.h"

namespace eventlens::cli {
namespace {

namespace dom = simdjson::dom;
using simulate::IncidentTruth;
using simulate::OomTruth;
using simulate::ProvisioningTruth;
using simulate::RootCause;
using simulate::ScalingTruth;
using simulate::Truth;

// How far around a truth incident an engine incident may lie and still be
// about it: detectors need some seconds of evidence to open an incident and
// some quiet ones to close it.
constexpr TimeNs kIncidentSlack = 120 * kNanosPerSecond;

// ---------------------------------------------------------------------------
// Reading JSON

// Reads typed members of one JSON object. The first failure goes to a slot
// that all readers of one document share and names the member's path
// ("incidents[2].root_cause.kind"); after it every read returns an empty
// value, so code that reads a whole record checks for an error once, at the end.
class Fields {
 public:
  Fields(dom::element element, std::string path, std::optional<Error>& error)
      : path_(std::move(path)), error_(error) {
    dom::object object;
    if (element.get_object().get(object) == simdjson::SUCCESS) {
      object_ = object;
    } else if (!error_) {
      error_ = make_error(path_, "not a JSON object");
    }
  }

  std::string string(std::string_view key) {
    const auto m = member(key, /*nullable=*/false);
    return m ? as_string(key, *m) : std::string();
  }
  // Returns "" when the member is missing or null.
  std::string string_or_null(std::string_view key) {
    const auto m = member(key, /*nullable=*/true);
    return m ? as_string(key, *m) : std::string();
  }

  // Returns nullopt when the member is missing or null.
  std::optional<double> number_or_null(std::string_view key) {
    const auto m = member(key, /*nullable=*/true);
    if (!m) return std::nullopt;
    double v = 0;
    if (m->get_double().get(v) != simdjson::SUCCESS) {
      fail(key, "not a number or null");
      return std::nullopt;
    }
    return v;
  }

  std::uint64_t unsigned_integer(std::string_view key) {
    const auto m = member(key, /*nullable=*/false);
    std::uint64_t v = 0;
    if (m && m->get_uint64().get(v) != simdjson::SUCCESS) fail(key, "not a non-negative integer");
    return v;
  }

  TimeNs time(std::string_view key) {
    const auto m = member(key, /*nullable=*/false);
    return m ? as_time(key, *m) : 0;
  }
  // Returns nullopt when the member is missing or null.
  std::optional<TimeNs> time_or_null(std::string_view key) {
    const auto m = member(key, /*nullable=*/true);
    if (!m) return std::nullopt;
    return as_time(key, *m);
  }

  // Calls read(Fields&) with the object member `key`.
  template <typename Read>
  void object(std::string_view key, Read read) {
    const auto m = member(key, /*nullable=*/false);
    if (!m) return;
    Fields inner(*m, path_of(key), error_);
    if (!error_) read(inner);
  }

  // Calls read(Fields&) with each object of the array member `key`.
  template <typename Read>
  void each(std::string_view key, Read read) {
    const auto m = member(key, /*nullable=*/false);
    if (!m) return;
    dom::array array;
    if (m->get_array().get(array) != simdjson::SUCCESS) {
      fail(key, "not an array");
      return;
    }
    std::size_t index = 0;
    for (dom::element item : array) {
      Fields inner(item, path_of(key) + "[" + std::to_string(index++) + "]", error_);
      if (!error_) read(inner);
      if (error_) return;
    }
  }

  // Records that member `key` is wrong, unless an earlier failure is kept.
  void fail(std::string_view key, std::string reason) {
    if (!error_) error_ = make_error(path_of(key), std::move(reason));
  }

 private:
  // Returns the member; nullopt when it is missing or null, which is a
  // failure unless `nullable`.
  std::optional<dom::element> member(std::string_view key, bool nullable) {
    if (error_ || !object_) return std::nullopt;
    dom::element e;
    const bool present = object_->at_key(key).get(e) == simdjson::SUCCESS;
    if (present && !e.is_null()) return e;
    if (!nullable) fail(key, present ? "is null" : "missing");
    return std::nullopt;
  }

  std::string as_string(std::string_view key, dom::element e) {
    std::string_view s;
    if (e.get_string().get(s) != simdjson::SUCCESS) {
      fail(key, "not a string");
      return {};
    }
    return std::string(s);
  }

  TimeNs as_time(std::string_view key, dom::element e) {
    const std::string text = as_string(key, e);
    if (error_) return 0;
    auto t = parse_rfc3339(text);
    if (!t) {
      fail(key, "not an RFC 3339 time: \"" + text + "\"");
      return 0;
    }
    return *t;
  }

  std::string path_of(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  std::optional<dom::object> object_;
  std::string path_;
  std::optional<Error>& error_;
};

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

// Calls read(Fields&) for each non-blank line of a JSON-lines file. Returns the
// first malformed line's error, its field led by the line number.
template <typename Read>
Status read_json_lines(std::string_view bytes, Read read) {
  dom::parser parser;
  std::size_t line_number = 0;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t end = bytes.find('\n', pos);
    if (end == std::string_view::npos) end = bytes.size();
    const std::string_view line = bytes.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = "line " + std::to_string(line_number);
    dom::element doc;
    if (auto err = parser.parse(line.data(), line.size()).get(doc)) {
      return make_error(where, std::string("not JSON: ") + simdjson::error_message(err));
    }
    std::optional<Error> error;
    Fields fields(doc, "", error);
    read(fields);
    if (error) return make_error(error->field.empty() ? where : where + ": " + error->field, error->reason);
  }
  return ok_status();
}

// What `eventlens replay` concluded, as far as evaluate scores it.
struct EngineVerdict {
  std::string kind;
  std::string value;
  std::optional<double> relief;
  std::optional<double> delay_s;
};

struct EngineCause {
  std::string kind;      // event | service
  std::string service;   // empty when null
  std::string event_id;  // empty when null
  std::string type;
  std::optional<double> score;
};

struct EngineIncident {
  std::string id;
  std::string service;
  TimeNs start = 0;
  std::optional<TimeNs> end;        // nullopt: still open when the run ended
  std::vector<EngineCause> causes;  // best first
};

struct EngineResults {
  std::unordered_map<std::string, EngineVerdict> final_verdicts;  // by event_id
  std::vector<EngineIncident> incidents;
};

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
    out.incidents.push_back(std::move(incident));
  });
}

// ---------------------------------------------------------------------------
// Scoring (the definitions are docs/evaluate.md's)

// hits of n; null when there was nothing to score.
struct Fraction {
  std::size_t hits = 0;
  std::size_t n = 0;
  std::optional<double> value() const {
    if (n == 0) return std::nullopt;
    return static_cast<double>(hits) / static_cast<double>(n);
  }
};

// An interval of event time, both ends included.
struct Interval {
  TimeNs from = 0;
  TimeNs to = 0;
  bool intersects(const Interval& other) const { return from <= other.to && other.from <= to; }
};

struct ScalingMiss {
  const ScalingTruth* truth;
  const EngineVerdict* engine;  // nullptr: no final record
};

struct OomMiss {
  const OomTruth* truth;
  const EngineVerdict* engine;  // nullptr: no final record
};

struct ProvisioningError {
  const ProvisioningTruth* truth;
  const EngineVerdict* engine;  // nullptr: no final record
  double rel_error;
};

struct RcaMiss {
  const IncidentTruth* truth;
  const EngineIncident* matched;  // nullptr: no engine incident near it
  bool top3;
};

struct Evaluation {
  double hours = 0;
  Fraction scaling;
  Fraction oom;
  std::vector<ProvisioningError> provisioning;
  std::optional<double> provisioning_p50;
  Fraction rca_top1;
  Fraction rca_top3;
  std::size_t engine_incidents = 0;
  std::vector<const EngineIncident*> false_incidents;
  std::optional<double> false_incidents_per_hour;

  // What went wrong, for whoever reads the table.
  std::vector<ScalingMiss> scaling_misses;
  std::vector<OomMiss> oom_misses;
  std::vector<RcaMiss> rca_misses;
};

const EngineVerdict* final_verdict(const EngineResults& results, const std::string& event_id) {
  const auto it = results.final_verdicts.find(event_id);
  return it == results.final_verdicts.end() ? nullptr : &it->second;
}

void score_scaling(const Truth& truth, const EngineResults& results, Evaluation& ev) {
  for (const auto& s : truth.scaling) {
    // "unknown": the truth itself could not judge it, so neither answer is wrong.
    if (s.verdict != "effective" && s.verdict != "ineffective" && s.verdict != "harmful") continue;
    ++ev.scaling.n;
    const EngineVerdict* engine = final_verdict(results, s.event_id);
    if (engine != nullptr && engine->value == s.verdict) ++ev.scaling.hits;
    else ev.scaling_misses.push_back({&s, engine});
  }
}

void score_oom(const Truth& truth, const EngineResults& results, Evaluation& ev) {
  for (const auto& o : truth.oom_kills) {
    ++ev.oom.n;
    const EngineVerdict* engine = final_verdict(results, o.event_id);
    if (engine != nullptr && engine->value == o.attribution) ++ev.oom.hits;
    else ev.oom_misses.push_back({&o, engine});
  }
}

// Returns the median; the mean of the middle two for an even count.
std::optional<double> median(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

void score_provisioning(const Truth& truth, const EngineResults& results, Evaluation& ev) {
  std::vector<double> errors;
  for (const auto& p : truth.provisioning) {
    if (!(p.delay_s > 0)) continue;
    const EngineVerdict* engine = final_verdict(results, p.request_event_id);
    const std::optional<double> delay = engine != nullptr ? engine->delay_s : std::nullopt;
    // An engine that says nothing is as wrong as one that says "no delay".
    const double rel_error = delay ? std::abs(*delay - p.delay_s) / p.delay_s : 1.0;
    ev.provisioning.push_back({&p, engine, rel_error});
    errors.push_back(rel_error);
  }
  ev.provisioning_p50 = median(std::move(errors));
}

Interval widened_window(const IncidentTruth& i, TimeNs run_end) {
  return {i.start - kIncidentSlack, (i.end != 0 ? i.end : run_end) + kIncidentSlack};
}

Interval engine_interval(const EngineIncident& e, TimeNs run_end) {
  return {e.start, e.end.value_or(std::max(e.start, run_end))};
}

// Returns the engine incident a truth incident is judged by. First choice:
// those that began inside its widened window (an incident the fault opened),
// the earliest on its own service, else the earliest on any service (the
// engine may have seen the fault where it began rather than where the truth
// saw it). Only when none began there: those already open that overlap the
// window, the latest to begin (same service first). nullptr when none.
const EngineIncident* matching_incident(const IncidentTruth& truth, const std::vector<EngineIncident>& incidents,
                                        TimeNs run_end) {
  const Interval window = widened_window(truth, run_end);
  const EngineIncident* began_same = nullptr;
  const EngineIncident* began_any = nullptr;
  const EngineIncident* open_same = nullptr;
  const EngineIncident* open_any = nullptr;
  for (const auto& e : incidents) {
    if (!window.intersects(engine_interval(e, run_end))) continue;
    const bool same = e.service == truth.service;
    if (window.intersects({e.start, e.start})) {
      if (same && (began_same == nullptr || e.start < began_same->start)) began_same = &e;
      if (began_any == nullptr || e.start < began_any->start) began_any = &e;
    } else {
      if (same && (open_same == nullptr || e.start > open_same->start)) open_same = &e;
      if (open_any == nullptr || e.start > open_any->start) open_any = &e;
    }
  }
  if (began_same != nullptr) return began_same;
  if (began_any != nullptr) return began_any;
  return open_same != nullptr ? open_same : open_any;
}

// Returns true when one of the first k causes names the root cause: the same
// event for an event, the same service (from a cause of either kind) for a
// service.
bool root_cause_in_top(const RootCause& root, const std::vector<EngineCause>& causes, std::size_t k) {
  for (std::size_t i = 0; i < std::min(k, causes.size()); ++i) {
    const EngineCause& c = causes[i];
    if (root.kind == "event" ? c.event_id == root.event_id : c.service == root.service) return true;
  }
  return false;
}

void score_incidents(const Truth& truth, const EngineResults& results, Evaluation& ev) {
  for (const auto& t : truth.incidents) {
    ++ev.rca_top1.n;
    ++ev.rca_top3.n;
    const EngineIncident* matched = matching_incident(t, results.incidents, truth.end);
    const bool top1 = matched != nullptr && root_cause_in_top(t.root_cause, matched->causes, 1);
    const bool top3 = matched != nullptr && root_cause_in_top(t.root_cause, matched->causes, 3);
    ev.rca_top1.hits += top1;
    ev.rca_top3.hits += top3;
    if (!top1) ev.rca_misses.push_back({&t, matched, top3});
  }
  ev.engine_incidents = results.incidents.size();
  for (const auto& e : results.incidents) {
    const Interval span = engine_interval(e, truth.end);
    const bool near_truth = std::any_of(truth.incidents.begin(), truth.incidents.end(), [&](const IncidentTruth& t) {
      return widened_window(t, truth.end).intersects(span);
    });
    if (!near_truth) ev.false_incidents.push_back(&e);
  }
  if (ev.hours > 0) ev.false_incidents_per_hour = static_cast<double>(ev.false_incidents.size()) / ev.hours;
}

Evaluation evaluate(const Truth& truth, const EngineResults& results) {
  Evaluation ev;
  ev.hours = static_cast<double>(truth.end - truth.start) / (3600.0 * kNanosPerSecond);
  score_scaling(truth, results, ev);
  score_oom(truth, results, ev);
  score_provisioning(truth, results, ev);
  score_incidents(truth, results, ev);
  return ev;
}

// ---------------------------------------------------------------------------
// Output

void write_json(const Truth& truth, const Evaluation& ev, std::string& out) {
  codec::JsonWriter w(out);
  const auto nullable = [&w](std::string_view key, std::optional<double> v) {
    w.key(key);
    if (v) w.number(*v);
    else w.null();
  };
  const auto count = [&w](std::string_view key, std::size_t n) {
    w.key(key);
    w.integer(static_cast<std::int64_t>(n));
  };
  w.begin_object();
  w.field("scenario", truth.scenario);
  w.key("seed");
  w.integer(static_cast<std::int64_t>(truth.seed));
  w.key("hours");
  w.number(ev.hours);
  nullable("scaling_verdict_accuracy", ev.scaling.value());
  count("scaling_n", ev.scaling.n);
  count("scaling_correct", ev.scaling.hits);
  nullable("oom_attribution_accuracy", ev.oom.value());
  count("oom_n", ev.oom.n);
  count("oom_correct", ev.oom.hits);
  nullable("provisioning_delay_rel_error_p50", ev.provisioning_p50);
  count("provisioning_n", ev.provisioning.size());
  // Every relative error, so that runs can be pooled into one median.
  w.key("provisioning_rel_errors");
  w.begin_array();
  for (const auto& p : ev.provisioning) w.number(p.rel_error);
  w.end_array();
  nullable("rca_top1", ev.rca_top1.value());
  nullable("rca_top3", ev.rca_top3.value());
  count("incidents_n", ev.rca_top1.n);
  count("rca_top1_hits", ev.rca_top1.hits);
  count("rca_top3_hits", ev.rca_top3.hits);
  nullable("false_incidents_per_hour", ev.false_incidents_per_hour);
  count("engine_incidents", ev.engine_incidents);
  count("false_incidents", ev.false_incidents.size());
  w.end_object();
  out += '\n';
}

[[gnu::format(printf, 2, 3)]] void append_format(std::string& out, const char* format, ...) {
  char buffer[1024];
  va_list args;
  va_start(args, format);
  const int n = std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  if (n > 0) out.append(buffer, std::min(static_cast<std::size_t>(n), sizeof buffer - 1));
}

std::string format_value(std::optional<double> v) {
  if (!v) return "-";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", *v);
  return buffer;
}

std::string format_time(TimeNs t) { return t == 0 ? std::string("?") : format_rfc3339(t); }

std::string format_end(std::optional<TimeNs> end) { return end ? format_rfc3339(*end) : std::string("open"); }

std::string describe_verdict(const EngineVerdict* v) {
  if (v == nullptr) return "no final record";
  std::string s = v->value;
  if (v->relief) s += " (relief " + format_value(v->relief) + ")";
  return s;
}

std::string describe_root_cause(const RootCause& r) {
  if (r.kind == "event") return "event " + r.event_id + " (" + r.type + " on " + r.service + ")";
  return "service " + r.service + (r.type.empty() ? "" : " (" + r.type + ")");
}

std::string describe_cause(const EngineCause& c) {
  std::string s = c.kind + " " + (c.service.empty() ? "?" : c.service);
  if (!c.type.empty()) s += " " + c.type;
  if (!c.event_id.empty()) s += " " + c.event_id;
  if (c.score) s += "  score " + format_value(c.score);
  return s;
}

// Writes the incident on one line after `indent`, then its first `causes` causes.
void write_engine_incident(const EngineIncident& e, std::size_t causes, const char* indent, std::string& out) {
  append_format(out, "%sengine %s %s %s .. %s\n", indent, e.id.c_str(), e.service.c_str(),
                format_rfc3339(e.start).c_str(), format_end(e.end).c_str());
  if (e.causes.empty()) append_format(out, "%s  (no causes)\n", indent);
  for (std::size_t i = 0; i < std::min(causes, e.causes.size()); ++i) {
    append_format(out, "%s  %zu. %s\n", indent, i + 1, describe_cause(e.causes[i]).c_str());
  }
}

// The table, then each miss: enough to see what the engine got wrong without
// opening the files.
void write_table(const Truth& truth, const Evaluation& ev, std::string& out) {
  append_format(out, "scenario %s, seed %llu, %.2f h\n\n", truth.scenario.c_str(),
                static_cast<unsigned long long>(truth.seed), ev.hours);
  append_format(out, "%-34s %8s  %s\n", "metric", "value", "from");
  const auto row = [&out](const char* name, std::optional<double> v, const std::string& from) {
    append_format(out, "%-34s %8s  %s\n", name, format_value(v).c_str(), from.c_str());
  };
  const auto of = [](std::size_t hits, std::size_t n, const char* what) {
    return std::to_string(hits) + " of " + std::to_string(n) + " " + what;
  };
  row("scaling_verdict_accuracy", ev.scaling.value(), of(ev.scaling.hits, ev.scaling.n, "scaling verdicts right"));
  row("oom_attribution_accuracy", ev.oom.value(), of(ev.oom.hits, ev.oom.n, "OOM kills attributed"));
  row("provisioning_delay_rel_error_p50", ev.provisioning_p50,
      std::to_string(ev.provisioning.size()) + " node requests");
  row("rca_top1", ev.rca_top1.value(), of(ev.rca_top1.hits, ev.rca_top1.n, "truth incidents"));
  row("rca_top3", ev.rca_top3.value(), of(ev.rca_top3.hits, ev.rca_top3.n, "truth incidents"));
  row("false_incidents_per_hour", ev.false_incidents_per_hour,
      of(ev.false_incidents.size(), ev.engine_incidents, "engine incidents"));

  if (!ev.scaling_misses.empty()) {
    append_format(out, "\nscaling verdicts wrong (%zu):\n", ev.scaling_misses.size());
    for (const auto& m : ev.scaling_misses) {
      append_format(out, "  %s %s %s %s: truth %s (relief %s), engine %s\n", m.truth->event_id.c_str(),
                    m.truth->service.c_str(), m.truth->type.c_str(), format_time(m.truth->time).c_str(),
                    m.truth->verdict.c_str(), format_value(m.truth->relief).c_str(),
                    describe_verdict(m.engine).c_str());
    }
  }
  if (!ev.oom_misses.empty()) {
    append_format(out, "\nOOM kills misattributed (%zu):\n", ev.oom_misses.size());
    for (const auto& m : ev.oom_misses) {
      append_format(out, "  %s %s %s: truth %s, engine %s\n", m.truth->event_id.c_str(), m.truth->service.c_str(),
                    format_time(m.truth->time).c_str(), m.truth->attribution.c_str(),
                    describe_verdict(m.engine).c_str());
    }
  }
  // Only the ones that pull the median above the 10 % target are worth a line.
  std::vector<const ProvisioningError*> far_off;
  for (const auto& p : ev.provisioning) {
    if (p.rel_error > 0.10) far_off.push_back(&p);
  }
  if (!far_off.empty()) {
    append_format(out, "\nprovisioning delays off by more than 10 %% (%zu):\n", far_off.size());
    for (const auto* p : far_off) {
      const std::string engine = p->engine == nullptr          ? "no final record"
                                 : p->engine->delay_s.has_value() ? format_value(p->engine->delay_s) + " s"
                                                                  : "delay_s null";
      append_format(out, "  %s %s requested %s: truth %.3f s, engine %s (rel error %.3f)\n",
                    p->truth->request_event_id.c_str(), p->truth->service.c_str(),
                    format_time(p->truth->requested).c_str(), p->truth->delay_s, engine.c_str(), p->rel_error);
    }
  }
  if (!ev.rca_misses.empty()) {
    append_format(out, "\nroot causes not ranked first (%zu):\n", ev.rca_misses.size());
    for (const auto& m : ev.rca_misses) {
      const IncidentTruth& t = *m.truth;
      append_format(out, "  %s %s %s %s .. %s, root cause %s%s\n", t.id.c_str(), t.service.c_str(),
                    t.signal.c_str(), format_rfc3339(t.start).c_str(), t.end != 0 ? format_rfc3339(t.end).c_str() : "open",
                    describe_root_cause(t.root_cause).c_str(), m.top3 ? " (in the top 3)" : "");
      if (m.matched == nullptr) out += "    no engine incident within 120 s\n";
      else write_engine_incident(*m.matched, 3, "    ", out);
    }
  }
  if (!ev.false_incidents.empty()) {
    append_format(out, "\nengine incidents near no truth incident (%zu):\n", ev.false_incidents.size());
    for (const auto* e : ev.false_incidents) write_engine_incident(*e, 1, "  ", out);
  }
}

int input_error(const std::string& file, const Error& error) {
  std::fprintf(stderr, "eventlens evaluate: %s: %s\n", file.c_str(), error.to_string().c_str());
  return 2;
}

}  // namespace

int run_evaluate(const EvaluateCommandOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(options.results, ec)) {
    std::fprintf(stderr, "eventlens evaluate: --results: %s is not a directory\n", options.results.c_str());
    return 2;
  }

  auto truth_bytes = read_whole_file(options.truth);
  if (!truth_bytes) return input_error(options.truth, truth_bytes.error());
  auto truth = read_truth(*truth_bytes);
  if (!truth) return input_error(options.truth, truth.error());

  EngineResults results;
  const std::string enriched_path = (fs::path(options.results) / "enriched_events.jsonl").string();
  auto enriched = read_whole_file(enriched_path);
  if (!enriched) return input_error(enriched_path, enriched.error());
  if (Status st = read_enriched_events(*enriched, results); !st) return input_error(enriched_path, st.error());

  const std::string incidents_path = (fs::path(options.results) / "incidents.jsonl").string();
  auto incidents = read_whole_file(incidents_path);
  if (!incidents) return input_error(incidents_path, incidents.error());
  if (Status st = read_incidents(*incidents, results); !st) return input_error(incidents_path, st.error());

  const Evaluation ev = evaluate(*truth, results);
  std::string out;
  if (options.json) write_json(*truth, ev, out);
  else write_table(*truth, ev, out);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace eventlens::cli
