#pragma once
// The errors the elf layer returns, as Reasons (status.h): match them with
// `status.Is(error::kBadMagic)`, never by text. The text is the message for
// humans; the StatusCode each comes with is in the comment of the function
// that returns it (elf_file.h).

#include "tandem/base/status.h"

namespace tandem::elf::error {

// --- ElfFile::Parse: identification and ELF header ---
// Fewer bytes than e_ident.
inline constexpr Reason kFileTooSmall{"file too small for an ELF identification"};
inline constexpr Reason kBadMagic{"bad ELF magic"};
inline constexpr Reason kBadClass{"invalid ELF class (expected ELFCLASS32 or ELFCLASS64)"};
inline constexpr Reason kBigEndian{"big-endian ELF not supported"};
inline constexpr Reason kBadDataEncoding{"invalid ELF data encoding"};
inline constexpr Reason kUnsupportedIdentVersion{"unsupported ELF ident version"};
inline constexpr Reason kHeaderTruncated{"file truncated inside the ELF header"};
inline constexpr Reason kUnsupportedVersion{"unsupported ELF version (e_version)"};
inline constexpr Reason kEhsizeMismatch{"e_ehsize does not match the ELF class"};

// --- ElfFile::Parse: program header table ---
inline constexpr Reason kExtendedProgramHeaders{
    "extended program header numbering (PN_XNUM) not supported"};
inline constexpr Reason kPhentsizeMismatch{"e_phentsize does not match the ELF class"};
inline constexpr Reason kProgramHeadersPastEnd{
    "program header table (e_phoff, e_phnum) extends past the end of the file"};

// --- ElfFile::Parse: section header table ---
// e_shnum 0 with a section header table (the count is in section 0).
inline constexpr Reason kExtendedSectionCount{
    "extended section numbering (e_shnum 0) not supported"};
inline constexpr Reason kShstrndxWithoutSections{"e_shstrndx set but the file has no sections"};
inline constexpr Reason kShentsizeMismatch{"e_shentsize does not match the ELF class"};
inline constexpr Reason kSectionHeadersPastEnd{
    "section header table (e_shoff, e_shnum) extends past the end of the file"};
inline constexpr Reason kExtendedShstrndx{"extended section numbering (SHN_XINDEX) not supported"};
inline constexpr Reason kShstrndxOutOfRange{"e_shstrndx is not a valid section index"};

// --- ElfFile::Parse: PT_LOAD segments ---
inline constexpr Reason kFileszExceedsMemsz{"PT_LOAD segment has p_filesz > p_memsz"};
inline constexpr Reason kLoadSegmentPastEnd{
    "PT_LOAD segment data (p_offset, p_filesz) extends past the end of the file"};
// More than kMaxLoadSegments (elf_file.h) with p_memsz > 0.
inline constexpr Reason kTooManyLoadSegments{"too many PT_LOAD segments"};
// p_paddr + p_memsz leaves the class's address space.
inline constexpr Reason kSegmentWraps{"PT_LOAD segment (p_paddr, p_memsz) wraps the address space"};
// Two PT_LOAD segments share physical addresses.
inline constexpr Reason kSegmentsOverlap{"PT_LOAD segments overlap (by p_paddr, p_memsz)"};

// --- ElfFile::Parse: sections and the section name table (e_shstrndx) ---
inline constexpr Reason kNameTableNotStrtab{"section name table (e_shstrndx) is not SHT_STRTAB"};
inline constexpr Reason kNameTablePastEnd{"section name table extends past the end of the file"};
inline constexpr Reason kNameTableEmpty{"section name table is empty"};
inline constexpr Reason kNameTableNotTerminated{"section name table is not NUL-terminated"};
// Also from SectionData().
inline constexpr Reason kSectionDataPastEnd{
    "section data (sh_offset, sh_size) extends past the end of the file"};
// Also from SectionName().
inline constexpr Reason kSectionNameOutsideTable{
    "section name (sh_name) is outside the section name table"};

// --- ElfFile::CheckMachine: one per machine found, so the message names it ---
inline constexpr Reason kWrongMachineX86{"ELF is for x86, not the expected machine"};
inline constexpr Reason kWrongMachineArm{"ELF is for ARM, not the expected machine"};
inline constexpr Reason kWrongMachineX86_64{"ELF is for x86-64, not the expected machine"};
inline constexpr Reason kWrongMachineAArch64{"ELF is for AArch64, not the expected machine"};
inline constexpr Reason kWrongMachineRiscV{"ELF is for RISC-V, not the expected machine"};
// An e_machine MachineName() does not know.
inline constexpr Reason kWrongMachineUnknown{
    "ELF is for an unknown machine, not the expected machine"};

// --- Accessors of a parsed ElfFile ---
inline constexpr Reason kProgramHeaderIndexOutOfRange{"program header index out of range"};
// SegmentData() of any segment (Parse() checks only PT_LOAD ones).
inline constexpr Reason kSegmentDataPastEnd{
    "segment data (p_offset, p_filesz) extends past the end of the file"};
inline constexpr Reason kSectionIndexOutOfRange{"section index out of range"};
// SectionName() or FindSection() on a file without e_shstrndx.
inline constexpr Reason kNoSectionNameTable{"ELF has no section name table"};
inline constexpr Reason kSectionNotFound{"no section with that name"};
// SectionData() of SHT_NOBITS or SHT_NULL.
inline constexpr Reason kSectionHasNoData{"section has no file data (SHT_NOBITS or SHT_NULL)"};

}  // namespace tandem::elf::error
