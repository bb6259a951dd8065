#pragma once
// Mailbox: two one-directional channels of 32-bit messages between the host
// and the simulated core (docs/architecture.md decision 7), in one small shared
// page. A hardware mailbox is a peripheral, not memory of the remote: the
// page is a separate memfd, never mapped in the remote's device-address
// window.
//
// Message semantics (remoteproc/mailbox.h):
//   * a value < mailbox::kControlBase is a vring notifyid ("kick vring n").
//     Kicks coalesce, like a doorbell: each channel has a 64-bit pending
//     mask; Send sets bit n (fetch_or), Receive takes the lowest set bit.
//     Only notifyids 0..63 exist; Send rejects larger ones.
//   * a control message (>= kControlBase) goes through a bounded FIFO
//     (kFifoCapacity entries) and is never lost or merged: a sender waits
//     for room up to its timeout, then gets kDeadlineExceeded.
//   * Receive delivers queued control messages before pending kicks, so a
//     flood of kicks cannot starve a shutdown or crash message.
//
// Waiting is spin-then-block: a bounded spin (spin_ns, with the x86 pause
// instruction; past kSpinBeforeYield it also yields the CPU between checks,
// so an overcommitted machine still runs the peer) on the channel's
// sequence word, then FUTEX_WAIT on that word
// in slices of at most kMaxSleepSlice (deadline.h, 100 ms) up to the
// remaining timeout, re-checking between slices. The futex is a shared one (not
// FUTEX_PRIVATE_FLAG) because the two sides are different processes. A
// sender bumps the sequence word after publishing and calls FUTEX_WAKE only
// if the channel's waiter count says a receiver sleeps. Nothing sleeps in a
// polling loop.
//
// The waiter counts are in the page, so the peer can zero them and
// suppress our FUTEX_WAKEs. That may delay the peer's own messages by one
// slice, never more, and it never touches our own wake-ups: Interrupt()
// and SetPeerGone() set process-private flags that every waiter checks
// before each slice, and FUTEX_WAKE unconditionally.
//
// Roles are one class with a role parameter: the host sends on the
// host->core channel and receives on core->host; the core the opposite.
//
// The page is shared with another process and so untrusted: FIFO indices
// read from it are checked (a distance beyond the capacity is kDataLoss)
// and every message is copied out once.
//
// Threading: any number of threads may Send concurrently (control sends are
// serialized by a process-local mutex; kicks are lock-free). Receive may be
// called from several threads, but messages go to whichever receives first;
// the intended use is one receiving thread per side. Interrupt() and
// SetPeerGone() may be called from any thread, including signal-free
// monitor threads, at any time.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "tandem/base/result.h"

