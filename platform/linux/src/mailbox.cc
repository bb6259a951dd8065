#include "tandem/linux/mailbox.h"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstddef>
#include <cstring>
#include <new>

#include "tandem/linux/deadline.h"
#include "tandem/remoteproc/mailbox.h"

namespace tandem::linux_platform {

// The shared page. Plain integers, accessed only through std::atomic_ref
// (both processes map the same bytes; atomic_ref on 4- and 8-byte aligned
// words is lock-free on x86-64, which the static_asserts below check).
// Host byte order: both sides run on the same machine; this is a
// peripheral's register file, not a wire format.
struct Mailbox::Channel {
  // Written by the sender (and by Interrupt/SetPeerGone wakers).
  std::uint32_t seq;                // futex word: bumped after every publish
  std::uint32_t receiver_sleepers;  // receivers in (or entering) FUTEX_WAIT
  std::uint64_t pending;            // coalesced notifyids, bit n = vring n
  std::uint32_t tail;               // FIFO producer index (free-running)
  std::uint32_t space_seq;          // futex word: bumped after every consume
  std::uint32_t sender_sleepers;    // senders waiting for FIFO room
  std::uint32_t reserved0;
  // Written by the receiver; its own cache line, away from the sender's.
  alignas(64) std::uint32_t head;  // FIFO consumer index (free-running)
  std::uint32_t reserved1;
  std::uint32_t slots[Mailbox::kFifoCapacity];
};

struct Mailbox::Page {
  std::uint32_t magic;
  std::uint32_t version;
  std::uint32_t page_size;
  std::uint32_t fifo_capacity;
  alignas(64) std::uint32_t watchdog;  // bumped by the core's pets
  std::uint32_t core_stage;            // CoreStage, written by the launcher
  alignas(64) Channel to_core;
  alignas(64) Channel to_host;
};

namespace {

constexpr std::uint32_t kMagic = 0x584F424D;  // "MBOX"
constexpr std::uint32_t kVersion = 1;

static_assert(std::atomic_ref<std::uint32_t>::is_always_lock_free);
static_assert(std::atomic_ref<std::uint64_t>::is_always_lock_free);
static_assert((Mailbox::kFifoCapacity & (Mailbox::kFifoCapacity - 1)) == 0,
              "free-running indices need a power-of-two capacity");

template <typename T>
std::atomic_ref<T> Atomic(T& word) {
  return std::atomic_ref<T>(word);
}

// FUTEX_WAIT/FUTEX_WAKE without FUTEX_PRIVATE_FLAG: the word is in a
// MAP_SHARED memfd and the waiter and waker are different processes.
int FutexWait(std::uint32_t* word, std::uint32_t expected, const struct timespec* timeout) {
  return static_cast<int>(syscall(SYS_futex, word, FUTEX_WAIT, expected, timeout, nullptr, 0));
}
void FutexWake(std::uint32_t* word) {
  syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

// count - 1, or 0 if the count is 0 already (see WaitForChange).
void DecrementSaturating(std::atomic_ref<std::uint32_t> count) {
  std::uint32_t value = count.load(std::memory_order_seq_cst);
  while (value != 0 && !count.compare_exchange_weak(value, value - 1, std::memory_order_seq_cst)) {
  }
}

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::atomic_signal_fence(std::memory_order_seq_cst);
#endif
}

std::chrono::steady_clock::time_point DeadlineAfter(std::chrono::nanoseconds timeout) {
  return SaturatingDeadline(std::chrono::steady_clock::now(), timeout);
}

}  // namespace

void Mailbox::InitializePage(void* page) {
  static_assert(sizeof(Page) <= kPageSize);
  static_assert(alignof(Page) == 64);
  std::memset(page, 0, kPageSize);
  auto* p = new (page) Page{};
  p->version = kVersion;
  p->page_size = kPageSize;
  p->fifo_capacity = kFifoCapacity;
  // Release: a process that sees the magic sees a fully formatted page.
  Atomic(p->magic).store(kMagic, std::memory_order_release);
}

Status Mailbox::ValidatePage(const void* page, std::size_t size) {
  if (page == nullptr || size < kPageSize) return InvalidArgument("mailbox page too small");
  if (reinterpret_cast<std::uintptr_t>(page) % alignof(Page) != 0) {
    return InvalidArgument("mailbox page misaligned");
  }
  auto* p = static_cast<Page*>(const_cast<void*>(page));
  if (Atomic(p->magic).load(std::memory_order_acquire) != kMagic) {
    return DataLoss("mailbox page not formatted (bad magic)");
  }
  if (p->version != kVersion) return DataLoss("mailbox page has an unknown version");
  if (p->page_size != kPageSize || p->fifo_capacity != kFifoCapacity) {
    return DataLoss("mailbox page geometry does not match this build");
  }
  return OkStatus();
}

Result<std::unique_ptr<Mailbox>> Mailbox::Create(void* page, std::size_t size, MailboxRole role) {
  TANDEM_TRY(ValidatePage(page, size));
  return std::unique_ptr<Mailbox>(new Mailbox(static_cast<Page*>(page), role));
}

Mailbox::Mailbox(Page* page, MailboxRole role) : page_(page), role_(role) {
  // Continue from the indices in the page (a host attaching to a running
  // core); they are checked against the peer's on every use.
  tx_tail_ = Atomic(tx().tail).load(std::memory_order_acquire);
  rx_head_ = Atomic(rx().head).load(std::memory_order_acquire);
}

std::size_t Mailbox::OffsetOf(MailboxRole receiver, PageWord word) {
  const std::size_t channel =
      receiver == MailboxRole::kHost ? offsetof(Page, to_host) : offsetof(Page, to_core);
  switch (word) {
    case PageWord::kSeq: return channel + offsetof(Channel, seq);
    case PageWord::kReceiverSleepers: return channel + offsetof(Channel, receiver_sleepers);
    case PageWord::kPending: return channel + offsetof(Channel, pending);
    case PageWord::kTail: return channel + offsetof(Channel, tail);
    case PageWord::kSpaceSeq: return channel + offsetof(Channel, space_seq);
    case PageWord::kSenderSleepers: return channel + offsetof(Channel, sender_sleepers);
    case PageWord::kHead: return channel + offsetof(Channel, head);
  }
  return channel;
}

Mailbox::Channel& Mailbox::tx() const {
  return role_ == MailboxRole::kHost ? page_->to_core : page_->to_host;
}
Mailbox::Channel& Mailbox::rx() const {
  return role_ == MailboxRole::kHost ? page_->to_host : page_->to_core;
}

Status Mailbox::Stopped() const {
  if (interrupted_.load(std::memory_order_acquire)) return Aborted("mailbox interrupted");
  if (peer_gone_.load(std::memory_order_acquire)) return Aborted("mailbox peer is gone");
  return OkStatus();
}

void Mailbox::Signal(std::uint32_t* word, std::uint32_t* sleepers) {
  // seq_cst on both sides (here: bump, then read the sleeper count; waiter:
  // raise the count, then FUTEX_WAIT compares the word) so that either we
  // see the sleeper and wake it, or the sleeper's FUTEX_WAIT sees the new
  // word value and does not sleep. A lost wake-up needs both to miss, which
  // the single total order of seq_cst operations rules out.
  //
  // The count is in the shared page, so the peer can zero it and suppress
  // our FUTEX_WAKE. That only delays the peer's own messages (a waiter
  // sleeps in slices of at most kMaxSleepSlice, then looks again); our own
  // wake-ups never rely on it (WakeOwnWaiters).
  Atomic(*word).fetch_add(1, std::memory_order_seq_cst);
  if (Atomic(*sleepers).load(std::memory_order_seq_cst) != 0) FutexWake(word);
}

void Mailbox::WakeOwnWaiters() {
  // Called after interrupted_ or peer_gone_ was set (release). The flags are
  // process-private, so the peer cannot hide them; the waiters check them
  // before every sleep. FUTEX_WAKE unconditionally: the sleeper counts are
  // peer-writable and must not decide whether our own threads wake. A
  // waiter that checked the flags just before they were set and then
  // slept (the peer may also have put the word back to the value it
  // compares) wakes after at most one kMaxSleepSlice.
  // Our receivers wait on rx().seq, our control senders on tx().space_seq;
  // the peer's waiters (on the other two words) are left alone.
  for (std::uint32_t* word : {&rx().seq, &tx().space_seq}) {
    Atomic(*word).fetch_add(1, std::memory_order_seq_cst);
    FutexWake(word);
  }
}

bool Mailbox::WaitForChange(std::uint32_t* word, std::uint32_t* sleepers, std::uint32_t seen,
                            std::chrono::steady_clock::time_point deadline) {
  // "Something to look at": the word moved, or this object was interrupted
  // or saw its peer go (process-private flags; the callers re-check them).
  auto changed = [&] {
    return Atomic(*word).load(std::memory_order_acquire) != seen ||
           interrupted_.load(std::memory_order_acquire) ||
           peer_gone_.load(std::memory_order_acquire);
  };
  // Spin phase: a reply within a few microseconds costs no system call.
  // The clock is read every 64 pauses (a pause is 10..140 cycles). Past
  // the first kSpinBeforeYield, each clock check also yields the CPU: when
  // more threads are runnable than there are CPUs (the peer, or the
  // application it waits for, may be queued behind this spinner on the
  // same CPU), a spin that never yields holds the CPU for its whole budget
  // and every round trip costs the budget. With the CPU to itself,
  // sched_yield returns at once (one system call per ~1-5 us of spin).
  const std::int64_t spin = spin_ns_.load(std::memory_order_relaxed);
  if (spin > 0) {
    const auto start = std::chrono::steady_clock::now();
    auto spin_end = SaturatingDeadline(std::chrono::nanoseconds(spin));
    if (spin_end > deadline) spin_end = deadline;
    for (;;) {
      for (int i = 0; i < 64; ++i) {
        if (changed()) return true;
        CpuRelax();
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= spin_end) break;
      if (now - start >= kSpinBeforeYield) sched_yield();
    }
  }
  // Block phase, in slices of at most kMaxSleepSlice: a FUTEX_WAKE the peer
  // suppressed (by zeroing the sleeper count) or a word it put back costs
  // at most one slice, never an unbounded sleep.
  for (;;) {
    if (changed()) return true;
    const std::chrono::nanoseconds slice = SleepSlice(deadline);
    if (slice <= std::chrono::nanoseconds::zero()) return false;
    struct timespec ts;
    ts.tv_sec = static_cast<time_t>(slice.count() / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(slice.count() % 1'000'000'000);
    // See Signal(): raise the sleeper count before the kernel compares.
    Atomic(*sleepers).fetch_add(1, std::memory_order_seq_cst);
    sleeps_.fetch_add(1, std::memory_order_relaxed);
    // Every outcome loops: woken (maybe spuriously), EAGAIN (the word had
    // already changed), EINTR (a signal) and ETIMEDOUT are all settled by
    // the checks at the top of the next round.
    FutexWait(word, seen, &ts);
    // The peer may have rewritten the count meanwhile. Never below zero: a
    // count zeroed while we slept would otherwise wrap to 0xFFFFFFFF here,
    // our next sleep would raise it back to 0, and from then on every
    // wake-up meant for us would be suppressed (each message a whole slice
    // late) long after the peer stopped writing. Saturating, the count is
    // right again from our next sleep on; one too high only costs
    // spurious FUTEX_WAKEs.
    DecrementSaturating(Atomic(*sleepers));
  }
}

Status Mailbox::Send(std::uint32_t message, std::chrono::nanoseconds timeout) {
  if (remoteproc::mailbox::IsQueued(message)) return SendControl(message, timeout);
  if (message > kMaxNotifyId)
    return InvalidArgument("notifyid >= 64 cannot be sent through the mailbox");
  TANDEM_TRY(Stopped());
  Channel& ch = tx();
  // Release: whatever the sender wrote to the vrings before this kick is
  // visible to the receiver that takes the bit (acquire in TryReceive).
  Atomic(ch.pending).fetch_or(std::uint64_t{1} << message, std::memory_order_release);
  Signal(&ch.seq, &ch.receiver_sleepers);
  return OkStatus();
}

Status Mailbox::SendControl(std::uint32_t message, std::chrono::nanoseconds timeout) {
  const auto deadline = DeadlineAfter(timeout);
  std::lock_guard<std::mutex> lock(tx_mutex_);
  Channel& ch = tx();
  for (;;) {
    TANDEM_TRY(Stopped());
    // Read the space sequence before checking for room, so a consume that
    // happens after the check changes the word we then wait on.
    const std::uint32_t seen = Atomic(ch.space_seq).load(std::memory_order_acquire);
    // Acquire: the receiver finished reading a slot before publishing head
    // past it, so that slot may be overwritten now.
    const std::uint32_t head = Atomic(ch.head).load(std::memory_order_acquire);
    const std::uint32_t used = tx_tail_ - head;
    if (used > kFifoCapacity) return DataLoss("mailbox FIFO indices corrupt (head beyond tail)");
    if (used < kFifoCapacity) {
      Atomic(ch.slots[tx_tail_ % kFifoCapacity]).store(message, std::memory_order_relaxed);
      ++tx_tail_;
      // Release: the slot write (and everything before this Send) is
      // visible to a receiver that loads the new tail with acquire.
      Atomic(ch.tail).store(tx_tail_, std::memory_order_release);
      Signal(&ch.seq, &ch.receiver_sleepers);
      return OkStatus();
    }
    if (!WaitForChange(&ch.space_seq, &ch.sender_sleepers, seen, deadline)) {
      return DeadlineExceeded("mailbox FIFO full: the peer did not take its messages in time");
    }
  }
}

Result<std::uint32_t> Mailbox::TryReceiveLocked() {
  Channel& ch = rx();
  // Control messages first (see the header).
  // Acquire: pairs with the sender's release store of tail; the slot the
  // sender wrote before it is visible.
  const std::uint32_t tail = Atomic(ch.tail).load(std::memory_order_acquire);
  const std::uint32_t available = tail - rx_head_;
  if (available > kFifoCapacity)
    return DataLoss("mailbox FIFO indices corrupt (tail too far ahead)");
  if (available > 0) {
    const std::uint32_t message =
        Atomic(ch.slots[rx_head_ % kFifoCapacity]).load(std::memory_order_relaxed);
    ++rx_head_;
    // Release: our read of the slot happens before the sender may reuse it.
    Atomic(ch.head).store(rx_head_, std::memory_order_release);
    Signal(&ch.space_seq, &ch.sender_sleepers);
    return message;
  }
  // Acquire pairs with the sender's fetch_or (release). We are the only
  // clearer of bits, so the bit we saw is still set when we clear it.
  const std::uint64_t bits = Atomic(ch.pending).load(std::memory_order_acquire);
  if (bits != 0) {
    const int id = __builtin_ctzll(bits);
    Atomic(ch.pending).fetch_and(~(std::uint64_t{1} << id), std::memory_order_acq_rel);
    return static_cast<std::uint32_t>(id);
  }
  return Unavailable("mailbox empty");
}

Result<std::uint32_t> Mailbox::TryReceive() {
  if (interrupted_.load(std::memory_order_acquire)) return Aborted("mailbox interrupted");
  std::lock_guard<std::mutex> lock(rx_mutex_);
  return TryReceiveLocked();
}

Result<std::uint32_t> Mailbox::Receive(std::chrono::nanoseconds timeout) {
  const auto deadline = DeadlineAfter(timeout);
  Channel& ch = rx();
  for (;;) {
    if (interrupted_.load(std::memory_order_acquire)) return Aborted("mailbox interrupted");
    // Read the sequence before looking, so a message published after the
    // look changes the word we then wait on.
    const std::uint32_t seen = Atomic(ch.seq).load(std::memory_order_acquire);
    {
      std::lock_guard<std::mutex> lock(rx_mutex_);
      auto message = TryReceiveLocked();
      if (message.ok() || message.status().code() != StatusCode::kUnavailable) return message;
    }
    if (peer_gone_.load(std::memory_order_acquire)) return Aborted("mailbox peer is gone");
    if (!WaitForChange(&ch.seq, &ch.receiver_sleepers, seen, deadline)) {
      return DeadlineExceeded("no mailbox message before the timeout");
    }
  }
}

void Mailbox::Interrupt() {
  interrupted_.store(true, std::memory_order_release);
  WakeOwnWaiters();
}

void Mailbox::ClearInterrupt() { interrupted_.store(false, std::memory_order_release); }

void Mailbox::SetPeerGone() {
  peer_gone_.store(true, std::memory_order_release);
  WakeOwnWaiters();
}

void Mailbox::ResetForNewCore() {
  std::scoped_lock lock(tx_mutex_, rx_mutex_);
  InitializePage(page_);
  tx_tail_ = 0;
  rx_head_ = 0;
  interrupted_.store(false, std::memory_order_release);
  peer_gone_.store(false, std::memory_order_release);
}

void Mailbox::PetWatchdog() {
  // Relaxed: the host only needs to see the counter move, not any data.
  Atomic(page_->watchdog).fetch_add(1, std::memory_order_relaxed);
}

std::uint32_t Mailbox::WatchdogCount() const {
  return Atomic(page_->watchdog).load(std::memory_order_relaxed);
}

void Mailbox::SetCoreStage(CoreStage stage) {
  Atomic(page_->core_stage).store(static_cast<std::uint32_t>(stage), std::memory_order_release);
}

CoreStage Mailbox::core_stage() const {
  std::uint32_t raw = Atomic(page_->core_stage).load(std::memory_order_acquire);
  // The page is untrusted: an unknown value reads as "not started".
  switch (raw) {
    case static_cast<std::uint32_t>(CoreStage::kLauncherRunning):
      return CoreStage::kLauncherRunning;
    case static_cast<std::uint32_t>(CoreStage::kFirmwareEntered):
      return CoreStage::kFirmwareEntered;
    default: return CoreStage::kNotStarted;
  }
}

}  // namespace tandem::linux_platform
