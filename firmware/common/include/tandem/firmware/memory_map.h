#pragma once
// The device-address map of a firmware image for the Linux simulated core,
// as constants the resource table (constant data) can use. The linker
// script firmware/common/firmware.ld places the image by the same numbers;
// the image check (firmware/common/check_image.cmake, CTest
// firmware_image.<name>) proves the two agree for every built image.
//
//   0x10000000 .. 0x100F8000  image: code, rodata, .resource_table, data, bss
//   0x100F8000 .. 0x10100000  trace buffer (.trace, NOLOAD: never loaded,
//                             cleared by the firmware's TraceWriter at boot)
//   0x10000000 .. 0x40000000  every device address the host may hand out
//                             (platform/linux/include/tandem/linux/
//                             address_space.h: kDeviceWindowBase/End; the
//                             host allocates vrings and buffers from
//                             0x30000000 up)
//
// Device addresses are identity-mapped in the simulated core (ARCHITECTURE.md
// decision 8): the byte at device address da is at pointer da.

#include <cstdint>

namespace tandem::firmware {

// The image carve-out ("image" in the resource table).
inline constexpr std::uint32_t kImageBase = 0x10000000;
inline constexpr std::uint32_t kImageSize = 0x00100000;

// The trace buffer: the last 32 KiB of the image carve-out, reserved by
// firmware.ld so that code and data never overlap it.
inline constexpr std::uint32_t kTraceSize = 0x8000;
inline constexpr std::uint32_t kTraceBase = kImageBase + kImageSize - kTraceSize;

// Where the host may place anything it shares with us. Addresses outside
// are refused before they are ever dereferenced.
inline constexpr std::uint64_t kDeviceWindowBase = 0x10000000;
inline constexpr std::uint64_t kDeviceWindowEnd = 0x40000000;  // exclusive

static_assert(kTraceBase == 0x100F8000, "firmware.ld reserves the trace at 0x100F8000");
static_assert(kImageBase >= kDeviceWindowBase && kImageBase + kImageSize <= kDeviceWindowEnd);

}  // namespace tandem::firmware
