// Fuzz harness for the ELF reader: any bytes must parse or fail cleanly;
// a file that parses must be walkable end to end and its segments must load
// only within what the file claims.

#include <cstddef>
#include <cstdint>

#include "tandem/base/assert.h"
#include "tandem/base/checked_math.h"
#include "tandem/elf/elf_file.h"
#include "tandem/elf/elf_wire.h"
#include "tandem/elf/segment_loader.h"

namespace {

using tandem::ConstByteSpan;
using tandem::Status;

// Checks every range it is handed: the data lies inside the file, and the
// device range does not wrap.
class CheckingSink final : public tandem::elf::SegmentSink {
 public:
  explicit CheckingSink(ConstByteSpan file) : file_(file) {}
  Status Write(std::uint64_t da, ConstByteSpan data) override {
    TANDEM_ASSERT(data.data() >= file_.data() &&
                  data.data() + data.size() <= file_.data() + file_.size());
    TANDEM_ASSERT(data.empty() || da <= ~std::uint64_t{0} - (data.size() - 1));
    std::uint8_t sum = 0;
    for (std::byte b : data) sum = static_cast<std::uint8_t>(sum + static_cast<std::uint8_t>(b));
    checksum_ += sum;
    return tandem::OkStatus();
  }
  Status Zero(std::uint64_t da, std::uint64_t length) override {
    TANDEM_ASSERT(length > 0 && da <= ~std::uint64_t{0} - (length - 1));
    return tandem::OkStatus();
  }
  std::uint32_t checksum_ = 0;

 private:
  ConstByteSpan file_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ConstByteSpan file(reinterpret_cast<const std::byte*>(data), size);
  auto elf = tandem::elf::ElfFile::Parse(file);
  if (!elf.ok()) return 0;
  elf->CheckMachine(tandem::elf::kMachineArm).IgnoreError();
  (void)tandem::elf::MachineName(elf->machine());
  for (std::size_t i = 0; i < elf->program_header_count(); ++i) {
    const auto ph = elf->program_header(i);
    TANDEM_ASSERT(ph.ok());
    const auto seg = elf->SegmentData(*ph);
    if (seg.ok()) (void)seg->size();
  }
  for (std::size_t i = 0; i < elf->section_count(); ++i) {
    const auto sh = elf->section_header(i);
    TANDEM_ASSERT(sh.ok());
    const auto name = elf->SectionName(*sh);
    if (name.ok()) TANDEM_ASSERT(name->data() + name->size() <= file.data() + file.size());
    const auto bytes = elf->SectionData(*sh);
    if (bytes.ok()) TANDEM_ASSERT(bytes->data() + bytes->size() <= file.data() + file.size());
  }
  const auto rsc = elf->FindSection(".resource_table");
  if (rsc.ok()) elf->SectionData(*rsc).status().IgnoreError();
  CheckingSink sink(file);
  tandem::elf::LoadSegments(*elf, sink).IgnoreError();
  return 0;
}
