#pragma once
// The firmware's view of its own resource table after the host loaded and
// patched it (Linux: the "loaded table" rproc_start copies over
// .resource_table). The host writes into it the device addresses it chose
// for FW_RSC_ADDR_ANY carve-outs and vrings, the vrings' notifyids, the
// negotiated features (gfeatures) and the vdev status; the firmware reads
// them back here.
//
// Everything the host wrote is untrusted (docs/architecture.md decision 3):
//  * the status byte is read with one acquire load (the host publishes the
//    status word with release after it set up the rings, so the rings, and
//    the table fields it wrote before, are visible once DRIVER_OK is);
//  * the rest is read once, into a private copy, and parsed with
//    rsc::ResourceTable::Parse (bounds, overflow, entry sizes);
//  * every address is translated through `device_memory`, the window of
//    device addresses the host may hand out, and must not overlap the
//    image itself, the other vring or the buffer area; vrings are 16-byte
//    aligned (VirtIO 1.x 2.7), their sizes equal and within what the
//    firmware reserved, their notifyids mailbox notifyids (< 64) and
//    distinct; gfeatures is a subset of dfeatures (VirtIO 1.x 3.1.1: the
//    driver accepts only offered features); the "vdev0buffer" carve-out
//    holds 2 * num buffers;
//  * the buffer size (docs/buffers.md): LoadedTableConfig::buffer_size, the
//    size the firmware is built for. If the host accepted
//    VIRTIO_RPMSG_F_BUFSZ, the config space must still say that size; if it
//    did not, the host uses 512 and a firmware built for another size
//    refuses the link (kHostIgnoredBufferSize) rather than truncate.
// A violation is a Status made from one of the Reasons below (match it with
// Status::Is); nothing is mapped.
//
// No heap: the copy lives on the stack (at most kMaxTableSize bytes).

#include <cstddef>
#include <cstdint>

#include "tandem/base/result.h"
#include "tandem/base/span.h"
#include "tandem/base/status.h"
#include "tandem/remoteproc/remote_proc.h"
#include "tandem/rpmsg/bus.h"
#include "tandem/shm/region.h"

