#pragma once
// The device-address space of the Linux simulated core.
//
// The core process maps every region of remote memory at its device address
// (MAP_FIXED_NOREPLACE), as a Cortex-M sees its SRAM at fixed addresses, and
// firmware images are linked for those addresses (firmware/common/
// firmware.ld). All device addresses live in [kDeviceWindowBase,
// kDeviceWindowEnd) = 0x10000000..0x3FFFFFFF because that range is free in
// every process layout the launcher may run under:
//   * below the PIE load address (0x55..., 0x56...), the heap that follows
//     it, and the mmap area (0x7f...), so it never collides with the
//     launcher's own code, libraries or allocations;
//   * above the 4 MiB where a non-PIE executable would be loaded;
//   * below 2 GiB: ASan's x86-64 "LowMem" application range is
//     [0, 0x7fff8000) (its shadow starts at 0x7fff8000), and TSan's
//     low application range starts at 0 as well, so the same addresses work
//     if the launcher is ever built with a sanitizer.
//
// Layout by convention (the firmware's linker script and resource table
// decide; nothing here enforces the split except the pool):
//   0x10000000  firmware image carve-out (1 MiB in firmware.ld)
//   0x20000000  free for fixed-address carve-outs (tests use it)
//   0x30000000  pool for kAnyAddress requests (LinuxPlatform::MapMemory)

#include <cstdint>

namespace tandem::linux_platform {

inline constexpr std::uint64_t kDeviceWindowBase = 0x10000000;
inline constexpr std::uint64_t kDeviceWindowEnd = 0x40000000;  // exclusive

inline constexpr std::uint64_t kFirmwareImageBase = 0x10000000;
inline constexpr std::uint64_t kFirmwareImageSize = 0x00100000;

inline constexpr std::uint64_t kDynamicPoolBase = 0x30000000;
inline constexpr std::uint64_t kDynamicPoolEnd = 0x40000000;  // exclusive

// Regions are mapped with page granularity: device addresses must be
// page-aligned and sizes are rounded up to whole pages.
inline constexpr std::uint64_t kPageSize = 4096;

// True iff [device_address, device_address + size) is a non-empty range
// inside the device window (no wrap-around).
constexpr bool InDeviceWindow(std::uint64_t device_address, std::uint64_t size) {
  return size > 0 && device_address >= kDeviceWindowBase && device_address < kDeviceWindowEnd &&
         size <= kDeviceWindowEnd - device_address;
}

}  // namespace tandem::linux_platform
