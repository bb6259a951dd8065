#pragma once
// The board's mailbox (bsp.h: mbox_send / mbox_wait) as what the RPMsg bus
// needs on firmware: its Notifier (a kick is the vring's notifyid sent to
// the host) and its Waiter (blocking until "the mailbox interrupt").
//
// Waiter: the epoch moves on every message taken off the mailbox, like a
// mailbox ISR would move it, and on Wake(). Wait() waits on the mailbox for
// at most the remaining time (and never longer than one slice, so the
// watchdog is petted while a Send blocks for a buffer), puts whatever
// arrived into the MailboxStash for the main loop, and returns: the bus
// re-checks its rings and waits again if needed. A kick or a kShutdown that
// arrives while a message callback blocks in Send is therefore kept, not
// lost.
//
// Every wait on the mailbox pets the watchdog first, so a firmware that
// waits only through this class (main loop and blocked sends alike) is seen
// alive; one that spins elsewhere is not, by design.
//
// A mailbox failure (TANDEM_BSP_EBROKEN, TANDEM_BSP_EABORTED) is latched:
// failure() reports it and later waits return at once; the main loop ends
// the firmware.
//
// Single-threaded (rpmsg::NoLock): one firmware thread, no ISR.

#include <cstdint>

#include "tandem/base/status.h"
#include "tandem/remote/bsp.h"
#include "tandem/remote/mailbox_stash.h"
#include "tandem/rpmsg/platform.h"

namespace tandem::remote {

class BspMailbox final : public rpmsg::Notifier, public rpmsg::Waiter {
 public:
  // Longest single mbox_wait while a Send blocks: well below the host's
  // default 1 s watchdog.
  static constexpr std::uint64_t kDefaultSliceNs = 50'000'000;
  // How long a control message may wait for room in the board's queue.
  static constexpr std::uint64_t kSendTimeoutNs = 1'000'000'000;

  BspMailbox(const TandemBsp& bsp, MailboxStash& stash, std::uint64_t slice_ns = kDefaultSliceNs);

  // --- rpmsg::Notifier: kick vring `notifyid` (coalesced by the board).
  Status Notify(std::uint32_t notifyid) override;

  // A control message to the host (remoteproc/mailbox.h), queued by the
  // board, never coalesced. kDeadlineExceeded if the queue stayed full,
  // kAborted/kDataLoss if the mailbox is gone or corrupt.
  Status SendControl(std::uint32_t message);

  // --- rpmsg::Waiter.
  std::uint64_t Now() override;
  std::uint32_t PrepareWait() override { return epoch_; }
  void Wait(std::uint32_t epoch, std::uint64_t deadline_ns) override;
  void Wake() override { ++epoch_; }

  // Pets the watchdog, then waits up to timeout_ns for one message and
  // stashes it. OkStatus: a message arrived; kDeadlineExceeded: nothing
  // did; anything else: the mailbox failed (latched, see failure()).
  Status Receive(std::uint64_t timeout_ns);

  // OkStatus, or why the mailbox stopped working.
  Status failure() const { return failure_; }
  std::uint32_t epoch() const { return epoch_; }
  std::uint32_t notify_errors() const { return notify_errors_; }

 private:
  static Status FromBsp(int rc, const char* what);

  const TandemBsp& bsp_;
  MailboxStash& stash_;
  std::uint64_t slice_ns_;
  std::uint32_t epoch_ = 0;
  std::uint32_t notify_errors_ = 0;
  Status failure_;
};

}  // namespace tandem::remote
