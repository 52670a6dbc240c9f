#include "correlate/confidence.h"

#include "correlate/phrases.h"

namespace eventlens::correlate {

std::string root_of(const Cause& c) { return c.service.empty() ? "event " + c.event_id : c.service; }

Confidence confidence_of(const std::vector<Cause>& causes) {
  Confidence out;
  if (causes.empty()) return out;
  const Cause& first = causes.front();
  const std::string first_root = root_of(first);
  out.lead = first.score;
  for (std::size_t i = 1; i < causes.size(); ++i) {
    if (root_of(causes[i]) == first_root) continue;
    out.runner_up = &causes[i];
    out.lead = first.score - causes[i].score;
    break;
  }
  out.confident = out.lead >= kConfidentLead;
  return out;
}

std::string causes_sentence(const std::vector<Cause>& causes) {
  if (causes.empty()) return "; no candidate cause found";
  const Cause& first = causes.front();
  const Confidence c = confidence_of(causes);
  if (c.confident || c.runner_up == nullptr) {
    return "; most likely cause: " + cause_phrase(first) + " (score " + fixed(first.score, 2) + ")";
  }
  return "; no confident cause: " + cause_phrase(first) + " (score " + fixed(first.score, 2) + ") and " +
         cause_phrase(*c.runner_up) + " (" + fixed(c.runner_up->score, 2) + ") explain it almost equally";
}

}  // namespace eventlens::correlate
