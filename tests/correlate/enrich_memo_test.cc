// The enrichment memo is a cache: every enriched record must be the same,
// byte for byte, whether the events of a step share their measurements
// through it or each computes its own. Checked on simulated clusters whose
// events come in bursts (scale-ups, OOM kills, rollouts; every event is
// doubled a second later, so that the events of one step share work),
// provisional and final records both.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "correlate/config.h"
#include "correlate/enrich.h"
#include "correlate/graph.h"
#include "correlate/results_json.h"
#include "stream/shard.h"
#include "support/simulated.h"

namespace eventlens::correlate {
namespace {

// Enriches every event twice, with the memo and without, when it arrives
// and once its after window is final, and counts the records that differ.
class TwinEnricher final : public stream::ShardObserver {
 public:
  explicit TwinEnricher(const Config& config) : config_(config) {}
  void attach(const stream::Shard& shard) { shard_ = &shard; }

  void on_event(const Event& event, bool) override {
    refresh_graph();
    compare(event, true);
    pending_.push_back(event);
  }
  void on_step(TimeNs step_start) override {
    refresh_graph();
    const TimeNs final_until = step_start + shard_->config().step;
    std::erase_if(pending_, [&](const Event& e) {
      const WindowSpec& win = config_.window_for(e.category);
      if (e.time + win.settle + win.after > final_until) return false;
      compare(e, false);
      return true;
    });
  }
  void on_dead_letter(const Record&, const Error&) override {}

  std::size_t compared = 0, finals = 0, different = 0;
  std::string first_difference;

 private:
  void refresh_graph() {
    for (const auto& [key, count] : shard_->call_edges()) {
      graph_.add_edge(shard_->strings().name(static_cast<stream::StringId>(key >> 32)),
                      shard_->strings().name(static_cast<stream::StringId>(key & 0xffffffffu)));
    }
  }
  void compare(const Event& e, bool provisional) {
    std::string with, without;
    append_enriched_json(with, enrich({*shard_, config_, graph_, &memo_}, e, provisional));
    append_enriched_json(without, enrich({*shard_, config_, graph_, nullptr}, e, provisional));
    ++compared;
    finals += provisional ? 0 : 1;
    if (with != without && different++ == 0) first_difference = "with memo:\n" + with + "\nwithout:\n" + without;
  }

  const Config& config_;
  const stream::Shard* shard_ = nullptr;
  ServiceGraph graph_;
  EnrichMemo memo_;
  std::vector<Event> pending_;
};

void expect_same_with_and_without_memo(const char* scenario, std::uint64_t seed) {
  // Every event comes twice, a second apart.
  const std::vector<Record> records =
      test::simulated_records(scenario, seed, 3 * 3600, [](const Event& e, std::vector<Record>& out) {
        Event twin = e;
        twin.id += "-twin";
        twin.time += kNanosPerSecond;
        out.emplace_back(std::move(twin));
      });

  const Config config = default_config();
  TwinEnricher twin(config);
  stream::Shard shard(config.stream, twin);
  twin.attach(shard);
  const std::size_t input = shard.add_input();
  for (const Record& r : records) shard.push(input, r);
  shard.flush();

  EXPECT_GE(twin.finals, 40u) << scenario;
  EXPECT_EQ(twin.different, 0u) << scenario << ": " << twin.compared << " compared; first difference:\n"
                                << twin.first_difference;
}

TEST(EnrichMemo, ChangesNoRecordOfAMixedCluster) { expect_same_with_and_without_memo("mixed", 41); }

TEST(EnrichMemo, ChangesNoRecordOfBurstsOfScaleUps) { expect_same_with_and_without_memo("traffic-surge", 42); }

}  // namespace
}  // namespace eventlens::correlate
