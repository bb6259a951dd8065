#pragma once
// An endpoint's receive queue: a bounded FIFO of held buffer handles in
// caller-provided storage (no heap). Poll() pushes at the tail, Receive()
// pops at the head, Reset()/DestroyEndpoint() drain it. Only the ring
// arithmetic lives here; the bus does the locking and decides what a drained
// handle means.
//
// A template over the handle type so the arithmetic is tested with a plain
// move-only type (receive_queue_test.cc); the bus uses ReceiveQueue, over
// RxBuffer. The capacity need not be a power of two, so indices wrap by a
// compare, not a division.
//
// Not thread-safe: the bus calls it with its lock held. The preconditions
// (not empty, can_push()) are the caller's to check, as the bus does before
// every call: the checks are not repeated on the per-message path.
//
// Storage belongs to one queue at a time (Bus::SetReceiveQueue refuses
// storage another endpoint of the bus uses, kQueueStorageInUse). Even so,
// Push() never moves a handle over a live one: moving into an occupied slot
// would release that handle, and releasing takes the bus lock, which the
// caller holds - a self-deadlock (issue #10). can_push() is false for an
// occupied tail slot, and Push() asserts it.

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "tandem/base/assert.h"
#include "tandem/base/status.h"
#include "tandem/rpmsg/buffers.h"
#include "tandem/rpmsg/errors.h"

namespace tandem::rpmsg {

template <typename Handle>
class BasicReceiveQueue {
 public:
  constexpr BasicReceiveQueue() = default;
  // Storage must pass CheckStorage(); the queue starts empty.
  constexpr explicit BasicReceiveQueue(std::span<Handle> storage) : storage_(storage) {}

  // Usable storage: non-empty, every handle empty (a queue never takes over
  // handles it did not queue). kInvalidArgument kBadQueueStorage otherwise.
  static Status CheckStorage(std::span<Handle> storage);

  // False for a default-constructed queue (the endpoint has none).
  constexpr bool attached() const { return !storage_.empty(); }
  constexpr std::size_t capacity() const { return storage_.size(); }
  constexpr std::size_t size() const { return count_; }
  constexpr bool empty() const { return count_ == 0; }
  constexpr bool full() const { return count_ == storage_.size(); }
  // Room at the tail, and the tail slot holds no live handle (it could only
  // hold one if the storage were shared with another queue).
  bool can_push() const { return !full() && !storage_[TailIndex()].valid(); }

  // The oldest handle, in place. Requires !empty().
  Handle& front() { return storage_[head_]; }
  // Moves the oldest handle out. Requires !empty().
  Handle Pop() {
    Handle out = std::move(front());
    Advance();
    return out;
  }
  // Queues `handle` at the tail. Requires can_push() (the caller counts a
  // drop): the slot is empty, so the move releases nothing.
  void Push(Handle&& handle) {
    Handle& slot = storage_[TailIndex()];
    TANDEM_ASSERT(!slot.valid());
    slot = std::move(handle);
    ++count_;
  }
  // Whether `storage` overlaps this queue's storage.
  bool Overlaps(std::span<const Handle> storage) const {
    if (storage_.empty() || storage.empty()) return false;
    // Addresses as integers: comparing pointers into unrelated arrays is
    // unspecified in C++.
    const auto a = reinterpret_cast<std::uintptr_t>(storage_.data());
    const auto b = reinterpret_cast<std::uintptr_t>(storage.data());
    return a < b + storage.size_bytes() && b < a + storage_.size_bytes();
  }
  // Calls `f(Handle&)` on every queued handle, oldest first, and empties the
  // queue. `f` must leave each handle empty (the bus makes them inert).
  template <typename F>
  void Drain(F&& f) {
    while (count_ > 0) {
      f(storage_[head_]);
      Advance();
    }
    head_ = 0;
  }

 private:
  std::size_t TailIndex() const {
    std::size_t tail = head_ + count_;
    if (tail >= storage_.size()) tail -= storage_.size();
    return tail;
  }
  void Advance() {
    if (++head_ == storage_.size()) head_ = 0;
    --count_;
  }

  std::span<Handle> storage_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
};

template <typename Handle>
Status BasicReceiveQueue<Handle>::CheckStorage(std::span<Handle> storage) {
  if (storage.empty()) return InvalidArgument(kBadQueueStorage);
  for (const Handle& h : storage) {
    if (h.valid()) return InvalidArgument(kBadQueueStorage);
  }
  return OkStatus();
}

using ReceiveQueue = BasicReceiveQueue<RxBuffer>;
// Compiled once, in receive_queue.cc.
extern template Status BasicReceiveQueue<RxBuffer>::CheckStorage(std::span<RxBuffer>);

}  // namespace tandem::rpmsg
