// tandem_mps2_tiny.elf: the smallest remote (tiny::Remote, docs/footprint.md)
// as a firmware for QEMU's MPS2 boards, driven by a Linux host through
// platform/qemu like tandem_mps2_demo.elf (docs/qemu.md): one echo endpoint,
// "rpmsg-openamp-demo-channel", that sends every message back to its sender.
// The main loop is the board's: pet the watchdog, wait for the mailbox (WFI
// in mbox_wait), answer the control words a host sends (shutdown, vdev
// reset, echo request), poll the remote; a link the host broke is reported
// once with kLinkBroken.

#include <cstddef>
#include <cstdint>

#include "tandem/qemu/board.h"
#include "tandem/remote/bsp.h"
#include "tandem/remoteproc/mailbox.h"
#include "tandem/rsc/builder.h"
#include "tandem/simulated_board/runtime.h"
#include "tandem/tiny/remote.h"
#include "tandem/virtio/features.h"

namespace {

namespace board = tandem::qemu;
namespace mailbox = tandem::remoteproc::mailbox;
namespace rsc = tandem::rsc;
namespace tiny = tandem::tiny;

constexpr std::uint32_t kRamBase = TANDEM_MPS2_RAM_BASE;
constexpr std::uint32_t kImageBase = kRamBase + board::kImageOffset;
constexpr std::uint16_t kNum = 32;  // vring entries: buffers per direction
constexpr std::uint16_t kBufferSize = 512;
constexpr std::uint64_t kLoopNs = 50'000'000;  // the watchdog is petted at least this often

struct TinyTable {
  rsc::TableHeader<3> header;
  rsc::CarveoutEntry image;
  rsc::CarveoutEntry buffers;
  rsc::RpmsgVdevEntry<2> vdev;
};

consteval TinyTable MakeTable() {
  return TinyTable{
      .header = rsc::MakeHeader<3>(
          {offsetof(TinyTable, image), offsetof(TinyTable, buffers), offsetof(TinyTable, vdev)}),
      .image = rsc::MakeCarveout(kImageBase, board::kImageSize, "image"),
      .buffers = rsc::MakeCarveout(rsc::kAddrAny, 2 * kNum * kBufferSize, "vdev0buffer"),
      // Only the name service: the tiny remote has no EVENT_IDX.
      .vdev = rsc::MakeRpmsgVdev(
          rsc::kAddrAny, 1u << tandem::virtio::kRpmsgFeatureNs,
          {{rsc::kAddrAny, 16, kNum, rsc::kAddrAny}, {rsc::kAddrAny, 16, kNum, rsc::kAddrAny}}),
  };
}

tiny::Endpoint* g_echo = nullptr;

void OnEcho(void* context, std::uint32_t src, tandem::ConstByteSpan payload) {
  (void)static_cast<tiny::Remote<1>*>(context)->Send(*g_echo, src, payload);
}

void Say(const TandemBsp& bsp, const char* text) {
  std::size_t n = 0;
  while (text[n] != '\0') ++n;
  bsp.console_write(bsp.ctx, text, n);
}

}  // namespace

// Patched in place by the host: never const.
[[gnu::section(".resource_table"), gnu::used]] constinit TinyTable g_resource_table = MakeTable();

int FirmwareMain(const TandemBsp& bsp) {
  tiny::Config config;
  config.table = reinterpret_cast<std::byte*>(&g_resource_table);
  config.table_size = sizeof(g_resource_table);
  config.vdev_offset = offsetof(TinyTable, vdev);
  config.carveout_offset = offsetof(TinyTable, buffers);
  // What the host may hand out: the pool after the image, before the board
  // page (identity-mapped). Nothing it places can reach the image.
  const std::uint32_t pool = kRamBase + board::kPoolOffset;
  config.window = {pool, reinterpret_cast<std::byte*>(static_cast<std::uintptr_t>(pool)),
                   board::kBoardPageOffset - board::kPoolOffset};
  config.num = kNum;
  config.buffer_size = kBufferSize;
  config.notify = [](void* context, std::uint32_t notifyid) {
    const auto* b = static_cast<const TandemBsp*>(context);
    (void)b->mbox_send(b->ctx, notifyid, kLoopNs);
  };
  config.notify_context = const_cast<TandemBsp*>(&bsp);
  static tiny::Remote<1> remote(config);
  g_echo = remote.Open("rpmsg-openamp-demo-channel", &OnEcho, &remote);
  Say(bsp, "tiny: booted\n");

  bool reported = false;
  for (;;) {
    bsp.watchdog_pet(bsp.ctx);
    std::uint32_t message = 0;
    if (bsp.mbox_wait(bsp.ctx, &message, kLoopNs) == TANDEM_BSP_OK) {
      switch (message) {
        case mailbox::kShutdown:
          // The host resets the core once it has the ack.
          (void)bsp.mbox_send(bsp.ctx, mailbox::kShutdownAck, kLoopNs);
          return 0;
        case mailbox::kVdevReset:
          // The host clears DRIVER_OK; Poll() sees it and waits again.
          (void)bsp.mbox_send(bsp.ctx, mailbox::kVdevResetAck, kLoopNs);
          break;
        case mailbox::kEchoRequest:
          (void)bsp.mbox_send(bsp.ctx, mailbox::kEchoReply, kLoopNs);
          break;
        default: break;  // kicks and kPendingMessage: poll below
      }
    }
    const tandem::StatusCode status = remote.Poll();
    if (status == tandem::StatusCode::kDataLoss && !reported) {
      Say(bsp, "tiny: rpmsg link failed (DEVICE_NEEDS_RESET, kLinkBroken)\n");
      (void)bsp.mbox_send(bsp.ctx, mailbox::kLinkBroken, kLoopNs);
      reported = true;
    } else if (status != tandem::StatusCode::kDataLoss) {
      reported = false;
    }
  }
}
