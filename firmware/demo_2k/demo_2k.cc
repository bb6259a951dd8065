// The demo firmware built for 2048-byte RPMsg buffers (docs/buffers.md):
// the same services as firmware/demo (demo_node.h), with a resource table
// whose rpmsg vdev offers VIRTIO_RPMSG_F_BUFSZ and asks for 2048 bytes per
// buffer in its config space (2032-byte payloads), and a vdev0buffer of
// 2 * 256 * 2048 bytes. A host that accepts the bit (Tandem's, unless
// configured for another size) uses 2048; one that does not (Linux) would
// use 512, which this image refuses at DRIVER_OK with one clear error.

#include <cstdint>

#include "demo_node.h"
#include "tandem/remote/bsp.h"
#include "tandem/remote/print.h"
#include "tandem/remote/remote_node.h"
#include "tandem/simulated_board/node_config.h"
#include "tandem/simulated_board/rpmsg_resource_table.h"
#include "tandem/simulated_board/runtime.h"

namespace fw = tandem::remote;
namespace board = tandem::simulated_board;

namespace {
constexpr std::uint32_t kBufferSize = 2048;
}  // namespace

// Patched in place by the host: never const (rpmsg_resource_table.h).
[[gnu::section(".resource_table"), gnu::used]] constinit board::BasicRpmsgResourceTable<kBufferSize>
    g_resource_table = board::MakeRpmsgResourceTable<kBufferSize>();

int FirmwareMain(const TandemBsp& bsp) {
  auto config = board::NodeConfig("demo_2k", board::TableBytes(g_resource_table), kBufferSize);
  if (!config.ok()) {
    fw::Print(bsp, "demo_2k: no device window: %s\n", config.status().message());
    return fw::RemoteNode::kExitBadTable;
  }
  return fw::demo::RunDemo(bsp, *config);
}
