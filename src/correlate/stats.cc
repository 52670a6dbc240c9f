#include "correlate/stats.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

namespace eventlens::correlate {

namespace {

constexpr TimeNs kMinute = 60 * kNanosPerSecond;
constexpr TimeNs kHour = 60 * kMinute;
constexpr TimeNs kDay = 24 * kHour;

// The 95% band: 1.96 standard deviations, estimated as 1.4826 MAD.
constexpr double kBandZ = 1.96;
// Damping of the trend per step (Gardner & McKenzie's damped trend).
constexpr double kPhi = 0.9;
// How much history the trend is fitted on: long enough to see a slope
// through scrape noise, short enough to follow the latest direction.
constexpr TimeNs kTrendSpan = 30 * kMinute;
// The level is the median of this many last points: one spike does not move it.
constexpr std::size_t kLevelPoints = 5;
// Hodges–Lehmann looks at every before x after pair; a side larger than this
// is reduced to as many evenly spaced order statistics (<= 250k pairs).
constexpr std::size_t kHodgesLehmannMaxSide = 500;

// Keeps the points with a value, in time order (stable: equal times keep
// theirs), in place.
void keep_present_in_time_order(std::vector<Point>& points) {
  std::erase_if(points, [](const Point& p) { return std::isnan(p.value); });
  const auto by_time = [](const Point& a, const Point& b) { return a.time < b.time; };
  if (!std::is_sorted(points.begin(), points.end(), by_time)) std::stable_sort(points.begin(), points.end(), by_time);
}

// The same, copied.
std::vector<Point> present_in_time_order(std::span<const Point> points) {
  std::vector<Point> out(points.begin(), points.end());
  keep_present_in_time_order(out);
  return out;
}

std::vector<double> values_of(std::span<const Point> points) {
  std::vector<double> out;
  out.reserve(points.size());
  for (const Point& p : points) out.push_back(p.value);
  return out;
}

// Divided, not multiplied by 1e-9 (which no double holds exactly): whole
// seconds stay whole, so equal slopes compare equal.
double seconds_between(TimeNs earlier, TimeNs later) {
  return static_cast<double>(later - earlier) / static_cast<double>(kNanosPerSecond);
}

// The gap between the times of points in time order when every gap is the
// same and positive (a signal on its step); 0 otherwise or below 2 points.
TimeNs even_gap(std::span<const Point> sorted) {
  if (sorted.size() < 2) return 0;
  const TimeNs gap = sorted[1].time - sorted[0].time;
  if (gap <= 0) return 0;
  for (std::size_t i = 2; i < sorted.size(); ++i) {
    if (sorted[i].time - sorted[i - 1].time != gap) return 0;
  }
  return gap;
}

// Theil–Sen over points that are already NaN-free and in time order, on at
// most `max_points` of them.
double theil_sen_sorted(std::span<const Point> points, std::size_t max_points) {
  // Scratch kept per thread: this runs for every window summarized.
  thread_local std::vector<double> values, seconds, slopes;
  thread_local std::vector<std::size_t> steps;
  thread_local std::vector<Point> sample;
  slopes.clear();
  if (points.size() < 2) return kNaN;
  // On an even step (a signal's usual shape) the time between two points
  // depends only on how many steps apart they are: computed once per
  // distance, the loop over pairs is a subtraction and a division.
  const TimeNs gap = even_gap(points);
  // Above max_points, an evenly spaced subsample by position, both ends
  // kept: k (n-1) / (m-1).
  const std::size_t m = std::min(points.size(), max_points);
  values.resize(m);
  steps.resize(m);
  for (std::size_t k = 0; k < m; ++k) {
    const std::size_t at = m == points.size() ? k : k * (points.size() - 1) / (m - 1);
    values[k] = points[at].value;
    steps[k] = at;
  }
  if (gap > 0) {
    seconds.resize(points.size());
    for (std::size_t d = 0; d < points.size(); ++d) seconds[d] = seconds_between(0, static_cast<TimeNs>(d) * gap);
    slopes.resize(m * (m - 1) / 2);
    double* out = slopes.data();
    for (std::size_t i = 0; i + 1 < m; ++i) {
      for (std::size_t j = i + 1; j < m; ++j) *out++ = (values[j] - values[i]) / seconds[steps[j] - steps[i]];
    }
  } else {
    sample.clear();
    for (std::size_t k = 0; k < m; ++k) sample.push_back(points[steps[k]]);
    for (std::size_t i = 0; i < m; ++i) {
      for (std::size_t j = i + 1; j < m; ++j) {
        if (sample[j].time == sample[i].time) continue;
        slopes.push_back((sample[j].value - sample[i].value) / seconds_between(sample[i].time, sample[j].time));
      }
    }
  }
  return quantile_of(slopes, 0.5);
}

// Lag-1 autocorrelation over points that are already NaN-free and in time order.
double lag1_sorted(std::span<const Point> points) {
  const std::size_t n = points.size();
  if (n < 3) return kNaN;
  const auto [lo, hi] = std::minmax_element(points.begin(), points.end(),
                                            [](const Point& a, const Point& b) { return a.value < b.value; });
  // Checked exactly: a mean of equal values can be off by an ulp, and the
  // ratio of two rounding errors is no correlation.
  if (lo->value == hi->value) return kNaN;
  double sum = 0;
  for (const Point& p : points) sum += p.value;
  const double mean = sum / static_cast<double>(n);
  double lagged = 0;
  double squares = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = points[i].value - mean;
    squares += d * d;
    if (i + 1 < n) lagged += d * (points[i + 1].value - mean);
  }
  return lagged / squares;
}

// The size an autocorrelated sample is worth in independent values.
double effective_size(std::span<const Point> sorted) {
  if (sorted.empty()) return 0;
  double r = lag1_sorted(sorted);
  // Negative r would inflate n; a series alternating around its mean is rare
  // in metrics and more likely noise in the estimate, so it counts as 0.
  r = std::isnan(r) ? 0.0 : std::clamp(r, 0.0, 0.9);
  return std::max(1.0, static_cast<double>(sorted.size()) * (1 - r) / (1 + r));
}

// Sorted `values` reduced to at most `m` evenly spaced order statistics.
std::span<const double> order_statistics(std::span<const double> sorted, std::size_t m, std::vector<double>& out) {
  if (sorted.size() <= m) return sorted;
  out.clear();
  out.reserve(m);
  const std::size_t n = sorted.size();
  for (std::size_t k = 0; k < m; ++k) out.push_back(sorted[k * (n - 1) / (m - 1)]);
  return out;
}

double hodges_lehmann(std::span<const double> before_sorted, std::span<const double> after_sorted) {
  if (before_sorted.empty() || after_sorted.empty()) return kNaN;
  std::vector<double> reduced_before, reduced_after;
  const auto before = order_statistics(before_sorted, kHodgesLehmannMaxSide, reduced_before);
  const auto after = order_statistics(after_sorted, kHodgesLehmannMaxSide, reduced_after);
  std::vector<double> differences;
  differences.reserve(before.size() * after.size());
  for (const double a : after) {
    for (const double b : before) differences.push_back(a - b);
  }
  return quantile_of(differences, 0.5);
}

Forecast band_around(double mean, double mad, double widen, const char* method) {
  const double half = kBandZ * kMadToSigma * mad * widen;
  return Forecast{mean, mean - half, mean + half, method};
}

// The MAD of `residuals` when there are enough of them to trust, else of
// the history's values.
double spread_of(std::span<const double> residuals, std::span<const Point> history) {
  if (residuals.size() >= 3) return robust_stats(residuals).mad;
  const std::vector<double> values = values_of(history);
  return robust_stats(values).mad;
}

// A sorted history with prefix sums, so that the mean over any time window
// costs two binary searches.
class WindowedSeries {
 public:
  explicit WindowedSeries(std::span<const Point> sorted) {
    times_.reserve(sorted.size());
    prefix_.reserve(sorted.size() + 1);
    // Summed relative to the first value: a counter near 1e12 would otherwise
    // lose the differences between windows in the running total.
    origin_ = sorted.empty() ? 0.0 : sorted.front().value;
    prefix_.push_back(0);
    for (const Point& p : sorted) {
      times_.push_back(p.time);
      prefix_.push_back(prefix_.back() + (p.value - origin_));
    }
  }

