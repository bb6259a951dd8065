// The MPS2 "QEMU host-driven" board support (host_board.h). Register
// layouts: CMSDK APB UART and timer (ARM DDI 0479C, 4.7 and 4.4), NVIC and
// SCB (ARMv7-M ARM, B3.4 and B3.2). IRQ numbers as QEMU's hw/arm/mps2.c
// wires AN385/AN386/AN500: UART1 RX 2, Timer0 8, Timer1 9.

#include "host_board.h"

#include <cstddef>
#include <cstdint>

#include "tandem/qemu/board.h"
#include "tandem/remote/bsp.h"
#include "tandem/remoteproc/mailbox.h"
#include "tandem/simulated_board/runtime.h"

namespace tandem::cortex_m::mps2 {
namespace {

namespace board = tandem::qemu;

constexpr std::uint32_t kUartData = 0x00;
constexpr std::uint32_t kUartState = 0x04;  // bit 0 TX full, bit 1 RX full
constexpr std::uint32_t kUartCtrl = 0x08;   // TX en, RX en, TX int en, RX int en
constexpr std::uint32_t kUartIntClear = 0x0C;
constexpr std::uint32_t kUartBaudDiv = 0x10;
constexpr std::uint32_t kTimerCtrl = 0x00;  // bit 0 enable, bit 3 interrupt enable
constexpr std::uint32_t kTimerValue = 0x04;
constexpr std::uint32_t kTimerReload = 0x08;
constexpr std::uint32_t kTimerIntClear = 0x0C;
constexpr std::uint32_t kTimer1 = 0x40001000u;

constexpr std::uint32_t kIrqUart1Rx = 2;
constexpr std::uint32_t kIrqTimer0 = 8;
constexpr std::uint32_t kIrqTimer1 = 9;
constexpr std::uint32_t kNvicIser = 0xE000E100u;
constexpr std::uint32_t kNvicIspr = 0xE000E200u;
constexpr std::uint32_t kScbCfsr = 0xE000ED28u;
constexpr std::uint32_t kScbHfsr = 0xE000ED2Cu;
constexpr std::uint32_t kScbMmfar = 0xE000ED34u;
constexpr std::uint32_t kScbBfar = 0xE000ED38u;

constexpr std::uint64_t kNsPerTick = 1'000'000'000ull / board::kSysClockHz;  // 40
constexpr std::uint32_t kCrash = 0xFFFFFF02u;                                // mailbox.h

volatile std::uint32_t& Reg(std::uint32_t address) {
  return *reinterpret_cast<volatile std::uint32_t*>(static_cast<std::uintptr_t>(address));
}

std::uint32_t DisableIrq() {
  std::uint32_t primask;
  __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask)::"memory");
  return primask;
}
void RestoreIrq(std::uint32_t primask) {
  __asm__ volatile("msr primask, %0" ::"r"(primask) : "memory");
}

bool IsMessage(std::uint32_t word) { return tandem::remoteproc::mailbox::IsMessage(word); }

// --- What the UART1 receive interrupt leaves (guarded by PRIMASK) --------
constexpr std::size_t kControlFifo = 16;
volatile std::uint32_t g_rx_word = 0;
volatile std::uint32_t g_rx_bytes = 0;
volatile std::uint32_t g_kicks_low = 0;   // notifyids 0..31
volatile std::uint32_t g_kicks_high = 0;  // notifyids 32..63
volatile std::uint32_t g_fifo[kControlFifo];
volatile std::uint32_t g_fifo_head = 0;
volatile std::uint32_t g_fifo_count = 0;
volatile std::uint32_t g_dropped = 0;
volatile std::uint32_t g_invalid = 0;
volatile std::uint32_t g_clock_wraps = 0;

// --- Console (UART0) and mailbox transmit (UART1), polled ----------------
void PutByte(std::uint32_t uart, std::uint8_t byte) {
  while ((Reg(uart + kUartState) & 1u) != 0) {
  }
  Reg(uart + kUartData) = byte;
}

void ConsoleWrite(void*, const char* s, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) PutByte(board::kUart0, static_cast<std::uint8_t>(s[i]));
}

void ConsoleHex(const char* label, std::uint32_t value) {
  char text[12] = "0x";
  for (int i = 0; i < 8; ++i) text[2 + i] = "0123456789abcdef"[(value >> (28 - 4 * i)) & 0xFu];
  text[10] = ' ';
  std::size_t n = 0;
  while (label[n] != '\0') ++n;
  ConsoleWrite(nullptr, label, n);
  ConsoleWrite(nullptr, text, 11);
}

void SendWord(std::uint32_t word) {
  for (int i = 0; i < 4; ++i) PutByte(board::kUart1, static_cast<std::uint8_t>(word >> (8 * i)));
}

