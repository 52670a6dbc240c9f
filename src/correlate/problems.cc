#include "correlate/problems.h"

#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <utility>

#include "correlate/checkpoint_records.h"
#include "correlate/confidence.h"
#include "correlate/phrases.h"
#include "model/taxonomy.h"
#include "stream/state_io.h"

namespace eventlens::correlate {

namespace {

std::string problem_id(const std::string& root, const std::string& first_incident) {
  const std::string key = root + '\0' + first_incident;
  char buf[32];
  std::snprintf(buf, sizeof buf, "prob-%016llx", static_cast<unsigned long long>(XXH3_64bits(key.data(), key.size())));
  return buf;
}

TimeNs end_of(const Incident& inc) { return inc.end.value_or(inc.start); }

// The type of a failure event an incident's top cause names ("oom_killed"),
// or "": a loop of the same failure (OOM kills of a leaking service, a crash
// loop) is one problem however far apart its rounds are.
std::string recurring_failure(const Incident& inc) {
  if (inc.causes.empty() || inc.causes.front().kind != "event") return {};
  const std::string& type = inc.causes.front().type;
  return category_of_type(type) == Category::failure ? type : std::string();
}

// An event before a service; then the higher score; then the earlier.
bool better_root_cause(const Cause& a, const Cause& b) {
  if ((a.kind == "event") != (b.kind == "event")) return a.kind == "event";
  if (a.score != b.score) return a.score > b.score;
  return a.time < b.time;
}

// The root a cause names (see Problem::root); `service` for a cause of
// neither a service nor an event.
std::string root_of_cause(const Cause& c, const std::string& service) {
  return c.kind == "event" || !c.service.empty() ? root_of(c) : service;
}

std::string symptom_phrase(const Incident& inc) {
  return role_phrase(inc.role) + " of " + inc.service + " from " + clock_time(inc.start);
}

}  // namespace

std::string problem_root(const Incident& incident) {
  if (incident.causes.empty()) return incident.service;
  return root_of_cause(incident.causes.front(), incident.service);
}

void ProblemTracker::on_incident(const Incident& incident, bool final) {
  next_.on_incident(incident, final);
  if (!final) {
    incidents_open_.emplace(incident.id, incident.start);
    return;
  }
  incidents_open_.erase(incident.id);
  const std::string root = problem_root(incident);
  const std::string recurring = recurring_failure(incident);
  // An incident with no confident cause is a guess between its first two
  // roots: where no problem of its first root is near, it joins one of its
  // second, rather than open a problem of its own on a coin toss.
  std::string second_root;
  if (const Confidence c = confidence_of(incident.causes); !c.confident && c.runner_up != nullptr) {
    second_root = root_of_cause(*c.runner_up, incident.service);
  }
  Problem* joined = joinable_problem(incident, root, recurring);
  if (joined == nullptr && !second_root.empty()) joined = joinable_problem(incident, second_root, recurring);
  if (joined == nullptr) {
    Problem p;
    p.root = root;
    p.id = problem_id(root, incident.id);
    p.start = incident.start;
    p.end = end_of(incident);
    open_.push_back(std::move(p));
    joined = &open_.back();
  }
  joined->start = std::min(joined->start, incident.start);
  joined->end = std::max(joined->end, end_of(incident));
  const auto at = std::upper_bound(joined->symptoms.begin(), joined->symptoms.end(), incident.start,
                                   [](TimeNs t, const Incident& s) { return t < s.start; });
  joined->symptoms.insert(at, incident);
}

Problem* ProblemTracker::joinable_problem(const Incident& incident, const std::string& root,
                                          const std::string& recurring) {
  Problem* joined = nullptr;
  for (Problem& p : open_) {
    if (p.root != root) continue;
    // By onset: symptoms of one fault begin within minutes of each other;
    // a symptom that lingers does not hold the problem open for what comes
    // after it.
    const TimeNs last_onset = p.symptoms.back().start;
    const bool near = incident.start + gap_ >= p.start && incident.start <= last_onset + gap_;
    const bool recurs = !recurring.empty() && incident.start <= last_onset + recurrence_ &&
                        std::any_of(p.symptoms.begin(), p.symptoms.end(),
                                    [&](const Incident& s) { return recurring_failure(s) == recurring; });
    if (!near && !recurs) continue;
    if (joined == nullptr || p.start > joined->start) joined = &p;
  }
  return joined;
}

void ProblemTracker::emit(Problem& p) {
  p.root_cause = Cause{};
  p.severity = "warning";
  for (const Incident& s : p.symptoms) {
    if (s.severity == "critical") p.severity = "critical";
    // What the symptom blames of the problem's root: its first cause, or,
    // for one that joined on its second root, the best cause naming that.
    const auto it = std::find_if(s.causes.begin(), s.causes.end(),
                                 [&](const Cause& c) { return root_of_cause(c, s.service) == p.root; });
    if (it == s.causes.end()) continue;
    if (p.root_cause.kind.empty() || better_root_cause(*it, p.root_cause)) p.root_cause = *it;
  }
  p.root_cause.rank = p.root_cause.kind.empty() ? 0 : 1;
  p.summary = (p.root_cause.kind.empty() ? "no cause found" : cause_phrase(p.root_cause)) + ": " +
              std::to_string(p.symptoms.size()) + (p.symptoms.size() == 1 ? " symptom (" : " symptoms (");
  for (std::size_t i = 0; i < p.symptoms.size(); ++i) {
    if (i == 3) {
      p.summary += ", " + std::to_string(p.symptoms.size() - 3) + " more";
      break;
    }
    p.summary += (i == 0 ? "" : ", ") + symptom_phrase(p.symptoms[i]);
  }
  p.summary += ")";
  next_.on_problem(p);
  ++emitted_;
}

void ProblemTracker::advance(TimeNs t) {
  if (open_.empty()) return;
  // An incident still open may yet join any problem it started near.
  std::optional<TimeNs> earliest_open;
  for (const auto& [id, start] : incidents_open_) {
    if (!earliest_open || start < *earliest_open) earliest_open = start;
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < open_.size(); ++i) {
    Problem& p = open_[i];
    // The last moment an incident could start and still join.
    const bool recurs = std::any_of(p.symptoms.begin(), p.symptoms.end(),
                                    [](const Incident& s) { return !recurring_failure(s).empty(); });
    const TimeNs reach = p.symptoms.back().start + (recurs ? std::max(gap_, recurrence_) : gap_);
    const bool joinable = t <= reach || (earliest_open && *earliest_open <= reach);
    if (joinable) {
      if (kept != i) open_[kept] = std::move(p);
      ++kept;
    } else {
      emit(p);
    }
  }
  open_.resize(kept);
}

void ProblemTracker::finish() {
  for (Problem& p : open_) emit(p);
  open_.clear();
  incidents_open_.clear();
}

void ProblemTracker::save(stream::StateWriter& out) const {
  out.count(open_.size());
  for (const Problem& p : open_) {
    out.str(p.id);
    out.str(p.root);
    out.count(p.symptoms.size());
    for (const Incident& s : p.symptoms) save_incident(out, s);
  }
  out.count(incidents_open_.size());
  for (const auto& [id, start] : incidents_open_) {
    out.str(id);
    out.i64(start);
  }
  out.u64(emitted_);
}

Status ProblemTracker::load(stream::StateReader& in) {
  open_.clear();
  open_.resize(in.count(8 * 3));
  for (Problem& p : open_) {
    p.id = in.str();
    p.root = in.str();
    p.symptoms.resize(in.count(8 * 12));
    for (Incident& s : p.symptoms) load_incident(in, s);
    if (!in.ok()) break;
    if (p.symptoms.empty()) return make_error("problems checkpoint", "a problem without symptoms");
    p.start = p.symptoms.front().start;
    p.end = p.start;
    for (const Incident& s : p.symptoms) p.end = std::max(p.end, end_of(s));
  }
  incidents_open_.clear();
  const std::size_t n = in.count(16);
  for (std::size_t i = 0; i < n && in.ok(); ++i) {
    std::string id = in.str();
    incidents_open_[std::move(id)] = in.i64();
  }
  emitted_ = in.u64();
  return in.finish();
}

}  // namespace eventlens::correlate
