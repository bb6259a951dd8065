#include "tandem/vdev/loaded_table.h"

#include <atomic>
#include <cstring>

#include "tandem/remoteproc/mailbox.h"
#include "tandem/rsc/resource_table.h"
#include "tandem/rsc/rpmsg_config.h"
#include "tandem/rsc/wire.h"
#include "tandem/virtio/features.h"
#include "tandem/virtio/ring_layout.h"

namespace tandem::vdev {
namespace {

// fw_rsc_vdev.status, from the entry's type word (Linux remoteproc.h).
constexpr std::size_t kStatusOffset = sizeof(rsc::FwRscHdr) + offsetof(rsc::FwRscVdev, status);

// VirtIO 1.x 2.7: the descriptor table is 16-byte aligned.
constexpr std::uint64_t kVringMinAlign = 16;

static_assert(rsc::kRpmsgDefaultBufferSize == rpmsg::kDefaultBufferSize);

bool SameName(const rsc::ResourceName& name, const char* want) {
  std::size_t i = 0;
  for (; want[i] != '\0'; ++i) {
    if (i >= rsc::kNameSize || name.chars[i] != want[i]) return false;
  }
  return name.chars[i] == '\0';
}

bool Overlap(std::uint64_t a, std::uint64_t a_size, std::uint64_t b, std::uint64_t b_size) {
  // Callers pass ranges already inside the device window: no wrap.
  return a < b + b_size && b < a + a_size;
}

}  // namespace

Result<LoadedTable> LoadedTable::Open(const LoadedTableConfig& config) {
  if (config.table.data() == nullptr || config.table.empty()) {
    return InvalidArgument(kNoResourceTable);
  }
  LoadedTable loaded(config);
  std::byte copy[kMaxTableSize];
  TANDEM_TRY_ASSIGN(const ConstByteSpan bytes, loaded.Snapshot(ByteSpan(copy, sizeof(copy))));
  TANDEM_TRY_ASSIGN(const rsc::ResourceTable table, rsc::ResourceTable::Parse(bytes));
  std::uint32_t vdev_entries = 0;  // Linux's rvdev->index: every vdev entry counts
  std::uint32_t rpmsg_vdevs = 0;
  for (const rsc::Entry& e : table.entries()) {
    if (e.kind() != rsc::EntryKind::kVdev) continue;
    const std::uint32_t entry = vdev_entries++;
    if (e.vdev().id != rsc::kVirtioIdRpmsg || rpmsg_vdevs++ != config.vdev_index) continue;
    // Parse() checked the whole entry fits in the table, status included.
    loaded.vdev_offset_ = e.offset();
    loaded.buffer_name_ = remoteproc::VdevRegionName(entry, "buffer");
    return loaded;
  }
  return NotFound(kNoRpmsgVdev);
}

Result<ConstByteSpan> LoadedTable::Snapshot(ByteSpan copy) const {
  const std::size_t size = config_.table.size();
  if (size > copy.size()) return ResourceExhausted(kTableTooLarge);
  // One read of the shared bytes; everything after works on the copy.
  std::memcpy(copy.data(), config_.table.data(), size);
  return ConstByteSpan(copy.data(), size);
}

std::uint8_t LoadedTable::ReadStatus() const {
  // Open() proved vdev_offset_ + kStatusOffset is inside the table. The
  // byte is the fw_rsc_vdev.status object the host writes (as part of an
  // aligned word, with release): acquire pairs with it.
  auto* status =
      reinterpret_cast<std::uint8_t*>(config_.table.data() + vdev_offset_ + kStatusOffset);
  return std::atomic_ref<std::uint8_t>(*status).load(std::memory_order_acquire);
}

void LoadedTable::SetNeedsReset() const {
  // The same byte as ReadStatus(). A load and a store, not an atomic
  // read-modify-write: the other writer is another core, which exclusive
  // accesses do not reliably exclude on a shared bus (and an ARMv6-M core
  // has none). A host reset (status 0) racing this either wins or is
  // overwritten with the old bits plus NEEDS_RESET; the host sets the whole
  // byte again when it brings the device up, and a reset host no longer
  // reads it (vdev::HostLink is down), so both outcomes are fine.
  auto* status =
      reinterpret_cast<std::uint8_t*>(config_.table.data() + vdev_offset_ + kStatusOffset);
  std::atomic_ref<std::uint8_t> byte(*status);
  byte.store(
      static_cast<std::uint8_t>(byte.load(std::memory_order_acquire) |
                                static_cast<std::uint8_t>(virtio::DeviceStatus::kDeviceNeedsReset)),
      std::memory_order_release);
}

bool LoadedTable::DriverOk() const {
  return virtio::HasStatus(ReadStatus(), virtio::DeviceStatus::kDriverOk);
}

Result<shm::Region> LoadedTable::Map(std::uint64_t da, std::uint64_t size,
                                     Status over_image) const {
  auto offset = config_.device_memory.Translate(da, size);
  if (!offset.ok()) return OutOfRange(kOutsideWindow);
  if (Overlap(da, size, config_.image.da, config_.image.size)) return over_image;
  return config_.device_memory.Sub(*offset, static_cast<std::size_t>(size));
}

Result<shm::Region> LoadedTable::Trace() const {
  std::byte copy[kMaxTableSize];
  TANDEM_TRY_ASSIGN(const ConstByteSpan bytes, Snapshot(ByteSpan(copy, sizeof(copy))));
  TANDEM_TRY_ASSIGN(const rsc::ResourceTable table, rsc::ResourceTable::Parse(bytes));
  for (const rsc::Entry& e : table.entries()) {
    if (e.kind() != rsc::EntryKind::kTrace) continue;
    const rsc::Trace& t = e.trace();
    if (t.len == 0 || t.da == rsc::kAddrAny) return DataLoss(kTraceNotFixed);
    // The trace lives inside the image carve-out (firmware.ld reserves it),
    // so no overlap check against the image here.
    auto offset = config_.device_memory.Translate(t.da, t.len);
    if (!offset.ok()) return OutOfRange(kTraceOutsideWindow);
    return config_.device_memory.Sub(*offset, t.len);
  }
  return NotFound(kNoTraceEntry);
}

Result<VdevLink> LoadedTable::ReadLink() const {
  std::byte copy[kMaxTableSize];
  TANDEM_TRY_ASSIGN(const ConstByteSpan bytes, Snapshot(ByteSpan(copy, sizeof(copy))));
  TANDEM_TRY_ASSIGN(const rsc::ResourceTable table, rsc::ResourceTable::Parse(bytes));

  const rsc::Vdev* vdev = nullptr;
  rsc::Vdev vdev_copy;
  bool have_buffers = false;
  rsc::Carveout buffers;
  for (const rsc::Entry& e : table.entries()) {
    // Ours is the rpmsg vdev Open() found, at the same offset.
    if (e.kind() == rsc::EntryKind::kVdev && e.vdev().id == rsc::kVirtioIdRpmsg &&
        e.offset() == vdev_offset_) {
      vdev_copy = e.vdev();
      vdev = &vdev_copy;
    } else if (e.kind() == rsc::EntryKind::kCarveout && !have_buffers &&
               SameName(e.carveout().name, buffer_name_.c_str())) {
      buffers = e.carveout();
      have_buffers = true;
    }
  }
  if (vdev == nullptr) return NotFound(kNoRpmsgVdev);
  if (vdev->offset != vdev_offset_) return DataLoss(kVdevMoved);
  if (vdev->num_of_vrings != 2) {
    return DataLoss(kNotTwoVrings);
  }
  if ((vdev->gfeatures & ~vdev->dfeatures) != 0) {
    return DataLoss(kFeaturesNotOffered);
  }

  VdevLink link;
  link.dfeatures = vdev->dfeatures;
  link.gfeatures = vdev->gfeatures;
  link.bus.event_idx = (vdev->gfeatures & (1u << virtio::feature::kRingEventIdx)) != 0;
  link.bus.name_service = (vdev->gfeatures & (1u << virtio::kRpmsgFeatureNs)) != 0;
  link.bus.flow_control = (vdev->gfeatures & (1u << virtio::kRpmsgFeatureFlowControl)) != 0;
  // The buffer size (docs/buffers.md). gfeatures is a subset of dfeatures
  // (checked above), so an accepted bit was offered.
  link.bus.buffer_size = config_.buffer_size;
  if (rsc::OffersRpmsgBufferSize(vdev->gfeatures)) {
    // The config space is in the host's copy of the table: read it again
    // (from our snapshot) and check it still says the firmware's size.
    auto asked = rsc::RpmsgBufferSizeOf(*vdev);
    if (!asked.ok()) return asked.status();
    if (*asked != config_.buffer_size) return DataLoss(kBufferConfigChanged);
    link.buffer_size_negotiated = true;
  } else if (config_.buffer_size != rsc::kRpmsgDefaultBufferSize) {
    return FailedPrecondition(kHostIgnoredBufferSize);
  }

  const rsc::Vring& r0 = vdev->vring[0];
  const rsc::Vring& r1 = vdev->vring[1];
  if (r0.num != r1.num) return DataLoss(kVringSizesDiffer);
  if (r0.num > config_.max_vring_num) return ResourceExhausted(kVringTooLarge);
  std::uint64_t ring_size[2] = {0, 0};
  rpmsg::VringConfig* out[2] = {&link.bus.vring0, &link.bus.vring1};
  for (std::size_t i = 0; i < 2; ++i) {
    const rsc::Vring& v = vdev->vring[i];
    if (v.da == rsc::kAddrAny) return DataLoss(kVringNotPlaced);
    if (v.da % kVringMinAlign != 0) {
      return DataLoss(kVringMisaligned);
    }
    if (v.notifyid >= remoteproc::mailbox::kMaxNotifyIds) return DataLoss(kBadNotifyId);
    TANDEM_TRY_ASSIGN(const virtio::RingLayout layout, virtio::RingLayout::Compute(v.num, v.align));
    ring_size[i] = layout.size();
    TANDEM_TRY_ASSIGN(out[i]->ring, Map(v.da, ring_size[i], DataLoss(kVringOverImage)));
    out[i]->num = v.num;
    out[i]->align = v.align;
    out[i]->notifyid = v.notifyid;
  }
  if (r0.notifyid == r1.notifyid) return DataLoss(kSameNotifyId);
  if (Overlap(r0.da, ring_size[0], r1.da, ring_size[1])) return DataLoss(kVringsOverlap);

  if (!have_buffers) return NotFound(kNoBufferCarveout);
  if (buffers.da == rsc::kAddrAny) return DataLoss(kBuffersNotPlaced);
  // 2 * num buffers: num 32768 and 65551-byte buffers stay far below 2^64.
  const std::uint64_t need = 2 * std::uint64_t{r0.num} * config_.buffer_size;
  if (buffers.len < need) return DataLoss(kBuffersTooSmall);
  TANDEM_TRY_ASSIGN(link.bus.buffers, Map(buffers.da, buffers.len, DataLoss(kBuffersOverImage)));
  for (std::size_t i = 0; i < 2; ++i) {
    if (Overlap(vdev->vring[i].da, ring_size[i], buffers.da, buffers.len)) {
      return DataLoss(kVringOverBuffers);
    }
  }
  return link;
}

}  // namespace tandem::vdev
