// The Cortex-M7 data-cache hooks (tandem/cortex_m/data_cache.h), on the
// host with a recording Hardware: which SCB register gets which addresses,
// and the barrier after each range.

#include "tandem/cortex_m/data_cache.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace tandem::cortex_m {
namespace {

struct Op {
  std::uintptr_t reg;
  std::uint32_t value;  // 0xFFFFFFFF with reg 0: a barrier
  bool operator==(const Op&) const = default;
};

struct Recorder {
  std::vector<Op>* ops;
  void Write(std::uintptr_t reg, std::uint32_t value) { ops->push_back({reg, value}); }
  void Barrier() { ops->push_back({0, 0xFFFFFFFFu}); }
};
constexpr Op kBarrier{0, 0xFFFFFFFFu};

const void* At(std::uintptr_t a) { return reinterpret_cast<const void*>(a); }

TEST(DataCache, CleanWritesEveryLineOfTheRangeToDccmvacThenABarrier) {
  std::vector<Op> ops;
  DataCache<Recorder> cache(Recorder{&ops});
  cache.Clean(At(0x20001005), 40);  // bytes 0x..05..0x..2C: two lines
  EXPECT_EQ(ops, (std::vector<Op>{{kDccmvac, 0x20001000}, {kDccmvac, 0x20001020}, kBarrier}));
}

TEST(DataCache, InvalidateUsesDcimvacAndCoversPartialLinesAtBothEnds) {
  std::vector<Op> ops;
  DataCache<Recorder> cache(Recorder{&ops});
  cache.Invalidate(At(0x2000101F), 2);  // straddles a line boundary
  EXPECT_EQ(ops, (std::vector<Op>{{kDcimvac, 0x20001000}, {kDcimvac, 0x20001020}, kBarrier}));
}

TEST(DataCache, ALineAlignedRangeTouchesExactlyItsLines) {
  std::vector<Op> ops;
  DataCache<Recorder> cache(Recorder{&ops});
  cache.Clean(At(0x20002000), 64);
  EXPECT_EQ(ops, (std::vector<Op>{{kDccmvac, 0x20002000}, {kDccmvac, 0x20002020}, kBarrier}));
  ops.clear();
  cache.Clean(At(0x20002000), 1);
  EXPECT_EQ(ops, (std::vector<Op>{{kDccmvac, 0x20002000}, kBarrier}));
}

TEST(DataCache, AnEmptyRangeDoesNothing) {
  std::vector<Op> ops;
  DataCache<Recorder> cache(Recorder{&ops});
  cache.Clean(At(0x20002000), 0);
  cache.Invalidate(At(0x20002000), 0);
  EXPECT_TRUE(ops.empty());
}

TEST(DataCache, ARangeReachingTheTopOfTheAddressSpaceEnds) {
  std::vector<Op> ops;
  DataCache<Recorder> cache(Recorder{&ops});
  cache.Invalidate(At(UINTPTR_MAX - 40), 1000);  // clamped, no wrap-around loop
  ASSERT_GE(ops.size(), 2u);
  EXPECT_LE(ops.size(), 4u);
  EXPECT_EQ(ops.back(), kBarrier);
}

}  // namespace
}  // namespace tandem::cortex_m
