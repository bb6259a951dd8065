#pragma once
// Both roles of one RPMsg link in one process, over one fake shared memory,
// single-threaded and deterministic: the reusable fixture of the rpmsg
// tests. Each side has its own CheckingLock, RecordingNotifier and
// FakeWaiter; nothing moves unless the test calls Poll() (or Pump()).
//
// Layout (as remoteproc would place it): vring0 at offset 0, vring1 at the
// next page, then the 2 * num * buffer_size buffer area. Notify ids: vring0
// = 0, vring1 = 1 (Linux gives the first vdev's vrings ids 0 and 1).

#include <cstdint>
#include <memory>

#include "tandem/rpmsg/host_bus.h"
#include "tandem/rpmsg/remote_bus.h"
#include "tandem/testing/fake_bus_platform.h"
#include "tandem/testing/fake_shm.h"
#include "tandem/virtio/ring_layout.h"

namespace tandem::rpmsg::testing {

inline constexpr std::uint32_t kVring0NotifyId = 0;
inline constexpr std::uint32_t kVring1NotifyId = 1;
inline constexpr std::uint64_t kShmDeviceAddress = 0x20000000;

struct PairOptions {
  std::uint16_t num = 16;
  std::uint32_t buffer_size = kDefaultBufferSize;
  bool event_idx = true;
  bool name_service = true;
  bool flow_control = false;  // Tandem's flow-control feature negotiated
  bool start = true;          // start host then remote in the constructor
  // Both sides' cache hooks (one shared memory, one recorder): the cache
  // maintenance tests of a non-coherent core (Cortex-M7).
  shm::CacheOps* cache = nullptr;
};

// Sizes of the shared memory a pair needs.
struct PairLayout {
  explicit PairLayout(const PairOptions& o)
      : ring_size(virtio::VringSize(o.num, 4096)),
        ring_stride((ring_size + 4095) / 4096 * 4096),
        buffers_offset(2 * ring_stride),
        buffers_size(std::size_t{2} * o.num * o.buffer_size),
        total(buffers_offset + buffers_size) {}
  std::size_t ring_size;
  std::size_t ring_stride;
  std::size_t buffers_offset;
  std::size_t buffers_size;
  std::size_t total;
};

class BusPair {
 public:
  using HostStorage = HostBusStorage<256, 2048, 16>;
  using RemoteStorage = RemoteBusStorage<256, 2048>;

  explicit BusPair(PairOptions options = {})
      : options_(options),
        layout_(options),
        shm_(layout_.total, kShmDeviceAddress, options.cache),
        host_notifier_(&host_lock_),
        remote_notifier_(&remote_lock_),
        host_waiter_(&host_lock_),
        remote_waiter_(&remote_lock_),
        host_storage_(std::make_unique<HostStorage>()),
        remote_storage_(std::make_unique<RemoteStorage>()),
        host_(BusPlatform{host_notifier_, host_lock_, host_waiter_}, host_storage_->memory()),
        remote_(BusPlatform{remote_notifier_, remote_lock_, remote_waiter_},
                remote_storage_->memory()) {
    if (options.start) {
      StartHost().IgnoreError();
      StartRemote().IgnoreError();
    }
  }

  BusConfig config() {
    BusConfig c;
    c.vring0 = {shm_.region().Sub(0, layout_.ring_size).value(), options_.num, 4096,
                kVring0NotifyId};
    c.vring1 = {shm_.region().Sub(layout_.ring_stride, layout_.ring_size).value(), options_.num,
                4096, kVring1NotifyId};
    c.buffers = shm_.region().Sub(layout_.buffers_offset, layout_.buffers_size).value();
    c.buffer_size = options_.buffer_size;
    c.event_idx = options_.event_idx;
    c.name_service = options_.name_service;
    c.flow_control = options_.flow_control;
    return c;
  }
  Status StartHost() { return host_.Start(config()); }
  Status StartRemote() { return remote_.Start(config()); }

  // Polls both sides until no message moves any more (bounded).
  void Pump(int max_rounds = 64) {
    for (int i = 0; i < max_rounds; ++i) {
      const std::uint64_t before = Progress();
      host_status = host_.Poll();
      remote_status = remote_.Poll();
      if (Progress() == before) return;
    }
  }

  HostBus& host() { return host_; }
  RemoteBus& remote() { return remote_; }
  RecordingNotifier& host_notifier() { return host_notifier_; }
  RecordingNotifier& remote_notifier() { return remote_notifier_; }
  FakeWaiter& host_waiter() { return host_waiter_; }
  FakeWaiter& remote_waiter() { return remote_waiter_; }
  CheckingLock& host_lock() { return host_lock_; }
  CheckingLock& remote_lock() { return remote_lock_; }
  tandem::testing::FakeShm& shm() { return shm_; }
  const PairLayout& layout() const { return layout_; }
  const PairOptions& options() const { return options_; }
  HostStorage& host_storage() { return *host_storage_; }
  RemoteStorage& remote_storage() { return *remote_storage_; }

  Status host_status;
  Status remote_status;

 private:
  std::uint64_t Progress() {
    const Stats h = host_.stats();
    const Stats r = remote_.stats();
    return h.rx_messages + h.tx_messages + r.rx_messages + r.tx_messages + h.ns_malformed +
           h.ns_rejected + r.ns_announcements + h.rx_no_endpoint + r.rx_no_endpoint +
           h.rx_no_receiver + r.rx_no_receiver + h.rx_dst_any + r.rx_dst_any + h.flow_received +
           r.flow_received + h.flow_malformed + r.flow_malformed + h.flow_unknown + r.flow_unknown +
           h.flow_evicted + r.flow_evicted;
  }

  PairOptions options_;
  PairLayout layout_;
  tandem::testing::FakeShm shm_;
  CheckingLock host_lock_;
  CheckingLock remote_lock_;
  RecordingNotifier host_notifier_;
  RecordingNotifier remote_notifier_;
  FakeWaiter host_waiter_;
  FakeWaiter remote_waiter_;
  std::unique_ptr<HostStorage> host_storage_;
  std::unique_ptr<RemoteStorage> remote_storage_;
  HostBus host_;
  RemoteBus remote_;
};

}  // namespace tandem::rpmsg::testing
