#include "tandem/elf/elf_file.h"

#include <cstring>
#include <type_traits>

#include "tandem/base/checked_math.h"
#include "tandem/elf/elf_wire.h"
#include "tandem/elf/errors.h"

namespace tandem::elf {
namespace {

// Copies a wire struct out of the file. The caller has checked the range;
// the file may sit at any alignment, hence memcpy.
template <typename T>
T LoadAt(ConstByteSpan file, std::size_t offset) {
  static_assert(std::is_trivially_copyable_v<T>);
  TANDEM_ASSERT(RangeInside<std::size_t>(offset, sizeof(T), file.size()));
  T value;
  std::memcpy(&value, file.data() + offset, sizeof(T));
  return value;
}

// True iff [offset, offset + length) lies inside a file of `size` bytes,
// computed in 64 bits so it holds for 64-bit values on a 32-bit host.
bool InsideFile(std::uint64_t offset, std::uint64_t length, std::size_t size) {
  return RangeInside<std::uint64_t>(offset, length, static_cast<std::uint64_t>(size));
}

// Table entries for CheckMachine: a Status never allocates, so each known
// machine carries its own mismatch Reason (errors.h).
struct MachineInfo {
  std::uint16_t e_machine;
  const char* name;
  const char* mismatch;
};
constexpr MachineInfo kMachines[] = {
    {kMachine386, "x86", error::kWrongMachineX86},
    {kMachineArm, "ARM", error::kWrongMachineArm},
    {kMachineX86_64, "x86-64", error::kWrongMachineX86_64},
    {kMachineAArch64, "AArch64", error::kWrongMachineAArch64},
    {kMachineRiscV, "RISC-V", error::kWrongMachineRiscV},
};

bool IsNoFileData(std::uint32_t section_type) {
  return section_type == kShtNobits || section_type == kShtNull;
}

// The file header of either class, widened (the ELF32 and ELF64 structs
// have the same field names), with the struct sizes of that class.
struct FileHeaderFields {
  std::uint16_t type, machine;
  std::uint32_t version;
  std::uint64_t entry, phoff, shoff;
  std::uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
  std::size_t header_size, phdr_size, shdr_size;
};

template <typename Ehdr, typename Phdr, typename Shdr>
FileHeaderFields WidenFileHeader(const Ehdr& h) {
  return {h.e_type.get(),  h.e_machine.get(),   h.e_version.get(), h.e_entry.get(),
          h.e_phoff.get(), h.e_shoff.get(),     h.e_ehsize.get(),  h.e_phentsize.get(),
          h.e_phnum.get(), h.e_shentsize.get(), h.e_shnum.get(),   h.e_shstrndx.get(),
          sizeof(Ehdr),    sizeof(Phdr),        sizeof(Shdr)};
}

}  // namespace

const char* MachineName(std::uint16_t e_machine) {
  for (const MachineInfo& m : kMachines) {
    if (m.e_machine == e_machine) return m.name;
  }
  return "unknown";
}

Result<ElfFile> ElfFile::Parse(ConstByteSpan file) {
  ElfFile elf;
  elf.file_ = file;
  TANDEM_TRY(elf.ParseIdentAndHeader());
  TANDEM_TRY(elf.ValidateProgramHeaders());
  TANDEM_TRY(elf.ValidateSections());
  return elf;
}

Status ElfFile::ParseIdentAndHeader() {
  if (file_.size() < kIdentSize) return InvalidArgument(error::kFileTooSmall);
  std::uint8_t ident[kIdentSize];
  std::memcpy(ident, file_.data(), kIdentSize);
  if (std::memcmp(ident, kMagic, sizeof(kMagic)) != 0) return InvalidArgument(error::kBadMagic);
  if (ident[kIdentClass] == kClass32) {
    is_64bit_ = false;
  } else if (ident[kIdentClass] == kClass64) {
    is_64bit_ = true;
  } else {
    return InvalidArgument(error::kBadClass);
  }
  if (ident[kIdentData] == kDataBig) return InvalidArgument(error::kBigEndian);
  if (ident[kIdentData] != kDataLittle) return InvalidArgument(error::kBadDataEncoding);
  if (ident[kIdentVersion] != kVersionCurrent)
    return InvalidArgument(error::kUnsupportedIdentVersion);

  // Widened to 64 bits, whichever the class.
  FileHeaderFields h;
  if (is_64bit_) {
    if (file_.size() < sizeof(Elf64Ehdr)) return DataLoss(error::kHeaderTruncated);
    h = WidenFileHeader<Elf64Ehdr, Elf64Phdr, Elf64Shdr>(LoadAt<Elf64Ehdr>(file_, 0));
  } else {
    if (file_.size() < sizeof(Elf32Ehdr)) return DataLoss(error::kHeaderTruncated);
    h = WidenFileHeader<Elf32Ehdr, Elf32Phdr, Elf32Shdr>(LoadAt<Elf32Ehdr>(file_, 0));
  }
  type_ = h.type;
  machine_ = h.machine;
  entry_ = h.entry;
  const std::uint32_t version = h.version;
  const std::uint16_t ehsize = h.ehsize, phentsize = h.phentsize, phnum = h.phnum;
  const std::uint16_t shentsize = h.shentsize, shnum = h.shnum, shstrndx = h.shstrndx;
  const std::uint64_t phoff = h.phoff, shoff = h.shoff;
  const std::size_t header_size = h.header_size, phdr_size = h.phdr_size, shdr_size = h.shdr_size;
  if (version != kVersionCurrent) return InvalidArgument(error::kUnsupportedVersion);
  if (ehsize != header_size) return DataLoss(error::kEhsizeMismatch);

  // Program-header table. A file without one (phnum 0) is valid ELF; whether
  // it can be loaded is the caller's business.
  if (phnum == kPnXnum) return InvalidArgument(error::kExtendedProgramHeaders);
  if (phnum != 0) {
    if (phentsize != phdr_size) return DataLoss(error::kPhentsizeMismatch);
    // phnum < 2^16 and phentsize < 2^6: the product cannot overflow 64 bits,
    // but phoff + product can.
    const std::uint64_t table_size = std::uint64_t{phnum} * phentsize;
    if (!InsideFile(phoff, table_size, file_.size())) {
      return DataLoss(error::kProgramHeadersPastEnd);
    }
    phoff_ = static_cast<std::size_t>(phoff);
    phnum_ = phnum;
  }

  // Section-header table.
  if (shnum == 0) {
    // gABI: with e_shoff != 0 and e_shnum == 0 the real count is in section
    // 0's sh_size (extended numbering).
    if (shoff != 0) return InvalidArgument(error::kExtendedSectionCount);
    if (shstrndx != kShnUndef) return DataLoss(error::kShstrndxWithoutSections);
    return OkStatus();
  }
  if (shentsize != shdr_size) return DataLoss(error::kShentsizeMismatch);
  const std::uint64_t table_size = std::uint64_t{shnum} * shentsize;
  if (!InsideFile(shoff, table_size, file_.size())) {
    return DataLoss(error::kSectionHeadersPastEnd);
  }
  shoff_ = static_cast<std::size_t>(shoff);
  shnum_ = shnum;
  if (shstrndx == kShnXindex) return InvalidArgument(error::kExtendedShstrndx);
  if (shstrndx != kShnUndef) {
    if (shstrndx >= shnum) return DataLoss(error::kShstrndxOutOfRange);
    has_names_ = true;
    shstrndx_ = shstrndx;  // its table is checked in ValidateSections()
  }
  return OkStatus();
}

// The ELF32 and ELF64 header structs have the same field names (only widths
// and order differ), so one widening copy serves both classes.
template <typename Phdr>
ProgramHeader WidenProgramHeader(const Phdr& w) {
  ProgramHeader p;
  p.type = w.p_type.get();
  p.flags = w.p_flags.get();
  p.offset = w.p_offset.get();
  p.vaddr = w.p_vaddr.get();
  p.paddr = w.p_paddr.get();
  p.filesz = w.p_filesz.get();
  p.memsz = w.p_memsz.get();
  p.align = w.p_align.get();
  return p;
}

template <typename Shdr>
SectionHeader WidenSectionHeader(const Shdr& w) {
  SectionHeader s;
  s.name = w.sh_name.get();
  s.type = w.sh_type.get();
  s.flags = w.sh_flags.get();
  s.addr = w.sh_addr.get();
  s.offset = w.sh_offset.get();
  s.size = w.sh_size.get();
  s.link = w.sh_link.get();
  s.info = w.sh_info.get();
  s.addralign = w.sh_addralign.get();
  s.entsize = w.sh_entsize.get();
  return s;
}

ProgramHeader ElfFile::ReadProgramHeader(std::size_t index) const {
  if (is_64bit_) {
    return WidenProgramHeader(LoadAt<Elf64Phdr>(file_, phoff_ + index * sizeof(Elf64Phdr)));
  }
  return WidenProgramHeader(LoadAt<Elf32Phdr>(file_, phoff_ + index * sizeof(Elf32Phdr)));
}

SectionHeader ElfFile::ReadSectionHeader(std::size_t index) const {
  if (is_64bit_) {
    return WidenSectionHeader(LoadAt<Elf64Shdr>(file_, shoff_ + index * sizeof(Elf64Shdr)));
  }
  return WidenSectionHeader(LoadAt<Elf32Shdr>(file_, shoff_ + index * sizeof(Elf32Shdr)));
}

Status ElfFile::ValidateProgramHeaders() const {
  // The address space the segments are loaded into: 32 bits for ELF32.
  const std::uint64_t address_limit = is_64bit_ ? ~std::uint64_t{0} : std::uint64_t{0xffffffff};
  std::size_t loads = 0;
  for (std::size_t i = 0; i < phnum_; ++i) {
    const ProgramHeader p = ReadProgramHeader(i);
    if (p.type != kPtLoad) continue;
    if (p.filesz > p.memsz) return DataLoss(error::kFileszExceedsMemsz);
    if (!InsideFile(p.offset, p.filesz, file_.size())) {
      return DataLoss(error::kLoadSegmentPastEnd);
    }
    if (p.memsz == 0) continue;  // not loaded
    if (++loads > kMaxLoadSegments) return ResourceExhausted(error::kTooManyLoadSegments);
    // Last byte of the segment, paddr + memsz - 1, must not leave the
    // address space (memsz > 0 here).
    if (!RangeInside<std::uint64_t>(p.paddr, p.memsz - 1, address_limit)) {
      return DataLoss(error::kSegmentWraps);
    }
    // Two segments written to the same memory would silently overwrite each
    // other; refuse (by physical address, which is where they are loaded).
    for (std::size_t j = 0; j < i; ++j) {
      const ProgramHeader q = ReadProgramHeader(j);
      if (q.type != kPtLoad || q.memsz == 0) continue;
      // Both ranges are non-empty and do not wrap (q was checked above).
      const std::uint64_t p_last = p.paddr + (p.memsz - 1);
      const std::uint64_t q_last = q.paddr + (q.memsz - 1);
      if (p.paddr <= q_last && q.paddr <= p_last) {
        return DataLoss(error::kSegmentsOverlap);
      }
    }
  }
  return OkStatus();
}

Status ElfFile::ValidateSections() {
  if (shnum_ == 0) return OkStatus();
  if (has_names_) {
    const SectionHeader names = ReadSectionHeader(shstrndx_);
    if (names.type != kShtStrtab) return DataLoss(error::kNameTableNotStrtab);
    if (!InsideFile(names.offset, names.size, file_.size())) {
      return DataLoss(error::kNameTablePastEnd);
    }
    if (names.size == 0) return DataLoss(error::kNameTableEmpty);
    names_offset_ = static_cast<std::size_t>(names.offset);
    names_size_ = static_cast<std::size_t>(names.size);
    // gABI: a string table's last byte is NUL. Checking that once means
    // every name starting inside the table is terminated inside it.
    if (file_[names_offset_ + names_size_ - 1] != std::byte{0}) {
      return DataLoss(error::kNameTableNotTerminated);
    }
  }
  for (std::size_t i = 0; i < shnum_; ++i) {
    const SectionHeader s = ReadSectionHeader(i);
    if (!IsNoFileData(s.type) && !InsideFile(s.offset, s.size, file_.size())) {
      return DataLoss(error::kSectionDataPastEnd);
    }
    if (has_names_ && s.name >= names_size_) {
      return DataLoss(error::kSectionNameOutsideTable);
    }
  }
  return OkStatus();
}

Status ElfFile::CheckMachine(std::uint16_t e_machine) const {
  if (machine_ == e_machine) return OkStatus();
  for (const MachineInfo& m : kMachines) {
    if (m.e_machine == machine_) return InvalidArgument(m.mismatch);
  }
  return InvalidArgument(error::kWrongMachineUnknown);
}

Result<ProgramHeader> ElfFile::program_header(std::size_t index) const {
  if (index >= phnum_) return OutOfRange(error::kProgramHeaderIndexOutOfRange);
  return ReadProgramHeader(index);
}

Result<ConstByteSpan> ElfFile::SegmentData(const ProgramHeader& header) const {
  if (!InsideFile(header.offset, header.filesz, file_.size())) {
    return DataLoss(error::kSegmentDataPastEnd);
  }
  return file_.subspan(static_cast<std::size_t>(header.offset),
                       static_cast<std::size_t>(header.filesz));
}

Result<SectionHeader> ElfFile::section_header(std::size_t index) const {
  if (index >= shnum_) return OutOfRange(error::kSectionIndexOutOfRange);
  return ReadSectionHeader(index);
}

Result<ConstByteSpan> ElfFile::SectionName(const SectionHeader& header) const {
  if (!has_names_) return NotFound(error::kNoSectionNameTable);
  if (header.name >= names_size_) return DataLoss(error::kSectionNameOutsideTable);
  // Bounded by the table: never rely on the terminator alone.
  const ConstByteSpan rest = file_.subspan(names_offset_ + header.name, names_size_ - header.name);
  std::size_t length = 0;
  while (length < rest.size() && rest[length] != std::byte{0}) ++length;
  return rest.first(length);
}

Result<SectionHeader> ElfFile::FindSection(const char* name) const {
  if (!has_names_) return NotFound(error::kNoSectionNameTable);
  const std::size_t wanted = std::strlen(name);
  for (std::size_t i = 0; i < shnum_; ++i) {
    const SectionHeader s = ReadSectionHeader(i);
    // Compare only wanted + 1 bytes (the name and its NUL), bounded by the
    // table: scanning each name to its end would let a file with many
    // sections sharing one huge unterminated-looking name cost
    // sections x table size.
    if (s.name >= names_size_ || names_size_ - s.name <= wanted) continue;
    const std::byte* at = file_.data() + names_offset_ + s.name;
    if (std::memcmp(at, name, wanted) == 0 && at[wanted] == std::byte{0}) return s;
  }
  return NotFound(error::kSectionNotFound);
}

Result<ConstByteSpan> ElfFile::SectionData(const SectionHeader& header) const {
  if (IsNoFileData(header.type)) return InvalidArgument(error::kSectionHasNoData);
  if (!InsideFile(header.offset, header.size, file_.size())) {
    return DataLoss(error::kSectionDataPastEnd);
  }
  return file_.subspan(static_cast<std::size_t>(header.offset),
                       static_cast<std::size_t>(header.size));
}

}  // namespace tandem::elf
