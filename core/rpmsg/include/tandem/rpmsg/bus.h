#pragma once
// The RPMsg bus: endpoints, dispatch, sending and receiving over a pair of
// split virtqueues, shared by both roles. The roles are types (docs/style.md
// practice 2), not runtime branches:
//
//   HostBus   (host_bus.h)   the VirtIO driver, as Linux's
//                            virtio_rpmsg_bus.c: owns every buffer, posts its
//                            receive buffers in vring0, sends through vring1,
//                            turns name-service announcements into channels.
//   RemoteBus (remote_bus.h) the VirtIO device, as OpenAMP's remote side:
//                            sends by filling buffers the host posted in
//                            vring0, receives from vring1, announces its
//                            named endpoints.
//
// This class holds what both share; each role implements the private Do*()
// transport hooks over its own queue types.
//
// Threading contract (docs/architecture.md decision 9):
//  * One thread at a time runs Poll() - the "event thread": the platform's
//    loop that calls it when a notification for this vdev arrives, or a
//    firmware main loop. Poll() from a second thread, or from inside a
//    callback, returns kFailedPrecondition.
//  * Send*/TrySend*/AcquireTx/TxBuffer, Receive*/RxBuffer and stats() may be
//    called from any thread, concurrently with each other and with Poll().
//  * Callbacks (MessageHandler::OnMessage, ChannelHandler::OnBound/OnUnbound)
//    run on the thread that calls Poll() (or RegisterDriver()/Reset() for
//    channel events), with NO bus lock held, so a callback may send, even
//    blocking (OpenAMP issue #217 was a callback that deadlocked on the lock
//    Send takes). A callback that blocks stalls reception for its duration.
//  * Endpoints are created and destroyed on the event thread (including from
//    callbacks) or while Poll() is not running: the bus does not wait for a
//    callback running on another thread before DestroyEndpoint() returns.
//  * Start()/Reset() run on the event thread or while Poll() is not running.
//  * The bus calls Notifier::Notify() and Waiter::Wake() without its lock.
//
// Kicks: the bus notifies the peer only when the peer asked for it
// (EVENT_IDX / NO_NOTIFY, via DriverQueue::KickPrepare and
// DeviceQueue::NotifyPrepare), and defers kicks while Poll() runs or a
// TxBatch is open, so all buffers returned and all replies sent from
// callbacks during one Poll() cost at most one kick per vring.
//
// Errors: kFailedPrecondition (not started, endpoint not on this bus),
// kInvalidArgument (payload larger than the MTU: nothing sent; bad config),
// kUnavailable (Try*: no buffer or message now), kDeadlineExceeded (timed
// out), kAborted (the bus was reset while waiting), kDataLoss (the peer
// broke the ring protocol; the bus is latched broken until Reset()).

#include <cstddef>
#include <cstdint>
#include <span>

#include "tandem/base/result.h"
#include "tandem/base/span.h"
#include "tandem/rpmsg/buffers.h"
#include "tandem/rpmsg/endpoint.h"
#include "tandem/rpmsg/endpoint_table.h"
#include "tandem/rpmsg/platform.h"
#include "tandem/rpmsg/stats.h"
#include "tandem/rpmsg/timeout.h"
#include "tandem/shm/region.h"

namespace tandem::rpmsg {

// One vring as the resource table describes it (fw_rsc_vdev_vring), mapped.
struct VringConfig {
  shm::Region ring;            // the ring, at offset 0
  std::uint32_t num = 0;       // entries; also the buffers in this direction
  std::uint32_t align = 4096;  // fw_rsc_vdev_vring.align
  std::uint32_t notifyid = 0;  // what Notifier::Notify() sends for this vring
};

struct BusConfig {
  VringConfig vring0;  // remote -> host
  VringConfig vring1;  // host -> remote
  // Host: the buffer area, 2 * num * buffer_size bytes: the first half are
  // the receive buffers (posted in vring0), the second half the transmit
  // buffers (vring1), as Linux lays them out. Remote: the region every
  // buffer the host hands over must lie in (checked per descriptor).
  shm::Region buffers;
  std::uint32_t buffer_size = kDefaultBufferSize;  // bytes per buffer, header included
  bool event_idx = true;                           // VIRTIO_RING_F_EVENT_IDX negotiated
  bool name_service = true;                        // VIRTIO_RPMSG_F_NS negotiated
  Timeout send_timeout = kDefaultSendTimeout;      // for Send() without a timeout
  // Tandem's endpoint flow control negotiated (virtio/features.h
  // kRpmsgFeatureFlowControl, docs/flow_control.md). Off: address 54 is an
  // ordinary address and no flow message is ever sent.
  bool flow_control = false;
  // Remote only: the used length it returns for a host transmit buffer it
  // consumed (vring1). true: the descriptor's length, as OpenAMP's and
  // RPMsg-Lite's remotes do; OpenAMP's host takes the next send's room from
  // it (OpenAMP issue #349). false: 0, the bytes the device wrote (VirtIO
  // 1.x 2.7.8), which Linux's host accepts too. docs/decisions.md.
  bool used_len_is_buffer_len = true;
};

// A received message copied out by Bus::Receive().
struct Received {
  std::size_t len;
  std::uint32_t src;
};

class Bus {
 public:
  Bus(const Bus&) = delete;
  Bus& operator=(const Bus&) = delete;

