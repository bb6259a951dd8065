#pragma once
// The resource table of an image with two RPMsg vdevs (firmware/two_vdevs,
// RemoteNode + one RemoteVdev): two independent RPMsg buses (bus 0 and bus
// 1, remoteproc/vdev.h). Six entries, in this order,
//
//   image     carveout  da 0x10000000, len 1 MiB: the image itself
//   trace     trace     "trace0" at kTraceBase (fixed, as rpmsg_resource_table.h)
//   buffers0  carveout  "vdev0buffer", FW_RSC_ADDR_ANY, 2 * 256 * 512 bytes
//   vdev0     rpmsg vdev (vdev entry 0, bus 0), kRpmsgFeatures, two vrings of
//                       256 entries, align 4096, da and notifyid
//                       FW_RSC_ADDR_ANY (the host assigns notifyids 0/1)
//   buffers1  carveout  "vdev1buffer", FW_RSC_ADDR_ANY, 2 * 64 * 512 bytes
//   vdev1     rpmsg vdev (vdev entry 1, bus 1), kRpmsgFeatures, two vrings of
//                       64 entries (notifyids 2/3)
//
// The buffer carve-outs are named by the vdev's place among ALL vdev entries
// of the table (Linux's rvdev->index, "vdev%dbuffer"); here both vdevs are
// RPMsg vdevs, so entry index and bus index agree. Never const: the host
// patches the loaded copy (rpmsg_resource_table.h).

#include <cstddef>
#include <cstdint>

#include "tandem/rsc/builder.h"
#include "tandem/simulated_board/memory_map.h"
#include "tandem/simulated_board/rpmsg_resource_table.h"

namespace tandem::simulated_board {

// vdev1's vrings: smaller than vdev0's, to show the vdevs are sized apart.
inline constexpr std::uint32_t kVdev1VringNum = 64;
inline constexpr std::uint32_t kVdev1BufferAreaSize = 2 * kVdev1VringNum * kRpmsgBufferSize;

struct TwoVdevResourceTable {
  rsc::TableHeader<6> header;
  rsc::CarveoutEntry image;
  rsc::TraceEntry trace;
  rsc::CarveoutEntry buffers0;
  rsc::RpmsgVdevEntry<2> vdev0;
  rsc::CarveoutEntry buffers1;
  rsc::RpmsgVdevEntry<2> vdev1;
};

consteval TwoVdevResourceTable MakeTwoVdevResourceTable() {
  using Table = TwoVdevResourceTable;
  return Table{
      .header = rsc::MakeHeader<6>({offsetof(Table, image), offsetof(Table, trace),
                                    offsetof(Table, buffers0), offsetof(Table, vdev0),
                                    offsetof(Table, buffers1), offsetof(Table, vdev1)}),
      .image = rsc::MakeCarveout(kImageBase, kImageSize, "image"),
      .trace = rsc::MakeTrace(kTraceBase, kTraceSize, "trace0"),
      .buffers0 = rsc::MakeCarveout(rsc::kAddrAny, kRpmsgBufferAreaSize, "vdev0buffer"),
      .vdev0 = rsc::MakeRpmsgVdev<2>(rsc::kAddrAny, kRpmsgFeatures,
                                     {{rsc::kAddrAny, kVringAlign, kVringNum, rsc::kAddrAny},
                                      {rsc::kAddrAny, kVringAlign, kVringNum, rsc::kAddrAny}}),
      .buffers1 = rsc::MakeCarveout(rsc::kAddrAny, kVdev1BufferAreaSize, "vdev1buffer"),
      .vdev1 = rsc::MakeRpmsgVdev<2>(rsc::kAddrAny, kRpmsgFeatures,
                                     {{rsc::kAddrAny, kVringAlign, kVdev1VringNum, rsc::kAddrAny},
                                      {rsc::kAddrAny, kVringAlign, kVdev1VringNum, rsc::kAddrAny}}),
  };
}

}  // namespace tandem::simulated_board
