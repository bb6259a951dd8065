#pragma once
// The platform pieces an RPMsg bus needs, injected at construction
// (docs/architecture.md decision 6): no globals, no OS calls in the bus.
//
//  * Notifier - rings the peer's doorbell for one vring (a mailbox message
//               carrying the vring's notifyid, remoteproc/mailbox.h).
//  * Lock     - mutual exclusion for the bus's own state and rings. A no-op
//               (NoLock) on single-threaded firmware; a mutex (or an
//               IRQ-masking critical section) elsewhere. The bus never calls
//               out (callbacks, Notify, Wait) while holding it.
//  * Waiter   - blocking with a deadline, and the clock deadlines are taken
//               from. An eventcount: PrepareWait() returns the current
//               epoch, Wait() returns once Wake() has moved the epoch past
//               it (or the deadline passed, or spuriously). Because the
//               epoch is taken under the bus lock before the condition is
//               re-checked, a Wake() between the check and the Wait() is
//               never lost. On Linux this is a futex on the epoch word
//               (FUTEX_WAIT with the epoch as the expected value; Wake =
//               increment + FUTEX_WAKE all) or a condvar; on firmware it is
//               "WFI until the mailbox interrupt" with the ISR moving the
//               epoch.

#include <cstdint>

#include "tandem/base/status.h"
#include "tandem/base/thread_annotations.h"

namespace tandem::rpmsg {

class Notifier {
 public:
  // Tells the peer that vring `notifyid` has news. May be called from any
  // thread that uses the bus, never with the bus lock held.
  virtual Status Notify(std::uint32_t notifyid) = 0;

 protected:
  ~Notifier() = default;
};

// A capability for the compiler's thread-safety analysis
// (base/thread_annotations.h): state guarded by a bus's lock can be declared
// TANDEM_GUARDED_BY it.
class TANDEM_CAPABILITY("mutex") Lock {
 public:
  virtual void Acquire() TANDEM_ACQUIRE() = 0;
  virtual void Release() TANDEM_RELEASE() = 0;

 protected:
  ~Lock() = default;
};

// For single-threaded firmware (a main loop that both polls and sends).
class NoLock final : public Lock {
 public:
  void Acquire() override TANDEM_NO_THREAD_SAFETY_ANALYSIS {}
  void Release() override TANDEM_NO_THREAD_SAFETY_ANALYSIS {}
};

class TANDEM_SCOPED_CAPABILITY LockGuard {
 public:
  explicit LockGuard(Lock& lock) TANDEM_ACQUIRE(lock) : lock_(lock) { lock_.Acquire(); }
  ~LockGuard() TANDEM_RELEASE() { lock_.Release(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  Lock& lock_;
};

class Waiter {
 public:
  // Monotonic time in nanoseconds.
  virtual std::uint64_t Now() = 0;
  // The current epoch. Called with the bus lock held: must not block.
  virtual std::uint32_t PrepareWait() = 0;
  // Blocks until the epoch differs from `epoch` or Now() >= deadline_ns.
  // Spurious early returns are allowed (the bus re-checks). Called without
  // the bus lock.
  virtual void Wait(std::uint32_t epoch, std::uint64_t deadline_ns) = 0;
  // Moves the epoch and wakes every waiter. Called without the bus lock,
  // from the thread that runs Poll() or releases a buffer.
  virtual void Wake() = 0;

 protected:
  ~Waiter() = default;
};

// What a bus is constructed with. All three must outlive the bus.
struct BusPlatform {
  Notifier& notifier;
  Lock& lock;
  Waiter& waiter;
};

}  // namespace tandem::rpmsg
