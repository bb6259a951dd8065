#pragma once
// What RemoteProc hands the host's RPMsg buses once the remote runs: the two
// vrings and the buffer area of each of the table's RPMsg vdevs, mapped,
// with the negotiated features. Each RPMsg vdev is an independent bus with
// its own channels, as in Linux (one virtio device and one rpmsg bus per
// vdev entry; docs/vdevs.md).
//
// Ring layout: fw_rsc_vdev carries 32-bit feature words (dfeatures,
// gfeatures; Linux include/linux/remoteproc.h), so VIRTIO_F_VERSION_1 (bit
// 32) cannot be offered or accepted. Like Linux's remoteproc, the vrings use
// the legacy split layout (VirtIO 1.x 2.7, with `align` padding before the
// used ring), and every field is little-endian: the only byte order of the
// platforms we support (x86-64, AArch64, Cortex-M), so "legacy native
// endian" and "1.x little endian" are the same bytes.
//
// Which vring is which (as Linux's virtio_rpmsg_bus and every OpenAMP remote
// assume): vring[0] carries remote -> host messages (the host posts receive
// buffers in it), vring[1] host -> remote.

#include <array>
#include <cstddef>
#include <cstdint>

#include "tandem/base/status.h"
#include "tandem/shm/region.h"

namespace tandem::remoteproc {

// The feature bits the host's RPMsg driver supports and will accept from a
// vdev's dfeatures: VIRTIO_RPMSG_F_NS (bit 0), VIRTIO_RPMSG_F_BUFSZ (bit 2,
// the buffer size in the config space, rsc/rpmsg_config.h; accepted only
// once the sizes validated), Tandem's large messages (bit 11,
// rpmsg::kFeatureLargeMessages, docs/large_messages.md: no state in
// the table, the host's RPMsg layer fragments only on endpoints that opted
// in), Tandem's endpoint flow control (bit 16,
// virtio::kRpmsgFeatureFlowControl, docs/flow_control.md) and
// VIRTIO_RING_F_EVENT_IDX (bit 29, VirtIO 1.x 2.7.10). A Linux or OpenAMP
// firmware never offers bits 11 and 16.
inline constexpr std::uint32_t kSupportedVdevFeatures =
    (1u << 0) | (1u << 2) | (1u << 11) | (1u << 16) | (1u << 29);

// RPMsg vdevs of one resource table the host serves (Linux has no bound;
// real tables have one or two). Further ones are skipped and counted.
inline constexpr std::size_t kMaxRpmsgVdevs = 4;

struct VringResources {
  shm::Region ring;  // host view of exactly the ring (RingLayout size)
  std::uint64_t da = 0;
  std::uint32_t num = 0;
  std::uint32_t align = 0;
  std::uint32_t notifyid = 0;  // the mailbox message that kicks this vring
};

struct VdevResources {
  // Which of the table's RPMsg vdevs, in table order (0 for the first): the
  // bus it becomes on the host (Session::bus(index), `tandem ... --vdev`).
  std::uint32_t index = 0;
  std::array<VringResources, 2> vring;  // [0] remote -> host, [1] host -> remote
  // buffer_count buffers of buffer_size bytes: the first half are the
  // receive buffers (posted in vring0), the second half the transmit
  // buffers (vring1), as Linux's virtio_rpmsg_bus lays them out.
  shm::Region buffers;
  std::uint64_t buffers_da = 0;
  std::uint32_t buffer_size = 0;
  std::uint32_t buffer_count = 0;     // 2 * vring num
  std::uint32_t device_features = 0;  // dfeatures from the table
  std::uint32_t features = 0;         // negotiated: dfeatures & kSupportedVdevFeatures

  bool name_service() const { return (features & (1u << 0)) != 0; }
  // The buffer size came from the firmware's config space.
  bool buffer_size_negotiated() const { return (features & (1u << 2)) != 0; }
  bool event_idx() const { return (features & (1u << 29)) != 0; }
  // Messages larger than a buffer may be fragmented (docs/large_messages.md).
  bool large_messages() const { return (features & (1u << 11)) != 0; }
  // Endpoint flow control (virtio::kRpmsgFeatureFlowControl).
  bool flow_control() const { return (features & (1u << 16)) != 0; }
};

// Names of a vdev's memory as Linux gives them (remoteproc_virtio.c
// "vdev%dbuffer", remoteproc_core.c "vdev%dvring%d"): `vdev_entry` is the
// vdev's place among all vdev entries of the table (Linux's rvdev->index),
// `what` the rest ("buffer", "vring0"). Cut to fit; always terminated.
struct VdevRegionName {
  VdevRegionName(std::uint32_t vdev_entry, const char* what);
  const char* c_str() const { return text; }
  char text[32] = {};
};

// Told when the vdevs appear and disappear (the host creates and destroys
// its RPMsg buses; applications see their endpoints bound / unbound).
//
// Called from inside RemoteProc's methods, on the thread driving it. A
// listener must not call back into RemoteProc except SetVdevStatus(),
// Kick(), ReadVdevStatus() and the const accessors.
class VdevListener {
 public:
  // The remote runs (started or attached); called once per RPMsg vdev, in
  // index order. Set up the driver side of `vdev`: write the rings, then
  // RemoteProc::SetVdevStatus(ACKNOWLEDGE | DRIVER | FEATURES_OK |
  // DRIVER_OK, vdev.index), which the remote polls. A non-ok Status makes
  // the start / attach fail (the remote is stopped, like Linux's rproc_start
  // when a subdevice fails to start); vdevs announced before it are reset.
  virtual Status OnVdevReady(const VdevResources& vdev) = 0;
  // All vdevs go away together (stop, crash, recovery, detach): stop using
  // every ring and buffer now; the memory is released right after. Called
  // once, whether one vdev or several were announced.
  virtual void OnVdevReset() = 0;

 protected:
  ~VdevListener() = default;
};

}  // namespace tandem::remoteproc
