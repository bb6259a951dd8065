#pragma once
// The driver side of a split virtqueue (VirtIO 1.x 2.7; the host in
// remoteproc terms). It owns the descriptor table and the available ring and
// hands buffers to the device; the device returns them through the used ring.
//
// State lives here, memory is passed in: every operation takes the ring's
// shm::Region (the ring starts at offset 0 of it). The queue keeps shadows of
// everything it published (descriptor addresses and lengths, avail->idx) and
// never reads them back from shared memory; what it reads from the device
// (used->idx, used elements, avail_event, used->flags) is read once, checked,
// and any violation latches the queue broken with a DataLoss status.
//
// Threading: not thread-safe; one thread (or the caller's lock) per queue.
// No locks, I/O or allocation inside.

#include <cstdint>
#include <span>

#include "tandem/base/result.h"
#include "tandem/base/ring_index.h"
#include "tandem/shm/region.h"
#include "tandem/virtio/ring_layout.h"

namespace tandem::virtio {

// One buffer of a chain the driver adds.
struct BufferSpec {
  std::uint64_t addr;  // device address
  std::uint32_t len;
  bool device_writes;  // VRING_DESC_F_WRITE
};

// A buffer the device has returned. addr/len are our own shadow of what we
// gave for the chain's first descriptor, never re-read from shared memory.
struct UsedBuffer {
  std::uint16_t head;
  std::uint32_t written;    // used->ring[].len as reported by the device (checked)
  std::uint64_t addr;       // first descriptor's device address
  std::uint32_t len;        // first descriptor's length
  std::uint16_t chain_len;  // descriptors in the chain
};

// Per-descriptor bookkeeping, kept in caller-provided storage (no heap).
struct DriverDescState {
  std::uint64_t addr;
  std::uint32_t len;
  std::uint32_t chain_bytes;  // head only: total bytes of the chain
  std::uint16_t next;         // next in chain (in use) or in the free list
  std::uint16_t chain_len;    // head only: 0 = not an outstanding head
};

template <std::uint16_t kNum>
struct DriverQueueStorage {
  DriverDescState desc[kNum];
};

class DriverQueue {
 public:
  struct Options {
    bool event_idx = true;  // VIRTIO_RING_F_EVENT_IDX negotiated
  };

  DriverQueue() = default;

  // Initializes the ring in `ring` (zeroes it: the driver owns initialization,
  // 2.7.13.1) for `num` entries at `align`. `storage` must have num entries.
  static Result<DriverQueue> Create(shm::Region& ring, std::uint32_t num, std::uint32_t align,
                                    std::span<DriverDescState> storage, Options options);

  const RingLayout& layout() const { return layout_; }
  std::uint16_t num_free() const { return num_free_; }
  bool broken() const { return !broken_.ok(); }
  Status broken_status() const { return broken_; }
  // Shadows, for inspection (never read back from the ring): the avail
  // index we published and the next used entry we will consume (the used
  // index we have seen up to).
  RingIndex avail_shadow() const { return avail_idx_; }
  RingIndex last_used() const { return last_used_; }

  // Adds a chain of buffers and publishes it in the available ring. Returns
  // the head descriptor id. kResourceExhausted if not enough descriptors.
  Result<std::uint16_t> Add(shm::Region& ring, std::span<const BufferSpec> chain);
  Result<std::uint16_t> Add(shm::Region& ring, const BufferSpec& buffer) {
    return Add(ring, std::span<const BufferSpec>(&buffer, 1));
  }

  // Phase one of a kick (Linux virtqueue_kick_prepare): decides from the
  // device's avail_event (EVENT_IDX) or used->flags NO_NOTIFY whether the
  // device must be notified about buffers added since the last call.
  // Notifying is the caller's job.
  Result<bool> KickPrepare(shm::Region& ring);

  // Takes the next buffer from the used ring. kUnavailable when none is
  // pending; kDataLoss (latched) when the device returned a bad id/length.
  Result<UsedBuffer> TakeUsed(shm::Region& ring);
  // True if TakeUsed would return a buffer (or find a violation).
  Result<bool> HasUsed(shm::Region& ring);

  // Asks the device not to interrupt us (a hint; 2.7.7).
  void DisableCallbacks(shm::Region& ring);
  // Asks for an interrupt for the next used buffer. Returns true if buffers
  // arrived meanwhile: the caller must process them, since no interrupt will
  // come for them (the re-check that never strands a buffer).
  Result<bool> EnableCallbacks(shm::Region& ring);

 private:
  Status Break(Status s) {
    if (broken_.ok()) broken_ = s;
    return broken_;
  }
  Status CheckUsable(const shm::Region& ring) const;

  RingLayout layout_;
  std::span<DriverDescState> desc_;
  Options options_;
  Status broken_;
  std::uint16_t free_head_ = 0;
  std::uint16_t num_free_ = 0;
  RingIndex avail_idx_;            // shadow of avail->idx (what we published)
  RingIndex kicked_idx_;           // avail idx at the last KickPrepare
  RingIndex last_used_;            // next used entry to consume
  std::uint16_t avail_flags_ = 0;  // shadow of avail->flags
};

}  // namespace tandem::virtio
