// Runs the real `eventlens evaluate` binary on hand-written truth.json and
// replay results, each case built to exercise one scoring rule of
// docs/evaluate.md, and checks the numbers, the misses it prints and its exit
// status on malformed inputs.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include <sys/wait.h>

#include "model/time.h"
#include "support/test_data.h"

namespace eventlens {
namespace {

struct CommandResult {
  int status = -1;
  std::string out;
  std::string err;
};

std::string test_name() { return ::testing::UnitTest::GetInstance()->current_test_info()->name(); }

// A fresh directory per test: CTest runs tests in parallel.
std::string case_dir() {
  const std::string dir = std::string(EVENTLENS_TEST_TMP) + "/evaluate/" + test_name();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/results");
  return dir;
}

void write(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

CommandResult run(const std::string& args) {
  const std::string err_path = std::string(EVENTLENS_TEST_TMP) + "/evaluate/stderr-" + test_name() + ".txt";
  const std::string cmd = std::string(EVENTLENS_BINARY) + " evaluate " + args + " 2>" + err_path;
  CommandResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 65536> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = testing::read_file(err_path);
  return r;
}

// The run is three hours from kStart; times are given as seconds into it.
constexpr TimeNs kStart = 1795392000LL * kNanosPerSecond;  // 2026-11-23T00:00:00Z

std::string at(int seconds) { return "\"" + format_rfc3339(kStart + seconds * kNanosPerSecond) + "\""; }
constexpr int kMinute = 60;

// truth.json with the given arrays (each a JSON array text).
struct TruthFile {
  std::string scaling = "[]";
  std::string oom_kills = "[]";
  std::string provisioning = "[]";
  std::string incidents = "[]";

  std::string json() const {
    return R"({"schema_version":1,"scenario":"hand-made","seed":7,"start":)" + at(0) + R"(,"end":)" +
           at(180 * kMinute) + R"(,"services":[],"causes":[],"scaling":)" + scaling +
           R"(,"oom_kills":)" + oom_kills + R"(,"provisioning":)" + provisioning + R"(,"incidents":)" +
           incidents + "}\n";
  }
};

std::string scaling_truth(const std::string& event_id, const std::string& verdict) {
  return R"({"event_id":")" + event_id + R"(","service":"checkout","type":"scale_up","time":)" + at(600) +
         R"(,"from_replicas":2,"to_replicas":3,"verdict":")" + verdict +
         R"(","p95_before_s":0.2,"p95_after_s":0.1,"p95_counterfactual_s":0.2,"relief":0.5,)"
         R"("time_to_relief_s":30,"error_rate_after":0.0,"error_rate_counterfactual":0.0})";
}

std::string oom_truth(const std::string& event_id) {
  return R"({"event_id":")" + event_id + R"(","service":"payment","pod":"payment-1","time":)" + at(900) +
         R"(,"attribution":"memory_exhaustion","cause":"cause-0","memory_bytes":5.0,"limit_bytes":5.0})";
}

std::string provisioning_truth(const std::string& event_id, const std::string& delay_s) {
  return R"({"request_event_id":")" + event_id + R"(","node_added_event_ids":[],"service":"frontend","requested":)" +
         at(1200) + R"(,"added":null,"delay_s":)" + delay_s + R"(,"nodes":1,"requests_lost":10.0})";
}

// root: R"({"kind":"event",...})".
std::string incident_truth(const std::string& id, const std::string& service, int start, int end,
                           const std::string& root, const std::string& cause = "cause-0") {
  return R"({"id":")" + id + R"(","service":")" + service + R"(","signal":"latency","start":)" + at(start) +
         R"(,"end":)" + at(end) + R"(,"cause":")" + cause + R"(","root_cause":)" + root + R"(,"peak":3.0})";
}

std::string event_root(const std::string& service, const std::string& event_id) {
  return R"({"kind":"event","service":")" + service + R"(","event_id":")" + event_id + R"(","type":"deploy"})";
}

std::string service_root(const std::string& service) {
  return R"({"kind":"service","service":")" + service + R"(","event_id":null,"type":"dependency_slowdown"})";
}

// One enriched_events.jsonl line in replay's contract, with fields evaluate
// must ignore.
std::string enriched(const std::string& event_id, const std::string& stage, const std::string& value,
                     const std::string& delay_s = "null") {
  return R"({"event_id":")" + event_id + R"(","stage":")" + stage + R"(","time":)" + at(600) +
         R"(,"service":"checkout","category":"scaling","type":"scale_up","verdict":{"kind":"scaling","value":")" +
         value + R"(","sentence":"p95 fell.","relief":0.3,"time_to_relief_s":45,"delay_s":)" + delay_s +
         R"(,"requests_lost":null},"window":{"before_s":300},"extra":[1,2]})" "\n";
}

