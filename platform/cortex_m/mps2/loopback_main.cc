// tandem_mps2_loopback.elf: the core executed on an emulated Cortex-M (QEMU
// mps2-an385 M3, mps2-an386 M4, mps2-an500 M7). Both RPMsg roles run in this one image over a block
// of its RAM: the HostBus (VirtIO driver) posts its buffers and binds the channel the RemoteBus
// (VirtIO device) announces through the name service; then messages of every size from 1 byte to
// the MTU go host -> remote -> host (the remote's service echoes them), each checked byte for byte,
// with the ring indices wrapping many times. It prints a summary on UART0 and ends the emulation
// with 0 if everything matched (semihosting), 1 otherwise.
//
// What it proves that the host-side tests cannot: the core's split rings,
// barriers, 16/32-bit wire accesses and name service run on the real
// instruction set (Thumb-2, 32-bit size_t, no unaligned 64-bit access
// assumptions), built -Os with the production flags, with no OS under it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <utility>

#include "../forever.h"
#include "board.h"
#include "tandem/base/assert_handler.h"
#include "tandem/rpmsg/channel.h"
#include "tandem/rpmsg/host_bus.h"
#include "tandem/rpmsg/platform.h"
#include "tandem/rpmsg/remote_bus.h"
#include "tandem/shm/region.h"

namespace {

namespace mps2 = tandem::cortex_m::mps2;
namespace rpmsg = tandem::rpmsg;

constexpr std::uint16_t kNum = 16;  // buffers per direction
constexpr std::uint32_t kBufferSize = 512;
constexpr std::size_t kRingStride = 8192;  // a vring of 16 entries, align 4096, fits
constexpr std::uint64_t kSharedDeviceAddress = 0x2010'0000u;
constexpr char kService[] = "tandem-echo";
constexpr std::uint32_t kMessages = 5000;

alignas(4096) std::array<std::byte, 2 * kRingStride + 2 * kNum * kBufferSize> g_shared;

using tandem::cortex_m::Forever;

// One side's doorbell: the peer polls when it rings. Never blocks (every
// send here is a TrySend), so the waiter has nothing to wait for.
class Doorbell final : public rpmsg::Notifier, public rpmsg::Waiter {
 public:
  tandem::Status Notify(std::uint32_t) override {
    ++rings;
    return tandem::OkStatus();
  }
  std::uint64_t Now() override { return ++clock_; }
  std::uint32_t PrepareWait() override { return 0; }
  void Wait(std::uint32_t, std::uint64_t) override {}
  void Wake() override {}
  std::uint32_t rings = 0;

 private:
  std::uint64_t clock_ = 0;
};

std::uint32_t g_failures = 0;

void Fail(const char* what) {
  if (g_failures++ < 5) {
    mps2::Print("FAIL: ");
    mps2::Print(what);
    mps2::Print("\n");
  }
}

void OnAssert(const char* expr, const char* file, int line) {
  mps2::Print("assert: ");
  mps2::Print(expr);
  mps2::Print(" at ");
  mps2::Print(file);
  mps2::Print(":");
  mps2::PrintUnsigned(static_cast<std::uint32_t>(line));
  mps2::Print("\n");
  mps2::Exit(2);
}

// The remote's service: echoes every message to its sender.
class EchoService final : public rpmsg::MessageHandler {
 public:
  explicit EchoService(rpmsg::RemoteBus& bus) : bus_(bus) {}
  void OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) override {
    if (!bus_.TrySendTo(endpoint, message.src(), message.payload()).ok()) Fail("echo send");
  }

 private:
  rpmsg::RemoteBus& bus_;
};

// The host's driver for kService: binds the channel, checks each reply.
class EchoClient final : public rpmsg::ChannelHandler, public rpmsg::MessageHandler {
 public:
  void OnBound(rpmsg::Channel& bound) override {
    channel = &bound;
    if (!bound.SetHandler(*this).ok()) Fail("set handler");
  }
  void OnUnbound(rpmsg::Channel&) override { channel = nullptr; }
  void OnMessage(rpmsg::Endpoint&, rpmsg::ReceivedMessage& message) override {
    const tandem::ConstByteSpan got = message.payload();
    if (got.size() != expected_len || std::memcmp(got.data(), expected, expected_len) != 0) {
      Fail("reply differs");
    }
    ++replies;
  }

  rpmsg::Channel* channel = nullptr;
  std::uint32_t replies = 0;
  const std::byte* expected = nullptr;
  std::size_t expected_len = 0;
};

