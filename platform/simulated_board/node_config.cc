#include "tandem/simulated_board/node_config.h"

#include <cstdint>

#include "tandem/simulated_board/memory_map.h"

namespace tandem::simulated_board {

Result<shm::Region> DeviceWindow() {
  // Identity mapping: device address kDeviceWindowBase is that pointer.
  return shm::Region::Create(
      reinterpret_cast<void*>(static_cast<std::uintptr_t>(kDeviceWindowBase)),
      static_cast<std::size_t>(kDeviceWindowEnd - kDeviceWindowBase), kDeviceWindowBase);
}

Result<remote::RemoteNodeConfig> NodeConfig(const char* name, ByteSpan resource_table,
                                            std::uint32_t buffer_size) {
  TANDEM_TRY_ASSIGN(shm::Region window, DeviceWindow());
  remote::RemoteNodeConfig config;
  config.name = name;
  config.resource_table = resource_table;
  config.device_memory = window;
  config.image = {kImageBase, kImageSize};
  config.buffer_size = buffer_size;
  return config;
}

}  // namespace tandem::simulated_board
