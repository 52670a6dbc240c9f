// Detection slides each signal's baseline window a step at a time instead of
// recomputing it (SlidingBaseline, correlate/detector.h). Over a simulated
// cluster, after every final step, the baseline the correlator holds for
// every watched signal must equal baseline_of over the points of its window
// read afresh from the shard: with the default hour of baseline, and with a
// baseline longer than the signal history keeps (the window then starts at
// the oldest step still held).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "correlate/config.h"
#include "correlate/correlator.h"
#include "correlate/detector.h"
#include "correlate/problems.h"
#include "stream/shard.h"
#include "support/simulated.h"

namespace eventlens::correlate {
namespace {

struct DroppingSink final : ResultSink {
  void on_enriched(const EnrichedEvent&) override {}
  void on_incident(const Incident&, bool) override {}
  void on_problem(const Problem&) override {}
  void on_explanation(const Explanation&) override {}
  void on_dead_letter(const Record&, const Error&) override {}
};

// Passes everything to the correlator, then checks its baselines.
class CheckingObserver final : public stream::ShardObserver {
 public:
  CheckingObserver(Correlator& correlator, const Config& config) : correlator_(correlator), config_(config) {}
  void attach(const stream::Shard& shard) { shard_ = &shard; }
  void on_event(const Event& e, bool late) override { correlator_.on_event(e, late); }
  void on_dead_letter(const Record& r, const Error& e) override { correlator_.on_dead_letter(r, e); }
  void on_step(TimeNs step_start) override {
    correlator_.on_step(step_start);
    const TimeNs from = std::max(step_start - config_.baseline_window, shard_->history_from());
    for (stream::SignalId sig = 0; sig < shard_->signal_count(); ++sig) {
      const DetectionSpec* d = nullptr;
      for (const DetectionSpec& spec : config_.detection) {
        if (spec.role == shard_->spec(sig).role) d = &spec;
      }
      if (d == nullptr) continue;
      std::vector<Point> window;
      shard_->signal_points(sig, from, step_start, window);
      const Robust want = baseline_of(window, d->direction);
      const Robust got = correlator_.detection_baseline(sig, d->direction);
      ++checked;
      const bool same = std::isnan(want.median) ? std::isnan(got.median) : got.median == want.median && got.mad == want.mad;
      if (!same && differ++ == 0) {
        first = "signal " + std::to_string(sig) + " at step " + std::to_string(step_start) + ": median " +
                std::to_string(got.median) + " vs " + std::to_string(want.median);
      }
      finite += std::isnan(want.median) ? 0 : 1;
    }
  }

  std::size_t checked = 0, finite = 0, differ = 0;
  std::string first;

 private:
  Correlator& correlator_;
  const Config& config_;
  const stream::Shard* shard_ = nullptr;
};

void expect_sliding_equals_recomputed(Config config, std::uint64_t seed) {
  const std::vector<Record> records = test::simulated_records("mixed", seed, 3 * 3600);

  DroppingSink results;
  Correlator correlator(config, results, false);
  CheckingObserver observer(correlator, config);
  stream::Shard shard(config.stream, observer);
  correlator.attach(shard);
  observer.attach(shard);
  const std::size_t input = shard.add_input();
  for (const Record& r : records) shard.push(input, r);
  shard.flush();

  EXPECT_GT(observer.finite, 10000u);
  EXPECT_EQ(observer.differ, 0u) << observer.checked << " checked; first: " << observer.first;
}

TEST(SlidingBaseline, DetectionsBaselinesEqualRecomputedOnesThroughoutAMixedCluster) {
  expect_sliding_equals_recomputed(default_config(), 11);
}

TEST(SlidingBaseline, ABaselineLongerThanTheHistoryStartsAtTheOldestStepHeld) {
  Config config = default_config();
  config.baseline_window = 3 * 3600 * stream::kSecond;  // the signal history keeps 2 h
  expect_sliding_equals_recomputed(config, 12);
}

}  // namespace
}  // namespace eventlens::correlate
