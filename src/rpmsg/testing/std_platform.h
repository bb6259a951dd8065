#pragma once
// Platform pieces over the C++ standard library, for multi-threaded tests
// (the Linux platform proper uses futexes and eventfds; these are the
// portable equivalent). Hosted test code: not part of the core.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "tandem/rpmsg/platform.h"
#include "tandem/rpmsg/timeout.h"

namespace tandem::rpmsg::testing {

class StdLock final : public Lock {
 public:
  void Acquire() override { mutex_.lock(); }
  void Release() override { mutex_.unlock(); }

 private:
  std::mutex mutex_;
};

// An eventcount over a condition variable.
class StdWaiter final : public Waiter {
 public:
  std::uint64_t Now() override {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
  }
  std::uint32_t PrepareWait() override { return epoch_.load(std::memory_order_acquire); }
  void Wait(std::uint32_t epoch, std::uint64_t deadline_ns) override {
    std::unique_lock<std::mutex> lock(mutex_);
    auto moved = [&] { return epoch_.load(std::memory_order_acquire) != epoch; };
    if (deadline_ns == Timeout::kForeverNs) {
      cv_.wait(lock, moved);
      return;
    }
    const std::uint64_t now = Now();
    if (deadline_ns <= now) return;
    cv_.wait_for(lock, std::chrono::nanoseconds(deadline_ns - now), moved);
  }
  void Wake() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      epoch_.fetch_add(1, std::memory_order_acq_rel);
    }
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::atomic<std::uint32_t> epoch_{0};
};

}  // namespace tandem::rpmsg::testing
