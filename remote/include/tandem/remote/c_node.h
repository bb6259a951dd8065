#pragma once
// The C++ side of tandem/c/remote.h: a board's C glue (e.g.
// platform/simulated_board/c_image.cc) builds a RemoteNodeConfig its own way
// and constructs the C node from it.

#include "tandem/c/remote.h"
#include "tandem/remote/remote_node.h"

namespace tandem::remote {

// Constructs the node in `node`'s storage and binds its device. TANDEM_OK.
int InitCNode(tandem_remote_node& node, const TandemBsp& bsp, const RemoteNodeConfig& config);

}  // namespace tandem::remote
