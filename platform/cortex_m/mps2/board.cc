// MPS2 console and exit (board.h).
#include "board.h"

namespace tandem::cortex_m::mps2 {

namespace {

// CMSDK APB UART (ARM DDI 0479C, 4.7): UART0 of AN385/AN386 at 0x40004000.
constexpr std::uintptr_t kUart0 = 0x40004000u;
constexpr std::uintptr_t kData = 0x000;
constexpr std::uintptr_t kState = 0x004;  // bit 0: transmit buffer full
constexpr std::uintptr_t kCtrl = 0x008;   // bit 0: transmit enable
constexpr std::uintptr_t kBaudDiv = 0x010;

volatile std::uint32_t& Reg(std::uintptr_t offset) {
  return *reinterpret_cast<volatile std::uint32_t*>(kUart0 + offset);
}

// Arm semihosting (Arm IHI 0075, "Semihosting for AArch32 and AArch64"):
// BKPT 0xAB on M-profile, operation in r0, parameter in r1.
constexpr std::uint32_t kSysExitExtended = 0x20;
constexpr std::uint32_t kApplicationExit = 0x20026;  // ADP_Stopped_ApplicationExit

}  // namespace

void ConsoleInit() {
  Reg(kBaudDiv) = 16;  // the smallest divider the UART accepts
  Reg(kCtrl) = 1;
}

void Print(const char* text) {
  for (; *text != '\0'; ++text) {
    while ((Reg(kState) & 1u) != 0) {
    }
    Reg(kData) = static_cast<std::uint8_t>(*text);
  }
}

void PrintUnsigned(std::uint32_t value) {
  char digits[11];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  char out[12];
  for (int i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
  out[n] = '\0';
  Print(out);
}

void PrintHex(std::uint32_t value) {
  char out[11] = "0x";
  int n = 2;
  bool started = false;
  for (int shift = 28; shift >= 0; shift -= 4) {
    const std::uint32_t digit = (value >> shift) & 0xFu;
    if (digit == 0 && !started && shift != 0) continue;
    started = true;
    out[n++] = "0123456789abcdef"[digit];
  }
  out[n] = '\0';
  Print(out);
}

void Exit(int code) {
  const std::uint32_t block[2] = {kApplicationExit, static_cast<std::uint32_t>(code)};
  register std::uint32_t op __asm__("r0") = kSysExitExtended;
  register const std::uint32_t* arg __asm__("r1") = block;
  __asm__ volatile("bkpt 0xab" : "+r"(op) : "r"(arg) : "memory");
  for (;;) __asm__ volatile("wfi");
}

}  // namespace tandem::cortex_m::mps2
