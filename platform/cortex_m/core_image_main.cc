// main() of tandem_core_m4.elf: references the core's public entry points so
// that the linker pulls them (and everything they call) into a bare-metal
// image with no syscalls. If any of them needs malloc, printf, abort, a
// 64-bit atomic from libatomic or anything else a board does not have, the
// link fails; that is the freestanding check of the core (see
// CMakeLists.txt). The image is not meant to be run, only linked and sized.
//
// Values flow through a volatile sink so the optimizer keeps every call.

#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

#include "forever.h"
#include "tandem/base/assert_handler.h"
#include "tandem/base/endian.h"
#include "tandem/base/result.h"
#include "tandem/base/status.h"
#include "tandem/remoteproc/platform.h"
#include "tandem/remoteproc/remote_proc.h"
#include "tandem/rpmsg/host_bus.h"
#include "tandem/rpmsg/platform.h"
#include "tandem/rpmsg/remote_bus.h"
#include "tandem/shm/fence.h"
#include "tandem/shm/region.h"
#include "tandem/tiny/remote.h"
#include "tandem/vdev/host_link.h"
#include "tandem/vdev/remote_link.h"
#include "tandem/virtio/device_queue.h"

namespace {

volatile std::uint32_t g_sink;

void Sink(std::uint32_t value) { g_sink = g_sink + value; }
void Sink(const tandem::Status& status) {
  Sink(static_cast<std::uint32_t>(status.code()));
  Sink(static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(status.message())));
}

// A stand-in for a shared-memory carve-out. A real board links the remote's
// image so that its resource table's device addresses are real RAM.
alignas(64) std::array<std::byte, 4096> g_shared;
constexpr std::uint64_t kSharedDeviceAddress = 0x2001'0000u;

void OnAssert(const char* expr, const char* file, int line) {
  Sink(static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(expr)));
  Sink(static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(file)));
  Sink(static_cast<std::uint32_t>(line));
}

// --- base ---------------------------------------------------------------
void ReferenceBase() {
  tandem::SetAssertHandler(&OnAssert);
  Sink(static_cast<std::uint32_t>(
      reinterpret_cast<std::uintptr_t>(tandem::StatusCodeName(tandem::StatusCode::kDataLoss))));
  tandem::Le32 word;
  word.set(g_sink);
  Sink(word.get());
}

// --- shm ----------------------------------------------------------------
void ReferenceShm() {
  auto region = tandem::shm::Region::Create(g_shared.data(), g_shared.size(), kSharedDeviceAddress);
  if (!region.ok()) {
    Sink(region.status());
    return;
  }
  tandem::shm::Region& shm = region.value();
  Sink(shm.Write(0, tandem::Le32{}));
  Sink(shm.PublishLe16(8, static_cast<std::uint16_t>(g_sink)));
  tandem::shm::FullFence();
  if (auto index = shm.ConsumeLe16(8); index.ok()) Sink(index.value());
  if (auto offset = shm.Translate(kSharedDeviceAddress + 16, 32); offset.ok()) {
    Sink(static_cast<std::uint32_t>(offset.value()));
  }
  Sink(shm.Fill(64, 64, std::byte{0}));
}

// --- vdev ---------------------------------------------------------------
using tandem::cortex_m::Forever;

// A board with nothing on it: every call fails or does nothing.
class NullBoard final : public tandem::remoteproc::Platform,
                        public tandem::rpmsg::Notifier,
                        public tandem::rpmsg::Waiter {
 public:
  tandem::Result<tandem::shm::Region> MapMemory(const tandem::remoteproc::MemoryRequest&) override {
    return tandem::NotFound("no memory");
  }
  void ReleaseMemory() override {}
  tandem::Status Start(std::uint64_t entry) override {
    Sink(static_cast<std::uint32_t>(entry));
    return tandem::OkStatus();
  }
  tandem::Status Reset() override { return tandem::OkStatus(); }
  tandem::Status Send(std::uint32_t message) override {
    Sink(message);
    return tandem::OkStatus();
  }
  tandem::Status WaitForControl(std::uint32_t, std::uint32_t) override {
    return tandem::DeadlineExceeded("no remote");
  }
  tandem::Result<tandem::shm::Region> LoadedResourceTable() override {
    return tandem::NotFound("no table");
  }
  tandem::Status Notify(std::uint32_t notifyid) override { return Send(notifyid); }
  std::uint64_t Now() override { return g_sink; }
  std::uint32_t PrepareWait() override { return g_sink; }
  void Wait(std::uint32_t epoch, std::uint64_t) override { Sink(epoch); }
  void Wake() override { Sink(1); }
};

