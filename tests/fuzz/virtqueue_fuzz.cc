// Runs both roles of a split virtqueue over a region whose ring contents come
// from the fuzzer: the input first seeds the ring memory, then is read as a
// script of operations interleaved with writes of peer bytes into the ring.
// Nothing may crash, touch memory outside the region (ASan) or hang.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "tandem/testing/fake_shm.h"
#include "tandem/virtio/device_queue.h"
#include "tandem/virtio/driver_queue.h"

using namespace tandem;
using namespace tandem::virtio;

namespace {

class Input {
 public:
  Input(const std::uint8_t* d, std::size_t n) : d_(d), n_(n) {}
  bool empty() const { return n_ == 0; }
  std::uint8_t U8() { return n_ ? (--n_, *d_++) : 0; }
  std::uint16_t U16() { return static_cast<std::uint16_t>(U8() | (U8() << 8)); }
  std::uint32_t U32() { return U16() | (static_cast<std::uint32_t>(U16()) << 16); }

 private:
  const std::uint8_t* d_;
  std::size_t n_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::uint16_t kNum = 8;
  constexpr std::uint32_t kAlign = 16;
  static testing::FakeShm mem(4096, 0x20000000);
  std::memset(mem.data(), 0, mem.size());
  Input in(data, size);
  const bool event_idx = in.U8() & 1;
  shm::Region ring = mem.region().Sub(0, 1024).value();
  DriverDescState storage[kNum];
  auto driver = DriverQueue::Create(ring, kNum, kAlign, storage, {event_idx}).value();
  auto device = DeviceQueue::Create(ring, kNum, kAlign, {event_idx}).value();
  const std::size_t ring_size = driver.layout().size();

  for (int steps = 0; steps < 256 && !in.empty(); ++steps) {
    switch (in.U8() % 12) {
      case 0: {  // peer writes arbitrary bytes into the ring
        const std::size_t off = in.U16() % ring_size;
        const std::uint8_t v = in.U8();
        mem.data()[off] = static_cast<std::byte>(v);
        break;
      }
      case 1: {  // peer writes a 16-bit index-like value
        const std::size_t off = (in.U16() % ring_size) & ~std::size_t{1};
        const std::uint16_t v = in.U16();
        std::memcpy(mem.data() + off, &v, 2);
        break;
      }
      case 2: {
        BufferSpec b{0x20000000ull + in.U16(), in.U16(), (in.U8() & 1) != 0};
        (void)driver.Add(ring, b);
        break;
      }
      case 3: {
        BufferSpec chain[3] = {
            {0x20000400, 32, false}, {0x20000500, in.U32(), true}, {0x20000600, 16, true}};
        (void)driver.Add(ring, std::span<const BufferSpec>(chain, 1 + in.U8() % 3));
        break;
      }
      case 4: (void)driver.KickPrepare(ring); break;
      case 5: (void)driver.TakeUsed(ring); break;
      case 6: (void)driver.EnableCallbacks(ring); break;
      case 7: driver.DisableCallbacks(ring); break;
      case 8: {
        auto chain = device.Pop(ring);
        if (chain.ok()) {
          std::uint32_t total = 0;
          for (int i = 0; i < 64; ++i) {  // more than kNum: the walk must end by itself
            auto d = chain->Next(device, ring, mem.region());
            if (!d.ok()) break;
            auto bytes = mem.region().Bytes(d->offset, d->len);
            if (!bytes.ok()) __builtin_trap();  // a validated descriptor must be inside
            if (d->device_writes && d->len) std::memset(bytes->data(), 0xa5, d->len);
            total += d->len;
          }
          (void)device.PushUsed(ring, chain->head(), in.U8() & 1 ? total : in.U32());
        }
        break;
      }
      case 9: (void)device.NotifyPrepare(ring); break;
      case 10: (void)device.EnableNotifications(ring); break;
      case 11: device.DisableNotifications(ring); break;
    }
    if (driver.num_free() > kNum) __builtin_trap();
  }
  return 0;
}
