// The priority doorbell (issue #15, docs/doorbell.md) between the host
// Session and the demo firmware on the simulated core, two processes: the
// firmware's EventEchoService sends every event back; values arrive whole
// and in order; the round trip is printed next to an RPMsg echo's of the
// same run (context, not an assertion: benchmarks are not tests).

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tandem/host/session.h"
#include "tandem/remoteproc/mailbox.h"
#include "tandem/remoteproc/state.h"
#include "test_session.h"

namespace tandem::host {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kEcho = "rpmsg-openamp-demo-channel";

SessionOptions Options(const char* tag) { return integration::TestSessionOptions("bell", tag); }

std::vector<std::byte> DemoImage() { return integration::ReadImage(TANDEM_DEMO_ELF); }

// The events the remote sent, as the callback saw them.
class EventInbox {
 public:
  void Put(std::uint32_t value) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      values_.push_back(value);
    }
    cv_.notify_all();
  }
  bool Take(std::uint32_t* value, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!cv_.wait_for(lock, timeout, [&] { return !values_.empty(); })) return false;
    *value = values_.front();
    values_.pop_front();
    return true;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::uint32_t> values_;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

TEST(Doorbell, EventsGoBothWaysWholeAndInOrderBesideRpmsg) {
  auto created = Session::Create(Options("rtt"));
  ASSERT_TRUE(created.ok()) << created.status().message();
  Session& s = **created;
  EventInbox inbox;
  s.SetEventCallback([&](std::uint32_t v) { inbox.Put(v); });
  ChannelPort echo(s, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(s.Boot(DemoImage()).ok()) << s.rproc().error_detail();
  ASSERT_TRUE(echo.WaitBound(10s).ok());

  constexpr int kRounds = 2000;
  std::vector<double> event_us, echo_us;
  std::vector<std::byte> out(16, std::byte{0x5A}), in(512);
  for (int i = 0; i < kRounds; ++i) {
    const std::uint32_t value = (static_cast<std::uint32_t>(i) * 2654435761u) & 0xFFFFFF;
    const auto t0 = Clock::now();
    ASSERT_TRUE(s.SendEvent(value).ok());
    std::uint32_t got = 0;
    ASSERT_TRUE(inbox.Take(&got, 5s)) << "no event back for round " << i;
    event_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    ASSERT_EQ(got, value) << "round " << i;

    const auto t1 = Clock::now();
    ASSERT_TRUE(echo.Send(out, rpmsg::Timeout::Seconds(5)).ok());
    auto r = echo.Receive(in, rpmsg::Timeout::Seconds(5));
    ASSERT_TRUE(r.ok()) << r.status().message();
    echo_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t1).count());
  }
  // A burst: every value arrives, in the order sent, none merged.
  for (std::uint32_t v = 0; v < 100; ++v) ASSERT_TRUE(s.SendEvent(v).ok());
  for (std::uint32_t v = 0; v < 100; ++v) {
    std::uint32_t got = 0;
    ASSERT_TRUE(inbox.Take(&got, 5s));
    EXPECT_EQ(got, v);
  }
  EXPECT_EQ(s.events_received(), static_cast<std::uint64_t>(kRounds) + 100);
  std::printf(
      "[ doorbell ] round trip, median of %d: priority event %.1f us, RPMsg echo 16 B %.1f us\n",
      kRounds, Median(event_us), Median(echo_us));
  ASSERT_TRUE(s.Stop().ok());
  EXPECT_TRUE(s.last_stop().graceful);
}

TEST(Doorbell, BadValuesAndNoCoreAreOneClearErrorEach) {
  auto created = Session::Create(Options("errors"));
  ASSERT_TRUE(created.ok()) << created.status().message();
  Session& s = **created;
  EXPECT_EQ(s.SendEvent(remoteproc::mailbox::kMaxEventValue + 1).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(s.SendEvent(1).code(), StatusCode::kAborted);  // nothing runs
  // Replacing the callback: the old one is not called afterwards.
  std::atomic<int> old_calls{0}, new_calls{0};  // written on the event thread
  s.SetEventCallback([&](std::uint32_t) { ++old_calls; });
  s.SetEventCallback([&](std::uint32_t) { ++new_calls; });
  ASSERT_TRUE(s.Boot(DemoImage()).ok()) << s.rproc().error_detail();
  ASSERT_TRUE(s.SendEvent(42).ok());
  for (int i = 0; i < 500 && new_calls == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(new_calls, 1);
  EXPECT_EQ(old_calls, 0);
  s.SetEventCallback(nullptr);
  ASSERT_TRUE(s.SendEvent(43).ok());
  for (int i = 0; i < 500 && s.events_received() < 2; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(s.events_received(), 2u);  // counted without a callback
  ASSERT_TRUE(s.Stop().ok());
}

}  // namespace
}  // namespace tandem::host
