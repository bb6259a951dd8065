#pragma once
// Internal: the host's way into the remote's memory while loading or
// attaching. Map() asks the platform for a region, checks what came back
// and records it in the run's MemoryMap; failures add their numbers to the
// ErrorDetail. Also the address arithmetic the placement code shares.

#include <cstdint>
#include <limits>

#include "tandem/base/result.h"
#include "tandem/remoteproc/error_detail.h"
#include "tandem/remoteproc/memory_map.h"
#include "tandem/remoteproc/platform.h"
#include "tandem/shm/region.h"

namespace tandem::remoteproc {

// Carveouts and the buffer area are allocated with page alignment, as
// Linux's dma_alloc_coherent gives them.
inline constexpr std::uint64_t kPageSize = 4096;

// Resource-table addresses are 32-bit: whatever we write there must fit.
constexpr bool Fits32(std::uint64_t da, std::uint64_t length) {
  constexpr std::uint64_t kFourGiB = std::uint64_t{1} << 32;
  return da < kFourGiB && length <= kFourGiB - da;
}

// Both ranges must have been checked not to wrap (every mapped one is).
constexpr bool Overlap(std::uint64_t a, std::uint64_t a_len, std::uint64_t b, std::uint64_t b_len) {
  return a < b + b_len && b < a + a_len;
}

struct RemoteMemory {
  // [da, da + size) of the remote (da may be kAnyAddress) as a host view of
  // exactly `size` bytes, recorded as `kind` under `name`.
  // kResourceExhausted if it cannot be addressed on this host; the
  // platform's error (detail: name, size, address); error::kRegionsOverlap
  // if it overlaps a region mapped before; kInternal if the platform
  // returned another range.
  Result<shm::Region> Map(std::uint64_t da, std::uint64_t size, std::uint64_t align,
                          MemoryKind kind, const char* name);

  Platform& platform;
  MemoryMap& map;
  ErrorDetail& detail;
};

}  // namespace tandem::remoteproc
