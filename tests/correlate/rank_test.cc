// Ranking services as causes from their own telemetry: a service whose
// dependency went wrong first is likely a victim; one whose dependency only
// got less traffic from it is not.
#include "correlate/rank.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>

#include "correlate/config.h"
#include "correlate/graph.h"
#include "stream/derived_metrics.h"
#include "stream/shard.h"
#include "support/records.h"

namespace eventlens::correlate {
namespace {

constexpr TimeNs kSecond = stream::kSecond;
constexpr TimeNs kStart = 1'795'392'000LL * kSecond;  // the incident's start; a step boundary

struct NullObserver : stream::ShardObserver {
  void on_event(const Event&, bool) override {}
  void on_step(TimeNs) override {}
  void on_dead_letter(const Record&, const Error&) override {}
};

// Deterministic noise in [-1, 1].
double noise(int i) { return static_cast<double>((i * 37) % 11 - 5) / 5; }

// What one service and the one it calls do at second `s` of the hour
// before an incident and the five minutes after kStart: their p95 latencies
// and request rates.
struct PairStep {
  double caller_latency, callee_latency, caller_rate, callee_rate;
};

// Ranks the causes of an incident on `incident` starting at kStart, over
// the call graph `edges` (caller, callee), with neutral history and
// verdicts, after `feed(s, i, push)` has pushed the samples of second `s`
// (step `i`) of the hour before and the five minutes after kStart, every
// 15 s, and `events` at their times.
template <typename Feed>
std::vector<Cause> rank_graph_incident(const std::string& incident,
                                       const std::vector<std::pair<std::string, std::string>>& edges, Feed feed,
                                       std::vector<Event> events = {}, std::string_view symptom_role = {}) {
  Config config = default_config();
  ServiceGraph graph;
  for (const auto& [caller, callee] : edges) {
    config.topology[caller].push_back(callee);
    config.topology[callee];
    graph.add_edge(caller, callee);
  }
  NullObserver observer;
  stream::Shard shard(config.stream, observer);
  const auto input = shard.add_input();
  for (int s = -3600; s <= 300; s += 15) {
    const TimeNs t = kStart + s * kSecond;
    for (const Event& e : events) {
      if (t - 15 * kSecond < e.time && e.time <= t) shard.push(input, Record{e});
    }
    feed(s, s / 15, [&](const std::string& name, Labels labels, double value) {
      shard.push(input, Record{test::metric_sample(name, std::move(labels), t, value)});
    });
  }
  shard.flush();
  const RankInput in{shard, config, graph,
                     [](const std::string&, const std::string&) { return std::pair{0.5, std::string()}; },
                     [](const std::string&) { return std::string(); }};
  return rank_causes(in, incident, kStart, symptom_role);
}

// The same for an incident on `caller`, which calls `callee`.
template <typename Feed>
std::vector<Cause> rank_fed_incident(const std::string& caller, const std::string& callee, Feed feed,
                                     std::vector<Event> events = {}) {
  return rank_graph_incident(caller, {{caller, callee}}, feed, std::move(events));
}

// Feeds `caller` -> `callee` (p95 latency and request counters, as `at`
// says) and ranks an incident on `caller`.
template <typename At>
std::vector<Cause> rank_caller_incident(const std::string& caller, const std::string& callee, At at,
                                        std::vector<Event> events = {}) {
  double caller_requests = 0, callee_requests = 0;
  return rank_fed_incident(caller, callee, [&](int s, int i, auto push) {
    const PairStep p = at(s, i);
    caller_requests += p.caller_rate * 15;
    callee_requests += p.callee_rate * 15;
    for (const auto& [service, latency, requests] : {std::tuple{caller, p.caller_latency, caller_requests},
                                                     std::tuple{callee, p.callee_latency, callee_requests}}) {
      push("http_request_duration_seconds", {{"quantile", "0.95"}, {"service", service}}, latency);
      push("http_requests_total", {{"service", service}}, requests);
    }
  }, std::move(events));
}

// "web" calls "db". An hour of calm, then from kStart web's p95 latency is
// ten times what it was; what db does meanwhile is `db_trouble`:
// "less traffic" (web sends it 60 % fewer requests) or "slow" (its own
// latency rises a minute before web's).
std::vector<Cause> rank_web_incident(const std::string& db_trouble) {
  return rank_caller_incident("web", "db", [&](int s, int i) {
    return PairStep{(s >= 0 ? 0.5 : 0.05) + 0.002 * noise(i),
                    (db_trouble == "slow" && s >= -60 ? 0.2 : 0.01) + 0.0005 * noise(i + 3), 100 + 2 * noise(i + 7),
                    (db_trouble == "less traffic" && s >= 0 ? 40.0 : 100.0) + 2 * noise(i + 5)};
  });
}

// An event of `service` (empty: a node's) `seconds` after kStart.
Event event_of(const std::string& id, const std::string& type, Category category, const std::string& service,
               int seconds) {
  Event e;
  e.id = id;
  e.type = type;
  e.category = category;
  e.service = service;
  e.time = kStart + seconds * kSecond;
  return e;
}

// The cause naming `service` itself (kind service), or nullptr.
const Cause* service_cause(const std::vector<Cause>& causes, const std::string& service) {
  for (const Cause& c : causes) {
    if (c.kind == "service" && c.service == service) return &c;
  }
  return nullptr;
}

double part(const Cause& c, const std::string& name) {
  for (const auto& r : c.reasons) {
    if (r.name == name) return r.value;
  }
  return std::nan("");
}

TEST(RankServices, ACallerWhoseDependencyOnlyGotLessTrafficIsTheOrigin) {
  const std::vector<Cause> causes = rank_web_incident("less traffic");
  ASSERT_FALSE(causes.empty());
  EXPECT_EQ(causes.front().service, "web");
  EXPECT_EQ(part(causes.front(), "origin"), 1.0);
}

TEST(RankServices, ACallerWhoseDependencyWentWrongFirstIsAVictim) {
  const std::vector<Cause> causes = rank_web_incident("slow");
  ASSERT_GE(causes.size(), 2u);
  EXPECT_EQ(causes.front().service, "db");
  for (const Cause& c : causes) {
    if (c.service == "web") {
      EXPECT_LT(part(c, "origin"), 0.5);
    }
  }
}

// Overlapping faults: db (which web calls) has been slow since
// `db_slow_from` s before kStart and stays slow; web's config changes
// `change_at` s before kStart; web's own p95 is ten times its level from
// kStart on, and normal before.
std::vector<Cause> rank_change_over_a_slow_dependency(int db_slow_from, int change_at) {
  const Event change = event_of("ev-change-web", "config_changed", Category::change, "web", change_at);
  return rank_caller_incident("web", "db", [&](int s, int i) {
    return PairStep{(s >= 0 ? 0.5 : 0.05) + 0.002 * noise(i),
                    (s >= db_slow_from ? 0.2 : 0.01) + 0.0005 * noise(i + 3), 100 + 2 * noise(i + 7),
                    100 + 2 * noise(i + 5)};
  }, {change});
}

// db went wrong 200 s before kStart, web changed 20 s before it and only
// then went wrong: web's deviation answers to its own change (the newest
// trigger), not to db's older trouble, which would have shown in web within
// a step or two.
TEST(RankEvents, AServicesOwnChangeAfterItsDependencysTroubleBeganIsTheNewestTrigger) {
  const std::vector<Cause> causes = rank_change_over_a_slow_dependency(-200, -20);
  ASSERT_GE(causes.size(), 2u);
  EXPECT_EQ(causes.front().event_id, "ev-change-web");
  const Cause* web = service_cause(causes, "web");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(part(*web, "origin"), 1.0);
  for (const auto& r : web->reasons) {
    if (r.name == "origin") {
      EXPECT_NE(r.sentence.find("1 was in trouble before its own change at"), std::string::npos) << r.sentence;
    }
  }
}

// The same change, but db went wrong after it (and web after db): db's
// trouble is the newer one, and web remains its victim.
TEST(RankEvents, ADependencysTroubleAfterTheChangeStillMakesTheServiceAVictim) {
  const std::vector<Cause> causes = rank_change_over_a_slow_dependency(-60, -200);
  ASSERT_GE(causes.size(), 2u);
  EXPECT_NE(causes.front().event_id, "ev-change-web");
  const Cause* web = service_cause(causes, "web");
  ASSERT_NE(web, nullptr);
  EXPECT_LT(part(*web, "origin"), 0.5);
}

std::string expected_root(const Cause& c) { return c.service.empty() ? "event " + c.event_id : c.service; }

// web's config change, web itself and db: the change and web are one answer
// (web), told twice; db is another. The first two causes name both answers,
// then the rest follows; each part in score order.
TEST(RankCauses, TheFirstCausesNameDifferentRootsEachInScoreOrder) {
  const std::vector<Cause> causes = rank_change_over_a_slow_dependency(-200, -20);
  ASSERT_GE(causes.size(), 3u);
  EXPECT_EQ(causes[0].event_id, "ev-change-web");
  EXPECT_EQ(causes[1].service, "db");
  std::vector<std::string> roots;
  std::size_t firsts = 0;
  while (firsts < causes.size() &&
         std::find(roots.begin(), roots.end(), expected_root(causes[firsts])) == roots.end()) {
    roots.push_back(expected_root(causes[firsts]));
    ++firsts;
  }
  ASSERT_LT(firsts, causes.size()) << "web's own cause comes after db's";
  for (std::size_t i = 0; i < causes.size(); ++i) {
    EXPECT_EQ(causes[i].rank, static_cast<int>(i + 1));
    if (i + 1 < firsts || (i >= firsts && i + 1 < causes.size())) {
      EXPECT_GE(causes[i].score, causes[i + 1].score) << "cause " << i;
    }
    if (i >= firsts) {
      EXPECT_NE(std::find(roots.begin(), roots.end(), expected_root(causes[i])), roots.end()) << "no new root after the firsts";
    }
  }
}

// web's latency is ten times its level from kStart on, db stays normal; web
// scaled up 20 s before (an autoscaler stepping, whatever for). A scale-up
// rarely causes trouble: close as it is, it does not outrank web's own
// deviation, which nothing explains.
TEST(RankEvents, AnEventThatRarelyCausesTroubleDoesNotOutrankTheServiceItCameNear) {
  const Event up = event_of("ev-up-web", "scale_up", Category::scaling, "web", -20);
  const std::vector<Cause> causes = rank_caller_incident("web", "db", [](int s, int i) {
    return PairStep{(s >= 0 ? 0.5 : 0.05) + 0.002 * noise(i), 0.01 + 0.0005 * noise(i + 3), 100 + 2 * noise(i + 7),
                    100 + 2 * noise(i + 5)};
  }, {up});
  ASSERT_GE(causes.size(), 2u);
  EXPECT_EQ(causes.front().kind, "service");
  EXPECT_EQ(causes.front().service, "web");
  bool listed = false;
  for (const Cause& c : causes) listed = listed || c.event_id == "ev-up-web";
  EXPECT_TRUE(listed) << "the scale-up is still a candidate, below web";
}

// A pass-through node: "gateway" fronts "api" alone, and its latency and
// traffic mirror api's (a load balancer, a sidecar). From kStart api's p95
// is ten times what it was and the gateway's follows in the same step, a
// touch higher (its own few milliseconds on top) and a touch noisier.
std::vector<Cause> rank_pass_through_incident() {
  return rank_caller_incident("gateway", "api", [](int s, int i) {
    const double api = (s >= 0 ? 0.5 : 0.05) + 0.002 * noise(i);
    const double rate = 100 + 2 * noise(i + 7);
    return PairStep{api + 0.003 + 0.003 * noise(i + 4), api, rate, rate};
  });
}

TEST(RankServices, APassThroughNodeDoesNotOutrankTheServiceItFronts) {
  const std::vector<Cause> causes = rank_pass_through_incident();
  ASSERT_GE(causes.size(), 2u);
  EXPECT_EQ(causes.front().service, "api");
  for (const Cause& c : causes) {
    if (c.service == "gateway") {
      EXPECT_LT(part(c, "origin"), 0.5) << "its deviation is api's";
    }
  }
}

// "front" calls "web" and "search", which call no one. An hour of calm,
// then from a minute before kStart search's p95 latency is fifty times what
// it was and front's follows; from kStart, what web sees is `web_symptom`:
// "slower" (its own p95 latency triples) or "less traffic" (front, failing
// its pages on search, sends it 60 % fewer requests).
std::vector<Cause> rank_sibling_incident(const std::string& web_symptom) {
  double requests[3] = {0, 0, 0};
  return rank_graph_incident("web", {{"front", "web"}, {"front", "search"}}, [&](int s, int i, auto push) {
    const bool search_slow = s >= -60;
    const double latency[3] = {(search_slow ? 2.0 : 0.1) + 0.002 * noise(i),
                               (web_symptom == "slower" && s >= 0 ? 0.15 : 0.05) + 0.001 * noise(i + 3),
                               (search_slow ? 1.0 : 0.02) + 0.0005 * noise(i + 5)};
    const double rate[3] = {100 + 2 * noise(i + 7),
                            (web_symptom == "less traffic" && s >= 0 ? 40.0 : 100.0) + 2 * noise(i + 9),
                            100 + 2 * noise(i + 11)};
    const char* names[3] = {"front", "web", "search"};
    for (int k = 0; k < 3; ++k) {
      requests[k] += rate[k] * 15;
      push("http_request_duration_seconds", {{"quantile", "0.95"}, {"service", names[k]}}, latency[k]);
      push("http_requests_total", {{"service", names[k]}}, requests[k]);
    }
  });
}

TEST(RankServices, ASiblingsTroubleHasNoPathToAServiceThatDoesNotCallIt) {
  const std::vector<Cause> causes = rank_sibling_incident("slower");
  ASSERT_FALSE(causes.empty());
  EXPECT_EQ(causes.front().service, "web");
  const Cause* search = service_cause(causes, "search");
  ASSERT_NE(search, nullptr) << "search deviated, so it is a candidate";
  EXPECT_LT(search->score, causes.front().score);
  EXPECT_DOUBLE_EQ(part(*search, "graph_distance"), 0.1);
  bool said = false;
  for (const auto& r : search->reasons) said = said || r.sentence.find("no path") != std::string::npos;
  EXPECT_TRUE(said) << "the graph reason says why search cannot reach web";
}

TEST(RankServices, ASiblingsTroubleReachesAServiceThatOnlyGotLessTrafficThroughTheirCaller) {
  const std::vector<Cause> causes = rank_sibling_incident("less traffic");
  ASSERT_FALSE(causes.empty());
  EXPECT_EQ(causes.front().service, "search");
  EXPECT_DOUBLE_EQ(part(causes.front(), "graph_distance"), 1.0 / 3);
}

// "web" calls "db" and "cache". An hour of calm; from two minutes before
// kStart cache answers five times slower; from half a minute before, a
// fifth of db's requests fail (fast: its latency stays); from kStart web's
// p95 latency triples. Ranked as a latency symptom of web.
std::vector<Cause> rank_slow_caller_of_a_failing_and_a_slow_dependency() {
  double requests[3] = {0, 0, 0}, errors = 0;
  return rank_graph_incident(
      "web", {{"web", "db"}, {"web", "cache"}},
      [&](int s, int i, auto push) {
        const double latency[3] = {(s >= 0 ? 0.3 : 0.1) + 0.002 * noise(i), 0.02 + 0.0005 * noise(i + 3),
                                   (s >= -120 ? 0.05 : 0.01) + 0.0002 * noise(i + 5)};
        const char* names[3] = {"web", "db", "cache"};
        for (int k = 0; k < 3; ++k) {
          requests[k] += (100 + 2 * noise(i + 7 + k)) * 15;
          push("http_request_duration_seconds", {{"quantile", "0.95"}, {"service", names[k]}}, latency[k]);
          push("http_requests_total", {{"service", names[k]}}, requests[k]);
        }
        errors += (s >= -30 ? 20.0 : 0.1 + 0.05 * noise(i + 2)) * 15;
        push("http_requests_errors_total", {{"service", "db"}}, errors);
      },
      {}, "latency");
}

TEST(RankServices, ADependencyThatOnlyFailedRequestsDoesNotExplainItsCallersSlowness) {
  const std::vector<Cause> causes = rank_slow_caller_of_a_failing_and_a_slow_dependency();
  ASSERT_FALSE(causes.empty());
  EXPECT_EQ(causes.front().service, "cache");
  const Cause* db = service_cause(causes, "db");
  ASSERT_NE(db, nullptr) << "db's errors deviated, so it is a candidate";
  bool said = false;
  for (const auto& r : db->reasons) said = said || r.sentence.find("only failed requests") != std::string::npos;
  EXPECT_TRUE(said) << "its onset reason says why it counts less";
}

// Signals derived from spans (stream/derived_metrics.h), pushed here as the
// engine hands them to the shard: "web" calls "db", both export request
// counters and p95 latency; web also exports an error counter. What db's
// spans and its callers' client spans say is `db_spans`:
// "exceptions" -- from a minute before kStart a fifth of db's server spans
//   fail while db exports no error counter (a code defect that shows only in
//   span status and logs); web's errors rise from kStart;
// "slow calls" -- from a minute before kStart the calls web makes to db take
//   0.3 s longer (a network delay on db's pod: db's own latency stays flat);
//   web's latency rises from kStart;
// "noisy spans" -- db's own p95 metric stays flat while the mean latency of
//   its sampled spans triples a minute before kStart; web's latency rises
//   from kStart.
std::vector<Cause> rank_with_db_spans(const std::string& db_spans) {
  double web_requests = 0, web_errors = 0, db_requests = 0, db_span_errors = 0, db_span_seconds = 0,
         call_seconds = 0;
  return rank_fed_incident("web", "db", [&](int s, int step, auto push) {
    const int i = step + 1000;  // noise() of a positive argument: in [-1, 1], counters only grow
    const bool before = s < -60;
    web_requests += 1500;
    db_requests += 1500;
    web_errors += (db_spans == "exceptions" && s >= 0 ? 300 : 1.5) + noise(i);
    db_span_errors += db_spans == "exceptions" && !before ? 300 : 1 + noise(i + 2);
    const double db_mean = (db_spans == "noisy spans" && !before ? 0.03 : 0.01) + 0.0005 * noise(i + 3);
    db_span_seconds += 1500 * db_mean;
    call_seconds += 1500 * ((db_spans == "slow calls" && !before ? 0.31 : 0.011) + 0.0005 * noise(i + 4));
    const bool web_slow = db_spans != "exceptions" && s >= 0;
    push("http_request_duration_seconds", {{"quantile", "0.95"}, {"service", "web"}},
         (web_slow ? 0.5 : 0.05) + 0.002 * noise(i));
    push("http_request_duration_seconds", {{"quantile", "0.95"}, {"service", "db"}}, 0.01 + 0.0005 * noise(i + 3));
    push("http_requests_total", {{"service", "web"}}, web_requests);
    push("http_requests_total", {{"service", "db"}}, db_requests);
    push("http_requests_errors_total", {{"service", "web"}}, web_errors);
    push(stream::kSpanRequestsTotal, {{"service", "db"}}, db_requests);
    push(stream::kSpanErrorsTotal, {{"service", "db"}}, db_span_errors);
    push(stream::kSpanDurationSum, {{"service", "db"}}, db_span_seconds);
    push(stream::kSpanDurationCount, {{"service", "db"}}, db_requests);
    push(stream::kCallDurationSum, {{"service", "db"}}, call_seconds);
    push(stream::kCallDurationCount, {{"service", "db"}}, db_requests);
  });
}

// Checks that `service` ranks first, its onset read from `role`, and that
// the reason names where that signal came from.
void expect_first_from(const std::vector<Cause>& causes, const std::string& service, const std::string& role,
                       const std::string& source) {
  ASSERT_GE(causes.size(), 2u);
  EXPECT_EQ(causes.front().service, service);
  std::string onset;
  for (const auto& r : causes.front().reasons) {
    if (r.name == "onset") onset = r.sentence;
  }
  EXPECT_NE(onset.find("its " + role + " ("), std::string::npos) << onset;
  EXPECT_NE(onset.find(source), std::string::npos) << onset;
}

TEST(RankModalities, FailingSpansOfAServiceWithNoErrorCounterMakeItTheOrigin) {
  expect_first_from(rank_with_db_spans("exceptions"), "db", "span_errors", "from its spans");
}

TEST(RankModalities, CallsThatSlowedAtTheCallerPutANetworkDelayOnTheCallee) {
  const std::vector<Cause> causes = rank_with_db_spans("slow calls");
  expect_first_from(causes, "db", "call_latency", "from its callers' client spans");
  for (const Cause& c : causes) {
    if (c.service == "web") {
      EXPECT_LT(part(c, "origin"), 0.5) << "web only waited on db";
    }
  }
}

TEST(RankModalities, AServicesOwnLatencyMetricOutweighsItsSampledSpans) {
  const std::vector<Cause> causes = rank_with_db_spans("noisy spans");
  ASSERT_FALSE(causes.empty());
  EXPECT_EQ(causes.front().service, "web");
  EXPECT_EQ(part(causes.front(), "origin"), 1.0) << "db's own p95 stayed flat";
}

// A release wave: "web" and "db" both deploy in the same minutes (web at
// kStart - 150 s, db at kStart - 60 s). db's release answers a fifth of
// web's calls wrongly and does not count it: its own metrics stay flat,
// while web's client spans of calls to db fail from kStart - 45 s and web's
// error ratio rises from kStart.
std::vector<Cause> rank_release_wave() {
  auto deploy = [](const std::string& service, int s) {
    return event_of("ev-deploy-" + service, "deploy", Category::change, service, s);
  };
  double requests = 0, web_errors = 0, call_errors = 0, call_seconds = 0;
  return rank_fed_incident(
      "web", "db",
      [&](int s, int step, auto push) {
        const int i = step + 1000;
        requests += 1500;
        web_errors += (s >= 0 ? 300 : 1.5) + noise(i);
        call_errors += (s >= -45 ? 300 : 1) + noise(i + 2);
        call_seconds += 1500 * (0.011 + 0.0005 * noise(i + 4));
        for (const std::string service : {"web", "db"}) {
          push("http_request_duration_seconds", {{"quantile", "0.95"}, {"service", service}},
               (service == "web" ? 0.05 : 0.01) + 0.0005 * noise(i + 3));
          push("http_requests_total", {{"service", service}}, requests);
        }
        push("http_requests_errors_total", {{"service", "web"}}, web_errors);
        push(stream::kCallErrorsTotal, {{"service", "db"}}, call_errors);
        push(stream::kCallDurationSum, {{"service", "db"}}, call_seconds);
        push(stream::kCallDurationCount, {{"service", "db"}}, requests);
      },
      {deploy("web", -150), deploy("db", -60)});
}

// web's latency rises from kStart; of the 60 calls a step web makes to db,
// none ever failed, until one failed in each of two steps two minutes before
// (a ratio of 1.7 %, "infinitely" above its baseline of 0, and 2 failures).
// Too few failures to speak of: web, whose dependency stayed normal, is the
// origin.
TEST(RankModalities, AFailedCallOrTwoIsNoDeviationOfTheCallee) {
  double requests = 0, call_errors = 0;
  const std::vector<Cause> causes = rank_fed_incident("web", "db", [&](int s, int step, auto push) {
    const int i = step + 1000;
    requests += 60;
    call_errors += (s == -120 || s == -105) ? 1 : 0;
    push("http_request_duration_seconds", {{"quantile", "0.95"}, {"service", "web"}},
         (s >= 0 ? 0.5 : 0.05) + 0.002 * noise(i));
    push("http_request_duration_seconds", {{"quantile", "0.95"}, {"service", "db"}}, 0.01 + 0.0005 * noise(i + 3));
    push("http_requests_total", {{"service", "web"}}, requests);
    push("http_requests_total", {{"service", "db"}}, requests);
    push(stream::kCallErrorsTotal, {{"service", "db"}}, call_errors);
    push(stream::kCallDurationSum, {{"service", "db"}}, requests * 0.011);
    push(stream::kCallDurationCount, {{"service", "db"}}, requests);
  });
  ASSERT_FALSE(causes.empty());
  EXPECT_EQ(causes.front().service, "web");
  EXPECT_EQ(part(causes.front(), "origin"), 1.0);
}

TEST(RankModalities, OfSeveralReleasesTheOneWhoseCallersCallsFailedRanksFirst) {
  const std::vector<Cause> causes = rank_release_wave();
  ASSERT_GE(causes.size(), 3u);
  EXPECT_EQ(causes.front().event_id, "ev-deploy-db");
  for (const Cause& c : causes) {
    if (c.event_id == "ev-deploy-web") {
      EXPECT_LT(c.score, causes.front().score - 0.1) << "web only passed db's wrong answers on";
    }
    if (c.kind == "service" && c.service == "db") {
      EXPECT_EQ(c.reasons.front().name, "onset");
      EXPECT_NE(c.reasons.front().sentence.find("its call_errors ("), std::string::npos) << c.reasons.front().sentence;
    }
  }
}

// A node fails: "node-1" goes NotReady 400 s before kStart and db's pod on
// it is evicted once its toleration runs out, 75 s before kStart; db's
// latency rises from a minute before kStart, web's (its caller) from kStart.
// The eviction, nearer the trouble, is the node failure's consequence: the
// node event ranks first.
TEST(RankEvents, APodEvictedFromANodeThatJustFailedIsItsConsequence) {
  Event node = event_of("ev-node", "node_not_ready", Category::failure, "", -400);
  node.node = "node-1";
  Event evicted = node;
  evicted.id = "ev-evicted";
  evicted.type = "evicted";
  evicted.service = "db";
  evicted.pod = "db-1";
  evicted.time = kStart - 75 * kSecond;
  const std::vector<Cause> causes = rank_caller_incident("web", "db", [](int s, int i) {
    return PairStep{(s >= 0 ? 0.5 : 0.05) + 0.002 * noise(i), (s >= -60 ? 0.2 : 0.01) + 0.0005 * noise(i + 3),
                    100 + 2 * noise(i + 7), 100 + 2 * noise(i + 5)};
  }, {node, evicted});
  ASSERT_GE(causes.size(), 2u);
  EXPECT_EQ(causes.front().event_id, "ev-node");
  for (const Cause& c : causes) {
    if (c.event_id != "ev-evicted") continue;
    bool said = false;
    for (const auto& r : c.reasons) said = said || (r.name == "consequence_of" && r.sentence.find("node-1") != std::string::npos);
    EXPECT_TRUE(said) << "its reasons name the node failure";
  }
}

// Noisy neighbours: "web" calls "db", one pod each, both on node "n1". From a
// minute before kStart n1's CPU climbs to three times its level; db's
// latency rises from 45 s before kStart, web's from kStart; neither gets
// more requests. With `db_hog`, it is db's own CPU that climbs with the
// node's (db is the hog: its own trouble); without, nothing of ours used it
// (a neighbour we do not watch).
// With `two_nodes`, each also has a second pod on "n0", as busy.
std::vector<Cause> rank_on_a_busy_node(bool db_hog, bool two_nodes = false) {
  double requests = 0, web_cpu = 0, db_cpu = 0, node_cpu = 0;
  return rank_fed_incident("web", "db", [&](int s, int step, auto push) {
    const int i = step + 1000;
    const bool busy = s >= -60;
    requests += 1500;
    web_cpu += 15 * 0.4;
    db_cpu += 15 * (db_hog && busy ? 2.4 : 0.4);
    node_cpu += 15 * ((busy ? 3.0 : 1.0) + 0.01 * noise(i));
    push("http_request_duration_seconds", {{"quantile", "0.95"}, {"service", "web"}},
         (s >= 0 ? 0.5 : 0.05) + 0.002 * noise(i));
    push("http_request_duration_seconds", {{"quantile", "0.95"}, {"service", "db"}},
         (s >= -45 ? 0.05 : 0.01) + 0.0005 * noise(i + 3));
    push("http_requests_total", {{"service", "web"}}, requests);
    push("http_requests_total", {{"service", "db"}}, requests);
    push("container_cpu_usage_seconds_total", {{"node", "n1"}, {"pod", "web-1"}, {"service", "web"}}, web_cpu);
    push("container_cpu_usage_seconds_total", {{"node", "n1"}, {"pod", "db-1"}, {"service", "db"}}, db_cpu);
    push("node_cpu_usage_seconds_total", {{"node", "n1"}}, node_cpu);
    if (two_nodes) {
      push("container_cpu_usage_seconds_total", {{"node", "n0"}, {"pod", "web-2"}, {"service", "web"}}, web_cpu);
      push("container_cpu_usage_seconds_total", {{"node", "n0"}, {"pod", "db-2"}, {"service", "db"}}, db_cpu);
      push("node_cpu_usage_seconds_total", {{"node", "n0"}}, node_cpu);
    }
  });
}

TEST(RankServices, ContentionOnItsNodeMakesTheIncidentsOwnServiceTheOrigin) {
  const std::vector<Cause> causes = rank_on_a_busy_node(false);
  ASSERT_GE(causes.size(), 2u);
  EXPECT_EQ(causes.front().service, "web");
  EXPECT_EQ(part(causes.front(), "origin"), 1.0);
  for (const Cause& c : causes) {
    for (const auto& r : c.reasons) {
      if (r.name != "origin") continue;
      if (c.service == "web") {
        EXPECT_NE(r.sentence.find("contention where it runs"), std::string::npos) << r.sentence;
      }
      if (c.service == "db") {
        EXPECT_NE(r.sentence.find("runs on n1 with web"), std::string::npos) << r.sentence;
      }
    }
  }
}

// Sharing two busy nodes with the incident's service, the victim's reason
// names the first by name, whatever order the shard keeps its placements in
// (a hash map's, which differs from run to run).
TEST(RankServices, AVictimOfContentionOnSeveralSharedNodesNamesTheFirst) {
  const std::vector<Cause> causes = rank_on_a_busy_node(false, true);
  bool said = false;
  for (const Cause& c : causes) {
    if (c.service != "db") continue;
    for (const auto& r : c.reasons) {
      if (r.name != "origin") continue;
      EXPECT_NE(r.sentence.find("runs on n0 with web"), std::string::npos) << r.sentence;
      said = true;
    }
  }
  EXPECT_TRUE(said);
}

TEST(RankServices, ANodeBusyWithOurOwnServicesWorkIsNoNeighboursContention) {
  const std::vector<Cause> causes = rank_on_a_busy_node(true);
  ASSERT_GE(causes.size(), 2u);
  EXPECT_EQ(causes.front().service, "db") << "db's own CPU rose: it is the origin, web its victim";
  for (const Cause& c : causes) {
    if (c.service == "web") {
      EXPECT_LT(part(c, "origin"), 0.5);
    }
  }
}

// A leaking "pay": killed for memory 15.5 min before its latency incident,
// scaled down 9 min before it, its memory climbing again from a few seconds
// after the scale-down. Both events have a harmful record; the scale-down's
// is even its own verdict.
std::vector<Cause> rank_leak_incident() {
  Config config = default_config();
  NullObserver observer;
  stream::Shard shard(config.stream, observer);
  const auto input = shard.add_input();
  const ServiceGraph graph;
  const Event oom = event_of("ev-oom", "oom_killed", Category::failure, "pay", -930);
  Event down = oom;
  down.id = "ev-down";
  down.type = "scale_down";
  down.category = Category::scaling;
  down.time = kStart - 540 * kSecond;
  const Labels pod = {{"pod", "pay-1"}, {"service", "pay"}};
  for (int s = -3600; s <= 300; s += 15) {
    const TimeNs t = kStart + s * kSecond;
    const int i = s / 15;
    if (t - 15 * kSecond < oom.time && oom.time <= t) shard.push(input, Record{oom});
    if (t - 15 * kSecond < down.time && down.time <= t) shard.push(input, Record{down});
    const double memory = 3e8 + 1e6 * noise(i) + (s > -525 ? 2e7 * (s + 525) / 15.0 : 0.0);
    const double latency = (s >= 0 ? 0.5 : 0.05) + 0.002 * noise(i + 3);
    shard.push(input, Record{test::metric_sample("container_memory_working_set_bytes", pod, t, memory)});
    shard.push(input, Record{test::metric_sample("http_request_duration_seconds",
                                                 {{"quantile", "0.95"}, {"service", "pay"}}, t, latency)});
  }
  shard.flush();
  const RankInput in{shard, config, graph,
                     [](const std::string&, const std::string& type) {
                       return std::pair{type == "oom_killed" ? 0.9 : 0.86, std::string()};
                     },
                     [](const std::string& id) { return std::string(id == "ev-down" ? "harmful" : "memory_exhaustion"); }};
  return rank_causes(in, "pay", kStart);
}

TEST(RankEvents, AScalingIsTimedAgainstWhatCapacityMovesNotAPodsMemory) {
  // The memory climb right after the scale-down is the leak's; the latency
  // it could have moved rose 9 min after it. The kill is the cause.
  const std::vector<Cause> causes = rank_leak_incident();
  ASSERT_FALSE(causes.empty());
  EXPECT_EQ(causes.front().kind, "event");
  EXPECT_EQ(causes.front().event_id, "ev-oom");
  for (const Cause& c : causes) {
    if (c.event_id == "ev-down") {
      EXPECT_LT(part(c, "time_proximity"), 0.3);
    }
  }
}

}  // namespace
}  // namespace eventlens::correlate
