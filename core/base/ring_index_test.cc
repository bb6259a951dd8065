#include "tandem/base/ring_index.h"

#include <gtest/gtest.h>

#include "tandem/base/checked_math.h"

namespace tandem {
namespace {

static_assert(RingIndex(0xffff) + 1 == RingIndex(0));
static_assert(RingIndex(3).DistanceFrom(RingIndex(0xfffe)) == 5);
static_assert(RingIndex(0x1234).Slot(256) == 0x34);

// VirtIO 1.x 2.7.10: notify iff event_idx in [old, new) modulo 2^16.
TEST(NeedEvent, NotifiesExactlyWhenEventIndexWasCrossed) {
  EXPECT_TRUE(NeedEvent(RingIndex(5), RingIndex(6), RingIndex(5)));
  EXPECT_FALSE(NeedEvent(RingIndex(6), RingIndex(6), RingIndex(5)));
  EXPECT_FALSE(NeedEvent(RingIndex(4), RingIndex(6), RingIndex(5)));
  EXPECT_TRUE(NeedEvent(RingIndex(0xffff), RingIndex(2), RingIndex(0xfffe)));
  EXPECT_FALSE(NeedEvent(RingIndex(2), RingIndex(2), RingIndex(0xfffe)));
}

TEST(CheckedMath, DetectsOverflowAndRanges) {
  std::uint32_t out;
  EXPECT_FALSE(CheckedAdd<std::uint32_t>(0xffffffffu, 1, &out));
  EXPECT_TRUE(CheckedAdd<std::uint32_t>(1, 2, &out));
  EXPECT_EQ(out, 3u);
  EXPECT_TRUE(RangeInside<std::uint32_t>(0, 10, 10));
  EXPECT_FALSE(RangeInside<std::uint32_t>(1, 10, 10));
  EXPECT_FALSE(RangeInside<std::uint32_t>(5, 0xffffffffu, 10));
  EXPECT_FALSE(RangeInside<std::uint32_t>(11, 0, 10));
  EXPECT_TRUE(IsPowerOfTwo(4096));
  EXPECT_FALSE(IsPowerOfTwo(0));
  EXPECT_FALSE(IsPowerOfTwo(12));
}

}  // namespace
}  // namespace tandem
