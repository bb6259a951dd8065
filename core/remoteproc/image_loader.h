#pragma once
// Internal: putting a firmware image into the remote's memory (Linux
// remoteproc_elf_loader.c): the cached resource table copied out of the
// ELF, the PT_LOAD segments placed in the carveouts, and the cached table
// written back to where the firmware linked it.

#include <cstddef>
#include <cstdint>
#include <span>

#include "remote_memory.h"
#include "tandem/base/result.h"
#include "tandem/base/span.h"
#include "tandem/elf/elf_file.h"
#include "tandem/remoteproc/table_resources.h"
#include "tandem/remoteproc/vdev.h"
#include "tandem/shm/region.h"

namespace tandem::remoteproc {

// Copies the resource table section's bytes into `cache` (Linux
// rproc->cached_table: our private copy, checked once and patched freely)
// and returns how many. error::kTableTooLarge beyond the cache.
Result<std::size_t> CacheTable(ConstByteSpan section, ByteSpan cache);

// A firmware without a resource table: no resources, like Linux. Linux then
// relies on the platform driver's own memories (ops->da_to_va); our
// Platform has only MapMemory, so the page-aligned span of the loadable
// segments is mapped as one carveout, "firmware".
Status MapImageSpan(const elf::ElfFile& elf, RemoteMemory& memory);

// Writes every PT_LOAD segment (file bytes, then zero fill) to its device
// address, which must lie inside one mapped carveout (Linux: rproc_da_to_va
// in rproc_elf_load_segments); error::kSegmentOutsideCarveout otherwise,
// with the segment's range in the detail.
Status LoadSegments(const elf::ElfFile& elf, RemoteMemory& memory);

// Copies the cached `table` to device address `da` (the .resource_table
// section's address; Linux rproc_elf_find_loaded_rsc_table, and
// rproc_start's copy) and returns the host view of the copy. Linux carries
// on without it; we refuse, because the remote could not see the addresses
// and status we write. It must lie in a carveout, be 4-byte aligned (the
// vdev status is published with a 32-bit store) and not overlap the rings
// or buffers the driver writes.
Result<shm::Region> WriteLoadedTable(std::uint64_t da, ConstByteSpan table,
                                     std::span<const PlacedVdev> vdevs, RemoteMemory& memory);

}  // namespace tandem::remoteproc
