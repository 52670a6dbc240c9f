// `eventlens replay --state`: killed with SIGKILL mid-run (twice from the
// outside at moments the test picks from the run's progress, once from the
// inside between syncing the outputs and committing the checkpoint) and run
// again with the same arguments, it must leave exactly the files an
// uninterrupted run leaves: every output byte-identical, summary.json equal
// apart from its "run" timing.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/test_data.h"

extern char** environ;

namespace eventlens {
namespace {

namespace fs = std::filesystem;

const char* const kOutputs[] = {"enriched_events.jsonl", "incidents.jsonl", "problems.jsonl", "dead_letter.jsonl"};

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// summary.json without its "run" object (wall time), which legitimately differs.
std::string summary_without_run(const fs::path& dir) {
  const std::string s = slurp(dir / "summary.json");
  const std::size_t run = s.find(",\"run\":");
  return run == std::string::npos ? s : s.substr(0, run);
}

// A child process running the eventlens binary, stderr to a file.
struct Child {
  pid_t pid = -1;
  fs::path log;
};

Child spawn(const std::vector<std::string>& args, const fs::path& log, const std::string& fault = {}) {
  std::vector<std::string> argv_s{EVENTLENS_BINARY};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).starts_with("EVENTLENS_FAULT=")) continue;
    env_s.emplace_back(*e);
  }
  if (!fault.empty()) env_s.push_back("EVENTLENS_FAULT=" + fault);
  std::vector<char*> envp;
  for (std::string& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  Child child;
  child.log = log;
  const int rc = posix_spawn(&child.pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(rc, 0) << "cannot start " << argv[0];
  return child;
}

// The record counts of the checkpoints a run's stderr reports as committed.
std::vector<std::uint64_t> checkpoints_in(const fs::path& log) {
  static const std::regex line(R"(replay: checkpoint \d+ at record (\d+))");
  std::vector<std::uint64_t> out;
  const std::string text = slurp(log);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), line); it != std::sregex_iterator(); ++it) {
    out.push_back(std::stoull((*it)[1].str()));
  }
  return out;
}

bool finished_in(const fs::path& log) { return slurp(log).find("(finished)") != std::string::npos; }

