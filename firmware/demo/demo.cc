// The demo firmware: one image serving three RPMsg services, like NXP's
// Linux <-> Zephyr RPMsg demo (docs/firmware.md):
//
//   0x400  rpmsg-client-sample         remote half of Linux's rpmsg_client_sample
//   0x401  rpmsg-openamp-demo-channel  echo, byte for byte
//   0x402  rpmsg-tty                   echo prefixed "TTY 0x0402: "
//   0x403  tandem-bench-sink           counts what it receives (tandem bench)
//   0x404  tandem-bench-source         streams on request (tandem bench)
//   0x405  tandem-large-echo           echo of messages up to 16 KiB, fragmented
//                                      where the host accepted large messages
//                                      (docs/large_messages.md)
//   0x406  tandem-stream               numbered messages, honours flow control
//                                      (docs/flow_control.md)
//   0x407  tandem-bulk-source          bulk zero-copy blocks in "bulk0" (tandem bulk)
//
// Addresses follow the creation order below (RemoteBus allocates from
// 0x400 up). Everything else - boot, DRIVER_OK, the mailbox, shutdown and
// vdev reset - is RemoteNode's.

#include <cstddef>

#include "demo_node.h"
#include "tandem/bulk/stream.h"
#include "tandem/remote/bsp.h"
#include "tandem/remote/print.h"
#include "tandem/remote/remote_node.h"
#include "tandem/rpmsg/large_message.h"
#include "tandem/simulated_board/node_config.h"
#include "tandem/simulated_board/rpmsg_resource_table.h"
#include "tandem/simulated_board/runtime.h"

namespace fw = tandem::remote;
namespace board = tandem::simulated_board;

// The standard table (rpmsg_resource_table.h: image, trace, vdev0buffer,
// vdev) and, last, the pool of bulk zero-copy blocks (docs/bulk_buffers.md):
// a named carve-out the host allocates (FW_RSC_ADDR_ANY) and maps like any
// other, as Linux's remoteproc does.
struct DemoResourceTable {
  tandem::rsc::TableHeader<5> header;
  tandem::rsc::CarveoutEntry image;
  tandem::rsc::TraceEntry trace;
  tandem::rsc::CarveoutEntry buffers;
  tandem::rsc::SizedRpmsgVdevEntry<board::kRpmsgBufferSize> vdev;
  tandem::rsc::CarveoutEntry bulk;
};
inline constexpr std::uint32_t kBulkPoolSize = 0x100000;  // 1 MiB: 16 x 64 KiB, 256 x 4 KiB

consteval DemoResourceTable MakeDemoResourceTable() {
  const board::RpmsgResourceTable standard =
      board::MakeRpmsgResourceTable(tandem::rpmsg::kFeatureLargeMessagesMask);
  return DemoResourceTable{
      .header = tandem::rsc::MakeHeader<5>(
          {offsetof(DemoResourceTable, image), offsetof(DemoResourceTable, trace),
           offsetof(DemoResourceTable, buffers), offsetof(DemoResourceTable, vdev),
           offsetof(DemoResourceTable, bulk)}),
      .image = standard.image,
      .trace = standard.trace,
      .buffers = standard.buffers,
      .vdev = standard.vdev,
      .bulk = tandem::rsc::MakeCarveout(tandem::rsc::kAddrAny, kBulkPoolSize,
                                        tandem::bulk::kDemoCarveoutName),
  };
}

// Patched in place by the host: never const (rpmsg_resource_table.h).
[[gnu::section(".resource_table"), gnu::used]] constinit DemoResourceTable g_resource_table =
    MakeDemoResourceTable();

namespace {

bool Overlaps(std::uint64_t a, std::uint64_t a_len, std::uint64_t b, std::uint64_t b_len) {
  return a < b + b_len && b < a + a_len;
}

// The bulk carve-out where the host placed it, checked like any host value:
// allocated, its size, inside the device window, clear of the image, the
// RPMsg buffers and the vrings. An empty region (no bulk service) if not.
tandem::shm::Region BulkPool(const TandemBsp& bsp, const tandem::shm::Region& window) {
  const std::uint64_t da = g_resource_table.bulk.body.da.get();
  const std::uint64_t len = g_resource_table.bulk.body.len.get();
  const DemoResourceTable& t = g_resource_table;
  bool ok = da != tandem::rsc::kAddrAny && len == kBulkPoolSize && da % board::kPageSize == 0 &&
            board::InDeviceWindow(da, len) &&
            !Overlaps(da, len, board::kImageBase, board::kImageSize) &&
            !Overlaps(da, len, t.buffers.body.da.get(), t.buffers.body.len.get());
  for (const auto& vring : t.vdev.vring) {
    // A vring of 256 entries, align 4096, is under 16 KiB.
    ok = ok && !Overlaps(da, len, vring.da.get(), 0x4000);
  }
  if (ok) {
    auto pool = window.Sub(static_cast<std::size_t>(da - window.device_address()), len);
    if (pool.ok()) return *pool;
  }
  fw::Print(bsp, "demo: bulk0 carve-out unusable (da 0x%x), no bulk service\n",
            static_cast<unsigned>(da));
  return {};
}

}  // namespace

int FirmwareMain(const TandemBsp& bsp) {
  auto config = board::NodeConfig("demo", board::TableBytes(g_resource_table));
  if (!config.ok()) {
    fw::Print(bsp, "demo: no device window: %s\n", config.status().message());
    return fw::RemoteNode::kExitBadTable;
  }

  return fw::demo::RunDemo(bsp, *config, BulkPool(bsp, config->device_memory));
}
