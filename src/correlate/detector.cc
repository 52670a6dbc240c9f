#include "correlate/detector.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace eventlens::correlate {

namespace {

// The baseline's values without NaN, and their noise: the spread is the
// step-to-step noise (the median absolute successive difference, / sqrt 2),
// not the spread of levels: an earlier surge in the history widens the MAD
// until a new one no longer stands out, while the noise between neighbouring
// steps stays what a shift is measured against.
// The baseline's level: the median, or for drops the 10th percentile (the
// end of a surge of traffic is not a drop).
double level_quantile(DetectionSpec::Direction direction) {
  return direction == DetectionSpec::Direction::down ? 0.10 : 0.5;
}

// The step-to-step noise from the median absolute successive difference.
double noise_of_median_difference(double median_difference) { return median_difference / std::sqrt(2.0); }

double present_values_and_noise(std::span<const Point> history, std::vector<double>& values) {
  values.clear();
  values.reserve(history.size());
  for (const Point& p : history) {
    if (!std::isnan(p.value)) values.push_back(p.value);
  }
  // (The spacing is read only when the points are few.)
  if (values.size() < kMinBaselinePoints && values.size() < min_baseline_points(spacing_of(history))) return kNaN;
  std::vector<double> diffs;
  diffs.reserve(values.size());
  for (std::size_t i = 1; i < values.size(); ++i) diffs.push_back(std::fabs(values[i] - values[i - 1]));
  return noise_of_median_difference(quantile_of(diffs, 0.5));
}

}  // namespace

std::size_t min_baseline_points(TimeNs spacing) {
  if (spacing <= 0) return kMinBaselinePoints;
  const auto covering = static_cast<std::size_t>((kMinBaselineSpan + spacing - 1) / spacing);
  return std::clamp(covering, kMinCoarseBaselinePoints, kMinBaselinePoints);
}

TimeNs spacing_of(std::span<const Point> points) {
  std::vector<double> gaps;
  const Point* last = nullptr;
  for (const Point& p : points) {
    if (std::isnan(p.value)) continue;
    if (last != nullptr) gaps.push_back(static_cast<double>(p.time - last->time));
    last = &p;
  }
  return gaps.empty() ? 0 : static_cast<TimeNs>(quantile_of(gaps, 0.5));
}

Robust baseline_of(std::span<const Point> history, DetectionSpec::Direction direction) {
  std::vector<double> values;
  const double noise = present_values_and_noise(history, values);
  if (std::isnan(noise)) return {kNaN, kNaN};
  return {quantile_of(values, level_quantile(direction)), noise};
}

Baselines baselines_of(std::span<const Point> history) {
  std::vector<double> values;
  const double noise = present_values_and_noise(history, values);
  if (std::isnan(noise)) return {{kNaN, kNaN}, {kNaN, kNaN}};
  const double up = quantile_of(values, level_quantile(DetectionSpec::Direction::up));
  return {{up, noise}, {quantile_of(values, level_quantile(DetectionSpec::Direction::down)), noise}};
}

namespace {

void insert_sorted(std::vector<double>& sorted, double v) {
  sorted.insert(std::upper_bound(sorted.begin(), sorted.end(), v), v);
}

void erase_sorted(std::vector<double>& sorted, double v) {
  const auto it = std::lower_bound(sorted.begin(), sorted.end(), v);
  if (it != sorted.end() && *it == v) sorted.erase(it);
}

}  // namespace

void SlidingBaseline::reset(std::span<const Point> points) {
  window_.clear();
  front_ = 0;
  sorted_values_.clear();
  sorted_noise_.clear();
  sorted_gaps_.clear();
  for (const Point& p : points) push(p);
}

void SlidingBaseline::push(const Point& p) {
  if (std::isnan(p.value)) return;
  if (front_ < window_.size()) {
    insert_sorted(sorted_noise_, std::fabs(p.value - window_.back().value));
    insert_sorted(sorted_gaps_, static_cast<double>(p.time - window_.back().time));
  }
  insert_sorted(sorted_values_, p.value);
  window_.push_back(p);
}

void SlidingBaseline::slide(const Point& newest, TimeNs from) {
  push(newest);
  while (front_ < window_.size() && window_[front_].time < from) {
    const double v = window_[front_].value;
    erase_sorted(sorted_values_, v);
    if (front_ + 1 < window_.size()) {
      erase_sorted(sorted_noise_, std::fabs(window_[front_ + 1].value - v));
      erase_sorted(sorted_gaps_, static_cast<double>(window_[front_ + 1].time - window_[front_].time));
    }
    ++front_;
  }
  // The points slid out are dropped once they are half the storage.
  if (front_ > 0 && 2 * front_ >= window_.size()) {
    window_.erase(window_.begin(), window_.begin() + static_cast<std::ptrdiff_t>(front_));
    front_ = 0;
  }
}

