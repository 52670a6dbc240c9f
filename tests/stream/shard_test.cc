#include "stream/shard.h"
#include "stream/state_io.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "stream/log_template.h"
#include "stream/watermark.h"
#include "support/records.h"
#include "support/simulated.h"

namespace eventlens::stream {
namespace {

constexpr TimeNs kT0 = 1'700'000'000LL * kSecond;  // a step boundary for 15 s steps? (1.7e9 % 15 == 5)

struct Recorder : ShardObserver {
  std::vector<TimeNs> steps;
  std::vector<std::string> events;
  std::vector<std::string> dead;
  void on_event(const Event& e, bool late) override { events.push_back(e.id + (late ? " late" : "")); }
  void on_step(TimeNs t) override { steps.push_back(t); }
  void on_dead_letter(const Record&, const Error& reason) override { dead.push_back(reason.to_string()); }
};

MetricSample sample(std::string name, Labels labels, TimeNs t, double v) {
  return test::metric_sample(std::move(name), std::move(labels), t, v);
}

StreamConfig config_with(std::vector<SignalSpec> signals) {
  StreamConfig c;
  c.step = 15 * kSecond;
  c.max_out_of_orderness = 15 * kSecond;
  c.signals = std::move(signals);
  return c;
}

SignalSpec spec(std::string role, std::string metric, SeriesKind kind, Aggregate agg, Labels match = {}) {
  SignalSpec s;
  s.role = std::move(role);
  s.metric = std::move(metric);
  s.kind = kind;
  s.aggregate = agg;
  s.match = std::move(match);
  return s;
}

TimeNs step_start() { return kT0 - kT0 % (15 * kSecond); }

TEST(Interner, GivesEachStringOneIdWhateverTheOrderOfCalls) {
  Interner strings;
  EXPECT_EQ(strings.intern(""), 0u);
  const StringId web = strings.intern("web");
  EXPECT_EQ(strings.intern("web"), web) << "a repeat (answered from the last id)";
  const StringId db = strings.intern("db");
  EXPECT_NE(db, web);
  EXPECT_EQ(strings.intern("web"), web) << "back to an earlier one";
  EXPECT_EQ(strings.intern("we"), strings.intern("we")) << "a prefix of the last is another string";
  EXPECT_NE(strings.intern("we"), web);
  EXPECT_EQ(strings.intern(""), 0u);
  EXPECT_EQ(strings.find("db"), db);
  EXPECT_EQ(strings.find("nope"), 0u);
  EXPECT_EQ(strings.name(db), "db");
  EXPECT_EQ(strings.size(), 4u);
}

TEST(Watermark, IsTheSlowestActiveInputMinusTheBound) {
  WatermarkTracker w(10);
  const auto a = w.add_input(), b = w.add_input();
  w.observe(a, 100);
  EXPECT_EQ(w.current(), kNoTime) << "b has shown nothing yet and may send anything";
  w.observe(b, 50);
  EXPECT_EQ(w.current(), 40);
  w.observe(b, 200);
  EXPECT_EQ(w.current(), 90);
  w.set_idle(a, true);
  EXPECT_EQ(w.current(), 190) << "an idle input no longer holds it back";
  w.set_idle(a, false);
  EXPECT_EQ(w.current(), 190) << "it never goes backwards";
  w.set_idle(a, true);
  w.set_idle(b, true);
  EXPECT_EQ(w.current(), 200) << "all idle: event time reaches the newest record";
}

TEST(Watermark, LiveInputsAllCaughtUpStopTheBoundShortOfTheNewest) {
  WatermarkTracker w(10, /*all_idle_reaches_newest=*/false);
  const auto a = w.add_input(), b = w.add_input();
  w.observe(a, 100);
  w.observe(b, 150);
  EXPECT_EQ(w.current(), 90);
  w.set_idle(a, true);
  EXPECT_EQ(w.current(), 140);
  w.set_idle(b, true);
  EXPECT_EQ(w.current(), 140) << "what a caught-up input sends next may be up to the bound older than 150";
  w.observe(a, 300);
  EXPECT_EQ(w.current(), 290);
}

TEST(Shard, GaugeSignalTakesTheAggregateOfPodsPerStep) {
  Recorder obs;
  Shard shard(config_with({spec("latency", "lat", SeriesKind::gauge, Aggregate::max)}), obs);
  const auto in = shard.add_input();
  const TimeNs t = step_start();
  for (int k = 0; k < 8; ++k) {
    shard.push(in, sample("lat", {{"pod", "a"}, {"service", "web"}}, t + k * 15 * kSecond, 0.1 + k));
    shard.push(in, sample("lat", {{"pod", "b"}, {"service", "web"}}, t + k * 15 * kSecond + kSecond, 0.5 + k));
  }
  shard.flush();
  ASSERT_EQ(shard.signal_count(), 1u);
  std::vector<Point> pts;
  shard.signal_points(0, t, t + 8 * 15 * kSecond, pts);
  ASSERT_EQ(pts.size(), 8u);
  for (int k = 0; k < 8; ++k) {
    EXPECT_EQ(pts[k].time, t + k * 15 * kSecond);
    EXPECT_NEAR(pts[k].value, 0.5 + k, 1e-6);
  }
  EXPECT_EQ(shard.series_of(0).size(), 2u);
  // Steps are announced in order, each once.
  for (std::size_t i = 1; i < obs.steps.size(); ++i) EXPECT_EQ(obs.steps[i], obs.steps[i - 1] + 15 * kSecond);
  EXPECT_EQ(obs.steps.back(), t + 7 * 15 * kSecond);
}

TEST(Shard, SignalMeanIsTheMeanOfTheWindowsPoints) {
  Recorder obs;
  Shard shard(config_with({spec("latency", "lat", SeriesKind::gauge, Aggregate::max)}), obs);
  const auto in = shard.add_input();
  const TimeNs t = step_start();
  for (int k = 0; k < 10; ++k) {
    if (k == 3 || k == 4) continue;  // missing steps are left out, not zeros
    shard.push(in, sample("lat", {{"service", "web"}}, t + k * 15 * kSecond, 1.0 + k * k));
  }
  shard.flush();
  const auto mean_of_points = [&](TimeNs from, TimeNs to) {
    std::vector<Point> pts;
    shard.signal_points(0, from, to, pts);
    double sum = 0;
    for (const Point& p : pts) sum += p.value;
    return pts.empty() ? std::nan("") : sum / static_cast<double>(pts.size());
  };
  for (const auto& [from, to] : {std::pair{t, t + 10 * 15 * kSecond}, std::pair{t + 2 * 15 * kSecond, t + 6 * 15 * kSecond},
                                 std::pair{t + kSecond, t + 5 * 15 * kSecond - kSecond}}) {
    EXPECT_EQ(shard.signal_mean(0, from, to), mean_of_points(from, to));
  }
  // By hand: steps 2, 5 (3 and 4 missing) -> (5 + 26) / 2.
  EXPECT_DOUBLE_EQ(shard.signal_mean(0, t + 2 * 15 * kSecond, t + 6 * 15 * kSecond), 15.5);
  EXPECT_TRUE(std::isnan(shard.signal_mean(0, t + 3 * 15 * kSecond, t + 5 * 15 * kSecond)));
  EXPECT_TRUE(std::isnan(shard.signal_mean(0, t + 20 * 15 * kSecond, t + 30 * 15 * kSecond)));
}

TEST(Shard, CounterSignalIsARateAndSurvivesAReset) {
  Recorder obs;
  Shard shard(config_with({spec("throughput", "req_total", SeriesKind::counter, Aggregate::sum)}), obs);
  const auto in = shard.add_input();
  const TimeNs t = step_start();
  const double values[] = {100, 250, 400, 30, 180};  // reset after the third
  for (int k = 0; k < 5; ++k) shard.push(in, sample("req_total", {{"service", "api"}}, t + k * 15 * kSecond, values[k]));
  shard.flush();
  std::vector<Point> pts;
  shard.signal_points(0, t, t + 5 * 15 * kSecond, pts);
  ASSERT_EQ(pts.size(), 4u) << "the first sample gives no rate";
  EXPECT_NEAR(pts[0].value, 10.0, 1e-6);
  EXPECT_NEAR(pts[1].value, 10.0, 1e-6);
  EXPECT_NEAR(pts[2].value, 2.0, 1e-6) << "after a reset the counter counted from zero";
  EXPECT_NEAR(pts[3].value, 10.0, 1e-6);
}

TEST(Shard, ErrorRatioDividesTwoCounters) {
  Recorder obs;
  auto errors = spec("errors", "err_total", SeriesKind::counter, Aggregate::sum);
  errors.ratio_of = "req_total";
  Shard shard(config_with({errors}), obs);
  const auto in = shard.add_input();
  const TimeNs t = step_start();
  for (int k = 0; k < 4; ++k) {
    shard.push(in, sample("err_total", {{"service", "api"}}, t + k * 15 * kSecond, 3.0 * k));
    shard.push(in, sample("req_total", {{"service", "api"}}, t + k * 15 * kSecond, 150.0 * k));
  }
  shard.flush();
  std::vector<Point> pts;
  shard.signal_points(0, t, t + 4 * 15 * kSecond, pts);
  ASSERT_EQ(pts.size(), 3u);
  for (const Point& p : pts) EXPECT_NEAR(p.value, 0.02, 1e-6);
}

TEST(Shard, HistogramSignalReadsTheQuantileFromBucketRates) {
  Recorder obs;
  auto h = spec("latency", "dur", SeriesKind::histogram, Aggregate::max);
  h.quantile = 0.5;
  Shard shard(config_with({h}), obs);
  const auto in = shard.add_input();
  const TimeNs t = step_start();
  // Per step: 10 requests <= 0.1 s, 10 more <= 0.2 s, none beyond.
  for (int k = 0; k < 3; ++k) {
    const TimeNs at = t + k * 15 * kSecond;
    shard.push(in, sample("dur_bucket", {{"le", "0.1"}, {"service", "api"}}, at, 10.0 * k));
    shard.push(in, sample("dur_bucket", {{"le", "0.2"}, {"service", "api"}}, at, 20.0 * k));
    shard.push(in, sample("dur_bucket", {{"le", "+Inf"}, {"service", "api"}}, at, 20.0 * k));
  }
  shard.flush();
  std::vector<Point> pts;
  shard.signal_points(0, t, t + 3 * 15 * kSecond, pts);
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_NEAR(pts[0].value, 0.1, 1e-6) << "rank 10 of 20 is the top of the first bucket";
}

TEST(Shard, LateAndOutOfOrderSamplesGoToDeadLetterWithAReason) {
  Recorder obs;
  Shard shard(config_with({spec("latency", "lat", SeriesKind::gauge, Aggregate::max)}), obs);
  const auto in = shard.add_input();
  const TimeNs t = step_start();
  for (int k = 0; k < 10; ++k) shard.push(in, sample("lat", {{"service", "web"}}, t + k * 15 * kSecond, 1));
  // Same series, older than its newest sample, but its step still open.
  shard.push(in, sample("lat", {{"service", "web"}}, t + 9 * 15 * kSecond - kSecond, 1));
  // A new series, far behind the watermark: its step is final.
  shard.push(in, sample("lat", {{"pod", "x"}, {"service", "web"}}, t, 1));
  ASSERT_EQ(obs.dead.size(), 2u);
  EXPECT_NE(obs.dead[0].find("out of order"), std::string::npos) << obs.dead[0];
  EXPECT_NE(obs.dead[1].find("late"), std::string::npos) << obs.dead[1];
  EXPECT_EQ(shard.counters().dead_letters, 2u);
}

TEST(Shard, UnmatchedSamplesAreCountedNotStored) {
  Recorder obs;
  Shard shard(config_with({spec("latency", "lat", SeriesKind::gauge, Aggregate::max, {{"quantile", "0.95"}})}), obs);
  const auto in = shard.add_input();
  shard.push(in, sample("other", {{"service", "web"}}, step_start(), 1));
  shard.push(in, sample("lat", {{"quantile", "0.95"}}, step_start(), 1));  // no service label
  shard.push(in, sample("lat", {{"quantile", "0.5"}, {"service", "web"}}, step_start(), 1));
  EXPECT_EQ(shard.counters().samples_unmatched, 2u);
  EXPECT_EQ(shard.live_series(), 0u) << "the quantile selector does not match";
}

TEST(Shard, SeriesThatStopReportingExpire) {
  Recorder obs;
  auto c = config_with({spec("latency", "lat", SeriesKind::gauge, Aggregate::max)});
  c.series_ttl = 5 * 60 * kSecond;
  c.series_window = 2 * 60 * kSecond;
  Shard shard(c, obs);
  const auto in = shard.add_input();
  const TimeNs t = step_start();
  shard.push(in, sample("lat", {{"pod", "old"}, {"service", "web"}}, t, 1));
  for (int k = 1; k < 60; ++k) shard.push(in, sample("lat", {{"pod", "new"}, {"service", "web"}}, t + k * 15 * kSecond, 1));
  EXPECT_EQ(shard.live_series(), 1u);
  EXPECT_EQ(shard.counters().series_expired, 1u);
}

// A node's CPU (no service label) is read for each service with pods on
// that node, as the services' own series say; when a service's pods leave
// the node (their series expire), it no longer is.
TEST(Shard, APlacesSamplesAreReadForTheServicesWithPodsThere) {
  Recorder obs;
  SignalSpec node_cpu = spec("node_cpu", "node_cpu", SeriesKind::gauge, Aggregate::sum);
  node_cpu.placed_by = "node";
  auto c = config_with({spec("cpu", "pod_cpu", SeriesKind::gauge, Aggregate::sum), node_cpu});
  c.series_ttl = 5 * 60 * kSecond;
  c.series_window = 2 * 60 * kSecond;
  Shard shard(c, obs);
  const auto in = shard.add_input();
  const TimeNs t = step_start();
  for (int k = 0; k < 40; ++k) {
    const TimeNs at = t + k * 15 * kSecond;
    shard.push(in, sample("pod_cpu", {{"node", "n1"}, {"pod", "web-1"}, {"service", "web"}}, at, 0.5));
    // db's pod on n1 stops reporting after 2 minutes: it moved to n2.
    if (k < 8) shard.push(in, sample("pod_cpu", {{"node", "n1"}, {"pod", "db-1"}, {"service", "db"}}, at, 0.2));
    shard.push(in, sample("pod_cpu", {{"node", "n2"}, {"pod", "db-2"}, {"service", "db"}}, at, 0.2));
    shard.push(in, sample("node_cpu", {{"node", "n1"}}, at, k < 30 ? 1.0 : 3.0));
    shard.push(in, sample("node_cpu", {{"node", "n2"}}, at, 2.0));
  }
  shard.flush();
  auto node_cpu_of = [&](const std::string& service, TimeNs at) {
    const StringId id = shard.strings().find(service);
    for (SignalId sig : shard.context(id)->signals) {
      if (shard.spec(sig).role == "node_cpu") return shard.signal_value(sig, at);
    }
    return std::nan("");
  };
  EXPECT_DOUBLE_EQ(node_cpu_of("web", t + 10 * 15 * kSecond), 1.0);
  EXPECT_DOUBLE_EQ(node_cpu_of("web", t + 35 * 15 * kSecond), 3.0) << "its node's CPU rose";
  EXPECT_DOUBLE_EQ(node_cpu_of("db", t + 2 * 15 * kSecond), 3.0) << "n1 + n2 while on both";
  EXPECT_DOUBLE_EQ(node_cpu_of("db", t + 35 * 15 * kSecond), 2.0) << "n2 only, once its pod left n1";
  const auto n1 = shard.strings().find("n1");
  ASSERT_NE(n1, 0u);
  EXPECT_EQ(shard.services_at(n1), std::vector<StringId>{shard.strings().find("web")});
  EXPECT_EQ(shard.places_of(shard.strings().find("db")), std::vector<StringId>{shard.strings().find("n2")});
  // Where services run follows from the series a checkpoint restores.
  StateWriter w;
  shard.save(w);
  const std::string bytes = w.finish();
  Shard restored(c, obs);
  restored.add_input();
  StateReader r(bytes, "shard");
  ASSERT_TRUE(restored.load(r).ok());
  EXPECT_EQ(restored.services_at(n1), shard.services_at(n1));
  EXPECT_EQ(restored.places_of(shard.strings().find("db")), shard.places_of(shard.strings().find("db")));
}

TEST(Shard, LearnsCallEdgesFromSpansInEitherArrivalOrder) {
  Recorder obs;
  Shard shard(config_with({}), obs);
  const auto in = shard.add_input();
  auto span = [](std::string service, std::string id, std::string parent, TimeNs t) {
    Span s;
    s.trace_id = "t1";
    s.span_id = std::move(id);
    s.parent_span_id = std::move(parent);
    s.service = std::move(service);
    s.start = t;
    s.end = t + kSecond;
    return s;
  };
  const TimeNs t = step_start();
  shard.push(in, span("frontend", "a", "", t));
  shard.push(in, span("checkout", "b", "a", t + 1));   // parent known
  shard.push(in, span("db", "d", "c", t + 2));         // parent not yet seen
  shard.push(in, span("inventory", "c", "b", t + 3));  // resolves the orphan
  const auto& edges = shard.call_edges();
  auto id = [&](const char* s) { return shard.strings().find(s); };
  EXPECT_EQ(edges.size(), 3u);
  EXPECT_EQ(edges.count(Shard::edge_key(id("frontend"), id("checkout"))), 1u);
  EXPECT_EQ(edges.count(Shard::edge_key(id("checkout"), id("inventory"))), 1u);
  EXPECT_EQ(edges.count(Shard::edge_key(id("inventory"), id("db"))), 1u);
}

// The edges a shard learns from `records` (spans only), as names.
std::map<std::pair<std::string, std::string>, std::uint64_t> learned_edges(const std::vector<Record>& records) {
  Recorder obs;
  Shard shard(config_with({}), obs);
  const auto in = shard.add_input();
  for (const Record& r : records) {
    if (std::holds_alternative<Span>(r)) shard.push(in, r);
  }
  std::map<std::pair<std::string, std::string>, std::uint64_t> out;
  for (const auto& [key, calls] : shard.call_edges()) {
    out[{shard.strings().name(static_cast<StringId>(key >> 32)),
         shard.strings().name(static_cast<StringId>(key & 0xffffffffu))}] = calls;
  }
  return out;
}

TEST(Shard, LearnsTheSameEdgesFromClientAndServerSpansAsFromTracesWithoutKinds) {
  const std::vector<Record> records = test::simulated_records("mixed", 2, 20 * 60);
  // The same traces as instrumentation without kinds writes them: no
  // client spans, each callee's span a child of its caller's span.
  std::map<std::string, std::string> client_parent;  // trace + client span -> its parent
  for (const Record& r : records) {
    if (const Span* s = std::get_if<Span>(&r); s != nullptr && s->kind == SpanKind::client) {
      client_parent[s->trace_id + s->span_id] = s->parent_span_id;
    }
  }
  ASSERT_FALSE(client_parent.empty());
  std::vector<Record> without_kinds;
  for (const Record& r : records) {
    const Span* s = std::get_if<Span>(&r);
    if (s == nullptr || s->kind == SpanKind::client) continue;
    Span plain = *s;
    plain.kind = SpanKind::unspecified;
    if (auto it = client_parent.find(s->trace_id + s->parent_span_id); it != client_parent.end()) {
      plain.parent_span_id = it->second;
    }
    without_kinds.emplace_back(std::move(plain));
  }
  const auto with = learned_edges(records);
  EXPECT_EQ(with, learned_edges(without_kinds)) << "the same edges, each call counted once";
  // And they are the scenario's call graph.
  std::set<std::pair<std::string, std::string>> names;
  for (const auto& [edge, calls] : with) names.insert(edge);
  const std::set<std::pair<std::string, std::string>> shop = {
      {"frontend", "checkout"}, {"frontend", "search"}, {"checkout", "payment"},
      {"checkout", "inventory"}, {"inventory", "db"}};
  EXPECT_EQ(names, shop);
}

TEST(Shard, KeepsWarningLogsAndEventsPerService) {
  Recorder obs;
  Shard shard(config_with({}), obs);
  const auto in = shard.add_input();
  LogRecord info;
  info.service = "api";
  info.time = step_start();
  info.body = "GET / 200";
  LogRecord err = info;
  err.severity = Severity::error;
  err.body = "timeout after 2000 ms calling db-7f9c";
  shard.push(in, info);
  shard.push(in, err);
  Event e;
  e.id = "e1";
  e.service = "api";
  e.type = "deploy";
  e.time = step_start() + kSecond;
  shard.push(in, e);
  const ServiceContext* ctx = shard.context(shard.strings().find("api"));
  ASSERT_NE(ctx, nullptr);
  ASSERT_EQ(ctx->logs.size(), 1u);
  EXPECT_EQ(ctx->logs[0].body, err.body);
  ASSERT_EQ(ctx->events.size(), 1u);
  EXPECT_EQ(ctx->events[0].type, "deploy");
  EXPECT_EQ(obs.events, std::vector<std::string>{"e1"});
  LogRecord nameless = err;
  nameless.service.clear();
  shard.push(in, nameless);
  ASSERT_EQ(obs.dead.size(), 1u);
  EXPECT_EQ(obs.dead[0].rfind("service:", 0), 0u) << obs.dead[0];
}

// A producer that retried sends the same event twice (the same id, a moment
// later): it is judged once and counted as a duplicate; another event of the
// same service is not one. The ids kept go through a checkpoint.
TEST(Shard, AnEventDeliveredTwiceIsJudgedOnce) {
  Recorder obs;
  Shard shard(config_with({}), obs);
  const auto in = shard.add_input();
  Event e;
  e.id = "deploy-1";
  e.service = "api";
  e.type = "deploy";
  e.time = step_start();
  shard.push(in, e);
  shard.push(in, e);
  Event other = e;
  other.id = "deploy-2";
  other.time += kSecond;
  shard.push(in, other);
  EXPECT_EQ(obs.events, (std::vector<std::string>{"deploy-1", "deploy-2"}));
  EXPECT_EQ(shard.counters().duplicate_events, 1u);
  EXPECT_EQ(shard.counters().events, 2u);

  StateWriter out;
  shard.save(out);
  const std::string bytes = out.finish();
  Recorder restored_obs;
  Shard restored(config_with({}), restored_obs);
  restored.add_input();
  StateReader reader(bytes, "shard");
  ASSERT_TRUE(restored.load(reader));
  e.time += 2 * kSecond;  // the retry comes after the restore
  restored.push(in, e);
  EXPECT_TRUE(restored_obs.events.empty());
  EXPECT_EQ(restored.counters().duplicate_events, 2u);
}

// A deploy, a scale-up and an OOM kill of api, a minute apart: the latest
// event of some categories in a range is the newest of them inside it.
TEST(Shard, FindsTheLatestEventOfSomeCategoriesInARange) {
  Recorder obs;
  Shard shard(config_with({}), obs);
  const auto in = shard.add_input();
  const std::vector<std::pair<std::string, Category>> kinds = {
      {"deploy", Category::change}, {"scale_up", Category::scaling}, {"oom_killed", Category::failure}};
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    Event e;
    e.id = "e" + std::to_string(i);
    e.service = "api";
    e.type = kinds[i].first;
    e.category = kinds[i].second;
    e.time = step_start() + static_cast<TimeNs>(i) * 60 * kSecond;
    shard.push(in, e);
  }
  const StringId api = shard.strings().find("api");
  const TimeNs t0 = step_start();
  const EventEntry* e = shard.latest_event(api, t0, t0 + 300 * kSecond, {Category::change, Category::scaling});
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->type, "scale_up");
  e = shard.latest_event(api, t0, t0 + 30 * kSecond, {Category::change, Category::failure});
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->type, "deploy") << "the kill is after the range";
  EXPECT_EQ(shard.latest_event(api, t0 + kSecond, t0 + 300 * kSecond, {Category::change}), nullptr)
      << "the deploy is before the range";
  EXPECT_EQ(shard.latest_event(shard.strings().find("nobody"), t0, t0 + 300 * kSecond, {Category::change}), nullptr);
}

