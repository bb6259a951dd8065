#pragma once
// Writing host decisions back into the loaded copy of a resource table.
//
// Linux remoteproc keeps a copy of the firmware's table, fills in what it
// allocated or negotiated (carveout da/pa for FW_RSC_ADDR_ANY, vring da and
// notifyid, vdev gfeatures and status) and places that copy where the
// firmware expects its table (remoteproc_core.c, rproc_alloc_vring,
// rproc_handle_carveout; remoteproc_virtio.c for status and features). These
// helpers patch one field of one entry of such a copy, located by the entry
// offset recorded when the table was parsed.
//
// `table` is the caller's mutable copy (or the loaded table in shared
// memory, if the caller maps it as plain bytes). Each helper checks that the
// field lies inside `table` and that the entry at that offset still has the
// expected type (kFailedPrecondition otherwise: the copy is not the table
// the entry was parsed from); kOutOfRange for a vring index past
// num_of_vrings; the Reasons are in errors.h. Writes are plain little-endian stores: ordering
// against the remote, cache maintenance and the kick are the remoteproc layer's job.

#include <cstddef>
#include <cstdint>

#include "tandem/base/result.h"
#include "tandem/base/span.h"
#include "tandem/base/status.h"
#include "tandem/rsc/resource_table.h"

namespace tandem::rsc {

// fw_rsc_carveout.da and .pa (Linux writes both back for a carveout it
// allocated).
Status SetCarveoutAddress(ByteSpan table, const Carveout& carveout, std::uint32_t da,
                          std::uint32_t pa);
// fw_rsc_vdev_vring[index].da.
Status SetVringDeviceAddress(ByteSpan table, const Vdev& vdev, std::size_t index, std::uint32_t da);
// fw_rsc_vdev_vring[index].notifyid.
Status SetVringNotifyId(ByteSpan table, const Vdev& vdev, std::size_t index,
                        std::uint32_t notifyid);
// fw_rsc_vdev.status (VirtIO 1.x 2.1 device status byte).
Status SetVdevStatus(ByteSpan table, const Vdev& vdev, std::uint8_t status);
// fw_rsc_vdev.gfeatures (the features the driver accepted).
Status SetVdevGuestFeatures(ByteSpan table, const Vdev& vdev, std::uint32_t features);
// Reads fw_rsc_vdev.status back (e.g. the remote reacting to a reset).
Result<std::uint8_t> ReadVdevStatus(ConstByteSpan table, const Vdev& vdev);

}  // namespace tandem::rsc
