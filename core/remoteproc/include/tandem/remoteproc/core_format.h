#pragma once
// What a core file is written as (class, machine, entry) and where it goes
// (a CoredumpWriter receiving it in pieces). Shared by the core writer
// (coredump.h) and its notes (core_notes.h).

#include <cstdint>

#include "tandem/base/span.h"
#include "tandem/base/status.h"

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

// The ELF class a firmware for `machine` has when no image says otherwise
// (an attached remote): ELF64 for x86-64 and AArch64, ELF32 for the rest.
constexpr bool MachineIs64BitByDefault(std::uint16_t machine) {
  return machine == 62 /* EM_X86_64 */ || machine == 183 /* EM_AARCH64 */;
}

}  // namespace tandem::remoteproc
