#include "cli/replay_command.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "correlate/phrases.h"
#include "correlate/results_json.h"
#include "model/taxonomy.h"

namespace eventlens::cli {

namespace {

using correlate::Incident;

void print_human_summary(const pipeline::ReplayReport& report) {
  const stream::ShardCounters& c = report.counters;
  const pipeline::RunTiming& run = report.timing;
  std::printf("replay: %llu records in %.2f s (%.0f records/s); %llu events enriched, %zu incidents in %llu problems, "
              "%llu dead letters\n",
              static_cast<unsigned long long>(c.records), run.wall_s, run.records_per_s(),
              static_cast<unsigned long long>(report.enriched_final), report.incidents.size(),
              static_cast<unsigned long long>(report.problems.size()),
              static_cast<unsigned long long>(report.dead_letters));
  if (!report.verdicts.empty()) {
    std::printf("verdicts:");
    for (const auto& [k, v] : report.verdicts) std::printf("  %s %llu", k.c_str(), static_cast<unsigned long long>(v));
    std::printf("\n");
  }
  // The impacts seen most often, as sentences: those of scaling and changes
  // first (what an operator decides, and asks about), then the others
  // (reactions such as pods scheduled, whose "impact" is mostly the trouble
  // they came in).
  std::vector<const correlate::ImpactAggregate*> common;
  for (const auto& [key, a] : report.aggregates) {
    if (a.latency_change_rel.size() >= 3) common.push_back(&a);
  }
  const auto decided = [](const correlate::ImpactAggregate* a) {
    const std::optional<Category> category = category_of_type(a->type);
    return category == Category::scaling || category == Category::change;
  };
  std::stable_sort(common.begin(), common.end(), [&](const auto* a, const auto* b) {
    if (decided(a) != decided(b)) return decided(a);
    return a->latency_change_rel.size() > b->latency_change_rel.size();
  });
  if (!common.empty()) std::printf("impacts (aggregates.json):\n");
  for (std::size_t i = 0; i < common.size() && i < 5; ++i) {
    std::printf("  %s\n", correlate::aggregate_sentence(*common[i]).c_str());
  }
  if (!report.problems.empty()) std::printf("problems (problems.jsonl): incidents that share a root cause\n");
  for (std::size_t i = 0; i < report.problems.size(); ++i) {
    if (i == 8) {
      std::printf("  ... %zu more in problems.jsonl\n", report.problems.size() - 8);
      break;
    }
    std::printf("  %s\n", report.problems[i].c_str());
  }
  if (!report.incidents.empty()) std::printf("incidents (incidents.jsonl), with their most likely cause:\n");
  std::size_t shown = 0;
  for (const Incident& inc : report.incidents) {
    if (shown++ == 10) {
      std::printf("  ... %zu more in incidents.jsonl\n", report.incidents.size() - 10);
      break;
    }
    std::string cause = "no cause found";
    if (!inc.causes.empty()) {
      const correlate::Cause& top = inc.causes.front();
      cause = top.kind == "event" ? top.type + " of " + (top.service.empty() ? std::string("the cluster") : top.service) +
                                        " (" + top.event_id + ")"
                                  : "service " + top.service;
    }
    std::printf("  %s  %-8s %s %s of %s  -> top cause: %s\n", correlate::clock_time(inc.start).c_str(),
                inc.severity.c_str(), inc.role.c_str(), inc.end ? "incident" : "incident (open)",
                inc.service.c_str(), cause.c_str());
  }
}

}  // namespace

int run_replay(const ReplayCommandOptions& options) {
  const bool quiet = options.quiet;
  const pipeline::ReplayOutcome outcome =
      pipeline::run_replay(options.spec, [quiet](pipeline::ReplayNotice notice, const std::string& text) {
        if (notice == pipeline::ReplayNotice::checkpoint && quiet) return;
        std::fprintf(stderr, "replay: %s\n", text.c_str());
      });
  switch (outcome.kind) {
    case pipeline::ReplayOutcome::Kind::refused:
      std::fprintf(stderr, "replay: %s\n", outcome.message.c_str());
      return 2;
    case pipeline::ReplayOutcome::Kind::failed:
      std::fprintf(stderr, "replay: %s\n", outcome.message.c_str());
      return 1;
    case pipeline::ReplayOutcome::Kind::done:
      break;
  }
  if (!quiet) print_human_summary(outcome.report);
  return 0;
}

}  // namespace eventlens::cli
