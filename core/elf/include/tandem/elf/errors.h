#pragma once
// The errors the elf layer returns, as Reasons (status.h): match them with
// `status.Is(error::kBadMagic)`, never by text. The text is the message for
// humans; the StatusCode each comes with is in the comment of the function
// that returns it (elf_file.h).

#include "tandem/base/status.h"

namespace tandem::elf::error {

// --- ElfFile::Parse: identification and ELF header ---
// Fewer bytes than e_ident.
inline constexpr char kFileTooSmall[] = "file too small for an ELF identification";
inline constexpr char kBadMagic[] = "bad ELF magic";
inline constexpr char kBadClass[] = "invalid ELF class (expected ELFCLASS32 or ELFCLASS64)";
inline constexpr char kBigEndian[] = "big-endian ELF not supported";
inline constexpr char kBadDataEncoding[] = "invalid ELF data encoding";
inline constexpr char kUnsupportedIdentVersion[] = "unsupported ELF ident version";
inline constexpr char kHeaderTruncated[] = "file truncated inside the ELF header";
inline constexpr char kUnsupportedVersion[] = "unsupported ELF version (e_version)";
inline constexpr char kEhsizeMismatch[] = "e_ehsize does not match the ELF class";

// --- ElfFile::Parse: program header table ---
inline constexpr char kExtendedProgramHeaders[] =
    "extended program header numbering (PN_XNUM) not supported";
inline constexpr char kPhentsizeMismatch[] = "e_phentsize does not match the ELF class";
inline constexpr char kProgramHeadersPastEnd[] =
    "program header table (e_phoff, e_phnum) extends past the end of the file";

// --- ElfFile::Parse: section header table ---
// e_shnum 0 with a section header table (the count is in section 0).
inline constexpr char kExtendedSectionCount[] =
    "extended section numbering (e_shnum 0) not supported";
inline constexpr char kShstrndxWithoutSections[] = "e_shstrndx set but the file has no sections";
inline constexpr char kShentsizeMismatch[] = "e_shentsize does not match the ELF class";
inline constexpr char kSectionHeadersPastEnd[] =
    "section header table (e_shoff, e_shnum) extends past the end of the file";
inline constexpr char kExtendedShstrndx[] = "extended section numbering (SHN_XINDEX) not supported";
inline constexpr char kShstrndxOutOfRange[] = "e_shstrndx is not a valid section index";

// --- ElfFile::Parse: PT_LOAD segments ---
inline constexpr char kFileszExceedsMemsz[] = "PT_LOAD segment has p_filesz > p_memsz";
inline constexpr char kLoadSegmentPastEnd[] =
    "PT_LOAD segment data (p_offset, p_filesz) extends past the end of the file";
// More than kMaxLoadSegments (elf_file.h) with p_memsz > 0.
inline constexpr char kTooManyLoadSegments[] = "too many PT_LOAD segments";
// p_paddr + p_memsz leaves the class's address space.
inline constexpr char kSegmentWraps[] =
    "PT_LOAD segment (p_paddr, p_memsz) wraps the address space";
// Two PT_LOAD segments share physical addresses.
inline constexpr char kSegmentsOverlap[] = "PT_LOAD segments overlap (by p_paddr, p_memsz)";

// --- ElfFile::Parse: sections and the section name table (e_shstrndx) ---
inline constexpr char kNameTableNotStrtab[] = "section name table (e_shstrndx) is not SHT_STRTAB";
inline constexpr char kNameTablePastEnd[] = "section name table extends past the end of the file";
inline constexpr char kNameTableEmpty[] = "section name table is empty";
inline constexpr char kNameTableNotTerminated[] = "section name table is not NUL-terminated";
// Also from SectionData().
inline constexpr char kSectionDataPastEnd[] =
    "section data (sh_offset, sh_size) extends past the end of the file";
// Also from SectionName().
inline constexpr char kSectionNameOutsideTable[] =
    "section name (sh_name) is outside the section name table";

// --- ElfFile::CheckMachine: one per machine found, so the message names it ---
inline constexpr char kWrongMachineX86[] = "ELF is for x86, not the expected machine";
inline constexpr char kWrongMachineArm[] = "ELF is for ARM, not the expected machine";
inline constexpr char kWrongMachineX86_64[] = "ELF is for x86-64, not the expected machine";
inline constexpr char kWrongMachineAArch64[] = "ELF is for AArch64, not the expected machine";
inline constexpr char kWrongMachineRiscV[] = "ELF is for RISC-V, not the expected machine";
// An e_machine MachineName() does not know.
inline constexpr char kWrongMachineUnknown[] =
    "ELF is for an unknown machine, not the expected machine";

// --- Accessors of a parsed ElfFile ---
inline constexpr char kProgramHeaderIndexOutOfRange[] = "program header index out of range";
// SegmentData() of any segment (Parse() checks only PT_LOAD ones).
inline constexpr char kSegmentDataPastEnd[] =
    "segment data (p_offset, p_filesz) extends past the end of the file";
inline constexpr char kSectionIndexOutOfRange[] = "section index out of range";
// SectionName() or FindSection() on a file without e_shstrndx.
inline constexpr char kNoSectionNameTable[] = "ELF has no section name table";
inline constexpr char kSectionNotFound[] = "no section with that name";
// SectionData() of SHT_NOBITS or SHT_NULL.
inline constexpr char kSectionHasNoData[] = "section has no file data (SHT_NOBITS or SHT_NULL)";

}  // namespace tandem::elf::error
