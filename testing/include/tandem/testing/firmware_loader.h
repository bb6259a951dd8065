#pragma once
// Test and tool helper: loads a firmware ELF for the Linux simulated core
// the way the remoteproc layer does (PT_LOAD segments to their p_paddr in
// the image carve-out, .bss zero-filled), without a resource table. Not
// part of the platform API.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tandem/base/result.h"
#include "tandem/linux/linux_platform.h"
#include "tandem/linux/simulated_core.h"

namespace tandem::linux_platform {

Result<std::vector<std::byte>> ReadWholeFile(const std::string& path);

// Maps the image carve-out (simulated_board::kImageBase, simulated_board::kImageSize) and
// loads the x86-64 ELF at `elf_path` into it. Returns the ELF entry.
Result<std::uint64_t> LoadFirmwareImage(LinuxPlatform& platform, const std::string& elf_path);
Result<std::uint64_t> LoadFirmwareImage(SimulatedCore& core, const std::string& elf_path);

}  // namespace tandem::linux_platform
