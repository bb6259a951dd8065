#include "tandem/virtio/driver_queue.h"

#include "tandem/shm/fence.h"
#include "tandem/virtio/errors.h"

namespace tandem::virtio {

namespace {
// With EVENT_IDX, "no interrupt please" is expressed by a used_event the
// device cannot reach: at most `num` (<= 32768) buffers are outstanding, so
// last_used + 0x8000 never falls in the range the device moves through.
constexpr std::uint16_t kFarAway = 0x8000;
}  // namespace

Result<DriverQueue> DriverQueue::Create(shm::Region& ring, std::uint32_t num, std::uint32_t align,
                                        std::span<DriverDescState> storage, Options options) {
  TANDEM_TRY_ASSIGN(RingLayout layout, RingLayout::Compute(num, align));
  if (ring.size() < layout.size()) return InvalidArgument(kRingDoesNotFit);
  if (storage.size() < num) return InvalidArgument(kDescStorageTooSmall);
  // 2.7.13.1: the driver initializes the ring; indices and flags start at 0.
  TANDEM_TRY(ring.Fill(0, layout.size(), std::byte{0}));

  DriverQueue q;
  q.layout_ = layout;
  q.desc_ = storage.first(num);
  q.options_ = options;
  for (std::uint32_t i = 0; i < num; ++i) {
    q.desc_[i] = DriverDescState{0, 0, 0, static_cast<std::uint16_t>(i + 1), 0};
  }
  q.free_head_ = 0;
  q.num_free_ = static_cast<std::uint16_t>(num);
  return q;
}

Status DriverQueue::CheckUsable(const shm::Region& ring) const {
  if (!broken_.ok()) return broken_;
  if (layout_.num() == 0) return FailedPrecondition(kQueueNotInitialized);
  if (ring.size() < layout_.size()) return InvalidArgument(kRingRegionTooSmall);
  return OkStatus();
}

Result<std::uint16_t> DriverQueue::Add(shm::Region& ring, std::span<const BufferSpec> chain) {
  TANDEM_TRY(CheckUsable(ring));
  if (chain.empty()) return InvalidArgument(kEmptyChain);
  if (chain.size() > num_free_) return ResourceExhausted(kNoFreeDescriptors);
  std::uint32_t total = 0;
  bool seen_writable = false;
  for (const BufferSpec& b : chain) {
    // 2.7.4.2: device-writable descriptors come after all readable ones.
    if (seen_writable && !b.device_writes) {
      return InvalidArgument(kReadableAfterWritable);
    }
    seen_writable = seen_writable || b.device_writes;
    if (!CheckedAdd<std::uint32_t>(total, b.len, &total)) {
      return InvalidArgument(kChainLengthOverflow);
    }
  }

  const std::uint16_t head = free_head_;
  std::uint16_t id = head;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    const bool last = i + 1 == chain.size();
    const std::uint16_t next = desc_[id].next;  // next free descriptor, if any
    VringDesc d;
    d.addr.set(chain[i].addr);
    d.len.set(chain[i].len);
    d.flags.set(static_cast<std::uint16_t>((chain[i].device_writes ? kDescFlagWrite : 0) |
                                           (last ? 0 : kDescFlagNext)));
    d.next.set(last ? 0 : next);
    TANDEM_TRY(ring.Write(layout_.desc(id), d));
    desc_[id].addr = chain[i].addr;
    desc_[id].len = chain[i].len;
    if (last) {
      free_head_ = next;
    } else {
      id = next;
    }
  }
  desc_[head].chain_len = static_cast<std::uint16_t>(chain.size());
  desc_[head].chain_bytes = total;
  num_free_ = static_cast<std::uint16_t>(num_free_ - chain.size());

  TANDEM_TRY(ring.Write(layout_.avail_ring(avail_idx_.Slot(layout_.num())), Le16(head)));
  ++avail_idx_;
  // Publish: the descriptors and the ring entry above must be visible to the
  // device before the index that covers them (2.7.13.3).
  TANDEM_TRY(ring.PublishLe16(layout_.avail_idx(), avail_idx_.value()));
  return head;
}

