#pragma once
// The remote role of the RPMsg bus: the VirtIO device (OpenAMP's "remote"
// / rpmsg_virtio device side), wire-compatible with Linux's
// virtio_rpmsg_bus.c on the host.
//
// Buffers: the host owns them. To send, the remote takes a buffer the host
// posted in vring0's available ring (device-writable, at least buffer_size
// bytes, inside the buffer region - anything else latches the bus broken),
// fills it and returns it through vring0's used ring with the message
// length. To receive, it takes a buffer from vring1's available ring,
// dispatches the message and returns it through vring1's used ring (length
// 0: the device wrote nothing, VirtIO 1.x 2.7.8). A transmit buffer taken
// but not sent (a TxBuffer destroyed unsent) is kept in a local stash and
// used first next time, since a buffer cannot be put back into an
// available ring.
//
// Name service: with VIRTIO_RPMSG_F_NS every named endpoint is announced
// (NS CREATE from its address to kNsAddress) once the bus runs - endpoints
// created before Start() are announced by Start() - and NS DESTROY is sent
// when an announced endpoint is destroyed. Announcements never block: when
// no buffer is free they wait in the bus and go out from a later Poll().
// Messages the host sends to kNsAddress are not handled (Linux sends none).
//
// Files: remote_bus.cc is the transport, remote_name_service.cc the
// announcements.
//
// Lifecycle: construct, create endpoints, Start() once the firmware sees
// DRIVER_OK in the vdev status (the host has then posted its receive
// buffers), Poll() on every notification. Reset() if the host resets the
// vdev; Start() again afterwards re-announces every named endpoint.
// Threading: see bus.h; with NoLock, Poll() and sends from one main loop.

#include <cstddef>
#include <cstdint>
#include <span>

#include "tandem/rpmsg/bus.h"
#include "tandem/virtio/device_queue.h"

namespace tandem::rpmsg {

// Caller-provided memory of a RemoteBus (no heap).
struct RemoteBusMemory {
  std::span<BufferSlot> tx_stash;     // >= vring size
  std::span<EndpointSlot> endpoints;  // power of two; 3/4 usable
};

template <std::uint16_t kBuffers, std::size_t kEndpointSlots = 64>
struct RemoteBusStorage {
  BufferSlot tx_stash[kBuffers];
  EndpointSlot endpoints[kEndpointSlots];
  RemoteBusMemory memory() { return {tx_stash, endpoints}; }
};

class RemoteBus final : public Bus {
 public:
  // NS DESTROY announcements that may wait for a buffer at once.
  static constexpr std::size_t kMaxPendingDestroys = 8;

  RemoteBus(const BusPlatform& platform, const RemoteBusMemory& memory);
  ~RemoteBus() override = default;

  // Binds to the rings the host initialized and announces named endpoints.
  // kInvalidArgument for a config that cannot work, kFailedPrecondition if
  // running or if handles of the previous session are still held.
  Status Start(const BusConfig& config);
  // The host reset the vdev: stop, wake blocked callers with kAborted, and
  // forget what was announced (Start() announces again).
  Status Reset();

 private:
  struct PendingDestroy {
    char name[kNameSize];
    std::uint32_t addr;
  };

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
  void DoEndpointCreated(Endpoint& endpoint) override;
  void DoEndpointDestroyed(Endpoint& endpoint) override;
  void DoNameServiceWork() override;

  bool HasNameServiceWorkLocked() const {
    return pending_creates_ > 0 || pending_destroy_count_ > 0;
  }
  // Keeps vring0 kicks on while anyone (a sender, an announcement) waits
  // for a buffer. True if buffers arrived meanwhile.
  Result<bool> UpdateTxArmLocked(bool senders_waiting);
  Endpoint* NextPendingCreateLocked();

  RemoteBusMemory memory_;
  shm::Region ring0_;
  shm::Region ring1_;
  virtio::DeviceQueue tx_queue_;  // vring0: remote -> host (we fill host buffers)
  virtio::DeviceQueue rx_queue_;  // vring1: host -> remote
  std::size_t stash_count_ = 0;
  std::uint32_t pending_creates_ = 0;
  PendingDestroy pending_destroys_[kMaxPendingDestroys] = {};
  std::size_t pending_destroy_head_ = 0;
  std::size_t pending_destroy_count_ = 0;
  bool tx_armed_ = false;
  // From the BusConfig: the size of each half of the buffer area
  // (num * buffer_size) and what DoReleaseRx() returns as the used length.
  std::size_t half_size_ = 0;
  bool used_len_is_buffer_len_ = true;
};

}  // namespace tandem::rpmsg
