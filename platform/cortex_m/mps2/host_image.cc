// The Cortex-M images for QEMU's MPS2 boards, driven by a Linux host through
// platform/qemu (docs/qemu.md): tandem_mps2_demo.elf (firmware/demo:
// rpmsg-client-sample, echo, tty) and tandem_mps2_faulty.elf
// (firmware/faulty: echo and tandem-fault), from the same sources as the
// simulated core's demo.elf and faulty.elf; image.h names which services an
// image runs (demo_image.cc, faulty_image.cc). Their resource table has the standard shape
// (rpmsg_resource_table.h) at the addresses of the board's shared RAM
// (tandem/qemu/board.h); the linker script mps2_host.ld.in places the image
// there.

#include <cstdint>

#include "image.h"
#if TANDEM_CORTEX_M_DCACHE
#include "tandem/cortex_m/data_cache.h"
#endif
#include "tandem/qemu/board.h"
#include "tandem/remote/print.h"
#include "tandem/remote/remote_node.h"
#include "tandem/rsc/builder.h"
#include "tandem/shm/region.h"
#include "tandem/simulated_board/node_config.h"
#include "tandem/simulated_board/rpmsg_resource_table.h"
#include "tandem/simulated_board/runtime.h"

namespace {

namespace board = tandem::qemu;
namespace sim = tandem::simulated_board;
namespace rsc = tandem::rsc;

// The board's RAM base for this CPU's board (CMake: TANDEM_MPS2_RAM_BASE).
constexpr std::uint32_t kRamBase = TANDEM_MPS2_RAM_BASE;
constexpr std::uint32_t kImageBase = kRamBase + board::kImageOffset;

consteval sim::RpmsgResourceTable MakeTable() {
  using Table = sim::RpmsgResourceTable;
  return Table{
      .header = rsc::MakeHeader<4>({offsetof(Table, image), offsetof(Table, trace),
                                    offsetof(Table, buffers), offsetof(Table, vdev)}),
      .image = rsc::MakeCarveout(kImageBase, board::kImageSize, "image"),
      .trace = rsc::MakeTrace(kRamBase + board::kTraceOffset, board::kTraceSize, "trace0"),
      .buffers = rsc::MakeCarveout(rsc::kAddrAny, sim::kRpmsgBufferAreaSize,
                                   tandem::vdev::kBufferCarveoutName),
      .vdev =
          rsc::MakeRpmsgVdev(rsc::kAddrAny, sim::kRpmsgFeatures,
                             {{rsc::kAddrAny, sim::kVringAlign, sim::kVringNum, rsc::kAddrAny},
                              {rsc::kAddrAny, sim::kVringAlign, sim::kVringNum, rsc::kAddrAny}}),
  };
}

}  // namespace

// Patched in place by the host: never const.
[[gnu::section(".resource_table"), gnu::used]] constinit sim::RpmsgResourceTable g_resource_table =
    MakeTable();

int FirmwareMain(const TandemBsp& bsp) {
  // The whole RAM window, identity-mapped: the M core sees its RAM at the
  // device addresses the host hands out.
#if TANDEM_CORTEX_M_DCACHE
  // A D-cache not coherent with the host: every access to the shared RAM
  // is cleaned / invalidated by address (data_cache.h).
  static tandem::cortex_m::DataCache<> cache;
  tandem::shm::CacheOps* cache_ops = &cache;
#else
  tandem::shm::CacheOps* cache_ops = nullptr;
#endif
  auto window =
      tandem::shm::Region::Create(reinterpret_cast<void*>(static_cast<std::uintptr_t>(kRamBase)),
                                  board::kRamSize, kRamBase, cache_ops);
  if (!window.ok()) {
    tandem::remote::Print(bsp, "%s: no device window: %s\n", kImageName, window.status().message());
    return tandem::remote::RemoteNode::kExitBadTable;
  }
  tandem::remote::RemoteNodeConfig config;
  config.name = kImageName;
  config.resource_table = sim::TableBytes(g_resource_table);
  config.device_memory = *window;
  config.image = {kImageBase, board::kImageSize};
  return RunImage(bsp, config);
}
