#pragma once
// The demo firmware's services on a RemoteNode, board-independent: the
// simulated core's image (demo.cc) and the Cortex-M image for QEMU's MPS2
// boards (platform/cortex_m/mps2/host_demo.cc) both run this, each with its
// own resource table and node configuration.

#include "tandem/remote/bsp.h"
#include "tandem/remote/remote_node.h"
#include "tandem/shm/region.h"

namespace tandem::remote::demo {

// Adds rpmsg-client-sample (0x400), rpmsg-openamp-demo-channel (echo,
// 0x401), rpmsg-tty (0x402) and the two ends of `tandem bench`'s streaming,
// tandem-bench-sink (0x403) and tandem-bench-source (0x404), to a node made from `bsp` and
// `config`, and runs it; returns its exit code. Call once: the node and the services are static.
// With a non-empty `bulk_pool` (the image's "bulk0" carve-out, docs/bulk_buffers.md) it also serves
// tandem-bulk-source (0x407).
int RunDemo(const TandemBsp& bsp, const RemoteNodeConfig& config, shm::Region bulk_pool = {});

}  // namespace tandem::remote::demo