Doorbell g_host_doorbell;    // rung by the remote
Doorbell g_remote_doorbell;  // rung by the host
rpmsg::NoLock g_host_lock;
rpmsg::NoLock g_remote_lock;
Forever<rpmsg::HostBusStorage<kNum, 8, 2>> g_host_storage;
Forever<rpmsg::HostBus> g_host_bus;
Forever<rpmsg::RemoteBusStorage<kNum, 8>> g_remote_storage;
Forever<rpmsg::RemoteBus> g_remote_bus;
Forever<EchoService> g_echo;
Forever<EchoClient> g_client_storage;
Forever<rpmsg::Endpoint> g_echo_endpoint;

void PollUntilQuiet(rpmsg::Bus& a, rpmsg::Bus& b) {
  for (int i = 0; i < 4; ++i) {
    if (!a.Poll().ok()) Fail("poll");
    if (!b.Poll().ok()) Fail("poll");
  }
}

int Run() {
  auto shared = tandem::shm::Region::Create(g_shared.data(), g_shared.size(), kSharedDeviceAddress);
  if (!shared.ok()) return 10;
  rpmsg::BusConfig config;
  config.vring0 = {shared->Sub(0, kRingStride).value(), kNum, 4096, 0};
  config.vring1 = {shared->Sub(kRingStride, kRingStride).value(), kNum, 4096, 1};
  config.buffers = shared->Sub(2 * kRingStride, 2 * kNum * kBufferSize).value();
  config.buffer_size = kBufferSize;
  config.send_timeout = rpmsg::Timeout::None();

  auto& host = g_host_bus.Make(rpmsg::BusPlatform{g_remote_doorbell, g_host_lock, g_host_doorbell},
                               g_host_storage.Make().memory());
  auto& remote =
      g_remote_bus.Make(rpmsg::BusPlatform{g_host_doorbell, g_remote_lock, g_remote_doorbell},
                        g_remote_storage.Make().memory());
  EchoClient& client = g_client_storage.Make();
  if (!host.RegisterDriver(kService, client).ok()) return 11;
  if (!host.Start(config).ok()) return 12;
  if (!remote.Start(config).ok()) return 13;
  rpmsg::EndpointConfig echo_config;
  echo_config.name = kService;
  if (!remote.CreateEndpoint(g_echo_endpoint.Make(), echo_config, g_echo.Make(remote)).ok())
    return 14;
  PollUntilQuiet(host, remote);
  if (client.channel == nullptr) return 15;
  mps2::Print("channel ");
  mps2::Print(kService);
  mps2::Print(": host ");
  mps2::PrintHex(client.channel->local_address());
  mps2::Print(" <-> remote ");
  mps2::PrintHex(client.channel->remote_address());
  mps2::Print("\n");

  static std::array<std::byte, kBufferSize> payload;
  const std::size_t mtu = host.mtu();
  for (std::uint32_t i = 0; i < kMessages; ++i) {
    const std::size_t len = 1 + (i * 37u) % mtu;
    for (std::size_t b = 0; b < len; ++b) payload[b] = static_cast<std::byte>(i * 7u + b);
    client.expected = payload.data();
    client.expected_len = len;
    if (!client.channel->TrySend(tandem::ConstByteSpan(payload.data(), len)).ok()) {
      Fail("host send");
      break;
    }
    if (!remote.Poll().ok()) Fail("remote poll");
    if (!host.Poll().ok()) Fail("host poll");
  }
  const rpmsg::Stats h = host.stats();
  mps2::Print("messages echoed: ");
  mps2::PrintUnsigned(client.replies);
  mps2::Print(" of ");
  mps2::PrintUnsigned(kMessages);
  mps2::Print("; host tx free ");
  mps2::PrintUnsigned(h.tx_free);
  mps2::Print(", rx posted ");
  mps2::PrintUnsigned(h.rx_posted);
  mps2::Print("; doorbells ");
  mps2::PrintUnsigned(g_host_doorbell.rings + g_remote_doorbell.rings);
  mps2::Print("\n");
  if (client.replies != kMessages) Fail("replies missing");
  if (h.tx_held != 0 || h.rx_held != 0) Fail("buffers held");
  return g_failures == 0 ? 0 : 1;
}

}  // namespace

int main() {
  mps2::ConsoleInit();
  tandem::SetAssertHandler(&OnAssert);
  mps2::Print("tandem core on Cortex-M (QEMU mps2): RPMsg loopback, both roles\n");
  const int result = Run();
  mps2::Print(result == 0 ? "PASS\n" : "FAIL, code ");
  if (result != 0) {
    mps2::PrintUnsigned(static_cast<std::uint32_t>(result));
    mps2::Print("\n");
  }
  mps2::Exit(result);
}