// end: an `at(...)` or "null"; causes: a JSON array text.
std::string engine_incident(const std::string& id, const std::string& service, int start, const std::string& end,
                            const std::string& causes) {
  return R"({"id":")" + id + R"(","service":")" + service +
         R"(","signal":{"role":"latency","metric":"http_p95"},"start":)" + at(start) + R"(,"end":)" + end +
         R"(,"severity":"major","summary":"p95 up","causes":)" + causes + "}\n";
}

std::string event_cause(int rank, const std::string& service, const std::string& event_id) {
  return R"({"rank":)" + std::to_string(rank) + R"(,"kind":"event","service":")" + service + R"(","event_id":")" +
         event_id + R"(","type":"deploy","score":0.8,"reasons":[{"name":"timing","value":0.5,"sentence":"x"}]})";
}

std::string service_cause(int rank, const std::string& service) {
  return R"({"rank":)" + std::to_string(rank) + R"(,"kind":"service","service":")" + service +
         R"(","event_id":null,"type":null,"score":0.5,"reasons":[]})";
}

struct Case {
  explicit Case(std::string directory) : dir(std::move(directory)) {}

  std::string dir;
  TruthFile truth;
  std::string enriched_events;
  std::string incidents;
  std::optional<std::string> problems;  // problems.jsonl, when written

  CommandResult evaluate(const std::string& flags = "--json") const {
    write(dir + "/truth.json", truth.json());
    write(dir + "/results/enriched_events.jsonl", enriched_events);
    write(dir + "/results/incidents.jsonl", incidents);
    if (problems) write(dir + "/results/problems.jsonl", *problems);
    return run("--truth " + dir + "/truth.json --results " + dir + "/results " + flags);
  }
};

