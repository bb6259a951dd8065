#include "vdev_placement.h"

#include <cstring>

#include "remote_memory.h"
#include "tandem/base/checked_math.h"
#include "tandem/remoteproc/errors.h"
#include "tandem/remoteproc/mailbox.h"
#include "tandem/remoteproc/remote_proc.h"
#include "tandem/rsc/rpmsg_config.h"
#include "tandem/rsc/table_patch.h"
#include "tandem/virtio/ring_layout.h"

namespace tandem::remoteproc {
namespace {

// VirtIO 1.x 2.7 (table "Virtqueue Part Alignment"): the descriptor table
// needs 16-byte alignment.
constexpr std::uint64_t kDescriptorAlign = 16;

bool SameName(const rsc::ResourceName& name, const char* s) {
  return std::strncmp(name.c_str(), s, rsc::kNameSize + 1) == 0;
}

// `bus`: the vdev's place among the RPMsg vdevs; `entry`: among all vdev
// entries (names).
Result<VringResources> PlaceVring(const rsc::Vdev& vdev, std::size_t index, std::uint32_t bus,
                                  std::uint32_t entry, ResourceContext& ctx) {
  const rsc::Vring& spec = vdev.vring[index];
  TANDEM_TRY_ASSIGN(const virtio::RingLayout layout,
                    virtio::RingLayout::Compute(spec.num, spec.align));
  const std::uint64_t size = layout.size();
  const VdevRegionName region_name(entry, index == 0 ? "vring0" : "vring1");
  const char* name = region_name.c_str();
  shm::Region ring;
  if (spec.da == rsc::kAddrAny) {
    if (ctx.placement == Placement::kAttach) return DataLoss(error::kAttachVringAnyAddress);
    // Linux: rproc_alloc_vring allocates each vring as a carveout.
    const std::uint64_t align = spec.align < kDescriptorAlign ? kDescriptorAlign : spec.align;
    TANDEM_TRY_ASSIGN(ring, ctx.memory.Map(kAnyAddress, size, align, MemoryKind::kVring, name));
    if (!Fits32(ring.device_address(), size)) return Internal(error::kVringAbove4GiB);
    TANDEM_TRY(rsc::SetVringDeviceAddress(ctx.table, vdev, index,
                                          static_cast<std::uint32_t>(ring.device_address())));
  } else {
    if (spec.da % kDescriptorAlign != 0) return DataLoss(error::kVringMisaligned);
    // A fixed vring normally sits in one of the firmware's carveouts;
    // otherwise it is memory of its own.
    auto in_carveout = ctx.memory.map.Translate(spec.da, size, MemoryKind::kCarveout);
    if (in_carveout.ok()) {
      ring = *in_carveout;
    } else {
      TANDEM_TRY_ASSIGN(ring, ctx.memory.Map(spec.da, size, kPageSize, MemoryKind::kVring, name));
    }
  }
  std::uint32_t notifyid = spec.notifyid;
  if (ctx.placement == Placement::kBoot) {
    // Linux allocates notifyids from 0 in vring order across the vdevs
    // (rproc_alloc_vring, idr_alloc) and writes them into the table: the
    // first RPMsg vdev gets 0 and 1, the second 2 and 3 (other VirtIO
    // devices are not served here and get none; docs/vdevs.md).
    notifyid = static_cast<std::uint32_t>(2 * bus + index);
    TANDEM_TRY(rsc::SetVringNotifyId(ctx.table, vdev, index, notifyid));
  } else if (mailbox::IsControl(notifyid)) {
    return DataLoss(error::kNotifyIdInControlRange);
  }
  VringResources out;
  out.ring = ring;
  out.da = ring.device_address();
  out.num = spec.num;
  out.align = spec.align;
  out.notifyid = notifyid;
  return out;
}

void AppendDecimal(ErrorDetail& detail, std::uint32_t value) {
  char digits[11];
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  char text[12];
  for (std::size_t i = 0; i < n; ++i) text[i] = digits[n - 1 - i];
  text[n] = '\0';
  detail.Append(text);
}

// The buffer size (docs/buffers.md): what the firmware's (untrusted) entry
// asks for, checked, against what the host requires.
Result<std::uint32_t> NegotiateBufferSize(const rsc::Vdev& v, ResourceContext& ctx) {
  auto asked = rsc::RpmsgBufferSizeOf(v);
  if (!asked.ok()) {
    ctx.memory.detail.Append("rpmsg vdev config space: ");
    ctx.memory.detail.Append(asked.status().message());
    return asked.status();
  }
  if (ctx.rpmsg_buffer_size != 0 && ctx.rpmsg_buffer_size != *asked) {
    ctx.memory.detail.Append("the host is configured for ");
    AppendDecimal(ctx.memory.detail, ctx.rpmsg_buffer_size);
    ctx.memory.detail.Append("-byte RPMsg buffers, the firmware asks for ");
    AppendDecimal(ctx.memory.detail, *asked);
    ctx.memory.detail.Append(rsc::OffersRpmsgBufferSize(v.dfeatures)
                                 ? " (VIRTIO_RPMSG_F_BUFSZ)"
                                 : " (no VIRTIO_RPMSG_F_BUFSZ: Linux's default)");
    return FailedPrecondition(error::kRpmsgBufferSizeMismatch);
  }
  return *asked;
}

// The buffer area: 2 * num buffers (virtio_rpmsg_bus: rx half, tx half),
// in the "vdev<entry>buffer" carveout if the table has one.
Status PlaceBuffers(std::uint32_t num, std::uint32_t buffer_size, std::uint32_t entry,
                    ResourceContext& ctx, VdevResources& vdev) {
  const std::uint64_t count = 2 * std::uint64_t{num};
  std::uint64_t size;
  if (!CheckedMul<std::uint64_t>(count, buffer_size, &size)) {
    return ResourceExhausted(error::kBufferAreaOverflows);
  }
  const VdevRegionName name(entry, "buffer");
  const MappedRegion* named = nullptr;
  for (const MappedRegion& m : ctx.memory.map.regions()) {
    if (m.kind == MemoryKind::kCarveout && SameName(m.name, name.c_str())) named = &m;
  }
  shm::Region buffers;
  if (named != nullptr) {
    if (named->region.size() < size) {
      ctx.memory.detail.Append("need 0x");
      ctx.memory.detail.AppendHex(size);
      ctx.memory.detail.Append(" bytes, have 0x");
      ctx.memory.detail.AppendHex(named->region.size());
      return DataLoss(error::kBufferCarveoutTooSmall);
    }
    TANDEM_TRY_ASSIGN(buffers, named->region.Sub(0, static_cast<std::size_t>(size)));
  } else {
    TANDEM_TRY_ASSIGN(
        buffers, ctx.memory.Map(kAnyAddress, size, kPageSize, MemoryKind::kBuffers, name.c_str()));
  }
  vdev.buffers = buffers;
  vdev.buffers_da = buffers.device_address();
  vdev.buffer_size = buffer_size;
  vdev.buffer_count = static_cast<std::uint32_t>(count);
  return OkStatus();
}

// The driver writes rings and buffers; none may hold another, and a kick
// must say which ring it means.
Status CheckLayout(const VdevResources& vdev) {
  const VringResources& a = vdev.vring[0];
  const VringResources& b = vdev.vring[1];
  if (Overlap(a.da, a.ring.size(), b.da, b.ring.size())) return DataLoss(error::kVringsOverlap);
  for (const VringResources* v : {&a, &b}) {
    if (Overlap(v->da, v->ring.size(), vdev.buffers_da, vdev.buffers.size())) {
      return DataLoss(error::kVringOverlapsBuffers);
    }
  }
  if (a.notifyid == b.notifyid) return DataLoss(error::kSameNotifyId);
  return OkStatus();
}

// Two vdevs are two buses: no ring or buffer area of one may touch the
// other's, and no notifyid may kick both (a fixed table, or an attached
// remote, says all of them).
Status CheckApart(const VdevResources& vdev, const VdevResources& other) {
  struct Range {
    std::uint64_t da;
    std::uint64_t size;
  };
  const Range mine[] = {{vdev.vring[0].da, vdev.vring[0].ring.size()},
                        {vdev.vring[1].da, vdev.vring[1].ring.size()},
                        {vdev.buffers_da, vdev.buffers.size()}};
  const Range theirs[] = {{other.vring[0].da, other.vring[0].ring.size()},
                          {other.vring[1].da, other.vring[1].ring.size()},
                          {other.buffers_da, other.buffers.size()}};
  for (const Range& m : mine) {
    for (const Range& t : theirs) {
      if (Overlap(m.da, m.size, t.da, t.size)) return DataLoss(error::kVdevsOverlap);
    }
  }
  for (const VringResources& m : vdev.vring) {
    for (const VringResources& t : other.vring) {
      if (m.notifyid == t.notifyid) return DataLoss(error::kVdevsShareNotifyId);
    }
  }
  return OkStatus();
}

}  // namespace

Status HandleVdev(const rsc::Vdev& v, ResourceContext& ctx) {
  // Linux numbers every vdev entry (rvdev->index), whatever its type.
  const std::uint32_t entry = ctx.out.vdev_entries++;
  // RPMsg vdevs are what the host driver serves, up to kMaxRpmsgVdevs;
  // other VirtIO devices are left alone.
  if (v.id != rsc::kVirtioIdRpmsg || ctx.out.vdev_count == kMaxRpmsgVdevs) {
    ++ctx.out.skipped_vdevs;
    return OkStatus();
  }
  const std::uint32_t bus = static_cast<std::uint32_t>(ctx.out.vdev_count);
  if (v.num_of_vrings != 2) return DataLoss(error::kVdevVringCount);
  // virtio_rpmsg_bus.c: "we expect symmetric tx/rx vrings"; the buffer area
  // is split in two equal halves.
  if (v.vring[0].num != v.vring[1].num) return DataLoss(error::kVdevAsymmetricVrings);
  // Before anything is placed: a size the host cannot use fails at once.
  TANDEM_TRY_ASSIGN(const std::uint32_t buffer_size, NegotiateBufferSize(v, ctx));
  PlacedVdev& placed = ctx.out.vdevs[bus];
  placed = {};
  placed.entry = v;
  VdevResources& vdev = placed.resources;
  vdev.index = bus;
  vdev.device_features = v.dfeatures;
  for (std::size_t i = 0; i < 2; ++i) {
    TANDEM_TRY_ASSIGN(vdev.vring[i], PlaceVring(v, i, bus, entry, ctx));
  }
  TANDEM_TRY(PlaceBuffers(v.vring[0].num, buffer_size, entry, ctx, vdev));
  TANDEM_TRY(CheckLayout(vdev));
  for (std::size_t i = 0; i < bus; ++i) TANDEM_TRY(CheckApart(vdev, ctx.out.vdevs[i].resources));
  // Feature negotiation: the driver accepts what it supports of what the
  // device offers (VirtIO 1.x 3.1.1 step 5) and writes it as gfeatures.
  // VIRTIO_RPMSG_F_BUFSZ is among them: offered, its sizes validated above.
  vdev.features = v.dfeatures & kSupportedVdevFeatures;
  TANDEM_TRY(rsc::SetVdevGuestFeatures(ctx.table, v, vdev.features));
  // A fresh device starts in reset (VirtIO 1.x 2.1). On attach the table
  // keeps the remote's status; Attach() writes the reset to the loaded
  // table itself, in the vdev reset handshake.
  if (ctx.placement == Placement::kBoot) TANDEM_TRY(rsc::SetVdevStatus(ctx.table, v, 0));
  ctx.out.vdev_count = bus + 1;
  return OkStatus();
}

Status ClearVrings(VdevResources& vdev) {
  for (VringResources& v : vdev.vring) TANDEM_TRY(v.ring.Fill(0, v.ring.size(), std::byte{0}));
  return OkStatus();
}

}  // namespace tandem::remoteproc
