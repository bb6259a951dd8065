#pragma once
// What the entries of a resource table gave one run (a Load() or an
// Attach()): the RPMsg vdev, placed, the trace buffer, and what was skipped.
// Filled by the resource handlers, emptied when the memory is released.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "tandem/remoteproc/vdev.h"
#include "tandem/rsc/resource_table.h"

namespace tandem::remoteproc {

struct TraceResource {
  std::uint64_t da = 0;
  std::size_t len = 0;  // 0: no trace buffer
};

struct TableResources {
  std::optional<rsc::Vdev> vdev_entry;  // the RPMsg vdev's table entry
  std::optional<VdevResources> vdev;    // its vrings and buffers, mapped
  TraceResource trace;                  // the first trace entry
  // Vdevs beyond the first RPMsg vdev or of another VirtIO type, and trace
  // entries beyond the first.
  std::uint32_t skipped_vdevs = 0;
  std::uint32_t skipped_traces = 0;
};

}  // namespace tandem::remoteproc