  // Returns the mean of the values in [a, b); NaN when there are none.
  double mean_in(TimeNs a, TimeNs b) const {
    const auto i = static_cast<std::size_t>(std::lower_bound(times_.begin(), times_.end(), a) - times_.begin());
    const auto j = static_cast<std::size_t>(std::lower_bound(times_.begin(), times_.end(), b) - times_.begin());
    if (j <= i) return kNaN;
    return origin_ + (prefix_[j] - prefix_[i]) / static_cast<double>(j - i);
  }

 private:
  std::vector<TimeNs> times_;
  std::vector<double> prefix_;
  double origin_ = 0;
};

// The seasonal-naive forecast of the mean over [a, b): the same window a day
// earlier, moved by how much the last hour differs from that hour a day earlier.
double seasonal_naive(const WindowedSeries& series, TimeNs a, TimeNs b) {
  return series.mean_in(a - kDay, b - kDay) + (series.mean_in(a - kHour, a) - series.mean_in(a - kDay - kHour, a - kDay));
}

// Whether the history starts early enough for a seasonal forecast at `t`;
// one step of slack, since samples need not sit on the exact boundary.
bool reaches_a_day_and_an_hour_back(std::span<const Point> sorted, TimeNs t, TimeNs step) {
  return sorted.front().time - step <= t - kDay - kHour;
}

// The damped-trend model fitted to a history prefix.
struct DampedTrend {
  double level;
  TimeNs anchor;  // the time the level belongs to
  double slope_per_step;
};

// Sorts up to kLevelPoints values in place: insertion sort, which for five
// values beats std::sort's set-up.
void sort_few(std::array<double, kLevelPoints>& v, std::size_t k) {
  for (std::size_t i = 1; i < k; ++i) {
    const double x = v[i];
    std::size_t j = i;
    for (; j > 0 && v[j - 1] > x; --j) v[j] = v[j - 1];
    v[j] = x;
  }
}

// The level of a damped-trend model ending at `last` (the median of its
// last min(5, n) values, anchored at the median of their times).
DampedTrend level_at(std::span<const Point> sorted, double slope_per_step) {
  const std::size_t k = std::min(kLevelPoints, sorted.size());
  const auto last = sorted.last(k);
  const TimeNs end = sorted.back().time;
  // Offsets from the last point keep the median exact; the points are in
  // time order, so the offsets already are.
  std::array<double, kLevelPoints> offsets{}, values{};
  for (std::size_t i = 0; i < k; ++i) {
    offsets[i] = static_cast<double>(last[i].time - end);
    values[i] = last[i].value;
  }
  sort_few(values, k);
  const auto middle = [k](const std::array<double, kLevelPoints>& v) {
    return k % 2 == 1 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
  };
  return DampedTrend{middle(values), end + static_cast<TimeNs>(std::llround(middle(offsets))), slope_per_step};
}

DampedTrend fit_damped_trend(std::span<const Point> sorted, TimeNs step) {
  const TimeNs end = sorted.back().time;
  const auto recent_begin = std::lower_bound(sorted.begin(), sorted.end(), end - kTrendSpan,
                                             [](const Point& p, TimeNs t) { return p.time < t; });
  double slope = theil_sen_sorted(std::span<const Point>(recent_begin, sorted.end()), kForecastTrendMaxPoints);
  if (std::isnan(slope)) slope = 0;
  return level_at(sorted, slope * seconds_between(0, step));
}

// phi^h. Horizons are whole steps on an even series, and std::pow was a
// tenth of the forecast's time: whole h below the table's size are looked up
// (filled by std::pow itself, so the figures stay the same).
double phi_power(double h) {
  static const std::array<double, 1024> kWhole = [] {
    std::array<double, 1024> out{};
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = std::pow(kPhi, static_cast<double>(i));
    return out;
  }();
  if (h >= 0 && h < static_cast<double>(kWhole.size()) && h == std::floor(h)) return kWhole[static_cast<std::size_t>(h)];
  return std::pow(kPhi, h);
}

// level + slope * (phi + phi^2 + ... + phi^h), h = steps after the anchor.
double damped_trend_at(const DampedTrend& model, TimeNs t, TimeNs step) {
  const double h = static_cast<double>(t - model.anchor) / static_cast<double>(step);
  if (h <= 0) return model.level;
  return model.level + model.slope_per_step * kPhi * (1 - phi_power(h)) / (1 - kPhi);
}

// The times the mean over [from, to) is taken at: from, from + step, ... < to,
// or kForecastMaxSteps times evenly spread when the window holds more.
std::vector<TimeNs> window_steps(TimeNs from, TimeNs to, TimeNs step) {
  const std::uint64_t width = static_cast<std::uint64_t>(to - from);
  const std::uint64_t count = (width - 1) / static_cast<std::uint64_t>(step) + 1;
  std::vector<TimeNs> times;
  if (count <= kForecastMaxSteps) {
    times.reserve(count);
    for (std::uint64_t k = 0; k < count; ++k) times.push_back(from + static_cast<TimeNs>(k) * step);
  } else {
    times.reserve(kForecastMaxSteps);
    const double spacing = static_cast<double>(width) / static_cast<double>(kForecastMaxSteps);
    for (std::size_t k = 0; k < kForecastMaxSteps; ++k) {
      times.push_back(from + static_cast<TimeNs>(std::llround(static_cast<double>(k) * spacing)));
    }
  }
  return times;
}

// The median positive spacing of sorted points; 0 when all times are equal.
TimeNs median_spacing(std::span<const Point> sorted) {
  // Signals come on a fixed step: when every gap is the same, that is it.
  if (const TimeNs gap = even_gap(sorted); gap > 0) return gap;
  std::vector<double> gaps;
  gaps.reserve(sorted.size());
  for (std::size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i].time > sorted[i - 1].time) gaps.push_back(static_cast<double>(sorted[i].time - sorted[i - 1].time));
  }
  const double median = quantile_of(gaps, 0.5);
  return std::isnan(median) ? 0 : static_cast<TimeNs>(std::llround(median));
}

