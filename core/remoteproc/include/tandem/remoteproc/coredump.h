#pragma once
// Coredump of a remote's memory as an ELF core file, like Linux's default
// (drivers/remoteproc/remoteproc_coredump.c, rproc_coredump with
// RPROC_COREDUMP_DEFAULT): an ELF header of type ET_CORE, one PT_LOAD
// program header per dumped region, then the regions' bytes.
//
// Layout written by WriteElfCore():
//   Ehdr | Phdr[0..n) | bytes of segment 0 | bytes of segment 1 | ...
// Segment data is packed (p_offset of segment i+1 = p_offset of i +
// p_filesz of i), as Linux packs it; p_vaddr = p_paddr = the region's
// device address, p_filesz = p_memsz = its size, p_flags = RWX, p_align = 0.
// No section headers and no notes. e_machine and the ELF class are the
// firmware's (ELF32 for a 32-bit firmware: a debugger pairs the core with
// the firmware ELF), e_entry its entry point.
//
// No heap: headers are built on the stack and handed to the writer one at a
// time; region bytes are handed over zero-copy from shared memory (the
// writer copies them where it likes; a running remote may change them
// meanwhile, which is what "dump on demand" means).

#include <cstdint>
#include <span>

#include "tandem/base/span.h"
#include "tandem/base/status.h"
#include "tandem/shm/region.h"

namespace tandem::remoteproc {

// Receives the core file in order, in pieces.
class CoredumpWriter {
 public:
  virtual Status Write(ConstByteSpan bytes) = 0;

 protected:
  ~CoredumpWriter() = default;
};

struct CoreFormat {
  bool is_64bit = false;
  std::uint16_t machine = 0;  // e_machine (EM_NONE if unknown)
  std::uint64_t entry = 0;
};

// Writes the core file for `regions` (each becomes one PT_LOAD). Errors:
// kInvalidArgument for more than 65534 regions or, in ELF32, a device
// address, size or file offset that does not fit 32 bits; the writer's
// status otherwise.
Status WriteElfCore(const CoreFormat& format, std::span<const shm::Region> regions,
                    CoredumpWriter& out);

}  // namespace tandem::remoteproc