TEST(EvaluateCommand, ScalingSkipsUnknownVerdictsAndCountsMissingOrProvisionalOnlyAsWrong) {
  Case c{case_dir()};
  c.truth.scaling = "[" + scaling_truth("ev-right", "effective") + "," + scaling_truth("ev-wrong", "ineffective") +
                    "," + scaling_truth("ev-missing", "harmful") + "," + scaling_truth("ev-unknown", "unknown") +
                    "," + scaling_truth("ev-provisional-only", "effective") + "," +
                    scaling_truth("ev-final-after-guess", "harmful") + "]";
  c.enriched_events = enriched("ev-right", "final", "effective") + enriched("ev-wrong", "final", "harmful") +
                      enriched("ev-unknown", "final", "effective") +
                      enriched("ev-provisional-only", "provisional", "effective") +
                      enriched("ev-final-after-guess", "provisional", "effective") + "\n" +
                      enriched("ev-final-after-guess", "final", "harmful") +
                      enriched("ev-final-after-guess", "provisional", "ineffective");
  const CommandResult r = c.evaluate();
  ASSERT_EQ(r.status, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(r.out);
  EXPECT_EQ(int64_t(doc["scaling_n"]), 5);
  EXPECT_EQ(int64_t(doc["scaling_correct"]), 2);
  EXPECT_DOUBLE_EQ(double(doc["scaling_verdict_accuracy"]), 0.4);
  EXPECT_EQ(std::string_view(doc["scenario"]), "hand-made");
  EXPECT_EQ(int64_t(doc["seed"]), 7);
  EXPECT_DOUBLE_EQ(double(doc["hours"]), 3.0);

  const CommandResult table = c.evaluate("");
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_NE(table.out.find("scaling verdicts wrong (3)"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("ev-wrong checkout scale_up"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("truth ineffective (relief 0.500), engine harmful (relief 0.300)"), std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("truth harmful (relief 0.500), engine no final record"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("ev-unknown"), std::string::npos) << table.out;
}

TEST(EvaluateCommand, OomAttributionComparesTheFinalVerdictValue) {
  Case c{case_dir()};
  c.truth.oom_kills = "[" + oom_truth("ev-oom-1") + "," + oom_truth("ev-oom-2") + "," + oom_truth("ev-oom-3") + "," +
                      oom_truth("ev-oom-4") + "]";
  c.enriched_events = enriched("ev-oom-1", "final", "memory_exhaustion") +
                      enriched("ev-oom-2", "final", "cpu_saturation") +
                      enriched("ev-oom-3", "provisional", "memory_exhaustion") +
                      enriched("ev-oom-4", "final", "memory_exhaustion");
  const CommandResult r = c.evaluate();
  ASSERT_EQ(r.status, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(r.out);
  EXPECT_EQ(int64_t(doc["oom_n"]), 4);
  EXPECT_EQ(int64_t(doc["oom_correct"]), 2);
  EXPECT_DOUBLE_EQ(double(doc["oom_attribution_accuracy"]), 0.5);
  EXPECT_TRUE(doc["scaling_verdict_accuracy"].is_null());

  const CommandResult table = c.evaluate("");
  EXPECT_NE(table.out.find("truth memory_exhaustion, engine cpu_saturation"), std::string::npos) << table.out;
}

TEST(EvaluateCommand, ProvisioningTakesTheMedianRelativeErrorAndCountsNoAnswerAsOne) {
  Case c{case_dir()};
  c.truth.provisioning = "[" + provisioning_truth("ev-close", "100.0") + "," + provisioning_truth("ev-off", "200") +
                         "," + provisioning_truth("ev-null-delay", "50.0") + "," +
                         provisioning_truth("ev-no-record", "80.0") + "," + provisioning_truth("ev-zero", "0.0") +
                         "," + provisioning_truth("ev-null-truth", "null") + "]";
  c.enriched_events = enriched("ev-close", "final", "delayed", "110.0") + enriched("ev-off", "final", "delayed", "150") +
                      enriched("ev-null-delay", "final", "delayed", "null") +
                      enriched("ev-no-record", "provisional", "delayed", "80.0") +
                      enriched("ev-zero", "final", "delayed", "30.0");
  const CommandResult r = c.evaluate();
  ASSERT_EQ(r.status, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(r.out);
  EXPECT_EQ(int64_t(doc["provisioning_n"]), 4);
  // Relative errors 0.1, 0.25, 1 (null delay) and 1 (no final record): the
  // median of an even count is the mean of the middle two.
  EXPECT_NEAR(double(doc["provisioning_delay_rel_error_p50"]), 0.625, 1e-12);
  simdjson::dom::array errors = doc["provisioning_rel_errors"];
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_NEAR(double(errors.at(0)), 0.1, 1e-12);
  EXPECT_NEAR(double(errors.at(1)), 0.25, 1e-12);
  EXPECT_DOUBLE_EQ(double(errors.at(2)), 1.0);
  EXPECT_DOUBLE_EQ(double(errors.at(3)), 1.0);

  const CommandResult table = c.evaluate("");
  EXPECT_NE(table.out.find("ev-off frontend"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("truth 200.000 s, engine 150.000 s (rel error 0.250)"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("truth 80.000 s, engine no final record (rel error 1.000)"), std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("truth 50.000 s, engine delay_s null (rel error 1.000)"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("ev-close"), std::string::npos) << "within 10 %, not a miss:\n" << table.out;
}

TEST(EvaluateCommand, RootCausesMatchTheSameServiceFirstAndScoreEventsAndServices) {
  Case c{case_dir()};
  c.truth.incidents =
      "[" +
      // Two engine incidents overlap it; the one on checkout is judged even
      // though the frontend one starts earlier and names the event first.
      incident_truth("t-event", "checkout", 10 * kMinute, 20 * kMinute, event_root("checkout", "ev-deploy")) + "," +
      // Only an incident on another service, opening 120 s after the end: a
      // service root cause is found through an event cause on that service.
      incident_truth("t-service", "payment", 40 * kMinute, 50 * kMinute, service_root("payment")) + "," +
      // The nearest engine incident opens 121 s after the end: a miss.
      incident_truth("t-unseen", "db", 90 * kMinute, 95 * kMinute, service_root("db")) + "," +
      // Matched by an incident that opened before it and never closed.
      incident_truth("t-open", "cart", 120 * kMinute, 130 * kMinute, event_root("cart", "ev-config")) + "]";
  c.incidents =
      engine_incident("i-frontend", "frontend", 9 * kMinute, at(25 * kMinute), "[" + event_cause(1, "checkout", "ev-deploy") + "]") +
      engine_incident("i-checkout", "checkout", 11 * kMinute, at(21 * kMinute),
                      "[" + service_cause(1, "checkout") + "," + event_cause(2, "checkout", "ev-deploy") + "]") +
      engine_incident("i-late", "frontend", 52 * kMinute, at(55 * kMinute),
                      "[" + event_cause(1, "payment", "ev-other") + "," + service_cause(2, "db") + "]") +
      engine_incident("i-too-late", "db", 97 * kMinute + 1, at(100 * kMinute), "[" + service_cause(1, "db") + "]") +
      engine_incident("i-open", "search", 110 * kMinute, "null",
                      "[" + event_cause(1, "cart", "ev-config") + "]") +
      engine_incident("i-after", "cart", 150 * kMinute, "null", "[" + service_cause(1, "cart") + "]");
  const CommandResult r = c.evaluate();
  ASSERT_EQ(r.status, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(r.out);
  EXPECT_EQ(int64_t(doc["incidents_n"]), 4);
  EXPECT_EQ(int64_t(doc["rca_top1_hits"]), 2);  // t-service, t-open
  EXPECT_EQ(int64_t(doc["rca_top3_hits"]), 3);  // and t-event
  EXPECT_DOUBLE_EQ(double(doc["rca_top1"]), 0.5);
  EXPECT_DOUBLE_EQ(double(doc["rca_top3"]), 0.75);
  EXPECT_EQ(int64_t(doc["engine_incidents"]), 6);
  EXPECT_EQ(int64_t(doc["false_incidents"]), 2);  // i-too-late, i-after
  EXPECT_DOUBLE_EQ(double(doc["false_incidents_per_hour"]), 2.0 / 3.0);

  const CommandResult table = c.evaluate("");
  ASSERT_EQ(table.status, 0) << table.err;
  const std::string& out = table.out;
  EXPECT_NE(out.find("root causes not ranked first (2)"), std::string::npos) << out;
  EXPECT_NE(out.find("t-event checkout latency"), std::string::npos) << out;
  EXPECT_NE(out.find("root cause event ev-deploy (deploy on checkout) (in the top 3)"), std::string::npos) << out;
  EXPECT_NE(out.find("engine i-checkout checkout"), std::string::npos) << out;
  EXPECT_NE(out.find("1. service checkout  score 0.500"), std::string::npos) << out;
  EXPECT_NE(out.find("2. event checkout deploy ev-deploy  score 0.800"), std::string::npos) << out;
  EXPECT_NE(out.find("t-unseen db"), std::string::npos) << out;
  EXPECT_NE(out.find("no engine incident within 120 s"), std::string::npos) << out;
  EXPECT_NE(out.find("engine incidents near no truth incident (2)"), std::string::npos) << out;
  EXPECT_NE(out.find("engine i-after cart"), std::string::npos) << out;
}

// problems.jsonl: one line per problem with its symptoms' incident ids.
std::string problem_line(const std::string& id, const std::vector<std::string>& incident_ids) {
  std::string symptoms;
  for (const std::string& i : incident_ids) {
    symptoms += (symptoms.empty() ? "" : ",") + std::string(R"({"incident_id":")") + i + R"(","service":"x"})";
  }
  return R"({"id":")" + id + R"(","root":"x","root_cause":null,"symptoms":[)" + symptoms + "]}\n";
}

TEST(EvaluateCommand, ProblemsAreCountedPerTruthCauseAndJudgedPure) {
  Case c{case_dir()};
  c.truth.incidents = "[" +
                      incident_truth("tA1", "checkout", 10 * kMinute, 20 * kMinute, service_root("checkout"), "cause-A") +
                      "," +
                      incident_truth("tA2", "frontend", 11 * kMinute, 20 * kMinute, service_root("checkout"), "cause-A") +
                      "," +
                      incident_truth("tB1", "payment", 60 * kMinute, 70 * kMinute, service_root("payment"), "cause-B") +
                      "]";
  const std::string cause = "[" + service_cause(1, "checkout") + "]";
  c.incidents = engine_incident("e1", "checkout", 10 * kMinute, at(20 * kMinute), cause) +
                engine_incident("e2", "frontend", 11 * kMinute, at(20 * kMinute), cause) +
                // Began inside cause-A's window on frontend, lasted into cause-B's: A's.
                engine_incident("e3", "frontend", 12 * kMinute, at(75 * kMinute), cause) +
                engine_incident("e4", "payment", 61 * kMinute, at(70 * kMinute), cause) +
                engine_incident("e5", "db", 150 * kMinute, at(155 * kMinute), cause);  // false
  c.problems = problem_line("P1", {"e1", "e2"}) + problem_line("P2", {"e3", "e4"}) + problem_line("P3", {"e5"});
  const CommandResult r = c.evaluate();
  ASSERT_EQ(r.status, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(r.out);
  EXPECT_EQ(int64_t(doc["problems"]), 3);
  EXPECT_EQ(int64_t(doc["problem_causes_n"]), 2);         // cause-A, cause-B
  EXPECT_EQ(int64_t(doc["problems_over_causes"]), 3);     // A: P1, P2; B: P2
  EXPECT_DOUBLE_EQ(double(doc["problems_per_cause"]), 1.5);
  EXPECT_EQ(int64_t(doc["problems_attributed_n"]), 2);    // P3 holds only a false incident
  EXPECT_EQ(int64_t(doc["problems_pure"]), 1);            // P1; P2 mixes A and B
  EXPECT_DOUBLE_EQ(double(doc["problem_purity"]), 0.5);

  const CommandResult table = c.evaluate("");
  EXPECT_NE(table.out.find("problems_per_cause                    1.500"), std::string::npos) << table.out;

  // Results without problems.jsonl (an older replay): no problem metrics.
  std::filesystem::remove(c.dir + "/results/problems.jsonl");
  c.problems.reset();
  const CommandResult without = c.evaluate();
  ASSERT_EQ(without.status, 0) << without.err;
  simdjson::dom::element doc2 = parser.parse(without.out);
  EXPECT_EQ(doc2["problems_per_cause"].error(), simdjson::NO_SUCH_FIELD);
}

TEST(EvaluateCommand, NothingToScoreGivesNullsAndEveryIncidentIsFalse) {
  Case c{case_dir()};
  c.incidents = engine_incident("i-1", "cart", 30 * kMinute, at(35 * kMinute), "[]");
  const CommandResult r = c.evaluate();
  ASSERT_EQ(r.status, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(r.out);
  for (const char* metric : {"scaling_verdict_accuracy", "oom_attribution_accuracy",
                             "provisioning_delay_rel_error_p50", "rca_top1", "rca_top3"}) {
    EXPECT_TRUE(doc[metric].is_null()) << metric;
  }
  for (const char* count : {"scaling_n", "oom_n", "provisioning_n", "incidents_n"}) {
    EXPECT_EQ(int64_t(doc[count]), 0) << count;
  }
  EXPECT_EQ(int64_t(doc["false_incidents"]), 1);
  EXPECT_DOUBLE_EQ(double(doc["false_incidents_per_hour"]), 1.0 / 3.0);

  const CommandResult table = c.evaluate("");
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_NE(table.out.find("scaling_verdict_accuracy                  -"), std::string::npos) << table.out;
}

TEST(EvaluateCommand, EmptyResultsScoreEveryTruthEntryAsMissed) {
  Case c{case_dir()};
  c.truth.scaling = "[" + scaling_truth("ev-a", "effective") + "]";
  c.truth.incidents = "[" + incident_truth("t-1", "cart", 600, 900, service_root("cart")) + "]";
  const CommandResult r = c.evaluate();
  ASSERT_EQ(r.status, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(r.out);
  EXPECT_DOUBLE_EQ(double(doc["scaling_verdict_accuracy"]), 0.0);
  EXPECT_DOUBLE_EQ(double(doc["rca_top1"]), 0.0);
  EXPECT_DOUBLE_EQ(double(doc["false_incidents_per_hour"]), 0.0);
}

// An engine incident line with a confidence object (as replay writes it).
std::string confident_incident(const std::string& line, const std::string& confident) {
  const std::size_t at_causes = line.find(R"("causes":)");
  return line.substr(0, at_causes) + R"("confidence":{"confident":)" + confident +
         R"(,"lead":0.05,"runner_up":2},)" + line.substr(at_causes);
}

TEST(EvaluateCommand, FirstCausesAreScoredApartByWhetherTheyWereNamedWithConfidence) {
  Case c{case_dir()};
  c.truth.incidents = "[" + incident_truth("t-sure", "checkout", 10 * kMinute, 20 * kMinute, service_root("checkout")) +
                      "," + incident_truth("t-guess", "payment", 40 * kMinute, 50 * kMinute, service_root("payment")) +
                      "," + incident_truth("t-old", "db", 90 * kMinute, 95 * kMinute, service_root("db")) + "]";
  c.incidents =
      confident_incident(engine_incident("i-sure", "checkout", 10 * kMinute, at(20 * kMinute),
                                         "[" + service_cause(1, "checkout") + "]"),
                         "true") +
      confident_incident(engine_incident("i-guess", "payment", 40 * kMinute, at(50 * kMinute),
                                         "[" + service_cause(1, "db") + "," + service_cause(2, "payment") + "]"),
                         "false") +
      // Written before incidents said how sure they were: counted in neither.
      engine_incident("i-old", "db", 90 * kMinute, at(95 * kMinute), "[" + service_cause(1, "db") + "]");
  const CommandResult r = c.evaluate();
  ASSERT_EQ(r.status, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(r.out);
  EXPECT_EQ(int64_t(doc["rca_top1_hits"]), 2);
  EXPECT_EQ(int64_t(doc["rca_confident_n"]), 1);
  EXPECT_DOUBLE_EQ(double(doc["rca_top1_confident"]), 1.0);
  EXPECT_EQ(int64_t(doc["rca_unconfident_n"]), 1);
  EXPECT_DOUBLE_EQ(double(doc["rca_top1_unconfident"]), 0.0);
  const CommandResult table = c.evaluate("");
  EXPECT_NE(table.out.find("0 of 1 no confident cause"), std::string::npos) << table.out;

  c.incidents = confident_incident(engine_incident("i-bad", "checkout", 10 * kMinute, at(20 * kMinute),
                                                   "[" + service_cause(1, "checkout") + "]"),
                                   R"("yes")");
  const CommandResult bad = c.evaluate();
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("confidence.confident: not true or false"), std::string::npos) << bad.err;
}

// Overlapping faults (a deploy of db, twice; a slow inventory; db slow of
// itself) each showed, in their twins, as checkout's latency from minute 10:
// one symptom, four truth incidents. Naming db's deploy is a hit for three
// of them (the deploy's two and db's own: an event on db names db). A fifth
// truth incident, on payment from minute 12, is a symptom of its own. The
// one engine incident on checkout names db's deploy first.
TEST(EvaluateCommand, ASymptomSeveralFaultsShareCountsAnyOfTheirRootsAndBoundsTopOne) {
  Case c{case_dir()};
  c.truth.incidents =
      "[" + incident_truth("t-db", "checkout", 10 * kMinute, 20 * kMinute, event_root("db", "ev-db"), "cause-0") +
      "," + incident_truth("t-db-again", "checkout", 10 * kMinute + 30, 20 * kMinute, event_root("db", "ev-db"), "cause-3") +
      "," + incident_truth("t-inventory", "checkout", 10 * kMinute + 40, 20 * kMinute, service_root("inventory"), "cause-1") +
      "," + incident_truth("t-db-itself", "checkout", 10 * kMinute + 50, 20 * kMinute, service_root("db"), "cause-4") +
      "," + incident_truth("t-payment", "payment", 12 * kMinute, 20 * kMinute, event_root("payment", "ev-pay"), "cause-2") +
      "]";
  c.incidents = engine_incident("i-checkout", "checkout", 10 * kMinute, at(20 * kMinute),
                                "[" + event_cause(1, "db", "ev-db") + "," + service_cause(2, "inventory") + "]") +
                engine_incident("i-payment", "payment", 12 * kMinute, at(20 * kMinute),
                                "[" + service_cause(1, "checkout") + "]");
  const CommandResult r = c.evaluate();
  ASSERT_EQ(r.status, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(r.out);
  EXPECT_EQ(int64_t(doc["rca_top1_hits"]), 3) << "the db deploy's two truth incidents and db's own";
  EXPECT_EQ(int64_t(doc["shared_symptoms"]), 4);
  EXPECT_EQ(int64_t(doc["rca_top1_any_cause_hits"]), 4) << "inventory's too: db's deploy is a root of its symptom";
  EXPECT_EQ(int64_t(doc["rca_top1_bound_hits"]), 4) << "db's deploy first on checkout (3), and payment's own";
  EXPECT_DOUBLE_EQ(double(doc["rca_top1_bound"]), 0.8);
  const CommandResult table = c.evaluate("");
  EXPECT_NE(table.out.find("4 of 5 naming a root of their symptom, 4 sharing it with another fault"), std::string::npos)
      << table.out;
}

TEST(EvaluateCommand, MalformedInputsExitTwoNamingTheFileAndField) {
  const auto expect_refused = [](const Case& c, const std::string& file, const std::string& field) {
    const CommandResult r = c.evaluate();
    EXPECT_EQ(r.status, 2) << r.out;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_NE(r.err.find(file), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(field), std::string::npos) << r.err;
  };
  {
    Case c{case_dir()};
    c.enriched_events = enriched("ev-1", "final", "effective") +
                        R"({"event_id":"ev-2","stage":"final","verdict":{"kind":"scaling"}})" "\n";
    expect_refused(c, "enriched_events.jsonl", "line 2: verdict.value: missing");
  }
  {
    Case c{case_dir()};
    c.enriched_events = R"({"event_id":"ev-2","stage":"draft","verdict":{"value":"effective"}})" "\n";
    expect_refused(c, "enriched_events.jsonl", "line 1: stage");
  }
  {
    Case c{case_dir()};
    c.enriched_events = "{\"event_id\": \n";
    expect_refused(c, "enriched_events.jsonl", "line 1: not JSON");
  }
  {
    Case c{case_dir()};
    c.incidents = R"({"id":"i","service":"s","start":"yesterday","end":null,"causes":[]})" "\n";
    expect_refused(c, "incidents.jsonl", "line 1: start: not an RFC 3339 time");
  }
  {
    Case c{case_dir()};
    c.incidents = engine_incident("i", "s", 60, "null", R"([{"kind":"event","event_id":7}])");
    expect_refused(c, "incidents.jsonl", "causes[0].event_id: not a string");
  }
  {
    Case c{case_dir()};
    c.truth.incidents = "[" + incident_truth("t", "cart", 60, 120, R"({"kind":"event","service":"cart"})") + "]";
    expect_refused(c, "truth.json", "incidents[0].root_cause.event_id");
  }
  {
    Case c{case_dir()};
    c.truth.scaling = R"([{"event_id":"ev-1"}])";
    expect_refused(c, "truth.json", "scaling[0].verdict: missing");
  }
  {
    const std::string dir = case_dir();
    write(dir + "/truth.json", R"({"scenario":"x","seed":1})");
    const CommandResult r = run("--truth " + dir + "/truth.json --results " + dir + "/results");
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("truth.json: start: missing"), std::string::npos) << r.err;
  }
  {
    const std::string dir = case_dir();
    write(dir + "/truth.json", TruthFile{}.json());
    write(dir + "/results/enriched_events.jsonl", "");
    const CommandResult r = run("--truth " + dir + "/truth.json --results " + dir + "/results");
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("incidents.jsonl: cannot open"), std::string::npos) << r.err;
  }
}

TEST(EvaluateCommand, UsageErrorsExitTwo) {
  const std::string dir = case_dir();
  write(dir + "/truth.json", TruthFile{}.json());
  EXPECT_EQ(run("--results " + dir + "/results").status, 2);
  EXPECT_EQ(run("--truth " + dir + "/truth.json").status, 2);
  EXPECT_EQ(run("--truth " + dir + "/truth.json --results " + dir + "/no-such-dir").status, 2);
  EXPECT_EQ(run("--truth " + dir + "/missing.json --results " + dir + "/results").status, 2);
}

}  // namespace
}  // namespace eventlens
