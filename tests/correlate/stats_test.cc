#include "correlate/stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <utility>
#include <vector>

// Reference values were computed independently in Python (standard library
// only: statistics.median, statistics.quantiles(method="inclusive") which is
// type 7, statistics.NormalDist, brute-force pair counts and window means)
// from the definitions in stats.h, or by hand where noted.

namespace eventlens::correlate {
namespace {

constexpr TimeNs kT0 = 1'700'000'000 * kNanosPerSecond;
constexpr TimeNs kMinuteNs = 60 * kNanosPerSecond;
constexpr TimeNs kHourNs = 60 * kMinuteNs;

// Points at kT0, kT0 + step, ...
std::vector<Point> series(const std::vector<double>& values, TimeNs step = kNanosPerSecond, TimeNs start = kT0) {
  std::vector<Point> out;
  for (std::size_t i = 0; i < values.size(); ++i) out.push_back({start + static_cast<TimeNs>(i) * step, values[i]});
  return out;
}

// Deterministic noise in [-1.5, 1.5], the same as the Python references use.
double noise(std::size_t i) { return static_cast<double>(static_cast<int>((i * 37) % 11) - 5) * 0.3; }

TEST(Quantile, InterpolatesBetweenOrderStatistics) {
  std::vector<double> v{10, 1, 9, 2, 8, 3, 7, 4, 6, 5};
  // Hand: h = 9 q; q = 0.5 -> x[4.5] = 5.5; q = 0.95 -> x[8.55] = 9.55.
  EXPECT_DOUBLE_EQ(quantile_of(v, 0.5), 5.5);
  EXPECT_DOUBLE_EQ(quantile_of(v, 0.95), 9.55);
  EXPECT_DOUBLE_EQ(quantile_of(v, 0.0), 1);
  EXPECT_DOUBLE_EQ(quantile_of(v, 1.0), 10);
  EXPECT_DOUBLE_EQ(quantile_of(v, 1.5), 10);  // clamped
  EXPECT_DOUBLE_EQ(quantile_of(v, -1), 1);
}

TEST(Quantile, SkipsNaNAndIsNaNWhenEmpty) {
  std::vector<double> v{kNaN, 4, kNaN, 1, 3, 2};
  EXPECT_DOUBLE_EQ(quantile_of(v, 0.5), 2.5);
  std::vector<double> empty;
  EXPECT_TRUE(std::isnan(quantile_of(empty, 0.5)));
  std::vector<double> only_nan{kNaN, kNaN};
  EXPECT_TRUE(std::isnan(quantile_of(only_nan, 0.5)));
  std::vector<double> one{7};
  EXPECT_DOUBLE_EQ(quantile_of(one, 0.95), 7);
  EXPECT_TRUE(std::isnan(quantile_of(one, kNaN)));
}

// Selection works on larger inputs in passes that split around a pivot and
// stop early inside a run of equal values: against sorting, over sizes that
// take several passes, values with many ties, sorted and reversed input,
// and every kind of quantile (ends, interpolated, in and across tie runs).
TEST(Quantile, AgreesWithSortingOnLargeInputsWithTies) {
  std::uint64_t state = 12345;
  auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  for (const std::size_t n : {17u, 18u, 31u, 64u, 190u, 435u, 1000u}) {
    for (int shape = 0; shape < 4; ++shape) {
      std::vector<double> v(n);
      for (std::size_t i = 0; i < n; ++i) {
        switch (shape) {
          case 0: v[i] = static_cast<double>(next() % 1000) / 7; break;  // few ties
          case 1: v[i] = static_cast<double>(next() % 5); break;         // long tie runs
          case 2: v[i] = static_cast<double>(i); break;                  // sorted
          default: v[i] = -static_cast<double>(i / 3); break;            // reversed, in threes
        }
      }
      std::vector<double> sorted = v;
      std::sort(sorted.begin(), sorted.end());
      for (const double q : {0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 0.999, 1.0}) {
        const double h = static_cast<double>(n - 1) * q;
        const auto lo = static_cast<std::size_t>(std::floor(h));
        const double want = lo + 1 < n ? sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo])
                                       : sorted[lo];
        std::vector<double> copy = v;
        EXPECT_DOUBLE_EQ(quantile_of(copy, q), want) << "n " << n << " shape " << shape << " q " << q;
      }
    }
  }
}

