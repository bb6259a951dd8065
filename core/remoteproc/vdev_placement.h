#pragma once
// Internal: the RSC_VDEV handler. Places each of the table's RPMsg vdevs:
// its two vrings (Linux rproc_alloc_vring / rproc_parse_vring), the buffer
// area (the "vdev<N>buffer" carveout or memory of its own), the notifyids, and the
// negotiated features; with Placement::kBoot every choice is written back
// into the cached table (Linux rproc_handle_vdev, remoteproc_virtio.c).

#include <cstdint>

#include "resource_handlers.h"
#include "tandem/base/status.h"
#include "tandem/remoteproc/vdev.h"
#include "tandem/rsc/resource_table.h"

namespace tandem::remoteproc {

// An RPMsg vdev becomes the next of ctx.out.vdevs; other VirtIO devices and
// RPMsg vdevs beyond kMaxRpmsgVdevs are counted in ctx.out.skipped_vdevs.
// Fails (error.h reasons) for a vdev the host's RPMsg driver cannot serve:
// not two vrings, asymmetric nums, misaligned or overlapping rings, rings
// over the buffer area, equal notifyids, rings, buffers or notifyids shared
// with an earlier vdev, and on attach any address left to choose or a
// notifyid in the mailbox control range.
Status HandleVdev(const rsc::Vdev& vdev, ResourceContext& ctx);

// Zeroes both rings: after the image is loaded (it may cover a fixed
// vring), the remote must not see ring indices of an earlier run or of the
// image.
Status ClearVrings(VdevResources& vdev);

}  // namespace tandem::remoteproc
