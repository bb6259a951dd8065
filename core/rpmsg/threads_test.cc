// Both roles on their own threads over one shared mapping, as two cores
// would run them: each side has an event thread (waits for the peer's
// doorbell, then Poll()s) and a sender thread (blocking Send() on several
// endpoints, concurrently with Poll()). A million messages each way (50,000
// under ThreadSanitizer or with TANDEM_SHORT=1), each carrying its
// endpoint's sequence number: nothing may be lost, duplicated, reordered or
// corrupted, and every buffer must be back where it belongs at the end.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "tandem/hosted/condvar_waiter.h"
#include "tandem/hosted/mutex_lock.h"
#include "tandem/testing/bus_pair.h"

#if defined(__SANITIZE_THREAD__)
#define TANDEM_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TANDEM_UNDER_TSAN 1
#endif
#endif

namespace tandem::rpmsg {
namespace {

using hosted::CondvarWaiter;
using hosted::MutexLock;
using testing::PairLayout;
using testing::PairOptions;

std::uint64_t MessagesEachWay() {
#if defined(TANDEM_UNDER_TSAN)
  return 50'000;
#else
  const char* s = std::getenv("TANDEM_SHORT");
  return (s != nullptr && std::strcmp(s, "1") == 0) ? 50'000 : 1'000'000;
#endif
}

constexpr int kEndpoints = 4;
constexpr std::uint32_t kHostBase = 0x600;
constexpr std::uint32_t kRemoteBase = 0x700;

// The doorbell of one core: a pending flag the peer sets.
class Doorbell final : public Notifier {
 public:
  Status Notify(std::uint32_t) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pending_ = true;
    }
    cv_.notify_one();
    return OkStatus();
  }
  // False once stopped.
  bool WaitRing() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return pending_ || stop_; });
    pending_ = false;
    return !stop_;
  }
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool pending_ = false;
  bool stop_ = false;
};

// Message: endpoint index, sequence number, then bytes derived from both;
// the length varies with the sequence number.
std::size_t Encode(std::uint32_t ep, std::uint32_t seq, ByteSpan out) {
  const std::size_t len = 8 + (seq * 7u) % 120u;
  std::memcpy(out.data(), &ep, 4);
  std::memcpy(out.data() + 4, &seq, 4);
  for (std::size_t i = 8; i < len; ++i) out[i] = static_cast<std::byte>(seq + ep * 13 + i);
  return len;
}

// Checks every message of one endpoint, on the event thread.
class SequenceChecker final : public MessageHandler {
 public:
  void OnMessage(Endpoint&, ReceivedMessage& message) override {
    const ConstByteSpan p = message.payload();
    std::uint32_t ep = 0, seq = 0;
    bool ok = p.size() >= 8;
    if (ok) {
      std::memcpy(&ep, p.data(), 4);
      std::memcpy(&seq, p.data() + 4, 4);
      ok = ep == index && seq == next && p.size() == 8 + (seq * 7u) % 120u;
      for (std::size_t i = 8; ok && i < p.size(); ++i) {
        ok = p[i] == static_cast<std::byte>(seq + ep * 13 + i);
      }
    }
    if (!ok) errors.fetch_add(1, std::memory_order_relaxed);
    next = seq + 1;
    received.fetch_add(1, std::memory_order_release);
  }
  std::uint32_t index = 0;
  std::uint32_t next = 0;  // event thread only
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> errors{0};
};

struct Side {
  MutexLock lock;
  CondvarWaiter waiter;
  Doorbell doorbell;  // rung by the peer
  std::array<Endpoint, kEndpoints> endpoints;
  std::array<SequenceChecker, kEndpoints> checkers;
  std::atomic<std::uint64_t> send_errors{0};
  std::atomic<std::uint64_t> poll_errors{0};
};