TEST(Summarize, DescribesTheValuesSkippingNaN) {
  // Values 3 ? 1 4 1 5 9 2 6 at 0..8 s, the second missing.
  const std::vector<Point> points = series({3, kNaN, 1, 4, 1, 5, 9, 2, 6});
  const Summary s = summarize(points);
  EXPECT_EQ(s.n, 8u);
  EXPECT_DOUBLE_EQ(s.mean, 3.875);
  EXPECT_DOUBLE_EQ(s.p50, 3.5);
  EXPECT_DOUBLE_EQ(s.p95, 7.95);  // hand: sorted 1 1 2 3 4 5 6 9, x[6.65] = 6 + 0.65 * 3
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 9);
  EXPECT_DOUBLE_EQ(s.slope_per_s, 0.3875);  // median of the 28 pairwise slopes (Python)
}

TEST(Summarize, IsAllNaNWhenEmpty) {
  for (const std::vector<Point>& points : {std::vector<Point>{}, series({kNaN, kNaN})}) {
    const Summary s = summarize(points);
    EXPECT_EQ(s.n, 0u);
    EXPECT_TRUE(std::isnan(s.mean));
    EXPECT_TRUE(std::isnan(s.p50));
    EXPECT_TRUE(std::isnan(s.p95));
    EXPECT_TRUE(std::isnan(s.min));
    EXPECT_TRUE(std::isnan(s.max));
    EXPECT_TRUE(std::isnan(s.slope_per_s));
  }
}

TEST(Summarize, HasNoSlopeFromOnePointOrOneInstant) {
  const Summary one = summarize(series({4}));
  EXPECT_EQ(one.n, 1u);
  EXPECT_DOUBLE_EQ(one.p95, 4);
  EXPECT_TRUE(std::isnan(one.slope_per_s));
  const Summary same_time = summarize(series({1, 2, 3}, /*step=*/0));
  EXPECT_EQ(same_time.n, 3u);
  EXPECT_TRUE(std::isnan(same_time.slope_per_s));
}

TEST(TheilSen, IgnoresAnOutlier) {
  // y = 2 t + 1 at t = 0..9 s, with y(5) = 1000. 36 of the 45 pairs have
  // slope 2, so the median is 2; least squares says 7.99 (Python).
  std::vector<double> values;
  for (int t = 0; t < 10; ++t) values.push_back(2.0 * t + 1);
  values[5] = 1000;
  EXPECT_DOUBLE_EQ(theil_sen_slope(series(values)), 2.0);
  // Per second, whatever the spacing: 2 per 15 s step is 2/15 per second.
  EXPECT_DOUBLE_EQ(theil_sen_slope(series(values, 15 * kNanosPerSecond)), 2.0 / 15);
}

TEST(TheilSen, SubsamplesLongSeriesAndKeepsTheSlope) {
  // 1000 points (subsampled to 30) rising 0.5 per second, every 50th a spike,
  // given out of time order.
  std::vector<Point> points;
  for (int i = 999; i >= 0; --i) points.push_back({kT0 + i * kNanosPerSecond, 0.5 * i + (i % 50 == 7 ? 500.0 : 0.0)});
  EXPECT_DOUBLE_EQ(theil_sen_slope(points), 0.5);
  EXPECT_TRUE(std::isnan(theil_sen_slope({})));
  EXPECT_TRUE(std::isnan(theil_sen_slope(series({1, kNaN}))));
}

