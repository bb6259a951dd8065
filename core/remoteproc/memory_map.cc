#include "tandem/remoteproc/memory_map.h"

#include <cstring>

#include "tandem/remoteproc/errors.h"

namespace tandem::remoteproc {

const char* MemoryKindName(MemoryKind kind) {
  switch (kind) {
    case MemoryKind::kCarveout: return "carveout";
    case MemoryKind::kDevmem: return "devmem";
    case MemoryKind::kVring: return "vring";
    case MemoryKind::kBuffers: return "buffers";
  }
  return "invalid";
}

Status MemoryMap::Add(const shm::Region& region, MemoryKind kind, const char* name) {
  if (count_ == kMaxRegions) return ResourceExhausted(error::kTooManyRegions);
  MappedRegion& m = regions_[count_];
  m.region = region;
  m.kind = kind;
  m.name = {};
  if (name != nullptr) {
    std::size_t n = 0;
    while (n < rsc::kNameSize && name[n] != '\0') ++n;
    std::memcpy(m.name.chars, name, n);
    m.name.chars[n] = '\0';
  }
  ++count_;
  return OkStatus();
}

const MappedRegion* MemoryMap::Find(std::uint64_t da, std::uint64_t length, MemoryKind kind) const {
  if (length == 0) return nullptr;
  for (const MappedRegion& m : regions()) {
    if (m.kind == kind && m.region.ContainsDeviceRange(da, length)) return &m;
  }
  return nullptr;
}

const MappedRegion* MemoryMap::FindAny(std::uint64_t da, std::uint64_t length) const {
  if (length == 0) return nullptr;
  for (const MappedRegion& m : regions()) {
    if (m.region.ContainsDeviceRange(da, length)) return &m;
  }
  return nullptr;
}

Result<shm::Region> MemoryMap::View(const MappedRegion* mapped, std::uint64_t da,
                                    std::uint64_t length) {
  if (length == 0) return InvalidArgument(error::kEmptyDeviceRange);
  if (mapped == nullptr) return NotFound(error::kRangeNotMapped);
  TANDEM_TRY_ASSIGN(const std::size_t offset, mapped->region.Translate(da, length));
  // Contained in a region whose size is a size_t, so length fits size_t.
  return mapped->region.Sub(offset, static_cast<std::size_t>(length));
}

Result<shm::Region> MemoryMap::Translate(std::uint64_t da, std::uint64_t length) const {
  return View(FindAny(da, length), da, length);
}

Result<shm::Region> MemoryMap::Translate(std::uint64_t da, std::uint64_t length,
                                         MemoryKind kind) const {
  return View(Find(da, length, kind), da, length);
}

}  // namespace tandem::remoteproc