class SinkListener final : public tandem::vdev::RemoteLinkListener {
 public:
  void OnLinkUp(const tandem::vdev::VdevLink& link) override { Sink(link.gfeatures); }
  void OnLinkDown(tandem::vdev::LinkDownCause cause) override {
    Sink(static_cast<std::uint32_t>(cause));
  }
  void OnLinkFailed(tandem::vdev::LinkFailure, const tandem::Status& error) override {
    Sink(error);
  }
};

constexpr std::uint16_t kVdevNum = 8;
NullBoard g_board;
tandem::rpmsg::NoLock g_lock;
SinkListener g_listener;
Forever<tandem::remoteproc::RemoteProc> g_rproc;
Forever<tandem::rpmsg::HostBusStorage<kVdevNum, 8, 2>> g_host_storage;
Forever<tandem::rpmsg::HostBus> g_host_bus;
Forever<tandem::vdev::HostLink> g_host_link;
Forever<tandem::rpmsg::RemoteBusStorage<kVdevNum, 8>> g_remote_storage;
Forever<tandem::rpmsg::RemoteBus> g_remote_bus;
tandem::rpmsg::RemoteBus* g_remote_bus_made = nullptr;

// The host runtime: RemoteProc + HostLink + HostBus (a Cortex-A/R host or
// a Cortex-M managing another core).
void ReferenceVdevHost(const tandem::shm::Region& shm) {
  const tandem::rpmsg::BusPlatform platform{g_board, g_lock, g_board};
  auto& rproc = g_rproc.Make(g_board, tandem::remoteproc::Options{});
  auto& bus = g_host_bus.Make(platform, g_host_storage.Make().memory());
  auto& link = g_host_link.Make(rproc, bus, g_board, g_lock);
  rproc.set_vdev_listener(&link);
  Sink(rproc.Boot(tandem::ConstByteSpan(g_shared.data(), g_shared.size())));
  tandem::remoteproc::VdevResources vdev;
  if (auto ring = shm.Sub(0, 1024); ring.ok()) vdev.vring[0].ring = ring.value();
  if (auto ring = shm.Sub(1024, 1024); ring.ok()) vdev.vring[1].ring = ring.value();
  vdev.vring[0].num = vdev.vring[1].num = kVdevNum;
  vdev.vring[1].notifyid = 1;
  if (auto buffers = shm.Sub(2048, 2048); buffers.ok()) vdev.buffers = buffers.value();
  vdev.buffer_size = 128;
  Sink(link.OnVdevReady(vdev));
  Sink(link.OnNotify(g_sink));
  Sink(link.Poll());
  link.OnVdevReset();
}

// The remote runtime: RemoteLink over the image's own table + RemoteBus.
void ReferenceVdevRemote(const tandem::shm::Region& shm) {
  const tandem::rpmsg::BusPlatform platform{g_board, g_lock, g_board};
  auto& bus = g_remote_bus.Make(platform, g_remote_storage.Make().memory());
  g_remote_bus_made = &bus;
  tandem::vdev::RemoteLinkConfig config;
  config.table.table = tandem::ByteSpan(g_shared.data(), 512);
  config.table.device_memory = shm;
  config.table.max_vring_num = kVdevNum;
  auto link = tandem::vdev::RemoteLink::Open(config, bus, g_listener);
  if (!link.ok()) {
    Sink(link.status());
    return;
  }
  link->Update();
  Sink(link->Poll());
  link->Reset();
  link->Stop();
}

void ReferenceVdev() {
  auto region = tandem::shm::Region::Create(g_shared.data(), g_shared.size(), kSharedDeviceAddress);
  if (!region.ok()) {
    Sink(region.status());
    return;
  }
  ReferenceVdevHost(region.value());
  ReferenceVdevRemote(region.value());
}

