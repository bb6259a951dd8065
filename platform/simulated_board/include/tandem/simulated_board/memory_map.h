#pragma once
// The memory map of the simulated board: the one description of it, used by
// the host side (platform/linux: LinuxPlatform places regions, the tandem-core
// launcher maps them) and by every firmware image (resource tables, the
// linker script platform/simulated_board/firmware.ld) alike.
//
// The core process maps every region of remote memory at its device address
// (MAP_FIXED_NOREPLACE), as a Cortex-M sees its SRAM at fixed addresses, and
// the byte at device address da is at pointer da in the firmware
// (docs/architecture.md, decision 8). All device addresses live in
// [kDeviceWindowBase, kDeviceWindowEnd) = 0x10000000..0x3FFFFFFF because that
// range is free in every process layout the launcher may run under:
//   * below the PIE load address (0x55..., 0x56...), the heap that follows
//     it, and the mmap area (0x7f...), so it never collides with the
//     launcher's own code, libraries or allocations;
//   * above the 4 MiB where a non-PIE executable would be loaded;
//   * below 2 GiB: ASan's x86-64 "LowMem" application range is
//     [0, 0x7fff8000) (its shadow starts at 0x7fff8000), and TSan's low
//     application range starts at 0 as well.
//
//   0x10000000 .. 0x100F8000  image: code, rodata, .resource_table, data, bss
//   0x100F8000 .. 0x10100000  trace buffer (.trace, NOLOAD: never loaded,
//                             cleared by the firmware's TraceWriter at boot)
//   0x20000000 .. 0x30000000  free for fixed-address carve-outs (tests)
//   0x30000000 .. 0x40000000  pool for FW_RSC_ADDR_ANY requests (vrings,
//                             buffers: LinuxPlatform::MapMemory)
//
// firmware.ld places images by the same numbers; the image check
// (check_image.cmake, CTest firmware_image.<name>) proves the two agree for
// every built image.

#include <cstdint>

namespace tandem::simulated_board {

// Every device address the host may hand out. Addresses outside are refused
// on both sides before they are ever dereferenced.
inline constexpr std::uint64_t kDeviceWindowBase = 0x10000000;
inline constexpr std::uint64_t kDeviceWindowEnd = 0x40000000;  // exclusive

// The image carve-out ("image" in the resource table).
inline constexpr std::uint32_t kImageBase = 0x10000000;
inline constexpr std::uint32_t kImageSize = 0x00100000;

// The trace buffer: the last 32 KiB of the image carve-out, reserved by
// firmware.ld so that code and data never overlap it.
inline constexpr std::uint32_t kTraceSize = 0x8000;
inline constexpr std::uint32_t kTraceBase = kImageBase + kImageSize - kTraceSize;

// Where the host allocates FW_RSC_ADDR_ANY requests.
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

static_assert(kTraceBase == 0x100F8000, "firmware.ld reserves the trace at 0x100F8000");
static_assert(InDeviceWindow(kImageBase, kImageSize), "the image lies in the device window");
static_assert(kDynamicPoolBase >= kImageBase + kImageSize && kDynamicPoolEnd <= kDeviceWindowEnd,
              "the pool lies in the window, after the image");
static_assert(kImageBase % kPageSize == 0 && kDynamicPoolBase % kPageSize == 0);

}  // namespace tandem::simulated_board
