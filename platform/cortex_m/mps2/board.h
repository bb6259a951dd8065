#pragma once
// The MPS2 board pieces a test image needs, as QEMU models them: the console
// (CMSDK APB UART0) and the end of a run (Arm semihosting). Bare metal: no
// interrupts, polled I/O.

#include <cstdint>

namespace tandem::cortex_m::mps2 {

// Enables UART0's transmitter (call once before Print).
void ConsoleInit();
// Writes `text` to UART0, waiting while its transmit buffer is full.
void Print(const char* text);
void PrintUnsigned(std::uint32_t value);
void PrintHex(std::uint32_t value);  // 0x...

// Ends the emulation with `code` as QEMU's exit status (semihosting
// SYS_EXIT_EXTENDED; QEMU needs -semihosting-config enable=on). On a board
// without a debugger attached this would fault: test images only.
[[noreturn]] void Exit(int code);

}  // namespace tandem::cortex_m::mps2
