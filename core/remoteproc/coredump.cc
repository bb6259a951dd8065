#include "tandem/remoteproc/coredump.h"

#include <cstring>

#include "tandem/base/checked_math.h"
#include "tandem/elf/elf_wire.h"
#include "tandem/remoteproc/errors.h"

namespace tandem::remoteproc {
namespace {

constexpr std::uint16_t kEtCore = 4;  // ET_CORE
constexpr std::uint32_t kPfRwx = 7;   // PF_X | PF_W | PF_R
constexpr std::uint64_t kMax32 = 0xffffffffu;

template <typename T>
ConstByteSpan AsConstBytes(const T& value) {
  return {reinterpret_cast<const std::byte*>(&value), sizeof(T)};
}

template <typename Ehdr>
Ehdr MakeEhdr(const CoreFormat& format, std::size_t phdr_size, std::uint16_t phnum) {
  Ehdr h{};
  std::memcpy(h.e_ident, elf::kMagic, sizeof(elf::kMagic));
  h.e_ident[elf::kIdentClass] = format.is_64bit ? elf::kClass64 : elf::kClass32;
  h.e_ident[elf::kIdentData] = elf::kDataLittle;
  h.e_ident[elf::kIdentVersion] = static_cast<std::uint8_t>(elf::kVersionCurrent);
  h.e_type.set(kEtCore);
  h.e_machine.set(format.machine);
  h.e_version.set(elf::kVersionCurrent);
  h.e_entry.set(static_cast<decltype(h.e_entry.get())>(format.entry));
  using Word = decltype(h.e_phoff.get());
  h.e_phoff.set(static_cast<Word>(phnum == 0 ? 0 : sizeof(Ehdr)));
  h.e_ehsize.set(static_cast<std::uint16_t>(sizeof(Ehdr)));
  h.e_phentsize.set(static_cast<std::uint16_t>(phdr_size));
  h.e_phnum.set(phnum);
  return h;
}

// The file's layout, checked to fit the class before anything is written.
struct Layout {
  std::uint16_t phnum = 0;
  std::uint64_t notes_offset = 0;
  std::uint64_t notes_size = 0;
  std::uint64_t end = 0;  // file size
};

Result<Layout> Plan(const CoreFormat& format, const CoreNotes& notes,
                    std::span<const shm::Region> regions) {
  // One more program header for the notes; PN_XNUM itself is reserved.
  if (regions.size() + 1 >= elf::kPnXnum) return InvalidArgument(error::kCoreTooManyRegions);
  Layout l;
  l.phnum = static_cast<std::uint16_t>(regions.size() + 1);
  const std::uint64_t ehdr_size = format.is_64bit ? sizeof(elf::Elf64Ehdr) : sizeof(elf::Elf32Ehdr);
  const std::uint64_t phdr_size = format.is_64bit ? sizeof(elf::Elf64Phdr) : sizeof(elf::Elf32Phdr);
  if (!format.is_64bit && format.entry > kMax32) {
    return InvalidArgument(error::kCoreEntryTooWide);
  }
  l.notes_offset = ehdr_size + phdr_size * l.phnum;
  l.notes_size = CoreNotesSize(format, notes);
  std::uint64_t offset = l.notes_offset + l.notes_size;
  for (const shm::Region& r : regions) {
    std::uint64_t next;
    if (!CheckedAdd<std::uint64_t>(offset, r.size(), &next)) {
      return InvalidArgument(error::kCoreOffsetsOverflow);
    }
    if (!format.is_64bit && (r.device_address() > kMax32 || r.size() > kMax32 || next > kMax32)) {
      return InvalidArgument(error::kCoreRegionTooWide);
    }
    offset = next;
  }
  l.end = offset;
  return l;
}

template <typename Phdr, typename Word>
Phdr MakePhdr(std::uint32_t type, std::uint32_t flags, std::uint64_t offset, std::uint64_t address,
              std::uint64_t size, std::uint64_t align) {
  // Plan() checked that every value fits Word.
  Phdr p{};
  p.p_type.set(type);
  p.p_flags.set(flags);
  p.p_offset.set(static_cast<Word>(offset));
  p.p_vaddr.set(static_cast<Word>(address));
  p.p_paddr.set(static_cast<Word>(address));
  p.p_filesz.set(static_cast<Word>(size));
  p.p_memsz.set(static_cast<Word>(type == elf::kPtNote ? 0 : size));
  p.p_align.set(static_cast<Word>(align));
  return p;
}

Status WritePhdr(const CoreFormat& format, std::uint32_t type, std::uint32_t flags,
                 std::uint64_t offset, std::uint64_t address, std::uint64_t size,
                 std::uint64_t align, CoredumpWriter& out) {
  if (format.is_64bit) {
    return out.Write(AsConstBytes(
        MakePhdr<elf::Elf64Phdr, std::uint64_t>(type, flags, offset, address, size, align)));
  }
  return out.Write(AsConstBytes(
      MakePhdr<elf::Elf32Phdr, std::uint32_t>(type, flags, offset, address, size, align)));
}

}  // namespace

Result<std::uint64_t> ElfCoreSize(const CoreFormat& format, const CoreNotes& notes,
                                  std::span<const shm::Region> regions) {
  TANDEM_TRY_ASSIGN(const Layout l, Plan(format, notes, regions));
  return l.end;
}

Status WriteElfCore(const CoreFormat& format, const CoreNotes& notes,
                    std::span<const shm::Region> regions, CoredumpWriter& out) {
  TANDEM_TRY_ASSIGN(const Layout l, Plan(format, notes, regions));
  const std::uint64_t phdr_size = format.is_64bit ? sizeof(elf::Elf64Phdr) : sizeof(elf::Elf32Phdr);
  if (format.is_64bit) {
    TANDEM_TRY(out.Write(AsConstBytes(MakeEhdr<elf::Elf64Ehdr>(format, phdr_size, l.phnum))));
  } else {
    TANDEM_TRY(out.Write(AsConstBytes(MakeEhdr<elf::Elf32Ehdr>(format, phdr_size, l.phnum))));
  }
  // The notes first: readers (gdb, readelf) find the registers there.
  TANDEM_TRY(WritePhdr(format, elf::kPtNote, 0, l.notes_offset, 0, l.notes_size, 4, out));
  std::uint64_t offset = l.notes_offset + l.notes_size;
  for (const shm::Region& r : regions) {
    TANDEM_TRY(
        WritePhdr(format, elf::kPtLoad, kPfRwx, offset, r.device_address(), r.size(), 0, out));
    offset += r.size();
  }

  TANDEM_TRY(WriteCoreNotes(format, notes, out));
  for (const shm::Region& r : regions) {
    // The remote's latest writes must be visible before we hand the bytes
    // over (cache.h: invalidate before reading what the peer wrote).
    r.InvalidateFromPeer(0, r.size());
    TANDEM_TRY_ASSIGN(const ByteSpan bytes, r.Bytes(0, r.size()));
    TANDEM_TRY(out.Write(bytes));
  }
  return OkStatus();
}

}  // namespace tandem::remoteproc
