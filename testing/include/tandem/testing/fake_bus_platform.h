#pragma once
// Deterministic platform pieces for single-threaded RPMsg tests:
//  * RecordingNotifier - records every kick (the notifyid), and checks the
//                        bus never notifies with its lock held.
//  * FakeWaiter        - a fake clock and eventcount. Wait() first runs an
//                        optional hook (a test's way of letting the peer make
//                        progress "while we sleep"); if nothing woke us, the
//                        clock jumps to the deadline, as if time passed.
//  * CheckingLock      - a non-recursive lock that records re-entry (which
//                        would deadlock a real mutex) and whether it is held.
// Hosted test code: not part of the freestanding core.

#include <cstdint>
#include <functional>
#include <vector>

#include "tandem/rpmsg/platform.h"
#include "tandem/rpmsg/timeout.h"

namespace tandem::rpmsg::testing {

class CheckingLock final : public Lock {
 public:
  void Acquire() override {
    if (held_) ++reentries_;
    held_ = true;
    ++acquisitions_;
  }
  void Release() override { held_ = false; }
  bool held() const { return held_; }
  int reentries() const { return reentries_; }
  std::uint64_t acquisitions() const { return acquisitions_; }

 private:
  bool held_ = false;
  int reentries_ = 0;
  std::uint64_t acquisitions_ = 0;
};

class RecordingNotifier final : public Notifier {
 public:
  explicit RecordingNotifier(const CheckingLock* lock = nullptr) : lock_(lock) {}
  Status Notify(std::uint32_t notifyid) override {
    if (lock_ != nullptr && lock_->held()) ++notified_under_lock;
    kicks.push_back(notifyid);
    if (on_notify) on_notify(notifyid);
    return fail ? Unavailable("mailbox full") : OkStatus();
  }
  std::size_t Count(std::uint32_t notifyid) const {
    std::size_t n = 0;
    for (std::uint32_t k : kicks) n += k == notifyid ? 1 : 0;
    return n;
  }

  std::vector<std::uint32_t> kicks;
  int notified_under_lock = 0;
  bool fail = false;
  std::function<void(std::uint32_t)> on_notify;

 private:
  const CheckingLock* lock_;
};

class FakeWaiter final : public Waiter {
 public:
  explicit FakeWaiter(const CheckingLock* lock = nullptr) : lock_(lock) {}
  std::uint64_t Now() override { return now_ns; }
  std::uint32_t PrepareWait() override { return epoch_; }
  void Wait(std::uint32_t epoch, std::uint64_t deadline_ns) override {
    ++waits;
    if (lock_ != nullptr && lock_->held()) ++waited_under_lock;
    if (epoch != epoch_) return;
    if (on_wait) on_wait();
    if (epoch != epoch_) return;
    // Nothing happened: time passes up to the deadline. A Forever wait with
    // nothing to wake it advances a second per call (tests bound it).
    now_ns = deadline_ns == Timeout::kForeverNs ? now_ns + 1'000'000'000 : deadline_ns;
  }
  void Wake() override {
    if (lock_ != nullptr && lock_->held()) ++woken_under_lock;
    ++epoch_;
    ++wakes;
  }

  std::uint64_t now_ns = 1'000'000;
  int waits = 0;
  int wakes = 0;
  int waited_under_lock = 0;
  int woken_under_lock = 0;
  std::function<void()> on_wait;

 private:
  const CheckingLock* lock_;
  std::uint32_t epoch_ = 0;
};

}  // namespace tandem::rpmsg::testing