Result<bool> DriverQueue::KickPrepare(shm::Region& ring) {
  TANDEM_TRY(CheckUsable(ring));
  // Full: our avail->idx store must be visible before we read the device's
  // avail_event/flags, or we could miss its request for a notification.
  shm::FullFence();
  const RingIndex old_idx = kicked_idx_;
  kicked_idx_ = avail_idx_;
  if (avail_idx_ == old_idx) return false;
  if (options_.event_idx) {
    TANDEM_TRY_ASSIGN(std::uint16_t event, ring.LoadLe16(layout_.avail_event()));
    return NeedEvent(RingIndex(event), avail_idx_, old_idx);
  }
  TANDEM_TRY_ASSIGN(std::uint16_t flags, ring.LoadLe16(layout_.used_flags()));
  return (flags & kUsedFlagNoNotify) == 0;
}

Result<bool> DriverQueue::HasUsed(shm::Region& ring) {
  TANDEM_TRY(CheckUsable(ring));
  TANDEM_TRY_ASSIGN(std::uint16_t used, ring.ConsumeLe16(layout_.used_idx()));
  const std::uint16_t pending = RingIndex(used).DistanceFrom(last_used_);
  if (pending > layout_.num()) return Break(DataLoss(kUsedIndexJumped));
  return pending != 0;
}

Result<UsedBuffer> DriverQueue::TakeUsed(shm::Region& ring) {
  // Consume: the used element must be read after the index that covers it.
  TANDEM_TRY_ASSIGN(bool pending, HasUsed(ring));
  if (!pending) return Unavailable(kNoUsedBuffer);

  TANDEM_TRY_ASSIGN(VringUsedElem elem,
                    ring.Read<VringUsedElem>(layout_.used_ring(last_used_.Slot(layout_.num()))));
  const std::uint32_t id = elem.id.get();
  const std::uint32_t written = elem.len.get();
  if (id >= layout_.num()) return Break(DataLoss(kUsedIdOutOfRange));
  DriverDescState& head = desc_[id];
  if (head.chain_len == 0) return Break(DataLoss(kUsedIdNotHandedOut));
  // 2.7.8.1: len is what the device wrote; it can never exceed the chain.
  if (written > head.chain_bytes) return Break(DataLoss(kUsedLengthTooLong));

  UsedBuffer out{static_cast<std::uint16_t>(id), written, head.addr, head.len, head.chain_len};

  // Return the chain to the free list, walking our own shadow links.
  std::uint16_t last = static_cast<std::uint16_t>(id);
  for (std::uint16_t i = 1; i < head.chain_len; ++i) last = desc_[last].next;
  desc_[last].next = free_head_;
  free_head_ = static_cast<std::uint16_t>(id);
  num_free_ = static_cast<std::uint16_t>(num_free_ + head.chain_len);
  head.chain_len = 0;
  head.chain_bytes = 0;
  ++last_used_;

  if (options_.event_idx && (avail_flags_ & kAvailFlagNoInterrupt) == 0) {
    // Ask for an interrupt at the next used entry (2.7.10). Ordered by the
    // full fence in EnableCallbacks() when it matters (before sleeping).
    TANDEM_TRY(ring.StoreLe16(layout_.used_event(), last_used_.value()));
  }
  return out;
}

void DriverQueue::DisableCallbacks(shm::Region& ring) {
  if (!CheckUsable(ring).ok()) return;
  avail_flags_ |= kAvailFlagNoInterrupt;
  if (options_.event_idx) {
    ring.StoreLe16(layout_.used_event(), static_cast<std::uint16_t>(last_used_.value() + kFarAway))
        .IgnoreError();  // bounds checked by CheckUsable
  } else {
    ring.StoreLe16(layout_.avail_flags(), avail_flags_).IgnoreError();
  }
}

Result<bool> DriverQueue::EnableCallbacks(shm::Region& ring) {
  TANDEM_TRY(CheckUsable(ring));
  avail_flags_ &= static_cast<std::uint16_t>(~kAvailFlagNoInterrupt);
  if (options_.event_idx) {
    TANDEM_TRY(ring.StoreLe16(layout_.used_event(), last_used_.value()));
  } else {
    TANDEM_TRY(ring.StoreLe16(layout_.avail_flags(), avail_flags_));
  }
  // Full: the request above must be visible before we re-read used->idx, so
  // a buffer the device pushed in between is either seen here or notified.
  shm::FullFence();
  return HasUsed(ring);
}

}  // namespace tandem::virtio
