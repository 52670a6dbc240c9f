#include "model/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

namespace eventlens {
namespace {

TEST(Result, HoldsAValueOrAnError) {
  Result<int> ok = 7;
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(static_cast<bool>(ok));
  EXPECT_EQ(*ok, 7);
  Result<int> bad = make_error("a.b", "missing");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), make_error("a.b", "missing"));
  EXPECT_EQ(bad.error().to_string(), "a.b: missing");
}

TEST(Result, CopiesAndMovesKeepTheirState) {
  Result<std::string> bad = make_error("f", "r");
  Result<std::string> copy = bad;
  EXPECT_EQ(copy.error().reason, "r");
  Result<std::string> moved = std::move(bad);
  EXPECT_EQ(moved.error().reason, "r");
  EXPECT_FALSE(bad.ok());  // NOLINT(bugprone-use-after-move): still an error, never "neither"

  Result<std::string> good = std::string(40, 'x');
  copy = good;
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(*copy, std::string(40, 'x'));
  copy = std::move(moved);
  ASSERT_FALSE(copy.ok());
  EXPECT_EQ(copy.error().field, "f");
  copy = std::move(good);
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->size(), 40u);
}

TEST(Result, HoldsMoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(3);
  Result<std::unique_ptr<int>> s = std::move(r);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(**s, 3);
  std::unique_ptr<int> taken = std::move(s).value();
  EXPECT_EQ(*taken, 3);
}

TEST(Status, OkOrError) {
  Status st = ok_status();
  EXPECT_TRUE(st.ok());
  st = make_error("", "malformed JSON");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().to_string(), "malformed JSON");
  st = ok_status();
  EXPECT_TRUE(st.ok());
}

}  // namespace
}  // namespace eventlens