// The spread of the seasonal method's one-step-ahead residuals: each point
// forecast from the day and hour before it.
double seasonal_spread(const WindowedSeries& series, std::span<const Point> sorted, TimeNs step) {
  std::vector<double> residuals;
  for (const Point& p : sorted) {
    if (!reaches_a_day_and_an_hour_back(sorted, p.time, step)) continue;
    const double predicted = seasonal_naive(series, p.time, p.time + step);
    if (!std::isnan(predicted)) residuals.push_back(p.value - predicted);
  }
  return spread_of(residuals, sorted);
}

// The spread of the trend method's one-step-ahead residuals over the last
// points, each forecast with the level of the points before it (the method
// needs 3) and the fit's slope: refitting the slope for every residual cost
// 50 Theil–Sen fits per forecast, and the level's error is what dominates
// one step ahead.
double trend_spread(const DampedTrend& model, std::span<const Point> sorted, TimeNs step) {
  std::vector<double> residuals;
  const std::size_t first = std::max<std::size_t>(3, sorted.size() - std::min(sorted.size(), kForecastResidualPoints));
  residuals.reserve(sorted.size() - std::min(first, sorted.size()));
  for (std::size_t i = first; i < sorted.size(); ++i) {
    const DampedTrend fitted = level_at(sorted.first(i), model.slope_per_step);
    residuals.push_back(sorted[i].value - damped_trend_at(fitted, sorted[i].time, step));
  }
  return spread_of(residuals, sorted);
}

