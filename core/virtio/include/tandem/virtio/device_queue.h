#pragma once
// The device side of a split virtqueue (VirtIO 1.x 2.7; the remote in
// remoteproc terms). It takes chains the driver made available, and returns
// them through the used ring.
//
// Every operation takes the ring's shm::Region (ring at offset 0) and, when
// descriptors are read, the region their buffers must lie in. Everything the
// driver wrote (avail->idx, ring entries, descriptors, used_event,
// avail->flags) is read once into a local, checked, and a violation latches
// the queue broken with a DataLoss status. Chain walks are bounded by the
// queue size, so a looping chain ends.
//
// Threading: not thread-safe; one thread (or the caller's lock) per queue.

#include <cstdint>

#include "tandem/base/result.h"
#include "tandem/base/ring_index.h"
#include "tandem/shm/region.h"
#include "tandem/virtio/ring_layout.h"

namespace tandem::virtio {

// One validated descriptor: its buffer lies inside the buffer region.
struct Descriptor {
  std::uint64_t addr;  // device address
  std::uint32_t len;
  bool device_writes;  // VRING_DESC_F_WRITE
  std::size_t offset;  // offset of addr in the buffer region
};

class DeviceQueue;

// A chain taken from the available ring: a bounded iterator over its
// descriptors. Copyable; holds no pointers into shared memory.
class DescriptorChain {
 public:
  std::uint16_t head() const { return head_; }
  // Next descriptor, or kNotFound at the end of the chain. A malformed chain
  // (next out of range, loop, indirect, bad buffer) latches the queue broken.
  Result<Descriptor> Next(DeviceQueue& queue, const shm::Region& ring, const shm::Region& buffers);

 private:
  friend class DeviceQueue;
  std::uint16_t head_ = 0;
  std::uint16_t next_ = 0;
  std::uint16_t ttl_ = 0;  // descriptors left before we call it a loop
  bool done_ = false;
};

class DeviceQueue {
 public:
  struct Options {
    bool event_idx = true;  // VIRTIO_RING_F_EVENT_IDX negotiated
  };

  DeviceQueue() = default;

  // Binds to a ring the driver initialized (indices start at 0, as after a
  // reset). Does not write shared memory.
  static Result<DeviceQueue> Create(const shm::Region& ring, std::uint32_t num, std::uint32_t align,
                                    Options options);

  const RingLayout& layout() const { return layout_; }
  bool broken() const { return !broken_.ok(); }
  Status broken_status() const { return broken_; }

  // Takes the next available chain. kUnavailable when the ring is empty.
  Result<DescriptorChain> Pop(shm::Region& ring);
  // Returns a chain to the driver with the number of bytes written into it,
  // and publishes used->idx.
  Status PushUsed(shm::Region& ring, std::uint16_t head, std::uint32_t written);
  // Phase one of an interrupt: should the driver be notified of used buffers
  // pushed since the last call? (used_event or VRING_AVAIL_F_NO_INTERRUPT)
  Result<bool> NotifyPrepare(shm::Region& ring);

  // True if Pop would return a chain (or find a violation).
  Result<bool> HasAvailable(shm::Region& ring);
  // Ask the driver not to notify us (VRING_USED_F_NO_NOTIFY / avail_event).
  void DisableNotifications(shm::Region& ring);
  // Ask to be notified of the next available buffer; true if buffers arrived
  // meanwhile (the caller must process them).
  Result<bool> EnableNotifications(shm::Region& ring);

 private:
  friend class DescriptorChain;
  Status Break(Status s) {
    if (broken_.ok()) broken_ = s;
    return broken_;
  }
  Status CheckUsable(const shm::Region& ring) const;
  Result<std::uint16_t> ReadAvailIdx(const shm::Region& ring);

  RingLayout layout_;
  Options options_;
  Status broken_;
  RingIndex last_avail_;    // next available entry to take
  RingIndex used_idx_;      // shadow of used->idx (what we published)
  RingIndex notified_idx_;  // used idx at the last NotifyPrepare
  std::uint16_t used_flags_ = 0;
};

}  // namespace tandem::virtio
