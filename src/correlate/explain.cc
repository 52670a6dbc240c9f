#include "correlate/explain.h"

#include "correlate/confidence.h"

#include <xxhash.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <utility>

#include "correlate/phrases.h"
#include "correlate/rank.h"
#include "stream/state_io.h"

namespace eventlens::correlate {

namespace {

bool is_role_name(std::string_view s) {
  if (s.empty() || !std::islower(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

Result<TimeNs> parse_time(std::string_view text) {
  if (auto t = parse_rfc3339(text); t.ok()) return t;
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc() && end == text.data() + text.size()) return time_from_epoch_number(v);
  return make_error("time", "\"" + std::string(text) + "\" is neither an RFC 3339 time nor an epoch number");
}

std::string explanation_id(const ExplainRequest& r) {
  const std::string key = r.service + '\0' + std::to_string(r.time) + '\0' + r.role;
  char buf[32];
  std::snprintf(buf, sizeof buf, "expl-%016llx", static_cast<unsigned long long>(XXH3_64bits(key.data(), key.size())));
  return buf;
}

}  // namespace

Result<ExplainRequest> parse_explain_request(std::string_view text) {
  const std::size_t at = text.find('@');
  if (at == std::string_view::npos || at == 0) {
    return make_error("explain", "\"" + std::string(text) + "\" is not SERVICE@TIME[:ROLE]");
  }
  ExplainRequest r;
  r.service = std::string(text.substr(0, at));
  std::string_view when = text.substr(at + 1);
  // A role after the last ':' (an RFC 3339 time's own colons are followed
  // by digits).
  if (const std::size_t colon = when.rfind(':'); colon != std::string_view::npos) {
    const std::string_view role = when.substr(colon + 1);
    if (is_role_name(role)) {
      r.role = std::string(role);
      when = when.substr(0, colon);
    }
  }
  auto t = parse_time(when);
  if (!t.ok()) return make_error("explain", t.error().reason);
  r.time = *t;
  return r;
}

SymptomExplainer::SymptomExplainer(std::vector<ExplainRequest> requests) : requests_(std::move(requests)) {
  std::stable_sort(requests_.begin(), requests_.end(),
                   [](const ExplainRequest& a, const ExplainRequest& b) { return a.time < b.time; });
}

void SymptomExplainer::answer(const ExplainRequest& request, const Correlator& correlator, ResultSink& sink) const {
  Explanation e;
  e.id = explanation_id(request);
  e.symptom = request;
  e.causes = correlator.rank_symptom(request.service, request.time, request.role);
  const std::string what = (request.role.empty() ? std::string("trouble") : role_phrase(request.role)) + " of " +
                           request.service + " at " + clock_time(request.time);
  e.summary = what + causes_sentence(e.causes);
  sink.on_explanation(e);
}

void SymptomExplainer::advance(TimeNs final_until, const Correlator& correlator, ResultSink& sink) {
  const TimeNs reach = ranking_slack(correlator.config().stream.step);
  while (answered_ < requests_.size() && requests_[answered_].time + reach < final_until) {
    answer(requests_[answered_++], correlator, sink);
  }
}

void SymptomExplainer::finish(const Correlator& correlator, ResultSink& sink) {
  while (answered_ < requests_.size()) answer(requests_[answered_++], correlator, sink);
}

void SymptomExplainer::save(stream::StateWriter& out) const { out.u64(answered_); }

Status SymptomExplainer::load(stream::StateReader& in) {
  const std::uint64_t answered = in.u64();
  if (auto s = in.finish(); !s.ok()) return s;
  if (answered > requests_.size()) {
    return make_error("explain checkpoint", "answers " + std::to_string(answered) + " requests, this run has " +
                                                std::to_string(requests_.size()));
  }
  answered_ = answered;
  return ok_status();
}

}  // namespace eventlens::correlate