TEST(TheilSen, EqualsTheMedianOfAllPairwiseSlopesOnEvenAndUnevenTimes) {
  // Against the definition, computed the slow way: on an even step (one
  // division per pair, times per distance), on uneven times, with repeated
  // times, and above kTheilSenMaxPoints (the evenly spaced subsample).
  std::uint64_t state = 99;
  auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>((state >> 33) % 1000);
  };
  const auto reference = [](std::vector<Point> pts) {
    if (pts.size() > kTheilSenMaxPoints) {
      std::vector<Point> sample;
      for (std::size_t k = 0; k < kTheilSenMaxPoints; ++k) {
        sample.push_back(pts[k * (pts.size() - 1) / (kTheilSenMaxPoints - 1)]);
      }
      pts = sample;
    }
    std::vector<double> slopes;
    for (std::size_t i = 0; i < pts.size(); ++i) {
      for (std::size_t j = i + 1; j < pts.size(); ++j) {
        if (pts[j].time == pts[i].time) continue;
        slopes.push_back((pts[j].value - pts[i].value) /
                         (static_cast<double>(pts[j].time - pts[i].time) / static_cast<double>(kNanosPerSecond)));
      }
    }
    std::sort(slopes.begin(), slopes.end());
    const std::size_t n = slopes.size();
    if (n == 0) return kNaN;
    return n % 2 == 1 ? slopes[n / 2] : slopes[n / 2 - 1] + 0.5 * (slopes[n / 2] - slopes[n / 2 - 1]);
  };
  for (const std::size_t n : {2u, 7u, 20u, 30u, 31u, 45u, 120u}) {
    for (int shape = 0; shape < 3; ++shape) {
      std::vector<Point> pts;
      TimeNs t = kT0;
      for (std::size_t i = 0; i < n; ++i) {
        pts.push_back({t, next() / 7});
        // even 15 s; uneven 1-20 s; uneven with repeats (0-2 s)
        t += shape == 0 ? 15 * kNanosPerSecond
                        : static_cast<TimeNs>(shape == 1 ? 1 + next() / 50 : next() / 400) * kNanosPerSecond;
      }
      const double want = reference(pts);
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(theil_sen_slope(pts))) << "n " << n << " shape " << shape;
      } else {
        EXPECT_DOUBLE_EQ(theil_sen_slope(pts), want) << "n " << n << " shape " << shape;
      }
    }
  }
}

TEST(Lag1Autocorrelation, MatchesTheDefinition) {
  // Hand: deviations -2 -1 0 1 2; lagged products 2 + 0 + 0 + 2 = 4; squares 10.
  EXPECT_DOUBLE_EQ(lag1_autocorrelation(series({1, 2, 3, 4, 5})), 0.4);
  // The same points given out of order, with a gap, are read in time order.
  const std::vector<Point> shuffled{{kT0 + 4, 5}, {kT0 + 1, 2}, {kT0 + 3, kNaN}, {kT0 + 0, 1}, {kT0 + 5, 4}, {kT0 + 2, 3}};
  EXPECT_DOUBLE_EQ(lag1_autocorrelation(shuffled), 0.4);
  // Alternating: deviations +-1, lagged sum -3 over squares 4.
  EXPECT_DOUBLE_EQ(lag1_autocorrelation(series({1, -1, 1, -1})), -0.75);
  EXPECT_TRUE(std::isnan(lag1_autocorrelation(series({1, 2}))));
  EXPECT_TRUE(std::isnan(lag1_autocorrelation(series({0.1, 0.1, 0.1, 0.1}))));
  EXPECT_TRUE(std::isnan(lag1_autocorrelation(series({1, kNaN, 2, kNaN}))));
}

TEST(RobustStats, MedianAndUnscaledMad) {
  const std::vector<double> values{1, 2, kNaN, 3, 4, 100};
  const Robust r = robust_stats(values);
  EXPECT_DOUBLE_EQ(r.median, 3);
  EXPECT_DOUBLE_EQ(r.mad, 1);  // hand: |deviations| 2 1 0 1 97
  const Robust none = robust_stats(std::vector<double>{kNaN});
  EXPECT_TRUE(std::isnan(none.median));
  EXPECT_TRUE(std::isnan(none.mad));
}

