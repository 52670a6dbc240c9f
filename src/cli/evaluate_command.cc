#include "cli/evaluate_command.h"

#include <algorithm>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "codec/json_writer.h"
#include "evaluate/inputs.h"
#include "evaluate/score.h"
#include "model/result.h"
#include "model/time.h"
#include "simulate/truth.h"

namespace eventlens::cli {
namespace {

using evaluate::EngineCause;
using evaluate::EngineIncident;
using evaluate::EngineResults;
using evaluate::EngineVerdict;
using evaluate::Evaluation;
using evaluate::ProvisioningError;
using simulate::IncidentTruth;
using simulate::RootCause;
using simulate::Truth;

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
  nullable("rca_top1_confident", ev.rca_top1_confident.value());
  count("rca_confident_n", ev.rca_top1_confident.n);
  count("rca_top1_confident_hits", ev.rca_top1_confident.hits);
  nullable("rca_top1_unconfident", ev.rca_top1_unconfident.value());
  count("rca_unconfident_n", ev.rca_top1_unconfident.n);
  count("rca_top1_unconfident_hits", ev.rca_top1_unconfident.hits);
  count("shared_symptoms", ev.shared_symptoms);
  nullable("rca_top1_any_cause", ev.rca_top1_any_cause.value());
  count("rca_top1_any_cause_hits", ev.rca_top1_any_cause.hits);
  nullable("rca_top1_bound", ev.rca_top1_bound.value());
  count("rca_top1_bound_hits", ev.rca_top1_bound.hits);
  nullable("false_incidents_per_hour", ev.false_incidents_per_hour);
  count("engine_incidents", ev.engine_incidents);
  count("false_incidents", ev.false_incidents.size());
  if (ev.problems_scored) {
    nullable("problems_per_cause", ev.problems_per_cause());
    nullable("problem_purity", ev.problem_purity());
    count("problems", ev.problems);
    count("problem_causes_n", ev.problem_causes);
    count("problems_over_causes", ev.problems_over_causes);
    count("problems_attributed_n", ev.problems_attributed);
    count("problems_pure", ev.problems_pure);
  }
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
  row("rca_top1_confident", ev.rca_top1_confident.value(),
      of(ev.rca_top1_confident.hits, ev.rca_top1_confident.n, "named with confidence"));
  row("rca_top1_unconfident", ev.rca_top1_unconfident.value(),
      of(ev.rca_top1_unconfident.hits, ev.rca_top1_unconfident.n, "no confident cause"));
  row("rca_top1_any_cause", ev.rca_top1_any_cause.value(),
      of(ev.rca_top1_any_cause.hits, ev.rca_top1_any_cause.n, "naming a root of their symptom") + ", " +
          std::to_string(ev.shared_symptoms) + " sharing it with another fault");
  row("rca_top1_bound", ev.rca_top1_bound.value(),
      of(ev.rca_top1_bound.hits, ev.rca_top1_bound.n, "at most, one incident per symptom"));
  row("false_incidents_per_hour", ev.false_incidents_per_hour,
      of(ev.false_incidents.size(), ev.engine_incidents, "engine incidents"));
  if (ev.problems_scored) {
    row("problems_per_cause", ev.problems_per_cause(),
        of(ev.problems_over_causes, ev.problem_causes, "truth causes with incidents (problems of)"));
    row("problem_purity", ev.problem_purity(), of(ev.problems_pure, ev.problems_attributed, "problems pure"));
  }

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

  auto truth_bytes = evaluate::read_whole_file(options.truth);
  if (!truth_bytes) return input_error(options.truth, truth_bytes.error());
  auto truth = evaluate::read_truth(*truth_bytes);
  if (!truth) return input_error(options.truth, truth.error());

  EngineResults results;
  const std::string enriched_path = (fs::path(options.results) / "enriched_events.jsonl").string();
  auto enriched = evaluate::read_whole_file(enriched_path);
  if (!enriched) return input_error(enriched_path, enriched.error());
  if (Status st = evaluate::read_enriched_events(*enriched, results); !st) return input_error(enriched_path, st.error());

  const std::string incidents_path = (fs::path(options.results) / "incidents.jsonl").string();
  auto incidents = evaluate::read_whole_file(incidents_path);
  if (!incidents) return input_error(incidents_path, incidents.error());
  if (Status st = evaluate::read_incidents(*incidents, results); !st) return input_error(incidents_path, st.error());

  // Results of a replay before problems existed have none to score.
  const std::string problems_path = (fs::path(options.results) / "problems.jsonl").string();
  if (fs::exists(problems_path, ec)) {
    auto problems = evaluate::read_whole_file(problems_path);
    if (!problems) return input_error(problems_path, problems.error());
    if (Status st = evaluate::read_problems(*problems, results); !st) return input_error(problems_path, st.error());
  }

  const Evaluation ev = evaluate::evaluate(*truth, results);
  std::string out;
  if (options.json) write_json(*truth, ev, out);
  else write_table(*truth, ev, out);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace eventlens::cli