#include "image_loader.h"

#include <cstring>

#include "tandem/base/checked_math.h"
#include "tandem/elf/elf_wire.h"
#include "tandem/elf/segment_loader.h"
#include "tandem/remoteproc/errors.h"

namespace tandem::remoteproc {
namespace {

// Places segments into the mapped carveouts, nowhere else.
class CarveoutSink final : public elf::SegmentSink {
 public:
  explicit CarveoutSink(RemoteMemory& memory) : memory_(memory) {}

  Status Write(std::uint64_t da, ConstByteSpan data) override {
    TANDEM_TRY_ASSIGN(shm::Region target, Locate(da, data.size()));
    return target.WriteBytes(0, data);
  }
  Status Zero(std::uint64_t da, std::uint64_t length) override {
    TANDEM_TRY_ASSIGN(shm::Region target, Locate(da, length));
    return target.Fill(0, target.size(), std::byte{0});
  }

 private:
  Result<shm::Region> Locate(std::uint64_t da, std::uint64_t length) {
    auto target = memory_.map.Translate(da, length, MemoryKind::kCarveout);
    if (!target.ok()) {
      memory_.detail.Append("segment 0x");
      memory_.detail.AppendHex(da);
      memory_.detail.Append(" size 0x");
      memory_.detail.AppendHex(length);
      memory_.detail.Append(" not inside any carveout");
      return DataLoss(error::kSegmentOutsideCarveout);
    }
    return target;
  }

  RemoteMemory& memory_;
};

}  // namespace

Result<std::size_t> CacheTable(ConstByteSpan section, ByteSpan cache) {
  if (section.size() > cache.size()) return ResourceExhausted(error::kTableTooLarge);
  if (!section.empty()) std::memcpy(cache.data(), section.data(), section.size());
  return section.size();
}

Status MapImageSpan(const elf::ElfFile& elf, RemoteMemory& memory) {
  std::uint64_t low = ~std::uint64_t{0};
  std::uint64_t high = 0;
  for (std::size_t i = 0; i < elf.program_header_count(); ++i) {
    TANDEM_TRY_ASSIGN(const elf::ProgramHeader ph, elf.program_header(i));
    if (ph.type != elf::kPtLoad || ph.memsz == 0) continue;
    // ElfFile::Parse checked paddr + memsz does not overflow.
    if (ph.paddr < low) low = ph.paddr;
    if (ph.paddr + ph.memsz > high) high = ph.paddr + ph.memsz;
  }
  if (high == 0) return OkStatus();  // nothing to load
  const std::uint64_t start = low & ~(kPageSize - 1);
  std::uint64_t end;
  if (!AlignUp<std::uint64_t>(high, kPageSize, &end) || end <= start) {
    return DataLoss(error::kImageSpanWraps);
  }
  return memory.Map(start, end - start, kPageSize, MemoryKind::kCarveout, "firmware").status();
}

Status LoadSegments(const elf::ElfFile& elf, RemoteMemory& memory) {
  CarveoutSink sink(memory);
  return elf::LoadSegments(elf, sink);
}

Result<shm::Region> WriteLoadedTable(std::uint64_t da, ConstByteSpan table,
                                     std::span<const PlacedVdev> vdevs, RemoteMemory& memory) {
  auto loaded = memory.map.Translate(da, table.size(), MemoryKind::kCarveout);
  if (!loaded.ok()) {
    memory.detail.Append(".resource_table at 0x");
    memory.detail.AppendHex(da);
    memory.detail.Append(" size 0x");
    memory.detail.AppendHex(table.size());
    return DataLoss(error::kLoadedTableOutsideCarveout);
  }
  if (da % 4 != 0 || reinterpret_cast<std::uintptr_t>(loaded->base()) % 4 != 0) {
    return DataLoss(error::kLoadedTableMisaligned);
  }
  for (const PlacedVdev& placed : vdevs) {
    const VdevResources& vdev = placed.resources;
    for (const VringResources& v : vdev.vring) {
      if (Overlap(da, table.size(), v.da, v.ring.size())) {
        return DataLoss(error::kLoadedTableOverlapsVring);
      }
    }
    if (Overlap(da, table.size(), vdev.buffers_da, vdev.buffers.size())) {
      return DataLoss(error::kLoadedTableOverlapsBuffers);
    }
  }
  TANDEM_TRY(loaded->WriteBytes(0, table));
  return *loaded;
}

}  // namespace tandem::remoteproc
