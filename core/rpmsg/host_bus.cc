#include "tandem/rpmsg/host_bus.h"

#include "tandem/base/assert.h"
#include "tandem/base/checked_math.h"
#include "tandem/rpmsg/errors.h"

namespace tandem::rpmsg {

// --- Lifecycle ------------------------------------------------------------------------

HostBus::HostBus(const BusPlatform& platform, const HostBusMemory& memory)
    : Bus(platform, memory.endpoints), memory_(memory) {}

HostBus::~HostBus() {
  // Our own endpoint must go while the HostBus is still whole.
  DestroyEndpoint(name_service_.endpoint());
}

Status HostBus::Start(const BusConfig& config) {
  Outbox out;
  {
    LockGuard guard(lock());
    TANDEM_TRY(AdoptConfigLocked(config, config.vring1.notifyid, config.vring0.notifyid));
    const std::uint32_t num = config.vring0.num;
    if (memory_.rx_desc.size() < num || memory_.tx_desc.size() < num ||
        memory_.tx_free.size() < num) {
      return InvalidArgument(kHostStorageTooSmall);
    }
    std::size_t area = 0;
    if (!CheckedMul<std::size_t>(std::size_t{2} * num, config.buffer_size, &area) ||
        config.buffers.size() < area) {
      return InvalidArgument(kBufferAreaTooSmall);
    }
    ring0_ = config.vring0.ring;
    ring1_ = config.vring1.ring;
    const virtio::DriverQueue::Options options{config.event_idx};
    TANDEM_TRY_ASSIGN(rx_queue_, virtio::DriverQueue::Create(ring0_, num, config.vring0.align,
                                                             memory_.rx_desc, options));
    TANDEM_TRY_ASSIGN(tx_queue_, virtio::DriverQueue::Create(ring1_, num, config.vring1.align,
                                                             memory_.tx_desc, options));
    // Post every receive buffer before the remote may look (Linux
    // rpmsg_probe() does this before virtio_device_ready()).
    for (std::uint32_t i = 0; i < num; ++i) {
      TANDEM_TRY(PostRx(static_cast<std::uint16_t>(i)));
    }
    // No tx-complete interrupts unless a sender waits (Linux:
    // virtqueue_disable_cb(vrp->svq) in rpmsg_probe()).
    tx_queue_.DisableCallbacks(ring1_);
    // Never-used transmit buffers, lowest index on top.
    for (std::uint32_t i = 0; i < num; ++i) {
      memory_.tx_free[i] = static_cast<std::uint16_t>(num - 1 - i);
    }
    tx_free_count_ = num;
    tx_in_flight_ = 0;
    if (name_service() && !name_service_.endpoint().created()) {
      TANDEM_TRY(CreateEndpointLocked(name_service_.endpoint(), NameService::kEndpointConfig,
                                      &name_service_));
    }
    SetRunningLocked();
    // Kick vring0: the remote may be waiting for buffers to send into.
    MarkRxDirtyLocked();
    PrepareKicksLocked(out);
  }
  Flush(out);
  return OkStatus();
}

Status HostBus::Reset() {
  Outbox out;
  {
    LockGuard guard(lock());
    StopLocked(out);
    tx_free_count_ = 0;
    tx_in_flight_ = 0;
  }
  Flush(out);
  ReleaseAllChannels();
  return OkStatus();
}

// --- Buffers ---------------------------------------------------------------------------

std::uint64_t HostBus::AddressOf(std::uint16_t index, bool tx_half) const {
  // Start() checked that 2 * num * buffer_size fits the buffer region, and a
  // Region's device range never wraps, so this cannot overflow.
  const std::uint64_t n = tx_half ? std::uint64_t{buffer_count()} + index : index;
  return Bus::buffers_da() + n * buffer_size();
}

BufferSlot HostBus::SlotOf(std::uint16_t index, bool tx_half) const {
  const std::size_t n = tx_half ? std::size_t{buffer_count()} + index : index;
  return BufferSlot{index, n * buffer_size(), buffer_size()};
}

Result<std::uint16_t> HostBus::IndexOf(const virtio::UsedBuffer& used, bool tx_half) const {
  // The address is our own shadow of what we posted, never re-read from
  // shared memory; a mismatch means the ring state is corrupt.
  const std::uint64_t base = AddressOf(0, tx_half);
  if (used.chain_len != 1 || used.addr < base) {
    return tx_half ? DataLoss(kNotOurTxBuffer) : DataLoss(kNotOurRxBuffer);
  }
  const std::uint64_t delta = used.addr - base;
  if (delta % buffer_size() != 0 || delta / buffer_size() >= buffer_count() ||
      (!tx_half && used.len != buffer_size())) {
    return tx_half ? DataLoss(kNotOurTxBuffer) : DataLoss(kNotOurRxBuffer);
  }
  return static_cast<std::uint16_t>(delta / buffer_size());
}

Result<BufferSlot> HostBus::DoTakeTx() {
  if (tx_free_count_ > 0) return SlotOf(memory_.tx_free[--tx_free_count_], true);
  // Pool empty: recycle one the remote has consumed (Linux get_a_tx_buf()).
  TANDEM_TRY_ASSIGN(virtio::UsedBuffer used, tx_queue_.TakeUsed(ring1_));
  TANDEM_TRY_ASSIGN(std::uint16_t index, IndexOf(used, true));
  --tx_in_flight_;
  return SlotOf(index, true);
}

void HostBus::DoReturnTx(const BufferSlot& slot) {
  TANDEM_ASSERT(tx_free_count_ < buffer_count());
  memory_.tx_free[tx_free_count_++] = slot.id;
}

Status HostBus::DoSubmitTx(const BufferSlot& slot, std::uint32_t bytes) {
  const virtio::BufferSpec spec{AddressOf(slot.id, true), bytes, false};
  TANDEM_TRY(ToStatus(tx_queue_.Add(ring1_, spec)));
  ++tx_in_flight_;
  return OkStatus();
}

Result<bool> HostBus::DoTxNotifyPrepare() { return tx_queue_.KickPrepare(ring1_); }

Result<Bus::RxSlot> HostBus::DoTakeRx() {
  TANDEM_TRY_ASSIGN(virtio::UsedBuffer used, rx_queue_.TakeUsed(ring0_));
  TANDEM_TRY_ASSIGN(std::uint16_t index, IndexOf(used, false));
  RxSlot rx;
  rx.slot = SlotOf(index, false);
  // DriverQueue checked written <= what we posted (the buffer size).
  rx.length = used.written;
  return rx;
}

Status HostBus::DoReleaseRx(const BufferSlot& slot) { return PostRx(slot.id); }

Status HostBus::PostRx(std::uint16_t index) {
  // Mark the buffer unwritten: hdr.dst = RPMSG_ADDR_ANY, which no message
  // carries. A remote that returns the buffer without writing it (issue #10:
  // its descriptor was redirected to a tx buffer, so it wrote there) leaves
  // the mark, and Deliver() drops it (rx_dst_any) instead of delivering the
  // buffer's previous message again. One 4-byte store per buffer, ordered
  // before the descriptor by the avail->idx publish in Add().
  TANDEM_TRY(
      buffers().Write(SlotOf(index, false).offset + offsetof(RpmsgHeader, dst), Le32(kAddrAny)));
  const virtio::BufferSpec spec{AddressOf(index, false), buffer_size(), true};
  return ToStatus(rx_queue_.Add(ring0_, spec));
}

Result<bool> HostBus::DoRxNotifyPrepare() { return rx_queue_.KickPrepare(ring0_); }

Result<bool> HostBus::DoRearmRx() { return rx_queue_.EnableCallbacks(ring0_); }

void HostBus::DoQuietRx() { rx_queue_.DisableCallbacks(ring0_); }

Result<bool> HostBus::DoArmTxWakeup(bool armed) {
  if (armed) return tx_queue_.EnableCallbacks(ring1_);
  tx_queue_.DisableCallbacks(ring1_);
  return false;
}

Result<bool> HostBus::DoReclaimTx() {
  // Tx-complete processing: move every consumed buffer back to the pool, so
  // the pool counters are exact and waiting senders can be woken. Bounded:
  // at most num buffers are in flight.
  std::uint32_t reclaimed = 0;
  while (tx_in_flight_ > 0) {
    auto used = tx_queue_.TakeUsed(ring1_);
    if (!used.ok()) {
      if (used.status().code() == StatusCode::kUnavailable) break;
      return used.status();
    }
    TANDEM_TRY_ASSIGN(std::uint16_t index, IndexOf(*used, true));
    --tx_in_flight_;
    memory_.tx_free[tx_free_count_++] = index;
    ++reclaimed;
  }
  return reclaimed > 0 || tx_free_count_ > 0;
}

DriverQueueState HostBus::queue_state(std::size_t vring) const {
  LockGuard guard(lock());
  DriverQueueState q;
  if (vring > 1 || state() == State::kStopped) return q;
  const virtio::DriverQueue& queue = vring == 0 ? rx_queue_ : tx_queue_;
  q.started = true;
  q.num = queue.layout().num();
  q.num_free = queue.num_free();
  q.avail_idx = queue.avail_shadow().value();
  q.last_used = queue.last_used().value();
  q.broken = queue.broken_status();
  return q;
}

void HostBus::DoFillStats(Stats& stats) const {
  stats.tx_free = tx_free_count_;
  stats.tx_in_flight = tx_in_flight_;
  stats.rx_posted = state() == State::kRunning ? buffer_count() - rx_held() : 0;
}

}  // namespace tandem::rpmsg
