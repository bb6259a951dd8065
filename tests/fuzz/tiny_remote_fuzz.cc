// tiny::Remote over peer bytes from the fuzzer: the loaded table the host
// patched (vdev entry, buffer carve-out, status) and the whole shared window
// (both vrings and the buffer area), then a script of polls, sends and
// writes of more peer bytes between them. Nothing may crash, read or write
// outside the table or the window (ASan: both are exact-size heap blocks)
// or hang (every loop in the remote is bounded by num).
//
// Input: byte 0 = flags (bit 0: overwrite the table's vdev and carve-out
// entries with input bytes; otherwise they are well-formed and placed), then
// the window's initial contents (kWindowSize bytes), then the script: each
// op byte, low 2 bits = Poll / Send / poke a peer byte / set the status.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "tandem/rsc/builder.h"
#include "tandem/tiny/remote.h"
#include "tandem/virtio/features.h"

namespace {

namespace rsc = tandem::rsc;
namespace tiny = tandem::tiny;

constexpr std::uint16_t kNum = 4;
constexpr std::uint16_t kBufferSize = 64;
constexpr std::uint32_t kAlign = 16;
// vring0 at 0, vring1 at 128 (vring_size(4, 16) = 118), buffers at 256.
constexpr std::uint32_t kWindowDa = 0x30000000;
constexpr std::uint32_t kWindowSize = 256 + 2 * kNum * kBufferSize;

struct Table {
  rsc::TableHeader<2> header;
  rsc::CarveoutEntry buffers;
  rsc::RpmsgVdevEntry<2> vdev;
};
constexpr Table kTable = {
    .header = rsc::MakeHeader<2>({offsetof(Table, buffers), offsetof(Table, vdev)}),
    .buffers = rsc::MakeCarveout(kWindowDa + 256, 2 * kNum * kBufferSize, "vdev0buffer"),
    .vdev = rsc::MakeRpmsgVdev(0, 1u << tandem::virtio::kRpmsgFeatureNs,
                               {{kWindowDa, kAlign, kNum, 0}, {kWindowDa + 128, kAlign, kNum, 1}}),
};

class Input {
 public:
  Input(const std::uint8_t* d, std::size_t n) : d_(d), n_(n) {}
  bool empty() const { return n_ == 0; }
  std::uint8_t U8() { return n_ ? (--n_, *d_++) : 0; }
  std::uint16_t U16() { return static_cast<std::uint16_t>(U8() | (U8() << 8)); }
  void Fill(void* out, std::size_t n) {
    auto* p = static_cast<std::uint8_t*>(out);
    for (std::size_t i = 0; i < n; ++i) p[i] = U8();
  }

 private:
  const std::uint8_t* d_;
  std::size_t n_;
};

struct Echo {
  tiny::Remote<2>* remote = nullptr;
  tiny::Endpoint* endpoint = nullptr;
  std::uint32_t checksum = 0;
  void OnMessage(std::uint32_t src, tandem::ConstByteSpan payload) {
    for (std::byte b : payload) checksum += static_cast<std::uint32_t>(b);  // reads every byte
    (void)remote->Send(*endpoint, src, payload);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  const std::uint8_t flags = in.U8();
  auto table = std::make_unique<Table>(kTable);
  table->vdev.body.gfeatures.set(1);
  table->vdev.body.status = 0x0F;
  if (flags & 1) {
    in.Fill(&table->buffers.body, sizeof(table->buffers.body));
    in.Fill(&table->vdev.body, sizeof(table->vdev.body) + sizeof(table->vdev.vring));
  }
  auto window = std::make_unique<std::byte[]>(kWindowSize);
  in.Fill(window.get(), kWindowSize);

  tiny::Config config;
  config.table = reinterpret_cast<std::byte*>(table.get());
  config.table_size = sizeof(Table);
  config.vdev_offset = offsetof(Table, vdev);
  config.carveout_offset = offsetof(Table, buffers);
  config.window = tiny::Window{kWindowDa, window.get(), kWindowSize};
  config.num = kNum;
  config.buffer_size = kBufferSize;
  config.notify = [](void*, std::uint32_t) {};
  tiny::Remote<2> remote(config);
  Echo echo;
  echo.remote = &remote;
  echo.endpoint = remote.Open<&Echo::OnMessage>("fuzz-echo", echo);
  remote.Open(
      nullptr, [](void*, std::uint32_t, tandem::ConstByteSpan) {}, nullptr);

  std::uint8_t payload[kBufferSize + 2] = {};  // one byte too many for a buffer
  for (int steps = 0; steps < 256 && !in.empty(); ++steps) {
    const std::uint8_t op = in.U8();
    switch (op & 3) {
      case 0: (void)remote.Poll(); break;
      case 1: {
        const std::uint32_t len = in.U8() % (kBufferSize + 3);
        (void)remote.Send(*echo.endpoint, in.U16(),
                          tandem::ConstByteSpan(reinterpret_cast<std::byte*>(payload), len));
        break;
      }
      case 2: window[in.U16() % kWindowSize] = static_cast<std::byte>(in.U8()); break;
      case 3: table->vdev.body.status = in.U8(); break;
    }
  }
  (void)remote.Poll();
  return 0;
}
