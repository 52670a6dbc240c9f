// Runs the real `eventlens decode` binary and checks its contract: stdout
// lines, stderr error lines, exit status.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>

#include "support/test_data.h"

namespace eventlens {
namespace {

struct CommandResult {
  int status = -1;
  std::string out;
  std::string err;
};

std::string temp_dir() {
  const std::string dir = std::string(EVENTLENS_TEST_TMP) + "/cli";
  std::filesystem::create_directories(dir);
  return dir;
}

std::string write_temp(const std::string& name, const std::string& content) {
  const std::string path =
      temp_dir() + "/" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + "-" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

CommandResult run(const std::string& args) {
  // CTest runs tests in parallel: each test gets its own stderr file.
  const std::string err_path =
      temp_dir() + "/stderr-" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".txt";
  const std::string cmd = std::string(EVENTLENS_BINARY) + " " + args + " 2>" + err_path;
  CommandResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 65536> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = testing::read_file(err_path);
  return r;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t end = s.find('\n', pos);
    if (end == std::string::npos) end = s.size();
    if (end > pos) out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

TEST(DecodeCommand, GoodInputExitsZeroWithOneLinePerRecord) {
  const std::string path = write_temp(
      "good.jsonl", R"({"time":"2026-11-02T09:00:00Z","type":"scale_up","service":"checkout"})" "\n"
                    R"({"name":"up","labels":{"job":"a"},"time":1793610000,"value":1})" "\n");
  const CommandResult r = run("decode --format native " + path);
  EXPECT_EQ(r.status, 0) << r.err;
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_NE(out[0].find("\"type\":\"scale_up\""), std::string::npos);
  EXPECT_NE(out[1].find("\"name\":\"up\""), std::string::npos);
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(DecodeCommand, RejectedRecordsGoToStderrAsJsonAndExitOne) {
  const std::string path = write_temp(
      "mixed.jsonl", R"({"time":"2026-11-02T09:00:00Z","type":"deploy"})" "\n"
                     R"({"time":"yesterday","type":"deploy"})" "\n"
                     "{\"time\":1,\"type\":\"\xff\"}\n"
                     R"({"time":"2026-11-02T09:00:01Z","type":"deploy"})" "\n");
  const CommandResult r = run("decode --format native " + path);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(lines(r.out).size(), 2u);
  const auto err = lines(r.err);
  ASSERT_EQ(err.size(), 2u) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element first = parser.parse(err[0]);
  EXPECT_EQ(std::string_view(first["file"]), path);
  EXPECT_EQ(int64_t(first["index"]), 1);
  EXPECT_EQ(int64_t(first["line"]), 2);
  EXPECT_EQ(std::string_view(first["field"]), "time");
  EXPECT_NE(std::string_view(first["reason"]).find("RFC 3339"), std::string_view::npos);
  simdjson::dom::element second = parser.parse(err[1]);
  EXPECT_EQ(int64_t(second["line"]), 3);
  EXPECT_NE(std::string_view(second["reason"]).find("UTF-8"), std::string_view::npos);
}

TEST(DecodeCommand, UsageErrorsExitTwo) {
  EXPECT_EQ(run("decode --format nonsense " + write_temp("x.jsonl", "{}\n")).status, 2);
  EXPECT_EQ(run("decode --format native /nonexistent/file.jsonl").status, 2);
  EXPECT_EQ(run("decode").status, 2);
  EXPECT_EQ(run("no-such-command").status, 2);
  EXPECT_EQ(run("decode --time tomorrow --format native " + write_temp("y.jsonl", "")).status, 2);
}

TEST(DecodeCommand, AHugeRecordIsRefusedAndTheRestDecodes) {
  std::string content = R"({"time":1,"type":"deploy","message":")" + std::string(10 << 20, 'x') + "\"}\n";
  content += R"({"time":2,"type":"deploy"})" "\n";
  const CommandResult r = run("decode --format native " + write_temp("huge.jsonl", content));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(lines(r.out).size(), 1u);
  EXPECT_NE(r.err.find("over the 1048576-byte limit"), std::string::npos) << r.err.substr(0, 300);
}

TEST(DecodeCommand, AutoDetectsEveryBundledExample) {
  const std::string examples = std::string(EVENTLENS_SOURCE_DIR) + "/examples";
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(examples)) {
    ++files;
    const CommandResult r = run("decode --format auto --stats --time 2026-11-02T12:00:00Z " + entry.path().string());
    EXPECT_EQ(r.status, 0) << entry.path() << "\n" << r.err;
    EXPECT_FALSE(lines(r.out).empty()) << entry.path();
    EXPECT_NE(r.err.find("\"rejected\":0"), std::string::npos) << r.err;
  }
  EXPECT_GE(files, 5u);
}

TEST(DecodeCommand, OutputDecodesAgainAsNative) {
  // The user's check-then-wire-in loop: what decode prints is valid native input.
  const std::string examples = std::string(EVENTLENS_SOURCE_DIR) + "/examples";
  for (const auto& entry : std::filesystem::directory_iterator(examples)) {
    const CommandResult first = run("decode --format auto --time 2026-11-02T12:00:00Z " + entry.path().string());
    ASSERT_EQ(first.status, 0) << entry.path() << first.err;
    const std::string again = write_temp("again.jsonl", first.out);
    const CommandResult second = run("decode --format native " + again);
    EXPECT_EQ(second.status, 0) << second.err;
    EXPECT_EQ(second.out, first.out) << entry.path();
  }
}

}  // namespace
}  // namespace eventlens