  // --- Endpoints -------------------------------------------------------
  // Registers `endpoint` (caller-owned, must outlive its registration).
  // kAlreadyExists for a taken address or an endpoint already created,
  // kResourceExhausted when the table is full, kInvalidArgument for a name
  // of kNameSize characters or more.
  Status CreateEndpoint(Endpoint& endpoint, const EndpointConfig& config, MessageHandler& handler);
  // Receives into a bounded queue of held buffers in `queue` (caller storage,
  // empty handles). A queue with at least buffer_count() entries never
  // drops; a shorter one drops when full (stats().rx_queue_full). Storage
  // serves one endpoint at a time: kFailedPrecondition (kQueueStorageInUse)
  // if it overlaps another endpoint's queue (also for SetReceiveQueue).
  Status CreateEndpoint(Endpoint& endpoint, const EndpointConfig& config,
                        std::span<RxBuffer> queue);
  // No receiver yet: messages are dropped (rx_no_receiver) until one is set.
  Status CreateEndpoint(Endpoint& endpoint, const EndpointConfig& config);
  Status SetHandler(Endpoint& endpoint, MessageHandler& handler);
  Status SetReceiveQueue(Endpoint& endpoint, std::span<RxBuffer> queue);
  // Unregisters; queued messages go back to the peer; the remote role
  // announces NS DESTROY if it announced the endpoint; an endpoint that
  // paused its peer (SetIncomingFlow) resumes it first, if a buffer is free
  // at once. No-op if not created.
  void DestroyEndpoint(Endpoint& endpoint);

  // --- Sending ---------------------------------------------------------
  // From endpoint.address() to endpoint.peer(). Blocks up to the timeout
  // (default: BusConfig::send_timeout) for a free buffer.
  Status Send(Endpoint& endpoint, ConstByteSpan payload) {
    return Send(endpoint, payload, DefaultSendTimeout());
  }
  Status Send(Endpoint& endpoint, ConstByteSpan payload, Timeout timeout);
  // Never blocks: kUnavailable "no tx buffer".
  Status TrySend(Endpoint& endpoint, ConstByteSpan payload) {
    return Send(endpoint, payload, Timeout::None());
  }
  Status SendTo(Endpoint& endpoint, std::uint32_t dst, ConstByteSpan payload, Timeout timeout);
  Status TrySendTo(Endpoint& endpoint, std::uint32_t dst, ConstByteSpan payload) {
    return SendTo(endpoint, dst, payload, Timeout::None());
  }
  // With an arbitrary source address (Linux rpmsg_send_offchannel); the
  // endpoint only names the bus.
  Status SendOffChannel(Endpoint& endpoint, std::uint32_t src, std::uint32_t dst,
                        ConstByteSpan payload, Timeout timeout);

  // Zero-copy: a buffer to fill in place, addressed from the endpoint to its
  // peer (or to `dst`).
  Result<TxBuffer> AcquireTx(Endpoint& endpoint, Timeout timeout);
  Result<TxBuffer> AcquireTx(Endpoint& endpoint, std::uint32_t dst, Timeout timeout);

