#pragma once
// What the entries of a resource table gave one run (a Load() or an
// Attach()): the RPMsg vdevs, placed, the trace buffer, and what was
// skipped. Filled by the resource handlers, emptied when the memory is
// released.

#include <array>
#include <cstddef>
#include <cstdint>

#include "tandem/remoteproc/vdev.h"
#include "tandem/rsc/resource_table.h"

namespace tandem::remoteproc {

struct TraceResource {
  std::uint64_t da = 0;
  std::size_t len = 0;  // 0: no trace buffer
};

// One RPMsg vdev of the table: its entry and what was placed for it.
struct PlacedVdev {
  rsc::Vdev entry;
  VdevResources resources;  // resources.index is this vdev's place in `vdevs`
};

struct TableResources {
  // The table's RPMsg vdevs in table order (docs/vdevs.md), the first
  // vdev_count of them.
  std::array<PlacedVdev, kMaxRpmsgVdevs> vdevs{};
  std::size_t vdev_count = 0;
  // Every vdev entry seen so far, of any VirtIO type: Linux's rvdev->index,
  // which names the buffer carveout ("vdev<index>buffer").
  std::uint32_t vdev_entries = 0;
  TraceResource trace;  // the first trace entry
  // Vdevs of another VirtIO type or beyond kMaxRpmsgVdevs RPMsg ones, and
  // trace entries beyond the first.
  std::uint32_t skipped_vdevs = 0;
  std::uint32_t skipped_traces = 0;
};

}  // namespace tandem::remoteproc