void EventLoop(Bus& bus, Side& side) {
  while (side.doorbell.WaitRing()) {
    Status s;
    do {
      s = bus.Poll();
    } while (s.code() == StatusCode::kUnavailable);  // budget used up: more pending
    if (!s.ok()) side.poll_errors.fetch_add(1);
  }
}

void Sender(Bus& bus, Side& side, std::uint64_t total) {
  std::array<std::byte, 128> buf;
  for (std::uint64_t i = 0; i < total; ++i) {
    const auto ep = static_cast<std::uint32_t>(i % kEndpoints);
    const auto seq = static_cast<std::uint32_t>(i / kEndpoints);
    const std::size_t len = Encode(ep, seq, buf);
    if (!bus.Send(side.endpoints[ep], std::span(buf).first(len), Timeout::Seconds(15)).ok()) {
      side.send_errors.fetch_add(1);
    }
  }
}

std::uint64_t ReceivedCount(const Side& side) {
  std::uint64_t n = 0;
  for (const auto& c : side.checkers) n += c.received.load(std::memory_order_acquire);
  return n;
}

TEST(RpmsgThreads, MillionMessagesEachWayNothingLostOrDuplicated) {
  const std::uint64_t total = MessagesEachWay();
  PairOptions options;
  options.num = 256;  // Linux's default vring size for rpmsg
  const PairLayout layout(options);
  tandem::testing::FakeShm shm(layout.total, testing::kShmDeviceAddress);
  BusConfig config;
  config.vring0 = {shm.region().Sub(0, layout.ring_size).value(), options.num, 4096, 0};
  config.vring1 = {shm.region().Sub(layout.ring_stride, layout.ring_size).value(), options.num,
                   4096, 1};
  config.buffers = shm.region().Sub(layout.buffers_offset, layout.buffers_size).value();

  Side host_side;
  Side remote_side;
  // Each side's notifier rings the other side's doorbell.
  auto host_storage = std::make_unique<HostBusStorage<256, 64, 4>>();
  auto remote_storage = std::make_unique<RemoteBusStorage<256, 64>>();
  HostBus host({remote_side.doorbell, host_side.lock, host_side.waiter}, host_storage->memory());
  RemoteBus remote({host_side.doorbell, remote_side.lock, remote_side.waiter},
                   remote_storage->memory());
  for (int e = 0; e < kEndpoints; ++e) {
    const auto i = static_cast<std::uint32_t>(e);
    host_side.checkers[i].index = i;
    remote_side.checkers[i].index = i;
    ASSERT_TRUE(host.CreateEndpoint(host_side.endpoints[i],
                                    {nullptr, kHostBase + i, kRemoteBase + i},
                                    host_side.checkers[i])
                    .ok());
    ASSERT_TRUE(remote
                    .CreateEndpoint(remote_side.endpoints[i],
                                    {nullptr, kRemoteBase + i, kHostBase + i},
                                    remote_side.checkers[i])
                    .ok());
  }
  ASSERT_TRUE(host.Start(config).ok());
  ASSERT_TRUE(remote.Start(config).ok());

  const auto t0 = std::chrono::steady_clock::now();
  std::thread host_events(EventLoop, std::ref(host), std::ref(host_side));
  std::thread remote_events(EventLoop, std::ref(remote), std::ref(remote_side));
  std::thread host_sender(Sender, std::ref(host), std::ref(host_side), total);
  std::thread remote_sender(Sender, std::ref(remote), std::ref(remote_side), total);
  host_sender.join();
  remote_sender.join();
  // Everything sent has been kicked; wait for the last deliveries.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while ((ReceivedCount(host_side) < total || ReceivedCount(remote_side) < total) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  host_side.doorbell.Stop();
  remote_side.doorbell.Stop();
  host_events.join();
  remote_events.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%llu messages each way in %.2f s\n", static_cast<unsigned long long>(total),
              seconds);

  EXPECT_EQ(host_side.send_errors.load(), 0u);
  EXPECT_EQ(remote_side.send_errors.load(), 0u);
  EXPECT_EQ(host_side.poll_errors.load(), 0u);
  EXPECT_EQ(remote_side.poll_errors.load(), 0u);
  for (int e = 0; e < kEndpoints; ++e) {
    const auto i = static_cast<std::size_t>(e);
    EXPECT_EQ(host_side.checkers[i].received.load(), total / kEndpoints) << "host ep " << e;
    EXPECT_EQ(remote_side.checkers[i].received.load(), total / kEndpoints) << "remote ep " << e;
    EXPECT_EQ(host_side.checkers[i].errors.load(), 0u);
    EXPECT_EQ(remote_side.checkers[i].errors.load(), 0u);
  }

  // Quiesced: one more poll on each side and every buffer is home.
  ASSERT_TRUE(remote.Poll().ok());
  ASSERT_TRUE(host.Poll().ok());
  const Stats h = host.stats();
  const Stats r = remote.stats();
  EXPECT_EQ(h.tx_free, 256u);
  EXPECT_EQ(h.tx_in_flight, 0u);
  EXPECT_EQ(h.tx_held, 0u);
  EXPECT_EQ(h.rx_posted, 256u);
  EXPECT_EQ(h.rx_held, 0u);
  EXPECT_EQ(r.rx_held, 0u);
  EXPECT_EQ(r.tx_held, 0u);
  EXPECT_EQ(h.tx_messages, total);
  EXPECT_EQ(r.tx_messages, total);
  EXPECT_EQ(h.rx_messages, total);
  EXPECT_EQ(r.rx_messages, total);
  EXPECT_EQ(h.rx_too_big + h.rx_too_short + h.rx_no_endpoint + r.rx_bad_buffer + r.rx_no_endpoint,
            0u);
}

