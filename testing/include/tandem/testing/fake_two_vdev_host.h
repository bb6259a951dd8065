#pragma once
// TEST-ONLY: FakeHost for an image with two RPMsg vdevs
// (simulated_board::TwoVdevResourceTable, a RemoteNode with one RemoteVdev):
// one real HostBus per vdev, whose kicks land in the FakeBoard's inbox, and
// the table patched per vdev as remoteproc does (notifyids 2k, 2k+1 for bus
// k, buffers in "vdev<k>buffer", each vdev's status byte on its own).
//
// Device-address layout (a FakeShm "window" at kWindowDa):
//   0x30000000  vdev0 vring0, 256 entries, align 4096
//   0x30004000  vdev0 vring1
//   0x30010000  vdev0buffer: 2 * 256 * 512 bytes
//   0x30058000  trace buffer (32 KiB)
//   0x30060000  vdev1 vring0, 64 entries, align 4096
//   0x30064000  vdev1 vring1
//   0x30068000  vdev1buffer: 2 * 64 * 512 bytes

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "tandem/remote/remote_node.h"
#include "tandem/rpmsg/host_bus.h"
#include "tandem/simulated_board/two_vdev_resource_table.h"
#include "tandem/testing/fake_board.h"
#include "tandem/testing/fake_bus_platform.h"
#include "tandem/testing/fake_host.h"
#include "tandem/testing/fake_shm.h"
#include "tandem/virtio/features.h"
#include "tandem/virtio/ring_layout.h"

namespace tandem::remote::testing {

class FakeTwoVdevHost {
 public:
  static constexpr std::size_t kWindowSize = 0x78000;
  struct Place {
    std::uint32_t vring0;
    std::uint32_t vring1;
    std::uint32_t buffers;
    std::uint32_t num;
  };
  static constexpr Place kPlaces[2] = {
      {0x30000000, 0x30004000, 0x30010000, kVringNum},
      {0x30060000, 0x30064000, 0x30068000, kVdev1VringNum},
  };

  explicit FakeTwoVdevHost(FakeBoard& board) : window_(kWindowSize, kWindowDa) {
    table_ = MakeTwoVdevResourceTable();
    table_.trace.body.da = Le32(kTestTraceDa);
    for (auto& side : sides_) {
      side = std::make_unique<Side>();
      side->notifier.on_notify = [&board](std::uint32_t id) { board.inbox.push_back(id); };
    }
  }

  ByteSpan table_bytes() { return ByteSpan(reinterpret_cast<std::byte*>(&table_), sizeof(table_)); }
  TwoVdevResourceTable& table() { return table_; }
  tandem::testing::FakeShm& window() { return window_; }
  rpmsg::HostBus& bus(int k) { return sides_[k]->bus; }

  RemoteNodeConfig node_config(const char* name = "test") {
    RemoteNodeConfig c;
    c.name = name;
    c.resource_table = table_bytes();
    c.device_memory = window_.region();
    return c;
  }

  // What remoteproc writes for vdev k before it starts the remote.
  void PlaceLink(int k) {
    rsc::RpmsgVdevEntry<2>& vdev = k == 0 ? table_.vdev0 : table_.vdev1;
    rsc::CarveoutEntry& buffers = k == 0 ? table_.buffers0 : table_.buffers1;
    const Place& p = kPlaces[k];
    vdev.vring[0].da = Le32(p.vring0);
    vdev.vring[1].da = Le32(p.vring1);
    vdev.vring[0].notifyid = Le32(2 * k);
    vdev.vring[1].notifyid = Le32(2 * k + 1);
    buffers.body.da = Le32(p.buffers);
    buffers.body.pa = Le32(p.buffers);
    vdev.body.gfeatures = Le32(vdev.body.dfeatures.get() & kRpmsgFeatures);
  }

  rpmsg::BusConfig bus_config(int k) {
    const Place& p = kPlaces[k];
    const std::size_t ring = virtio::VringSize(p.num, kVringAlign);
    const auto id = static_cast<std::uint32_t>(2 * k);
    rpmsg::BusConfig c;
    c.vring0 = {window_.region().Sub(p.vring0 - kWindowDa, ring).value(), p.num, kVringAlign, id};
    c.vring1 = {window_.region().Sub(p.vring1 - kWindowDa, ring).value(), p.num, kVringAlign,
                id + 1};
    c.buffers = window_.region().Sub(p.buffers - kWindowDa, 2 * p.num * kRpmsgBufferSize).value();
    c.buffer_size = kRpmsgBufferSize;
    c.flow_control = true;  // kRpmsgFeatures offers it and PlaceLink accepts it
    return c;
  }

  // Vdev k's driver side comes up: rings, receive buffers, then DRIVER_OK.
  void Boot(int k) {
    PlaceLink(k);
    ASSERT_TRUE(sides_[k]->bus.Start(bus_config(k)).ok());
    SetStatus(k, kDriverReady);
  }
  // Vdev k's driver reset (status 0) and its host bus stopped.
  void Reset(int k) {
    SetStatus(k, 0);
    sides_[k]->bus.Reset().IgnoreError();
  }
  void SetStatus(int k, std::uint8_t status) {
    std::uint8_t& byte = k == 0 ? table_.vdev0.body.status : table_.vdev1.body.status;
    __atomic_store_n(&byte, status, __ATOMIC_RELEASE);
  }
  // One pass of the host's event loop over both buses.
  void Poll() {
    for (auto& side : sides_) side->bus.Poll().IgnoreError();
  }

 private:
  using HostStorage = rpmsg::HostBusStorage<256, 64, 16>;
  struct Side {
    Side()
        : notifier(&lock),
          waiter(&lock),
          bus(rpmsg::BusPlatform{notifier, lock, waiter}, storage.memory()) {}
    rpmsg::testing::CheckingLock lock;
    rpmsg::testing::RecordingNotifier notifier;
    rpmsg::testing::FakeWaiter waiter;
    HostStorage storage;
    rpmsg::HostBus bus;
  };

  tandem::testing::FakeShm window_;
  std::unique_ptr<Side> sides_[2];
  alignas(8) TwoVdevResourceTable table_;
};

}  // namespace tandem::remote::testing
