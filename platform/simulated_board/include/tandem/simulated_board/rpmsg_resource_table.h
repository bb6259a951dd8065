#pragma once
// The resource table of an RPMsg firmware image (the contract with the
// host, docs/firmware.md): four entries, in this order,
//
//   image        carveout  da 0x10000000, len 1 MiB: the image itself
//   trace        trace     "trace0" at kTraceBase (fixed, inside the image
//                          carve-out, reserved by firmware.ld)
//   buffers      carveout  "vdev0buffer", da FW_RSC_ADDR_ANY, 2 * 256 * 512
//                          bytes: the host allocates it and writes the da
//                          back, which tells the firmware where RPMsg
//                          buffers may lie (Linux remoteproc uses a carveout
//                          of this name for the vdev's buffers too)
//   vdev         rpmsg vdev (VirtIO id 7), dfeatures VIRTIO_RPMSG_F_NS | flow control (16) |
//                          VIRTIO_RING_F_EVENT_IDX, two vrings of 256
//                          entries, align 4096, da and notifyid
//                          FW_RSC_ADDR_ANY (the host allocates, assigns
//                          notifyids 0 and 1, and writes them back)
//
// An image declares it with
//
//   [[gnu::section(".resource_table"), gnu::used]]
//   constinit tandem::simulated_board::RpmsgResourceTable g_resource_table =
//       tandem::simulated_board::MakeRpmsgResourceTable();
//
// and never declares it const: the host patches the loaded copy in place
// (addresses, notifyids, gfeatures, status) and RemoteNode reads it back.
// MakeRpmsgResourceTable<N>() builds the same table for N-byte buffers
// (docs/buffers.md). A named struct with offsetof-computed offsets (rsc/builder.h, form 2)
// rather than rsc::Table, which clang 14 cannot evaluate.

#include <cstddef>
#include <cstdint>

#include "tandem/rpmsg/wire.h"
#include "tandem/rsc/builder.h"
#include "tandem/simulated_board/memory_map.h"
#include "tandem/vdev/loaded_table.h"
#include "tandem/virtio/features.h"

namespace tandem::simulated_board {

inline constexpr std::uint32_t kVringNum = 256;
inline constexpr std::uint32_t kVringAlign = 4096;
inline constexpr std::uint32_t kRpmsgBufferSize = rpmsg::kDefaultBufferSize;  // 512, as Linux
template <std::uint32_t BufferSize>
inline constexpr std::uint32_t kRpmsgBufferAreaSizeFor = 2 * kVringNum* BufferSize;
inline constexpr std::uint32_t kRpmsgBufferAreaSize = kRpmsgBufferAreaSizeFor<kRpmsgBufferSize>;
// With Tandem's flow control (docs/flow_control.md): a Linux or OpenAMP
// host does not know bit 16 and never accepts it, so it never sees a flow
// message.
inline constexpr std::uint32_t kRpmsgFeatures = (1u << virtio::kRpmsgFeatureNs) |
                                                (1u << virtio::kRpmsgFeatureFlowControl) |
                                                (1u << virtio::feature::kRingEventIdx);

// BufferSize: bytes per RPMsg buffer (docs/buffers.md). 512 is Linux's and
// gives exactly the table above; another size (an image built for larger
// messages, firmware/demo_2k) makes a vdev that offers VIRTIO_RPMSG_F_BUFSZ
// with the size in its config space, and a vdev0buffer of 2 * 256 * size.
// The image passes the same size to NodeConfig().
template <std::uint32_t BufferSize = kRpmsgBufferSize>
struct BasicRpmsgResourceTable {
  static constexpr std::uint32_t kBufferSize = BufferSize;
  rsc::TableHeader<4> header;
  rsc::CarveoutEntry image;
  rsc::TraceEntry trace;
  rsc::CarveoutEntry buffers;
  rsc::SizedRpmsgVdevEntry<BufferSize> vdev;
};
using RpmsgResourceTable = BasicRpmsgResourceTable<>;

// `extra_features`: more dfeatures bits the image offers, e.g.
// rpmsg::kFeatureLargeMessagesMask (docs/large_messages.md; a Linux
// host never accepts it, the table is otherwise the same).
template <std::uint32_t BufferSize = kRpmsgBufferSize>
consteval BasicRpmsgResourceTable<BufferSize> MakeRpmsgResourceTable(
    std::uint32_t extra_features = 0) {
  using Table = BasicRpmsgResourceTable<BufferSize>;
  return Table{
      .header = rsc::MakeHeader<4>({offsetof(Table, image), offsetof(Table, trace),
                                    offsetof(Table, buffers), offsetof(Table, vdev)}),
      .image = rsc::MakeCarveout(kImageBase, kImageSize, "image"),
      .trace = rsc::MakeTrace(kTraceBase, kTraceSize, "trace0"),
      .buffers = rsc::MakeCarveout(rsc::kAddrAny, kRpmsgBufferAreaSizeFor<BufferSize>,
                                   vdev::kBufferCarveoutName),
      .vdev = rsc::MakeSizedRpmsgVdev<BufferSize>(
          rsc::kAddrAny, kRpmsgFeatures | extra_features,
          {{rsc::kAddrAny, kVringAlign, kVringNum, rsc::kAddrAny},
           {rsc::kAddrAny, kVringAlign, kVringNum, rsc::kAddrAny}}),
  };
}

}  // namespace tandem::simulated_board
