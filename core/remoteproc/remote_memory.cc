#include "remote_memory.h"

#include <cstddef>
#include <limits>

#include "tandem/remoteproc/errors.h"

namespace tandem::remoteproc {
namespace {

bool FitsSizeT(std::uint64_t v) {
  if constexpr (sizeof(std::size_t) >= sizeof(std::uint64_t)) {
    return true;
  } else {
    return v <= std::numeric_limits<std::size_t>::max();
  }
}

}  // namespace

Result<shm::Region> RemoteMemory::Map(std::uint64_t da, std::uint64_t size, std::uint64_t align,
                                      MemoryKind kind, const char* name) {
  if (!FitsSizeT(size)) return ResourceExhausted(error::kRegionTooLargeForHost);
  const MemoryRequest request{da, size, align, name};
  auto mapped = platform.MapMemory(request);
  if (!mapped.ok()) {
    detail.Append("cannot map ");
    detail.Append(name);
    detail.Append(" size 0x");
    detail.AppendHex(size);
    if (da != kAnyAddress) {
      detail.Append(" at 0x");
      detail.AppendHex(da);
    }
    return mapped.status();
  }
  // The platform is trusted, but a wrong view would let us write where we
  // must not; checking costs nothing.
  if (mapped->size() < size || (da != kAnyAddress && mapped->device_address() != da)) {
    return Internal(error::kPlatformMappedWrongRange);
  }
  TANDEM_TRY_ASSIGN(const shm::Region exact, mapped->Sub(0, static_cast<std::size_t>(size)));
  for (const MappedRegion& m : map.regions()) {
    if (Overlap(m.region.device_address(), m.region.size(), exact.device_address(), exact.size())) {
      detail.Append(name);
      detail.Append(" overlaps ");
      detail.Append(m.name.c_str());
      return DataLoss(error::kRegionsOverlap);
    }
  }
  TANDEM_TRY(map.Add(exact, kind, name));
  return exact;
}

}  // namespace tandem::remoteproc
