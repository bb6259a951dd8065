#include "blocking_wait.h"

#include <gtest/gtest.h>

#include <vector>

namespace tandem::rpmsg {
namespace {

// A clock the test moves, and a record of every Wait().
class FakeWaiter final : public Waiter {
 public:
  struct Call {
    std::uint32_t epoch;
    std::uint64_t deadline;
  };
  std::uint64_t Now() override {
    ++now_reads;
    return now;
  }
  std::uint32_t PrepareWait() override { return epoch; }
  void Wait(std::uint32_t e, std::uint64_t deadline_ns) override {
    calls.push_back({e, deadline_ns});
    now += step;  // time passes while blocked
  }
  void Wake() override { ++epoch; }

  std::uint64_t now = 1000;
  std::uint64_t step = 0;
  std::uint32_t epoch = 0;
  int now_reads = 0;
  std::vector<Call> calls;
};

TEST(BlockingWait, NoneNeverBlocks) {
  FakeWaiter w;
  BlockingWait wait(w, Timeout::None());
  EXPECT_FALSE(wait.can_block());
  EXPECT_EQ(w.now_reads, 0);  // a Try* call never reads the clock
}

TEST(BlockingWait, RegistersOnceAndUnregistersOnce) {
  FakeWaiter w;
  BlockingWait wait(w, Timeout::Forever());
  EXPECT_FALSE(wait.waiting());
  EXPECT_FALSE(wait.StopWaiting());
  EXPECT_TRUE(wait.StartWaiting());
  EXPECT_FALSE(wait.StartWaiting());  // a retry does not count twice
  EXPECT_TRUE(wait.waiting());
  EXPECT_TRUE(wait.StopWaiting());
  EXPECT_FALSE(wait.StopWaiting());
}

TEST(BlockingWait, DeadlineIsTakenOnceAtTheFirstSleep) {
  FakeWaiter w;
  w.step = 40;
  BlockingWait wait(w, Timeout::Nanoseconds(100));
  w.now = 5000;  // construction did not read the clock; the first Sleep does
  wait.PrepareLocked();
  EXPECT_TRUE(wait.Sleep());   // 5000 -> 5040
  EXPECT_TRUE(wait.Sleep());   // 5040 -> 5080
  EXPECT_TRUE(wait.Sleep());   // 5080 -> 5120
  EXPECT_FALSE(wait.Sleep());  // 5120 >= 5100: timed out, no Wait()
  ASSERT_EQ(w.calls.size(), 3u);
  for (const auto& c : w.calls) EXPECT_EQ(c.deadline, 5100u);  // never recomputed
}

TEST(BlockingWait, ExpiredDeadlineDoesNotBlock) {
  FakeWaiter w;
  BlockingWait wait(w, Timeout::Nanoseconds(1));
  wait.PrepareLocked();
  EXPECT_TRUE(wait.Sleep());  // deadline 1001, now 1000
  w.now = 1001;
  EXPECT_FALSE(wait.Sleep());
  EXPECT_EQ(w.calls.size(), 1u);
}

TEST(BlockingWait, ForeverNeverTimesOutEvenAtTheEndOfTime) {
  FakeWaiter w;
  w.now = Timeout::kForeverNs - 10;
  w.step = 3;
  BlockingWait wait(w, Timeout::Forever());
  wait.PrepareLocked();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(wait.Sleep());
  for (const auto& c : w.calls) EXPECT_EQ(c.deadline, Timeout::kForeverNs);
}

TEST(BlockingWait, HugeTimeoutSaturatesInsteadOfWrapping) {
  FakeWaiter w;
  w.now = Timeout::kForeverNs - 5;
  BlockingWait wait(w, Timeout::Seconds(10));
  wait.PrepareLocked();
  EXPECT_TRUE(wait.Sleep());
  EXPECT_EQ(w.calls.back().deadline, Timeout::kForeverNs);
}

TEST(BlockingWait, SleepsOnTheEpochTakenUnderTheLock) {
  FakeWaiter w;
  BlockingWait wait(w, Timeout::Forever());
  w.epoch = 7;
  wait.PrepareLocked();
  // A Wake() between the check and the Sleep moves the epoch: the Waiter
  // sees 7 != 8 and returns at once, so the wake-up is not lost.
  w.Wake();
  EXPECT_TRUE(wait.Sleep());
  ASSERT_EQ(w.calls.size(), 1u);
  EXPECT_EQ(w.calls[0].epoch, 7u);
  wait.PrepareLocked();  // the re-check takes the new epoch
  EXPECT_TRUE(wait.Sleep());
  EXPECT_EQ(w.calls[1].epoch, 8u);
}

}  // namespace
}  // namespace tandem::rpmsg