// 5-minute samples 97 s past the epoch's 5-minute boundaries, after an event
// that came first: the steps start at the samples (the first sample's phase),
// so each sample is dated at its own time, not up to a step before it; a
// configured step_offset wins over the data.
TEST(Shard, StepsFollowTheFirstSamplesPhaseOrTheConfiguredOffset) {
  constexpr TimeNs kFive = 300 * kSecond;
  const TimeNs boundary = kT0 - kT0 % kFive;  // an epoch-aligned 5-minute step start
  const TimeNs first = boundary + kFive + 97 * kSecond + 250'000'000;  // .25 s of jitter
  auto run = [&](std::optional<TimeNs> offset) {
    StreamConfig c = config_with({spec("latency", "lat", SeriesKind::gauge, Aggregate::max)});
    c.step = kFive;
    c.step_offset = offset;
    Recorder obs;
    Shard shard(c, obs);
    const auto in = shard.add_input();
    Event e;
    e.id = "ev-early";
    e.service = "web";
    e.type = "deploy";
    e.time = boundary + 10 * kSecond;  // before any sample: no phase yet
    shard.push(in, e);
    for (int k = 0; k < 6; ++k) shard.push(in, sample("lat", {{"service", "web"}}, first + k * kFive, 0.1 + k));
    shard.flush();
    std::vector<Point> pts;
    shard.signal_points(0, boundary, first + 6 * kFive, pts);
    EXPECT_TRUE(obs.dead.empty()) << obs.dead.front();
    for (std::size_t i = 1; i < obs.steps.size(); ++i) EXPECT_EQ(obs.steps[i], obs.steps[i - 1] + kFive);
    return std::make_pair(shard.step_offset(), pts);
  };

  const auto [detected, points] = run(std::nullopt);
  EXPECT_EQ(detected, 97 * kSecond) << "the first sample's phase, to the whole second below";
  ASSERT_EQ(points.size(), 6u) << "one sample in each step, none lost to the change of grid";
  for (int k = 0; k < 6; ++k) {
    EXPECT_EQ(points[k].time, first - 250'000'000 + k * kFive);
    EXPECT_NEAR(points[k].value, 0.1 + k, 1e-6);
  }

  const auto [configured, epoch_points] = run(TimeNs{0});
  EXPECT_EQ(configured, 0);
  ASSERT_EQ(epoch_points.size(), 6u);
  EXPECT_EQ(epoch_points[0].time, boundary + kFive) << "aligned to the epoch: 97 s before the sample";
}

TEST(LogTemplate, MasksWordsWithDigits) {
  std::string t;
  append_log_template("timeout after 2000 ms calling db-7f9c (attempt 3)", t);
  EXPECT_EQ(t, "timeout after # ms calling # (attempt #)");
  EXPECT_EQ(log_template_hash("timeout after 12 ms calling db-1"), log_template_hash("timeout after 99 ms calling db-2"));
  EXPECT_NE(log_template_hash("timeout calling db"), log_template_hash("refused calling db"));
}

}  // namespace
}  // namespace eventlens::stream
