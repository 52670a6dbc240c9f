// ProblemTracker: incidents that share a root cause grouped into one problem
// (docs/engine.md, "Problems"), each problem written once no incident can
// join it any more, and the same problems after a checkpoint and restore.
#include "correlate/problems.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "correlate/results_json.h"
#include "stream/state_io.h"

namespace eventlens::correlate {
namespace {

constexpr TimeNs kMin = 60 * kNanosPerSecond;

struct CollectingSink final : ResultSink {
  std::vector<Problem> problems;
  std::vector<std::string> incidents;  // ids, final ones
  std::size_t enriched = 0, dead = 0;
  void on_enriched(const EnrichedEvent&) override { ++enriched; }
  void on_incident(const Incident& i, bool final) override {
    if (final) incidents.push_back(i.id);
  }
  void on_problem(const Problem& p) override { problems.push_back(p); }
  void on_explanation(const Explanation&) override {}
  void on_dead_letter(const Record&, const Error&) override { ++dead; }
};

Cause service_cause(const std::string& service, double score) {
  Cause c;
  c.rank = 1;
  c.kind = "service";
  c.service = service;
  c.score = score;
  return c;
}

Cause event_cause(const std::string& service, const std::string& type, const std::string& id, double score) {
  Cause c = service_cause(service, score);
  c.kind = "event";
  c.type = type;
  c.event_id = id;
  return c;
}

Incident incident(const std::string& id, const std::string& service, TimeNs start, TimeNs end,
                  std::vector<Cause> causes, const std::string& severity = "warning") {
  Incident i;
  i.id = id;
  i.service = service;
  i.role = "latency";
  i.metric = "p95";
  i.start = start;
  i.end = end;
  i.severity = severity;
  i.causes = std::move(causes);
  return i;
}

// Opens and closes an incident, as the correlator reports it.
void report(ProblemTracker& t, const Incident& i) {
  Incident open = i;
  open.end.reset();
  t.on_incident(open, false);
  t.on_incident(i, true);
}

std::vector<std::string> symptom_ids(const Problem& p) {
  std::vector<std::string> ids;
  for (const Incident& s : p.symptoms) ids.push_back(s.id);
  return ids;
}

TEST(ProblemTracker, IncidentsWithOneRootAndNearOnsetsAreOneProblemWrittenWhenNoneCanJoin) {
  CollectingSink sink;
  ProblemTracker t(sink, 10 * kMin, 30 * kMin);
  // The callers' incidents name the deploy of payment, payment's own names
  // payment itself: one root, payment.
  report(t, incident("frontend", "frontend", 2 * kMin, 12 * kMin, {event_cause("payment", "deploy", "ev-1", 0.7)}));
  report(t, incident("payment", "payment", 1 * kMin, 14 * kMin, {service_cause("payment", 0.9)}, "critical"));
  report(t, incident("checkout", "checkout", 3 * kMin, 12 * kMin, {event_cause("payment", "deploy", "ev-1", 0.8)}));
  EXPECT_EQ(sink.incidents.size(), 3u);  // passed on as they come
  t.advance(13 * kMin);                  // the last onset (3 min) + 10 min is not past yet
  EXPECT_TRUE(sink.problems.empty());
  t.advance(14 * kMin);
  ASSERT_EQ(sink.problems.size(), 1u);
  const Problem& p = sink.problems[0];
  EXPECT_EQ(p.root, "payment");
  EXPECT_EQ(symptom_ids(p), (std::vector<std::string>{"payment", "frontend", "checkout"}));  // by start
  EXPECT_EQ(p.start, 1 * kMin);
  EXPECT_EQ(p.end, 14 * kMin);
  EXPECT_EQ(p.severity, "critical");
  // The event, the more specific answer, over the higher-scored service;
  // of the event causes the best score.
  EXPECT_EQ(p.root_cause.kind, "event");
  EXPECT_EQ(p.root_cause.event_id, "ev-1");
  EXPECT_DOUBLE_EQ(p.root_cause.score, 0.8);
  EXPECT_NE(p.summary.find("deploy of payment"), std::string::npos) << p.summary;
  EXPECT_NE(p.summary.find("3 symptoms"), std::string::npos) << p.summary;
  t.advance(60 * kMin);
  EXPECT_EQ(sink.problems.size(), 1u);  // once
}

TEST(ProblemTracker, DifferentRootsAndFarOnsetsAreSeparateProblems) {
  CollectingSink sink;
  ProblemTracker t(sink, 10 * kMin, 30 * kMin);
  report(t, incident("a", "frontend", 0, 5 * kMin, {service_cause("db", 0.9)}));
  report(t, incident("b", "frontend", 1 * kMin, 5 * kMin, {service_cause("search", 0.9)}));
  // db again, but 11 min after the first onset: a second fault of db.
  report(t, incident("c", "db", 11 * kMin, 15 * kMin, {service_cause("db", 0.9)}));
  // No cause at all: a problem of its own service.
  report(t, incident("d", "cart", 2 * kMin, 3 * kMin, {}));
  t.finish();
  ASSERT_EQ(sink.problems.size(), 4u);
  std::vector<std::vector<std::string>> groups;
  for (const Problem& p : sink.problems) groups.push_back(symptom_ids(p));
  EXPECT_EQ(groups, (std::vector<std::vector<std::string>>{{"a"}, {"b"}, {"c"}, {"d"}}));
  EXPECT_TRUE(sink.problems[3].root_cause.kind.empty());
  EXPECT_EQ(sink.problems[3].root, "cart");
  EXPECT_NE(sink.problems[3].summary.find("no cause found"), std::string::npos);
}

// "b" guesses between search (0.82) and db (0.80): no confident cause. No
// problem of search is near, one of db is: it joins db's. "c" is as unsure
// between cart and search, and neither has a problem: its own. "d" names
// search with confidence (0.9 against db's 0.7): a problem of its own too,
// db's near problem notwithstanding.
TEST(ProblemTracker, AnIncidentWithNoConfidentCauseJoinsTheProblemOfItsSecondRoot) {
  CollectingSink sink;
  ProblemTracker t(sink, 10 * kMin, 30 * kMin);
  report(t, incident("a", "frontend", 0, 5 * kMin, {event_cause("db", "deploy", "ev-db", 0.9)}));
  report(t, incident("b", "checkout", 1 * kMin, 5 * kMin, {service_cause("search", 0.82), service_cause("db", 0.80)}));
  report(t, incident("c", "cart", 2 * kMin, 5 * kMin, {service_cause("cart", 0.82), service_cause("search", 0.80)}));
  report(t, incident("d", "search", 3 * kMin, 5 * kMin, {service_cause("search", 0.9), service_cause("db", 0.7)}));
  t.finish();
  std::vector<std::vector<std::string>> groups;
  for (const Problem& p : sink.problems) groups.push_back(symptom_ids(p));
  EXPECT_EQ(groups, (std::vector<std::vector<std::string>>{{"a", "b"}, {"c"}, {"d"}}));
  ASSERT_FALSE(sink.problems.empty());
  EXPECT_EQ(sink.problems[0].root, "db");
  EXPECT_EQ(sink.problems[0].root_cause.event_id, "ev-db") << "what b blames of db, or a's deploy: never search";
}

TEST(ProblemTracker, ALingeringSymptomDoesNotBridgeToWhatComesAfter) {
  CollectingSink sink;
  ProblemTracker t(sink, 10 * kMin, 30 * kMin);
  // Starts at 0 and lasts an hour; a new onset of the same root at 40 min
  // is a new fault, not part of the first.
  report(t, incident("long", "search", 0, 60 * kMin, {service_cause("frontend", 0.9)}));
  report(t, incident("later", "checkout", 40 * kMin, 45 * kMin, {service_cause("frontend", 0.9)}));
  t.finish();
  ASSERT_EQ(sink.problems.size(), 2u);
}

TEST(ProblemTracker, ALoopOfTheSameFailureIsOneProblemButRepeatedDeploysAreNot) {
  CollectingSink sink;
  ProblemTracker t(sink, 10 * kMin, 30 * kMin);
  // A leak: OOM kills of payment every 20 minutes.
  for (int round = 0; round < 3; ++round) {
    const TimeNs at = round * 20 * kMin;
    report(t, incident("oom-" + std::to_string(round), "payment", at, at + 3 * kMin,
                       {event_cause("payment", "oom_killed", "ev-oom-" + std::to_string(round), 0.9)}));
  }
  // Two deploys of cart 20 minutes apart: two faults.
  report(t, incident("deploy-1", "cart", 0, 3 * kMin, {event_cause("cart", "deploy", "ev-d1", 0.9)}));
  report(t, incident("deploy-2", "cart", 20 * kMin, 23 * kMin, {event_cause("cart", "deploy", "ev-d2", 0.9)}));
  // While the loop may go on (last round + 30 min), its problem waits.
  t.advance(69 * kMin);
  for (const Problem& p : sink.problems) EXPECT_NE(p.root, "payment");
  t.advance(71 * kMin);
  std::vector<std::vector<std::string>> groups;
  for (const Problem& p : sink.problems) groups.push_back(symptom_ids(p));
  EXPECT_EQ(groups, (std::vector<std::vector<std::string>>{{"deploy-1"}, {"deploy-2"}, {"oom-0", "oom-1", "oom-2"}}));
}

TEST(ProblemTracker, AnIncidentStillOpenHoldsTheProblemsItCouldJoin) {
  CollectingSink sink;
  ProblemTracker t(sink, 10 * kMin, 30 * kMin);
  report(t, incident("first", "payment", 0, 5 * kMin, {service_cause("payment", 0.9)}));
  Incident open = incident("slow", "frontend", 4 * kMin, 0, {service_cause("payment", 0.9)});
  open.end.reset();
  t.on_incident(open, false);
  t.advance(30 * kMin);
  EXPECT_TRUE(sink.problems.empty());  // "slow" may still join
  open.end = 32 * kMin;
  t.on_incident(open, true);
  t.advance(33 * kMin);
  ASSERT_EQ(sink.problems.size(), 1u);
  EXPECT_EQ(symptom_ids(sink.problems[0]), (std::vector<std::string>{"first", "slow"}));
}

TEST(ProblemTracker, ARestoredTrackerWritesTheSameProblems) {
  const std::vector<Incident> incidents = {
      incident("a", "frontend", 0, 5 * kMin, {event_cause("payment", "deploy", "ev-1", 0.8)}),
      incident("b", "payment", 1 * kMin, 6 * kMin, {service_cause("payment", 0.9)}),
      incident("c", "db", 30 * kMin, 33 * kMin, {event_cause("db", "crash", "ev-2", 0.9)}),
      incident("d", "db", 50 * kMin, 53 * kMin, {event_cause("db", "crash", "ev-3", 0.9)}),
  };
  auto run = [&](std::size_t restore_after) {
    CollectingSink sink;
    auto tracker = std::make_unique<ProblemTracker>(sink, 10 * kMin, 30 * kMin);
    for (std::size_t i = 0; i < incidents.size(); ++i) {
      if (i == restore_after) {
        stream::StateWriter w;
        tracker->save(w);
        const std::string bytes = w.finish();
        tracker = std::make_unique<ProblemTracker>(sink, 10 * kMin, 30 * kMin);
        stream::StateReader r(bytes, "problems");
        EXPECT_TRUE(tracker->load(r).ok());
      }
      Incident open = incidents[i];
      open.end.reset();
      tracker->on_incident(open, false);
      if (i + 1 < incidents.size()) tracker->on_incident(incidents[i], true);
      tracker->advance(incidents[i].start + 12 * kMin);
    }
    tracker->on_incident(incidents.back(), true);  // closed after the restore point
    tracker->finish();
    std::string out;
    for (const Problem& p : sink.problems) {
      append_problem_json(out, p);
      out += '\n';
    }
    return out;
  };
  const std::string whole = run(incidents.size() + 1);
  EXPECT_NE(whole.find("\"root\":\"db\""), std::string::npos);
  for (std::size_t at = 1; at < incidents.size(); ++at) EXPECT_EQ(run(at), whole) << "restored before incident " << at;
}

TEST(ProblemTracker, ACorruptCheckpointIsAnError) {
  CollectingSink sink;
  ProblemTracker t(sink, 10 * kMin, 30 * kMin);
  stream::StateReader r(std::string("not a checkpoint"), "problems");
  EXPECT_FALSE(t.load(r).ok());
}

}  // namespace
}  // namespace eventlens::correlate
