#include "tandem/qemu/board_for_image.h"

#include <cstddef>
#include <cstring>

#include "tandem/elf/elf_file.h"

namespace tandem::qemu {
namespace {

constexpr std::uint16_t kEmArm = 40;
constexpr std::uint32_t kShtArmAttributes = 0x70000003u;

// ARM build attributes (ABI addenda, "Build attributes"): the section is
// 'A' then subsections <u32 length><vendor NTBS><sub-subsections>; each
// sub-subsection is <u8 tag><u32 length><attributes>, tag 1 = the file's.
constexpr std::byte kFormatVersion{'A'};
constexpr std::uint8_t kTagFile = 1;
constexpr std::uint32_t kTagCpuRawName = 4;
constexpr std::uint32_t kTagCpuName = 5;
constexpr std::uint32_t kTagCpuArch = 6;
constexpr std::uint32_t kTagCompatibility = 32;

constexpr std::uint32_t kArchV7 = 10;  // with profile 'M': ARMv7-M
constexpr std::uint32_t kArchV6M = 11;
constexpr std::uint32_t kArchV6SM = 12;
constexpr std::uint32_t kArchV7EM = 13;

// A bounded little reader over untrusted bytes.
class Reader {
 public:
  explicit Reader(ConstByteSpan bytes) : bytes_(bytes) {}
  bool empty() const { return at_ >= bytes_.size(); }
  std::size_t left() const { return bytes_.size() - at_; }
  bool U8(std::uint8_t* v) {
    if (left() < 1) return false;
    *v = static_cast<std::uint8_t>(bytes_[at_++]);
    return true;
  }
  bool U32(std::uint32_t* v) {
    if (left() < 4) return false;
    *v = 0;
    for (int i = 0; i < 4; ++i) *v |= static_cast<std::uint32_t>(bytes_[at_ + i]) << (8 * i);
    at_ += 4;
    return true;
  }
  // ULEB128 of at most 5 bytes (every value here fits 32 bits).
  bool Uleb(std::uint32_t* v) {
    *v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      std::uint8_t b = 0;
      if (!U8(&b)) return false;
      *v |= static_cast<std::uint32_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  bool SkipString() {
    while (at_ < bytes_.size()) {
      if (bytes_[at_++] == std::byte{0}) return true;
    }
    return false;
  }
  // The next n bytes as a reader of their own.
  bool Take(std::size_t n, Reader* out) {
    if (n > left()) return false;
    *out = Reader(bytes_.subspan(at_, n));
    at_ += n;
    return true;
  }
  ConstByteSpan rest() const { return bytes_.subspan(at_); }

 private:
  ConstByteSpan bytes_;
  std::size_t at_ = 0;
};

// A string-valued tag: the two named ones below 32, then the generic rule
// for the rest (odd tags are strings).
bool IsStringTag(std::uint32_t tag) {
  if (tag == kTagCpuRawName || tag == kTagCpuName) return true;
  return tag > kTagCompatibility && (tag % 2) == 1;
}

}  // namespace

const char* BoardCpuName(const Mps2Board& board) {
  if (std::strcmp(board.machine, kMps2An385.machine) == 0) return "Cortex-M3";
  if (std::strcmp(board.machine, kMps2An386.machine) == 0) return "Cortex-M4";
  if (std::strcmp(board.machine, kMps2An500.machine) == 0) return "Cortex-M7";
  return "Cortex-M";
}

Result<std::uint32_t> ArmCpuArch(ConstByteSpan attributes) {
  Reader section(attributes);
  std::uint8_t version = 0;
  if (!section.U8(&version) || std::byte{version} != kFormatVersion) {
    return DataLoss("ARM attributes: not format version 'A'");
  }
  while (!section.empty()) {
    std::uint32_t length = 0;
    if (!section.U32(&length) || length < 4) return DataLoss("ARM attributes: bad subsection");
    Reader sub(ConstByteSpan{});
    if (!section.Take(length - 4, &sub)) return DataLoss("ARM attributes: subsection too long");
    const ConstByteSpan vendor = sub.rest();
    const bool aeabi = vendor.size() >= 6 && std::memcmp(vendor.data(), "aeabi", 6) == 0;
    if (!sub.SkipString()) return DataLoss("ARM attributes: unterminated vendor name");
    if (!aeabi) continue;
    while (!sub.empty()) {
      std::uint8_t tag = 0;
      std::uint32_t size = 0;
      if (!sub.U8(&tag) || !sub.U32(&size) || size < 5) {
        return DataLoss("ARM attributes: bad attribute block");
      }
      Reader block(ConstByteSpan{});
      if (!sub.Take(size - 5, &block)) return DataLoss("ARM attributes: attribute block too long");
      if (tag != kTagFile) continue;
      while (!block.empty()) {
        std::uint32_t attr = 0;
        if (!block.Uleb(&attr)) return DataLoss("ARM attributes: bad tag");
        if (attr == kTagCompatibility) {
          std::uint32_t flag = 0;
          if (!block.Uleb(&flag) || !block.SkipString()) {
            return DataLoss("ARM attributes: bad Tag_compatibility");
          }
        } else if (IsStringTag(attr)) {
          if (!block.SkipString()) return DataLoss("ARM attributes: unterminated string");
        } else {
          std::uint32_t value = 0;
          if (!block.Uleb(&value)) return DataLoss("ARM attributes: bad value");
          if (attr == kTagCpuArch) return value;
        }
      }
    }
  }
  return NotFound("ARM attributes: no Tag_CPU_arch");
}

Result<Mps2Board> BoardForImage(ConstByteSpan bytes) {
  TANDEM_TRY_ASSIGN(const elf::ElfFile file, elf::ElfFile::Parse(bytes));
  if (file.machine() != kEmArm || file.is_64bit()) {
    return InvalidArgument("not a 32-bit ARM ELF: QEMU's MPS2 boards run Cortex-M images");
  }
  const std::uint64_t entry = file.entry();
  if (entry >= kAn500RamBase && entry < std::uint64_t{kAn500RamBase} + kRamSize) {
    return kMps2An500;
  }
  for (std::size_t i = 0; i < file.section_count(); ++i) {
    TANDEM_TRY_ASSIGN(const elf::SectionHeader header, file.section_header(i));
    if (header.type != kShtArmAttributes) continue;
    TANDEM_TRY_ASSIGN(const ConstByteSpan data, file.SectionData(header));
    TANDEM_TRY_ASSIGN(const std::uint32_t arch, ArmCpuArch(data));
    switch (arch) {
      case kArchV7: return kMps2An385;
      case kArchV7EM: return kMps2An386;
      case kArchV6M:
      case kArchV6SM:
        return InvalidArgument(
            "an ARMv6-M (Cortex-M0/M0+) image: QEMU has no MPS2 board with that core");
      default:
        return InvalidArgument(
            "the image's CPU architecture is not ARMv7-M or ARMv7E-M: no MPS2 board here runs it");
    }
  }
  return InvalidArgument(
      "an ARM image without build attributes (.ARM.attributes): cannot tell which Cortex-M it is "
      "for");
}

}  // namespace tandem::qemu
