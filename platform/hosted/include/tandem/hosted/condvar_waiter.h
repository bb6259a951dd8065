#pragma once
// rpmsg::Waiter over a condition variable: an eventcount (PrepareWait takes
// the epoch, Wait sleeps until it moves or the deadline passes, Wake moves
// it) on the steady clock. The epoch lives in process memory, never in shared
// memory: nothing the peer writes decides whether our threads wake.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "tandem/rpmsg/platform.h"

namespace tandem::hosted {

class CondvarWaiter final : public rpmsg::Waiter {
 public:
  // Steady-clock nanoseconds.
  std::uint64_t Now() override;
  std::uint32_t PrepareWait() override;
  // Returns when the epoch differs from `epoch`, or at `deadline_ns` (Now()
  // time; rpmsg::Timeout::kForeverNs waits for a Wake only).
  void Wait(std::uint32_t epoch, std::uint64_t deadline_ns) override;
  void Wake() override;

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::uint32_t epoch_ = 0;
};

}  // namespace tandem::hosted