// Waits for the child to end; returns its wait status.
int wait_for(const Child& c) {
  int status = 0;
  while (waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

class ReplayResume : public ::testing::Test {
 protected:
  // A directory per test: ctest runs the tests of this file as separate
  // processes, possibly at the same time.
  void SetUp() override {
    dir_ = fs::path(EVENTLENS_TEST_TMP) / "replay_resume" /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const std::string sim = (dir_ / "sim").string();
    const std::string command = std::string(EVENTLENS_BINARY) +
                                " simulate --scenario mixed --seed 3 --duration 2h --out " + sim + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    // Faults in the logs, so that the dead letters have lines of both kinds
    // to resume: a line the decoder refuses, and a log without a service,
    // which the engine refuses.
    std::ifstream in(dir_ / "sim" / "logs.jsonl");
    std::ofstream out(dir_ / "sim" / "logs_with_faults.jsonl");
    std::string line;
    for (std::size_t n = 1; std::getline(in, line); ++n) {
      out << line << '\n';
      if (n % 2500 == 0) out << "{\"time\": \"not a time\", this is not json\n";
      if (n % 4000 == 0) {
        const std::size_t at = line.find("\"service\":\"");
        const std::size_t end = at == std::string::npos ? at : line.find("\",", at);
        if (end != std::string::npos) out << line.substr(0, at) << line.substr(end + 2) << '\n';
      }
    }
  }

  std::vector<std::string> args(const fs::path& out) const {
    const fs::path sim = dir_ / "sim";
    return {"replay",
            "--events", (sim / "events.jsonl").string(),
            "--metrics", (sim / "metrics.jsonl").string(),
            "--logs", (sim / "logs_with_faults.jsonl").string(),
            "--traces", (sim / "traces.jsonl").string(),
            "--out", out.string()};
  }
  std::vector<std::string> resumable_args(const fs::path& out, const fs::path& state, std::uint64_t every) const {
    std::vector<std::string> a = args(out);
    a.insert(a.end(), {"--state", state.string(), "--checkpoint-every", std::to_string(every)});
    return a;
  }

  fs::path dir_;
};

// How one crash went.
struct Crash {
  bool killed = false;         // SIGKILLed while running (not finished first)
  std::uint64_t resumed_at = 0;  // where the run started (0: fresh)
  std::uint64_t last_checkpoint = 0;  // the last checkpoint it committed
};

TEST_F(ReplayResume, KilledTwiceAndInsideACommitThenResumedGivesTheSameOutput) {
  const fs::path out_a = dir_ / "out_a";
  {
    const Child c = spawn(args(out_a), dir_ / "a.log");
    const int status = wait_for(c);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(c.log);
  }
  std::uint64_t total_records = 0;
  {
    const std::string summary = slurp(out_a / "summary.json");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(summary, m, std::regex(R"("records":\{"in":(\d+))")));
    total_records = std::stoull(m[1].str());
  }
  ASSERT_GT(total_records, 100000u);
  ASSERT_NE(slurp(out_a / "dead_letter.jsonl").find("\"kind\":\"input\""), std::string::npos)
      << "the decoder's rejections are part of what is resumed";
  ASSERT_NE(slurp(out_a / "dead_letter.jsonl").find("must name its service"), std::string::npos)
      << "and the engine's";

  // Starts a run, kills it once it has committed `checkpoints` more
  // checkpoints than it started from and its outputs hold something: at
  // once, or `mid_interval`, half the time the last interval took later.
  using Clock = std::chrono::steady_clock;
  const auto run_and_kill = [&](const std::vector<std::string>& a, const fs::path& out, const fs::path& log,
                                std::size_t checkpoints, bool mid_interval) {
    Crash crash;
    const auto started = Clock::now();
    const Child c = spawn(a, log);
    const auto deadline = started + std::chrono::minutes(5);
    std::vector<Clock::time_point> committed;  // when each checkpoint line was first seen
    std::optional<Clock::time_point> kill_at;
    int status = 0;
    bool exited = false;
    while (Clock::now() < deadline) {
      if (waitpid(c.pid, &status, WNOHANG) == c.pid) {
        exited = true;
        break;
      }
      const auto seen = checkpoints_in(log);
      while (committed.size() < seen.size()) committed.push_back(Clock::now());
      std::error_code ec;
      const bool outputs = fs::file_size(out / "enriched_events.jsonl", ec) > 0 && !ec;
      if (!kill_at && seen.size() >= checkpoints && outputs) {
        const auto last = committed[checkpoints - 1];
        const auto before = checkpoints >= 2 ? committed[checkpoints - 2] : started;
        kill_at = mid_interval ? last + (last - before) / 2 : Clock::now();
      }
      if (kill_at && Clock::now() >= *kill_at && !finished_in(log)) {
        kill(c.pid, SIGKILL);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (!exited) {
      if (Clock::now() >= deadline) ADD_FAILURE() << "the run neither finished nor reached a kill point in 5 min";
      kill(c.pid, SIGKILL);  // no-op when already killed; ends a run past the deadline
      status = wait_for(c);
    }
    crash.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && !finished_in(log);
    const auto seen = checkpoints_in(log);
    crash.last_checkpoint = seen.empty() ? 0 : seen.back();
    std::smatch m;
    const std::string text = slurp(log);
    if (std::regex_search(text, m, std::regex(R"(resuming from the checkpoint in .* at record (\d+))"))) {
      crash.resumed_at = std::stoull(m[1].str());
    }
    return crash;
  };

  // On a slow machine a run may outpace the polling: then start over with
  // checkpoints twice as frequent, and fail rather than pass without kills.
  bool done = false;
  for (std::uint64_t every = 20000; every >= 1250 && !done; every /= 2) {
    SCOPED_TRACE("checkpoint every " + std::to_string(every));
    const fs::path out_b = dir_ / "out_b", state = dir_ / "state";
    fs::remove_all(out_b);
    fs::remove_all(state);
    const auto a = resumable_args(out_b, state, every);

    const Crash first = run_and_kill(a, out_b, dir_ / "b1.log", 1, false);
    if (!first.killed) continue;
    const Crash second = run_and_kill(a, out_b, dir_ / "b2.log", 2, true);
    if (!second.killed) continue;
    EXPECT_EQ(second.resumed_at, first.last_checkpoint) << "resumed from the last checkpoint committed";
    EXPECT_GT(second.last_checkpoint, second.resumed_at) << "killed at a later point than the first time";

    // Inside the commit window of the next checkpoint: the outputs are
    // synced past the last committed checkpoint, the new one is not
    // committed.
    const std::uintmax_t committed_size = fs::file_size(out_b / "enriched_events.jsonl");
    const Child inside = spawn(a, dir_ / "b3.log", "replay.checkpoint.before_commit:1");
    const int inside_status = wait_for(inside);
    ASSERT_TRUE(WIFSIGNALED(inside_status) && WTERMSIG(inside_status) == SIGKILL) << slurp(inside.log);
    ASSERT_TRUE(checkpoints_in(inside.log).empty()) << "killed before committing a checkpoint";
    // Output past the last checkpoint is on disk again, and the resume below
    // must cut it off. Not strictly more than before: on a loaded machine
    // the second run may have flushed up to the same point before its kill
    // landed. The byte-identical outputs below are what proves the cut.
    EXPECT_GE(fs::file_size(out_b / "enriched_events.jsonl"), committed_size)
        << "output past the last checkpoint is on disk: the resume must cut it off";

    const Child last = spawn(a, dir_ / "b4.log");
    const int last_status = wait_for(last);
    ASSERT_TRUE(WIFEXITED(last_status) && WEXITSTATUS(last_status) == 0) << slurp(last.log);
    EXPECT_NE(slurp(last.log).find("at record " + std::to_string(second.last_checkpoint) + "\n"), std::string::npos)
        << "resumed from the checkpoint before the one the kill interrupted\n" << slurp(last.log);
    ASSERT_TRUE(finished_in(last.log));

    std::printf("[ kills    ] checkpoint every %llu records of %llu: killed right after the checkpoint at record "
                "%llu; resumed there, killed half an interval after the one at %llu; resumed, killed inside the "
                "commit of the one after %llu; resumed and finished\n",
                static_cast<unsigned long long>(every), static_cast<unsigned long long>(total_records),
                static_cast<unsigned long long>(first.last_checkpoint),
                static_cast<unsigned long long>(second.last_checkpoint),
                static_cast<unsigned long long>(second.last_checkpoint));
    for (const char* f : kOutputs) {
      const std::string expected = slurp(out_a / f), got = slurp(out_b / f);
      EXPECT_EQ(got.size(), expected.size()) << f;
      EXPECT_TRUE(got == expected) << f << " differs from the uninterrupted run's";
    }
    EXPECT_EQ(summary_without_run(out_b), summary_without_run(out_a));

    // Once more on the finished state: nothing is read again, the summary
    // is written again, the outputs stay as they are.
    fs::remove(out_b / "summary.json");
    const Child again = spawn(a, dir_ / "b5.log");
    const int again_status = wait_for(again);
    ASSERT_TRUE(WIFEXITED(again_status) && WEXITSTATUS(again_status) == 0) << slurp(again.log);
    EXPECT_NE(slurp(again.log).find("finished run"), std::string::npos) << slurp(again.log);
    EXPECT_EQ(summary_without_run(out_b), summary_without_run(out_a));
    for (const char* f : kOutputs) EXPECT_TRUE(slurp(out_b / f) == slurp(out_a / f)) << f;
    done = true;
  }
  ASSERT_TRUE(done) << "no run could be killed mid-way, even with frequent checkpoints";
}

TEST_F(ReplayResume, RefusesToResumeWithOtherArguments) {
  const fs::path out = dir_ / "out_c", state = dir_ / "state_c";
  fs::remove_all(out);
  fs::remove_all(state);
  auto a = resumable_args(out, state, 50000);
  const Child inside = spawn(a, dir_ / "c1.log", "replay.checkpoint.before_commit:2");
  wait_for(inside);
  ASSERT_EQ(checkpoints_in(inside.log).size(), 1u) << slurp(inside.log);

  a.push_back("--provisional");
  const Child other = spawn(a, dir_ / "c2.log");
  const int status = wait_for(other);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2);
  EXPECT_NE(slurp(other.log).find("other arguments (--provisional was not given)"), std::string::npos)
      << slurp(other.log);
}

}  // namespace
}  // namespace eventlens
