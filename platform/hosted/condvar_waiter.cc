#include "tandem/hosted/condvar_waiter.h"

#include "tandem/rpmsg/timeout.h"

namespace tandem::hosted {

std::uint64_t CondvarWaiter::Now() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

std::uint32_t CondvarWaiter::PrepareWait() {
  std::lock_guard<std::mutex> lock(mutex_);
  return epoch_;
}

void CondvarWaiter::Wait(std::uint32_t epoch, std::uint64_t deadline_ns) {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto changed = [&] { return epoch_ != epoch; };
  if (deadline_ns == rpmsg::Timeout::kForeverNs) {
    cv_.wait(lock, changed);
    return;
  }
  const auto deadline = std::chrono::steady_clock::time_point(
      std::chrono::nanoseconds(static_cast<std::int64_t>(deadline_ns)));
  cv_.wait_until(lock, deadline, changed);
}

void CondvarWaiter::Wake() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++epoch_;
  }
  cv_.notify_all();
}

}  // namespace tandem::hosted