Forecast forecast_last_level(std::span<const Point> sorted) {
  const std::vector<double> values = values_of(sorted);
  const Robust r = robust_stats(values);
  if (values.size() < 2) return Forecast{r.median, kNaN, kNaN, "last_level"};
  return band_around(r.median, r.mad, 1.0, "last_level");
}

// The k-th and (k+1)-th smallest (0-based) of the n NaN-free values at `in`,
// exactly (the second is +inf when k + 1 == n). Quickselect that copies each
// pass's two sides into scratch buffers without branching on the data:
// std::nth_element's partition mispredicts about every other comparison,
// which made selection a quarter of enrichment's time (435 Theil–Sen slopes
// take 1.2 us here against 4.3 us). The pivot, the median of five spread
// values, is always one of the values, so every pass removes at least it.
std::pair<double, double> kth_and_next(const double* in, std::size_t n, std::size_t k) {
  // The scratch of everyday sizes is kept per thread; a rare huge input (a
  // Hodges–Lehmann shift of long windows) gets its own, given back after.
  constexpr std::size_t kKeptScratch = 1 << 14;
  thread_local std::vector<double> kept;
  std::vector<double> once;
  std::vector<double>& scratch = 4 * n <= kKeptScratch ? kept : once;
  if (scratch.size() < 4 * n) scratch.resize(4 * n);
  double* sides[2][2] = {{scratch.data(), scratch.data() + n}, {scratch.data() + 2 * n, scratch.data() + 3 * n}};
  int pass = 0;
  const double* cur = in;
  // The smallest value known to lie above the current range.
  double above = std::numeric_limits<double>::infinity();
  while (n > 16) {
    std::array<double, 5> s = {cur[n / 8], cur[3 * n / 8], cur[n / 2], cur[5 * n / 8], cur[7 * n / 8]};
    std::sort(s.begin(), s.end());
    const double pivot = s[2];
    double* lo = sides[pass][0];
    double* hi = sides[pass][1];
    std::size_t n_lo = 0, n_hi = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double x = cur[i];
      lo[n_lo] = x;
      hi[n_hi] = x;
      n_lo += x < pivot;
      n_hi += x > pivot;
    }
    const std::size_t n_eq = n - n_lo - n_hi;
    if (k < n_lo) {
      cur = lo;
      n = n_lo;
      above = pivot;
    } else if (k < n_lo + n_eq) {
      if (k + 1 < n_lo + n_eq) return {pivot, pivot};
      return {pivot, n_hi == 0 ? above : *std::min_element(hi, hi + n_hi)};
    } else {
      k -= n_lo + n_eq;
      cur = hi;
      n = n_hi;
    }
    pass ^= 1;
  }
  std::array<double, 16> tail;
  std::copy(cur, cur + n, tail.begin());
  std::sort(tail.begin(), tail.begin() + static_cast<std::ptrdiff_t>(n));
  return {tail[k], k + 1 < n ? tail[k + 1] : above};
}