// --- Clock (Timer1) ---------------------------------------------------------
std::uint64_t NowTicks() {
  const std::uint32_t primask = DisableIrq();
  std::uint32_t high = g_clock_wraps;
  std::uint32_t value = Reg(kTimer1 + kTimerValue);
  if ((Reg(kNvicIspr) & (1u << kIrqTimer1)) != 0) {
    // It wrapped and the interrupt has not counted it yet: count it here,
    // with a value read after the wrap.
    value = Reg(kTimer1 + kTimerValue);
    ++high;
  }
  RestoreIrq(primask);
  return (static_cast<std::uint64_t>(high) << 32) | (0xFFFFFFFFu - value);
}

std::uint64_t NowNs(void*) { return NowTicks() * kNsPerTick; }

// --- Mailbox ----------------------------------------------------------------
// A message the interrupt left, if any: control words first (in order),
// then the lowest pending notifyid. PRIMASK must be set.
bool TakeMessage(std::uint32_t* msg) {
  if (g_fifo_count != 0) {
    *msg = g_fifo[g_fifo_head];
    g_fifo_head = (g_fifo_head + 1) % kControlFifo;
    g_fifo_count = g_fifo_count - 1;
    return true;
  }
  for (std::uint32_t half = 0; half < 2; ++half) {
    volatile std::uint32_t& kicks = half == 0 ? g_kicks_low : g_kicks_high;
    const std::uint32_t pending = kicks;
    if (pending == 0) continue;
    const std::uint32_t bit = static_cast<std::uint32_t>(__builtin_ctz(pending));
    kicks = pending & ~(1u << bit);
    *msg = 32 * half + bit;
    return true;
  }
  return false;
}

int MboxWait(void*, std::uint32_t* msg, std::uint64_t timeout_ns) {
  const std::uint64_t start = NowNs(nullptr);
  const std::uint64_t deadline =
      timeout_ns >= TANDEM_BSP_FOREVER - start ? TANDEM_BSP_FOREVER : start + timeout_ns;
  for (;;) {
    DisableIrq();  // interrupts stay pending until the cpsie below
    if (TakeMessage(msg)) {
      __asm__ volatile("cpsie i" ::: "memory");
      return TANDEM_BSP_OK;
    }
    const std::uint64_t now = NowNs(nullptr);
    if (now >= deadline) {
      __asm__ volatile("cpsie i" ::: "memory");
      return TANDEM_BSP_TIMEOUT;
    }
    if (deadline != TANDEM_BSP_FOREVER) {
      std::uint64_t ticks = (deadline - now + kNsPerTick - 1) / kNsPerTick;
      if (ticks > 0xFFFFFFF0u) ticks = 0xFFFFFFF0u;
      Reg(board::kTimer0 + kTimerCtrl) = 0;
      Reg(board::kTimer0 + kTimerReload) = static_cast<std::uint32_t>(ticks);
      Reg(board::kTimer0 + kTimerValue) = static_cast<std::uint32_t>(ticks);
      Reg(board::kTimer0 + kTimerCtrl) = 0x9u;  // enable, interrupt
    }
    // WFI with PRIMASK set still wakes on a pending interrupt, which then
    // runs at the cpsie: no message can slip in between check and sleep.
    __asm__ volatile("dsb\n\twfi\n\tcpsie i\n\tisb" ::: "memory");
  }
}

int MboxSend(void*, std::uint32_t msg, std::uint64_t) {
  if (!IsMessage(msg)) return TANDEM_BSP_EINVAL;
  SendWord(msg);
  return TANDEM_BSP_OK;
}

// The host samples this counter (board.h: the board page) and resets the
// core when it stops moving for its watchdog timeout.
void WatchdogPet(void*) {
  volatile std::uint32_t& counter = Reg(TANDEM_MPS2_RAM_BASE + board::kWatchdogCounterOffset);
  counter = counter + 1;
}

[[noreturn]] void Halt() {
  __asm__ volatile("cpsid i" ::: "memory");
  for (;;) __asm__ volatile("wfi");
}

void Exit(void*, int code) {
  ConsoleHex("mps2: firmware exit, code ", static_cast<std::uint32_t>(code));
  ConsoleWrite(nullptr, "\n", 1);
  if (code != 0) SendWord(kCrash);
  Halt();
}

}  // namespace

const TandemBsp& HostBoardInit() {
  Reg(board::kUart0 + kUartBaudDiv) = 16;
  Reg(board::kUart0 + kUartCtrl) = 1u;  // TX
  Reg(board::kUart1 + kUartBaudDiv) = 16;
  Reg(board::kUart1 + kUartCtrl) = 0xBu;  // TX, RX, RX interrupt
  Reg(kTimer1 + kTimerReload) = 0xFFFFFFFFu;
  Reg(kTimer1 + kTimerValue) = 0xFFFFFFFFu;
  Reg(kTimer1 + kTimerCtrl) = 0x9u;
  Reg(kNvicIser) = (1u << kIrqUart1Rx) | (1u << kIrqTimer0) | (1u << kIrqTimer1);
  __asm__ volatile("cpsie i" ::: "memory");
  static const TandemBsp bsp = {
      TANDEM_BSP_ABI_VERSION, sizeof(TandemBsp), nullptr, MboxSend, MboxWait, NowNs,
      ConsoleWrite,           WatchdogPet,       Exit};
  return bsp;
}

}  // namespace tandem::cortex_m::mps2

