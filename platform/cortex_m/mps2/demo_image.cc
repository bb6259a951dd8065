// tandem_mps2_demo.elf: the demo firmware's services (firmware/demo).
#include "demo_node.h"
#include "image.h"

const char kImageName[] = "demo";

int RunImage(const TandemBsp& bsp, const tandem::remote::RemoteNodeConfig& config) {
  return tandem::remote::demo::RunDemo(bsp, config);
}
