#pragma once
// TEST-ONLY: the host side of a firmware's link, in one process, for host
// tests of RemoteNode and the services of the example images. It does what
// remoteproc and the host's RPMsg driver do, over fake shared memory:
// patches the firmware's resource table (vring addresses, notifyids,
// vdev0buffer address, gfeatures, status) and runs a real HostBus whose
// kicks land in the FakeBoard's inbox.
//
// Device-address layout (a FakeShm "window" at kWindowDa):
//   0x30000000  vring0 (remote -> host), 256 entries, align 4096
//   0x30004000  vring1 (host -> remote)
//   0x30010000  vdev0buffer: 2 * 256 * 512 bytes
//   0x30058000  trace buffer (32 KiB)
// The image range the firmware is told about is 0x10000000 + 1 MiB,
// outside the window, so nothing placed here overlaps it.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tandem/remote/remote_node.h"
#include "tandem/rpmsg/channel.h"
#include "tandem/rpmsg/host_bus.h"
#include "tandem/simulated_board/rpmsg_resource_table.h"
#include "tandem/testing/fake_board.h"
#include "tandem/testing/fake_bus_platform.h"
#include "tandem/testing/fake_shm.h"
#include "tandem/vdev/loaded_table.h"
#include "tandem/virtio/features.h"
#include "tandem/virtio/ring_layout.h"

namespace tandem::remote::testing {

// The fake host serves images built for the simulated board.
using namespace ::tandem::simulated_board;  // NOLINT(google-build-using-namespace)

inline constexpr std::uint64_t kWindowDa = 0x30000000;
inline constexpr std::size_t kWindowSize = 0x60000;
inline constexpr std::uint32_t kVring0Da = 0x30000000;
inline constexpr std::uint32_t kVring1Da = 0x30004000;
inline constexpr std::uint32_t kBuffersDa = 0x30010000;
inline constexpr std::uint32_t kTestTraceDa = 0x30058000;
inline constexpr std::uint8_t kDriverReady = 0x0F;  // ACK | DRIVER | DRIVER_OK | FEATURES_OK

inline std::string Text(ConstByteSpan bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}
inline ConstByteSpan Bytes(const std::string& s) {
  return ConstByteSpan(reinterpret_cast<const std::byte*>(s.data()), s.size());
}

// A host-side driver that records the channels it is bound to and every
// message they receive.
class RecordingDriver final : public rpmsg::ChannelHandler, public rpmsg::MessageHandler {
 public:
  struct Message {
    std::uint32_t src;
    std::uint32_t dst;
    std::string text;
  };
  void OnBound(rpmsg::Channel& channel) override {
    channel.SetHandler(*this).IgnoreError();
    bound.push_back(&channel);
    remote_addresses.push_back(channel.remote_address());
    local_addresses.push_back(channel.local_address());
  }
  void OnUnbound(rpmsg::Channel& channel) override {
    ++unbound;
    for (auto it = bound.begin(); it != bound.end(); ++it) {
      if (*it == &channel) {
        bound.erase(it);
        break;
      }
    }
  }
  void OnMessage(rpmsg::Endpoint&, rpmsg::ReceivedMessage& message) override {
    messages.push_back({message.src(), message.dst(), Text(message.payload())});
  }

  std::vector<rpmsg::Channel*> bound;
  std::vector<std::uint32_t> remote_addresses;  // every bind, in order
  std::vector<std::uint32_t> local_addresses;
  std::vector<Message> messages;
  int unbound = 0;
};

class FakeHost {
 public:
  using HostStorage = rpmsg::HostBusStorage<256, 64, 16>;

