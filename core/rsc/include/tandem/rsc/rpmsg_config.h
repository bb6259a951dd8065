#pragma once
// RPMsg buffer size negotiation through VIRTIO_RPMSG_F_BUFSZ (docs/buffers.md).
//
// Linux's virtio_rpmsg_bus uses fixed 512-byte buffers and knows two feature
// bits of the rpmsg vdev: VIRTIO_RPMSG_F_NS (bit 0) and bit 1
// (VIRTIO_RPMSG_F_ACK, unused). NuttX's and Xiaomi's OpenAMP add bit 2,
// VIRTIO_RPMSG_F_BUFSZ: a device that offers it holds, in the first 8 bytes
// of its config space (RpmsgVirtioConfig, wire.h), the buffer size it wants
// for each direction; a driver that accepts the bit (gfeatures) uses those
// sizes. A driver that does not know the bit (Linux) never accepts it and
// keeps 512, so a device built for 512 offers nothing and its table stays
// exactly Linux's.
//
// Tandem supports one size for both directions: h2r_buf_size ==
// r2h_buf_size, a multiple of 8 from 32 to 65536 (header included).
//
// Pure functions over a parsed (untrusted) vdev entry; no heap.

#include <cstdint>

#include "tandem/base/result.h"
#include "tandem/rsc/resource_table.h"

namespace tandem::rsc {

// VIRTIO_RPMSG_F_BUFSZ: a device-type-specific feature bit of the rpmsg vdev.
inline constexpr std::uint32_t kRpmsgFeatureBufSize = 2;
inline constexpr std::uint32_t kRpmsgFeatureBufSizeMask = 1u << kRpmsgFeatureBufSize;

// Linux's fixed size (virtio_rpmsg_bus.c MAX_RPMSG_BUF_SIZE), the size of
// every device that does not offer VIRTIO_RPMSG_F_BUFSZ.
inline constexpr std::uint32_t kRpmsgDefaultBufferSize = 512;
inline constexpr std::uint32_t kRpmsgMinBufferSize = 32;
inline constexpr std::uint32_t kRpmsgMaxBufferSize = 65536;

// A size both sides can use: a multiple of 8 (every rpmsg header stays
// 8-byte aligned) in [kRpmsgMinBufferSize, kRpmsgMaxBufferSize].
constexpr bool IsValidRpmsgBufferSize(std::uint64_t size) {
  return size >= kRpmsgMinBufferSize && size <= kRpmsgMaxBufferSize && size % 8 == 0;
}

// The buffer size `vdev` (an rpmsg vdev) asks for, read from the entry as it
// is (untrusted): kRpmsgDefaultBufferSize when dfeatures lacks
// VIRTIO_RPMSG_F_BUFSZ (its config space is then not read); otherwise
// h2r_buf_size from the config space, checked. Errors (errors.h):
// kDataLoss kRpmsgConfigTooShort (config_len < 8), kDataLoss
// kBadRpmsgBufferSize (not IsValidRpmsgBufferSize), kUnimplemented
// kRpmsgBufferSizesDiffer (h2r != r2h).
Result<std::uint32_t> RpmsgBufferSizeOf(const Vdev& vdev);

// Whether dfeatures offers VIRTIO_RPMSG_F_BUFSZ.
constexpr bool OffersRpmsgBufferSize(std::uint32_t features) {
  return (features & kRpmsgFeatureBufSizeMask) != 0;
}

}  // namespace tandem::rsc
