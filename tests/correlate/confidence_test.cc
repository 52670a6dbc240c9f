// An incident names its first cause with confidence only when that cause
// leads the best one naming another root by kConfidentLead; a deploy of a
// service and the service itself are one root.
#include "correlate/confidence.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace eventlens::correlate {
namespace {

Cause service_cause(const std::string& service, double score) {
  Cause c;
  c.kind = "service";
  c.service = service;
  c.score = score;
  return c;
}

Cause event_cause(const std::string& service, const std::string& id, const std::string& type, double score) {
  Cause c;
  c.kind = "event";
  c.service = service;
  c.event_id = id;
  c.type = type;
  c.score = score;
  return c;
}

std::vector<Cause> ranked(std::vector<Cause> causes) {
  for (std::size_t i = 0; i < causes.size(); ++i) causes[i].rank = static_cast<int>(i + 1);
  return causes;
}

TEST(Confidence, AClearLeadOverAnotherRootIsConfident) {
  const auto causes = ranked({event_cause("pay", "ev-1", "deploy", 0.91), service_cause("pay", 0.86),
                              service_cause("web", 0.74)});
  const Confidence c = confidence_of(causes);
  EXPECT_TRUE(c.confident);
  ASSERT_NE(c.runner_up, nullptr);
  EXPECT_EQ(c.runner_up->service, "web") << "pay's own deviation is the same root as its deploy";
  EXPECT_NEAR(c.lead, 0.17, 1e-9);
  EXPECT_NE(causes_sentence(causes).find("most likely cause: deploy of pay"), std::string::npos);
}

TEST(Confidence, TwoRootsExplainingItAlmostEquallyAreNoConfidentCause) {
  const auto causes = ranked({service_cause("db", 0.82), event_cause("db", "ev-2", "config_changed", 0.815),
                              event_cause("web", "ev-3", "scale_down", 0.80)});
  const Confidence c = confidence_of(causes);
  EXPECT_FALSE(c.confident);
  ASSERT_NE(c.runner_up, nullptr);
  EXPECT_EQ(c.runner_up->rank, 3);
  const std::string s = causes_sentence(causes);
  EXPECT_NE(s.find("no confident cause: db (its own telemetry went wrong first) (score 0.82) and scale_down of web"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("(0.80) explain it almost equally"), std::string::npos) << s;
}

TEST(Confidence, ServiceLessEventsAreRootsOfTheirOwn) {
  // Two node losses: no service, each its own root.
  const auto causes = ranked({event_cause("", "ev-n1", "node_not_ready", 0.9), event_cause("", "ev-n2", "node_not_ready", 0.88)});
  EXPECT_FALSE(confidence_of(causes).confident);
}

TEST(Confidence, OneRootAloneIsConfidentAndNoCauseIsNot) {
  EXPECT_TRUE(confidence_of(ranked({service_cause("db", 0.7), event_cause("db", "ev-4", "deploy", 0.65)})).confident);
  EXPECT_FALSE(confidence_of({}).confident);
  EXPECT_EQ(causes_sentence({}), "; no candidate cause found");
}

}  // namespace
}  // namespace eventlens::correlate