  explicit FakeHost(FakeBoard& board)
      : board_(board),
        window_(kWindowSize, kWindowDa),
        notifier_(&lock_),
        waiter_(&lock_),
        storage_(std::make_unique<HostStorage>()),
        bus_(rpmsg::BusPlatform{notifier_, lock_, waiter_}, storage_->memory()) {
    table_ = MakeRpmsgResourceTable();
    // The trace of the real images is in the image carve-out; here it is
    // in the window, where the test can read it.
    table_.trace.body.da = Le32(kTestTraceDa);
    // Kicks from the host arrive in the firmware's mailbox.
    notifier_.on_notify = [this](std::uint32_t id) { board_.inbox.push_back(id); };
  }

  RpmsgResourceTable& table() { return table_; }
  ByteSpan table_bytes() { return ByteSpan(reinterpret_cast<std::byte*>(&table_), sizeof(table_)); }
  tandem::testing::FakeShm& window() { return window_; }
  rpmsg::HostBus& bus() { return bus_; }
  rpmsg::testing::RecordingNotifier& notifier() { return notifier_; }

  LoadedTableConfig table_config() {
    LoadedTableConfig c;
    c.table = table_bytes();
    c.device_memory = window_.region();
    c.image = DeviceRange{kImageBase, kImageSize};
    return c;
  }
  RemoteNodeConfig node_config(const char* name = "test") {
    RemoteNodeConfig c;
    c.name = name;
    c.resource_table = table_bytes();
    c.device_memory = window_.region();
    return c;
  }

  // What remoteproc writes before it starts the remote.
  void PlaceLink() {
    table_.vdev.vring[0].da = Le32(kVring0Da);
    table_.vdev.vring[1].da = Le32(kVring1Da);
    table_.vdev.vring[0].notifyid = Le32(0);
    table_.vdev.vring[1].notifyid = Le32(1);
    table_.buffers.body.da = Le32(kBuffersDa);
    table_.buffers.body.pa = Le32(kBuffersDa);
    table_.vdev.body.gfeatures = Le32(table_.vdev.body.dfeatures.get() & kRpmsgFeatures);
  }

  rpmsg::BusConfig bus_config() {
    const std::size_t ring = virtio::VringSize(kVringNum, kVringAlign);
    rpmsg::BusConfig c;
    c.vring0 = {window_.region().Sub(kVring0Da - kWindowDa, ring).value(), kVringNum, kVringAlign,
                0};
    c.vring1 = {window_.region().Sub(kVring1Da - kWindowDa, ring).value(), kVringNum, kVringAlign,
                1};
    c.buffers = window_.region().Sub(kBuffersDa - kWindowDa, kRpmsgBufferAreaSize).value();
    c.buffer_size = kRpmsgBufferSize;
    // As the table says it was negotiated (flow control, docs/flow_control.md).
    c.flow_control =
        (table_.vdev.body.gfeatures.get() & (1u << virtio::kRpmsgFeatureFlowControl)) != 0;
    return c;
  }

  // The driver side comes up: rings initialized, receive buffers posted,
  // then DRIVER_OK (VirtIO 1.x 3.1.1).
  void Boot() {
    PlaceLink();
    ASSERT_TRUE(bus_.Start(bus_config()).ok());
    SetStatus(kDriverReady);
  }
  // Driver reset (status 0) and the host bus stopped.
  void Reset() {
    SetStatus(0);
    bus_.Reset().IgnoreError();
  }
  void SetStatus(std::uint8_t status) {
    __atomic_store_n(&table_.vdev.body.status, status, __ATOMIC_RELEASE);
  }
  std::uint8_t status() const { return table_.vdev.body.status; }

  // The host's event loop: one pass.
  Status Poll() { return bus_.Poll(); }

 private:
  FakeBoard& board_;
  tandem::testing::FakeShm window_;
  rpmsg::testing::CheckingLock lock_;
  rpmsg::testing::RecordingNotifier notifier_;
  rpmsg::testing::FakeWaiter waiter_;
  std::unique_ptr<HostStorage> storage_;
  rpmsg::HostBus bus_;
  alignas(8) RpmsgResourceTable table_;
};

}  // namespace tandem::remote::testing
