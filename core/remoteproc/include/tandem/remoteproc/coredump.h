#pragma once
// Coredump of a remote's memory as an ELF core file, like Linux's default
// (drivers/remoteproc/remoteproc_coredump.c, rproc_coredump with
// RPROC_COREDUMP_DEFAULT): an ELF header of type ET_CORE, one PT_LOAD
// program header per dumped region, then the regions' bytes; plus, first,
// a PT_NOTE segment (core_notes.h) so that gdb opens it as a core and the
// file names the remote it came from.
//
// Layout written by WriteElfCore():
//   Ehdr | Phdr[0] PT_NOTE | Phdr[1..n] PT_LOAD | notes | bytes of
//   segment 1 | bytes of segment 2 | ...
// Segment data is packed (p_offset of segment i+1 = p_offset of i +
// p_filesz of i), as Linux packs it; p_vaddr = p_paddr = the region's
// device address, p_filesz = p_memsz = its size, p_flags = RWX, p_align = 0
// (4 for the notes). No section headers. e_machine and the ELF class are the
// firmware's (ELF32 for a 32-bit firmware, ELF64 for a 64-bit one: a
// debugger pairs the core with the firmware ELF), e_entry its entry point.
//
// No heap: headers are built on the stack and handed to the writer one at a
// time; region bytes are handed over zero-copy from shared memory (the
// writer copies them where it likes; a running remote may change them
// meanwhile, which is what "dump on demand" means).

#include <cstdint>
#include <span>

#include "tandem/base/result.h"
#include "tandem/base/span.h"
#include "tandem/base/status.h"
#include "tandem/remoteproc/core_format.h"
#include "tandem/remoteproc/core_notes.h"
#include "tandem/shm/region.h"

namespace tandem::remoteproc {

// Writes the core file for `regions` (each becomes one PT_LOAD) with
// `notes`. Errors: kInvalidArgument for more than 65533 regions or, in
// ELF32, a device address, size or file offset that does not fit 32 bits;
// the writer's status otherwise. Nothing is written on kInvalidArgument.
Status WriteElfCore(const CoreFormat& format, const CoreNotes& notes,
                    std::span<const shm::Region> regions, CoredumpWriter& out);
// With notes that name nothing (registers zero, no signal).
inline Status WriteElfCore(const CoreFormat& format, std::span<const shm::Region> regions,
                           CoredumpWriter& out) {
  return WriteElfCore(format, CoreNotes{}, regions, out);
}

// The size of the file WriteElfCore() would write, with the same errors
// (kInvalidArgument) before anything is read.
Result<std::uint64_t> ElfCoreSize(const CoreFormat& format, const CoreNotes& notes,
                                  std::span<const shm::Region> regions);

}  // namespace tandem::remoteproc