  // --- Flow control (docs/flow_control.md) -----------------------------
  // What Linux's rpmsg_char offers as RPMSG_SET_INCOMING_FLOWCONTROL and
  // RPMSG_GET_OUTGOING_FLOWCONTROL, per endpoint and its peer, negotiated:
  // every call returns kUnimplemented (kFlowControlNotNegotiated) when the
  // peer did not accept the feature, and then nothing is ever sent.
  //
  // Asks the peer to pause (true) or resume (false) sending to `endpoint`
  // (from its peer address): one 12-byte message to kFlowControlAddress,
  // waiting up to `timeout` for a tx buffer like any send.
  // kFailedPrecondition (kNoPeerAddress) while the peer is unknown.
  Status SetIncomingFlow(Endpoint& endpoint, bool pause, Timeout timeout);
  Status SetIncomingFlow(Endpoint& endpoint, bool pause) {
    return SetIncomingFlow(endpoint, pause, DefaultSendTimeout());
  }
  // Whether the peer endpoint `dst` (default: the endpoint's peer) asked
  // `endpoint` to pause sending to it. While it does, sends from the
  // endpoint to it wait (up to their timeout, then kDeadlineExceeded
  // kPeerPausedTimeout) or, non-blocking, return kUnavailable
  // (kPeerPaused): never dropped. A new link starts resumed. An endpoint
  // keeps at most Endpoint::kMaxPausedPeers paused destinations; a pause
  // beyond that evicts the oldest (Stats::flow_evicted, no OnPeerFlow for
  // it): the likely victim is the pause of a peer endpoint that went away.
  // DestroyEndpoint() resumes the peer of an endpoint that paused it.
  // The resume arrives through Poll(): a send from inside a message
  // callback (which runs in Poll()) cannot see it and waits its whole
  // timeout, stalling reception meanwhile, so callbacks send to a peer that
  // may pause them with Timeout::None() (kUnavailable while paused).
  // Messages to the name-service and flow-control addresses are never
  // paused, and a flow message may not speak for those addresses.
  Result<bool> OutgoingPaused(const Endpoint& endpoint) const {
    return OutgoingPaused(endpoint, kAddrAny);
  }
  Result<bool> OutgoingPaused(const Endpoint& endpoint, std::uint32_t dst) const;
  // Whether we asked the peer to pause (the last SetIncomingFlow()).
  Result<bool> IncomingPaused(const Endpoint& endpoint) const;
  // Negotiated on the running link.
  bool flow_control() const;

  // --- Receiving (queue endpoints) ------------------------------------
  // Copies the next message into `out`. kOutOfRange if it does not fit (the
  // message stays queued), kUnavailable with Timeout::None() and nothing
  // queued, kDeadlineExceeded on timeout.
  Result<Received> Receive(Endpoint& endpoint, ByteSpan out, Timeout timeout);
  // Zero-copy: takes the next message's buffer.
  Result<RxBuffer> ReceiveHeld(Endpoint& endpoint, Timeout timeout);

  // --- Event loop -------------------------------------------------------
  // Drains the receive ring: validates each message, dispatches it, returns
  // its buffer; recycles completed transmit buffers and wakes blocked
  // senders and receivers; then kicks the peer once per vring if it asked.
  // Returns kUnavailable if it stopped after a budget of 4 * buffer_count()
  // messages with more pending (call again), the latched error if the bus
  // is broken.
  Status Poll();

  // Ends every blocked Send/AcquireTx/Receive with kAborted, refuses new
  // sends and waits with kAborted, and makes a running Poll() deliver
  // nothing more, until the next Start(). Takes only the bus lock: a thread
  // that cannot take the caller's own lock around Poll() (a callback holds
  // it, blocked in a send) can still set that callback free. Call it before
  // Reset() when a callback may be blocked (vdev::HostLink::OnVdevReset).
  void AbortWaits();

  // Whether the peer should kick us for the messages it sends (default:
  // yes). A caller that polls the bus itself in a loop turns them off: the
  // peer then pays no doorbell per message and no thread of ours is woken
  // for one (VirtIO 1.x 2.7.7/2.7.10: VRING_AVAIL_F_NO_INTERRUPT, or
  // used_event / avail_event moved out of reach). While off, Poll() leaves
  // the receive ring's kicks off when it drains it, and blocking Receive()
  // waits for the next Poll() only. Turning them on asks for a kick again
  // at once; call Poll() after it, for what arrived while they were off
  // brought none. Our own choice only: the peer may always kick or not, and
  // nothing it writes decides whether our threads wake (hostile_peer.md).
  // Survives Start()/Reset(). Any thread, not under the caller's lock.
  void SetRxKicks(bool enabled);
  bool rx_kicks() const;

  // While a Poll() runs, a sender that waits for a tx buffer does not count
  // on that Poll() to reclaim one (its thread may be the blocked one: a
  // callback sending): it looks for buffers the peer consumed itself, every
  // kTxReclaimSliceNs.
  static constexpr std::uint64_t kTxReclaimSliceNs = 1'000'000;

