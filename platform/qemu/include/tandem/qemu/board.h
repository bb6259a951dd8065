#pragma once
// The "QEMU host-driven" MPS2 board: the one description of it, used by the
// host (platform/qemu: QemuPlatform maps the board's RAM and launches QEMU)
// and by the Cortex-M firmware (platform/cortex_m/mps2: linker script,
// resource table, board support) alike (docs/architecture.md decision 12;
// docs/qemu.md has the whole picture).
//
// QEMU's MPS2 boards have 16 MiB of PSRAM, the machine's main RAM. Given to
// QEMU as a shared memory-backend-file, it is the memory both cores see: the
// host maps the same file. Device addresses are the Cortex-M's physical
// addresses of that RAM (the M core runs without an MPU or caches that
// matter here: QEMU models none). Layout of the window:
//
//   base + 0x000000 .. 0x0F8000  image carve-out: vector table (first),
//                                code, rodata, .resource_table, data, bss,
//                                the main stack (NOLOAD, after bss)
//   base + 0x0F8000 .. 0x100000  trace buffer (.trace, NOLOAD)
//   base + 0x100000 .. 0xFFF000  pool for FW_RSC_ADDR_ANY requests (vrings,
//                                vdev0buffer), allocated by the host
//   base + 0xFFF000 .. 0x1000000 board page: the watchdog counter the
//                                firmware increments (watchdog_pet) and the
//                                host samples; never handed out
//
// Flash (ZBT SSRAM1 at 0) is not in the file: QEMU loads a boot stub there
// (qemu/boot_stub.h) that points VTOR at the image's vector table, at the
// start of the image carve-out, and jumps to the ELF entry.
//
// Freestanding: no includes beyond <cstdint>.

#include <cstdint>

namespace tandem::qemu {

// The board's RAM (QEMU hw/arm/mps2.c: machine->ram, "mps.ram", 16 MiB; the
// machine refuses another size). AN385 (Cortex-M3) and AN386 (Cortex-M4)
// map it at 0x21000000, AN500 (Cortex-M7) at 0x60000000.
inline constexpr std::uint32_t kRamSize = 16u * 1024 * 1024;
inline constexpr std::uint32_t kAn385RamBase = 0x21000000u;
inline constexpr std::uint32_t kAn500RamBase = 0x60000000u;

// Offsets into the RAM window.
inline constexpr std::uint32_t kImageOffset = 0;
inline constexpr std::uint32_t kImageSize = 0x100000;  // carve-out "image", trace included
inline constexpr std::uint32_t kTraceSize = 0x8000;
inline constexpr std::uint32_t kTraceOffset = kImageOffset + kImageSize - kTraceSize;
inline constexpr std::uint32_t kPoolOffset = kImageOffset + kImageSize;
inline constexpr std::uint32_t kBoardPageOffset = kRamSize - 0x1000;
inline constexpr std::uint32_t kPoolEnd = kBoardPageOffset;  // exclusive
// A 32-bit counter, little-endian: +1 per watchdog_pet.
inline constexpr std::uint32_t kWatchdogCounterOffset = kBoardPageOffset;

// The board's peripherals the firmware uses (CMSDK APB, ARM DDI 0479C).
inline constexpr std::uint32_t kTimer0 = 0x40000000u;  // deadline wake-up
inline constexpr std::uint32_t kUart0 = 0x40004000u;   // console
inline constexpr std::uint32_t kUart1 = 0x40005000u;   // mailbox
inline constexpr std::uint32_t kSysClockHz = 25'000'000;

// The mailbox: every 32-bit message (remoteproc/mailbox.h) is 4 bytes on
// UART1's byte stream, little-endian, in both directions, with nothing in
// between: word boundaries are every 4th byte from the start of the stream.
// QEMU's UART takes a byte only when its receive register is empty (the
// chardev is flow-controlled), so no byte is ever dropped and the framing
// cannot slip; a value that is neither a notifyid (< 64) nor a control word
// (>= 0xFFFFFF00) means the stream is corrupt.
inline constexpr std::uint32_t kMailboxWordBytes = 4;

}  // namespace tandem::qemu
