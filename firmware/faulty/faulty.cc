// The faulty firmware: the echo channel plus "tandem-fault", whose text
// commands make the image crash, hang, ignore the shutdown handshake or
// corrupt its rings on purpose (fault_service.h), for the host's crash,
// watchdog, forced-reset and hostile-peer tests.
//
//   0x400  rpmsg-openamp-demo-channel  echo, byte for byte
//   0x401  tandem-fault                fault injection

#include <cstddef>

#include "faulty_node.h"
#include "tandem/remote/bsp.h"
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
  auto config = board::NodeConfig("faulty", board::TableBytes(g_resource_table));
  if (!config.ok()) {
    fw::Print(bsp, "faulty: no device window: %s\n", config.status().message());
    return fw::RemoteNode::kExitBadTable;
  }

  return fw::faulty::RunFaulty(bsp, *config);
}
