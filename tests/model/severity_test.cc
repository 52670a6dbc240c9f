#include <gtest/gtest.h>

#include "model/records.h"

namespace eventlens {
namespace {

TEST(Severity, ParsesLevelsInAnyCaseAndCommonSpellings) {
  const std::pair<const char*, Severity> cases[] = {
      {"info", Severity::info},      {"INFO", Severity::info},         {"Error", Severity::error},
      {"WARN", Severity::warning},   {"warning", Severity::warning},   {"FATAL", Severity::critical},
      {"crit", Severity::critical},  {"err", Severity::error},         {"TRACE", Severity::debug},
      {"critical", Severity::critical},
  };
  for (const auto& [text, want] : cases) {
    Severity got = Severity::info;
    EXPECT_TRUE(parse_severity(text, got)) << text;
    EXPECT_EQ(got, want) << text;
  }
  Severity s = Severity::info;
  EXPECT_FALSE(parse_severity("loud", s));
  EXPECT_FALSE(parse_severity("informational-x", s));
  EXPECT_FALSE(parse_severity("", s));
}

}  // namespace
}  // namespace eventlens
