// Flow control (issue #15, docs/flow_control.md) between the host Session
// and the demo firmware on the simulated core, two processes over real
// shared memory: the firmware's tandem-stream service streams numbered
// messages to a host endpoint; the host pauses it (the remote stops), then
// resumes it (it carries on where it stopped), and every message arrives
// once, in order: nothing is lost. Waits are bounded; nothing is timed.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tandem/host/session.h"
#include "tandem/rpmsg/errors.h"
#include "test_session.h"

namespace tandem::host {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kStream = "tandem-stream";

SessionOptions Options(const char* tag) { return integration::TestSessionOptions("flow", tag); }

std::vector<std::byte> DemoImage() { return integration::ReadImage(TANDEM_DEMO_ELF); }

std::uint32_t Le32(const std::byte* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

// What the stream sent, checked as it arrives (on the event thread).
class StreamInbox final : public rpmsg::MessageHandler {
 public:
  void OnMessage(rpmsg::Endpoint&, rpmsg::ReceivedMessage& message) override {
    const ConstByteSpan p = message.payload();
    std::lock_guard<std::mutex> lock(mutex_);
    if (p.size() != 8) {
      ++bad_;
      return;
    }
    const std::uint32_t seq = Le32(p.data());
    if (seq != next_) ++out_of_order_;
    next_ = seq + 1;
    ++received_;
  }
  void OnPeerFlow(rpmsg::Endpoint&, std::uint32_t, bool) override { ++peer_flow_; }
  std::uint32_t received() {
    std::lock_guard<std::mutex> lock(mutex_);
    return received_;
  }
  std::uint32_t out_of_order() {
    std::lock_guard<std::mutex> lock(mutex_);
    return out_of_order_;
  }
  std::uint32_t bad() {
    std::lock_guard<std::mutex> lock(mutex_);
    return bad_;
  }
  std::atomic<int> peer_flow_{0};

 private:
  std::mutex mutex_;
  std::uint32_t next_ = 0;
  std::uint32_t received_ = 0;
  std::uint32_t out_of_order_ = 0;
  std::uint32_t bad_ = 0;
};

// Waits (bounded) until `pred`.
template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds limit) {
  const auto end = Clock::now() + limit;
  while (!pred()) {
    if (Clock::now() > end) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// Waits until the count stops moving for `quiet` (bounded by `limit`).
std::uint32_t Settle(StreamInbox& inbox, std::chrono::milliseconds quiet,
                     std::chrono::milliseconds limit) {
  const auto end = Clock::now() + limit;
  std::uint32_t last = inbox.received();
  auto since = Clock::now();
  while (Clock::now() < end) {
    std::this_thread::sleep_for(10ms);
    const std::uint32_t now = inbox.received();
    if (now != last) {
      last = now;
      since = Clock::now();
    } else if (Clock::now() - since >= quiet) {
      break;
    }
  }
  return last;
}

std::uint32_t StreamAddress(Session& s) {
  std::uint32_t addr = rpmsg::kAddrAny;
  WaitFor(
      [&] {
        rpmsg::HostBus::ChannelInfo infos[16];
        const std::size_t n = std::min<std::size_t>(s.bus().Channels(infos), 16);
        for (std::size_t i = 0; i < n; ++i) {
          if (std::strcmp(infos[i].name, kStream) == 0) addr = infos[i].remote;
        }
        return addr != rpmsg::kAddrAny;
      },
      10s);
  return addr;
}

TEST(FlowControl, HostPausesTheRemoteStreamItStopsResumesAndNothingIsLost) {
  auto created = Session::Create(Options("stream"));
  ASSERT_TRUE(created.ok()) << created.status().message();
  Session& s = **created;
  ASSERT_TRUE(s.Boot(DemoImage()).ok()) << s.rproc().error_detail();
  const std::uint32_t stream = StreamAddress(s);
  ASSERT_NE(stream, rpmsg::kAddrAny) << "tandem-stream was not announced";
  ASSERT_TRUE(s.bus().flow_control()) << "the demo firmware offers flow control";

  StreamInbox inbox;
  rpmsg::Endpoint ep;
  ASSERT_TRUE(s.CreateEndpoint(ep, {nullptr, rpmsg::kAddrAny, stream}, inbox).ok());
  constexpr std::uint32_t kCount = 200'000;
  std::byte request[4];
  for (int i = 0; i < 4; ++i) request[i] = static_cast<std::byte>(kCount >> (8 * i));
  ASSERT_TRUE(s.bus().Send(ep, ConstByteSpan(request, 4)).ok());
  ASSERT_TRUE(WaitFor([&] { return inbox.received() >= 1000; }, 20s));

  // Pause: the remote stops. At most what was in flight arrives after.
  ASSERT_TRUE(s.bus().SetIncomingFlow(ep, true).ok());
  EXPECT_TRUE(*s.bus().IncomingPaused(ep));
  const std::uint32_t at_pause = Settle(inbox, 300ms, 20s);
  EXPECT_LT(at_pause, kCount) << "the remote did not stop";
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(inbox.received(), at_pause) << "the remote sent while paused";
  std::printf("[ flow ] paused after %u of %u messages\n", at_pause, kCount);

  // Resume: it carries on; pause and resume once more on the way.
  ASSERT_TRUE(s.bus().SetIncomingFlow(ep, false).ok());
  ASSERT_TRUE(WaitFor([&] { return inbox.received() > at_pause + 1000; }, 20s));
  ASSERT_TRUE(s.bus().SetIncomingFlow(ep, true).ok());
  const std::uint32_t second = Settle(inbox, 300ms, 20s);
  ASSERT_TRUE(s.bus().SetIncomingFlow(ep, false).ok());
  ASSERT_TRUE(WaitFor([&] { return inbox.received() == kCount; }, 60s))
      << inbox.received() << " of " << kCount << " (second pause at " << second << ")";
  EXPECT_EQ(inbox.out_of_order(), 0u);
  EXPECT_EQ(inbox.bad(), 0u);
  const rpmsg::Stats st = s.bus().stats();
  EXPECT_EQ(st.flow_sent, 4u);
  EXPECT_EQ(st.rx_queue_full, 0u);
  EXPECT_EQ(st.flow_malformed, 0u);
  s.DestroyEndpoint(ep);
  ASSERT_TRUE(s.Stop().ok());
  EXPECT_TRUE(s.last_stop().graceful);
}

// A pause belongs to one link: after a stop and a new boot the endpoint
// (which survives) and the remote flow again without being told.
TEST(FlowControl, AfterAStopAndABootEverythingFlowsAgain) {
  auto created = Session::Create(Options("reboot"));
  ASSERT_TRUE(created.ok()) << created.status().message();
  Session& s = **created;
  ASSERT_TRUE(s.Boot(DemoImage()).ok()) << s.rproc().error_detail();
  const std::uint32_t stream = StreamAddress(s);
  ASSERT_NE(stream, rpmsg::kAddrAny);
  StreamInbox inbox;
  rpmsg::Endpoint ep;
  ASSERT_TRUE(s.CreateEndpoint(ep, {nullptr, rpmsg::kAddrAny, stream}, inbox).ok());
  ASSERT_TRUE(s.bus().SetIncomingFlow(ep, true).ok());
  ASSERT_TRUE(s.Stop().ok());
  EXPECT_EQ(s.bus().SetIncomingFlow(ep, false).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(s.Boot(DemoImage()).ok()) << s.rproc().error_detail();
  ASSERT_EQ(StreamAddress(s), stream);
  EXPECT_FALSE(*s.bus().IncomingPaused(ep));
  std::byte request[4] = {std::byte{100}, {}, {}, {}};
  ASSERT_TRUE(s.bus().Send(ep, ConstByteSpan(request, 4)).ok());
  ASSERT_TRUE(WaitFor([&] { return inbox.received() == 100; }, 20s));
  s.DestroyEndpoint(ep);
  ASSERT_TRUE(s.Stop().ok());
}

}  // namespace
}  // namespace tandem::host