  // --- State -------------------------------------------------------------
  Stats stats() const;
  // kOk while running, kFailedPrecondition when stopped, the latched
  // kDataLoss status once broken.
  Status status() const;
  std::uint32_t buffer_size() const { return buffer_size_; }
  std::uint32_t buffer_count() const { return num_; }
  // Largest payload: buffer_size() - 16.
  std::size_t mtu() const { return buffer_size_ > kHeaderSize ? buffer_size_ - kHeaderSize : 0; }

 protected:
  Bus(const BusPlatform& platform, std::span<EndpointSlot> endpoint_slots);
  // Virtual only to satisfy -Wnon-virtual-dtor; buses are never deleted
  // through a Bus*.
  virtual ~Bus();

  enum class State : std::uint8_t { kStopped, kRunning, kBroken };

  // What to do once the lock is released: kicks and wake-ups are never done
  // under the lock.
  struct Outbox {
    bool kick_tx = false;
    bool kick_rx = false;
    bool wake = false;
  };

  // A buffer taken from the receive ring, with the bytes the peer says it
  // holds. `dropped`: the role found it unusable (and counted why).
  struct RxSlot {
    BufferSlot slot;
    std::uint32_t length = 0;
    bool dropped = false;
  };

  // --- For the roles (lock held unless noted) ---------------------------
  Lock& lock() const { return lock_; }
  Waiter& waiter() const { return waiter_; }
  State state() const { return state_; }
  Stats& mutable_stats() { return stats_; }
  EndpointTable& table() { return table_; }
  shm::Region& buffers() { return buffers_; }
  std::uint64_t buffers_da() const { return buffers_.device_address(); }
  std::uint32_t rx_held() const { return rx_held_; }
  std::uint32_t tx_held() const { return tx_held_; }
  bool name_service() const { return name_service_; }
  bool has_tx_waiters() const { return tx_waiters_ > 0; }

  // Validates the shared parts of a config and adopts them.
  Status AdoptConfigLocked(const BusConfig& config, std::uint32_t tx_notifyid,
                           std::uint32_t rx_notifyid);
  void SetRunningLocked() {
    state_ = State::kRunning;
    aborting_ = false;
  }
  // Stopped: waiters are woken (kAborted), queued messages dropped, held
  // handles become inert (releasing them only updates counters).
  void StopLocked(Outbox& out);
  // Latches the bus broken with `s` (first error wins) and returns it.
  Status BreakLocked(Status s, Outbox& out);
  Status CreateEndpointLocked(Endpoint& endpoint, const EndpointConfig& config,
                              MessageHandler* handler = nullptr);
  void DestroyEndpointLocked(Endpoint& endpoint, Outbox& out);
  // Kick decisions for the end of a locked section (honours deferral).
  void PrepareKicksLocked(Outbox& out);
  // The same, ignoring deferral (before blocking).
  void ForceKicksLocked(Outbox& out);
  // A role moved buffers towards the peer outside the shared paths.
  void MarkTxDirtyLocked() { tx_dirty_ = true; }
  void MarkRxDirtyLocked() { rx_dirty_ = true; }
  // Not locked: notify / wake as collected.
  void Flush(const Outbox& out);
  // Takes a tx buffer without blocking (kUnavailable if none).
  Result<BufferSlot> TakeTxLocked(Outbox& out);
  Status SubmitTxLocked(const BufferSlot& slot, std::uint32_t bytes, Outbox& out);

 private:
  friend class RxBuffer;
  friend class TxBuffer;
  friend class ReceivedMessage;
  friend class TxBatch;

  // --- Transport hooks, implemented per role; all called with the lock held.
  // A non-kUnavailable error from a hook latches the bus broken.
  virtual Result<BufferSlot> DoTakeTx() = 0;            // kUnavailable: none now
  virtual void DoReturnTx(const BufferSlot& slot) = 0;  // unsent, back to the pool
  virtual Status DoSubmitTx(const BufferSlot& slot, std::uint32_t bytes) = 0;
  virtual Result<bool> DoTxNotifyPrepare() = 0;            // kick for sent buffers?
  virtual Result<RxSlot> DoTakeRx() = 0;                   // kUnavailable: none now
  virtual Status DoReleaseRx(const BufferSlot& slot) = 0;  // back to the peer
  virtual Result<bool> DoRxNotifyPrepare() = 0;            // kick for returned buffers?
  virtual Result<bool> DoRearmRx() = 0;                    // ask for rx kicks; true: more came
  virtual void DoQuietRx() = 0;                            // ask for no rx kicks
  virtual Result<bool> DoArmTxWakeup(bool armed) = 0;      // ask for tx kicks; true: buffers came
  virtual Result<bool> DoReclaimTx() = 0;                  // true: tx buffers may be free now
  virtual void DoFillStats(Stats& stats) const = 0;
  // Name-service hooks (remote role announces; host does not, like Linux).
  virtual void DoEndpointCreated(Endpoint&) {}
  virtual void DoEndpointDestroyed(Endpoint&) {}
  // Called without the lock at the end of Poll() and after endpoint changes.
  virtual void DoNameServiceWork() {}