namespace mps2 = tandem::cortex_m::mps2;

extern "C" {

void Default_Handler();

void Uart1RxHandler() {
  namespace board = tandem::qemu;
  mps2::Reg(board::kUart1 + mps2::kUartIntClear) = 2u;
  while ((mps2::Reg(board::kUart1 + mps2::kUartState) & 2u) != 0) {
    const std::uint32_t byte = mps2::Reg(board::kUart1 + mps2::kUartData) & 0xFFu;
    mps2::g_rx_word = mps2::g_rx_word | (byte << (8 * mps2::g_rx_bytes));
    mps2::g_rx_bytes = mps2::g_rx_bytes + 1;
    if (mps2::g_rx_bytes < 4) continue;
    const std::uint32_t word = mps2::g_rx_word;
    mps2::g_rx_word = 0;
    mps2::g_rx_bytes = 0;
    if (word < 32) {
      mps2::g_kicks_low = mps2::g_kicks_low | (1u << word);
    } else if (word < 64) {
      mps2::g_kicks_high = mps2::g_kicks_high | (1u << (word - 32));
    } else if (tandem::remoteproc::mailbox::IsQueued(word)) {
      if (mps2::g_fifo_count < mps2::kControlFifo) {
        mps2::g_fifo[(mps2::g_fifo_head + mps2::g_fifo_count) % mps2::kControlFifo] = word;
        mps2::g_fifo_count = mps2::g_fifo_count + 1;
      } else {
        mps2::g_dropped = mps2::g_dropped + 1;
      }
    } else {
      mps2::g_invalid = mps2::g_invalid + 1;
    }
  }
}

void Timer0Handler() {
  namespace board = tandem::qemu;
  mps2::Reg(board::kTimer0 + mps2::kTimerIntClear) = 1u;
  mps2::Reg(board::kTimer0 + mps2::kTimerCtrl) = 0;
}

void Timer1Handler() {
  mps2::Reg(mps2::kTimer1 + mps2::kTimerIntClear) = 1u;
  mps2::g_clock_wraps = mps2::g_clock_wraps + 1;
}

// Every fault ends here (the configurable faults are not enabled, so they
// escalate): tell the host, then stop. A fault in here locks the core up,
// which QEMU reports and exits on.
void HardFault_Handler() {
  mps2::ConsoleHex("\nmps2: HardFault: CFSR", mps2::Reg(mps2::kScbCfsr));
  mps2::ConsoleHex("HFSR", mps2::Reg(mps2::kScbHfsr));
  mps2::ConsoleHex("MMFAR", mps2::Reg(mps2::kScbMmfar));
  mps2::ConsoleHex("BFAR", mps2::Reg(mps2::kScbBfar));
  mps2::ConsoleWrite(nullptr, "\n", 1);
  mps2::SendWord(mps2::kCrash);
  mps2::Halt();
}

// Static destructors never run (the core ends by being reset), so
// registering one is a no-op, as on the simulated board.
void* __dso_handle = nullptr;
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }

}  // extern "C"

namespace {

using Vector = void (*)();

// The device interrupts (exceptions 16..47): the linker script places this
// right after startup.cc's 16 system vectors (.isr_vector), so the two form
// one table at the image base, where the boot stub points VTOR.
__attribute__((section(".isr_vector_irq"), used)) const Vector kIrqVectors[32] = {
    Default_Handler, Default_Handler, Uart1RxHandler,  Default_Handler,  // 0..3
    Default_Handler, Default_Handler, Default_Handler, Default_Handler,  // 4..7
    Timer0Handler,   Timer1Handler,   Default_Handler, Default_Handler,  // 8..11
    Default_Handler, Default_Handler, Default_Handler, Default_Handler,  // 12..15
    Default_Handler, Default_Handler, Default_Handler, Default_Handler,  // 16..19
    Default_Handler, Default_Handler, Default_Handler, Default_Handler,  // 20..23
    Default_Handler, Default_Handler, Default_Handler, Default_Handler,  // 24..27
    Default_Handler, Default_Handler, Default_Handler, Default_Handler,  // 28..31
};

}  // namespace

// The image's main (startup.cc's Reset_Handler calls it): the board, then
// the firmware, whose return value ends the core.
int main() {
  const TandemBsp& bsp = mps2::HostBoardInit();
  const int code = FirmwareMain(bsp);
  bsp.exit(bsp.ctx, code);
  return code;
}
