#pragma once
// Test-only: builds small ELF32/ELF64 little-endian files byte by byte, so
// tests can make a good file and then break exactly one field of it. Uses
// std::vector/std::string (tests only, never the core). Other layers' tests
// (remoteproc) may use it to make firmware images.
//
// Layout of Build(): ELF header | program headers | segment data (each
// 8-aligned) | section data | .shstrtab | section headers. Section 0 is the
// SHT_NULL section; .shstrtab is the last section.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tandem/elf/elf_wire.h"

namespace tandem::elf::testing {

class ElfBuilder {
 public:
  struct Segment {
    std::uint32_t type;
    std::uint32_t flags;
    std::uint64_t vaddr;
    std::uint64_t paddr;
    std::vector<std::uint8_t> data;  // p_filesz = data.size()
    std::uint64_t memsz;
    std::uint64_t align;
  };
  struct Section {
    std::string name;
    std::uint32_t type;
    std::uint64_t addr;
    std::vector<std::uint8_t> data;
    std::uint64_t nobits_size;  // sh_size for SHT_NOBITS
  };

  explicit ElfBuilder(bool is_64bit, std::uint16_t machine = kMachineArm)
      : is_64bit_(is_64bit), machine_(machine) {}

  ElfBuilder& Entry(std::uint64_t entry) {
    entry_ = entry;
    return *this;
  }
  ElfBuilder& AddSegment(std::uint32_t type, std::uint64_t paddr, std::vector<std::uint8_t> data,
                         std::uint64_t memsz, std::uint64_t vaddr = ~std::uint64_t{0}) {
    segments_.push_back(
        {type, 5, vaddr == ~std::uint64_t{0} ? paddr : vaddr, paddr, std::move(data), memsz, 4});
    return *this;
  }
  ElfBuilder& AddSection(std::string name, std::uint32_t type, std::vector<std::uint8_t> data,
                         std::uint64_t addr = 0) {
    sections_.push_back({std::move(name), type, addr, std::move(data), 0});
    return *this;
  }
  ElfBuilder& AddNobits(std::string name, std::uint64_t addr, std::uint64_t size) {
    sections_.push_back({std::move(name), kShtNobits, addr, {}, size});
    return *this;
  }

  std::size_t ehdr_size() const { return is_64bit_ ? sizeof(Elf64Ehdr) : sizeof(Elf32Ehdr); }
  std::size_t phdr_size() const { return is_64bit_ ? sizeof(Elf64Phdr) : sizeof(Elf32Phdr); }
  std::size_t shdr_size() const { return is_64bit_ ? sizeof(Elf64Shdr) : sizeof(Elf32Shdr); }

  // Filled by Build(): where things went.
  std::size_t phoff = 0;
  std::size_t shoff = 0;
  std::vector<std::size_t> segment_offsets;
  std::vector<std::size_t> section_offsets;  // index = section index (0 = null)
  std::size_t shstrtab_offset = 0;
  std::size_t shstrtab_size = 0;
  std::size_t shstrndx = 0;

