#pragma once
// Tandem's own bounds on a resource table, shared by the parser (which
// refuses more) and the builder (which cannot produce more). Linux has no
// entry limit; ours keeps the quadratic carveout-overlap check cheap, and
// real firmware declares a handful of entries.

#include <cstddef>
#include <cstdint>

namespace tandem::rsc {

// Entries in one table (resource_table.num).
inline constexpr std::size_t kMaxEntries = 256;
// Vrings in one vdev entry (Linux itself supports 2 per rpmsg vdev).
inline constexpr std::size_t kMaxVrings = 8;
// Split virtqueue size limit (VirtIO 1.x 2.7: "Queue Size ... a power of 2",
// at most 32768).
inline constexpr std::uint32_t kMaxVringNum = 32768;

}  // namespace tandem::rsc