TEST(ShiftTest, MatchesTheTextbookTestWithoutAutocorrelation) {
  // scipy.stats.mannwhitneyu's documentation example: males vs females,
  // U = 17, asymptotic two-sided p = 0.11134688653314041. In this time order
  // both sides have a negative lag-1 autocorrelation (-0.29, -0.63), which
  // counts as 0: n_eff = n, the plain test.
  const std::vector<Point> females = series({20, 11, 17, 12});
  const std::vector<Point> males = series({19, 22, 16, 29, 24});
  const ShiftTest t = shift_test(females, males);
  EXPECT_STREQ(t.method, "mann_whitney_u_effective_n");
  EXPECT_DOUBLE_EQ(t.n_eff_before, 4);
  EXPECT_DOUBLE_EQ(t.n_eff_after, 5);
  EXPECT_NEAR(t.statistic, 1.5921683328090657, 1e-12);
  EXPECT_NEAR(t.p_value, 0.11134688653314041, 1e-12);
  // Swapping the sides flips the sign only.
  const ShiftTest swapped = shift_test(males, females);
  EXPECT_NEAR(swapped.statistic, -1.5921683328090657, 1e-12);
  EXPECT_NEAR(swapped.p_value, 0.11134688653314041, 1e-12);
}

TEST(ShiftTest, HandlesTiesWithMidRanksAndTheTieCorrection) {
  // before 1 2 2 3 3 3 4, after 2 3 3 4 4 5 5 6 (time orders chosen with a
  // negative lag-1 autocorrelation, so n_eff = n). Python: U = 45 by pair
  // count (ties 1/2), tie groups of 3, 5, 3 and 2 -> z = 1.9609535902338044,
  // p = 0.04988443697992606; Hodges–Lehmann = 1.
  const ShiftTest t = shift_test(series({3, 1, 3, 2, 4, 2, 3}), series({5, 3, 6, 2, 5, 3, 4, 4}));
  EXPECT_DOUBLE_EQ(t.n_eff_before, 7);
  EXPECT_DOUBLE_EQ(t.n_eff_after, 8);
  EXPECT_NEAR(t.statistic, 1.9609535902338044, 1e-12);
  EXPECT_NEAR(t.p_value, 0.04988443697992606, 1e-12);
  EXPECT_DOUBLE_EQ(t.effect, 1);
}

TEST(ShiftTest, AutocorrelationMakesTheSameShiftLessSignificant) {
  // A slow sine (lag-1 r ~0.95, clamped to 0.9: n_eff = 40 * 0.1 / 1.9) and
  // the same values in a scrambled order (i * 17 mod 40) at the same times.
  std::vector<double> before;
  std::vector<double> after;
  for (int i = 0; i < 40; ++i) {
    before.push_back(10 + 3 * std::sin(i / 4.0));
    after.push_back(13 + 3 * std::sin((i + 40) / 4.0));
  }
  std::vector<double> before_scrambled;
  std::vector<double> after_scrambled;
  for (int i = 0; i < 40; ++i) {
    before_scrambled.push_back(before[static_cast<std::size_t>(i * 17 % 40)]);
    after_scrambled.push_back(after[static_cast<std::size_t>(i * 17 % 40)]);
  }
  const ShiftTest smooth = shift_test(series(before), series(after));
  const ShiftTest scrambled = shift_test(series(before_scrambled), series(after_scrambled));
  // Python: n_eff 2.105 / 2.105 vs 40 / 35.449; p 0.4766 vs 0.000887.
  EXPECT_NEAR(smooth.n_eff_before, 40 * 0.1 / 1.9, 1e-12);
  EXPECT_NEAR(smooth.n_eff_after, 40 * 0.1 / 1.9, 1e-12);
  EXPECT_NEAR(smooth.p_value, 0.47655027820947593, 1e-9);
  EXPECT_NEAR(scrambled.n_eff_before, 40, 1e-12);
  EXPECT_NEAR(scrambled.n_eff_after, 35.44872211001495, 1e-9);
  EXPECT_NEAR(scrambled.p_value, 0.0008870129838578489, 1e-12);
  EXPECT_GT(smooth.p_value, scrambled.p_value);
  // The shift itself does not depend on the order.
  EXPECT_NEAR(smooth.effect, 2.0627321826197234, 1e-12);
  EXPECT_DOUBLE_EQ(smooth.effect, scrambled.effect);
}