  std::vector<std::uint8_t> Build() {
    std::vector<std::uint8_t> out(ehdr_size(), 0);
    phoff = segments_.empty() ? 0 : out.size();
    out.resize(out.size() + segments_.size() * phdr_size(), 0);
    segment_offsets.clear();
    for (const Segment& s : segments_) {
      Align(out, 8);
      segment_offsets.push_back(out.size());
      out.insert(out.end(), s.data.begin(), s.data.end());
    }
    section_offsets.assign(1, 0);
    for (const Section& s : sections_) {
      Align(out, 8);
      section_offsets.push_back(out.size());
      out.insert(out.end(), s.data.begin(), s.data.end());
    }
    // .shstrtab: "\0name1\0name2\0.shstrtab\0"
    std::vector<std::uint32_t> name_offsets;
    std::string strtab(1, '\0');
    for (const Section& s : sections_) {
      name_offsets.push_back(static_cast<std::uint32_t>(strtab.size()));
      strtab += s.name;
      strtab += '\0';
    }
    const auto shstrtab_name = static_cast<std::uint32_t>(strtab.size());
    strtab += ".shstrtab";
    strtab += '\0';
    shstrtab_offset = out.size();
    shstrtab_size = strtab.size();
    out.insert(out.end(), strtab.begin(), strtab.end());
    Align(out, 8);
    shoff = out.size();
    const std::size_t shnum = sections_.size() + 2;
    shstrndx = shnum - 1;
    out.resize(out.size() + shnum * shdr_size(), 0);

    // ELF header.
    std::uint8_t ident[kIdentSize] = {0x7f,
                                      'E',
                                      'L',
                                      'F',
                                      static_cast<std::uint8_t>(is_64bit_ ? kClass64 : kClass32),
                                      kDataLittle,
                                      kVersionCurrent};
    std::memcpy(out.data(), ident, sizeof(ident));
    Put(out, 16, 2, 2);  // e_type ET_EXEC
    Put(out, 18, 2, machine_);
    Put(out, 20, 4, kVersionCurrent);
    if (is_64bit_) {
      Put(out, offsetof(Elf64Ehdr, e_entry), 8, entry_);
      Put(out, offsetof(Elf64Ehdr, e_phoff), 8, phoff);
      Put(out, offsetof(Elf64Ehdr, e_shoff), 8, shoff);
    } else {
      Put(out, offsetof(Elf32Ehdr, e_entry), 4, entry_);
      Put(out, offsetof(Elf32Ehdr, e_phoff), 4, phoff);
      Put(out, offsetof(Elf32Ehdr, e_shoff), 4, shoff);
    }
    const std::size_t tail =
        is_64bit_ ? offsetof(Elf64Ehdr, e_ehsize) : offsetof(Elf32Ehdr, e_ehsize);
    Put(out, tail + 0, 2, ehdr_size());
    Put(out, tail + 2, 2, phdr_size());
    Put(out, tail + 4, 2, segments_.size());
    Put(out, tail + 6, 2, shdr_size());
    Put(out, tail + 8, 2, shnum);
    Put(out, tail + 10, 2, shstrndx);

    for (std::size_t i = 0; i < segments_.size(); ++i) {
      const Segment& s = segments_[i];
      const std::size_t at = phoff + i * phdr_size();
      if (is_64bit_) {
        Put(out, at + offsetof(Elf64Phdr, p_type), 4, s.type);
        Put(out, at + offsetof(Elf64Phdr, p_flags), 4, s.flags);
        Put(out, at + offsetof(Elf64Phdr, p_offset), 8, segment_offsets[i]);
        Put(out, at + offsetof(Elf64Phdr, p_vaddr), 8, s.vaddr);
        Put(out, at + offsetof(Elf64Phdr, p_paddr), 8, s.paddr);
        Put(out, at + offsetof(Elf64Phdr, p_filesz), 8, s.data.size());
        Put(out, at + offsetof(Elf64Phdr, p_memsz), 8, s.memsz);
        Put(out, at + offsetof(Elf64Phdr, p_align), 8, s.align);
      } else {
        Put(out, at + offsetof(Elf32Phdr, p_type), 4, s.type);
        Put(out, at + offsetof(Elf32Phdr, p_flags), 4, s.flags);
        Put(out, at + offsetof(Elf32Phdr, p_offset), 4, segment_offsets[i]);
        Put(out, at + offsetof(Elf32Phdr, p_vaddr), 4, s.vaddr);
        Put(out, at + offsetof(Elf32Phdr, p_paddr), 4, s.paddr);
        Put(out, at + offsetof(Elf32Phdr, p_filesz), 4, s.data.size());
        Put(out, at + offsetof(Elf32Phdr, p_memsz), 4, s.memsz);
        Put(out, at + offsetof(Elf32Phdr, p_align), 4, s.align);
      }
    }
    for (std::size_t i = 0; i <= sections_.size(); ++i) {
      const bool is_strtab = i == sections_.size();
      const std::size_t index = i + 1;
      const std::uint32_t name = is_strtab ? shstrtab_name : name_offsets[i];
      const std::uint32_t type = is_strtab ? kShtStrtab : sections_[i].type;
      const std::uint64_t addr = is_strtab ? 0 : sections_[i].addr;
      const std::uint64_t offset = is_strtab ? shstrtab_offset : section_offsets[index];
      const std::uint64_t size = is_strtab                         ? shstrtab_size
                                 : sections_[i].type == kShtNobits ? sections_[i].nobits_size
                                                                   : sections_[i].data.size();
      PutSection(out, index, name, type, addr, offset, size);
    }
    if (section_offsets.size() < shnum) section_offsets.push_back(shstrtab_offset);
    return out;
  }

