// tandem_mps2_faulty.elf: the faulty firmware's services (firmware/faulty):
// on a Cortex-M, "segv" and "ill" end in the HardFault handler (a null
// store does not fault on the MPS2 memory map, the trap after it does),
// "hang" starves the watchdog, "corrupt-ring" is the hostile peer.
#include "faulty_node.h"
#include "image.h"

const char kImageName[] = "faulty";

int RunImage(const TandemBsp& bsp, const tandem::remote::RemoteNodeConfig& config) {
  return tandem::remote::faulty::RunFaulty(bsp, config);
}
