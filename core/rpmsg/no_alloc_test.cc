// Runs the RPMsg data path of both roles with a poisoned global operator new
// (docs/style.md practice 11): while the poison is armed, any allocation aborts
// the process with a message, so a heap allocation anywhere in Send, Poll,
// Receive, the zero-copy handles or the blocking paths fails this test.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "tandem/testing/rpmsg_helpers.h"

namespace {
std::atomic<bool> g_poisoned{false};

void* Allocate(std::size_t size) {
  if (g_poisoned.load(std::memory_order_relaxed)) {
    std::fputs("operator new called on the rpmsg data path\n", stderr);
    std::abort();
  }
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) std::abort();
  return p;
}
}  // namespace

void* operator new(std::size_t size) { return Allocate(size); }
void* operator new[](std::size_t size) { return Allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return Allocate(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return Allocate(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace tandem::rpmsg {
namespace {

using testing::BusPair;
using testing::EchoService;

class Poison {
 public:
  Poison() { g_poisoned = true; }
  ~Poison() { g_poisoned = false; }
};

TEST(RpmsgNoAlloc, DataPathOfBothRolesNeverAllocates) {
  BusPair pair;
  EchoService echo(pair.remote());
  Endpoint echo_ep;
  ASSERT_TRUE(pair.remote().CreateEndpoint(echo_ep, {"echo", 0x500}, echo).ok());
  std::array<RxBuffer, 32> queue;
  Endpoint host_ep;
  ASSERT_TRUE(pair.host().CreateEndpoint(host_ep, {nullptr, 0x600, 0x500}, queue).ok());
  pair.Pump();
  // The fixtures record kicks in vectors: make room up front.
  pair.host_notifier().kicks.reserve(1 << 20);
  pair.remote_notifier().kicks.reserve(1 << 20);

  HostBus& host = pair.host();
  RemoteBus& remote = pair.remote();
  std::array<std::byte, 496> payload{};
  std::array<std::byte, 512> out{};
  int errors = 0;
  {
    Poison poison;
    for (int i = 0; i < 20000; ++i) {
      const std::size_t n = static_cast<std::size_t>(i) % payload.size();
      payload[0] = static_cast<std::byte>(i);
      // Copying send, echo from a callback, blocking receive with a message.
      errors += !host.Send(host_ep, std::span(payload).first(n), Timeout::Seconds(1)).ok();
      errors += !remote.Poll().ok();
      errors += !host.Poll().ok();
      auto got = host.Receive(host_ep, out, Timeout::Milliseconds(1));
      errors += !(got.ok() && got->len == n && got->src == 0x500);
      // Zero-copy both ways.
      auto tx = host.AcquireTx(host_ep, Timeout::None());
      errors += !tx.ok();
      if (tx.ok()) {
        tx->data()[0] = std::byte{1};
        errors += !tx->Send(8).ok();
      }
      errors += !remote.Poll().ok();
      errors += !host.Poll().ok();
      auto held = host.ReceiveHeld(host_ep, Timeout::None());
      errors += !held.ok();
      held->Release();
      {
        TxBatch batch(remote);
        errors += !remote.TrySendTo(echo_ep, 0x600, std::span(payload).first(4)).ok();
      }
      errors += !host.Poll().ok();
      errors += !host.Receive(host_ep, out, Timeout::None()).ok();
      if (i % 256 == 0) {
        // Timing out on the (fake) clock allocates nothing either.
        errors += host.Receive(host_ep, out, Timeout::Milliseconds(1)).status().code() !=
                  StatusCode::kDeadlineExceeded;
        errors += !host.stats().rx_messages;
      }
    }
  }
  EXPECT_EQ(errors, 0);
  testing::ExpectHostBuffersConserved(host);
}

// The poison itself works.
TEST(RpmsgNoAllocDeathTest, PoisonAbortsOnAllocation) {
  EXPECT_DEATH(
      {
        Poison poison;
        volatile int* p = new int(3);
        (void)p;
      },
      "operator new called");
}

}  // namespace
}  // namespace tandem::rpmsg