  // Field offsets, for tests that corrupt one field.
  std::size_t EhdrField(const char* field) const {
    const std::string f(field);
    if (is_64bit_) {
      if (f == "e_phoff") return offsetof(Elf64Ehdr, e_phoff);
      if (f == "e_shoff") return offsetof(Elf64Ehdr, e_shoff);
      if (f == "e_phnum") return offsetof(Elf64Ehdr, e_phnum);
      if (f == "e_shnum") return offsetof(Elf64Ehdr, e_shnum);
      if (f == "e_phentsize") return offsetof(Elf64Ehdr, e_phentsize);
      if (f == "e_shentsize") return offsetof(Elf64Ehdr, e_shentsize);
      if (f == "e_shstrndx") return offsetof(Elf64Ehdr, e_shstrndx);
      if (f == "e_version") return offsetof(Elf64Ehdr, e_version);
    } else {
      if (f == "e_phoff") return offsetof(Elf32Ehdr, e_phoff);
      if (f == "e_shoff") return offsetof(Elf32Ehdr, e_shoff);
      if (f == "e_phnum") return offsetof(Elf32Ehdr, e_phnum);
      if (f == "e_shnum") return offsetof(Elf32Ehdr, e_shnum);
      if (f == "e_phentsize") return offsetof(Elf32Ehdr, e_phentsize);
      if (f == "e_shentsize") return offsetof(Elf32Ehdr, e_shentsize);
      if (f == "e_shstrndx") return offsetof(Elf32Ehdr, e_shstrndx);
      if (f == "e_version") return offsetof(Elf32Ehdr, e_version);
    }
    std::abort();
  }
  // Where a field of a header is in the built file.
  struct Field {
    std::size_t offset;
    std::size_t width;
  };
  static void Put(std::vector<std::uint8_t>& out, Field field, std::uint64_t value) {
    Put(out, field.offset, field.width, value);
  }
  // p_<field> of program header `index`.
  Field PhdrField(std::size_t index, const char* field) const {
    std::size_t width = 0;
    const std::size_t offset = PhdrOffset(index, field, &width);
    return {offset, width};
  }
  // sh_<field> of section `index`.
  Field ShdrField(std::size_t index, const char* field) const {
    std::size_t width = 0;
    const std::size_t offset = ShdrOffset(index, field, &width);
    return {offset, width};
  }

 private:
  std::size_t PhdrOffset(std::size_t index, const char* field, std::size_t* width) const {
    const std::string f(field);
    const std::size_t at = phoff + index * phdr_size();
    *width = is_64bit_ ? 8 : 4;
    if (f == "p_type") {
      *width = 4;
      return at;
    }
    if (is_64bit_) {
      if (f == "p_offset") return at + offsetof(Elf64Phdr, p_offset);
      if (f == "p_paddr") return at + offsetof(Elf64Phdr, p_paddr);
      if (f == "p_filesz") return at + offsetof(Elf64Phdr, p_filesz);
      if (f == "p_memsz") return at + offsetof(Elf64Phdr, p_memsz);
    } else {
      if (f == "p_offset") return at + offsetof(Elf32Phdr, p_offset);
      if (f == "p_paddr") return at + offsetof(Elf32Phdr, p_paddr);
      if (f == "p_filesz") return at + offsetof(Elf32Phdr, p_filesz);
      if (f == "p_memsz") return at + offsetof(Elf32Phdr, p_memsz);
    }
    std::abort();
  }
  std::size_t ShdrOffset(std::size_t index, const char* field, std::size_t* width) const {
    const std::string f(field);
    const std::size_t at = shoff + index * shdr_size();
    *width = is_64bit_ ? 8 : 4;
    if (f == "sh_name" || f == "sh_type") {
      *width = 4;
      return at + (f == "sh_name" ? 0 : 4);
    }
    if (is_64bit_) {
      if (f == "sh_offset") return at + offsetof(Elf64Shdr, sh_offset);
      if (f == "sh_size") return at + offsetof(Elf64Shdr, sh_size);
    } else {
      if (f == "sh_offset") return at + offsetof(Elf32Shdr, sh_offset);
      if (f == "sh_size") return at + offsetof(Elf32Shdr, sh_size);
    }
    std::abort();
  }

 public:
  // Writes `value` little-endian in `width` bytes at `offset`.
  static void Put(std::vector<std::uint8_t>& out, std::size_t offset, std::size_t width,
                  std::uint64_t value) {
    for (std::size_t i = 0; i < width; ++i)
      out.at(offset + i) = static_cast<std::uint8_t>(value >> (8 * i));
  }

 private:
  static void Align(std::vector<std::uint8_t>& out, std::size_t align) {
    while (out.size() % align != 0) out.push_back(0);
  }
  void PutSection(std::vector<std::uint8_t>& out, std::size_t index, std::uint32_t name,
                  std::uint32_t type, std::uint64_t addr, std::uint64_t offset,
                  std::uint64_t size) const {
    const std::size_t at = shoff + index * shdr_size();
    Put(out, at + 0, 4, name);
    Put(out, at + 4, 4, type);
    if (is_64bit_) {
      Put(out, at + offsetof(Elf64Shdr, sh_addr), 8, addr);
      Put(out, at + offsetof(Elf64Shdr, sh_offset), 8, offset);
      Put(out, at + offsetof(Elf64Shdr, sh_size), 8, size);
      Put(out, at + offsetof(Elf64Shdr, sh_addralign), 8, 4);
    } else {
      Put(out, at + offsetof(Elf32Shdr, sh_addr), 4, addr);
      Put(out, at + offsetof(Elf32Shdr, sh_offset), 4, offset);
      Put(out, at + offsetof(Elf32Shdr, sh_size), 4, size);
      Put(out, at + offsetof(Elf32Shdr, sh_addralign), 4, 4);
    }
  }

  bool is_64bit_;
  std::uint16_t machine_;
  std::uint64_t entry_ = 0;
  std::vector<Segment> segments_;
  std::vector<Section> sections_;
};

}  // namespace tandem::elf::testing
