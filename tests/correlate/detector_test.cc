#include "correlate/detector.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace eventlens::correlate {
namespace {

constexpr TimeNs kStep = 15 * stream::kSecond;

DetectionSpec latency_spec() {
  DetectionSpec d;
  d.role = "latency";
  d.min_ratio = 1.3;
  d.min_delta = 0.005;
  d.min_z = 4;
  d.open_after = 30 * stream::kSecond;
  d.close_after = 60 * stream::kSecond;
  return d;
}

// Feeds `values` one step each after a flat, slightly noisy history of
// `level`; returns the step results.
struct Feed {
  DetectorState state;
  std::vector<Point> history;
  std::vector<DetectorStep> steps;
  TimeNs t = 0;

  explicit Feed(double level, int points = 40) {
    for (int i = 0; i < points; ++i) {
      history.push_back({t, level * (1 + 0.01 * ((i % 5) - 2))});
      t += kStep;
    }
  }
  LoadContext load;  // how the service's load stands with what deviates
  // When set, the load has stood surged since then (load.surged_for follows).
  TimeNs surged_since = -1;
  void run(const DetectionSpec& spec, const std::vector<double>& values) {
    for (double v : values) {
      if (surged_since >= 0) load.surged_for = t - surged_since;
      steps.push_back(load.driven ? detector_step(state, spec, t, kStep, v, baseline_of(history, spec.direction),
                                                  history, load)
                                  : detector_step(state, spec, t, kStep, v, history));
      history.push_back({t, v});
      t += kStep;
    }
  }
};

TEST(Detector, OpensAfterOpenAfterAndDatesTheIncidentFromTheFirstDeviatingStep) {
  Feed f(0.100);
  const TimeNs first = f.t;
  f.run(latency_spec(), {0.101, 0.300, 0.310, 0.320});
  EXPECT_FALSE(f.steps[0].opened);
  EXPECT_FALSE(f.steps[1].opened) << "one 15 s step is less than open_after";
  EXPECT_TRUE(f.steps[2].opened);
  EXPECT_EQ(f.state.deviation_start, first + kStep);
  EXPECT_NEAR(f.state.frozen.median, 0.100, 0.002);
  EXPECT_FALSE(f.steps[3].opened) << "it opens once";
}

TEST(Detector, ABlipDoesNotOpenAndSmallChangesDoNotCount) {
  Feed f(0.100);
  f.run(latency_spec(), {0.400, 0.100, 0.101, 0.120, 0.125, 0.102});  // 1.2x is below min_ratio
  for (const auto& s : f.steps) EXPECT_FALSE(s.opened);
  Feed tiny(0.001);  // 1 ms: doubling it is still under min_delta (5 ms)
  tiny.run(latency_spec(), {0.003, 0.003, 0.003, 0.003});
  for (const auto& s : tiny.steps) EXPECT_FALSE(s.opened);
}

TEST(Detector, ClosesAfterCloseAfterBackNearTheFrozenBaseline) {
  Feed f(0.100);
  f.run(latency_spec(), {0.300, 0.300, 0.300, 0.100, 0.100, 0.100, 0.100, 0.100});
  int opened = 0, closed = 0;
  std::size_t closed_at = 0;
  for (std::size_t i = 0; i < f.steps.size(); ++i) {
    opened += f.steps[i].opened;
    if (f.steps[i].closed) {
      ++closed;
      closed_at = i;
    }
  }
  EXPECT_EQ(opened, 1);
  ASSERT_EQ(closed, 1);
  EXPECT_EQ(closed_at, 6u) << "60 s (four steps) after the last deviating step";
  // The incident ends where the deviation ended, not where it was noticed.
  EXPECT_EQ(f.steps[closed_at].end, f.history[40 + 2].time + kStep);
}

TEST(Detector, AnEscalationInsideAnOpenIncidentStartsANewOne) {
  Feed f(0.100);
  DetectionSpec spec = latency_spec();
  f.run(spec, {0.300, 0.300, 0.300, 0.300, 0.300, 0.300, 0.300, 0.300, 0.300, 0.300, 0.300, 0.300, 0.300, 0.300,
               0.300, 0.300, 0.300, 2.000});
  int escalations = 0;
  for (const auto& s : f.steps) escalations += s.escalated;
  EXPECT_EQ(escalations, 1);
  EXPECT_TRUE(f.steps.back().escalated);
  EXPECT_TRUE(f.steps.back().opened && f.steps.back().closed);
  EXPECT_NEAR(f.state.frozen.median, 0.300, 0.01) << "the new incident is measured against the old level";
}

TEST(Detector, ALoadDrivenIncidentThatClimbsFurtherIsTheSameSurgeNotASecondFault) {
  // As the escalation above, with the service's load surged throughout and
  // no failure or change: a batch job whose new pods start cold.
  Feed f(0.100);
  f.load.driven = true;
  f.run(latency_spec(), {0.300, 0.300, 0.300, 0.300, 0.300, 0.300, 0.300, 0.300, 0.300, 0.300, 0.300, 0.300, 0.300,
                         0.300, 0.300, 0.300, 0.300, 2.000});
  int opened = 0;
  for (const auto& s : f.steps) {
    EXPECT_FALSE(s.escalated);
    opened += s.opened;
  }
  EXPECT_EQ(opened, 1) << "opened once (no earlier excursions to stand out from), never split";
  EXPECT_EQ(f.state.phase, DetectorState::Phase::open);
  EXPECT_DOUBLE_EQ(f.state.peak, 2.0) << "its peak follows the climb";
}

TEST(Detector, DropsAreJudgedAgainstTheLowTailSoTheEndOfASurgeIsNotADrop) {
  DetectionSpec down;
  down.role = "throughput";
  down.direction = DetectionSpec::Direction::down;
  down.min_ratio = 1.25;
  down.min_delta = 1;
  // An hour with a 25-minute surge at 2.5x in it, then traffic back to normal.
  std::vector<Point> history;
  TimeNs t = 0;
  for (int i = 0; i < 240; ++i) {
    const bool surge = i >= 100 && i < 200;
    history.push_back({t, (surge ? 500.0 : 200.0) + (i % 3)});
    t += kStep;
  }
  DetectorState state;
  for (int i = 0; i < 8; ++i) {
    const auto r = detector_step(state, down, t, kStep, 200.0, history);
    EXPECT_FALSE(r.opened);
    history.push_back({t, 200.0});
    t += kStep;
  }
  // A real drop still opens.
  int opened = 0;
  for (int i = 0; i < 4; ++i) {
    opened += detector_step(state, down, t, kStep, 80.0, history).opened;
    history.push_back({t, 80.0});
    t += kStep;
  }
  EXPECT_EQ(opened, 1);
}

// A signal that bursts with its load now and then (a serverless function's
// latency with cold starts): once its history holds enough bursts, one more
// of the same size is its normal; a larger or a longer one still opens, and
// so does one its load did not drive.
TEST(Detector, ASpikySignalOpensOnlyOnABurstLargerOrLongerThanItsUsualOnes) {
  const DetectionSpec spec = latency_spec();
  Feed f(0.050);
  f.load.driven = true;
  const std::vector<double> idle(17, 0.050);
  const auto opens = [&](const std::vector<double>& burst) {
    const std::size_t from = f.steps.size();
    f.run(spec, burst);
    f.run(spec, idle);
    int opened = 0;
    for (std::size_t i = from; i < f.steps.size(); ++i) opened += f.steps[i].opened ? 1 : 0;
    return opened;
  };
  for (int i = 0; i < static_cast<int>(kSpikyExcursions); ++i) {
    EXPECT_EQ(opens({0.30, 0.32, 0.30}), 1) << "burst " << i << ": too few earlier ones to be the normal";
  }
  EXPECT_EQ(opens({0.30, 0.32, 0.30}), 0) << "as large and as long as the usual bursts";
  EXPECT_EQ(opens({0.29, 0.31, 0.30}), 0) << "smaller";
  f.load.driven = false;
  EXPECT_EQ(opens({0.30, 0.32, 0.30}), 1) << "not its load's doing (a failure, or no surge of requests)";
  f.load.driven = true;
  EXPECT_EQ(opens({0.60, 0.62, 0.60}), 1) << "well above the usual bursts' peak";
  EXPECT_EQ(opens({0.30, 0.32, 0.31, 0.30, 0.31, 0.30}), 1) << "longer than any usual burst";
}

// How many of `steps` opened an incident.
int opened_in(const std::vector<DetectorStep>& steps, std::size_t from = 0) {
  int opened = 0;
  for (std::size_t i = from; i < steps.size(); ++i) opened += steps[i].opened ? 1 : 0;
  return opened;
}

// A service that absorbs a surge of its load (a serverless function's first
// burst: eight times its requests, its latency up three times with cold
// starts, no more errors) is at work, not failing, even with no earlier
// bursts to compare with; failing requests, slowing out of proportion to
// the load, outlasting it or holding for long, it opens.
TEST(Detector, ASurgeItsServiceAbsorbsDoesNotOpen) {
  const DetectionSpec spec = latency_spec();
  const std::vector<double> burst = {0.12, 0.15, 0.16, 0.15, 0.15, 0.14};
  const auto surge = [] {
    Feed f(0.050);
    f.load.driven = true;
    f.load.ratio_now = 8;
    f.surged_since = f.t;
    return f;
  };
  Feed absorbed = surge();
  absorbed.run(spec, burst);
  absorbed.run(spec, std::vector<double>(8, 0.050));
  EXPECT_EQ(opened_in(absorbed.steps), 0) << "3x latency under 8x load, errors low: absorbed";

  Feed failing = surge();
  failing.load.errors = true;
  failing.run(spec, burst);
  EXPECT_EQ(opened_in(failing.steps), 1) << "its errors deviate too: not absorbed";
  EXPECT_EQ(failing.state.deviation_start, failing.history[40].time) << "dated from its first deviating step";

  Feed out_of_proportion = surge();
  out_of_proportion.run(spec, {0.12, 0.45, 0.60, 0.60});
  EXPECT_EQ(opened_in(out_of_proportion.steps), 1) << "12x latency under 8x load: requests queue";

  Feed outlasting = surge();
  outlasting.run(spec, {0.12, 0.15, 0.16});
  outlasting.load.ratio_now = 1;  // the surge is over, the latency still up
  outlasting.surged_since = -1;
  outlasting.load.surged_for = 0;
  outlasting.run(spec, {0.15, 0.15});
  EXPECT_EQ(opened_in(outlasting.steps), 1) << "it outlasts its load";

  Feed long_hold = surge();
  long_hold.run(spec, std::vector<double>(kLongestAbsorbed / kStep - 1, 0.15));
  EXPECT_EQ(opened_in(long_hold.steps), 0) << "within the time an absorbed surge shows";
  long_hold.run(spec, {0.15, 0.15});
  EXPECT_EQ(opened_in(long_hold.steps), 1) << "up for longer than an absorbed surge shows";

  Feed not_load = surge();
  not_load.load.driven = false;
  not_load.run(spec, burst);
  EXPECT_EQ(opened_in(not_load.steps), 1) << "no surge of its load drove it (or a failure explains it)";
}

// A signal that crosses its thresholds on and off during one long surge of
// load (a database slowed by twice its traffic, its latency at the margin)
// opens once the surge has lasted longer than an absorbed one shows: its
// crossings during this surge are the surge, not earlier excursions that
// make it look normal.
TEST(Detector, CrossingsDuringOneSurgeAreNotEarlierExcursions) {
  const DetectionSpec spec = latency_spec();
  Feed f(0.050);
  f.load.driven = true;
  f.load.ratio_now = 2.5;
  f.surged_since = f.t;
  const std::vector<double> flicker = {0.10, 0.10, 0.06};  // beyond for 30 s, then a step back within
  int opened = 0;
  for (int i = 0; f.t - f.surged_since <= kLongestAbsorbed + 3 * kStep * 2; ++i) {
    const std::size_t from = f.steps.size();
    f.run(spec, flicker);
    opened += opened_in(f.steps, from);
    if (f.t - f.surged_since <= kLongestAbsorbed) {
      EXPECT_EQ(opened, 0) << "absorbed, crossing " << i;
    }
    if (opened > 0) break;
  }
  EXPECT_EQ(opened, 1);
}

TEST(Detector, ExcursionsAreRunsBeyondTheThresholds) {
  const DetectionSpec spec = latency_spec();
  const Robust baseline{0.050, 0.0005};
  std::vector<Point> points;
  TimeNs t = 0;
  for (double v : {0.05, 0.30, 0.40, 0.05, 0.20, 0.05, 0.05, 0.25, 0.26, 0.27, 0.05, 0.06}) {
    points.push_back({t, v});
    t += kStep;
  }
  const Excursions e = excursions_of(spec, points, baseline, kStep);
  EXPECT_EQ(e.count, 3u);
  EXPECT_DOUBLE_EQ(e.typical_peak, 0.27);
  EXPECT_EQ(e.longest, 3 * kStep);
}

TEST(SlidingBaseline, EqualsTheBaselineOfItsWindowAtEveryStep) {
  // A window of 40 steps slid over 600: values with ties, missing steps
  // (NaN, and steps with no point at all), a level shift; at every step
  // both directions must equal baseline_of over the same points exactly.
  std::vector<Point> series;
  std::uint64_t state = 7;
  for (int k = 0; k < 600; ++k) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    const int r = static_cast<int>((state >> 33) % 100);
    if (r < 5) continue;  // no point this step
    const double value = r < 10 ? kNaN : (k > 300 ? 5.0 : 1.0) + static_cast<double>(r % 7) * 0.25;
    series.push_back({k * kStep, value});
  }
  constexpr TimeNs kWidth = 40 * kStep;
  SlidingBaseline sliding;
  std::size_t checked = 0;
  for (int k = 0; k <= 600; ++k) {
    const TimeNs until = k * kStep;
    std::vector<Point> window;
    for (const Point& p : series) {
      if (p.time >= until - kWidth && p.time < until) window.push_back(p);
    }
    if (k == 0 || k == 350) {
      sliding.reset(window);  // a fresh start, as after a gap
    } else {
      Point newest{until - kStep, kNaN};
      for (const Point& p : series) {
        if (p.time == until - kStep) newest = p;
      }
      sliding.slide(newest, until - kWidth);
    }
    for (const auto direction : {DetectionSpec::Direction::up, DetectionSpec::Direction::down}) {
      const Robust want = baseline_of(window, direction);
      const Robust got = sliding.baseline(direction);
      if (std::isnan(want.median)) {
        EXPECT_TRUE(std::isnan(got.median)) << "step " << k;
        continue;
      }
      EXPECT_EQ(got.median, want.median) << "step " << k;
      EXPECT_EQ(got.mad, want.mad) << "step " << k;
      ++checked;
    }
  }
  EXPECT_GT(checked, 1000u);
}