// --- virtio: the device role ------------------------------------------------
// The split virtqueue a remote serves (RemoteBus uses it; called directly
// here so the link check does not depend on what RemoteBus calls).
void ReferenceVirtioDevice(tandem::shm::Region shm) {
  auto ring = shm.Sub(0, 1024);
  auto buffers = shm.Sub(2048, 2048);
  if (!ring.ok() || !buffers.ok()) return;
  auto queue = tandem::virtio::DeviceQueue::Create(ring.value(), kVdevNum, 16, {});
  if (!queue.ok()) {
    Sink(queue.status());
    return;
  }
  if (auto chain = queue->Pop(ring.value()); chain.ok()) {
    if (auto d = chain->Next(*queue, ring.value(), buffers.value()); d.ok()) Sink(d->len);
    Sink(queue->PushUsed(ring.value(), chain->head(), 0));
  }
  if (auto kick = queue->NotifyPrepare(ring.value()); kick.ok()) Sink(kick.value());
  if (auto more = queue->EnableNotifications(ring.value()); more.ok()) Sink(more.value());
  queue->DisableNotifications(ring.value());
}

// --- rpmsg: the remote bus and its name service -------------------------------
class SinkHandler final : public tandem::rpmsg::MessageHandler {
 public:
  void OnMessage(tandem::rpmsg::Endpoint&, tandem::rpmsg::ReceivedMessage& message) override {
    Sink(message.src());
  }
};
SinkHandler g_handler;
Forever<tandem::rpmsg::Endpoint> g_endpoint;

void ReferenceRpmsgRemote() {
  // g_remote_bus was made by ReferenceVdevRemote(). A named endpoint is
  // announced through the name service (NS create, and destroy below).
  if (g_remote_bus_made == nullptr) return;
  tandem::rpmsg::RemoteBus& bus = *g_remote_bus_made;
  tandem::rpmsg::Endpoint& endpoint = g_endpoint.Make();
  tandem::rpmsg::EndpointConfig config;
  config.name = "tandem-link-check";
  Sink(bus.CreateEndpoint(endpoint, config, g_handler));
  const std::byte payload[4] = {};
  Sink(bus.TrySendTo(endpoint, 0x400, tandem::ConstByteSpan(payload, sizeof(payload))));
  bus.DestroyEndpoint(endpoint);
}

// --- tiny: the small remote (docs/footprint.md) ------------------------------
Forever<tandem::tiny::Remote<1>> g_tiny;

void ReferenceTiny() {
  tandem::tiny::Config config;
  config.table = g_shared.data();
  config.table_size = 512;
  config.vdev_offset = 64;
  config.carveout_offset = 256;
  config.window = {kSharedDeviceAddress, g_shared.data(),
                   static_cast<std::uint32_t>(g_shared.size())};
  config.num = kVdevNum;
  config.notify = [](void*, std::uint32_t notifyid) { Sink(notifyid); };
  auto& remote = g_tiny.Make(config);
  tandem::tiny::Endpoint* endpoint = remote.Open(
      "tandem-tiny", [](void*, std::uint32_t src, tandem::ConstByteSpan) { Sink(src); }, nullptr);
  Sink(static_cast<std::uint32_t>(remote.Poll()));
  if (endpoint != nullptr) {
    const std::byte payload[4] = {};
    Sink(static_cast<std::uint32_t>(
        remote.Send(*endpoint, 0x400, tandem::ConstByteSpan(payload, sizeof(payload)))));
  }
}

// Layers not referenced here are checked by tandem_core_<cpu>_all.elf
// (whole archive): rsc (the loaded-table parse runs inside RemoteLink),
// elf and remoteproc's loader (through RemoteProc::Boot above).

}  // namespace

int main() {
  ReferenceBase();
  ReferenceShm();
  ReferenceVdev();
  if (auto region =
          tandem::shm::Region::Create(g_shared.data(), g_shared.size(), kSharedDeviceAddress);
      region.ok()) {
    ReferenceVirtioDevice(region.value());
  }
  ReferenceRpmsgRemote();
  ReferenceTiny();
  return 0;
}
