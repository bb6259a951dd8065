#pragma once
// The faulty firmware's services on a RemoteNode, board-independent: the
// simulated core's image (faulty.cc) and the Cortex-M image for QEMU's MPS2
// boards (platform/cortex_m/mps2) both run this, each with its own resource
// table and node configuration.

#include "tandem/remote/bsp.h"
#include "tandem/remote/remote_node.h"

namespace tandem::remote::faulty {

// Adds rpmsg-openamp-demo-channel (echo, 0x400) and tandem-fault (0x401) to
// a node made from `bsp` and `config`, and runs it; returns its exit code.
// Call once: the node and the services are static.
int RunFaulty(const TandemBsp& bsp, const RemoteNodeConfig& config);

}  // namespace tandem::remote::faulty