TEST(Detector, BaselineNeedsEnoughHistory) {
  std::vector<Point> few = {{0, 1}, {kStep, 1}, {2 * kStep, 1}};
  EXPECT_TRUE(std::isnan(baseline_of(few).median));
  DetectorState state;
  EXPECT_FALSE(detector_step(state, latency_spec(), 3 * kStep, kStep, 100, few).opened);
}

TEST(Detector, CoarseDataNeedsFewerPointsCoveringTheSameTime) {
  constexpr TimeNs kFive = 300 * stream::kSecond;
  EXPECT_EQ(min_baseline_points(kStep), kMinBaselinePoints) << "15 s data: 8 points";
  EXPECT_EQ(min_baseline_points(60 * stream::kSecond), kMinBaselinePoints) << "1-minute data: 8 points, 8 minutes";
  EXPECT_EQ(min_baseline_points(90 * stream::kSecond), 6u) << "as many as cover 8 minutes";
  EXPECT_EQ(min_baseline_points(kFive), kMinCoarseBaselinePoints) << "never fewer than 5";
  EXPECT_EQ(min_baseline_points(stream::kSecond), kMinBaselinePoints) << "never more than 8";
  EXPECT_EQ(min_baseline_points(0), kMinBaselinePoints) << "spacing unknown";

  // Five 5-minute points of history: a baseline (with 15 s data five points
  // are too few); one deviating 5-minute point is 5 minutes of deviation and
  // opens at once, dated at its own step.
  std::vector<Point> history;
  for (int i = 0; i < 5; ++i) history.push_back({i * kFive, 0.100 * (1 + 0.01 * (i % 3))});
  EXPECT_FALSE(std::isnan(baseline_of(history).median));
  std::vector<Point> dense(history.begin(), history.end());
  for (int i = 0; i < 5; ++i) dense[i].time = i * kStep;
  EXPECT_TRUE(std::isnan(baseline_of(dense).median));
  SlidingBaseline sliding;
  sliding.reset(history);
  EXPECT_EQ(sliding.spacing(), kFive);
  EXPECT_EQ(sliding.baseline(DetectionSpec::Direction::up).median, baseline_of(history).median);

  DetectorState state;
  const DetectorStep r = detector_step(state, latency_spec(), 5 * kFive, kFive, 0.400, history);
  EXPECT_TRUE(r.opened);
  EXPECT_EQ(state.deviation_start, 5 * kFive);
  // The same with 15-second steps configured: the point still stands for
  // the data's 5 minutes.
  DetectorState on_fine_steps;
  EXPECT_TRUE(detector_step(on_fine_steps, latency_spec(), 5 * kFive, kStep, 0.400, history).opened);
}

}  // namespace
}  // namespace eventlens::correlate