TEST(ShiftTest, HodgesLehmannRecoversAKnownShift) {
  std::vector<double> before;
  std::vector<double> after;
  for (int i = 0; i < 30; ++i) {
    before.push_back(100 + noise(static_cast<std::size_t>(i)) * 3);
    after.push_back(before.back() + 5);
  }
  after[3] = 1e6;  // one wild value moves the median of pair differences little
  const ShiftTest t = shift_test(series(before), series(after));
  EXPECT_NEAR(t.effect, 5, 1e-9);  // Python: 5.0
  EXPECT_GT(t.statistic, 0);
  std::vector<double> exact_after;
  for (const double v : before) exact_after.push_back(v + 5);
  EXPECT_DOUBLE_EQ(shift_test(series(before), series(exact_after)).effect, 5);
}

TEST(ShiftTest, IsNotSignificantWithTooFewValuesOrNoVariation) {
  const ShiftTest one = shift_test(series({1, kNaN}), series({5, 6, 7}));
  EXPECT_DOUBLE_EQ(one.p_value, 1);
  EXPECT_DOUBLE_EQ(one.statistic, 0);
  EXPECT_DOUBLE_EQ(one.n_eff_before, 1);
  EXPECT_DOUBLE_EQ(one.effect, 5);  // median of 4, 5, 6
  const ShiftTest empty = shift_test({}, series({5, 6, 7}));
  EXPECT_DOUBLE_EQ(empty.p_value, 1);
  EXPECT_DOUBLE_EQ(empty.n_eff_before, 0);
  EXPECT_TRUE(std::isnan(empty.effect));
  const ShiftTest flat = shift_test(series({2, 2, 2}), series({2, 2, 2, 2}));
  EXPECT_DOUBLE_EQ(flat.p_value, 1);
  EXPECT_DOUBLE_EQ(flat.effect, 0);
}

// 26 h of a daily sine at 5 min with a level 5 higher for the last 3 h.
std::vector<Point> daily_history(std::size_t hours) {
  std::vector<Point> out;
  const TimeNs step = 5 * kMinuteNs;
  const auto n = static_cast<std::size_t>(hours * 12);
  const std::size_t skip = 26 * 12 - n;  // shorter histories end at the same time
  for (std::size_t i = skip; i < 26 * 12; ++i) {
    const TimeNs t = kT0 + static_cast<TimeNs>(i) * step;
    const double level = t >= kT0 + 23 * kHourNs ? 5.0 : 0.0;
    out.push_back({t, 100 + 20 * std::sin(2 * std::numbers::pi * static_cast<double>(t - kT0) / static_cast<double>(24 * kHourNs)) +
                          level + noise(i)});
  }
  return out;
}

TEST(Forecast, SeasonalNaiveWhenTheHistoryCoversADayAndAnHour) {
  const std::vector<Point> history = daily_history(26);
  const TimeNs from = kT0 + 26 * kHourNs;
  const Forecast f = forecast_mean(history, from, from + 30 * kMinuteNs);
  EXPECT_STREQ(f.method, "seasonal_naive");
  // Python (brute-force window means, 13 one-step residuals); the noise-free
  // truth over the window is 115.92.
  EXPECT_NEAR(f.mean, 115.89676394747194, 1e-9);
  EXPECT_NEAR(f.lower, 115.09764254747192, 1e-9);
  EXPECT_NEAR(f.upper, 116.69588534747196, 1e-9);

  // A gap where yesterday's window should be leaves nothing to copy: the
  // trend method takes over.
  std::vector<Point> gap;
  for (const Point& p : history) {
    if (p.time < from - 24 * kHourNs || p.time >= from - 23 * kHourNs) gap.push_back(p);
  }
  EXPECT_STREQ(forecast_mean(gap, from, from + 30 * kMinuteNs).method, "damped_trend");
}

