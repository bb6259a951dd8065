#pragma once
// Loading an ELF's PT_LOAD segments into the remote's memory.
//
// Only PT_LOAD segments with p_memsz > 0 are loaded; other types (PT_NOTE,
// PT_GNU_STACK, ...) are skipped. Each segment goes to its *physical*
// address p_paddr, as Linux remoteproc does (drivers/remoteproc/
// remoteproc_elf_loader.c, rproc_elf_load_segments): for a remote core the
// load address (LMA) is the device address its memory appears at, while
// p_vaddr is where code runs and may differ (e.g. an alias of the same RAM).
// p_filesz bytes are copied, then p_memsz - p_filesz bytes are zeroed (.bss).
//
// The sink decides what a device address means: the remoteproc layer
// translates it to a mapped carve-out and bounds-checks it. This function
// only guarantees the ranges it hands over come from a validated ElfFile
// (inside the file; paddr + memsz does not overflow).

#include <cstdint>

#include "tandem/base/span.h"
#include "tandem/base/status.h"
#include "tandem/elf/elf_file.h"

namespace tandem::elf {

class SegmentSink {
 public:
  // Copy `data` to device address `da`. A non-ok Status stops the load and
  // is returned from LoadSegments.
  virtual Status Write(std::uint64_t da, ConstByteSpan data) = 0;
  // Zero `length` bytes at device address `da`.
  virtual Status Zero(std::uint64_t da, std::uint64_t length) = 0;

 protected:
  ~SegmentSink() = default;
};

// Writes every loadable segment of `file` through `sink`, in program-header
// order: Write() for the file bytes (if p_filesz > 0), then Zero() for the
// rest (if p_memsz > p_filesz). Returns the first error from the sink.
Status LoadSegments(const ElfFile& file, SegmentSink& sink);

}  // namespace tandem::elf