// Where the q-quantile of n sorted values lies (Hyndman–Fan type 7): between
// order statistics lo and lo + 1, `fraction` of the way.
struct QuantilePosition {
  std::size_t lo;
  double fraction;
};
QuantilePosition quantile_position(std::size_t n, double q) {
  const double h = static_cast<double>(n - 1) * std::clamp(q, 0.0, 1.0);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  return {lo, lo + 1 >= n ? 0.0 : h - static_cast<double>(lo)};
}

double interpolate(double x_lo, double x_hi, double fraction) {
  return fraction == 0 ? x_lo : x_lo + fraction * (x_hi - x_lo);
}

}  // namespace

double quantile_of_sorted(std::span<const double> sorted, double q) {
  if (sorted.empty() || std::isnan(q)) return kNaN;
  const auto [lo, fraction] = quantile_position(sorted.size(), q);
  return interpolate(sorted[lo], fraction == 0 ? 0.0 : sorted[lo + 1], fraction);
}

double quantile_of(std::vector<double>& values, double q) {
  if (std::isnan(q)) return kNaN;
  const auto end = std::partition(values.begin(), values.end(), [](double v) { return !std::isnan(v); });
  const auto n = static_cast<std::size_t>(end - values.begin());
  if (n == 0) return kNaN;
  const auto [lo, fraction] = quantile_position(n, q);
  const auto [x_lo, x_hi] = kth_and_next(values.data(), n, lo);
  return interpolate(x_lo, x_hi, fraction);
}