TEST(Forecast, DampedTrendWhenTheHistoryIsShorterThanADay) {
  // The same series with only its last 2 h, then 2 h of a noisy line.
  const TimeNs from = kT0 + 26 * kHourNs;
  EXPECT_STREQ(forecast_mean(daily_history(2), from, from + 30 * kMinuteNs).method, "damped_trend");

  std::vector<double> line;
  for (std::size_t i = 0; i < 480; ++i) line.push_back(50 + 0.01 * static_cast<double>(i * 15) + noise(i));
  const std::vector<Point> history = series(line, 15 * kNanosPerSecond);
  const TimeNs start = kT0 + 480 * 15 * kNanosPerSecond;
  const Forecast f = forecast_mean(history, start, start + 5 * kMinuteNs);
  EXPECT_STREQ(f.method, "damped_trend");
  // Python: level 121.55 at the 3rd-last point, slope 0.15 per step, mean of
  // 20 steps; band over 50 one-step residuals widened by sqrt(10.5).
  EXPECT_NEAR(f.mean, 122.46774983230765, 1e-9);
  EXPECT_NEAR(f.lower, 109.75590786334293, 1e-9);
  EXPECT_NEAR(f.upper, 135.17959180127238, 1e-9);
  // Damping keeps it below the straight extrapolation (123.425).
  EXPECT_LT(f.mean, 123.425);
  // Points at or after `from` are not history.
  std::vector<Point> with_future = history;
  with_future.push_back({start + kMinuteNs, 1e9});
  EXPECT_DOUBLE_EQ(forecast_mean(with_future, start, start + 5 * kMinuteNs).mean, f.mean);
}

TEST(Forecast, LastLevelOrNothingWithFewPoints) {
  const Forecast two = forecast_mean(series({4, kNaN, 7}), kT0 + 10 * kNanosPerSecond, kT0 + 20 * kNanosPerSecond);
  EXPECT_STREQ(two.method, "last_level");
  EXPECT_DOUBLE_EQ(two.mean, 5.5);
  EXPECT_DOUBLE_EQ(two.upper - two.mean, 1.96 * 1.4826 * 1.5);  // MAD of 4, 7
  EXPECT_DOUBLE_EQ(two.mean - two.lower, 1.96 * 1.4826 * 1.5);

  const Forecast one = forecast_mean(series({4}), kT0 + 10, kT0 + 20);
  EXPECT_STREQ(one.method, "last_level");
  EXPECT_DOUBLE_EQ(one.mean, 4);
  EXPECT_TRUE(std::isnan(one.lower));
  EXPECT_TRUE(std::isnan(one.upper));

  const Forecast none = forecast_mean({}, kT0, kT0 + 10);
  EXPECT_STREQ(none.method, "none");
  EXPECT_TRUE(std::isnan(none.mean));
  EXPECT_TRUE(std::isnan(forecast_mean(series({1, 2, 3, 4}), kT0 + 10, kT0 + 10).mean));  // empty window
}

TEST(Forecast, FlatHistoryForecastsItsLevelWithAZeroBand) {
  const std::vector<Point> flat = series(std::vector<double>(100, 3.25), 10 * kNanosPerSecond);
  const TimeNs from = kT0 + 1000 * kNanosPerSecond;
  const Forecast f = forecast_mean(flat, from, from + kHourNs);
  EXPECT_STREQ(f.method, "damped_trend");
  EXPECT_DOUBLE_EQ(f.mean, 3.25);
  EXPECT_DOUBLE_EQ(f.lower, 3.25);
  EXPECT_DOUBLE_EQ(f.upper, 3.25);
}

