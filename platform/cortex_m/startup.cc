// Bare-metal start-up for a Cortex-M (M0+, M3, M4F, M7): the vector table and Reset_Handler.
// Linked with -nostartfiles, so nothing of crt0 runs: this file does what a
// C/C++ runtime needs before main() (copy .data, zero .bss, enable the FPU,
// run static constructors). Symbols come from generic_m4.ld.
//
// Deliberately no newlib start-up (__libc_init_array would pull _init from
// crti.o, a start file) and no syscall stubs.

#include <cstddef>
#include <cstdint>

extern "C" {
// From the linker script.
extern std::uint32_t _estack;
extern std::uint32_t _sidata;
extern std::uint32_t _sdata;
extern std::uint32_t _edata;
extern std::uint32_t _sbss;
extern std::uint32_t _ebss;
using InitFunction = void (*)();
extern InitFunction __init_array_start[];
extern InitFunction __init_array_end[];

int main();

[[noreturn]] void Reset_Handler();
void Default_Handler();
}

#if defined(__ARM_FP)
namespace {

// Coprocessor Access Control Register (ARMv7-M ARM, B3.2.20).
constexpr std::uintptr_t kCpacr = 0xE000ED88u;

}  // namespace
#endif

extern "C" [[noreturn]] void Reset_Handler() {
  // -mfloat-abi=hard lets the compiler use VFP registers anywhere, even in
  // memcpy; CP10/CP11 must be enabled (full access) before any such code.
  // (Only where there is an FPU: CPACR does not exist on an M0+ or M3.)
#if defined(__ARM_FP)
  auto* cpacr = reinterpret_cast<volatile std::uint32_t*>(kCpacr);
  *cpacr = *cpacr | (0xFu << 20);
  // The write must complete and the pipeline refetch before the first FPU
  // instruction (ARMv7-M ARM, B3.2.20: "DSB; ISB" after changing CPACR).
  __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif

  // Word loops written out rather than memcpy/memset: .data and .bss are not
  // set up yet, and the library versions may rely on either.
  const std::uint32_t* src = &_sidata;
  for (std::uint32_t* dst = &_sdata; dst < &_edata;) *dst++ = *src++;
  for (std::uint32_t* dst = &_sbss; dst < &_ebss;) *dst++ = 0;

  for (InitFunction* init = __init_array_start; init < __init_array_end; ++init) (*init)();

  main();
  // A bare-metal main has nowhere to return to: wait for interrupts forever.
  for (;;) __asm__ volatile("wfi");
}

// Faults and unexpected interrupts stop here, where a debugger finds them.
// Spinning is the only safe thing a handler without any I/O can do: a trap or
// a BKPT without a debugger attached escalates to HardFault, and from inside
// HardFault that locks the core up.
extern "C" void Default_Handler() {
  for (;;) __asm__ volatile("nop");
}

// Weak aliases so a board file may override any handler by name.
extern "C" {
void NMI_Handler() __attribute__((weak, alias("Default_Handler")));
void HardFault_Handler() __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler() __attribute__((weak, alias("Default_Handler")));
void BusFault_Handler() __attribute__((weak, alias("Default_Handler")));
void UsageFault_Handler() __attribute__((weak, alias("Default_Handler")));
void SVC_Handler() __attribute__((weak, alias("Default_Handler")));
void DebugMon_Handler() __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler() __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler() __attribute__((weak, alias("Default_Handler")));
}

namespace {

using Vector = void (*)();

// The ARMv7-M vector table (ARMv7-M ARM, B1.5.3): initial SP, then the
// exception handlers by number. Device interrupts (16+) are board-specific
// and left to a board's own table.
constexpr std::size_t kSystemVectors = 16;

__attribute__((section(".isr_vector"), used)) const Vector kVectorTable[kSystemVectors] = {
    reinterpret_cast<Vector>(&_estack),
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    nullptr,  // reserved
    nullptr,  // reserved
    nullptr,  // reserved
    nullptr,  // reserved
    SVC_Handler,
    DebugMon_Handler,
    nullptr,  // reserved
    PendSV_Handler,
    SysTick_Handler,
};

}  // namespace
