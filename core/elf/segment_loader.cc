#include "tandem/elf/segment_loader.h"

#include "tandem/elf/elf_wire.h"

namespace tandem::elf {

Status LoadSegments(const ElfFile& file, SegmentSink& sink) {
  for (std::size_t i = 0; i < file.program_header_count(); ++i) {
    TANDEM_TRY_ASSIGN(const ProgramHeader p, file.program_header(i));
    if (p.type != kPtLoad || p.memsz == 0) continue;
    // Parse() checked filesz <= memsz, the file range, and that
    // paddr + memsz does not wrap; SegmentData re-checks the file range.
    if (p.filesz > 0) {
      TANDEM_TRY_ASSIGN(const ConstByteSpan data, file.SegmentData(p));
      TANDEM_TRY(sink.Write(p.paddr, data));
    }
    if (p.memsz > p.filesz) TANDEM_TRY(sink.Zero(p.paddr + p.filesz, p.memsz - p.filesz));
  }
  return OkStatus();
}

}  // namespace tandem::elf
