#include "resource_handlers.h"

#include "tandem/remoteproc/errors.h"
#include "tandem/rsc/table_patch.h"
#include "vdev_placement.h"

namespace tandem::remoteproc {

namespace {

// The pass an entry kind is handled in (see the header). kInvalid, which
// the parser never yields, goes first so that it fails before anything else.
constexpr int kPassCount = 3;
constexpr int PassOf(rsc::EntryKind kind) {
  switch (kind) {
    case rsc::EntryKind::kTrace: return 1;
    case rsc::EntryKind::kVdev: return 2;
    case rsc::EntryKind::kCarveout:
    case rsc::EntryKind::kDevmem:
    case rsc::EntryKind::kVendor:
    case rsc::EntryKind::kInvalid: break;
  }
  return 0;
}

}  // namespace

Status HandleResources(const rsc::ResourceTable& table, ResourceContext& ctx) {
  for (int pass = 0; pass < kPassCount; ++pass) {
    for (const rsc::Entry& e : table.entries()) {
      if (PassOf(e.kind()) == pass) TANDEM_TRY(HandleResource(e, ctx));
    }
  }
  return OkStatus();
}

Status HandleResource(const rsc::Entry& entry, ResourceContext& ctx) {
  switch (entry.kind()) {
    case rsc::EntryKind::kCarveout: return HandleCarveout(entry.carveout(), ctx);
    case rsc::EntryKind::kDevmem: return HandleDevmem(entry.devmem(), ctx);
    case rsc::EntryKind::kTrace: return HandleTrace(entry.trace(), ctx);
    case rsc::EntryKind::kVdev: return HandleVdev(entry.vdev(), ctx);
    case rsc::EntryKind::kVendor: return OkStatus();
    case rsc::EntryKind::kInvalid: break;
  }
  return DataLoss(error::kTableChanged);
}

Status HandleCarveout(const rsc::Carveout& c, ResourceContext& ctx) {
  if (c.len == 0) return DataLoss(error::kCarveoutZeroLength);
  if (c.da == rsc::kAddrAny) {
    if (ctx.placement == Placement::kAttach) {
      ctx.memory.detail.Append(c.name.c_str());
      return DataLoss(error::kAttachCarveoutAnyAddress);
    }
    // Linux: rproc_alloc_carveout, then the chosen address is written back
    // (rsc->da, rsc->pa) for the firmware to find.
    TANDEM_TRY_ASSIGN(const shm::Region r, ctx.memory.Map(kAnyAddress, c.len, kPageSize,
                                                          MemoryKind::kCarveout, c.name.c_str()));
    if (!Fits32(r.device_address(), c.len)) return Internal(error::kCarveoutAbove4GiB);
    const auto da = static_cast<std::uint32_t>(r.device_address());
    return rsc::SetCarveoutAddress(ctx.table, c, da, da);
  }
  TANDEM_TRY(ctx.memory.Map(c.da, c.len, kPageSize, MemoryKind::kCarveout, c.name.c_str()));
  // Linux writes pa for every carveout it allocated; with no IOMMU in our
  // model the physical address is the device address.
  if (ctx.placement == Placement::kBoot) return rsc::SetCarveoutAddress(ctx.table, c, c.da, c.da);
  return OkStatus();
}

Status HandleDevmem(const rsc::Devmem& d, ResourceContext& ctx) {
  if (d.len == 0) return DataLoss(error::kDevmemZeroLength);
  if (d.da == rsc::kAddrAny) return DataLoss(error::kDevmemAnyAddress);
  return ctx.memory.Map(d.da, d.len, kPageSize, MemoryKind::kDevmem, d.name.c_str()).status();
}

Status HandleTrace(const rsc::Trace& t, ResourceContext& ctx) {
  if (ctx.out.trace.len != 0) {
    ++ctx.out.skipped_traces;
    return OkStatus();
  }
  if (t.len == 0) return DataLoss(error::kTraceZeroLength);
  if (t.da == rsc::kAddrAny) return DataLoss(error::kTraceAnyAddress);
  // Linux rproc_handle_trace: the buffer must be in memory we can read.
  if (ctx.memory.map.Find(t.da, t.len, MemoryKind::kCarveout) == nullptr) {
    ctx.memory.detail.Append("trace 0x");
    ctx.memory.detail.AppendHex(t.da);
    ctx.memory.detail.Append(" size 0x");
    ctx.memory.detail.AppendHex(t.len);
    return DataLoss(error::kTraceOutsideCarveout);
  }
  ctx.out.trace = {t.da, t.len};
  return OkStatus();
}

}  // namespace tandem::remoteproc