namespace tandem::vdev {

// The carve-out that holds the RPMsg buffers of the first vdev: the name
// the host places them by (remoteproc::kVdevBufferName), read back here. A
// table's later vdevs use "vdev<N>buffer", N the vdev's place among all
// vdev entries (remoteproc::VdevRegionName, as Linux names them).
inline constexpr const auto& kBufferCarveoutName = remoteproc::kVdevBufferName;

// --- Reasons (Status::Is) ---------------------------------------------------
// Open() / Trace(): the firmware's own table.
inline constexpr char kNoResourceTable[] = "no resource table given";
inline constexpr char kTableTooLarge[] = "resource table larger than kMaxTableSize";
inline constexpr char kNoRpmsgVdev[] = "the resource table has no rpmsg vdev";
inline constexpr char kNoTraceEntry[] = "the resource table has no trace entry";
inline constexpr char kTraceNotFixed[] = "trace entry without a fixed range";
inline constexpr char kTraceOutsideWindow[] = "trace buffer outside the firmware's device window";
// ReadLink(): what the host wrote.
inline constexpr char kOutsideWindow[] = "host placed memory outside the firmware's device window";
inline constexpr char kVdevMoved[] = "the rpmsg vdev moved in the resource table";
inline constexpr char kNotTwoVrings[] =
    "rpmsg vdev must have exactly two vrings (remote->host, host->remote)";
inline constexpr char kFeaturesNotOffered[] =
    "host accepted features the firmware did not offer (gfeatures)";
inline constexpr char kVringSizesDiffer[] = "vrings differ in size (rpmsg needs symmetric vrings)";
inline constexpr char kVringTooLarge[] = "vring larger than the firmware reserved";
inline constexpr char kVringNotPlaced[] = "vring device address not set by the host";
inline constexpr char kVringMisaligned[] =
    "vring device address not 16-byte aligned (VirtIO 1.x 2.7)";
inline constexpr char kBadNotifyId[] = "vring notifyid not a mailbox notifyid (< 64)";
inline constexpr char kVringOverImage[] = "host placed a vring over the image";
inline constexpr char kSameNotifyId[] = "the two vrings have the same notifyid";
inline constexpr char kVringsOverlap[] = "the two vrings overlap";
inline constexpr char kNoBufferCarveout[] =
    "the resource table has no vdev<N>buffer carveout for the rpmsg vdev";
inline constexpr char kBuffersNotPlaced[] = "vdev<N>buffer address not set by the host";
inline constexpr char kBuffersTooSmall[] = "vdev<N>buffer carveout smaller than 2 * num buffers";
inline constexpr char kBuffersOverImage[] = "host placed the rpmsg buffers over the image";
inline constexpr char kVringOverBuffers[] = "a vring overlaps the rpmsg buffer area";
// Buffer size (docs/buffers.md). kFailedPrecondition: the firmware is built
// for a size other than 512 (it offered VIRTIO_RPMSG_F_BUFSZ) and the host,
// Linux for one, did not accept the bit: it would use 512-byte buffers.
inline constexpr char kHostIgnoredBufferSize[] =
    "the host did not accept VIRTIO_RPMSG_F_BUFSZ: it uses 512-byte buffers, this firmware is "
    "built for another size";
// kDataLoss: the host accepted VIRTIO_RPMSG_F_BUFSZ but the config space it
// left in the loaded table asks for another size than the firmware's.
inline constexpr char kBufferConfigChanged[] =
    "the host accepted VIRTIO_RPMSG_F_BUFSZ with another buffer size than the firmware's";

struct DeviceRange {
  std::uint64_t da = 0;
  std::uint64_t size = 0;
};

// The RPMsg link the host set up, validated and mapped.
struct VdevLink {
  rpmsg::BusConfig bus;         // vring0 remote->host, vring1 host->remote, buffers
  std::uint32_t dfeatures = 0;  // what the firmware offered
  std::uint32_t gfeatures = 0;  // what the host accepted
  // The host accepted VIRTIO_RPMSG_F_BUFSZ: bus.buffer_size came from the
  // config space (else it is Linux's 512).
  bool buffer_size_negotiated = false;
};

struct LoadedTableConfig {
  // The image's own .resource_table object (writable: the host patches it).
  ByteSpan table;
  // Every device address the host may give the firmware, mapped.
  shm::Region device_memory;
  // The image; nothing the host places may overlap it.
  DeviceRange image;
  // Largest vring the firmware has storage for (RemoteBusStorage).
  std::uint32_t max_vring_num = 256;
  // Bytes per RPMsg buffer, header included: the size the firmware is
  // built for. Linux's 512 unless its table offers VIRTIO_RPMSG_F_BUFSZ with
  // this size in its config space (rsc::MakeSizedRpmsgVdev); the host must
  // agree (see above).
  std::uint32_t buffer_size = rpmsg::kDefaultBufferSize;
  // Which of the table's RPMsg vdevs, in table order (docs/vdevs.md): each
  // is a bus of its own, with its own LoadedTable and RemoteLink.
  std::uint32_t vdev_index = 0;
};

class LoadedTable {
 public:
  static constexpr std::size_t kMaxTableSize = 1024;

  // Finds RPMsg vdev (VirtIO id 7) number config.vdev_index in the table as
  // built. kNotFound if there is none; the parse errors of
  // rsc::ResourceTable otherwise.
  static Result<LoadedTable> Open(const LoadedTableConfig& config);

  // The vdev status byte (VirtIO 1.x 2.1), acquire.
  std::uint8_t ReadStatus() const;
  bool DriverOk() const;
  // Sets DEVICE_NEEDS_RESET (VirtIO 1.x 2.1.1: "the device has experienced
  // an error from which it can't recover") in the status byte, keeping the
  // driver's bits: one atomic read-modify-write of the byte, release. The
  // host clears it when it resets the device (status 0, or a reload).
  void SetNeedsReset() const;

  // The first trace entry, mapped. kNotFound if the table has none.
  Result<shm::Region> Trace() const;

  // Reads what the host wrote (call once DriverOk()) and checks it.
  Result<VdevLink> ReadLink() const;

  std::size_t vdev_offset() const { return vdev_offset_; }

 private:
  explicit LoadedTable(const LoadedTableConfig& config) : config_(config) {}
  // Copies the table (once) into `copy` and parses it.
  Result<ConstByteSpan> Snapshot(ByteSpan copy) const;
  // `over_image`: the error if the range overlaps the image.
  Result<shm::Region> Map(std::uint64_t da, std::uint64_t size, Status over_image) const;

  LoadedTableConfig config_;
  std::size_t vdev_offset_ = 0;
  remoteproc::VdevRegionName buffer_name_{0, "buffer"};
};

}  // namespace tandem::vdev
