#pragma once
// rpmsg::Waiter over a condition variable: an eventcount (PrepareWait takes
// the epoch, Wait sleeps until it moves or the deadline passes, Wake moves
// it) on the steady clock. The epoch lives in process memory, never in shared
// memory: nothing the peer writes decides whether our threads wake.

#include <chrono>
#include <cstdint>

#include "tandem/hosted/mutex.h"
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
  Mutex mutex_;  // a leaf: taken under the bus lock (PrepareWait) or alone
  CondVar cv_;
  std::uint32_t epoch_ TANDEM_GUARDED_BY(mutex_) = 0;
};

}  // namespace tandem::hosted
