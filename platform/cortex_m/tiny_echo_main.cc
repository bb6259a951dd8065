// tandem_tiny_echo_<cpu>.elf and tandem_tiny_baseline_<cpu>.elf: the
// footprint check of tiny::Remote (docs/footprint.md, issue #12). One
// source, built twice:
//  * the echo image: the firmware's resource table (one rpmsg vdev with the
//    name service, a vdev0buffer carve-out), a tiny::Remote<1> with one echo
//    endpoint, the doorbell, and a main loop that polls it on each doorbell;
//  * the baseline (TANDEM_TINY_BASELINE): the same table, start-up and main
//    loop without the remote.
// What the remote costs a firmware is the difference of the two images
// (scripts/footprint.cmake): flash = text + data, static RAM = data + bss.
// The vrings and the buffers are not in either: the host places them in
// shared memory (the table's FW_RSC_ADDR_ANY entries). The board is a
// stand-in (volatile words for the mailbox), the same in both images.

#include <cstddef>
#include <cstdint>

#include "tandem/rsc/builder.h"
#include "tandem/virtio/features.h"

#ifndef TANDEM_TINY_BASELINE
#include "forever.h"
#include "tandem/tiny/remote.h"
#endif

namespace {

namespace rsc = tandem::rsc;

constexpr std::uint16_t kNum = 4;  // vring entries (buffers per direction)
constexpr std::uint16_t kBufferSize = 512;
constexpr std::uint32_t kSharedBase = 0x2000'8000u;  // what the host may place
constexpr std::uint32_t kSharedSize = 0x8000u;

struct Table {
  rsc::TableHeader<2> header;
  rsc::CarveoutEntry buffers;
  rsc::RpmsgVdevEntry<2> vdev;
};

// In .data (a real image puts it in its .resource_table section).
Table g_table = {
    .header = rsc::MakeHeader<2>({offsetof(Table, buffers), offsetof(Table, vdev)}),
    .buffers = rsc::MakeCarveout(rsc::kAddrAny, 2 * kNum * kBufferSize, "vdev0buffer"),
    .vdev = rsc::MakeRpmsgVdev(
        rsc::kAddrAny, 1u << tandem::virtio::kRpmsgFeatureNs,
        {{rsc::kAddrAny, 16, kNum, rsc::kAddrAny}, {rsc::kAddrAny, 16, kNum, rsc::kAddrAny}}),
};

// The host writes the loaded table: in both images its address escapes, so
// the compiler cannot turn a table it never sees written into flash.
Table* volatile g_loaded_table = &g_table;

volatile std::uint32_t g_mailbox_in;   // the board's doorbell from the host, say
volatile std::uint32_t g_mailbox_out;  // and to the host

#ifndef TANDEM_TINY_BASELINE
namespace tiny = tandem::tiny;

tandem::cortex_m::Forever<tiny::Remote<1>> g_remote;
tiny::Endpoint* g_echo;

void OnEcho(void* context, std::uint32_t src, tandem::ConstByteSpan payload) {
  (void)static_cast<tiny::Remote<1>*>(context)->Send(*g_echo, src, payload);
}
#endif

}  // namespace

int main() {
#ifndef TANDEM_TINY_BASELINE
  tiny::Config config;
  config.table = reinterpret_cast<std::byte*>(g_loaded_table);
  config.table_size = sizeof(g_table);
  config.vdev_offset = offsetof(Table, vdev);
  config.carveout_offset = offsetof(Table, buffers);
  config.window = {kSharedBase, reinterpret_cast<std::byte*>(kSharedBase), kSharedSize};
  config.num = kNum;
  config.buffer_size = kBufferSize;
  config.notify = [](void*, std::uint32_t notifyid) { g_mailbox_out = notifyid; };
  auto& remote = g_remote.Make(config);
  g_echo = remote.Open("rpmsg-tty", &OnEcho, &remote);
#else
  (void)kSharedBase;
  (void)kSharedSize;
  (void)g_loaded_table;  // the same one read as in the echo image
#endif
  for (;;) {
    if (g_mailbox_in == 0) continue;  // a real board: WFI until the doorbell
    g_mailbox_in = 0;
#ifndef TANDEM_TINY_BASELINE
    (void)remote.Poll();
#endif
  }
}
