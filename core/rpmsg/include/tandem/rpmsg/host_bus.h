#pragma once
// The host role of the RPMsg bus: the VirtIO driver, as Linux's
// drivers/rpmsg/virtio_rpmsg_bus.c.
//
// Buffers: the host owns them all, in one contiguous area of
// 2 * num * buffer_size bytes. The first half are receive buffers: Start()
// posts each, device-writable, in vring0 (remote -> host) before the remote
// may run, and every buffer received is re-posted once its message has been
// handled (or released by the application). The second half are transmit
// buffers: taken from the never-used pool first, then recycled from vring1's
// used ring (Linux get_a_tx_buf()), each sent as one device-readable
// descriptor of header + payload bytes.
//
// Notifications: receive callbacks are always enabled on vring0; tx-complete
// callbacks on vring1 only while a sender waits for a buffer (Linux:
// rpmsg_upref_sleepers()). Poll() handles both.
//
// Name service: with VIRTIO_RPMSG_F_NS the bus listens on kNsAddress
// (name_service.h) and turns the remote's announcements into Channels
// (channel.h), bound to the ChannelHandlers registered for their names
// (driver_registry.h). Like Linux, the host announces nothing of its own.
//
// Files: host_bus.cc is the transport (virtio_rpmsg_bus.c), host_channels.cc
// the channels and their drivers, name_service.cc the name service.
//
// Lifecycle: construct, RegisterDriver()s, Start() (before the remote is
// released / DRIVER_OK is set), Poll() on every notification of vring0 or
// vring1. Reset() when the remote died or is restarted: every channel is
// unbound, blocked calls return kAborted; Start() again for the next run.
// Threading: see bus.h.

#include <cstddef>
#include <cstdint>
#include <span>

#include "tandem/rpmsg/bus.h"
#include "tandem/rpmsg/channel.h"
#include "tandem/rpmsg/driver_registry.h"
#include "tandem/rpmsg/name_service.h"
#include "tandem/virtio/driver_queue.h"

namespace tandem::rpmsg {

// Caller-provided memory of a HostBus (no heap).
struct HostBusMemory {
  std::span<virtio::DriverDescState> rx_desc;  // >= vring size
  std::span<virtio::DriverDescState> tx_desc;  // >= vring size
  std::span<std::uint16_t> tx_free;            // >= vring size
  std::span<EndpointSlot> endpoints;           // power of two; 3/4 usable
  std::span<Channel> channels;                 // the channel pool
};

// Storage sized at compile time; pass storage.memory() to HostBus.
template <std::uint16_t kBuffers, std::size_t kEndpointSlots = 64, std::size_t kChannels = 16>
struct HostBusStorage {
  virtio::DriverDescState rx_desc[kBuffers] = {};
  virtio::DriverDescState tx_desc[kBuffers] = {};
  std::uint16_t tx_free[kBuffers] = {};
  EndpointSlot endpoints[kEndpointSlots];
  Channel channels[kChannels];
  HostBusMemory memory() { return {rx_desc, tx_desc, tx_free, endpoints, channels}; }
};

// The driver's own view of one of its vrings, for inspection: shadows and
// counts the bus keeps, nothing read from shared memory.
struct DriverQueueState {
  bool started = false;         // the bus runs (or broke) over this ring
  std::uint16_t num = 0;        // ring size
  std::uint16_t num_free = 0;   // descriptors free for the driver
  std::uint16_t avail_idx = 0;  // avail->idx as we published it
  std::uint16_t last_used = 0;  // the next used entry we consume
  Status broken;                // the ring's latched violation, if any
};

class HostBus final : public Bus, private NameServiceListener {
 public:
  static constexpr std::size_t kMaxDrivers = DriverRegistry::kMaxDrivers;

  HostBus(const BusPlatform& platform, const HostBusMemory& memory);
  ~HostBus() override;

  // Initializes both rings (the driver owns initialization, VirtIO 1.x
  // 2.7.13.1), posts every receive buffer in vring0 and kicks it.
  // kInvalidArgument for a config that cannot work (vring sizes differ or are
  // not powers of two, buffer area smaller than 2 * num * buffer_size,
  // storage smaller than the vring), kFailedPrecondition if running or if
  // handles of the previous session are still held.
  Status Start(const BusConfig& config);
  // The peer is gone: stop, unbind every channel (OnUnbound), wake blocked
  // callers with kAborted. Handles still held become inert.
  Status Reset();

