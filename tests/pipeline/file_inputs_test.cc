// TimeMergedFiles: files merged by event time into a receiver, with the
// heartbeats and idle inputs event time needs, and a resume that reads the
// files again to exactly where a checkpoint left them.
#include "pipeline/file_inputs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "codec/native_json.h"
#include "support/records.h"

namespace eventlens::pipeline {
namespace {

namespace fs = std::filesystem;

// Every call a source makes, in order, as text.
struct RecordingReceiver final : RecordReceiver {
  std::vector<std::string> calls;
  std::size_t inputs = 0;
  std::size_t add_input() override { return inputs++; }
  void push(std::size_t input, const Record& r) override {
    calls.push_back("push " + std::to_string(input) + " @" + std::to_string(record_time(r) / kNanosPerSecond));
  }
  void heartbeat(std::size_t input, TimeNs t) override {
    calls.push_back("heartbeat " + std::to_string(input) + " @" + std::to_string(t / kNanosPerSecond));
  }
  void set_idle(std::size_t input, bool idle) override {
    calls.push_back("idle " + std::to_string(input) + (idle ? "" : " off"));
  }
  std::vector<std::string> pushes() const {
    std::vector<std::string> out;
    for (const auto& c : calls) {
      if (c.rfind("push", 0) == 0) out.push_back(c);
    }
    return out;
  }
};

class FileInputsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(EVENTLENS_TEST_TMP) / ("file_inputs_" + std::string(
        ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  // Writes metric samples at the given seconds (one native JSON line each,
  // "bad" lines where a second is negative) and returns the path.
  std::string write(const std::string& name, const std::vector<int>& seconds) {
    const std::string path = (dir_ / name).string();
    std::ofstream out(path);
    for (int s : seconds) {
      if (s < 0) {
        out << "{\"name\":\n";
        continue;
      }
      std::string line;
      codec::encode_native(Record(test::metric_sample("m", {{"service", "a"}}, s * kNanosPerSecond, 1.0)), line);
      out << line << "\n";
    }
    return path;
  }
  fs::path dir_;
};

TEST_F(FileInputsTest, MergesByEventTimeWithTiesInInputOrder) {
  const std::string a = write("a.jsonl", {0, 10, 20, 30});
  const std::string b = write("b.jsonl", {10, 15});
  RecordingReceiver receiver;
  std::vector<std::string> rejected;
  auto files = TimeMergedFiles::open({a, b}, std::nullopt, {}, receiver,
                                     [&](const std::string& f, const source::RejectedRecord&) { rejected.push_back(f); });
  ASSERT_TRUE(files.ok()) << files.error().to_string();
  files->start(false);
  while (files->push_next()) {
  }
  EXPECT_EQ(receiver.pushes(), (std::vector<std::string>{"push 0 @0", "push 0 @10", "push 1 @10", "push 1 @15",
                                                         "push 0 @20", "push 0 @30"}));
  EXPECT_TRUE(rejected.empty());
  EXPECT_FALSE(files->push_next());
}

TEST_F(FileInputsTest, ASparseInputBeatsAheadAndAnEndedOneGoesIdle) {
  const std::string dense = write("dense.jsonl", {0, 15, 30, 45});
  const std::string sparse = write("sparse.jsonl", {40});
  const std::string empty = write("empty.jsonl", {});
  RecordingReceiver receiver;
  auto files = TimeMergedFiles::open({dense, sparse, empty}, std::nullopt, {}, receiver, [](auto&, auto&) {});
  ASSERT_TRUE(files.ok()) << files.error().to_string();
  files->start(false);
  // Before any record: the empty file idle, each other file's first record
  // its heartbeat, so the sparse one does not hold time at "nothing seen".
  EXPECT_EQ(receiver.calls, (std::vector<std::string>{"idle 2", "heartbeat 0 @0", "heartbeat 1 @40"}));
  while (files->push_next()) {
  }
  const auto& calls = receiver.calls;
  const auto at = [&](const std::string& c) { return std::find(calls.begin(), calls.end(), c) - calls.begin(); };
  EXPECT_LT(at("push 1 @40"), at("idle 1"));  // idle once its last record is in
  EXPECT_LT(at("idle 1"), at("push 0 @45"));
  EXPECT_EQ(calls.back(), "idle 0");
}

TEST_F(FileInputsTest, RejectionsAreHandedOnOnceWithTheirFile) {
  const std::string a = write("a.jsonl", {0, -1, 10});
  RecordingReceiver receiver;
  std::vector<std::size_t> positions;
  auto files = TimeMergedFiles::open({a}, std::nullopt, {}, receiver, [&](const std::string& f, const source::RejectedRecord& r) {
    EXPECT_EQ(f, a);
    positions.push_back(r.position);
  });
  ASSERT_TRUE(files.ok());
  files->start(false);
  while (files->push_next()) {
  }
  EXPECT_EQ(positions, std::vector<std::size_t>{2});
  EXPECT_EQ(files->rejected(), 1u);
  EXPECT_EQ(files->progress()[0].consumed, 2u);
}

TEST_F(FileInputsTest, SkipToGoesOnExactlyWhereTheCheckpointLeftOff) {
  const std::string a = write("a.jsonl", {0, -1, 10, 20, 30});
  const std::string b = write("b.jsonl", {5, 25});
  RecordingReceiver whole;
  std::vector<TimeMergedFiles::Progress> at_third;
  std::vector<std::string> after_third;
  {
    auto files = TimeMergedFiles::open({a, b}, std::nullopt, {}, whole, [](auto&, auto&) {});
    ASSERT_TRUE(files.ok());
    files->start(false);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(files->push_next());
    at_third = files->progress();
    const std::size_t seen = whole.pushes().size();
    while (files->push_next()) {
    }
    const auto all = whole.pushes();
    after_third.assign(all.begin() + static_cast<std::ptrdiff_t>(seen), all.end());
  }
  RecordingReceiver resumed;
  std::size_t handed_on = 0;
  auto files = TimeMergedFiles::open({a, b}, std::nullopt, {}, resumed, [&](auto&, auto&) { ++handed_on; });
  ASSERT_TRUE(files.ok());
  ASSERT_TRUE(files->skip_to(at_third).ok());
  files->start(true);
  while (files->push_next()) {
  }
  EXPECT_EQ(resumed.pushes(), after_third);
  EXPECT_EQ(handed_on, 0u);  // the checkpointed run had written the rejection already
  EXPECT_EQ(files->rejected(), 1u);
}

TEST_F(FileInputsTest, SkipToRefusesAFileThatShrankSinceTheCheckpoint) {
  const std::string a = write("a.jsonl", {0, 10});
  RecordingReceiver receiver;
  auto files = TimeMergedFiles::open({a}, std::nullopt, {}, receiver, [](auto&, auto&) {});
  ASSERT_TRUE(files.ok());
  const Status s = files->skip_to({{5, 0}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().field, a);
  EXPECT_NE(s.error().reason.find("ends after 2 records, the checkpoint counts 5"), std::string::npos);
}

TEST_F(FileInputsTest, OpenNamesAMissingFile) {
  RecordingReceiver receiver;
  const std::string missing = (dir_ / "missing.jsonl").string();
  auto files = TimeMergedFiles::open({missing}, std::nullopt, {}, receiver, [](auto&, auto&) {});
  ASSERT_FALSE(files.ok());
  EXPECT_NE(files.error().to_string().find(missing), std::string::npos);
}

}  // namespace
}  // namespace eventlens::pipeline
