#pragma once
// What one MPS2 host-driven image runs (host_image.cc is the rest): its
// name (node name, console prefix) and its services on the node.

#include "tandem/remote/bsp.h"
#include "tandem/remote/remote_node.h"

extern const char kImageName[];
int RunImage(const TandemBsp& bsp, const tandem::remote::RemoteNodeConfig& config);
