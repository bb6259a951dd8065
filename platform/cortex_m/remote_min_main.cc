// tandem_remote_min_<cpu>.elf: the smallest RPMsg remote Tandem builds today,
// for the size report (not run). What a firmware needs to serve one echo
// endpoint to a Linux host: its resource table (one rpmsg vdev with the name
// service, a buffer carve-out), the remote vdev runtime (vdev::RemoteLink:
// the loaded table, DRIVER_OK, link up/down/failed), the device-side bus
// (rpmsg::RemoteBus: split virtqueues, Linux's wire format, the hostile-peer
// checks) and one named endpoint with a callback, polled from a main loop.
// The board is a stand-in (a volatile mailbox word), so what is measured is
// Tandem's part. Issue #12 sets the target this is compared with (RPMsg-Lite's
// static remote: 2.9 KB flash, 352 B RAM); cortex_m_size prints it.

#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

#include "forever.h"
#include "tandem/rpmsg/platform.h"
#include "tandem/rpmsg/remote_bus.h"
#include "tandem/rsc/builder.h"
#include "tandem/shm/region.h"
#include "tandem/vdev/loaded_table.h"
#include "tandem/vdev/remote_link.h"
#include "tandem/virtio/features.h"

namespace {

namespace rpmsg = tandem::rpmsg;
namespace rsc = tandem::rsc;
namespace vdev = tandem::vdev;

constexpr std::uint32_t kNum = 4;  // vring entries (buffers per direction)
constexpr std::uint32_t kBufferSize = 512;
constexpr std::uint32_t kFeatures = 1u << tandem::virtio::kRpmsgFeatureNs;
constexpr std::uint64_t kSharedBase = 0x2000'8000u;  // what the host may place
constexpr std::uint64_t kSharedSize = 0x8000u;

struct Table {
  rsc::TableHeader<2> header;
  rsc::CarveoutEntry buffers;
  rsc::RpmsgVdevEntry<2> vdev;
};

// In .data: the host patches the loaded copy (a real image places it in its
// own .resource_table section, firmware.ld).
Table g_table = {
    .header = rsc::MakeHeader<2>({offsetof(Table, buffers), offsetof(Table, vdev)}),
    .buffers = rsc::MakeCarveout(rsc::kAddrAny, 2 * kNum * kBufferSize, vdev::kBufferCarveoutName),
    .vdev = rsc::MakeRpmsgVdev(
        rsc::kAddrAny, kFeatures,
        {{rsc::kAddrAny, 16, kNum, rsc::kAddrAny}, {rsc::kAddrAny, 16, kNum, rsc::kAddrAny}}),
};

volatile std::uint32_t g_mailbox;  // the board's doorbell register, say

class Board final : public rpmsg::Notifier, public rpmsg::Waiter {
 public:
  tandem::Status Notify(std::uint32_t id) override {
    g_mailbox = id;
    return tandem::OkStatus();
  }
  std::uint64_t Now() override { return 0; }
  std::uint32_t PrepareWait() override { return 0; }
  void Wait(std::uint32_t, std::uint64_t) override {}
  void Wake() override {}
};

using tandem::cortex_m::Forever;

Board g_board;
rpmsg::NoLock g_lock;
Forever<rpmsg::RemoteBusStorage<kNum, 2>> g_storage;
Forever<rpmsg::RemoteBus> g_bus;
Forever<rpmsg::Endpoint> g_endpoint;

class Echo final : public rpmsg::MessageHandler, public vdev::RemoteLinkListener {
 public:
  void OnMessage(rpmsg::Endpoint& from, rpmsg::ReceivedMessage& message) override {
    (void)bus->TrySendTo(from, message.src(), message.payload());
  }
  void OnLinkUp(const vdev::VdevLink&) override {
    rpmsg::EndpointConfig config;
    config.name = "rpmsg-openamp-demo-channel";
    (void)bus->CreateEndpoint(*endpoint, config, *this);
  }
  void OnLinkDown(vdev::LinkDownCause) override { bus->DestroyEndpoint(*endpoint); }
  void OnLinkFailed(vdev::LinkFailure, const tandem::Status&) override {}
  rpmsg::RemoteBus* bus = nullptr;
  rpmsg::Endpoint* endpoint = nullptr;
};

Echo g_echo;

}  // namespace

int main() {
  auto& bus = g_bus.Make(rpmsg::BusPlatform{g_board, g_lock, g_board}, g_storage.Make().memory());
  g_echo.bus = &bus;
  g_echo.endpoint = &g_endpoint.Make();
  vdev::RemoteLinkConfig config;
  config.table.table = tandem::ByteSpan(reinterpret_cast<std::byte*>(&g_table), sizeof(g_table));
  config.table.device_memory =
      tandem::shm::Region::Create(reinterpret_cast<std::byte*>(kSharedBase), kSharedSize,
                                  kSharedBase)
          .value();
  config.table.max_vring_num = kNum;
  config.table.buffer_size = kBufferSize;
  config.send_timeout = rpmsg::Timeout::None();
  config.mailbox = &g_board;
  auto link = vdev::RemoteLink::Open(config, bus, g_echo);
  if (!link.ok()) return 1;
  for (;;) {
    if (g_mailbox == 0) continue;  // a real board: WFI until the doorbell
    g_mailbox = 0;
    link->Update();
    while (link->Poll().code() == tandem::StatusCode::kUnavailable) {
    }
  }
}
