#include "tandem/rpmsg/host_bus.h"

#include <cstring>

#include "tandem/base/assert.h"
#include "tandem/base/checked_math.h"

namespace tandem::rpmsg {

namespace {
bool SameName(const char* a, const char* b) { return std::strncmp(a, b, kNameSize) == 0; }
}  // namespace

// --- Channel ---------------------------------------------------------------------

Status Channel::SetHandler(MessageHandler& handler) {
  if (bus_ == nullptr) return FailedPrecondition("channel not in use");
  return bus_->SetHandler(endpoint_, handler);
}
Status Channel::SetReceiveQueue(std::span<RxBuffer> queue) {
  if (bus_ == nullptr) return FailedPrecondition("channel not in use");
  return bus_->SetReceiveQueue(endpoint_, queue);
}
Status Channel::Send(ConstByteSpan payload) {
  if (bus_ == nullptr) return FailedPrecondition("channel not in use");
  return bus_->Send(endpoint_, payload);
}
Status Channel::Send(ConstByteSpan payload, Timeout timeout) {
  if (bus_ == nullptr) return FailedPrecondition("channel not in use");
  return bus_->Send(endpoint_, payload, timeout);
}
Status Channel::TrySend(ConstByteSpan payload) {
  if (bus_ == nullptr) return FailedPrecondition("channel not in use");
  return bus_->TrySend(endpoint_, payload);
}

// --- Lifecycle ------------------------------------------------------------------------

HostBus::HostBus(const BusPlatform& platform, const HostBusMemory& memory)
    : Bus(platform, memory.endpoints), memory_(memory) {}

HostBus::~HostBus() {
  // Our own endpoint must go while the HostBus is still whole.
  DestroyEndpoint(ns_endpoint_);
}

Status HostBus::Start(const BusConfig& config) {
  Outbox out;
  {
    LockGuard guard(lock());
    TANDEM_TRY(AdoptConfigLocked(config, config.vring1.notifyid, config.vring0.notifyid));
    const std::uint32_t num = config.vring0.num;
    if (memory_.rx_desc.size() < num || memory_.tx_desc.size() < num ||
        memory_.tx_free.size() < num) {
      return InvalidArgument("host bus storage smaller than the vring");
    }
    std::size_t area = 0;
    if (!CheckedMul<std::size_t>(std::size_t{2} * num, config.buffer_size, &area) ||
        config.buffers.size() < area) {
      return InvalidArgument("buffer area smaller than 2 * num * buffer_size");
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
      const virtio::BufferSpec rx{AddressOf(static_cast<std::uint16_t>(i), false),
                                  config.buffer_size, true};
      TANDEM_TRY(rx_queue_.Add(ring0_, rx));
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
    if (name_service() && !ns_endpoint_.created()) {
      const EndpointConfig ns{nullptr, kNsAddress, kAddrAny};
      TANDEM_TRY(CreateEndpointLocked(ns_endpoint_, ns, &name_service_handler_));
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
  // Unbind every channel, one at a time, calling out without the lock.
  for (;;) {
    Channel* bound = nullptr;
    ChannelHandler* driver = nullptr;
    {
      LockGuard guard(lock());
      for (Channel& c : memory_.channels) {
        if (c.state_ == Channel::State::kUnbound) {
          FreeChannelLocked(c);
        } else if (c.state_ == Channel::State::kBound) {
          c.state_ = Channel::State::kUnbinding;
          bound = &c;
          driver = c.driver_;
          break;
        }
      }
    }
    if (bound == nullptr) break;
    Unbind(*bound, *driver, true);
  }
  return OkStatus();
}

std::size_t HostBus::channel_count() const {
  LockGuard guard(lock());
  std::size_t n = 0;
  for (const Channel& c : memory_.channels) n += c.state_ != Channel::State::kFree ? 1 : 0;
  return n;
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
    return DataLoss(tx_half ? "used buffer is not one of our tx buffers"
                            : "used buffer is not one of our rx buffers");
  }
  const std::uint64_t delta = used.addr - base;
  if (delta % buffer_size() != 0 || delta / buffer_size() >= buffer_count() ||
      (!tx_half && used.len != buffer_size())) {
    return DataLoss(tx_half ? "used buffer is not one of our tx buffers"
                            : "used buffer is not one of our rx buffers");
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

Status HostBus::DoReleaseRx(const BufferSlot& slot) {
  const virtio::BufferSpec spec{AddressOf(slot.id, false), buffer_size(), true};
  return ToStatus(rx_queue_.Add(ring0_, spec));
}

Result<bool> HostBus::DoRxNotifyPrepare() { return rx_queue_.KickPrepare(ring0_); }

Result<bool> HostBus::DoRearmRx() { return rx_queue_.EnableCallbacks(ring0_); }

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

void HostBus::DoFillStats(Stats& stats) const {
  stats.tx_free = tx_free_count_;
  stats.tx_in_flight = tx_in_flight_;
  stats.rx_posted = state() == State::kRunning ? buffer_count() - rx_held() : 0;
}

// --- Name service --------------------------------------------------------------------

void HostBus::NameService::OnMessage(Endpoint&, ReceivedMessage& message) {
  bus_.OnNsMessage(message);
}

void HostBus::OnNsMessage(ReceivedMessage& message) {
  auto ns = ParseNsMessage(message.payload());
  if (!ns.ok()) {
    LockGuard guard(lock());
    ++mutable_stats().ns_malformed;
    return;
  }
  if (ns->flags == NsFlags::kCreate) {
    HandleCreate(*ns);
  } else {
    HandleDestroy(*ns);
  }
}

Channel* HostBus::FindChannelLocked(const char* name, std::uint32_t remote) {
  for (Channel& c : memory_.channels) {
    if (c.state_ != Channel::State::kFree && c.remote_ == remote && SameName(c.name_, name)) {
      return &c;
    }
  }
  return nullptr;
}

ChannelHandler* HostBus::FindDriverLocked(const char* name) {
  for (Driver& d : drivers_) {
    if (d.handler != nullptr && SameName(d.name, name)) return d.handler;
  }
  return nullptr;
}

Status HostBus::BindLocked(Channel& channel, ChannelHandler& driver) {
  // The local address is allocated at bind time, as Linux's rpmsg_dev_probe()
  // creates the endpoint when a driver matches.
  const EndpointConfig config{channel.name_, kAddrAny, channel.remote_};
  TANDEM_TRY(CreateEndpointLocked(channel.endpoint_, config));
  channel.state_ = Channel::State::kBound;
  channel.driver_ = &driver;
  return OkStatus();
}

void HostBus::FreeChannelLocked(Channel& channel) {
  channel.state_ = Channel::State::kFree;
  channel.bus_ = nullptr;
  channel.driver_ = nullptr;
  channel.remote_ = kAddrAny;
  std::memset(channel.name_, 0, sizeof(channel.name_));
}

void HostBus::Unbind(Channel& channel, ChannelHandler& driver, bool free_channel) {
  driver.OnUnbound(channel);  // no lock held
  Outbox out;
  {
    LockGuard guard(lock());
    DestroyEndpointLocked(channel.endpoint_, out);
    if (free_channel) {
      FreeChannelLocked(channel);
    } else {
      channel.state_ = Channel::State::kUnbound;
      channel.driver_ = nullptr;
    }
    PrepareKicksLocked(out);
  }
  Flush(out);
}

void HostBus::HandleCreate(const NsAnnouncement& ns) {
  Channel* channel = nullptr;
  ChannelHandler* driver = nullptr;
  {
    LockGuard guard(lock());
    // Linux: "channel %s:%x:%x already exist".
    if (FindChannelLocked(ns.name, ns.addr) != nullptr) {
      ++mutable_stats().ns_rejected;
      return;
    }
    for (Channel& c : memory_.channels) {
      if (c.state_ == Channel::State::kFree) {
        channel = &c;
        break;
      }
    }
    if (channel == nullptr) {
      ++mutable_stats().ns_rejected;
      return;
    }
    channel->bus_ = this;
    std::memcpy(channel->name_, ns.name, kNameSize);
    channel->remote_ = ns.addr;
    channel->state_ = Channel::State::kUnbound;
    driver = FindDriverLocked(ns.name);
    if (driver != nullptr && !BindLocked(*channel, *driver).ok()) {
      ++mutable_stats().ns_rejected;  // no room for its endpoint; stays unbound
      driver = nullptr;
    }
  }
  if (driver != nullptr) driver->OnBound(*channel);
}

void HostBus::HandleDestroy(const NsAnnouncement& ns) {
  Channel* channel = nullptr;
  ChannelHandler* driver = nullptr;
  {
    LockGuard guard(lock());
    channel = FindChannelLocked(ns.name, ns.addr);
    if (channel == nullptr) {
      ++mutable_stats().ns_rejected;
      return;
    }
    if (channel->state_ == Channel::State::kUnbound) {
      FreeChannelLocked(*channel);
      return;
    }
    if (channel->state_ != Channel::State::kBound) return;  // already going away
    channel->state_ = Channel::State::kUnbinding;
    driver = channel->driver_;
  }
  Unbind(*channel, *driver, true);
}

Status HostBus::RegisterDriver(const char* name, ChannelHandler& handler) {
  if (!ValidName(name)) return InvalidArgument("driver name empty or longer than 31 characters");
  {
    LockGuard guard(lock());
    Driver* slot = nullptr;
    for (Driver& d : drivers_) {
      if (d.handler == &handler) return AlreadyExists("channel handler already registered");
      if (d.handler == nullptr && slot == nullptr) slot = &d;
    }
    if (slot == nullptr) return ResourceExhausted("driver table full");
    std::memset(slot->name, 0, sizeof(slot->name));
    std::memcpy(slot->name, name, NameLength(name));
    slot->handler = &handler;
  }
  // Bind channels announced before the driver came (Linux matches devices
  // already on the bus when a driver registers).
  for (;;) {
    Channel* bound = nullptr;
    {
      LockGuard guard(lock());
      for (Channel& c : memory_.channels) {
        if (c.state_ == Channel::State::kUnbound && SameName(c.name_, name) &&
            FindDriverLocked(c.name_) == &handler) {
          if (BindLocked(c, handler).ok()) bound = &c;
          break;
        }
      }
    }
    if (bound == nullptr) break;
    handler.OnBound(*bound);
  }
  return OkStatus();
}

void HostBus::UnregisterDriver(ChannelHandler& handler) {
  {
    LockGuard guard(lock());
    for (Driver& d : drivers_) {
      if (d.handler == &handler) d = Driver{};
    }
  }
  for (;;) {
    Channel* bound = nullptr;
    {
      LockGuard guard(lock());
      for (Channel& c : memory_.channels) {
        if (c.state_ == Channel::State::kBound && c.driver_ == &handler) {
          c.state_ = Channel::State::kUnbinding;
          bound = &c;
          break;
        }
      }
    }
    if (bound == nullptr) break;
    Unbind(*bound, handler, false);
  }
}

}  // namespace tandem::rpmsg
