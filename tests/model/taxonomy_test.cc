#include "model/taxonomy.h"

#include <gtest/gtest.h>

#include <string>

namespace eventlens {
namespace {

Event sample_event() {
  Event e;
  e.time = 1'522'949'460'000'000'000;
  e.type = "scale_up";
  e.category = Category::scaling;
  e.service = "checkout";
  e.namespace_ = "shop";
  e.severity = Severity::warning;
  e.message = "replicas 2 \xe2\x86\x92 5";
  e.attributes = {{"replicas", std::int64_t{5}},
                  {"cpu_ratio", 0.93},
                  {"reason", std::string("cpu above target")},
                  {"manual", false}};
  e.trace_id = "5b8efff798038103d269b633813fc60c";
  return e;
}

// The id is part of what eventlens stores and sends: a change to the canonical
// bytes (docs/taxonomy.md) must be deliberate, so one value is pinned here.
TEST(DerivedId, IsPinned) {
  EXPECT_EQ(derive_event_id(sample_event()), "ev-3c30ee82022782f0b49e00474ef91948");
}

TEST(DerivedId, InPlaceFormMatchesAndIgnoresWhatTheStringHeld) {
  const Event e = sample_event();
  std::string id = "ev-previous-id-of-some-other-event-and-then-some";
  derive_event_id(e, id);
  EXPECT_EQ(id, derive_event_id(e));
  std::string empty;
  derive_event_id(e, empty);
  EXPECT_EQ(empty, id);
}

TEST(DerivedId, EveryFieldButTheIdCounts) {
  const Event base = sample_event();
  const std::string id = derive_event_id(base);
  Event same = base;
  same.id = "ev-given";
  EXPECT_EQ(derive_event_id(same), id);
  auto differs = [&](auto change) {
    Event e = base;
    change(e);
    return derive_event_id(e) != id;
  };
  EXPECT_TRUE(differs([](Event& e) { e.time += 1; }));
  EXPECT_TRUE(differs([](Event& e) { e.category = Category::other; }));
  EXPECT_TRUE(differs([](Event& e) { e.severity = Severity::info; }));
  EXPECT_TRUE(differs([](Event& e) { e.pod = "p"; }));
  EXPECT_TRUE(differs([](Event& e) { e.source = "s"; }));
  // Moving a byte from one field to the next is still a different event.
  EXPECT_TRUE(differs([](Event& e) {
    e.service = "checkou";
    e.namespace_ = "tshop";
  }));
  EXPECT_TRUE(differs([](Event& e) { e.attributes[0].second = 5.0; }));  // int vs double
  EXPECT_TRUE(differs([](Event& e) { e.attributes[3].second = true; }));
  EXPECT_TRUE(differs([](Event& e) { e.attributes.pop_back(); }));
  EXPECT_TRUE(differs([](Event& e) { e.message.assign(200, 'm'); }));
}

TEST(Taxonomy, KnownTypesGiveTheirCategory) {
  EXPECT_EQ(category_of_type("scale_up"), Category::scaling);
  EXPECT_EQ(category_of_type("rescale"), Category::scaling);
  EXPECT_EQ(category_of_type("node_added"), Category::provisioning);
  EXPECT_EQ(category_of_type("container_started"), Category::provisioning);
  EXPECT_EQ(category_of_type("oom_killed"), Category::failure);
  EXPECT_EQ(category_of_type("metrics_unavailable"), Category::failure);
  EXPECT_EQ(category_of_type("image_pull_failed"), Category::failure);
  EXPECT_EQ(category_of_type("deploy"), Category::change);
  EXPECT_EQ(category_of_type("container_killed"), Category::other);
}

TEST(Taxonomy, UnknownTypesGiveNothing) {
  for (const char* t : {"", "s", "scale_upp", "Scale_up", "scale_uq", "deplo", "crash ", "node_ready_"}) {
    EXPECT_FALSE(category_of_type(t).has_value()) << t;
  }
}

}  // namespace
}  // namespace eventlens
