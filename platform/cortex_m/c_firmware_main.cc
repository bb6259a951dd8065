// main() of tandem_c_echo_m4.elf: the C firmware image firmware/c_echo
// (main.c, compiled by arm-none-eabi-gcc as C) with the remote runtime and
// its C binding, linked bare-metal like tandem_core_m4.elf. The board table
// is a stub (this board has no mailbox): the point is the link - the C API,
// RemoteNode and the C image need nothing a Cortex-M board lacks. Not meant
// to run.

#include <cstddef>
#include <cstdint>

#include "tandem/remote/bsp.h"
#include "tandem/simulated_board/runtime.h"

namespace {

volatile std::uint32_t g_sink;

int MboxSend(void*, std::uint32_t msg, std::uint64_t) {
  g_sink = msg;
  return TANDEM_BSP_TIMEOUT;
}
int MboxWait(void*, std::uint32_t*, std::uint64_t) { return TANDEM_BSP_TIMEOUT; }
std::uint64_t NowNs(void*) { return g_sink; }
void ConsoleWrite(void*, const char* s, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) g_sink = g_sink + static_cast<unsigned char>(s[i]);
}
void WatchdogPet(void*) { g_sink = g_sink + 1; }
void Exit(void*, int code) {
  g_sink = static_cast<std::uint32_t>(code);
  for (;;) {
  }
}

}  // namespace

int main() {
  static const TandemBsp bsp = {
      TANDEM_BSP_ABI_VERSION, sizeof(TandemBsp), nullptr, MboxSend, MboxWait, NowNs,
      ConsoleWrite,           WatchdogPet,       Exit};
  return FirmwareMain(bsp);
}