WindowSample window_sample(std::span<const Point> points) {
  WindowSample w;
  w.in_time_order = present_in_time_order(points);
  w.sorted_values = values_of(w.in_time_order);
  std::sort(w.sorted_values.begin(), w.sorted_values.end());
  return w;
}

Summary summarize(const WindowSample& w) {
  Summary s;
  s.n = w.in_time_order.size();
  if (s.n == 0) return s;
  double sum = 0;
  for (const Point& p : w.in_time_order) sum += p.value;
  s.mean = sum / static_cast<double>(s.n);
  s.min = w.sorted_values.front();
  s.max = w.sorted_values.back();
  s.p50 = quantile_of_sorted(w.sorted_values, 0.5);
  s.p95 = quantile_of_sorted(w.sorted_values, 0.95);
  s.slope_per_s = theil_sen_sorted(w.in_time_order, kTheilSenMaxPoints);
  return s;
}

Summary summarize(std::span<const Point> points) { return summarize(window_sample(points)); }

double theil_sen_slope(std::span<const Point> points) {
  return theil_sen_sorted(present_in_time_order(points), kTheilSenMaxPoints);
}

double lag1_autocorrelation(std::span<const Point> points) {
  return lag1_sorted(present_in_time_order(points));
}

Robust robust_stats(std::span<const double> values) {
  std::vector<double> present;
  present.reserve(values.size());
  for (const double v : values) {
    if (!std::isnan(v)) present.push_back(v);
  }
  const double median = quantile_of(present, 0.5);
  for (double& v : present) v = std::fabs(v - median);
  return Robust{median, quantile_of(present, 0.5)};
}

