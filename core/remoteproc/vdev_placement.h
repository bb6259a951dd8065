#pragma once
// Internal: the RSC_VDEV handler. Places the table's RPMsg vdev: its two
// vrings (Linux rproc_alloc_vring / rproc_parse_vring), the buffer area
// (the "vdev0buffer" carveout or memory of its own), the notifyids, and the
// negotiated features; with Placement::kBoot every choice is written back
// into the cached table (Linux rproc_handle_vdev, remoteproc_virtio.c).

#include <cstdint>

#include "resource_handlers.h"
#include "tandem/base/status.h"
#include "tandem/remoteproc/vdev.h"
#include "tandem/rsc/resource_table.h"

namespace tandem::remoteproc {

// The first RPMsg vdev becomes ctx.out.vdev (and vdev_entry); other VirtIO
// devices and a second RPMsg vdev are counted in ctx.out.skipped_vdevs.
// Fails (error.h reasons) for a vdev the host's RPMsg driver cannot serve:
// not two vrings, asymmetric nums, misaligned or overlapping rings, rings
// over the buffer area, equal notifyids, and on attach any address left to
// choose or a notifyid in the mailbox control range.
Status HandleVdev(const rsc::Vdev& vdev, ResourceContext& ctx);

// Zeroes both rings: after the image is loaded (it may cover a fixed
// vring), the remote must not see ring indices of an earlier run or of the
// image.
Status ClearVrings(VdevResources& vdev);

}  // namespace tandem::remoteproc
