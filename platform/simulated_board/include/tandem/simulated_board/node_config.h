#pragma once
// What every RemoteNode image on the simulated board runs with: its own
// resource table object and the whole device window, identity-mapped (device
// address == pointer, docs/architecture.md decision 8). Only regions the host
// mapped are backed; LoadedTable refuses addresses outside the window.

#include <cstdint>

#include "tandem/base/result.h"
#include "tandem/base/span.h"
#include "tandem/remote/remote_node.h"
#include "tandem/shm/region.h"

namespace tandem::simulated_board {

// The device window as a region (memory_map.h: kDeviceWindowBase/End).
Result<shm::Region> DeviceWindow();

// A RemoteNodeConfig for an image called `name` whose .resource_table object
// is `resource_table`: the device window, the image range of memory_map.h and
// `buffer_size`-byte RPMsg buffers (Linux's 512; another size is the one
// the table was built for, MakeRpmsgResourceTable<N>). The error is
// DeviceWindow()'s.
Result<remote::RemoteNodeConfig> NodeConfig(const char* name, ByteSpan resource_table,
                                            std::uint32_t buffer_size = 512);

// The bytes of an image's resource-table object, for NodeConfig().
template <typename Table>
ByteSpan TableBytes(Table& table) {
  return ByteSpan(reinterpret_cast<std::byte*>(&table), sizeof(table));
}

}  // namespace tandem::simulated_board