// The statistic. With n1 = |before|, n2 = |after|, N = n1 + n2, values ranked
// together (mid-ranks for ties), R2 the rank sum of `after`:
//   U  = R2 - n2 (n2 + 1) / 2            (pairs where after > before, ties 1/2)
//   A  = U / (n1 n2)                     (the same, as a probability; n-free)
//   c  = 1 - sum_ties (t^3 - t) / (N^3 - N)   (variance share left by ties)
// The textbook variance of A is (N + 1) c / (12 n1 n2); here it is taken at
// the effective sizes e1, e2 (see shift_test in stats.h):
//   Var(A) = (e1 + e2 + 1) c / (12 e1 e2)
// and with the continuity correction of half a pair on the U scale
//   z = sign(U - n1 n2 / 2) * max(0, |U - n1 n2 / 2| - 1/2) / (n1 n2) / sqrt(Var(A)),
//   p = erfc(|z| / sqrt(2)).
// With e = n this is the usual tie-corrected normal approximation exactly
// (scipy.stats.mannwhitneyu, method="asymptotic", use_continuity=True).
ShiftTest shift_test(const WindowSample& before, const WindowSample& after) {
  const std::vector<double>& b = before.sorted_values;
  const std::vector<double>& a = after.sorted_values;
  ShiftTest test{"mann_whitney_u_effective_n", 0.0, 1.0, effective_size(before.in_time_order),
                 effective_size(after.in_time_order), hodges_lehmann(b, a)};
  if (b.size() < 2 || a.size() < 2) return test;

  // Both sides sorted: the joint ranking is their merge, one group of equal
  // values at a time.
  double after_rank_sum = 0;
  double ties = 0;  // sum of t^3 - t over groups of t equal values
  std::size_t i = 0, j = 0;
  while (i < b.size() || j < a.size()) {
    const double v = j == a.size() || (i < b.size() && b[i] < a[j]) ? b[i] : a[j];
    const std::size_t first = i + j;
    while (i < b.size() && b[i] == v) ++i;
    std::size_t after_in_group = 0;
    for (; j < a.size() && a[j] == v; ++j) ++after_in_group;
    const std::size_t last = i + j;
    const double t = static_cast<double>(last - first);
    const double mid_rank = (static_cast<double>(first + 1) + static_cast<double>(last)) / 2;
    after_rank_sum += mid_rank * static_cast<double>(after_in_group);
    ties += t * t * t - t;
  }

  const double n1 = static_cast<double>(b.size());
  const double n2 = static_cast<double>(a.size());
  const double total = n1 + n2;
  const double u = after_rank_sum - n2 * (n2 + 1) / 2;
  const double left_by_ties = 1 - ties / (total * total * total - total);
  if (left_by_ties <= 0) return test;  // every value equal: nothing moved
  const double e1 = test.n_eff_before;
  const double e2 = test.n_eff_after;
  const double sd = std::sqrt((e1 + e2 + 1) * left_by_ties / (12 * e1 * e2));
  const double distance = u - n1 * n2 / 2;
  const double corrected = std::max(0.0, std::fabs(distance) - 0.5) / (n1 * n2);
  test.statistic = std::copysign(corrected / sd, distance);
  test.p_value = std::erfc(std::fabs(test.statistic) / std::sqrt(2.0));
  return test;
}

ShiftTest shift_test(std::span<const Point> before, std::span<const Point> after) {
  return shift_test(window_sample(before), window_sample(after));
}

// What a history's forecasts share, fitted on first use.
struct Forecaster::Fit {
  std::optional<WindowedSeries> series;
  double seasonal_spread = kNaN;
  std::optional<DampedTrend> trend;
  double trend_spread = kNaN;
};

Forecaster::Forecaster(std::span<const Point> history)
    : sorted_(present_in_time_order(history)), fit_(std::make_unique<Fit>()) {
  step_ = median_spacing(sorted_);
}

Forecaster::Forecaster(std::vector<Point>&& history) : sorted_(std::move(history)), fit_(std::make_unique<Fit>()) {
  keep_present_in_time_order(sorted_);
  step_ = median_spacing(sorted_);
}

Forecaster::~Forecaster() = default;
Forecaster::Forecaster(Forecaster&&) noexcept = default;
Forecaster& Forecaster::operator=(Forecaster&&) noexcept = default;

