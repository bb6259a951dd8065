// The simulated board's glue for C images (tandem/c/simulated_board.h):
// the standard resource table and FirmwareMain(), which hands over to the
// image's tandem_firmware_main(). Compiled with firmware flags into every C
// image (firmware/CMakeLists.txt: tandem_fw_c_image).

#include "tandem/c/simulated_board.h"
#include "tandem/capi/bridge.h"
#include "tandem/remote/c_node.h"
#include "tandem/simulated_board/node_config.h"
#include "tandem/simulated_board/rpmsg_resource_table.h"
#include "tandem/simulated_board/runtime.h"

namespace board = tandem::simulated_board;

// Patched in place by the host: never const (rpmsg_resource_table.h).
[[gnu::section(".resource_table"),
  gnu::used]] constinit board::RpmsgResourceTable g_resource_table =
    board::MakeRpmsgResourceTable();

int FirmwareMain(const TandemBsp& bsp) { return tandem_firmware_main(&bsp); }

extern "C" int tandem_simulated_board_node_init(tandem_remote_node* node, const TandemBsp* bsp,
                                                const char* name) {
  if (node == nullptr || bsp == nullptr) return TANDEM_EINVAL;
  auto config = board::NodeConfig(name, board::TableBytes(g_resource_table));
  if (!config.ok()) return tandem::capi::ToErrorCode(config.status());
  return tandem::remote::InitCNode(*node, *bsp, *config);
}
