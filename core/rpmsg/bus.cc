#include "tandem/rpmsg/bus.h"

#include <cstring>
#include <utility>

#include "blocking_wait.h"
#include "tandem/base/assert.h"
#include "tandem/rpmsg/errors.h"

namespace tandem::rpmsg {

// --- Handles ---------------------------------------------------------------

Endpoint::~Endpoint() {
  if (bus_ != nullptr) bus_->DestroyEndpoint(*this);
}

void RxBuffer::Release() {
  if (bus_ == nullptr) return;
  Bus* bus = bus_;
  bus_ = nullptr;
  payload_ = {};
  bus->ReleaseRx(slot_);
}

Status TxBuffer::Send(std::size_t len) {
  if (bus_ == nullptr) return FailedPrecondition(kTxBufferEmpty);
  if (len > data_.size()) return InvalidArgument(kPayloadTooLarge);
  return bus_->SubmitTx(*this, len);
}

void TxBuffer::Release() {
  if (bus_ == nullptr) return;
  Bus* bus = bus_;
  bus_ = nullptr;
  data_ = {};
  bus->ReturnTx(slot_);
}

// --- Construction and state -------------------------------------------------

Bus::Bus(const BusPlatform& platform, std::span<EndpointSlot> endpoint_slots)
    : notifier_(platform.notifier), lock_(platform.lock), waiter_(platform.waiter) {
  auto table = EndpointTable::Create(endpoint_slots);
  if (table.ok()) {
    table_ = *table;
  } else {
    table_status_ = table.status();
  }
}

Bus::~Bus() {
  // Endpoints still registered would call back into a dead bus from their
  // destructors: detach them, and make their queued buffers inert.
  Outbox ignored;
  state_ = State::kStopped;  // so DropQueuedLocked() only counts
  table_.ForEach([&](std::uint32_t, Endpoint* endpoint) {
    DropQueuedLocked(*endpoint, ignored);
    endpoint->bus_ = nullptr;
  });
  // Handles the application still holds point at this bus: a use-after-free
  // waiting to happen, i.e. a bug in the caller.
  TANDEM_ASSERT(tx_held_ == 0 && rx_held_ == 0 && "buffer handles outlive their rpmsg bus");
}

Status Bus::UsableLocked() const {
  if (!table_status_.ok()) return table_status_;
  switch (state_) {
    case State::kRunning: return OkStatus();
    case State::kStopped: return FailedPrecondition(kNotStarted);
    case State::kBroken: return broken_;
  }
  return Internal(kStateCorrupt);
}

Status Bus::status() const {
  LockGuard guard(lock_);
  return UsableLocked();
}

Status Bus::AdoptConfigLocked(const BusConfig& config, std::uint32_t tx_notifyid,
                              std::uint32_t rx_notifyid) {
  TANDEM_TRY(table_status_);
  if (state_ == State::kRunning) return FailedPrecondition(kAlreadyStarted);
  if (tx_held_ != 0 || rx_held_ != 0) {
    return FailedPrecondition(kBuffersStillHeld);
  }
  if (config.vring0.num != config.vring1.num) {
    return InvalidArgument(kVringSizesDiffer);
  }
  const std::uint32_t num = config.vring0.num;
  if (num == 0 || num > 32768 || !IsPowerOfTwo(num)) {
    return InvalidArgument(kBadVringSize);
  }
  // hdr.len is 16 bits, so no payload can exceed 65535 bytes.
  if (config.buffer_size <= kHeaderSize || config.buffer_size > kHeaderSize + 0xFFFF) {
    return InvalidArgument(kBadBufferSize);
  }
  if (config.name_service && config.buffer_size < kHeaderSize + sizeof(NsMessage)) {
    return InvalidArgument(kBuffersTooSmallForNs);
  }
  buffers_ = config.buffers;
  buffer_size_ = config.buffer_size;
  num_ = num;
  tx_notifyid_ = tx_notifyid;
  rx_notifyid_ = rx_notifyid;
  name_service_ = config.name_service;
  flow_control_ = config.flow_control;
  send_timeout_ = config.send_timeout;
  broken_ = OkStatus();
  tx_dirty_ = false;
  rx_dirty_ = false;
  return OkStatus();
}

Timeout Bus::DefaultSendTimeout() const {
  LockGuard guard(lock_);
  return send_timeout_;
}

void Bus::StopLocked(Outbox& out) {
  state_ = State::kStopped;
  broken_ = OkStatus();
  table_.ForEach([&](std::uint32_t, Endpoint* endpoint) {
    DropQueuedLocked(*endpoint, out);
    // A new link starts with every endpoint flowing both ways.
    endpoint->paused_count_ = 0;
    endpoint->rx_paused_ = false;
  });
  tx_dirty_ = false;
  rx_dirty_ = false;
  out.wake = true;  // blocked senders and receivers return kAborted
}

Status Bus::BreakLocked(Status s, Outbox& out) {
  if (state_ != State::kBroken) {
    state_ = State::kBroken;
    broken_ = s.ok() ? Internal(kBrokenWithoutReason) : s;
    out.wake = true;
  }
  return broken_;
}

// --- Kicks ------------------------------------------------------------------

void Bus::PrepareKicksLocked(Outbox& out) {
  if (defer_kicks_ > 0) return;
  ForceKicksLocked(out);
}

void Bus::ForceKicksLocked(Outbox& out) {
  if (state_ != State::kRunning) return;
  // Phase one of each kick (Linux virtqueue_kick_prepare): only if buffers
  // moved since the last decision, and only if the peer asked to be told.
  if (tx_dirty_) {
    tx_dirty_ = false;
    auto kick = DoTxNotifyPrepare();
    if (!kick.ok()) {
      BreakLocked(kick.status(), out).IgnoreError();
      return;
    }
    out.kick_tx = out.kick_tx || *kick;
  }
  if (rx_dirty_) {
    rx_dirty_ = false;
    auto kick = DoRxNotifyPrepare();
    if (!kick.ok()) {
      BreakLocked(kick.status(), out).IgnoreError();
      return;
    }
    out.kick_rx = out.kick_rx || *kick;
  }
  stats_.notifications += (out.kick_tx ? 1 : 0) + (out.kick_rx ? 1 : 0);
}

void Bus::Flush(const Outbox& out) {
  // Phase two: the doorbell, outside the lock.
  std::uint32_t errors = 0;
  if (out.kick_tx && !notifier_.Notify(tx_notifyid_).ok()) ++errors;
  if (out.kick_rx && !notifier_.Notify(rx_notifyid_).ok()) ++errors;
  if (errors != 0) {
    LockGuard guard(lock_);
    stats_.notify_errors += errors;
  }
  if (out.wake) waiter_.Wake();
}

void Bus::BeginBatch() {
  LockGuard guard(lock_);
  ++defer_kicks_;
}

void Bus::EndBatch() {
  Outbox out;
  {
    LockGuard guard(lock_);
    TANDEM_ASSERT(defer_kicks_ > 0);
    --defer_kicks_;
    PrepareKicksLocked(out);
  }
  Flush(out);
}

// --- Endpoints ----------------------------------------------------------------

Status Bus::CheckEndpointLocked(const Endpoint& endpoint) const {
  if (endpoint.bus_ != this) return FailedPrecondition(kEndpointNotOnBus);
  return OkStatus();
}

Status Bus::CreateEndpointLocked(Endpoint& endpoint, const EndpointConfig& config,
                                 MessageHandler* handler) {
  TANDEM_TRY(table_status_);
  if (endpoint.bus_ != nullptr) return AlreadyExists(kEndpointExists);
  const std::size_t name_len = NameLength(config.name);
  if (name_len >= kNameSize) return InvalidArgument(kEndpointNameTooLong);
  std::uint32_t addr = config.addr;
  if (addr == kAddrAny) {
    TANDEM_TRY_ASSIGN(addr, table_.AllocateAddress());
  }
  TANDEM_TRY(table_.Insert(addr, &endpoint));
  endpoint.bus_ = this;
  endpoint.addr_ = addr;
  endpoint.peer_.store(config.peer, std::memory_order_release);
  std::memset(endpoint.name_, 0, sizeof(endpoint.name_));
  if (name_len != 0) std::memcpy(endpoint.name_, config.name, name_len);
  endpoint.handler_ = handler;
  endpoint.queue_ = {};
  endpoint.announced_ = false;
  endpoint.announce_pending_ = false;
  endpoint.paused_count_ = 0;
  endpoint.rx_paused_ = false;
  DoEndpointCreated(endpoint);
  return OkStatus();
}

Status Bus::CreateEndpoint(Endpoint& endpoint, const EndpointConfig& config,
                           MessageHandler& handler) {
  {
    LockGuard guard(lock_);
    TANDEM_TRY(CreateEndpointLocked(endpoint, config, &handler));
  }
  DoNameServiceWork();
  return OkStatus();
}

Status Bus::CreateEndpoint(Endpoint& endpoint, const EndpointConfig& config,
                           std::span<RxBuffer> queue) {
  TANDEM_TRY(ReceiveQueue::CheckStorage(queue));
  {
    LockGuard guard(lock_);
    if (QueueStorageInUseLocked(queue, nullptr)) return FailedPrecondition(kQueueStorageInUse);
    TANDEM_TRY(CreateEndpointLocked(endpoint, config));
    endpoint.queue_ = ReceiveQueue(queue);
  }
  DoNameServiceWork();
  return OkStatus();
}

Status Bus::CreateEndpoint(Endpoint& endpoint, const EndpointConfig& config) {
  {
    LockGuard guard(lock_);
    TANDEM_TRY(CreateEndpointLocked(endpoint, config));
  }
  DoNameServiceWork();
  return OkStatus();
}

Status Bus::SetHandler(Endpoint& endpoint, MessageHandler& handler) {
  LockGuard guard(lock_);
  TANDEM_TRY(CheckEndpointLocked(endpoint));
  if (!endpoint.queue_.empty()) return FailedPrecondition(kQueueNotEmpty);
  endpoint.queue_ = {};
  endpoint.handler_ = &handler;
  return OkStatus();
}

Status Bus::SetReceiveQueue(Endpoint& endpoint, std::span<RxBuffer> queue) {
  TANDEM_TRY(ReceiveQueue::CheckStorage(queue));
  LockGuard guard(lock_);
  TANDEM_TRY(CheckEndpointLocked(endpoint));
  if (!endpoint.queue_.empty()) return FailedPrecondition(kQueueNotEmpty);
  if (QueueStorageInUseLocked(queue, &endpoint)) return FailedPrecondition(kQueueStorageInUse);
  endpoint.handler_ = nullptr;
  endpoint.queue_ = ReceiveQueue(queue);
  return OkStatus();
}

bool Bus::QueueStorageInUseLocked(std::span<RxBuffer> queue, const Endpoint* except) const {
  // Two queues over one array would move handles over each other's (issue
  // #10). Not on the message path: once per SetReceiveQueue().
  bool in_use = false;
  table_.ForEach([&](std::uint32_t, const Endpoint* other) {
    if (other != except && other->queue_.Overlaps(queue)) in_use = true;
  });
  return in_use;
}

void Bus::DestroyEndpointLocked(Endpoint& endpoint, Outbox& out) {
  if (endpoint.bus_ != this) return;
  table_.Remove(endpoint.addr_);
  DropQueuedLocked(endpoint, out);
  DoEndpointDestroyed(endpoint);
  endpoint.bus_ = nullptr;
  endpoint.handler_ = nullptr;
  endpoint.queue_ = {};
  endpoint.announced_ = false;
  endpoint.announce_pending_ = false;
  if (rx_waiters_ > 0) out.wake = true;  // a Receive() on it must return
}

void Bus::DestroyEndpoint(Endpoint& endpoint) {
  // An endpoint that paused its peer resumes it as it goes (best effort,
  // never blocking): the peer would otherwise keep the pause of an address
  // nobody uses any more.
  bool resume = false;
  {
    LockGuard guard(lock_);
    resume =
        endpoint.bus_ == this && endpoint.rx_paused_ && flow_control_ && state_ == State::kRunning;
  }
  if (resume) SetIncomingFlow(endpoint, false, Timeout::None()).IgnoreError();
  Outbox out;
  {
    LockGuard guard(lock_);
    DestroyEndpointLocked(endpoint, out);
    PrepareKicksLocked(out);
  }
  Flush(out);
  DoNameServiceWork();
}

// --- Buffers ------------------------------------------------------------------

void Bus::DropRxLocked(const BufferSlot& slot, Outbox& out) {
  TANDEM_ASSERT(rx_held_ > 0);
  --rx_held_;
  // After Reset() the buffer belongs to a dead session: only count it.
  if (state_ != State::kRunning) return;
  Status s = DoReleaseRx(slot);
  if (!s.ok()) {
    BreakLocked(s, out).IgnoreError();
    return;
  }
  rx_dirty_ = true;
}

void Bus::DropQueuedLocked(Endpoint& endpoint, Outbox& out) {
  endpoint.queue_.Drain([&](RxBuffer& b) {
    DropRxLocked(b.slot_, out);
    b.bus_ = nullptr;  // inert: its destructor must not take the lock we hold
    b.payload_ = {};
  });
}

void Bus::ReleaseRx(const BufferSlot& slot) {
  Outbox out;
  {
    LockGuard guard(lock_);
    DropRxLocked(slot, out);
    PrepareKicksLocked(out);
  }
  Flush(out);
}

void Bus::ReturnTx(const BufferSlot& slot) {
  Outbox out;
  {
    LockGuard guard(lock_);
    TANDEM_ASSERT(tx_held_ > 0);
    --tx_held_;
    if (state_ == State::kRunning) DoReturnTx(slot);
    if (tx_waiters_ > 0) out.wake = true;
  }
  Flush(out);
}

Result<BufferSlot> Bus::TakeTxLocked(Outbox& out) {
  auto slot = DoTakeTx();
  if (!slot.ok() && slot.status().code() != StatusCode::kUnavailable) {
    return BreakLocked(slot.status(), out);
  }
  return slot;
}

Status Bus::SubmitTxLocked(const BufferSlot& slot, std::uint32_t bytes, Outbox& out) {
  Status s = DoSubmitTx(slot, bytes);
  if (!s.ok()) return BreakLocked(s, out);
  ++stats_.tx_messages;
  tx_dirty_ = true;
  return OkStatus();
}

Status Bus::SubmitTx(TxBuffer& tx, std::size_t len) {
  const BufferSlot slot = tx.slot_;
  // We own the buffer exclusively until it is submitted: header and payload
  // are written (and cleaned for the peer) without the lock.
  const RpmsgHeader header = MakeHeader(tx.src_, tx.dst_, static_cast<std::uint16_t>(len));
  Status written = buffers_.Write(slot.offset, header);
  buffers_.CleanForPeer(slot.offset + kHeaderSize, len);
  tx.bus_ = nullptr;
  tx.data_ = {};

  Outbox out;
  Status s;
  {
    LockGuard guard(lock_);
    TANDEM_ASSERT(tx_held_ > 0);
    --tx_held_;
    if (state_ != State::kRunning) {
      s = UsableLocked();
    } else if (!written.ok()) {
      DoReturnTx(slot);
      s = Internal(kTxOutsideRegion);
    } else {
      s = SubmitTxLocked(slot, static_cast<std::uint32_t>(kHeaderSize + len), out);
      PrepareKicksLocked(out);
    }
  }
  Flush(out);
  return s;
}

// --- Sending --------------------------------------------------------------------

Result<TxBuffer> Bus::AcquireTxFrom(Endpoint& endpoint, std::uint32_t src, std::uint32_t dst,
                                    Timeout timeout) {
  BlockingWait wait(waiter_, timeout);
  bool flow_waited = false;  // slept for the peer's resume at least once
  // The last sender to stop waiting turns tx-complete callbacks off again.
  auto stop_waiting = [&](Outbox& out) {
    if (wait.StopWaiting() && --tx_waiters_ == 0 && state_ == State::kRunning) {
      auto disarmed = DoArmTxWakeup(false);
      if (!disarmed.ok()) BreakLocked(disarmed.status(), out).IgnoreError();
    }
  };
  for (;;) {
    Outbox out;
    Status s;
    bool got = false;
    bool retry = false;
    bool reclaim_myself = false;  // a Poll() runs: it may not reclaim for us
    bool paused = false;          // the peer paused this endpoint: wait for it
    BufferSlot slot;
    std::uint32_t from = src;
    std::uint32_t to = dst;
    {
      LockGuard guard(lock_);
      s = UsableLocked();
      if (!s.ok() && (wait.waiting() || flow_waited) && state_ == State::kStopped) {
        s = Aborted(kResetWhileSending);
      }
      if (s.ok() && aborting_) s = Aborted(kResetWhileSending);
      if (s.ok()) s = CheckEndpointLocked(endpoint);
      if (s.ok()) {
        if (from == kAddrAny) from = endpoint.addr_;
        if (to == kAddrAny) to = endpoint.peer_.load(std::memory_order_acquire);
        if (to == kAddrAny) s = FailedPrecondition(kNoPeerAddress);
      }
      if (s.ok() && flow_control_ && !IsBusServiceAddress(to) && PausedIndex(endpoint, to) >= 0) {
        // Flow control: not a buffer to wait for but the peer's resume,
        // which DeliverFlowLocked() wakes us for.
        if (!wait.can_block()) {
          s = Unavailable(kPeerPaused);
        } else {
          paused = true;
          wait.PrepareLocked();
        }
      }
      if (s.ok() && !paused) {
        auto taken = TakeTxLocked(out);
        if (taken.ok()) {
          slot = *taken;
          got = true;
          ++tx_held_;
        } else if (taken.status().code() != StatusCode::kUnavailable) {
          s = taken.status();
        } else if (!wait.can_block()) {
          s = Unavailable(kNoTxBuffer);
        } else {
          if (wait.StartWaiting() && tx_waiters_++ == 0) {
            // Ask the peer to tell us when buffers come back (Linux:
            // rpmsg_upref_sleepers enables the tx-complete callback).
            auto armed = DoArmTxWakeup(true);
            if (!armed.ok()) {
              s = BreakLocked(armed.status(), out);
            } else {
              retry = *armed;
            }
          }
          if (s.ok() && !retry) {
            // Kicks deferred by Poll() or a TxBatch must reach the peer
            // before we sleep, or it may never return a buffer.
            ForceKicksLocked(out);
            wait.PrepareLocked();
            reclaim_myself = in_poll_;
          }
        }
      }
      if (got || !s.ok()) stop_waiting(out);
    }
    Flush(out);
    if (got) {
      auto data = buffers_.Bytes(slot.offset + kHeaderSize, slot.capacity - kHeaderSize);
      if (!data.ok()) {
        ReturnTxUnheld(slot);
        return Internal(kTxOutsideRegion);
      }
      return TxBuffer(this, slot, from, to, *data);
    }
    if (!s.ok()) return s;
    if (paused) {
      flow_waited = true;
      if (!wait.Sleep()) return DeadlineExceeded(kPeerPausedTimeout);
      continue;
    }
    if (retry) continue;
    if (!wait.Sleep(reclaim_myself ? kTxReclaimSliceNs : 0)) {
      Outbox late;
      {
        LockGuard guard(lock_);
        stop_waiting(late);
      }
      Flush(late);
      return DeadlineExceeded(kTxTimeout);
    }
  }
}

void Bus::ReturnTxUnheld(const BufferSlot& slot) {
  Outbox out;
  {
    LockGuard guard(lock_);
    --tx_held_;
    if (state_ == State::kRunning) DoReturnTx(slot);
  }
  Flush(out);
}

Result<TxBuffer> Bus::AcquireTx(Endpoint& endpoint, Timeout timeout) {
  return AcquireTxFrom(endpoint, kAddrAny, kAddrAny, timeout);
}

Result<TxBuffer> Bus::AcquireTx(Endpoint& endpoint, std::uint32_t dst, Timeout timeout) {
  return AcquireTxFrom(endpoint, kAddrAny, dst, timeout);
}

Status Bus::SendFrom(Endpoint& endpoint, std::uint32_t src, std::uint32_t dst,
                     ConstByteSpan payload, Timeout timeout) {
  // Refuse before taking a buffer: nothing is sent, no buffer moves.
  const std::size_t mtu_now = mtu();
  if (mtu_now != 0 && payload.size() > mtu_now) {
    return InvalidArgument(kPayloadTooLarge);
  }
  TANDEM_TRY_ASSIGN(TxBuffer tx, AcquireTxFrom(endpoint, src, dst, timeout));
  if (payload.size() > tx.capacity()) return InvalidArgument(kPayloadTooLarge);
  if (!payload.empty()) std::memcpy(tx.data().data(), payload.data(), payload.size());
  return tx.Send(payload.size());
}

Status Bus::Send(Endpoint& endpoint, ConstByteSpan payload, Timeout timeout) {
  return SendFrom(endpoint, kAddrAny, kAddrAny, payload, timeout);
}

Status Bus::SendTo(Endpoint& endpoint, std::uint32_t dst, ConstByteSpan payload, Timeout timeout) {
  if (dst == kAddrAny) return InvalidArgument(kDstAny);
  return SendFrom(endpoint, kAddrAny, dst, payload, timeout);
}

Status Bus::SendOffChannel(Endpoint& endpoint, std::uint32_t src, std::uint32_t dst,
                           ConstByteSpan payload, Timeout timeout) {
  // Linux rpmsg_send_offchannel_raw(): "Invalid addr" for either ANY.
  if (src == kAddrAny || dst == kAddrAny) {
    return InvalidArgument(kSrcOrDstAny);
  }
  return SendFrom(endpoint, src, dst, payload, timeout);
}

// --- Receiving -------------------------------------------------------------------

Result<RxBuffer> Bus::PopQueued(Endpoint& endpoint, Timeout timeout, std::size_t max_len,
                                bool check_len) {
  BlockingWait wait(waiter_, timeout);
  for (;;) {
    Status s;
    RxBuffer got;
    {
      LockGuard guard(lock_);
      s = CheckEndpointLocked(endpoint);
      if (!s.ok() && wait.waiting()) s = Aborted(kEndpointDestroyedWhileReceiving);
      ReceiveQueue& queue = endpoint.queue_;
      if (s.ok() && !queue.attached()) s = FailedPrecondition(kNoReceiveQueue);
      if (s.ok() && !queue.empty()) {
        if (check_len && queue.front().payload().size() > max_len) {
          s = OutOfRange(kReceiveBufferTooSmall);
        } else {
          got = queue.Pop();
        }
      } else if (s.ok()) {
        if (state_ != State::kRunning) {
          s = (wait.waiting() && state_ == State::kStopped) ? Aborted(kResetWhileReceiving)
                                                            : UsableLocked();
        } else if (aborting_) {
          s = Aborted(kResetWhileReceiving);
        } else if (!wait.can_block()) {
          s = Unavailable(kNoMessage);
        } else {
          if (wait.StartWaiting()) ++rx_waiters_;
          wait.PrepareLocked();
        }
      }
      if ((got.valid() || !s.ok()) && wait.StopWaiting()) --rx_waiters_;
    }
    if (got.valid()) return got;
    if (!s.ok()) return s;
    if (!wait.Sleep()) {
      LockGuard guard(lock_);
      if (wait.StopWaiting()) --rx_waiters_;
      return DeadlineExceeded(kRxTimeout);
    }
  }
}

Result<RxBuffer> Bus::ReceiveHeld(Endpoint& endpoint, Timeout timeout) {
  return PopQueued(endpoint, timeout, 0, false);
}

Result<Received> Bus::Receive(Endpoint& endpoint, ByteSpan out, Timeout timeout) {
  TANDEM_TRY_ASSIGN(RxBuffer buffer, PopQueued(endpoint, timeout, out.size(), true));
  const ConstByteSpan payload = buffer.payload();
  if (!payload.empty()) std::memcpy(out.data(), payload.data(), payload.size());
  return Received{payload.size(), buffer.src()};
}

// --- The receive path ----------------------------------------------------------------

void Bus::Deliver(const RxSlot& rx) {
  Outbox out;
  const BufferSlot& slot = rx.slot;
  auto drop = [&](std::uint32_t Stats::*counter) {
    {
      LockGuard guard(lock_);
      if (counter != nullptr) ++(stats_.*counter);
      DropRxLocked(slot, out);
    }
    Flush(out);
  };

  if (rx.dropped) return drop(nullptr);  // the role counted why
  // Linux rpmsg_recv_single(): a buffer must hold a header, and the header
  // must not claim more payload than arrived ("inbound msg too big").
  if (rx.length < kHeaderSize) return drop(&Stats::rx_too_short);
  auto header = buffers_.Read<RpmsgHeader>(slot.offset);  // one copy; only the copy is used
  if (!header.ok()) return drop(&Stats::rx_bad_buffer);
  const std::uint32_t len = header->len.get();
  if (len > rx.length - kHeaderSize) return drop(&Stats::rx_too_big);
  auto payload = buffers_.Bytes(slot.offset + kHeaderSize, len);
  if (!payload.ok()) return drop(&Stats::rx_bad_buffer);
  buffers_.InvalidateFromPeer(slot.offset + kHeaderSize, len);
  const std::uint32_t src = header->src.get();
  const std::uint32_t dst = header->dst.get();
  // Never a destination; on the host, the mark of a buffer the remote
  // returned unwritten (HostBus::PostRx).
  if (dst == kAddrAny) return drop(&Stats::rx_dst_any);

  Endpoint* endpoint = nullptr;
  MessageHandler* handler = nullptr;
  MessageHandler* flow_handler = nullptr;
  bool flow_paused = false;
  {
    LockGuard guard(lock_);
    endpoint = dst == kFlowControlAddress && flow_control_ ? nullptr : table_.Find(dst);
    if (dst == kFlowControlAddress && flow_control_) {
      flow_handler = DeliverFlowLocked(*payload, src, &endpoint, &flow_paused, out);
      DropRxLocked(slot, out);
    } else if (endpoint == nullptr) {
      ++stats_.rx_no_endpoint;
      DropRxLocked(slot, out);
    } else {
      if (src != kAddrAny) {
        // Learn the peer from the first message (OpenAMP); never overwrite.
        // peer_ is written only under the bus lock (here and at creation),
        // so a load and a store do it: no read-modify-write atomic, which an
        // ARMv6-M core (M0+) does not have.
        if (endpoint->peer_.load(std::memory_order_relaxed) == kAddrAny) {
          endpoint->peer_.store(src, std::memory_order_release);
        }
      }
      if (endpoint->queue_.attached()) {
        // can_push(): never move over a live handle, which would release it
        // under our own lock (receive_queue.h).
        if (!endpoint->queue_.can_push()) {
          ++stats_.rx_queue_full;
          DropRxLocked(slot, out);
        } else {
          endpoint->queue_.Push(RxBuffer(this, slot, src, dst, *payload));
          ++stats_.rx_messages;
          if (rx_waiters_ > 0) out.wake = true;
        }
      } else if (endpoint->handler_ != nullptr) {
        handler = endpoint->handler_;
        ++stats_.rx_messages;
      } else {
        ++stats_.rx_no_receiver;
        DropRxLocked(slot, out);
      }
    }
  }
  Flush(out);
  if (flow_handler != nullptr) flow_handler->OnPeerFlow(*endpoint, src, flow_paused);
  if (handler != nullptr) {
    // No lock held: the callback may send, hold, create or destroy.
    ReceivedMessage message(RxBuffer(this, slot, src, dst, *payload));
    handler->OnMessage(*endpoint, message);
    // message's destructor returns the buffer unless the callback held it.
  }
}

// The addresses the bus itself serves (name service, flow control): never
// paused, never a flow message's speaker.
bool Bus::IsBusServiceAddress(std::uint32_t address) {
  return address == kNsAddress || address == kFlowControlAddress;
}

MessageHandler* Bus::DeliverFlowLocked(ConstByteSpan payload, std::uint32_t src,
                                       Endpoint** endpoint, bool* paused, Outbox& out) {
  *endpoint = nullptr;
  auto flow = ParseFlowMessage(payload);
  // A flow message speaks for the endpoint that sends it: a payload naming
  // another source is refused (ST's proposal takes the payload's word).
  // Nor may it speak for the bus's own services: a pause "from" the name
  // service or flow-control address would hold back our announcements and
  // our own flow messages.
  if (!flow.ok() || flow->src != src || IsBusServiceAddress(flow->src)) {
    ++stats_.flow_malformed;
    return nullptr;
  }
  Endpoint* target = table_.Find(flow->dst);
  if (target == nullptr) {
    ++stats_.flow_unknown;
    return nullptr;
  }
  // The pause is the speaker's own: it can stop only what we send to it.
  const int index = PausedIndex(*target, flow->src);
  if (flow->paused == (index >= 0)) {  // no change: no callback
    ++stats_.flow_received;
    return nullptr;
  }
  auto remove = [&](std::size_t at) {  // oldest first: keep the order
    for (std::size_t i = at + 1; i < target->paused_count_; ++i) {
      target->paused_peers_[i - 1] = target->paused_peers_[i];
    }
    --target->paused_count_;
    out.wake = true;  // senders waiting for the resume
  };
  if (flow->paused) {
    if (target->paused_count_ == Endpoint::kMaxPausedPeers) {
      // Full: the oldest pause goes. Every entry is the peer's own request,
      // so a peer that floods pauses only undoes its own; the likely victim
      // is a pause whose endpoint went away without resuming.
      ++stats_.flow_evicted;
      remove(0);
    }
    target->paused_peers_[target->paused_count_++] = flow->src;
  } else {
    remove(static_cast<std::size_t>(index));
  }
  ++stats_.flow_received;
  *endpoint = target;
  *paused = flow->paused;
  return target->handler_;
}

Status Bus::SetIncomingFlow(Endpoint& endpoint, bool pause, Timeout timeout) {
  std::uint32_t peer = kAddrAny;
  {
    LockGuard guard(lock_);
    TANDEM_TRY(CheckEndpointLocked(endpoint));
    TANDEM_TRY(UsableLocked());
    if (!flow_control_) return Unimplemented(kFlowControlNotNegotiated);
    peer = endpoint.peer_.load(std::memory_order_relaxed);
    if (peer == kAddrAny) return FailedPrecondition(kNoPeerAddress);
  }
  const FlowMessage msg = MakeFlowMessage(endpoint.address(), peer, pause);
  TANDEM_TRY(SendFrom(endpoint, endpoint.address(), kFlowControlAddress,
                      ConstByteSpan(reinterpret_cast<const std::byte*>(&msg), sizeof(msg)),
                      timeout));
  LockGuard guard(lock_);
  ++stats_.flow_sent;
  endpoint.rx_paused_ = pause;
  return OkStatus();
}

Result<bool> Bus::OutgoingPaused(const Endpoint& endpoint, std::uint32_t dst) const {
  LockGuard guard(lock_);
  TANDEM_TRY(CheckEndpointLocked(endpoint));
  if (!flow_control_) return Unimplemented(kFlowControlNotNegotiated);
  if (dst == kAddrAny) dst = endpoint.peer_.load(std::memory_order_relaxed);
  return dst != kAddrAny && PausedIndex(endpoint, dst) >= 0;
}

int Bus::PausedIndex(const Endpoint& endpoint, std::uint32_t dst) {
  for (std::size_t i = 0; i < endpoint.paused_count_; ++i) {
    if (endpoint.paused_peers_[i] == dst) return static_cast<int>(i);
  }
  return -1;
}

Result<bool> Bus::IncomingPaused(const Endpoint& endpoint) const {
  LockGuard guard(lock_);
  TANDEM_TRY(CheckEndpointLocked(endpoint));
  if (!flow_control_) return Unimplemented(kFlowControlNotNegotiated);
  return endpoint.rx_paused_;
}

bool Bus::flow_control() const {
  LockGuard guard(lock_);
  return flow_control_;
}

Status Bus::Poll() {
  {
    LockGuard guard(lock_);
    if (in_poll_) {
      return FailedPrecondition(kPollReentered);
    }
    TANDEM_TRY(UsableLocked());
    in_poll_ = true;
    ++defer_kicks_;
  }

  Status result;
  const std::uint32_t budget = 4 * num_;
  std::uint32_t handled = 0;
  for (;;) {
    Outbox out;
    Result<RxSlot> rx = Unavailable(kNoRxBuffer);
    bool done = false;
    {
      LockGuard guard(lock_);
      Status s = UsableLocked();
      if (!s.ok()) {
        result = s;
        done = true;
      } else if (aborting_) {
        done = true;  // going down: deliver nothing more
      } else {
        rx = DoTakeRx();
        if (rx.ok()) {
          ++rx_held_;
        } else if (rx.status().code() != StatusCode::kUnavailable) {
          result = BreakLocked(rx.status(), out);
          done = true;
        } else if (!rx_kicks_) {
          // Drained, and the caller polls: no kick for the next message.
          DoQuietRx();
          done = true;
        } else {
          // Drained: ask for a kick for the next message, and re-check, so a
          // message that arrived in between is not stranded (practice 12).
          auto more = DoRearmRx();
          if (!more.ok()) {
            result = BreakLocked(more.status(), out);
            done = true;
          } else {
            done = !*more;
          }
        }
      }
    }
    Flush(out);
    if (rx.ok()) {
      Deliver(*rx);
      if (++handled >= budget) {
        result = Unavailable(kPollBudgetUsed);
        break;
      }
      continue;
    }
    if (done) break;
  }

  Outbox out;
  {
    LockGuard guard(lock_);
    in_poll_ = false;
    --defer_kicks_;
    if (state_ == State::kRunning) {
      // Tx completions (host: vring1 used ring) and wake-ups of senders.
      auto reclaimed = DoReclaimTx();
      if (!reclaimed.ok()) {
        BreakLocked(reclaimed.status(), out).IgnoreError();
      } else if (*reclaimed && tx_waiters_ > 0) {
        out.wake = true;
      }
    }
    PrepareKicksLocked(out);
    if (result.ok() && state_ == State::kBroken) result = broken_;
  }
  Flush(out);
  DoNameServiceWork();
  return result;
}

void Bus::AbortWaits() {
  Outbox out;
  {
    LockGuard guard(lock_);
    aborting_ = true;
    out.wake = true;
  }
  Flush(out);
}

void Bus::SetRxKicks(bool enabled) {
  Outbox out;
  {
    LockGuard guard(lock_);
    rx_kicks_ = enabled;
    if (state_ == State::kRunning) {
      if (enabled) {
        // Whether more came is for the caller's next Poll() to find.
        auto more = DoRearmRx();
        if (!more.ok()) BreakLocked(more.status(), out).IgnoreError();
      } else {
        DoQuietRx();
      }
    }
  }
  Flush(out);
}

bool Bus::rx_kicks() const {
  LockGuard guard(lock_);
  return rx_kicks_;
}

Stats Bus::stats() const {
  LockGuard guard(lock_);
  Stats s = stats_;
  s.lookups = table_.lookups();
  s.lookup_probes = table_.probes();
  s.buffers_per_direction = num_;
  s.tx_held = tx_held_;
  s.rx_held = rx_held_;
  DoFillStats(s);
  return s;
}

}  // namespace tandem::rpmsg
