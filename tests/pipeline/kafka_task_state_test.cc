// A task's state records (pipeline/kafka_task_state.h) written and read back
// as a compacted topic would hand them over: the latest of each key, in the
// order written.
#include "pipeline/kafka_task_state.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace eventlens::pipeline {
namespace {

TaskSnapshot snapshot_of(std::uint64_t generation, std::size_t bytes) {
  TaskSnapshot s;
  s.generation = generation;
  s.configuration = 42;
  s.positions = {{"metrics", 3, 1234}, {"scaling_events", 3, 17}};
  std::string big(bytes, 'x');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  s.engine["shard"] = big;
  s.engine["correlator"] = "c";
  return s;
}

void replay_into(StateAssembler& a, const std::vector<StateRecord>& records) {
  for (const StateRecord& r : records) {
    a.add(r.key, r.value ? std::optional<std::string_view>(*r.value) : std::nullopt);
  }
}

TEST(KafkaTaskState, ASnapshotInSmallChunksComesBackWhole) {
  const TaskSnapshot s = snapshot_of(1, 10'000);
  const auto records = snapshot_records(TaskSnapshot(s), 0, 0, /*chunk_bytes=*/1'000);
  EXPECT_GT(records.size(), 10u) << "cut into chunks";
  StateAssembler a;
  replay_into(a, records);
  auto task = a.finish();
  ASSERT_TRUE(task) << task.error().to_string();
  ASSERT_TRUE(task->snapshot);
  EXPECT_EQ(task->generation, 1u);
  EXPECT_EQ(task->snapshot->configuration, 42u);
  EXPECT_EQ(task->snapshot->positions, s.positions);
  EXPECT_EQ(task->snapshot->engine, s.engine);
  EXPECT_EQ(task->chunks, records.size() - 1);
  EXPECT_TRUE(task->emitted.empty());
}

TEST(KafkaTaskState, ResultsSinceTheLatestSnapshotAreKeptAndOlderOnesForgotten) {
  StateAssembler a;
  std::uint64_t n = 0;
  replay_into(a, snapshot_records(snapshot_of(1, 100), 0, 0));
  replay_into(a, emitted_records(1, n, {"e:a:p", "e:a:f"}));
  replay_into(a, emitted_records(1, n, {"i:x:o"}));
  ASSERT_EQ(n, 2u);
  // The next snapshot deletes the two records of the first one's results.
  const std::size_t chunks = 1;
  replay_into(a, snapshot_records(snapshot_of(2, 100), chunks, n));
  n = 0;
  replay_into(a, emitted_records(2, n, {"e:b:p"}));
  auto task = a.finish();
  ASSERT_TRUE(task) << task.error().to_string();
  EXPECT_EQ(task->generation, 2u);
  EXPECT_EQ(task->emitted, std::vector<std::string>{"e:b:p"});
  EXPECT_EQ(task->emitted_next, 1u);
}

TEST(KafkaTaskState, ALeftoverOfAnotherSnapshotDoesNotCount) {
  // Tombstones not written (a snapshot with fewer chunks than the last one
  // wrote them, but compaction may not have run): a record of another
  // generation is ignored, a chunk of another generation is an error.
  StateAssembler a;
  std::uint64_t n = 5;
  replay_into(a, emitted_records(1, n, {"e:old:f"}));
  replay_into(a, snapshot_records(snapshot_of(2, 100), 0, 0));
  auto task = a.finish();
  ASSERT_TRUE(task) << task.error().to_string();
  EXPECT_TRUE(task->emitted.empty());

  StateAssembler broken;
  auto first = snapshot_records(snapshot_of(3, 3'000), 0, 0, 1'000);
  auto second = snapshot_records(snapshot_of(4, 3'000), 0, 0, 1'000);
  replay_into(broken, first);
  broken.add(second.back().key, *second.back().value);  // the manifest alone
  auto refused = broken.finish();
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().to_string().find("belongs to snapshot 3"), std::string::npos)
      << refused.error().to_string();
}

TEST(KafkaTaskState, ManyResultsInOneTransactionSpreadOverRecordsABrokerAccepts) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5'000; ++i) ids.push_back("e:ev-" + std::to_string(i) + ":f");
  std::uint64_t n = 0;
  const auto records = emitted_records(1, n, ids, /*max_bytes=*/10'000);
  EXPECT_GT(records.size(), 5u);
  EXPECT_EQ(n, records.size());
  for (const StateRecord& r : records) EXPECT_LE(r.value->size(), 10'000u + 64) << r.key;
  StateAssembler a;
  replay_into(a, snapshot_records(snapshot_of(1, 10), 0, 0));
  replay_into(a, records);
  auto task = a.finish();
  ASSERT_TRUE(task);
  EXPECT_EQ(task->emitted.size(), ids.size());
}

TEST(KafkaTaskState, NoStateAtAllIsGenerationZero) {
  StateAssembler a;
  auto task = a.finish();
  ASSERT_TRUE(task);
  EXPECT_EQ(task->generation, 0u);
  EXPECT_FALSE(task->snapshot);
}

}  // namespace
}  // namespace eventlens::pipeline
