#pragma once
// A validated, read-only view of an ELF file held in the caller's memory.
//
// ElfFile::Parse() is the only way to get one: it checks every offset and
// size in the ELF, program-header and section-header tables against the file
// size with overflow-checked 64-bit arithmetic (so the checks hold on 32-bit
// hosts too), and refuses what the loader cannot handle safely. After that
// the accessors only re-read headers that were checked; they still bounds-
// check (cheap) so a SectionHeader built by hand cannot reach outside the
// file.
//
// Supported: ELF32 and ELF64, little-endian (ELFDATA2LSB), EV_CURRENT. Not
// supported (clear error): big-endian, extended numbering (PN_XNUM,
// SHN_XINDEX, e_shnum == 0 with a section table).
//
// The view does not own or copy the bytes: they must outlive the ElfFile and
// stay unchanged while it is used (copy a file out of shared memory first).
// No heap, no exceptions. Threading: immutable; safe to share.
//
// Errors: kInvalidArgument for files that are not an ELF we support (magic,
// class, byte order, version), kDataLoss for malformed structure (anything
// out of bounds, overlapping, inconsistent), kResourceExhausted for more
// PT_LOAD segments than kMaxLoadSegments, kOutOfRange for a bad index
// passed by the caller, kNotFound for a missing section. Each error is a
// Reason in errors.h: match it with status.Is(error::kX).

#include <cstddef>
#include <cstdint>

#include "tandem/base/result.h"
#include "tandem/base/span.h"
#include "tandem/base/status.h"
#include "tandem/elf/errors.h"  // the Reasons its functions return

namespace tandem::elf {

// One program header, widened to 64 bits for both classes.
struct ProgramHeader {
  std::uint32_t type = 0;
  std::uint32_t flags = 0;
  std::uint64_t offset = 0;
  std::uint64_t vaddr = 0;
  std::uint64_t paddr = 0;
  std::uint64_t filesz = 0;
  std::uint64_t memsz = 0;
  std::uint64_t align = 0;
};

// One section header, widened to 64 bits for both classes.
struct SectionHeader {
  std::uint32_t name = 0;  // offset into the section-name string table
  std::uint32_t type = 0;
  std::uint64_t flags = 0;
  std::uint64_t addr = 0;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::uint32_t link = 0;
  std::uint32_t info = 0;
  std::uint64_t addralign = 0;
  std::uint64_t entsize = 0;
};

// Overlap checks between PT_LOAD segments are quadratic; real firmware has a
// handful of segments, so a file with more than this is refused rather than
// letting a hostile file buy seconds of CPU.
inline constexpr std::size_t kMaxLoadSegments = 64;

// Short name of an e_machine value ("ARM", "x86-64", "AArch64", "RISC-V",
// "x86"), or "unknown".
const char* MachineName(std::uint16_t e_machine);

class ElfFile {
 public:
  // Validates `file` (see the header comment for the rules) and returns a
  // view over it.
  static Result<ElfFile> Parse(ConstByteSpan file);

  // Ok iff the file's e_machine is `e_machine`; otherwise kInvalidArgument
  // whose message names the machine found (e.g. "ELF is for x86-64, not the
  // expected machine").
  Status CheckMachine(std::uint16_t e_machine) const;

  bool is_64bit() const { return is_64bit_; }
  std::uint16_t machine() const { return machine_; }
  std::uint16_t type() const { return type_; }
  std::uint64_t entry() const { return entry_; }
  ConstByteSpan bytes() const { return file_; }

  std::size_t program_header_count() const { return phnum_; }
  // kOutOfRange if index >= program_header_count().
  Result<ProgramHeader> program_header(std::size_t index) const;
  // The file bytes [offset, offset + filesz) of a segment; kDataLoss if they
  // are not inside the file. Parse() guarantees this for every PT_LOAD; other
  // segment types (PT_NOTE...) are only checked here.
  Result<ConstByteSpan> SegmentData(const ProgramHeader& header) const;

  std::size_t section_count() const { return shnum_; }
  // kOutOfRange if index >= section_count().
  Result<SectionHeader> section_header(std::size_t index) const;
  // The name of a section as bytes, without the terminating NUL (bounded by
  // the string table; Parse() checked it is terminated). kNotFound if the
  // file has no section-name table.
  Result<ConstByteSpan> SectionName(const SectionHeader& header) const;
  // The first section called `name` (a NUL-terminated string of ours);
  // kNotFound if there is none or the file has no section-name table.
  Result<SectionHeader> FindSection(const char* name) const;
  // The file bytes of a section. SHT_NOBITS (.bss) and SHT_NULL occupy no
  // file bytes: kInvalidArgument. kDataLoss if the range is not inside the
  // file (only possible for a hand-made header).
  Result<ConstByteSpan> SectionData(const SectionHeader& header) const;

 private:
  ElfFile() = default;
  Status ParseIdentAndHeader();
  Status ValidateProgramHeaders() const;
  Status ValidateSections();
  ProgramHeader ReadProgramHeader(std::size_t index) const;
  SectionHeader ReadSectionHeader(std::size_t index) const;

  ConstByteSpan file_;
  bool is_64bit_ = false;
  std::uint16_t type_ = 0;
  std::uint16_t machine_ = 0;
  std::uint64_t entry_ = 0;
  // Validated: the tables lie inside the file, so these fit in size_t.
  std::size_t phoff_ = 0;
  std::size_t phnum_ = 0;
  std::size_t shoff_ = 0;
  std::size_t shnum_ = 0;
  // Section-name string table; has_names_ is false for e_shstrndx SHN_UNDEF.
  bool has_names_ = false;
  std::size_t shstrndx_ = 0;
  std::size_t names_offset_ = 0;
  std::size_t names_size_ = 0;
};

}  // namespace tandem::elf
