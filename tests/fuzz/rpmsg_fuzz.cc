// Drives the receive path of both RPMsg roles with fuzzed buffers and ring
// contents. The first byte picks the role under test and the features; the
// rest is a script: a hand-driven peer (raw DeviceQueue / DriverQueue over
// the same rings) hands over buffers with fuzzed headers, lengths,
// addresses and flags, arbitrary bytes are poked into the rings and
// buffers, and the bus polls, sends, holds, releases, receives and resets.
// Nothing may crash, touch memory outside the shared region (ASan), hang,
// or lose a buffer (the counters must always add up). With flow control on
// (mode bit 3), messages to address 54 carry fuzzed flow-control requests
// (docs/flow_control.md) and the bus pauses, resumes and sends through them.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "tandem/rpmsg/host_bus.h"
#include "tandem/rpmsg/remote_bus.h"
#include "tandem/testing/fake_bus_platform.h"
#include "tandem/testing/fake_shm.h"
#include "tandem/virtio/device_queue.h"
#include "tandem/virtio/driver_queue.h"

using namespace tandem;
using namespace tandem::rpmsg;

namespace {

constexpr std::uint16_t kNum = 4;
constexpr std::uint32_t kAlign = 16;
constexpr std::uint32_t kBufferSize = 128;
constexpr std::size_t kRingStride = 256;  // VringSize(4, 16) = 134
constexpr std::size_t kBuffersOffset = 2 * kRingStride;
constexpr std::size_t kBuffersSize = 2 * kNum * kBufferSize;
constexpr std::size_t kShmSize = kBuffersOffset + kBuffersSize;
constexpr std::uint64_t kDa = 0x30000000;

class Input {
 public:
  Input(const std::uint8_t* d, std::size_t n) : d_(d), n_(n) {}
  bool empty() const { return n_ == 0; }
  std::uint8_t U8() { return n_ ? (--n_, *d_++) : 0; }
  std::uint16_t U16() { return static_cast<std::uint16_t>(U8() | (U8() << 8)); }
  std::uint32_t U32() { return U16() | (static_cast<std::uint32_t>(U16()) << 16); }
  // An address that is usually interesting: one of ours, 0x35, ANY, or raw.
  std::uint32_t Addr() {
    switch (U8() % 7) {
      case 6: return kFlowControlAddress;
      case 0: return kNsAddress;
      case 1: return 0x400;
      case 2: return 0x401;
      case 3: return 0x402;
      case 4: return kAddrAny;
      default: return U32();
    }
  }

 private:
  const std::uint8_t* d_;
  std::size_t n_;
};

// Writes a message the peer "sent" into `out`: mostly well-formed headers
// (so the fuzzer reaches dispatch and the name service), sometimes raw.
// `out` is the peer's buffer as a descriptor describes it: the harness
// pokes descriptors too, so it may be any length, even shorter than a
// header; such a buffer gets raw bytes.
std::size_t FillMessage(Input& in, ByteSpan out) {
  const std::uint8_t shape = in.U8();
  if (shape % 4 == 0 || out.size() < kHeaderSize + sizeof(NsMessage)) {  // raw bytes
    const std::size_t n = in.U8() % (out.size() + 1);
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::byte>(in.U8());
    return n;
  }
  const std::uint32_t src = in.Addr();
  const bool flow = shape % 4 == 2 && (shape & 0x10) != 0;
  const std::uint32_t dst = shape % 4 == 1 ? kNsAddress : flow ? kFlowControlAddress : in.Addr();
  std::size_t payload = 0;
  if (flow) {  // a flow-control request, mostly well-formed
    FlowMessage f = MakeFlowMessage((shape & 0x20) ? in.Addr() : src, in.Addr(), in.U8() & 1);
    if (shape & 0x40) f.flags.set(in.U32());
    payload = (shape & 0x08) ? in.U8() % (sizeof(f) + 5) : sizeof(f);
    std::memset(out.data() + kHeaderSize, 0, payload);
    std::memcpy(out.data() + kHeaderSize, &f, payload < sizeof(f) ? payload : sizeof(f));
  } else if (dst == kNsAddress && (shape & 0x10) == 0) {
    static const char* kNames[] = {"svc", "echo", "rpmsg-tty", "x"};
    NsMessage ns = MakeNsMessage(kNames[in.U8() % 4], in.Addr(),
                                 (in.U8() & 1) ? NsFlags::kDestroy : NsFlags::kCreate);
    if (shape & 0x20) ns.flags.set(in.U32());
    if (shape & 0x40) std::memset(ns.name, 'n', sizeof(ns.name));
    payload = sizeof(ns);
    std::memcpy(out.data() + kHeaderSize, &ns, sizeof(ns));
  } else {
    payload = in.U8() % (out.size() - kHeaderSize + 1);
    for (std::size_t i = 0; i < payload; ++i)
      out[kHeaderSize + i] = static_cast<std::byte>(in.U8());
  }
  std::uint16_t len = static_cast<std::uint16_t>(payload);
  if (shape & 0x80) len = in.U16();  // a header that lies about its length
  const RpmsgHeader h = MakeHeader(src, dst, len);
  std::memcpy(out.data(), &h, sizeof(h));
  return kHeaderSize + payload;
}

class Holder final : public MessageHandler {
 public:
  void OnMessage(Endpoint&, ReceivedMessage& message) override {
    if (hold && count < held.size()) held[count++] = message.Hold();
  }
  void ReleaseAll() {
    for (auto& h : held) h.Release();
    count = 0;
  }
  bool hold = false;
  std::array<RxBuffer, 8> held;
  std::size_t count = 0;
};

class Driver final : public ChannelHandler {
 public:
  explicit Driver(Holder& holder) : holder_(holder) {}
  void OnBound(Channel& channel) override { (void)channel.SetHandler(holder_); }
  void OnUnbound(Channel&) override {}

