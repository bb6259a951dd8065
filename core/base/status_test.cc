#include "tandem/base/status.h"

#include <gtest/gtest.h>

#include <memory>

#include "tandem/base/result.h"

namespace tandem {
namespace {

Result<int> Half(int v) {
  if (v % 2 != 0) return InvalidArgument("odd");
  return v / 2;
}

Result<int> Quarter(int v) {
  TANDEM_TRY_ASSIGN(int h, Half(v));
  TANDEM_TRY_ASSIGN(int q, Half(h));
  return q;
}

Status CheckEven(int v) {
  TANDEM_TRY(Half(v));
  return OkStatus();
}

TEST(Status, DefaultIsOkAndCarriesCodeAndMessage) {
  EXPECT_TRUE(Status().ok());
  Status s = DataLoss("ring index jumped");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_STREQ(s.message(), "ring index jumped");
  EXPECT_STREQ(StatusCodeName(s.code()), "DATA_LOSS");
}

inline constexpr char kIndexJumped[] = "ring index jumped";
inline constexpr char kOtherReason[] = "ring index jumped";  // same words, other reason

TEST(Status, MatchesTheReasonItWasMadeFrom) {
  const Status s = DataLoss(kIndexJumped);
  EXPECT_TRUE(s.Is(kIndexJumped));
  EXPECT_FALSE(s.Is(kOtherReason));
  EXPECT_STREQ(s.message(), "ring index jumped");
  // (A literal with a reason's very words may or may not match it: its
  // address is not significant, and clang folds it into the reason's array.
  // Distinct reasons never match each other, whatever their words.)
  EXPECT_FALSE(OkStatus().Is(kIndexJumped));
  static_assert(sizeof(Status) <= 2 * sizeof(void*), "a Status stays two words");
}

TEST(Result, HoldsValueOrStatus) {
  EXPECT_EQ(Half(8).value(), 4);
  EXPECT_EQ(Half(7).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Half(7).value_or(-1), -1);
}

TEST(Result, TryPropagatesFirstError) {
  EXPECT_EQ(Quarter(8).value(), 2);
  EXPECT_EQ(Quarter(6).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckEven(2).ok());
  EXPECT_FALSE(CheckEven(3).ok());
}

TEST(Result, WorksWithMoveOnlyTypes) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(5));
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 5);
  Result<std::unique_ptr<int>> moved = Result<std::unique_ptr<int>>(std::make_unique<int>(6));
  Result<std::unique_ptr<int>> other = std::move(moved);
  EXPECT_EQ(*other.value(), 6);
}

TEST(ResultDeathTest, ValueOfErrorTraps) {
  EXPECT_DEATH({ (void)Half(3).value(); }, "");
}

}  // namespace
}  // namespace tandem