TEST(Forecast, OneForecasterGivesEveryWindowWhatForecastMeanGives) {
  // Its fits are shared between windows; each window's forecast must still
  // be the one forecast_mean makes alone: seasonal, trend, and a window
  // starting inside the history (forecast from the points before it).
  const std::vector<Point> daily = daily_history(26);
  const TimeNs end = kT0 + 26 * kHourNs;
  Forecaster forecaster(daily);
  for (const auto& [from, to] : std::vector<std::pair<TimeNs, TimeNs>>{{end, end + 30 * kMinuteNs},
                                                                       {end + 5 * kMinuteNs, end + 2 * kHourNs},
                                                                       {end - 10 * kMinuteNs, end + 10 * kMinuteNs},
                                                                       {end, end + 30 * kMinuteNs}}) {
    const Forecast alone = forecast_mean(daily, from, to);
    const Forecast shared = forecaster.mean_over(from, to);
    EXPECT_STREQ(shared.method, alone.method);
    EXPECT_DOUBLE_EQ(shared.mean, alone.mean);
    EXPECT_DOUBLE_EQ(shared.lower, alone.lower);
    EXPECT_DOUBLE_EQ(shared.upper, alone.upper);
  }
  const std::vector<Point> recent = daily_history(2);
  Forecaster trend(recent);
  for (const TimeNs minutes : {5, 20, 90}) {
    const Forecast alone = forecast_mean(recent, end + kMinuteNs, end + minutes * kMinuteNs);
    const Forecast shared = trend.mean_over(end + kMinuteNs, end + minutes * kMinuteNs);
    EXPECT_STREQ(shared.method, "damped_trend");
    EXPECT_DOUBLE_EQ(shared.mean, alone.mean);
    EXPECT_DOUBLE_EQ(shared.lower, alone.lower);
    EXPECT_DOUBLE_EQ(shared.upper, alone.upper);
  }
}

TEST(Forecast, AForecasterGivenItsHistoryVectorForecastsTheSame) {
  // A history handed over whole is kept as it is when clean and in order,
  // and cleaned like any other when not.
  const std::vector<Point> recent = daily_history(2);
  std::vector<Point> messy = recent;
  std::swap(messy[10], messy[11]);
  messy.push_back({messy[12].time + 1, kNaN});  // out of order, and no value
  const TimeNs end = kT0 + 26 * kHourNs;
  for (const std::vector<Point>& history : {recent, messy}) {
    Forecaster from_span{std::span<const Point>(history)};
    Forecaster from_vector{std::vector<Point>(history)};
    for (const TimeNs minutes : {5, 90}) {
      const Forecast a = from_span.mean_over(end + kMinuteNs, end + minutes * kMinuteNs);
      const Forecast b = from_vector.mean_over(end + kMinuteNs, end + minutes * kMinuteNs);
      EXPECT_STREQ(a.method, b.method);
      EXPECT_DOUBLE_EQ(a.mean, b.mean);
      EXPECT_DOUBLE_EQ(a.lower, b.lower);
      EXPECT_DOUBLE_EQ(a.upper, b.upper);
    }
  }
}

TEST(DifferenceInDifferences, SubtractsTheControlsMeanChange) {
  const std::vector<std::pair<double, double>> controls{{50, 45}, {200, 190}, {kNaN, 3}, {1, kNaN}};
  // Hand: treated -20, controls -5 and -10 (mean -7.5): effect -12.5 on 100.
  const DidEstimate d = difference_in_differences(100, 80, controls);
  EXPECT_DOUBLE_EQ(d.effect, -12.5);
  EXPECT_DOUBLE_EQ(d.relative, -0.125);
  EXPECT_EQ(d.controls, 2u);
  // A negative baseline keeps the sign of the effect.
  EXPECT_DOUBLE_EQ(difference_in_differences(-100, -80, controls).relative, 0.275);
  EXPECT_TRUE(std::isnan(difference_in_differences(0, 5, controls).relative));
  EXPECT_DOUBLE_EQ(difference_in_differences(0, 5, controls).effect, 12.5);
}