TimeNs SlidingBaseline::spacing() const {
  return sorted_gaps_.empty() ? 0 : static_cast<TimeNs>(quantile_of_sorted(sorted_gaps_, 0.5));
}

Robust SlidingBaseline::baseline(DetectionSpec::Direction direction) const {
  if (sorted_values_.size() < kMinBaselinePoints && sorted_values_.size() < min_baseline_points(spacing())) {
    return {kNaN, kNaN};
  }
  const double noise = noise_of_median_difference(quantile_of_sorted(sorted_noise_, 0.5));
  return {quantile_of_sorted(sorted_values_, level_quantile(direction)), noise};
}

Deviation deviation_of(const DetectionSpec& spec, double value, const Robust& baseline) {
  Deviation d;
  d.baseline = baseline.median;
  if (std::isnan(value) || std::isnan(baseline.median)) return d;
  // A flat history has no spread; measuring against zero would make every
  // wobble infinitely significant, so the spread is floored at 2 % of the
  // level and a quarter of the smallest change that matters.
  d.spread = std::max({kMadToSigma * baseline.mad, 0.02 * std::fabs(baseline.median), spec.min_delta / 4, 1e-12});
  const bool up = spec.direction == DetectionSpec::Direction::up;
  const double delta = up ? value - baseline.median : baseline.median - value;
  d.z = delta / d.spread;
  if (up) {
    d.ratio = baseline.median > 0 ? value / baseline.median : (value > 0 ? INFINITY : 1.0);
  } else {
    d.ratio = value > 0 ? baseline.median / value : (baseline.median > 0 ? INFINITY : 1.0);
  }
  // A clear jump (twice the baseline, twice the smallest change that
  // matters) needs less statistical margin than a subtle one: noisy signals
  // would otherwise hide even a doubling.
  const bool clear_jump = d.ratio >= 2 * spec.min_ratio && delta >= 2 * spec.min_delta;
  const double z_needed = clear_jump ? std::min(spec.min_z, 2.5) : spec.min_z;
  d.beyond = delta >= spec.min_delta && d.ratio >= spec.min_ratio && d.z >= z_needed;
  return d;
}

Excursions excursions_of(const DetectionSpec& spec, std::span<const Point> points, const Robust& baseline,
                         TimeNs step) {
  Excursions out;
  std::vector<double> peaks;
  bool in = false;
  TimeNs first = 0;
  TimeNs last = 0;
  double peak = kNaN;
  double peak_z = 0;
  const auto end_one = [&] {
    peaks.push_back(peak);
    out.longest = std::max(out.longest, last + step - first);
    in = false;
  };
  for (const Point& p : points) {
    if (std::isnan(p.value)) continue;
    const Deviation d = deviation_of(spec, p.value, baseline);
    if (!d.beyond) {
      if (in) end_one();
      continue;
    }
    if (!in) {
      in = true;
      first = p.time;
      peak_z = d.z;
      peak = p.value;
    } else if (d.z > peak_z) {
      peak_z = d.z;
      peak = p.value;
    }
    last = p.time;
  }
  if (in) end_one();
  out.count = peaks.size();
  if (!peaks.empty()) out.typical_peak = quantile_of(peaks, 0.5);
  return out;
}

bool absorbed(const LoadContext& load, const Deviation& d) {
  return load.driven && !load.errors && load.ratio_now >= kLoadSurge && d.ratio <= load.ratio_now;
}

namespace {

// Whether the deviation under way (state, up to `t`) stands out from the
// earlier excursions among `history`'s points before it (see
// kSpikyExcursions).
bool stands_out(const DetectorState& state, const DetectionSpec& spec, TimeNs t, TimeNs step,
                std::span<const Point> history, TimeNs surged_for) {
  // Earlier excursions are those before this surge of load: the signal's
  // flickers across the threshold during it are this surge, not its normal.
  const TimeNs until = std::min(state.deviation_start, t - surged_for);
  std::size_t before = 0;
  while (before < history.size() && history[before].time < until) ++before;
  const Excursions e = excursions_of(spec, history.first(before), state.frozen, step);
  if (e.count < kSpikyExcursions) return true;
  if (t + step - state.deviation_start > e.longest) return true;
  return deviation_of(spec, state.peak, Robust{e.typical_peak, 0}).beyond;
}

}  // namespace

