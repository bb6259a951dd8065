#pragma once
// The notes of a remote's core file: its PT_NOTE segment, the first one
// (coredump.h). Linux's remoteproc writes no notes; without them gdb cannot
// open the file as a core ("Couldn't find general-purpose registers"), and
// nothing in it says which remote it was.
//
//   "CORE"   NT_PRSTATUS  struct elf_prstatus of the core's machine and
//                         class, as Linux's ELF core dumps write it (the
//                         layout BFD checks by size): pr_cursig and
//                         pr_info.si_signo = CoreNotes::signal, pr_pid =
//                         CoreNotes::pid, registers zero (the host cannot
//                         read a remote core's registers).
//   "CORE"   NT_PRPSINFO  struct elf_prpsinfo: pr_fname = the firmware's
//                         base name (gdb checks it against the executable it
//                         is given), else the remote's name (cut to 15
//                         bytes); pr_psargs = the firmware path (cut to 79),
//                         pr_pid.
//   "TANDEM" NT_TANDEM_REMOTE  text, one "key=value\n" line each for name,
//                         firmware, state, crash_reason, crash_detail,
//                         crash_count, signal, then a NUL. Control bytes in
//                         values become spaces, each value is cut to
//                         kMaxNoteValue bytes.
//
// Layouts are known for x86-64, AArch64, RISC-V (ELF64: 336, 392, 376-byte
// prstatus) and ARM, i386, RISC-V (ELF32: 148, 144, 204). For any other
// machine/class pair only the TANDEM note is written.
//
// Notes are 4-byte aligned in both classes (Elf_Nhdr: three 32-bit words,
// name and descriptor each padded to 4), as Linux writes core notes.
// Freestanding: no heap, stack buffers of at most a few hundred bytes.

#include <cstddef>
#include <cstdint>

#include "tandem/base/status.h"
#include "tandem/remoteproc/core_format.h"

namespace tandem::remoteproc {

inline constexpr std::uint32_t kNtPrstatus = 1;  // NT_PRSTATUS
inline constexpr std::uint32_t kNtPrpsinfo = 3;  // NT_PRPSINFO
inline constexpr char kTandemNoteOwner[] = "TANDEM";
inline constexpr std::uint32_t kNtTandemRemote = 1;
inline constexpr std::size_t kMaxNoteValue = 1024;

// What the notes say. Strings are NUL-terminated and may be null (empty).
struct CoreNotes {
  const char* name = nullptr;          // the remote (instance) name
  const char* firmware = nullptr;      // the firmware path, if known
  const char* state = nullptr;         // remoteproc::StateName()
  const char* crash_reason = nullptr;  // CrashReasonName(), if crashed
  const char* crash_detail = nullptr;
  std::uint32_t crash_count = 0;
  std::int32_t signal = 0;  // the signal that ended the core, 0 if none
  std::int32_t pid = 1;     // pr_pid: gdb names the one thread after it
};

// Offsets BFD reads in NT_PRSTATUS / NT_PRPSINFO (elf_prstatus and
// elf_prpsinfo of <linux/elfcore.h> for one architecture and class).
struct PrLayout {
  std::uint16_t machine;
  bool is_64bit;
  std::uint16_t prstatus_size;
  std::uint16_t prstatus_pid;
  std::uint16_t prstatus_reg;  // pr_reg
  std::uint16_t reg_size;      // elf_gregset_t
  std::uint16_t prpsinfo_size;
  std::uint16_t prpsinfo_pid;
  std::uint16_t prpsinfo_fname;   // char pr_fname[16]
  std::uint16_t prpsinfo_psargs;  // char pr_psargs[80]
};

// The layout for `format`'s machine and class, or nullptr.
const PrLayout* FindPrLayout(const CoreFormat& format);

// Bytes of the whole note segment for these notes.
std::uint64_t CoreNotesSize(const CoreFormat& format, const CoreNotes& notes);

// Writes the note segment (exactly CoreNotesSize() bytes).
Status WriteCoreNotes(const CoreFormat& format, const CoreNotes& notes, CoredumpWriter& out);

}  // namespace tandem::remoteproc
