// The statistics correlation judges with: robust summaries of a metric series,
// a before/after shift test that allows for autocorrelation, counterfactual
// forecasts, difference in differences and a single change point.
// Pure functions over caller-owned data; no state, callable from any thread.
#pragma once

#include <cstddef>
#include <limits>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "model/time.h"
#include "stream/point.h"

namespace eventlens::correlate {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One sample of a series. A NaN value means "no value" (Prometheus writes NaN
// for an empty summary): every function below skips such points, so callers
// need not filter first.
using Point = stream::Point;

// What a window of a series looks like. Every field is NaN when n == 0.
struct Summary {
  std::size_t n = 0;
  double mean = kNaN;
  double p50 = kNaN;
  double p95 = kNaN;
  double min = kNaN;
  double max = kNaN;
  double slope_per_s = kNaN;  // Theil–Sen; NaN when n < 2 or all times are equal
};

// Returns the count, mean, median, 95th percentile, extremes and Theil–Sen
// slope of the points' values.
Summary summarize(std::span<const Point> points);

// A window of a series prepared once for summarize and shift_test, which an
// event's before and after windows both go through: the points with a value
// in time order, and their values sorted.
struct WindowSample {
  std::vector<Point> in_time_order;
  std::vector<double> sorted_values;
};
WindowSample window_sample(std::span<const Point> points);
Summary summarize(const WindowSample& window);

// Returns the q-quantile of `values` by linear interpolation between order
// statistics (Hyndman–Fan type 7, the default of R and numpy): with the n
// non-NaN values sorted, x[(n-1)q] interpolated. q is clamped to [0, 1].
// NaN when no value is left or q is NaN. Moves the NaNs of `values` to its
// end (the other values may change places).
double quantile_of(std::vector<double>& values, double q);
// The same q-quantile of values already sorted and NaN-free; NaN when empty.
double quantile_of_sorted(std::span<const double> sorted, double q);

// Returns the Theil–Sen slope in value units per second: the median of the
// slopes between every two points at different times. One outlier in n
// points moves it by at most one pair rank in n - 1, unlike least squares.
// Above kTheilSenMaxPoints points an evenly spaced subsample (in time order)
// is used, which keeps it at 435 pairs: it runs for every signal of every
// window summarized, and 30 points still leave a breakdown point of 29 %.
// NaN when fewer than two points have distinct times.
double theil_sen_slope(std::span<const Point> points);
inline constexpr std::size_t kTheilSenMaxPoints = 30;

// Returns the lag-1 autocorrelation of the values in time order (points are
// sorted by time if they are not already):
//   r = sum_{i<n-1} (x_i - m)(x_{i+1} - m) / sum_i (x_i - m)^2.
// NaN when n < 3 or the values do not vary.
double lag1_autocorrelation(std::span<const Point> points);

// The median and the median absolute deviation from it. The MAD is unscaled:
// multiply by kMadToSigma for a standard deviation under normality.
struct Robust {
  double median;
  double mad;
};
inline constexpr double kMadToSigma = 1.4826;

// Returns the median and MAD of the non-NaN values; both NaN when none.
Robust robust_stats(std::span<const double> values);

// Whether the level of a series moved between two windows.
struct ShiftTest {
  const char* method;   // "mann_whitney_u_effective_n"
  double statistic;     // z; positive when `after` tends to be larger
  double p_value;       // two-sided
  double n_eff_before;  // effective sample sizes the variance was computed with
  double n_eff_after;
  double effect;        // Hodges–Lehmann shift: median of after - before over all pairs
};

// Returns a two-sided Mann–Whitney U test of `after` against `before`, with
// mid-ranks for ties, the tie-corrected variance, a continuity correction
// and the normal approximation. Metric samples are autocorrelated, which
// makes n samples worth fewer independent ones; each side's size is replaced
// by n_eff = n (1 - r) / (1 + r), r its lag-1 autocorrelation clamped to
// [0, 0.9] (NaN -> 0), n_eff >= 1. stats.cc gives the exact formula.
// p = 1 and z = 0 when either side has fewer than 2 values; effect is NaN
// when either side is empty. A side above 500 values enters the
// Hodges–Lehmann shift as 500 evenly spaced order statistics.
ShiftTest shift_test(std::span<const Point> before, std::span<const Point> after);
ShiftTest shift_test(const WindowSample& before, const WindowSample& after);

// A counterfactual level with its band. `method` names what produced it:
// "seasonal_naive", "damped_trend", "last_level", or "none" (no history, or
// an empty window) with every number NaN.
struct Forecast {
  double mean;
  double lower;  // NaN when the spread cannot be estimated (a single point)
  double upper;
  const char* method;
};

// Returns the mean level of the metric over [from, to) had nothing happened,
// forecast from `history` (points before `from`, roughly evenly spaced;
// later points are ignored, unsorted input is sorted). The step is the
// median spacing of the history.
// - "seasonal_naive" when the history reaches back to from - 25h (within a
//   step) and holds points in [from - 25h, from - 24h), [from - 24h, to - 24h)
//   and [from - 1h, from): the mean of the window a day earlier plus the
//   difference of the means of the last hour and the same hour a day earlier.
// - "damped_trend" otherwise, from 3 points on: level = median of the last
//   min(5, n) points, anchored at the median of their times; slope =
//   Theil–Sen over the last 30 min of history (on at most
//   kForecastTrendMaxPoints of them, evenly spaced: a point a minute at a
//   15 s step, which keeps the fit to 435 pairs; 0 without two points);
//   h steps after the anchor the forecast is
//   level + slope_per_step * (phi + ... + phi^h)
//   = level + slope_per_step * phi (1 - phi^h) / (1 - phi), phi = 0.9, h real;
//   the mean is taken over the window's steps from, from + step, ... < to (at
//   most kForecastMaxSteps of them, evenly spread when the window holds more).
// - "last_level" below 3 points: the median of the points.
// The band is mean ± 1.96 * 1.4826 * MAD of the method's one-step-ahead
// residuals over the history (seasonal: every point with a day and an hour
// behind it; trend: the last kForecastResidualPoints points, each forecast
// with the level of the points before it and the fit's slope), or of the
// values when fewer than 3 residuals exist. The trend band is widened by
// sqrt(H), H the mean horizon of the window's steps in steps after the last
// point (at least 1).
Forecast forecast_mean(std::span<const Point> history, TimeNs from, TimeNs to);

// The forecasts of one history for several windows: what they share (the
// sorted history, the trend's fit, the spread of the residuals) is computed
// once, on the first window that needs it. mean_over(from, to) equals
// forecast_mean(history, from, to).
class Forecaster {
 public:
  explicit Forecaster(std::span<const Point> history);
  // The same, taking `history`'s storage and cleaning it in place (a
  // signal's points need nothing) instead of copying it.
  explicit Forecaster(std::vector<Point>&& history);
  ~Forecaster();
  Forecaster(Forecaster&&) noexcept;
  Forecaster& operator=(Forecaster&&) noexcept;
  Forecast mean_over(TimeNs from, TimeNs to);

 private:
  struct Fit;
  std::vector<Point> sorted_;
  TimeNs step_ = 0;
  std::unique_ptr<Fit> fit_;
};
inline constexpr std::size_t kForecastMaxSteps = 1000;
inline constexpr std::size_t kForecastResidualPoints = 50;
inline constexpr std::size_t kForecastTrendMaxPoints = 30;

// A treated series' change less the mean change of comparable untreated ones.
struct DidEstimate {
  double effect;
  double relative;       // effect / |before_t|; NaN when before_t == 0
  std::size_t controls;  // the controls used
};

// Returns effect = (after_t - before_t) - mean_i(after_c_i - before_c_i) over
// the controls (before, after) whose two sides are both finite; the others
// are skipped. The effect is NaN when no control is left: without one the
// change of the treated series alone is not an effect. The relative effect
// divides by |before_t| so that its sign stays the effect's for negative
// baselines.
DidEstimate difference_in_differences(double before_t, double after_t,
                                      std::span<const std::pair<double, double>> controls_before_after);

// The best split of a series into two segments of constant mean.
struct ChangePoint {
  std::size_t index;   // first point of the new regime, an index into the input
  double mean_before;
  double mean_after;
  double score;        // the split's SSE reduction as a fraction of the total SSE, 0..1
};

// Returns the least-squares split of the non-NaN values into two segments of
// at least `min_segment` values each (at least 1): the one that removes the
// largest share of the sum of squared deviations from the mean; the earliest
// when several tie. When there is none (too few values, or they do not
// vary), index = 0, score = 0 and both means are the overall mean (NaN when
// empty). NaN values are skipped; `index` still counts them.
ChangePoint best_change_point(std::span<const double> values, std::size_t min_segment = 3);

}  // namespace eventlens::correlate
