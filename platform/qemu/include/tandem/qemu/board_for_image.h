#pragma once
// Which of QEMU's MPS2 boards runs a Cortex-M firmware ELF (docs/qemu.md).
//
// The image says it itself, as Linux's remoteproc drivers know their core
// from the device tree and the firmware is built for it:
//   - linked into the AN500's RAM window (entry at 0x60000000...): mps2-an500,
//     Cortex-M7;
//   - otherwise its build attributes (.ARM.attributes, "aeabi",
//     Tag_CPU_arch: ARM's "Addenda to, and Errata in, the ABI for the ARM
//     Architecture", build attributes): ARMv7-M -> mps2-an385 (Cortex-M3),
//     ARMv7E-M -> mps2-an386 (Cortex-M4).
// ARMv6-M (Cortex-M0/M0+) and ARMv8-M images have no board here: QEMU has no
// MPS2 board with an M0+, and the v8-M boards' memory map is not this
// platform's. The ELF is untrusted: every read is bounded.

#include <cstdint>

#include "tandem/base/result.h"
#include "tandem/base/span.h"
#include "tandem/qemu/qemu_platform.h"

namespace tandem::qemu {

// The CPU QEMU's board models, for messages ("Cortex-M3").
const char* BoardCpuName(const Mps2Board& board);

//   kInvalidArgument  not an ELF32 for EM_ARM, or an ARM profile/architecture
//                     no MPS2 board here runs (the message says which)
//   kDataLoss         a malformed ELF or attribute section
Result<Mps2Board> BoardForImage(ConstByteSpan elf);

// Tag_CPU_arch of the "aeabi" file attributes in an .ARM.attributes
// section's bytes; kNotFound if the section does not carry one.
Result<std::uint32_t> ArmCpuArch(ConstByteSpan attributes);

}  // namespace tandem::qemu