 private:
  Holder& holder_;
};

BusConfig Config(tandem::testing::FakeShm& mem, bool event_idx, bool name_service,
                 bool flow_control) {
  BusConfig c;
  c.vring0 = {mem.region().Sub(0, kRingStride).value(), kNum, kAlign, 0};
  c.vring1 = {mem.region().Sub(kRingStride, kRingStride).value(), kNum, kAlign, 1};
  c.buffers = mem.region().Sub(kBuffersOffset, kBuffersSize).value();
  c.buffer_size = kBufferSize;
  c.event_idx = event_idx;
  c.name_service = name_service;
  c.flow_control = flow_control;
  return c;
}

void Poke(Input& in, tandem::testing::FakeShm& mem) {
  const std::size_t off = in.U16() % mem.size();
  mem.data()[off] = static_cast<std::byte>(in.U8());
}

void CheckHostCounters(const Bus& bus) {
  const Stats s = bus.stats();
  if (bus.status().ok()) {
    if (s.tx_free + s.tx_held + s.tx_in_flight != s.buffers_per_direction) __builtin_trap();
    if (s.rx_posted + s.rx_held != s.buffers_per_direction) __builtin_trap();
  }
}

struct Platform {
  rpmsg::testing::CheckingLock lock;
  rpmsg::testing::RecordingNotifier notifier{&lock};
  rpmsg::testing::FakeWaiter waiter{&lock};
  BusPlatform Get() { return {notifier, lock, waiter}; }
};

// Flow-control calls on `ep`: whatever the peer did, they answer cleanly.
void FlowCall(Input& in, Bus& bus, Endpoint& ep) {
  switch (in.U8() % 3) {
    case 0: (void)bus.SetIncomingFlow(ep, (in.U8() & 1) != 0, Timeout::None()); break;
    case 1: (void)bus.OutgoingPaused(ep, in.Addr()); break;
    default: (void)bus.IncomingPaused(ep); break;
  }
}

void FuzzHost(Input& in, tandem::testing::FakeShm& mem, bool event_idx, bool name_service,
              bool flow_control) {
  Platform platform;
  auto storage = std::make_unique<HostBusStorage<kNum, 16, 4>>();
  HostBus host(platform.Get(), storage->memory());
  BusConfig config = Config(mem, event_idx, name_service, flow_control);
  if (!host.Start(config).ok()) __builtin_trap();
  // The hand-driven remote.
  virtio::DeviceQueue dev0 =
      virtio::DeviceQueue::Create(config.vring0.ring, kNum, kAlign, {event_idx}).value();
  virtio::DeviceQueue dev1 =
      virtio::DeviceQueue::Create(config.vring1.ring, kNum, kAlign, {event_idx}).value();
  Holder holder;
  Driver driver(holder);
  (void)host.RegisterDriver("svc", driver);
  Endpoint ep;
  (void)host.CreateEndpoint(ep, {nullptr, 0x400, 0x401}, holder);
  std::array<RxBuffer, 3> queue;
  Endpoint queued;
  (void)host.CreateEndpoint(queued, {nullptr, 0x500, 0x401}, queue);
  TxBuffer tx;
  std::array<std::byte, kBufferSize> buf;

  for (int step = 0; step < 256 && !in.empty(); ++step) {
    switch (in.U8() % 13) {
      case 12: FlowCall(in, host, ep); break;
      case 0: Poke(in, mem); break;
      case 1: {  // the remote fills a posted buffer and returns it
        auto chain = dev0.Pop(config.vring0.ring);
        if (!chain.ok()) break;
        auto d = chain->Next(dev0, config.vring0.ring, config.buffers);
        if (!d.ok()) break;
        auto bytes = config.buffers.Bytes(d->offset, d->len);
        if (!bytes.ok()) __builtin_trap();  // validated descriptors are inside
        const std::size_t n = FillMessage(in, *bytes);
        const std::uint32_t used = (in.U8() & 3) ? static_cast<std::uint32_t>(n) : in.U32();
        (void)dev0.PushUsed(config.vring0.ring, chain->head(), used);
        (void)dev0.NotifyPrepare(config.vring0.ring);
        break;
      }
      case 2: (void)host.Poll(); break;
      case 3: (void)host.TrySend(ep, std::span(buf).first(in.U8() % kBufferSize)); break;
      case 4: {  // the remote consumes a host message
        auto chain = dev1.Pop(config.vring1.ring);
        if (!chain.ok()) break;
        (void)chain->Next(dev1, config.vring1.ring, config.buffers);
        (void)dev1.PushUsed(config.vring1.ring, chain->head(), in.U8() & 1 ? 0 : in.U32());
        (void)dev1.NotifyPrepare(config.vring1.ring);
        break;
      }
      case 5:
        if (tx.valid()) {
          (void)tx.Send(in.U8());
        } else {
          auto t = host.AcquireTx(ep, in.Addr(), Timeout::None());
          if (t.ok()) tx = std::move(*t);
        }
        break;
      case 6: holder.hold = !holder.hold; break;
      case 7: holder.ReleaseAll(); break;
      case 8: (void)host.Receive(queued, buf, Timeout::Milliseconds(in.U8() & 1)); break;
      case 9: {
        auto h = host.ReceiveHeld(queued, Timeout::None());
        break;  // released at once
      }
      case 10:
        if ((in.U8() & 7) == 0) {
          (void)host.Reset();
          tx.Release();
          holder.ReleaseAll();
          if (!host.Start(config).ok()) __builtin_trap();
          dev0 = virtio::DeviceQueue::Create(config.vring0.ring, kNum, kAlign, {event_idx}).value();
          dev1 = virtio::DeviceQueue::Create(config.vring1.ring, kNum, kAlign, {event_idx}).value();
        }
        break;
      case 11: (void)dev0.EnableNotifications(config.vring0.ring); break;
    }
    CheckHostCounters(host);
    if (platform.lock.reentries() != 0 || platform.notifier.notified_under_lock != 0) {
      __builtin_trap();
    }
  }
  tx.Release();
  holder.ReleaseAll();
}

void FuzzRemote(Input& in, tandem::testing::FakeShm& mem, bool event_idx, bool name_service,
                bool flow_control) {
  Platform platform;
  auto storage = std::make_unique<RemoteBusStorage<kNum, 16>>();
  RemoteBus remote(platform.Get(), storage->memory());
  BusConfig config = Config(mem, event_idx, name_service, flow_control);
  // The hand-driven host initializes the rings first, as a host would.
  virtio::DriverDescState st0[kNum], st1[kNum];
  auto drv0 =
      virtio::DriverQueue::Create(config.vring0.ring, kNum, kAlign, st0, {event_idx}).value();
  auto drv1 =
      virtio::DriverQueue::Create(config.vring1.ring, kNum, kAlign, st1, {event_idx}).value();
  Holder holder;
  Endpoint svc;
  (void)remote.CreateEndpoint(svc, {"svc", 0x401}, holder);
  if (!remote.Start(config).ok()) __builtin_trap();
  std::array<RxBuffer, 3> queue;
  Endpoint queued;
  (void)remote.CreateEndpoint(queued, {nullptr, 0x402}, queue);
  Endpoint named;
  TxBuffer tx;
  std::array<std::byte, kBufferSize> buf;
  auto address = [&](std::size_t index, std::uint8_t mode) -> std::uint64_t {
    const std::uint64_t da = config.buffers.device_address() + (index % (2 * kNum)) * kBufferSize;
    switch (mode % 4) {
      case 0: return da + (mode >> 2);  // slightly off
      case 1: return kDa - 16;          // outside
      default: return da;
    }
  };

  for (int step = 0; step < 256 && !in.empty(); ++step) {
    switch (in.U8() % 13) {
      case 12: FlowCall(in, remote, svc); break;
      case 0: Poke(in, mem); break;
      case 1: {  // the host sends: a buffer with a fuzzed message in vring1
        const std::size_t index = kNum + in.U8() % kNum;
        const std::uint64_t da = address(index, in.U8());
        auto off = config.buffers.Translate(da, kBufferSize);
        std::size_t n = 0;
        if (off.ok()) n = FillMessage(in, config.buffers.Bytes(*off, kBufferSize).value());
        const std::uint32_t len = (in.U8() & 3) ? static_cast<std::uint32_t>(n) : in.U16();
        (void)drv1.Add(config.vring1.ring, virtio::BufferSpec{da, len, (in.U8() & 7) == 0});
        (void)drv1.KickPrepare(config.vring1.ring);
        break;
      }
      case 2: (void)remote.Poll(); break;
      case 3:
        (void)remote.TrySendTo(svc, in.Addr(), std::span(buf).first(in.U8() % kBufferSize));
        break;
      case 4: {  // the host posts a receive buffer in vring0
        const std::uint8_t mode = in.U8();
        const std::uint32_t len = (mode & 0x80) ? in.U16() : kBufferSize;
        (void)drv0.Add(config.vring0.ring,
                       virtio::BufferSpec{address(in.U8() % kNum, mode), len, (mode & 0x40) == 0});
        (void)drv0.KickPrepare(config.vring0.ring);
        break;
      }
      case 5: (void)drv0.TakeUsed(config.vring0.ring); break;
      case 6: (void)drv1.TakeUsed(config.vring1.ring); break;
      case 7:
        holder.hold = !holder.hold;
        holder.ReleaseAll();
        break;
      case 8: (void)remote.Receive(queued, buf, Timeout::None()); break;
      case 9:
        if (named.created()) {
          remote.DestroyEndpoint(named);
        } else {
          (void)remote.CreateEndpoint(named, {"echo"}, holder);
        }
        break;
      case 10:
        if (tx.valid()) {
          (void)tx.Send(in.U8());
        } else {
          auto t = remote.AcquireTx(svc, in.Addr(), Timeout::None());
          if (t.ok()) tx = std::move(*t);
        }
        break;
      case 11:
        if ((in.U8() & 7) == 0) {
          (void)remote.Reset();
          tx.Release();
          holder.ReleaseAll();
          (void)remote.Start(config);
        }
        break;
    }
    if (platform.lock.reentries() != 0 || platform.notifier.notified_under_lock != 0) {
      __builtin_trap();
    }
  }
  tx.Release();
  holder.ReleaseAll();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static tandem::testing::FakeShm mem(kShmSize, kDa);
  std::memset(mem.data(), 0, mem.size());
  Input in(data, size);
  const std::uint8_t mode = in.U8();
  const bool event_idx = (mode & 2) != 0;
  const bool name_service = (mode & 4) == 0;
  const bool flow_control = (mode & 8) != 0;
  if (mode & 1) {
    FuzzRemote(in, mem, event_idx, name_service, flow_control);
  } else {
    FuzzHost(in, mem, event_idx, name_service, flow_control);
  }
  return 0;
}
