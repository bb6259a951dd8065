// Source of the seed tests/fuzz/corpus/elf/arm_gcc_firmware.elf: the smallest
// real Cortex-M image with a builder-made resource table, so the ELF fuzzer
// starts from the layout the real toolchain produces. Not part of the build
// (it is ARM code); the command line is in elf_rsc_make_seeds.cc.

#include <cstddef>

#include "tandem/rsc/builder.h"

namespace rsc = tandem::rsc;

[[gnu::section(".resource_table"),
  gnu::used]] constinit rsc::Table<rsc::CarveoutEntry, rsc::TraceEntry, rsc::RpmsgVdevEntry<2>>
    resource_table{
        rsc::MakeCarveout(0x20000000, 0x40000, "code"),
        rsc::MakeTrace(0x20040000, 0x1000, "trace"),
        rsc::MakeRpmsgVdev(0, 1, {{rsc::kAddrAny, 16, 256, 0}, {rsc::kAddrAny, 16, 256, 1}}),
    };

extern "C" [[noreturn]] void Reset() {
  for (;;) asm volatile("wfi");
}
