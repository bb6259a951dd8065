// The host concurrency contract (docs/threading.md), end to end: a Session
// over the real Linux platform and the demo firmware (Session has no fake
// platform yet). Each test is a case of issue #10 that failed before the
// fix; run under the tsan preset they also check the data races.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <future>
#include <string>
#include <thread>

#include "tandem/host/session.h"
#include "tandem/remoteproc/state.h"
#include "tandem/testing/process_checks.h"
#include "test_session.h"

namespace tandem::host {
namespace {

using tandem::testing::FinishesWithin;

using remoteproc::State;
using namespace std::chrono_literals;

constexpr const char* kEcho = "rpmsg-openamp-demo-channel";

SessionOptions Options(const char* tag) { return integration::TestSessionOptions("conc", tag); }

std::vector<std::byte> Image() {
  auto image = Session::ReadFile(TANDEM_DEMO_ELF);
  EXPECT_TRUE(image.ok());
  return image.ok() ? std::move(image).value() : std::vector<std::byte>{};
}

std::unique_ptr<Session> MakeSession(const SessionOptions& o) {
  auto s = Session::Create(o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? std::move(s).value() : nullptr;
}

void ExpectEchoText(ChannelPort& port, const std::string& text) {
  ASSERT_TRUE(port.Send(AsBytes(text.data(), text.size()), rpmsg::Timeout::Seconds(2)).ok());
  std::vector<std::byte> in(512);
  auto got = port.Receive(in, rpmsg::Timeout::Seconds(2));
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(got->len, text.size());
  EXPECT_EQ(std::memcmp(in.data(), text.data(), text.size()), 0);
}

bool WaitBindsAtLeast(ChannelPort& port, std::uint32_t n) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (port.binds() < n || !port.bound()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// A driver whose callbacks call the session accessors, as the header allows.
class AskingDriver final : public rpmsg::ChannelHandler {
 public:
  explicit AskingDriver(Session& s) : session_(s) {}
  void OnBound(rpmsg::Channel&) override {
    bound_state = session_.state();
    binds.fetch_add(1);
  }
  void OnUnbound(rpmsg::Channel&) override {
    unbound_state = session_.state();
    (void)session_.last_crash();
    (void)session_.last_stop();
    (void)session_.last_recovery();
    unbinds.fetch_add(1);
  }
  std::atomic<State> bound_state{State::kOffline};
  std::atomic<State> unbound_state{State::kOffline};
  std::atomic<int> binds{0};
  std::atomic<int> unbinds{0};

 private:
  Session& session_;
};

// Issue #10: OnUnbound runs inside Stop() with control_mutex_ held; state()
// took it again and deadlocked.
TEST(Concurrency, AccessorsFromChannelCallbacksDuringStopDoNotDeadlock) {
  auto s = MakeSession(Options("ask"));
  AskingDriver driver(*s);
  ASSERT_TRUE(s->RegisterDriver(kEcho, driver).ok());
  ASSERT_TRUE(s->Boot(Image()).ok());
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (driver.binds.load() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_EQ(driver.binds.load(), 1);
  EXPECT_EQ(driver.bound_state.load(), State::kRunning);
  FinishesWithin(10s, "Stop() with state() in OnUnbound", [&] { ASSERT_TRUE(s->Stop().ok()); });
  EXPECT_EQ(driver.unbinds.load(), 1);
  EXPECT_EQ(driver.unbound_state.load(), State::kRunning);  // the last completed step
  EXPECT_EQ(s->state(), State::kOffline);
  s->UnregisterDriver(driver);
}

// Issue #10: ChannelPort used its Channel* without a lock while OnUnbound
// could free or reuse it. Senders hammer the port across stop/boot cycles:
// every send is ok or refused cleanly, none touches a freed channel (tsan).
TEST(Concurrency, SendsRacingUnbindSeeOnlyCleanErrors) {
  auto s = MakeSession(Options("race"));
  ChannelPort echo(*s, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  const auto image = Image();
  ASSERT_TRUE(s->Boot(image).ok());
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::atomic<int> sent{0};
  auto sender = [&] {
    const char text[] = "race";
    std::vector<std::byte> in(512);
    while (!stop.load()) {
      const Status st = echo.Send(AsBytes(text, 4), rpmsg::Timeout::Milliseconds(200));
      if (st.ok()) {
        sent.fetch_add(1);
        (void)echo.Receive(in, rpmsg::Timeout::None());
      } else if (st.code() != StatusCode::kFailedPrecondition &&
                 st.code() != StatusCode::kAborted && st.code() != StatusCode::kDeadlineExceeded) {
        bad.fetch_add(1);
      }
    }
  };
  std::thread a(sender), b(sender);
  for (int cycle = 0; cycle < 5; ++cycle) {
    std::this_thread::sleep_for(20ms);
    ASSERT_TRUE(s->Stop().ok());
    ASSERT_TRUE(s->Boot(image).ok());
    ASSERT_TRUE(echo.WaitBound(5s).ok());
  }
  stop = true;
  a.join();
  b.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(sent.load(), 0);
  EXPECT_EQ(echo.unbinds(), 5u);
  // The last echoes of the race may still come back: drain them.
  std::vector<std::byte> in(512);
  while (echo.Receive(in, rpmsg::Timeout::Milliseconds(100)).ok()) {
  }
  ExpectEchoText(echo, "after the race");
}

// Issue #10: LinuxPlatform::Send used the mailbox Detach replaces and
// unmaps. A thread keeps ringing the doorbell through detach/attach cycles.
TEST(Concurrency, PlatformSendRacingDetachIsSafe) {
  auto o = Options("detach");
  auto s = MakeSession(o);
  ChannelPort echo(*s, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(s->Boot(Image()).ok());
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::thread ringer([&] {
    while (!stop.load()) {
      const Status st = s->platform().Send(0);  // vring 0's notifyid: a harmless kick
      if (!st.ok() && st.code() != StatusCode::kAborted) bad.fetch_add(1);
    }
  });
  for (int cycle = 0; cycle < 5; ++cycle) {
    ASSERT_TRUE(s->Detach().ok());
    ASSERT_TRUE(s->Attach().ok()) << s->rproc().error_detail();
    ASSERT_TRUE(echo.WaitBound(5s).ok());
  }
  stop = true;
  ringer.join();
  EXPECT_EQ(bad.load(), 0);
  ExpectEchoText(echo, "after detach cycles");
  ASSERT_TRUE(s->Stop().ok());
}

// Issue #10: Attach(image) kept the image but never used it: a crashed
// attached remote stayed crashed. It is recovered by booting that image.
TEST(Concurrency, AttachedRemoteWithImageIsRecoveredAfterACrash) {
  auto s = MakeSession(Options("attrec"));
  ChannelPort echo(*s, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(s->Boot(Image()).ok());
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  ASSERT_TRUE(s->Detach().ok());
  ASSERT_TRUE(s->Attach(Image()).ok()) << s->rproc().error_detail();
  ASSERT_TRUE(WaitBindsAtLeast(echo, 2));
  const pid_t old_pid = s->linux_platform()->core_pid();
  ASSERT_GT(old_pid, 0);
  ASSERT_EQ(::kill(old_pid, SIGKILL), 0);
  ASSERT_TRUE(s->WaitForCrashes(1, 10s));
  EXPECT_EQ(s->state(), State::kRunning);
  EXPECT_TRUE(s->last_recovery().ok()) << s->last_recovery().message();
  EXPECT_NE(s->linux_platform()->core_pid(), old_pid);
  ASSERT_TRUE(WaitBindsAtLeast(echo, 3));
  ExpectEchoText(echo, "recovered from the attach image");
  ASSERT_TRUE(s->Stop().ok());
}

}  // namespace
}  // namespace tandem::host
