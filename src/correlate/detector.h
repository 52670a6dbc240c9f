// Incident detection on one signal: a robust baseline (median and MAD of the
// signal's recent history) and a state machine that opens an incident when
// the signal has deviated beyond every threshold of its DetectionSpec for
// `open_after`, and closes it after `close_after` back near the baseline.
// The baseline is frozen from the first deviating step on, so an incident
// does not teach the detector that it is normal. Plain value per signal.
#pragma once

#include <span>
#include <vector>

#include "correlate/config.h"
#include "correlate/stats.h"

namespace eventlens::correlate {

// How far one value lies from a baseline, in the detection's direction.
struct Deviation {
  double baseline = kNaN;
  double spread = kNaN;  // robust sigma, floored (see detector.cc)
  double z = 0;          // (value - baseline) / spread, sign flipped for `down`
  double ratio = kNaN;   // value / baseline, inverted for `down`
  bool beyond = false;   // every threshold of the spec is passed
};

// Returns the baseline of `history` (NaN when it has fewer points than
// min_baseline_points of their spacing): its median — for a `down` detection
// its 10th percentile, so that the end of a surge of traffic that filled much
// of the history is not taken for a drop — and, in `mad`, the step-to-step
// noise (median absolute successive difference / sqrt 2), which an earlier
// level shift does not inflate.
Robust baseline_of(std::span<const Point> history,
                   DetectionSpec::Direction direction = DetectionSpec::Direction::up);

// How many points a baseline needs: kMinBaselinePoints, unless at the data's
// own spacing (the median gap between successive present points) that many
// take longer than kMinBaselineSpan; then as many as cover it, but never
// fewer than kMinCoarseBaselinePoints. Data every minute or faster needs 8
// points; 5-minute data needs 5 (25 minutes), where 8 would keep a fresh
// stream of coarse data from opening anything for 40 minutes.
inline constexpr std::size_t kMinBaselinePoints = 8;
inline constexpr std::size_t kMinCoarseBaselinePoints = 5;
inline constexpr TimeNs kMinBaselineSpan = 8 * 60 * stream::kSecond;
std::size_t min_baseline_points(TimeNs spacing);
// The median gap between successive present (non-NaN) points; 0 with fewer
// than two.
TimeNs spacing_of(std::span<const Point> points);

// Both directions' baselines of `history` at once (they share the noise).
struct Baselines {
  Robust up;
  Robust down;
};
Baselines baselines_of(std::span<const Point> history);

// Returns how `value` deviates from `baseline` under `spec`.
// baseline_of over a window that slides one step at a time: the window's
// values and their successive differences are kept sorted, so that a step
// costs an insertion and a removal in each instead of three selections over
// the whole window (every signal's baseline moves every step). The result is
// baseline_of's over the same points, exactly. A cache of final values: never
// saved, rebuilt from the points whenever it cannot slide.
class SlidingBaseline {
 public:
  // The window is now `points` (in time order; NaN values are skipped).
  void reset(std::span<const Point> points);
  // The window gains `newest` (later than every point in it; NaN: nothing
  // enters) and loses its points before `from`.
  void slide(const Point& newest, TimeNs from);
  Robust baseline(DetectionSpec::Direction direction) const;
  // spacing_of the window's points.
  TimeNs spacing() const;

