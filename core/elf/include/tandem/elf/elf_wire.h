#pragma once
// ELF on-disk structures (System V gABI, "ELF Object File Format", and the
// Linux uapi header include/uapi/linux/elf.h), little-endian only. Fields use
// the Le wire integers so a struct's bytes are exactly the file's bytes; the
// reader copies each header out of the file with memcpy (the file may sit at
// any alignment) and never points into it with these types.

#include <cstddef>
#include <cstdint>

#include "tandem/base/endian.h"

namespace tandem::elf {

// e_ident[] indices and values (gABI "ELF Identification").
inline constexpr std::size_t kIdentSize = 16;    // EI_NIDENT
inline constexpr std::size_t kIdentClass = 4;    // EI_CLASS
inline constexpr std::size_t kIdentData = 5;     // EI_DATA
inline constexpr std::size_t kIdentVersion = 6;  // EI_VERSION
inline constexpr std::uint8_t kMagic[4] = {0x7f, 'E', 'L', 'F'};
inline constexpr std::uint8_t kClass32 = 1;          // ELFCLASS32
inline constexpr std::uint8_t kClass64 = 2;          // ELFCLASS64
inline constexpr std::uint8_t kDataLittle = 1;       // ELFDATA2LSB
inline constexpr std::uint8_t kDataBig = 2;          // ELFDATA2MSB
inline constexpr std::uint32_t kVersionCurrent = 1;  // EV_CURRENT

// e_machine values we can name in messages.
inline constexpr std::uint16_t kMachine386 = 3;        // EM_386
inline constexpr std::uint16_t kMachineArm = 40;       // EM_ARM
inline constexpr std::uint16_t kMachineX86_64 = 62;    // EM_X86_64
inline constexpr std::uint16_t kMachineAArch64 = 183;  // EM_AARCH64
inline constexpr std::uint16_t kMachineRiscV = 243;    // EM_RISCV

// Program header types (p_type).
inline constexpr std::uint32_t kPtNull = 0;  // PT_NULL
inline constexpr std::uint32_t kPtLoad = 1;  // PT_LOAD
inline constexpr std::uint32_t kPtNote = 4;  // PT_NOTE

// Section header types (sh_type).
inline constexpr std::uint32_t kShtNull = 0;      // SHT_NULL
inline constexpr std::uint32_t kShtProgbits = 1;  // SHT_PROGBITS
inline constexpr std::uint32_t kShtStrtab = 3;    // SHT_STRTAB
inline constexpr std::uint32_t kShtNobits = 8;    // SHT_NOBITS

// Extended numbering escapes (gABI): when the real count does not fit the
// 16-bit header field it lives in section 0. We do not support it; firmware
// images never need 65535 headers.
inline constexpr std::uint16_t kPnXnum = 0xffff;        // PN_XNUM
inline constexpr std::uint16_t kShnUndef = 0;           // SHN_UNDEF
inline constexpr std::uint16_t kShnLoReserve = 0xff00;  // SHN_LORESERVE
inline constexpr std::uint16_t kShnXindex = 0xffff;     // SHN_XINDEX

struct Elf32Ehdr {
  std::uint8_t e_ident[kIdentSize];
  Le16 e_type;
  Le16 e_machine;
  Le32 e_version;
  Le32 e_entry;
  Le32 e_phoff;
  Le32 e_shoff;
  Le32 e_flags;
  Le16 e_ehsize;
  Le16 e_phentsize;
  Le16 e_phnum;
  Le16 e_shentsize;
  Le16 e_shnum;
  Le16 e_shstrndx;
};
static_assert(sizeof(Elf32Ehdr) == 52);
static_assert(offsetof(Elf32Ehdr, e_entry) == 24);
static_assert(offsetof(Elf32Ehdr, e_phoff) == 28);
static_assert(offsetof(Elf32Ehdr, e_shoff) == 32);
static_assert(offsetof(Elf32Ehdr, e_ehsize) == 40);
static_assert(offsetof(Elf32Ehdr, e_shstrndx) == 50);

struct Elf64Ehdr {
  std::uint8_t e_ident[kIdentSize];
  Le16 e_type;
  Le16 e_machine;
  Le32 e_version;
  Le64 e_entry;
  Le64 e_phoff;
  Le64 e_shoff;
  Le32 e_flags;
  Le16 e_ehsize;
  Le16 e_phentsize;
  Le16 e_phnum;
  Le16 e_shentsize;
  Le16 e_shnum;
  Le16 e_shstrndx;
};
static_assert(sizeof(Elf64Ehdr) == 64);
static_assert(offsetof(Elf64Ehdr, e_entry) == 24);
static_assert(offsetof(Elf64Ehdr, e_phoff) == 32);
static_assert(offsetof(Elf64Ehdr, e_shoff) == 40);
static_assert(offsetof(Elf64Ehdr, e_ehsize) == 52);
static_assert(offsetof(Elf64Ehdr, e_shstrndx) == 62);

// Note the different field order of the two classes (p_flags moves).
struct Elf32Phdr {
  Le32 p_type;
  Le32 p_offset;
  Le32 p_vaddr;
  Le32 p_paddr;
  Le32 p_filesz;
  Le32 p_memsz;
  Le32 p_flags;
  Le32 p_align;
};
static_assert(sizeof(Elf32Phdr) == 32);
static_assert(offsetof(Elf32Phdr, p_flags) == 24);

struct Elf64Phdr {
  Le32 p_type;
  Le32 p_flags;
  Le64 p_offset;
  Le64 p_vaddr;
  Le64 p_paddr;
  Le64 p_filesz;
  Le64 p_memsz;
  Le64 p_align;
};
static_assert(sizeof(Elf64Phdr) == 56);
static_assert(offsetof(Elf64Phdr, p_offset) == 8);
static_assert(offsetof(Elf64Phdr, p_align) == 48);

struct Elf32Shdr {
  Le32 sh_name;
  Le32 sh_type;
  Le32 sh_flags;
  Le32 sh_addr;
  Le32 sh_offset;
  Le32 sh_size;
  Le32 sh_link;
  Le32 sh_info;
  Le32 sh_addralign;
  Le32 sh_entsize;
};
static_assert(sizeof(Elf32Shdr) == 40);
static_assert(offsetof(Elf32Shdr, sh_offset) == 16);

struct Elf64Shdr {
  Le32 sh_name;
  Le32 sh_type;
  Le64 sh_flags;
  Le64 sh_addr;
  Le64 sh_offset;
  Le64 sh_size;
  Le32 sh_link;
  Le32 sh_info;
  Le64 sh_addralign;
  Le64 sh_entsize;
};
static_assert(sizeof(Elf64Shdr) == 64);
static_assert(offsetof(Elf64Shdr, sh_offset) == 24);
static_assert(offsetof(Elf64Shdr, sh_link) == 40);

}  // namespace tandem::elf
