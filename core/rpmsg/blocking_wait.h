#pragma once
// The waiting half of every blocking bus call (AcquireTx, Receive), written
// once: the deadline, the Waiter's epoch, and whether this caller counts as
// a waiter. The caller keeps its own condition and its own waiter
// bookkeeping (tx: arm the tx-complete callback; rx: a counter):
//
//   BlockingWait wait(waiter, timeout);
//   for (;;) {
//     { LockGuard g(lock);
//       if (condition) { if (wait.StopWaiting()) unregister; return it; }
//       if (!wait.can_block()) return kUnavailable;
//       if (wait.StartWaiting()) register;
//       wait.PrepareLocked();       // epoch taken under the lock
//     }
//     if (!wait.Sleep()) { LockGuard g(lock); if (wait.StopWaiting()) unregister;
//                          return kDeadlineExceeded; }
//   }
//
// Because the epoch is taken under the bus lock after the condition was
// found false, a Wake() between the check and the Sleep() is never lost
// (platform.h: the Waiter is an eventcount). The deadline is taken from the
// Waiter's clock at the first Sleep(), so a call that never blocks never
// reads the clock. Internal to the rpmsg layer.

#include <cstdint>

#include "tandem/rpmsg/platform.h"
#include "tandem/rpmsg/timeout.h"

namespace tandem::rpmsg {

class BlockingWait {
 public:
  BlockingWait(Waiter& waiter, Timeout timeout) : waiter_(waiter), timeout_(timeout) {}
  BlockingWait(const BlockingWait&) = delete;
  BlockingWait& operator=(const BlockingWait&) = delete;

  // Timeout::None(): the Try* behaviour, never wait.
  bool can_block() const { return !timeout_.is_none(); }
  // True once StartWaiting() registered this caller, until StopWaiting().
  bool waiting() const { return waiting_; }

  // True the first time only: register as a waiter now.
  bool StartWaiting() {
    if (waiting_) return false;
    waiting_ = true;
    return true;
  }
  // True if registered: unregister now.
  bool StopWaiting() {
    if (!waiting_) return false;
    waiting_ = false;
    return true;
  }

  // With the bus lock held, after the condition was found false.
  void PrepareLocked() { epoch_ = waiter_.PrepareWait(); }

  // Without the lock: blocks until Wake() moved the epoch past the one
  // PrepareLocked() took, the deadline passed, or spuriously; then the
  // caller re-checks. False, without blocking, once the deadline has passed:
  // the caller times out. `slice_ns` (0: none) bounds this one sleep, for a
  // caller that must re-check even if nobody wakes it.
  bool Sleep(std::uint64_t slice_ns = 0);

 private:
  Waiter& waiter_;
  const Timeout timeout_;
  std::uint64_t deadline_ = 0;
  std::uint32_t epoch_ = 0;
  bool have_deadline_ = false;
  bool waiting_ = false;
};

}  // namespace tandem::rpmsg