TEST(DifferenceInDifferences, HasNoEffectWithoutControls) {
  const DidEstimate none = difference_in_differences(100, 80, {});
  EXPECT_TRUE(std::isnan(none.effect));
  EXPECT_TRUE(std::isnan(none.relative));
  EXPECT_EQ(none.controls, 0u);
  const std::vector<std::pair<double, double>> unusable{{kNaN, 1}};
  EXPECT_EQ(difference_in_differences(100, 80, unusable).controls, 0u);
}

TEST(ChangePoint, FindsTheStepOfAStepSeries) {
  const std::vector<double> step{1, 1, 1, 1, 1, 5, 5, 5, 5, 5};
  const ChangePoint c = best_change_point(step);
  EXPECT_EQ(c.index, 5u);
  EXPECT_DOUBLE_EQ(c.mean_before, 1);
  EXPECT_DOUBLE_EQ(c.mean_after, 5);
  EXPECT_DOUBLE_EQ(c.score, 1);
}

TEST(ChangePoint, IndexesTheInputPastNaNAndScoresTheFit) {
  // Python, brute-force SSE over every split: first point of the new regime
  // at input index 6, score 0.9831430987106321.
  const std::vector<double> noisy{10, 11, kNaN, 9, 10, 10, 20, 21, 19, 20, 20, 21};
  const ChangePoint c = best_change_point(noisy);
  EXPECT_EQ(c.index, 6u);
  EXPECT_NEAR(c.mean_before, 10, 1e-12);
  EXPECT_NEAR(c.mean_after, 20.166666666666668, 1e-12);
  EXPECT_NEAR(c.score, 0.9831430987106321, 1e-12);
}

TEST(ChangePoint, RespectsTheMinimumSegment) {
  // The jump is after the first value; with segments of 3 the best allowed
  // split starts the new regime at index 3.
  const std::vector<double> early{9, 1, 1, 1, 1, 1, 1};
  EXPECT_EQ(best_change_point(early, 1).index, 1u);
  EXPECT_DOUBLE_EQ(best_change_point(early, 1).score, 1);
  const ChangePoint c = best_change_point(early, 3);
  EXPECT_EQ(c.index, 3u);
  // Hand: total SSE 2688/49 = 54.857; split 3|4: (9+1+1)/3 and 1 -> SSE
  // 2 * (8/3)^2 + (16/3)^2 = 42.667, removing 12.19 / 54.857 = 2/9.
  EXPECT_NEAR(c.score, 2.0 / 9, 1e-12);
}

TEST(ChangePoint, NoneForConstantOrShortSeries) {
  const ChangePoint flat = best_change_point(std::vector<double>{2, 2, 2, 2, 2, 2, 2});
  EXPECT_EQ(flat.index, 0u);
  EXPECT_DOUBLE_EQ(flat.score, 0);
  EXPECT_DOUBLE_EQ(flat.mean_before, 2);
  const ChangePoint short_series = best_change_point(std::vector<double>{1, 2, 3, 4, 5});
  EXPECT_EQ(short_series.index, 0u);
  EXPECT_DOUBLE_EQ(short_series.score, 0);
  EXPECT_DOUBLE_EQ(best_change_point(std::vector<double>{1, 1, 1, 5, 5, 5}, SIZE_MAX).score, 0);
  EXPECT_EQ(best_change_point(std::vector<double>{1, 1, 1, 5, 5, 5}, 0).index, 3u);  // 0 counts as 1
  const ChangePoint empty = best_change_point({});
  EXPECT_EQ(empty.index, 0u);
  EXPECT_DOUBLE_EQ(empty.score, 0);
  EXPECT_TRUE(std::isnan(empty.mean_before));
}

}  // namespace
}  // namespace eventlens::correlate
