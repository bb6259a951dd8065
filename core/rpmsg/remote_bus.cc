#include "tandem/rpmsg/remote_bus.h"

#include "tandem/rpmsg/errors.h"

namespace tandem::rpmsg {

RemoteBus::RemoteBus(const BusPlatform& platform, const RemoteBusMemory& memory)
    : Bus(platform, memory.endpoints), memory_(memory) {}

Status RemoteBus::Start(const BusConfig& config) {
  {
    LockGuard guard(lock());
    TANDEM_TRY(AdoptConfigLocked(config, config.vring0.notifyid, config.vring1.notifyid));
    const std::uint32_t num = config.vring0.num;
    if (memory_.tx_stash.size() < num) return InvalidArgument(kRemoteStorageTooSmall);
    ring0_ = config.vring0.ring;
    ring1_ = config.vring1.ring;
    const virtio::DeviceQueue::Options options{config.event_idx};
    TANDEM_TRY_ASSIGN(tx_queue_,
                      virtio::DeviceQueue::Create(ring0_, num, config.vring0.align, options));
    TANDEM_TRY_ASSIGN(rx_queue_,
                      virtio::DeviceQueue::Create(ring1_, num, config.vring1.align, options));
    // AdoptConfigLocked() bounded num (<= 32768) and buffer_size (< 64 KiB).
    half_size_ = std::size_t{num} * config.buffer_size;
    used_len_is_buffer_len_ = config.used_len_is_buffer_len;
    stash_count_ = 0;
    pending_creates_ = 0;
    pending_destroy_head_ = 0;
    pending_destroy_count_ = 0;
    SetRunningLocked();
    // Endpoints created before the host was ready are announced now.
    if (name_service()) {
      table().ForEach([&](std::uint32_t, Endpoint* endpoint) {
        if (endpoint->name_[0] != '\0' && !endpoint->announce_pending_) {
          endpoint->announce_pending_ = true;
          ++pending_creates_;
        }
      });
    }
    // A fresh DeviceQueue asks for every kick; keep vring0 kicks only while
    // someone waits for a buffer.
    tx_armed_ = true;
    UpdateTxArmLocked(false)
        .status()
        .IgnoreError();  // nothing waits yet; a failure latches the queue
  }
  DoNameServiceWork();
  return OkStatus();
}

Status RemoteBus::Reset() {
  Outbox out;
  {
    LockGuard guard(lock());
    StopLocked(out);
    stash_count_ = 0;
    pending_creates_ = 0;
    pending_destroy_head_ = 0;
    pending_destroy_count_ = 0;
    tx_armed_ = false;
    table().ForEach([](std::uint32_t, Endpoint* endpoint) {
      endpoint->announced_ = false;
      endpoint->announce_pending_ = false;
    });
  }
  Flush(out);
  return OkStatus();
}

// --- Buffers ------------------------------------------------------------------------

Result<BufferSlot> RemoteBus::DoTakeTx() {
  if (stash_count_ > 0) return memory_.tx_stash[--stash_count_];
  TANDEM_TRY_ASSIGN(virtio::DescriptorChain chain, tx_queue_.Pop(ring0_));
  // Next() checks the buffer lies inside the buffer region and latches the
  // queue broken otherwise. Only the first descriptor is used (Linux posts
  // one per buffer).
  TANDEM_TRY_ASSIGN(virtio::Descriptor d, chain.Next(tx_queue_, ring0_, buffers()));
  if (!d.device_writes) return DataLoss(kHostBufferNotWritable);
  if (d.len < buffer_size()) return DataLoss(kHostBufferTooSmall);
  // The host's receive buffers are the first half of the area: one that
  // reaches into the second would have us write over its transmit buffers.
  if (d.offset >= half_size_ || d.len > half_size_ - d.offset) {
    return DataLoss(kHostRxBufferNotInRxHalf);
  }
  return BufferSlot{chain.head(), d.offset, buffer_size()};
}

void RemoteBus::DoReturnTx(const BufferSlot& slot) {
  if (stash_count_ < memory_.tx_stash.size()) {
    memory_.tx_stash[stash_count_++] = slot;
    return;
  }
  // More buffers out than the ring has entries: the host re-posted heads we
  // still hold. Hand it back empty rather than lose track of it.
  if (tx_queue_.PushUsed(ring0_, slot.id, 0).ok()) MarkTxDirtyLocked();
}

Status RemoteBus::DoSubmitTx(const BufferSlot& slot, std::uint32_t bytes) {
  return tx_queue_.PushUsed(ring0_, slot.id, bytes);
}

Result<bool> RemoteBus::DoTxNotifyPrepare() { return tx_queue_.NotifyPrepare(ring0_); }

Result<Bus::RxSlot> RemoteBus::DoTakeRx() {
  TANDEM_TRY_ASSIGN(virtio::DescriptorChain chain, rx_queue_.Pop(ring1_));
  TANDEM_TRY_ASSIGN(virtio::Descriptor d, chain.Next(rx_queue_, ring1_, buffers()));
  // The host's transmit buffers are the second half of the area.
  if (d.offset < half_size_ || d.offset - half_size_ >= half_size_ ||
      d.len > 2 * half_size_ - d.offset) {
    return DataLoss(kHostTxBufferNotInTxHalf);
  }
  RxSlot rx;
  rx.slot = BufferSlot{chain.head(), d.offset, d.len};
  rx.length = d.len;
  // Linux sends each message as one device-readable descriptor of header +
  // payload bytes, never more than a buffer. Anything else is dropped (the
  // buffer goes back); bounds were already checked by Next().
  if (d.device_writes || d.len > buffer_size()) {
    ++mutable_stats().rx_bad_buffer;
    rx.dropped = true;
  }
  return rx;
}

Status RemoteBus::DoReleaseRx(const BufferSlot& slot) {
  // VirtIO 1.x 2.7.8: len is the number of bytes written, 0 for a
  // device-readable buffer, and Linux ignores it. OpenAMP's host takes its
  // next send's room from it (used len - header: OpenAMP #349), as OpenAMP's
  // and RPMsg-Lite's remotes return the descriptor's length. By default we
  // do too (docs/decisions.md); capacity is the descriptor's length.
  return rx_queue_.PushUsed(ring1_, slot.id, used_len_is_buffer_len_ ? slot.capacity : 0);
}

Result<bool> RemoteBus::DoRxNotifyPrepare() { return rx_queue_.NotifyPrepare(ring1_); }

Result<bool> RemoteBus::DoRearmRx() { return rx_queue_.EnableNotifications(ring1_); }

void RemoteBus::DoQuietRx() { rx_queue_.DisableNotifications(ring1_); }

Result<bool> RemoteBus::DoArmTxWakeup(bool armed) { return UpdateTxArmLocked(armed); }

Result<bool> RemoteBus::UpdateTxArmLocked(bool senders_waiting) {
  const bool want = senders_waiting || HasNameServiceWorkLocked();
  if (want == tx_armed_) return false;
  tx_armed_ = want;
  if (want) return tx_queue_.EnableNotifications(ring0_);
  tx_queue_.DisableNotifications(ring0_);
  return false;
}

Result<bool> RemoteBus::DoReclaimTx() {
  if (stash_count_ > 0) return true;
  return tx_queue_.HasAvailable(ring0_);
}

void RemoteBus::DoFillStats(Stats& stats) const {
  stats.tx_free = static_cast<std::uint32_t>(stash_count_);
}

}  // namespace tandem::rpmsg