Forecast Forecaster::mean_over(TimeNs from, TimeNs to) {
  const Forecast none{kNaN, kNaN, kNaN, "none"};
  if (to <= from || sorted_.empty()) return none;
  // Points at or after `from` are not history: the fits are of the whole
  // history, so a window starting inside it is forecast afresh.
  if (sorted_.back().time >= from) {
    const auto end = std::lower_bound(sorted_.begin(), sorted_.end(), from,
                                      [](const Point& p, TimeNs t) { return p.time < t; });
    if (end == sorted_.begin()) return none;
    return Forecaster(std::span<const Point>(sorted_.begin(), end)).mean_over(from, to);
  }
  if (sorted_.size() < 3 || step_ <= 0) return forecast_last_level(sorted_);
  if (reaches_a_day_and_an_hour_back(sorted_, from, step_) && sorted_.back().time + step_ >= to - kDay) {
    if (!fit_->series) {
      fit_->series.emplace(sorted_);
      fit_->seasonal_spread = seasonal_spread(*fit_->series, sorted_, step_);
    }
    const double mean = seasonal_naive(*fit_->series, from, to);
    if (!std::isnan(mean)) return band_around(mean, fit_->seasonal_spread, 1.0, "seasonal_naive");
  }
  if (!fit_->trend) {
    fit_->trend = fit_damped_trend(sorted_, step_);
    fit_->trend_spread = trend_spread(*fit_->trend, sorted_, step_);
  }
  const std::vector<TimeNs> times = window_steps(from, to, step_);
  const TimeNs last = sorted_.back().time;
  double sum = 0;
  double horizon = 0;
  for (const TimeNs t : times) {
    sum += damped_trend_at(*fit_->trend, t, step_);
    horizon += static_cast<double>(t - last) / static_cast<double>(step_);
  }
  const double count = static_cast<double>(times.size());
  // Errors of a trend extrapolation grow with the horizon, like a random walk's.
  const double widen = std::sqrt(std::max(1.0, horizon / count));
  return band_around(sum / count, fit_->trend_spread, widen, "damped_trend");
}

Forecast forecast_mean(std::span<const Point> history, TimeNs from, TimeNs to) {
  return Forecaster(history).mean_over(from, to);
}

DidEstimate difference_in_differences(double before_t, double after_t,
                                      std::span<const std::pair<double, double>> controls_before_after) {
  double change_sum = 0;
  std::size_t used = 0;
  for (const auto& [before, after] : controls_before_after) {
    if (!std::isfinite(before) || !std::isfinite(after)) continue;
    change_sum += after - before;
    ++used;
  }
  if (used == 0) return DidEstimate{kNaN, kNaN, 0};
  const double effect = (after_t - before_t) - change_sum / static_cast<double>(used);
  const double relative = before_t == 0 ? kNaN : effect / std::fabs(before_t);
  return DidEstimate{effect, relative, used};
}

ChangePoint best_change_point(std::span<const double> values, std::size_t min_segment) {
  std::vector<std::size_t> index;
  std::vector<double> x;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) continue;
    index.push_back(i);
    x.push_back(values[i]);
  }
  const std::size_t n = x.size();
  double sum = 0;
  for (const double v : x) sum += v;
  const double mean = n == 0 ? kNaN : sum / static_cast<double>(n);
  const ChangePoint none{0, mean, mean, 0.0};
  min_segment = std::max<std::size_t>(1, min_segment);
  if (min_segment > n / 2) return none;  // not n < 2 min_segment: that can overflow
  if (std::all_of(x.begin(), x.end(), [&](double v) { return v == x.front(); })) return none;

  // Centred on the mean, the SSE a split removes is k m1^2 + (n - k) m2^2,
  // m1 and m2 the centred means of the two segments.
  std::vector<double> prefix(n + 1, 0.0);
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double c = x[i] - mean;
    prefix[i + 1] = prefix[i] + c;
    total += c * c;
  }
  std::size_t best = 0;
  double best_reduction = 0;
  double best_m1 = 0;
  double best_m2 = 0;
  for (std::size_t k = min_segment; k + min_segment <= n; ++k) {
    const double m1 = prefix[k] / static_cast<double>(k);
    const double m2 = (prefix[n] - prefix[k]) / static_cast<double>(n - k);
    const double reduction = static_cast<double>(k) * m1 * m1 + static_cast<double>(n - k) * m2 * m2;
    if (reduction > best_reduction) {
      best = k;
      best_reduction = reduction;
      best_m1 = m1;
      best_m2 = m2;
    }
  }
  if (best == 0) return none;
  return ChangePoint{index[best], mean + best_m1, mean + best_m2, std::min(1.0, best_reduction / total)};
}

}  // namespace eventlens::correlate
