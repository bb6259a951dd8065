#pragma once
// Internal: one handler per resource-entry kind, and the dispatch over a
// parsed table (Linux rproc_handle_resources with its rproc_loading_handlers;
// OpenAMP rsc_table_parser.c handle_rsc_table). Used by Load() (Placement::
// kBoot) and Attach() (Placement::kAttach) on the cached table.
//
// Each handler checks its entry, maps what it names and records the result
// in the context's TableResources; a failure is a Status (with numbers in
// the ErrorDetail) and the caller releases whatever was mapped.

#include <cstdint>

#include "placement.h"
#include "remote_memory.h"
#include "tandem/base/span.h"
#include "tandem/base/status.h"
#include "tandem/remoteproc/table_resources.h"
#include "tandem/rsc/resource_table.h"

namespace tandem::remoteproc {

struct ResourceContext {
  RemoteMemory& memory;
  // The cached table the entries were parsed from; with Placement::kBoot the
  // handlers write back what they chose (addresses, notifyids, features).
  ByteSpan table;
  Placement placement;
  // Options::rpmsg_buffer_size, checked: 0 (as the firmware asks) or the
  // size the host requires.
  std::uint32_t rpmsg_buffer_size;
  TableResources& out;
};

// Every entry of `table`, in dependency order rather than table order:
// memory first (carveouts, devmem), because a trace buffer, a fixed vring
// and the vdev's buffer area are looked up in the carveouts; then trace;
// then the vdev.
Status HandleResources(const rsc::ResourceTable& table, ResourceContext& ctx);

// One entry, whatever its kind (vendor entries are the firmware's own and
// ignored, as Linux does for RSC_VENDOR_START..END).
Status HandleResource(const rsc::Entry& entry, ResourceContext& ctx);

// RSC_CARVEOUT: memory the firmware runs in. A fixed da is mapped there; an
// FW_RSC_ADDR_ANY one is placed by the platform on boot (refused on attach).
// On boot, da and pa are written back (no IOMMU: pa == da).
Status HandleCarveout(const rsc::Carveout& carveout, ResourceContext& ctx);
// RSC_DEVMEM: device memory (maybe registers) at a fixed da.
Status HandleDevmem(const rsc::Devmem& devmem, ResourceContext& ctx);
// RSC_TRACE: the first trace buffer, which must lie in a carveout; later
// ones are counted in out.skipped_traces.
Status HandleTrace(const rsc::Trace& trace, ResourceContext& ctx);
// RSC_VDEV: vdev_placement.h.

}  // namespace tandem::remoteproc