  // Binds `handler` to a channel named `name` (now or as announced later):
  // one at a time unless handler.ServesSeveralChannels() (channel.h).
  // One registration per handler. kAlreadyExists, kResourceExhausted
  // (kMaxDrivers), kInvalidArgument for an empty or too long name.
  Status RegisterDriver(const char* name, ChannelHandler& handler);
  // Unbinds its channels (OnUnbound); they stay, unbound, for another
  // handler of their name (bound now if one is free) or a later driver.
  void UnregisterDriver(ChannelHandler& handler);

  // Channels in use (bound or waiting for a driver).
  std::size_t channel_count() const;

  // What a channel in use looks like now (a copy: the Channel itself may be
  // unbound and reused the moment the lock is dropped).
  struct ChannelInfo {
    char name[kNameSize] = {};
    std::uint32_t local = kAddrAny;   // kAddrAny while no driver is bound
    std::uint32_t remote = kAddrAny;  // the address the remote announced
    bool bound = false;
  };
  // Copies up to out.size() channels in use into `out`, in pool order;
  // returns how many are in use (may exceed out.size()). For listings
  // (`tandem channels`) and for opening an endpoint to an announced service
  // by name without binding a driver to it (Linux's rpmsg_char).
  std::size_t Channels(std::span<ChannelInfo> out) const;
  // vring 0 (remote -> host, receive) or 1 (host -> remote, transmit), under
  // the bus lock; read-only. Not started for another index.
  DriverQueueState queue_state(std::size_t vring) const;

 private:
  // Transport hooks (bus.h).
  Result<BufferSlot> DoTakeTx() override;
  void DoReturnTx(const BufferSlot& slot) override;
  Status DoSubmitTx(const BufferSlot& slot, std::uint32_t bytes) override;
  Result<bool> DoTxNotifyPrepare() override;
  Result<RxSlot> DoTakeRx() override;
  Status DoReleaseRx(const BufferSlot& slot) override;
  Result<bool> DoRxNotifyPrepare() override;
  Result<bool> DoRearmRx() override;
  void DoQuietRx() override;
  Result<bool> DoArmTxWakeup(bool armed) override;
  Result<bool> DoReclaimTx() override;
  void DoFillStats(Stats& stats) const override;

  // Maps a used buffer (our own shadow address) back to a buffer index of
  // one half of the area; anything else means the ring state is corrupt.
  Result<std::uint16_t> IndexOf(const virtio::UsedBuffer& used, bool tx_half) const;
  BufferSlot SlotOf(std::uint16_t index, bool tx_half) const;
  // Marks receive buffer `index` unwritten and posts it in vring0.
  Status PostRx(std::uint16_t index);
  std::uint64_t AddressOf(std::uint16_t index, bool tx_half) const;

  // Name service (name_service.h): announcements become channels, as
  // Linux's rpmsg_create_channel() / rpmsg_release_channel().
  void OnNsCreate(const NsAnnouncement& ns) override;
  void OnNsDestroy(const NsAnnouncement& ns) override;
  void OnNsMalformed(Status why) override;

  // Channels (host_channels.cc).
  Channel* FindChannelLocked(const char* name, std::uint32_t remote);
  Status BindLocked(Channel& channel, ChannelHandler& driver);
  // Bound (or unbinding) to a channel now.
  bool HandlerBusyLocked(const ChannelHandler& handler) const;
  // A handler registered for `name` that may take one more channel.
  ChannelHandler* FreeDriverLocked(const char* name) const;
  // Binds every unbound channel a free handler of its name can take.
  void BindWaitingChannels();
  // Unbinds (OnUnbound) and then frees or keeps the channel.
  void Unbind(Channel& channel, ChannelHandler& driver, bool free_channel);
  void FreeChannelLocked(Channel& channel);
  // Reset(): unbinds and frees every channel.
  void ReleaseAllChannels();

  HostBusMemory memory_;
  shm::Region ring0_;
  shm::Region ring1_;
  virtio::DriverQueue rx_queue_;  // vring0: remote -> host
  virtio::DriverQueue tx_queue_;  // vring1: host -> remote
  std::uint32_t tx_free_count_ = 0;
  std::uint32_t tx_in_flight_ = 0;
  DriverRegistry drivers_;
  NameService name_service_{*this};
};

}  // namespace tandem::rpmsg
