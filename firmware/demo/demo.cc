// The demo firmware: one image serving three RPMsg services, like NXP's
// Linux <-> Zephyr RPMsg demo (docs/firmware.md):
//
//   0x400  rpmsg-client-sample         remote half of Linux's rpmsg_client_sample
//   0x401  rpmsg-openamp-demo-channel  echo, byte for byte
//   0x402  rpmsg-tty                   echo prefixed "TTY 0x0402: "
//
// Addresses follow the creation order below (RemoteBus allocates from
// 0x400 up). Everything else - boot, DRIVER_OK, the mailbox, shutdown and
// vdev reset - is RemoteNode's.

#include <cstddef>

#include "demo_services.h"
#include "tandem/remote/bsp.h"
#include "tandem/remote/echo_service.h"
#include "tandem/remote/print.h"
#include "tandem/remote/remote_node.h"
#include "tandem/simulated_board/node_config.h"
#include "tandem/simulated_board/rpmsg_resource_table.h"
#include "tandem/simulated_board/runtime.h"

namespace fw = tandem::remote;
namespace board = tandem::simulated_board;

// Patched in place by the host: never const (rpmsg_resource_table.h).
[[gnu::section(".resource_table"),
  gnu::used]] constinit board::RpmsgResourceTable g_resource_table =
    board::MakeRpmsgResourceTable();

int FirmwareMain(const TandemBsp& bsp) {
  auto config = board::NodeConfig("demo", board::TableBytes(g_resource_table));
  if (!config.ok()) {
    fw::Print(bsp, "demo: no device window: %s\n", config.status().message());
    return fw::RemoteNode::kExitBadTable;
  }

  // Static storage: the node holds the bus and its buffers' bookkeeping.
  static fw::RemoteNode node(bsp, *config);
  static fw::demo::SampleClientService sample(node);
  static fw::EchoService echo(node);
  static fw::demo::TtyService tty(node);
  static tandem::rpmsg::Endpoint sample_endpoint;
  static tandem::rpmsg::Endpoint echo_endpoint;
  static tandem::rpmsg::Endpoint tty_endpoint;

  const tandem::Status added[] = {
      node.AddEndpoint(sample_endpoint, fw::demo::SampleClientService::kName, sample),
      node.AddEndpoint(echo_endpoint, fw::EchoService::kName, echo),
      node.AddEndpoint(tty_endpoint, fw::demo::TtyService::kName, tty),
  };
  for (const tandem::Status& s : added) {
    if (!s.ok()) node.Log("demo: endpoint not created: %s", s.message());
  }
  return node.Run();
}
