#include "tandem/hosted/condvar_waiter.h"

#include "tandem/rpmsg/timeout.h"

namespace tandem::hosted {

std::uint64_t CondvarWaiter::Now() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

std::uint32_t CondvarWaiter::PrepareWait() {
  MutexGuard lock(mutex_);
  return epoch_;
}

void CondvarWaiter::Wait(std::uint32_t epoch, std::uint64_t deadline_ns) {
  MutexGuard lock(mutex_);
  if (deadline_ns == rpmsg::Timeout::kForeverNs) {
    while (epoch_ == epoch) cv_.Wait(mutex_);
    return;
  }
  const auto deadline = std::chrono::steady_clock::time_point(
      std::chrono::nanoseconds(static_cast<std::int64_t>(deadline_ns)));
  while (epoch_ == epoch) {
    if (!cv_.WaitUntil(mutex_, deadline)) return;
  }
}

void CondvarWaiter::Wake() {
  {
    MutexGuard lock(mutex_);
    ++epoch_;
  }
  cv_.NotifyAll();
}

}  // namespace tandem::hosted