  // Shared paths.
  Status SendFrom(Endpoint& endpoint, std::uint32_t src, std::uint32_t dst, ConstByteSpan payload,
                  Timeout timeout);
  Result<TxBuffer> AcquireTxFrom(Endpoint& endpoint, std::uint32_t src, std::uint32_t dst,
                                 Timeout timeout);
  Result<RxBuffer> PopQueued(Endpoint& endpoint, Timeout timeout, std::size_t max_len,
                             bool check_len);
  Status CheckEndpointLocked(const Endpoint& endpoint) const;
  bool QueueStorageInUseLocked(std::span<RxBuffer> queue, const Endpoint* except) const;
  Status UsableLocked() const;
  void Deliver(const RxSlot& rx);
  // A message to kFlowControlAddress with flow control on; returns the
  // endpoint and handler to tell of a change (null: none).
  MessageHandler* DeliverFlowLocked(ConstByteSpan payload, std::uint32_t src, Endpoint** endpoint,
                                    bool* paused, Outbox& out);
  // Index of `dst` among the endpoint's paused peers, -1 if not paused.
  static int PausedIndex(const Endpoint& endpoint, std::uint32_t dst);
  // The name-service and flow-control addresses: never paused.
  static bool IsBusServiceAddress(std::uint32_t address);
  void DropRxLocked(const BufferSlot& slot, Outbox& out);
  void DropQueuedLocked(Endpoint& endpoint, Outbox& out);
  void ReleaseRx(const BufferSlot& slot);
  Status SubmitTx(TxBuffer& tx, std::size_t len);
  void ReturnTx(const BufferSlot& slot);
  void ReturnTxUnheld(const BufferSlot& slot);
  void BeginBatch();
  void EndBatch();

  Notifier& notifier_;
  // BusConfig::send_timeout of the running link, read under the bus lock
  // (not held): Start() on another thread (a recovery) may be writing it.
  Timeout DefaultSendTimeout() const;
  Lock& lock_;
  Waiter& waiter_;
  EndpointTable table_;
  Status table_status_;
  shm::Region buffers_;
  Stats stats_;
  Status broken_;
  State state_ = State::kStopped;
  std::uint32_t buffer_size_ = 0;
  std::uint32_t num_ = 0;
  std::uint32_t tx_notifyid_ = 0;
  std::uint32_t rx_notifyid_ = 0;
  bool name_service_ = true;
  bool flow_control_ = false;
  Timeout send_timeout_ = kDefaultSendTimeout;
  std::uint32_t tx_held_ = 0;
  std::uint32_t rx_held_ = 0;
  std::uint32_t tx_waiters_ = 0;
  std::uint32_t rx_waiters_ = 0;
  std::uint32_t defer_kicks_ = 0;  // Poll() running or TxBatch open
  bool in_poll_ = false;
  bool aborting_ = false;  // AbortWaits() until the next Start()
  bool rx_kicks_ = true;   // SetRxKicks()
  bool tx_dirty_ = false;  // buffers sent since the last kick decision
  bool rx_dirty_ = false;  // buffers returned since the last kick decision
};

// Defers the tx kick of every send made while it lives (on any thread) to
// its destruction: one kick for a burst of messages. Do not block waiting
// for a tx buffer inside a batch longer than needed: the bus flushes the
// deferred kick itself before it waits, so the peer is never starved.
class TxBatch {
 public:
  explicit TxBatch(Bus& bus) : bus_(bus) { bus_.BeginBatch(); }
  ~TxBatch() { bus_.EndBatch(); }
  TxBatch(const TxBatch&) = delete;
  TxBatch& operator=(const TxBatch&) = delete;

 private:
  Bus& bus_;
};

}  // namespace tandem::rpmsg
