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

}  // namespace

Status WriteElfCore(const CoreFormat& format, std::span<const shm::Region> regions,
                    CoredumpWriter& out) {
  if (regions.size() >= elf::kPnXnum) return InvalidArgument(error::kCoreTooManyRegions);
  const auto phnum = static_cast<std::uint16_t>(regions.size());
  const std::uint64_t ehdr_size = format.is_64bit ? sizeof(elf::Elf64Ehdr) : sizeof(elf::Elf32Ehdr);
  const std::uint64_t phdr_size = format.is_64bit ? sizeof(elf::Elf64Phdr) : sizeof(elf::Elf32Phdr);

  // Check every field fits the class before writing anything.
  if (!format.is_64bit && format.entry > kMax32) {
    return InvalidArgument(error::kCoreEntryTooWide);
  }
  std::uint64_t offset = ehdr_size + phdr_size * phnum;
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

  if (format.is_64bit) {
    TANDEM_TRY(out.Write(AsConstBytes(MakeEhdr<elf::Elf64Ehdr>(format, phdr_size, phnum))));
  } else {
    TANDEM_TRY(out.Write(AsConstBytes(MakeEhdr<elf::Elf32Ehdr>(format, phdr_size, phnum))));
  }

  offset = ehdr_size + phdr_size * phnum;
  for (const shm::Region& r : regions) {
    if (format.is_64bit) {
      elf::Elf64Phdr p{};
      p.p_type.set(elf::kPtLoad);
      p.p_flags.set(kPfRwx);
      p.p_offset.set(offset);
      p.p_vaddr.set(r.device_address());
      p.p_paddr.set(r.device_address());
      p.p_filesz.set(r.size());
      p.p_memsz.set(r.size());
      TANDEM_TRY(out.Write(AsConstBytes(p)));
    } else {
      // Checked above: everything fits 32 bits.
      elf::Elf32Phdr p{};
      p.p_type.set(elf::kPtLoad);
      p.p_flags.set(kPfRwx);
      p.p_offset.set(static_cast<std::uint32_t>(offset));
      p.p_vaddr.set(static_cast<std::uint32_t>(r.device_address()));
      p.p_paddr.set(static_cast<std::uint32_t>(r.device_address()));
      p.p_filesz.set(static_cast<std::uint32_t>(r.size()));
      p.p_memsz.set(static_cast<std::uint32_t>(r.size()));
      TANDEM_TRY(out.Write(AsConstBytes(p)));
    }
    offset += r.size();
  }

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