DetectorStep detector_step(DetectorState& state, const DetectionSpec& spec, TimeNs t, TimeNs step,
                           double value, std::span<const Point> history) {
  const Robust baseline = state.phase == DetectorState::Phase::normal && !std::isnan(value)
                              ? baseline_of(history, spec.direction)
                              : Robust{kNaN, kNaN};
  return detector_step(state, spec, t, std::max(step, spacing_of(history)), value, baseline, history);
}

DetectorStep detector_step(DetectorState& state, const DetectionSpec& spec, TimeNs t, TimeNs step,
                           double value, const Robust& normal_baseline, std::span<const Point> history,
                           const LoadContext& load) {
  const bool load_driven = load.driven;
  DetectorStep out;
  if (std::isnan(value)) return out;
  using Phase = DetectorState::Phase;
  const Robust baseline = state.phase == Phase::normal ? normal_baseline : state.frozen;
  if (std::isnan(baseline.median)) return out;
  const Deviation d = deviation_of(spec, value, baseline);
  switch (state.phase) {
    case Phase::normal:
      if (!d.beyond) break;
      state.phase = Phase::deviating;
      state.frozen = baseline;
      state.deviation_start = t;
      state.last_beyond = t;
      state.peak = value;
      state.peak_z = d.z;
      [[fallthrough]];
    case Phase::deviating:
      if (d.beyond) {
        state.last_beyond = t;
        if (d.z > state.peak_z) {
          state.peak_z = d.z;
          state.peak = value;
        }
        // A step stands for its whole length: one 60 s sample beyond the
        // thresholds is 60 s of deviation.
        // A spiky signal's deviation must also stand out from its earlier
        // excursions when its load drove it; until then it stays deviating.
        // And a deviation its service absorbs (its load surged, its errors
        // low, the rise in proportion to the load) is the service at work,
        // not failing: it opens only once it is not (it fails requests,
        // outgrows its load, outlasts it, or holds for longer than an
        // absorbed surge shows).
        const TimeNs lasted = t + step - state.deviation_start;
        const bool held = absorbed(load, d) && std::max(lasted, load.surged_for) <= kLongestAbsorbed;
        if (lasted >= spec.open_after &&
            (!load_driven || (!held && stands_out(state, spec, t, step, history, load.surged_for)))) {
          state.phase = Phase::open;
          out.opened = true;
        }
      } else {
        state.phase = Phase::normal;  // a blip: not long enough
      }
      break;
    case Phase::open: {
      // Escalation: judged against the incident's own recent level, the
      // last points inside it (up to twice what a baseline needs), as soon
      // as it has as many as a baseline needs: a second fault minutes after
      // the first is a second fault too.
      const std::size_t needed = min_baseline_points(step);
      std::size_t inside = 0;
      while (inside < history.size() && inside < 2 * needed &&
             history[history.size() - 1 - inside].time >= state.deviation_start) {
        ++inside;
      }
      // While it is young (fewer points than that), a first fault may still
      // be ramping up: the jump must also pass the thresholds against the
      // incident's peak so far (a ramp creeps past its peak, a second fault
      // jumps over it).
      const bool young = inside < 2 * needed && history.size() > inside;
      const bool over_peak = !young || deviation_of(spec, value, Robust{state.peak, 0}).beyond;
      // A load-driven deviation (its service's load still surged, no failure
      // or change since) that climbs further is the same surge growing: a
      // batch job's pods starting cold, a burst's queue. No second fault.
      if (inside >= needed && over_peak && !load_driven) {
        const std::span<const Point> recent = history.subspan(history.size() - inside);
        const Robust level = baseline_of(recent, spec.direction);
        if (!std::isnan(level.median) && deviation_of(spec, value, level).beyond) {
          out.closed = true;
          out.end = t;
          out.opened = true;
          out.escalated = true;
          state.deviation_start = t;
          state.last_beyond = t;
          state.frozen = level;
          state.peak = value;
          state.peak_z = deviation_of(spec, value, level).z;
          return out;
        }
      }
      // Recovery needs the value back within half of the opening margins, so
      // that a signal hovering at the threshold does not flap.
      DetectionSpec half = spec;
      half.min_ratio = 1 + (spec.min_ratio - 1) / 2;
      half.min_delta = spec.min_delta / 2;
      half.min_z = spec.min_z / 2;
      const bool still = deviation_of(half, value, baseline).beyond;
      if (still) {
        state.last_beyond = t;
        if (d.z > state.peak_z) {
          state.peak_z = d.z;
          state.peak = value;
        }
      } else if (t - state.last_beyond >= spec.close_after) {
        state.phase = Phase::normal;
        out.closed = true;
        out.end = state.last_beyond + step;
      }
      break;
    }
  }
  return out;
}

}  // namespace eventlens::correlate
