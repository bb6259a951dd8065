#pragma once
// Reading back the notes of a core file written by remoteproc's coredump
// (core_notes.h), through the elf layer's reader: the remoteproc, host and
// integration tests check the same things (header-only).

#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tandem/base/span.h"
#include "tandem/elf/elf_file.h"
#include "tandem/elf/elf_wire.h"

namespace tandem::testing {

struct CoreNote {
  std::string owner;
  std::uint32_t type = 0;
  std::vector<std::uint8_t> desc;
};

inline std::uint32_t NoteLe32(const std::uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

// The notes of the file's first PT_NOTE; nullopt if it has none or a note
// runs past its end.
inline std::optional<std::vector<CoreNote>> ReadCoreNotes(const elf::ElfFile& core) {
  for (std::size_t i = 0; i < core.program_header_count(); ++i) {
    const auto ph = core.program_header(i);
    if (!ph.ok() || ph->type != elf::kPtNote) continue;
    const auto data = core.SegmentData(*ph);
    if (!data.ok()) return std::nullopt;
    const auto* p = reinterpret_cast<const std::uint8_t*>(data->data());
    const std::size_t size = data->size();
    std::vector<CoreNote> notes;
    std::size_t at = 0;
    const auto pad4 = [](std::size_t n) { return (n + 3) & ~std::size_t{3}; };
    while (at + 12 <= size) {
      const std::size_t namesz = NoteLe32(p + at);
      const std::size_t descsz = NoteLe32(p + at + 4);
      CoreNote note;
      note.type = NoteLe32(p + at + 8);
      at += 12;
      if (at + pad4(namesz) + pad4(descsz) > size) return std::nullopt;
      note.owner.assign(reinterpret_cast<const char*>(p + at), namesz > 0 ? namesz - 1 : 0);
      at += pad4(namesz);
      note.desc.assign(p + at, p + at + descsz);
      at += pad4(descsz);
      notes.push_back(std::move(note));
    }
    if (at != size) return std::nullopt;
    return notes;
  }
  return std::nullopt;
}

inline const CoreNote* FindNote(const std::vector<CoreNote>& notes, const char* owner,
                                std::uint32_t type) {
  for (const CoreNote& n : notes) {
    if (n.owner == owner && n.type == type) return &n;
  }
  return nullptr;
}

// The "key=value\n" lines of the TANDEM note.
inline std::map<std::string, std::string> TandemFields(const CoreNote& note) {
  std::map<std::string, std::string> fields;
  std::string text(note.desc.begin(), note.desc.end());
  if (!text.empty() && text.back() == '\0') text.pop_back();
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(at, end - at);
    const std::size_t eq = line.find('=');
    if (eq != std::string::npos) fields[line.substr(0, eq)] = line.substr(eq + 1);
    at = end + 1;
  }
  return fields;
}

// A NUL-terminated string field of a note descriptor.
inline std::string NoteString(const CoreNote& note, std::size_t offset, std::size_t size) {
  if (offset + size > note.desc.size()) return "<out of range>";
  const char* s = reinterpret_cast<const char*>(note.desc.data() + offset);
  return std::string(s, strnlen(s, size));
}

}  // namespace tandem::testing