 private:
  void push(const Point& p);
  std::vector<Point> window_;  // present points, oldest first, from front_
  std::size_t front_ = 0;
  std::vector<double> sorted_values_;
  std::vector<double> sorted_noise_;  // |x_i - x_{i-1}| of successive present values
  std::vector<double> sorted_gaps_;   // t_i - t_{i-1} of successive present points
};

Deviation deviation_of(const DetectionSpec& spec, double value, const Robust& baseline);

// A signal whose normal is spiky (idle then bursts, cold starts, a batch
// job's periodic load) passes the thresholds now and then without a fault.
// When a deviation comes with a surge of the service's own load and its
// history already holds kSpikyExcursions or more earlier excursions (runs of successive points beyond the thresholds against the
// baseline a new deviation is judged by, before the current surge of load
// began: crossings during one surge are that surge), that deviation opens an incident
// only if its peak passes the thresholds against their typical (median)
// peak, or it lasts longer than the longest of them. Counting excursions
// rather than reading a high percentile of the window keeps one earlier
// fault whose tail is still in the window from hiding the next.
inline constexpr std::size_t kSpikyExcursions = 3;
struct Excursions {
  std::size_t count = 0;
  double typical_peak = kNaN;  // the median of their peaks
  TimeNs longest = 0;          // a point stands for `step`
};
// Returns the excursions beyond `spec`'s thresholds against `baseline` among
// `points` (in time order; NaN points neither start nor end one).
Excursions excursions_of(const DetectionSpec& spec, std::span<const Point> points, const Robust& baseline,
                         TimeNs step);

struct DetectorState {
  enum class Phase { normal, deviating, open } phase = Phase::normal;
  Robust frozen{kNaN, kNaN};   // baseline while deviating or open
  TimeNs deviation_start = 0;  // first deviating step
  TimeNs last_beyond = 0;      // last step beyond the thresholds
  double peak = kNaN;
  double peak_z = 0;
};

struct DetectorStep {
  bool opened = false;  // the incident opens now; its start is deviation_start
  bool closed = false;  // the incident closes now; its end is `end`
  // While open, the signal jumped again, well beyond its level during the
  // incident: the old incident closes (closed, end) and a new one opens
  // (opened, deviation_start = now) — a second fault on top of the first
  // gets its own causes.
  bool escalated = false;
  TimeNs end = 0;
};

// Feeds the final value of one step. `history` is the signal before `t`
// (the baseline is computed from it unless frozen; its points before the
// deviation are the earlier excursions a spiky signal's deviation must
// stand out from); `step` the time one point stands for: the step, or the
// data's spacing when that is longer (5-minute samples on 15-second steps).
DetectorStep detector_step(DetectorState& state, const DetectionSpec& spec, TimeNs t, TimeNs step,
                           double value, std::span<const Point> history);
// How a deviation's service carries its load (the correlator reads it from
// the service's other signals). A service that absorbs a surge of requests
// (a serverless function's burst, a batch job's run) serves it a little
// slower, in proportion, and no worse: its errors stay low and its latency
// falls back as the surge ends. One that does not keep pace fails requests,
// or its latency rises out of proportion to the load (requests queue), or
// stays up once the load is gone.
inline constexpr double kLoadSurge = 2;  // the load at twice its level is a surge
struct LoadContext {
  // The deviation came with a surge of its service's own load (at some
  // step since it began, kLoadSurge times its level before) and no failure
  // or change event explains it.
  bool driven = false;
  // The service's load now (its highest over the last open_after, so that
  // a signal lagging its load by a step is still judged with it) over its
  // level before the deviation; 0 when unknown.
  double ratio_now = 0;
  // How long the load has stood surged (kLoadSurge times its level or
  // more), up to now; 0 when it is not surged now.
  TimeNs surged_for = 0;
  // The service fails more of its requests too (its errors deviate).
  bool errors = false;
};
// Whether the deviation `d` is its service absorbing a surge of load: the
// load is surged now, the service's errors do not deviate, and the
// deviation's ratio to its baseline is no more than the load's.
bool absorbed(const LoadContext& load, const Deviation& d);
// How long a deviation may be taken for its service absorbing a surge
// (counted from when the load surged, or the deviation began if earlier).
// An absorbed surge shows for minutes at most: cold starts warm up in
// seconds, a scale-out lands in a minute or two, a burst of requests is
// over. A signal still up, on and off, that long into a surge is the
// service running slower for as long as its users load it: an incident,
// failed requests or not.
inline constexpr TimeNs kLongestAbsorbed = 5 * 60 * stream::kSecond;

// The same with the baseline of the normal phase given (what
// baseline_of(history, spec.direction) returns); `history` is read only
// while the signal deviates or an incident is open. `load.driven`: the
// deviation came with a surge of its service's own load and no failure or
// change event explains it; only such a deviation must stand out from the
// signal's earlier excursions (kSpikyExcursions), and must not be its
// service absorbing the surge (`absorbed`, judged at every step); and an
// open incident that is load-driven does not escalate (the surge growing
// is no second fault).
DetectorStep detector_step(DetectorState& state, const DetectionSpec& spec, TimeNs t, TimeNs step,
                           double value, const Robust& normal_baseline, std::span<const Point> history,
                           const LoadContext& load = {});

}  // namespace eventlens::correlate
