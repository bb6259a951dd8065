#include "tandem/virtio/device_queue.h"

#include "tandem/shm/fence.h"
#include "tandem/virtio/errors.h"

namespace tandem::virtio {

Result<DeviceQueue> DeviceQueue::Create(const shm::Region& ring, std::uint32_t num,
                                        std::uint32_t align, Options options) {
  TANDEM_TRY_ASSIGN(RingLayout layout, RingLayout::Compute(num, align));
  if (ring.size() < layout.size()) return InvalidArgument(kRingDoesNotFit);
  DeviceQueue q;
  q.layout_ = layout;
  q.options_ = options;
  return q;
}

Status DeviceQueue::CheckUsable(const shm::Region& ring) const {
  if (!broken_.ok()) return broken_;
  if (layout_.num() == 0) return FailedPrecondition(kQueueNotInitialized);
  if (ring.size() < layout_.size()) return InvalidArgument(kRingRegionTooSmall);
  return OkStatus();
}

Result<std::uint16_t> DeviceQueue::ReadAvailIdx(const shm::Region& ring) {
  TANDEM_TRY(CheckUsable(ring));
  // Consume: ring entries and descriptors are read after the index.
  TANDEM_TRY_ASSIGN(std::uint16_t avail, ring.ConsumeLe16(layout_.avail_idx()));
  const std::uint16_t pending = RingIndex(avail).DistanceFrom(last_avail_);
  if (pending > layout_.num()) return Break(DataLoss(kAvailIndexJumped));
  return pending;
}

Result<bool> DeviceQueue::HasAvailable(shm::Region& ring) {
  TANDEM_TRY_ASSIGN(std::uint16_t pending, ReadAvailIdx(ring));
  return pending != 0;
}

Result<DescriptorChain> DeviceQueue::Pop(shm::Region& ring) {
  TANDEM_TRY_ASSIGN(std::uint16_t pending, ReadAvailIdx(ring));
  if (pending == 0) return Unavailable(kNoAvailableBuffer);
  TANDEM_TRY_ASSIGN(Le16 entry,
                    ring.Read<Le16>(layout_.avail_ring(last_avail_.Slot(layout_.num()))));
  const std::uint16_t head = entry.get();
  if (head >= layout_.num()) return Break(DataLoss(kAvailEntryOutOfRange));
  ++last_avail_;
  if (options_.event_idx && (used_flags_ & kUsedFlagNoNotify) == 0) {
    // Ask to be kicked for the next entry we have not seen (2.7.10). The
    // full fence in EnableNotifications() orders it before sleeping.
    TANDEM_TRY(ring.StoreLe16(layout_.avail_event(), last_avail_.value()));
  }
  DescriptorChain chain;
  chain.head_ = head;
  chain.next_ = head;
  chain.ttl_ = layout_.num();
  return chain;
}

Result<Descriptor> DescriptorChain::Next(DeviceQueue& queue, const shm::Region& ring,
                                         const shm::Region& buffers) {
  TANDEM_TRY(queue.CheckUsable(ring));
  if (done_) return NotFound(kEndOfChain);
  // A chain can hold at most `num` descriptors; more means it loops.
  if (ttl_ == 0) return queue.Break(DataLoss(kChainLoops));
  --ttl_;
  TANDEM_TRY_ASSIGN(VringDesc d, ring.Read<VringDesc>(queue.layout_.desc(next_)));
  const std::uint16_t flags = d.flags.get();
  if ((flags & kDescFlagIndirect) != 0) {
    return queue.Break(DataLoss(kIndirectNotNegotiated));
  }
  Descriptor out;
  out.addr = d.addr.get();
  out.len = d.len.get();
  out.device_writes = (flags & kDescFlagWrite) != 0;
  auto offset = buffers.Translate(out.addr, out.len);
  if (!offset.ok()) return queue.Break(DataLoss(kBufferOutsideShm));
  out.offset = offset.value();
  if ((flags & kDescFlagNext) != 0) {
    const std::uint16_t next = d.next.get();
    if (next >= queue.layout_.num()) return queue.Break(DataLoss(kNextOutOfRange));
    next_ = next;
  } else {
    done_ = true;
  }
  return out;
}

Status DeviceQueue::PushUsed(shm::Region& ring, std::uint16_t head, std::uint32_t written) {
  TANDEM_TRY(CheckUsable(ring));
  if (head >= layout_.num()) return InvalidArgument(kUsedHeadOutOfRange);
  VringUsedElem elem;
  elem.id.set(head);
  elem.len.set(written);
  TANDEM_TRY(ring.Write(layout_.used_ring(used_idx_.Slot(layout_.num())), elem));
  ++used_idx_;
  // Publish: the used element must be visible before used->idx (2.7.8).
  return ring.PublishLe16(layout_.used_idx(), used_idx_.value());
}

Result<bool> DeviceQueue::NotifyPrepare(shm::Region& ring) {
  TANDEM_TRY(CheckUsable(ring));
  // Full: our used->idx store must be visible before we read used_event or
  // avail->flags, or we could miss the driver's request for an interrupt.
  shm::FullFence();
  const RingIndex old_idx = notified_idx_;
  notified_idx_ = used_idx_;
  if (used_idx_ == old_idx) return false;
  if (options_.event_idx) {
    TANDEM_TRY_ASSIGN(std::uint16_t event, ring.LoadLe16(layout_.used_event()));
    return NeedEvent(RingIndex(event), used_idx_, old_idx);
  }
  TANDEM_TRY_ASSIGN(std::uint16_t flags, ring.LoadLe16(layout_.avail_flags()));
  return (flags & kAvailFlagNoInterrupt) == 0;
}

void DeviceQueue::DisableNotifications(shm::Region& ring) {
  if (!CheckUsable(ring).ok()) return;
  used_flags_ |= kUsedFlagNoNotify;
  // Without EVENT_IDX the flag is the request; with it, avail_event is not
  // advanced by Pop() while disabled, so the driver stops kicking once it is
  // past it. Writing the flag in both cases is harmless (2.7.10).
  ring.StoreLe16(layout_.used_flags(), used_flags_).IgnoreError();  // bounds checked above
}

Result<bool> DeviceQueue::EnableNotifications(shm::Region& ring) {
  TANDEM_TRY(CheckUsable(ring));
  used_flags_ &= static_cast<std::uint16_t>(~kUsedFlagNoNotify);
  TANDEM_TRY(ring.StoreLe16(layout_.used_flags(), used_flags_));
  if (options_.event_idx) TANDEM_TRY(ring.StoreLe16(layout_.avail_event(), last_avail_.value()));
  // Full: the request must be visible before we re-read avail->idx, so a
  // buffer added in between is either seen here or kicked.
  shm::FullFence();
  return HasAvailable(ring);
}

}  // namespace tandem::virtio
