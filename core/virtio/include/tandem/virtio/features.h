#pragma once
// VirtIO feature bits and device status values as typed constants
// (VirtIO 1.x sections 2.1 and 6; Linux uapi virtio_config.h/virtio_ring.h).

#include <cstdint>

namespace tandem::virtio {

// Device status field (VirtIO 1.x 2.1). For a remoteproc vdev the field lives
// in the resource table's fw_rsc_vdev.status.
enum class DeviceStatus : std::uint8_t {
  kReset = 0,
  kAcknowledge = 1,
  kDriver = 2,
  kDriverOk = 4,
  kFeaturesOk = 8,
  kDeviceNeedsReset = 64,
  kFailed = 128,
};
constexpr std::uint8_t operator|(DeviceStatus a, DeviceStatus b) {
  return static_cast<std::uint8_t>(static_cast<std::uint8_t>(a) | static_cast<std::uint8_t>(b));
}
constexpr bool HasStatus(std::uint8_t status, DeviceStatus bit) {
  return (status & static_cast<std::uint8_t>(bit)) != 0;
}

// Feature bit numbers.
namespace feature {
inline constexpr std::uint32_t kRingIndirectDesc = 28;  // VIRTIO_RING_F_INDIRECT_DESC (unsupported)
inline constexpr std::uint32_t kRingEventIdx = 29;      // VIRTIO_RING_F_EVENT_IDX, 2.7.10
inline constexpr std::uint32_t kVersion1 = 32;          // VIRTIO_F_VERSION_1
}  // namespace feature

constexpr std::uint64_t FeatureMask(std::uint32_t bit) { return std::uint64_t{1} << bit; }

// Device-type-specific bit (virtio_rpmsg_bus.c): the remote supports the
// name service.
inline constexpr std::uint32_t kRpmsgFeatureNs = 0;  // VIRTIO_RPMSG_F_NS

// Tandem's endpoint flow control (rpmsg/wire.h FlowMessage,
// docs/flow_control.md). ST's proposal numbered VIRTIO_RPMSG_F_FC bit 1,
// which NuttX's and Xiaomi's OpenAMP already use for VIRTIO_RPMSG_F_ACK
// (and offer in their tables), next to VIRTIO_RPMSG_F_BUFSZ (2) that Tandem
// shares with them; so Tandem takes bit 16, in the device-type range
// (0..23) and clear of the low bits NuttX keeps adding (docs/decisions.md).
inline constexpr std::uint32_t kRpmsgFeatureFlowControl = 16;

}  // namespace tandem::virtio