namespace tandem::linux_platform {

enum class MailboxRole : std::uint8_t { kHost, kCore };

// What the launcher reports through the page (for clearer exit reports).
enum class CoreStage : std::uint32_t {
  kNotStarted = 0,
  kLauncherRunning = 1,  // arguments parsed, mapping memory
  kFirmwareEntered = 2,  // jumped to the ELF entry
};

class Mailbox {
 public:
  static constexpr std::size_t kPageSize = 4096;
  static constexpr std::uint32_t kFifoCapacity = 16;
  static constexpr std::uint32_t kMaxNotifyId = 63;
  static constexpr std::chrono::nanoseconds kForever = std::chrono::nanoseconds::max();
  static constexpr std::chrono::nanoseconds kDefaultSpin{5000};
  // A spin longer than this yields the CPU between its checks (see
  // WaitForChange): the default spin never does.
  static constexpr std::chrono::nanoseconds kSpinBeforeYield{10'000};

  // Formats a fresh page (all channels empty). Only while no other process
  // uses the page (before starting a core).
  static void InitializePage(void* page);
  // Checks the page header (magic, version, capacity) written by
  // InitializePage.
  static Status ValidatePage(const void* page, std::size_t size);

  // A view of `page` (kPageSize bytes, 64-byte aligned, formatted) in the
  // given role. The page must outlive the Mailbox.
  static Result<std::unique_ptr<Mailbox>> Create(void* page, std::size_t size, MailboxRole role);

  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  // Sends a notifyid (coalesced; never blocks) or a control message (waits
  // up to `timeout` for room in the FIFO).
  //   kInvalidArgument   notifyid > kMaxNotifyId
  //   kDeadlineExceeded  the FIFO stayed full
  //   kAborted           Interrupt() or SetPeerGone() (nothing was sent)
  //   kDataLoss          the page's FIFO indices are corrupt
  Status Send(std::uint32_t message, std::chrono::nanoseconds timeout = kForever);

  // Takes one message if there is one: kUnavailable when there is none.
  Result<std::uint32_t> TryReceive();
  // Waits up to `timeout` for one message.
  //   kDeadlineExceeded  nothing arrived
  //   kAborted           Interrupt() was called (returns at once, even with
  //                      messages queued), or the peer is gone and nothing
  //                      is left to receive (messages it sent before it
  //                      died are still delivered first)
  //   kDataLoss          the page's FIFO indices are corrupt
  Result<std::uint32_t> Receive(std::chrono::nanoseconds timeout = kForever);

  // Wakes every blocked Send/Receive of this object; they and all later
  // calls return kAborted until ClearInterrupt(). For shutting down a
  // receiving thread.
  void Interrupt();
  void ClearInterrupt();
  bool interrupted() const { return interrupted_.load(std::memory_order_acquire); }

  // The peer process is gone (the host's monitor saw the core exit): blocked
  // calls wake; Send fails with kAborted and Receive drains what is left,
  // then fails with kAborted.
  void SetPeerGone();

  // Re-formats the page and forgets local state (shadows, interrupt,
  // peer-gone) for a fresh core. Host only, while no core runs.
  void ResetForNewCore();

  // Watchdog and stage words in the page header. The core pets; the host
  // samples the counter. A stage the core writes, the host reads.
  void PetWatchdog();
  std::uint32_t WatchdogCount() const;
  void SetCoreStage(CoreStage stage);
  CoreStage core_stage() const;

  // Spin budget before blocking (0 = block at once). Per object.
  void set_spin(std::chrono::nanoseconds spin) { spin_ns_.store(spin.count()); }
  std::chrono::nanoseconds spin() const { return std::chrono::nanoseconds(spin_ns_.load()); }

  MailboxRole role() const { return role_; }

  // Byte offset in the page of one word of the channel `receiver` receives
  // on. For tests that play a hostile peer by overwriting live words.
  enum class PageWord : std::uint8_t {
    kSeq,
    kReceiverSleepers,
    kPending,
    kTail,
    kSpaceSeq,
    kSenderSleepers,
    kHead,
  };
  static std::size_t OffsetOf(MailboxRole receiver, PageWord word);

  // Times this object went to sleep in FUTEX_WAIT (diagnostics, benchmarks).
  std::uint64_t sleeps() const { return sleeps_.load(std::memory_order_relaxed); }

 private:
  struct Channel;
  struct Page;

  Mailbox(Page* page, MailboxRole role);

  Channel& tx() const;
  Channel& rx() const;
  Status SendControl(std::uint32_t message, std::chrono::nanoseconds timeout);
  Result<std::uint32_t> TryReceiveLocked();
  // Waits until *word != seen or the deadline passes: spin, then futex.
  // Returns false on timeout.
  bool WaitForChange(std::uint32_t* word, std::uint32_t* sleepers, std::uint32_t seen,
                     std::chrono::steady_clock::time_point deadline);
  // Wakes the peer's waiters on `word` (FUTEX_WAKE only if the peer's
  // sleeper count says one sleeps).
  void Signal(std::uint32_t* word, std::uint32_t* sleepers);
  // Wakes this object's own blocked calls after Interrupt/SetPeerGone,
  // whatever the peer wrote into the sleeper counts.
  void WakeOwnWaiters();
  Status Stopped() const;

  Page* page_;
  MailboxRole role_;
  std::mutex tx_mutex_;  // serializes control producers of this process
  std::mutex rx_mutex_;  // serializes consumers of this process
  // Shadows of the indices this side publishes (we never read our own
  // index back from shared memory: the peer could have changed it).
  std::uint32_t tx_tail_ = 0;  // guarded by tx_mutex_
  std::uint32_t rx_head_ = 0;  // guarded by rx_mutex_
  std::atomic<bool> interrupted_{false};
  std::atomic<bool> peer_gone_{false};
  std::atomic<std::int64_t> spin_ns_{kDefaultSpin.count()};
  std::atomic<std::uint64_t> sleeps_{0};
};

}  // namespace tandem::linux_platform
