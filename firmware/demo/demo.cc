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
//
// Addresses follow the creation order below (RemoteBus allocates from
// 0x400 up). Everything else - boot, DRIVER_OK, the mailbox, shutdown and
// vdev reset - is RemoteNode's.

#include <cstddef>

#include "demo_node.h"
#include "tandem/remote/bsp.h"
#include "tandem/remote/print.h"
#include "tandem/remote/remote_node.h"
#include "tandem/rpmsg/large_message.h"
#include "tandem/simulated_board/node_config.h"
#include "tandem/simulated_board/rpmsg_resource_table.h"
#include "tandem/simulated_board/runtime.h"

namespace fw = tandem::remote;
namespace board = tandem::simulated_board;

// Patched in place by the host: never const (rpmsg_resource_table.h).
[[gnu::section(".resource_table"),
  gnu::used]] constinit board::RpmsgResourceTable g_resource_table =
    board::MakeRpmsgResourceTable(tandem::rpmsg::kFeatureLargeMessagesMask);

int FirmwareMain(const TandemBsp& bsp) {
  auto config = board::NodeConfig("demo", board::TableBytes(g_resource_table));
  if (!config.ok()) {
    fw::Print(bsp, "demo: no device window: %s\n", config.status().message());
    return fw::RemoteNode::kExitBadTable;
  }

  return fw::demo::RunDemo(bsp, *config);
}