// Blocking receive on a real clock: a receiver thread sleeps in Receive()
// until the event thread's Poll() queues a message, and times out when none
// comes.
TEST(RpmsgThreads, BlockingReceiveWithARealClock) {
  PairOptions options;
  const PairLayout layout(options);
  tandem::testing::FakeShm shm(layout.total, testing::kShmDeviceAddress);
  BusConfig config;
  config.vring0 = {shm.region().Sub(0, layout.ring_size).value(), options.num, 4096, 0};
  config.vring1 = {shm.region().Sub(layout.ring_stride, layout.ring_size).value(), options.num,
                   4096, 1};
  config.buffers = shm.region().Sub(layout.buffers_offset, layout.buffers_size).value();
  Side host_side;
  Side remote_side;
  auto host_storage = std::make_unique<HostBusStorage<16, 16, 4>>();
  auto remote_storage = std::make_unique<RemoteBusStorage<16, 16>>();
  HostBus host({remote_side.doorbell, host_side.lock, host_side.waiter}, host_storage->memory());
  RemoteBus remote({host_side.doorbell, remote_side.lock, remote_side.waiter},
                   remote_storage->memory());
  std::array<RxBuffer, 4> queue;
  Endpoint remote_ep;
  ASSERT_TRUE(remote.CreateEndpoint(remote_ep, {nullptr, 0x500}, queue).ok());
  Endpoint host_ep;
  ASSERT_TRUE(host.CreateEndpoint(host_ep, {nullptr, 0x600, 0x500}, host_side.checkers[0]).ok());
  ASSERT_TRUE(host.Start(config).ok());
  ASSERT_TRUE(remote.Start(config).ok());
  std::thread remote_events(EventLoop, std::ref(remote), std::ref(remote_side));

  // Nothing comes: a real 20 ms timeout.
  auto t0 = std::chrono::steady_clock::now();
  std::array<std::byte, 64> buf;
  EXPECT_EQ(remote.Receive(remote_ep, buf, Timeout::Milliseconds(20)).status().code(),
            StatusCode::kDeadlineExceeded);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(20));

  // A message sent while the receiver sleeps wakes it.
  Result<Received> got = Unavailable("not yet");
  std::thread receiver([&] { got = remote.Receive(remote_ep, buf, Timeout::Seconds(10)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const char hello[] = "hello";
  t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(host.Send(host_ep, AsBytes(hello, 5)).ok());
  receiver.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->len, 5u);
  EXPECT_EQ(got->src, 0x600u);
  EXPECT_EQ(std::memcmp(buf.data(), hello, 5), 0);

  remote_side.doorbell.Stop();
  remote_events.join();
}

// The pair of BlockingReceiveWithARealClock, with small rings.
struct SmallPair {
  SmallPair() {
    config.vring0 = {shm.region().Sub(0, layout.ring_size).value(), options.num, 4096, 0};
    config.vring1 = {shm.region().Sub(layout.ring_stride, layout.ring_size).value(), options.num,
                     4096, 1};
    config.buffers = shm.region().Sub(layout.buffers_offset, layout.buffers_size).value();
  }
  PairOptions options;
  PairLayout layout{options};
  tandem::testing::FakeShm shm{layout.total, testing::kShmDeviceAddress};
  BusConfig config;
  Side host_side;
  Side remote_side;
  std::unique_ptr<HostBusStorage<16, 16, 4>> host_storage =
      std::make_unique<HostBusStorage<16, 16, 4>>();
  std::unique_ptr<RemoteBusStorage<16, 16>> remote_storage =
      std::make_unique<RemoteBusStorage<16, 16>>();
  HostBus host{{remote_side.doorbell, host_side.lock, host_side.waiter}, host_storage->memory()};
  RemoteBus remote{{host_side.doorbell, remote_side.lock, remote_side.waiter},
                   remote_storage->memory()};
};

// A host callback that sends more messages than there are tx buffers, with
// blocking sends: the thread that would reclaim them (the host's event
// thread, running Poll()) is the one blocked in the callback. The sender
// reclaims what the remote consumed itself (Bus::kTxReclaimSliceNs), so the
// burst completes at the remote's pace instead of timing out.
TEST(RpmsgThreads, CallbackSendingMoreThanThePoolReclaimsBuffersItself) {
  SmallPair p;
  const std::uint32_t burst = 4 * p.options.num;
  struct BurstSender final : MessageHandler {
    void OnMessage(Endpoint& endpoint, ReceivedMessage&) override {
      std::array<std::byte, 128> buf;
      const auto t0 = std::chrono::steady_clock::now();
      for (std::uint32_t seq = 0; seq < burst; ++seq) {
        const std::size_t len = Encode(0, seq, buf);
        if (!bus->Send(endpoint, std::span(buf).first(len), Timeout::Seconds(20)).ok()) ++failed;
      }
      took = std::chrono::steady_clock::now() - t0;
      done.store(true, std::memory_order_release);
    }
    Bus* bus = nullptr;
    std::uint32_t burst = 0;
    std::uint32_t failed = 0;
    std::chrono::steady_clock::duration took{};
    std::atomic<bool> done{false};
  } sender;
  sender.bus = &p.host;
  sender.burst = burst;
  Endpoint host_ep;
  ASSERT_TRUE(p.host.CreateEndpoint(host_ep, {nullptr, 0x600, 0x500}, sender).ok());
  Endpoint remote_ep;
  p.remote_side.checkers[0].index = 0;
  ASSERT_TRUE(
      p.remote.CreateEndpoint(remote_ep, {nullptr, 0x500, 0x600}, p.remote_side.checkers[0]).ok());
  ASSERT_TRUE(p.host.Start(p.config).ok());
  ASSERT_TRUE(p.remote.Start(p.config).ok());
  std::thread host_events(EventLoop, std::ref(p.host), std::ref(p.host_side));
  std::thread remote_events(EventLoop, std::ref(p.remote), std::ref(p.remote_side));

  const char go[] = "go";
  ASSERT_TRUE(p.remote.Send(remote_ep, AsBytes(go, 2)).ok());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!sender.done.load(std::memory_order_acquire) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  while (p.remote_side.checkers[0].received.load() < burst &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  p.host_side.doorbell.Stop();
  p.remote_side.doorbell.Stop();
  host_events.join();
  remote_events.join();

  ASSERT_TRUE(sender.done.load());
  EXPECT_EQ(sender.failed, 0u);
  // Without its own reclaim, the first send past the pool waits out 20 s.
  EXPECT_LT(sender.took, std::chrono::seconds(10));
  EXPECT_EQ(p.remote_side.checkers[0].received.load(), burst);
  EXPECT_EQ(p.remote_side.checkers[0].errors.load(), 0u);
}

// A callback blocked in a send (the peer consumes nothing) holds whatever
// lock its caller took around Poll(). AbortWaits() needs only the bus lock:
// the send returns kAborted at once, Poll() delivers nothing more and
// returns, and Reset() can follow.
TEST(RpmsgThreads, AbortWaitsFreesACallbackBlockedInASend) {
  SmallPair p;
  struct StuckSender final : MessageHandler {
    void OnMessage(Endpoint& endpoint, ReceivedMessage&) override {
      ++calls;
      const char x[] = "x";
      Status s;
      while (s.ok()) s = bus->Send(endpoint, AsBytes(x, 1), Timeout::Seconds(30));
      last = s;
      returned.store(true, std::memory_order_release);
    }
    Bus* bus = nullptr;
    int calls = 0;
    Status last;
    std::atomic<bool> returned{false};
  } sender;
  sender.bus = &p.host;
  Endpoint host_ep;
  ASSERT_TRUE(p.host.CreateEndpoint(host_ep, {nullptr, 0x600, 0x500}, sender).ok());
  Endpoint remote_ep;
  ASSERT_TRUE(
      p.remote.CreateEndpoint(remote_ep, {nullptr, 0x500, 0x600}, p.remote_side.checkers[0]).ok());
  ASSERT_TRUE(p.host.Start(p.config).ok());
  ASSERT_TRUE(p.remote.Start(p.config).ok());
  // The host's "link lock": held around every Poll(), as vdev::HostLink does.
  std::mutex link_lock;
  std::thread host_events([&] {
    while (p.host_side.doorbell.WaitRing()) {
      std::lock_guard<std::mutex> hold(link_lock);
      Status s;
      do {
        s = p.host.Poll();
      } while (s.code() == StatusCode::kUnavailable);
    }
  });
  // No remote event thread: nothing the host sends is consumed.
  const char go[] = "go";
  ASSERT_TRUE(p.remote.Send(remote_ep, AsBytes(go, 2)).ok());
  ASSERT_TRUE(p.remote.Send(remote_ep, AsBytes(go, 2)).ok());  // must not be delivered
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (p.host.stats().tx_free > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let it block
  ASSERT_FALSE(sender.returned.load());

  const auto t0 = std::chrono::steady_clock::now();
  p.host.AbortWaits();
  {
    std::lock_guard<std::mutex> hold(link_lock);  // comes free
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
    ASSERT_TRUE(p.host.Reset().ok());
  }
  ASSERT_TRUE(sender.returned.load());
  EXPECT_EQ(sender.last.code(), StatusCode::kAborted);
  EXPECT_TRUE(sender.last.Is(kResetWhileSending));
  EXPECT_EQ(sender.calls, 1);  // the second message was not delivered
  p.host_side.doorbell.Stop();
  host_events.join();

  // The next Start() clears the abort: traffic flows again.
  ASSERT_TRUE(p.host.Start(p.config).ok());
  ASSERT_TRUE(p.remote.Reset().ok());
  ASSERT_TRUE(p.remote.Start(p.config).ok());
  std::array<std::byte, 8> msg{};
  EXPECT_TRUE(p.host.TrySend(host_ep, msg).ok());
}

}  // namespace
}  // namespace tandem::rpmsg
