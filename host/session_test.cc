// Session over FakeHostPlatform (testing/fake_host_platform.h): the host
// concurrency contract of docs/threading.md and the cases of issue #10,
// without processes. The fake's core is a thread of this process running
// RemoteLink + RemoteBus with an echo service ("echo: " + the message);
// FakeHostPlatform::Crash() kills it as a faulting core would, and
// SetConsuming(false) makes it leave the rings alone. Every wait is bounded;
// a deadlock fails the binary (FinishesWithin) instead of hanging the suite.
#include "tandem/host/session.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tandem/elf/elf_file.h"
#include "tandem/remoteproc/errors.h"
#include "tandem/remoteproc/state.h"
#include "tandem/rpmsg/errors.h"
#include "tandem/rsc/wire.h"
#include "tandem/testing/core_file.h"
#include "tandem/testing/fake_host_platform.h"
#include "tandem/testing/process_checks.h"
#include "tandem/testing/test_firmware.h"
#include "tandem/vdev/host_link.h"
#include "tandem/virtio/ring_layout.h"

namespace tandem::host {
namespace {

using tandem::testing::FinishesWithin;

using namespace std::chrono_literals;
using remoteproc::State;
using testing::FakeHostPlatform;
namespace fw = remoteproc::testing;

constexpr const char* kEcho = FakeHostPlatform::kEchoService;
constexpr std::uint32_t kTxBuffers = fw::kVringNum;  // the host's tx pool: one vring

std::vector<std::byte> Image() {
  const fw::Bytes image = fw::LinkFirmware(elf::kMachineX86_64);  // what Session expects
  std::vector<std::byte> bytes(image.size());
  std::memcpy(bytes.data(), image.data(), image.size());
  return bytes;
}

// The link firmware as an x86-64 ELF64, as the real images are.
std::vector<std::byte> Image64() {
  fw::FirmwareSpec spec = fw::StdSpec(/*is_64bit=*/true);
  spec.machine = elf::kMachineX86_64;
  spec.table = fw::LinkTable();
  const fw::Bytes image = fw::BuildFirmware(spec);
  std::vector<std::byte> bytes(image.size());
  std::memcpy(bytes.data(), image.data(), image.size());
  return bytes;
}

// A session over a fresh fake; `fake` stays valid while the session lives.
struct Fixture {
  explicit Fixture(SessionOptions options = {}) {
    auto platform = std::make_unique<FakeHostPlatform>(options.name);
    fake = platform.get();
    options.shutdown_timeout = 1000ms;
    auto created = Session::Create(std::move(options), std::move(platform));
    EXPECT_TRUE(created.ok()) << created.status().message();
    if (created.ok()) session = std::move(created).value();
  }
  FakeHostPlatform* fake = nullptr;
  std::unique_ptr<Session> session;
};

template <typename Pred>
bool WaitUntil(Pred done, std::chrono::milliseconds timeout = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);  // polling a condition, not a synchronization
  }
  return true;
}

ConstByteSpan Bytes(const std::string& text) { return AsBytes(text.data(), text.size()); }

// Host -> remote -> host through the echo service, contents checked on both
// sides.
void ExpectEcho(ChannelPort& port, FakeHostPlatform& fake, const std::string& text) {
  const std::size_t before = fake.echoed().size();
  ASSERT_TRUE(port.Send(Bytes(text), rpmsg::Timeout::Seconds(2)).ok());
  std::vector<std::byte> in(512);
  auto got = port.Receive(in, rpmsg::Timeout::Seconds(2));
  ASSERT_TRUE(got.ok()) << got.status().message();
  const std::string expected = FakeHostPlatform::kEchoPrefix + text;
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(in.data()), got->len), expected);
  EXPECT_EQ(got->src, port.remote_address());
  ASSERT_TRUE(fake.WaitForEchoed(before + 1, 2s));
  EXPECT_EQ(fake.echoed().back(), text);
}

bool WaitBindsAtLeast(ChannelPort& port, std::uint32_t n) {
  return WaitUntil([&] { return port.binds() >= n && port.bound(); });
}

// Records on which thread each channel callback ran, and reads every
// session accessor from inside them (the header allows it).
class ThreadRecordingDriver final : public rpmsg::ChannelHandler {
 public:
  explicit ThreadRecordingDriver(Session& s) : session_(s) {}

  void OnBound(rpmsg::Channel&) override {
    std::lock_guard lock(mutex_);
    bound_threads.push_back(std::this_thread::get_id());
    bound_states.push_back(session_.state());
  }
  void OnUnbound(rpmsg::Channel&) override {
    const State state = session_.state();
    (void)session_.last_crash();
    (void)session_.last_stop();
    (void)session_.last_recovery();
    (void)session_.last_core_exit();
    (void)session_.last_postmortem();
    (void)session_.coredump_policy();
    (void)session_.link_status();
    std::lock_guard lock(mutex_);
    unbound_threads.push_back(std::this_thread::get_id());
    unbound_states.push_back(state);
  }
  std::size_t binds() const {
    std::lock_guard lock(mutex_);
    return bound_threads.size();
  }
  std::size_t unbinds() const {
    std::lock_guard lock(mutex_);
    return unbound_threads.size();
  }

  mutable std::mutex mutex_;
  std::vector<std::thread::id> bound_threads;
  std::vector<State> bound_states;
  std::vector<std::thread::id> unbound_threads;
  std::vector<State> unbound_states;

 private:
  Session& session_;
};

// --- Where channel callbacks run ------------------------------------------------

// OnBound runs on the RegisterDriver caller for a channel announced before
// the driver came, OnUnbound on the Stop() caller, with the accessors
// readable from both (issue #10: state() took control_mutex_, which Stop()
// holds around OnUnbound, and deadlocked).
TEST(SessionCallbacks, BoundOnRegisterCallerUnboundOnStopCallerAccessorsDoNotDeadlock) {
  Fixture f;
  Session& s = *f.session;
  ASSERT_TRUE(s.Boot(Image()).ok()) << s.rproc().error_detail();
  // The remote announced its echo service: a channel waiting for a driver.
  ASSERT_TRUE(WaitUntil([&] { return s.bus().channel_count() == 1; }));

  ThreadRecordingDriver driver(s);
  ASSERT_TRUE(s.RegisterDriver(kEcho, driver).ok());
  ASSERT_EQ(driver.binds(), 1u);
  EXPECT_EQ(driver.bound_threads[0], std::this_thread::get_id());
  EXPECT_EQ(driver.bound_states[0], State::kRunning);

  std::thread::id stopper;
  FinishesWithin(10s, "Stop() with the accessors in OnUnbound", [&] {
    stopper = std::this_thread::get_id();
    EXPECT_TRUE(s.Stop().ok());
  });
  ASSERT_EQ(driver.unbinds(), 1u);
  EXPECT_EQ(driver.unbound_threads[0], stopper);
  EXPECT_EQ(driver.unbound_states[0], State::kRunning);  // the last completed step
  EXPECT_EQ(s.state(), State::kOffline);
  EXPECT_TRUE(s.last_stop().graceful);
  s.UnregisterDriver(driver);
}

// A channel the remote announces while the driver is registered is bound on
// the event thread (not the caller); after a crash OnUnbound runs on the
// control worker (recovery), which is neither, and may read the accessors.
TEST(SessionCallbacks, BoundOnEventThreadUnboundOnTheCrashWorker) {
  Fixture f;
  Session& s = *f.session;
  ThreadRecordingDriver driver(s);
  ASSERT_TRUE(s.RegisterDriver(kEcho, driver).ok());
  ASSERT_TRUE(s.Boot(Image()).ok());
  ASSERT_TRUE(WaitUntil([&] { return driver.binds() == 1; }));
  const std::thread::id event_thread = driver.bound_threads[0];
  EXPECT_NE(event_thread, std::this_thread::get_id());

  f.fake->Crash();
  FinishesWithin(10s, "crash recovery with the accessors in OnUnbound",
                 [&] { ASSERT_TRUE(s.WaitForCrashes(1, 5s)); });
  ASSERT_EQ(driver.unbinds(), 1u);
  EXPECT_NE(driver.unbound_threads[0], std::this_thread::get_id());
  EXPECT_NE(driver.unbound_threads[0], event_thread);  // the control worker
  EXPECT_EQ(driver.unbound_states[0], State::kRunning);
  EXPECT_EQ(s.state(), State::kRunning);
  EXPECT_EQ(s.last_crash().reason, remoteproc::CrashReason::kFault);
  EXPECT_TRUE(s.last_recovery().ok());
  ASSERT_TRUE(s.last_core_exit().has_value());
  EXPECT_TRUE(s.last_core_exit()->IsCrash());
  // Recovery booted a new core, which announced again: bound anew.
  EXPECT_EQ(f.fake->boots(), 2u);
  ASSERT_TRUE(WaitUntil([&] { return driver.binds() == 2; }));
  ASSERT_TRUE(s.Stop().ok());
  s.UnregisterDriver(driver);
}

// --- ChannelPort against unbind ---------------------------------------------------

// Issue #10: ChannelPort used its Channel* while OnUnbound could free or
// reuse it. A Send blocked for a tx buffer (the remote stopped consuming)
// when Stop() or a crash unbinds the channel is aborted by the vdev reset
// (long before its timeout), OnUnbound waits for it, and later Sends are
// refused until the channel is bound again.
TEST(SessionChannelPort, BlockedSendIsAbortedByStopAndByCrash) {
  Fixture f;
  Session& s = *f.session;
  ChannelPort echo(s, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  const auto image = Image();
  ASSERT_TRUE(s.Boot(image).ok());
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  ExpectEcho(echo, *f.fake, "before");

  for (const bool by_crash : {false, true}) {
    SCOPED_TRACE(by_crash ? "crash" : "stop");
    f.fake->SetConsuming(false);
    // Take the whole tx pool: the remote returns nothing any more.
    std::uint32_t filled = 0;
    while (filled <= kTxBuffers && echo.Send(Bytes("fill"), rpmsg::Timeout::None()).ok()) {
      ++filled;
    }
    ASSERT_GT(filled, 0u);
    ASSERT_LE(filled, kTxBuffers);
    EXPECT_EQ(echo.Send(Bytes("full"), rpmsg::Timeout::None()).code(), StatusCode::kUnavailable);
    std::promise<Status> blocked_result;
    auto blocked = blocked_result.get_future();
    const auto start = std::chrono::steady_clock::now();
    std::thread sender([&] {
      blocked_result.set_value(echo.Send(Bytes("blocked"), rpmsg::Timeout::Seconds(30)));
    });
    // Let the sender reach its wait for a buffer. Nothing outside the bus
    // shows a blocked sender, so this is a pause, not a condition; it only
    // has to be long enough that the send started before the reset (if it
    // had not, it would fail kFailedPrecondition and the test with it).
    std::this_thread::sleep_for(200ms);
    ASSERT_EQ(blocked.wait_for(0s), std::future_status::timeout);  // still blocked
    const std::uint32_t unbinds = echo.unbinds();
    if (by_crash) {
      f.fake->Crash();
      ASSERT_TRUE(s.WaitForCrashes(1, 5s));
    } else {
      ASSERT_TRUE(s.Stop().ok());
    }
    ASSERT_EQ(blocked.wait_for(5s), std::future_status::ready);
    sender.join();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
    EXPECT_EQ(blocked.get().code(), StatusCode::kAborted);
    EXPECT_EQ(echo.unbinds(), unbinds + 1);
    f.fake->SetConsuming(true);  // for the next core
    if (!by_crash) {
      EXPECT_FALSE(echo.bound());
      EXPECT_EQ(echo.Send(Bytes("unbound"), rpmsg::Timeout::None()).code(),
                StatusCode::kFailedPrecondition);
      ASSERT_TRUE(s.Boot(image).ok());
    }
    // Stopped and booted, or recovered: a fresh core, consuming again.
    ASSERT_TRUE(WaitBindsAtLeast(echo, unbinds + 2));
    ExpectEcho(echo, *f.fake, by_crash ? "after the crash" : "after the stop");
  }
  EXPECT_EQ(f.fake->boots(), 3u);
  ASSERT_TRUE(s.Stop().ok());
}

// Senders on two threads hammer the port across stop/boot and crash/
// recovery cycles: every send is ok or refused with kFailedPrecondition /
// kAborted / kDeadlineExceeded, every message the remote got is one that
// was sent, and the port works afterwards. Under the tsan preset this also
// checks that no Send touches a Channel after its OnUnbound.
TEST(SessionChannelPort, SendsRacingStopAndCrashSeeOnlyCleanErrors) {
  Fixture f;
  Session& s = *f.session;
  ChannelPort echo(s, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  const auto image = Image();
  ASSERT_TRUE(s.Boot(image).ok());
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::atomic<int> sent{0};
  auto sender = [&](const std::string text) {
    std::vector<std::byte> in(512);
    while (!stop.load()) {
      const Status st = echo.Send(Bytes(text), rpmsg::Timeout::Milliseconds(200));
      if (st.ok()) {
        sent.fetch_add(1);
        (void)echo.Receive(in, rpmsg::Timeout::None());
      } else if (st.code() != StatusCode::kFailedPrecondition &&
                 st.code() != StatusCode::kAborted && st.code() != StatusCode::kDeadlineExceeded) {
        bad.fetch_add(1);
      }
    }
  };
  std::thread a(sender, "race a"), b(sender, "race b");
  constexpr std::uint32_t kCycles = 6;
  for (std::uint32_t cycle = 0; cycle < kCycles; ++cycle) {
    const int before = sent.load();
    ASSERT_TRUE(WaitUntil([&] { return sent.load() > before; }));  // traffic flows
    if (cycle % 2 == 0) {
      ASSERT_TRUE(s.Stop().ok());
      ASSERT_TRUE(s.Boot(image).ok());
    } else {
      f.fake->Crash();
      ASSERT_TRUE(s.WaitForCrashes(cycle / 2 + 1, 5s));
      ASSERT_EQ(s.state(), State::kRunning);
    }
    ASSERT_TRUE(echo.WaitBound(5s).ok());
  }
  stop = true;
  a.join();
  b.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(echo.unbinds(), kCycles);
  EXPECT_EQ(f.fake->boots(), kCycles + 1);
  for (const std::string& text : f.fake->echoed()) {
    EXPECT_TRUE(text == "race a" || text == "race b") << text;
  }
  // The last echoes of the race may still come back: drain them.
  std::vector<std::byte> in(512);
  while (echo.Receive(in, rpmsg::Timeout::Milliseconds(100)).ok()) {
  }
  ExpectEcho(echo, *f.fake, "after the race");
  ASSERT_TRUE(s.Stop().ok());
}

// --- Platform Send against Detach --------------------------------------------------

// Issue #10 (LinuxPlatform::Send used the mailbox Detach replaces): a thread
// rings the doorbell through the session's platform across detach/attach
// cycles. Every Send is delivered or refused with kAborted, the core keeps
// running throughout (never rebooted), and the link works after each attach.
TEST(SessionPlatform, SendRacingDetachIsDeliveredOrAborted) {
  Fixture f;
  Session& s = *f.session;
  ChannelPort echo(s, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(s.Boot(Image()).ok());
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::atomic<int> delivered{0};
  std::atomic<int> aborted{0};
  std::thread ringer([&] {
    while (!stop.load()) {
      const Status st = s.platform().Send(0);  // vring 0's notifyid: a harmless kick
      if (st.ok()) {
        delivered.fetch_add(1);
      } else if (st.code() == StatusCode::kAborted) {
        aborted.fetch_add(1);
      } else {
        bad.fetch_add(1);
      }
    }
  });
  for (std::uint32_t cycle = 0; cycle < 5; ++cycle) {
    ASSERT_TRUE(s.Detach().ok());
    EXPECT_EQ(s.state(), State::kDetached);
    EXPECT_TRUE(f.fake->core_running());
    ASSERT_TRUE(s.Attach().ok()) << s.rproc().error_detail();
    ASSERT_TRUE(WaitBindsAtLeast(echo, cycle + 2));
    ExpectEcho(echo, *f.fake, "attached " + std::to_string(cycle));
  }
  stop = true;
  ringer.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(delivered.load(), 0);
  EXPECT_EQ(f.fake->boots(), 1u);  // attached every time, never rebooted
  ASSERT_TRUE(s.Stop().ok());
  EXPECT_EQ(s.platform().Send(0).code(), StatusCode::kAborted);  // no core any more
}

// --- Attach(image) and recovery -------------------------------------------------

// Issue #10: Attach(image) kept the image but never used it, and a crashed
// attached remote stayed crashed. Now it is recovered by a cold boot of that
// image, on the control worker.
TEST(SessionAttach, AttachedRemoteWithImageIsRecoveredByAColdBoot) {
  Fixture f;
  Session& s = *f.session;
  ChannelPort echo(s, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(s.Boot(Image()).ok());
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  ASSERT_TRUE(s.Detach().ok());
  ASSERT_TRUE(s.Attach(Image()).ok()) << s.rproc().error_detail();
  EXPECT_EQ(s.state(), State::kAttached);
  ASSERT_TRUE(WaitBindsAtLeast(echo, 2));
  ExpectEcho(echo, *f.fake, "attached");
  EXPECT_EQ(f.fake->boots(), 1u);

  f.fake->Crash();
  ASSERT_TRUE(s.WaitForCrashes(1, 5s));
  EXPECT_EQ(s.state(), State::kRunning);  // booted, no longer attached
  EXPECT_TRUE(s.last_recovery().ok()) << s.last_recovery().message();
  EXPECT_EQ(s.last_crash().reason, remoteproc::CrashReason::kFault);
  EXPECT_EQ(f.fake->boots(), 2u);  // a cold boot of the image
  ASSERT_TRUE(WaitBindsAtLeast(echo, 3));
  ExpectEcho(echo, *f.fake, "recovered from the attach image");
  ASSERT_TRUE(s.Stop().ok());
}

// Without an image there is nothing to boot: the attached remote stays
// crashed (and the core is not restarted), until the caller acts. (Its
// channels stay bound until then, as Linux leaves the subdevices of a
// crashed remote it does not recover.)
TEST(SessionAttach, AttachedRemoteWithoutImageStaysCrashed) {
  Fixture f;
  Session& s = *f.session;
  ChannelPort echo(s, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(s.Boot(Image()).ok());
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  ASSERT_TRUE(s.Detach().ok());
  ASSERT_TRUE(s.Attach().ok()) << s.rproc().error_detail();
  ASSERT_TRUE(WaitBindsAtLeast(echo, 2));

  f.fake->Crash();
  ASSERT_TRUE(s.WaitForCrashes(1, 5s));
  EXPECT_EQ(s.state(), State::kCrashed);
  EXPECT_TRUE(s.last_recovery().Is(remoteproc::error::kCannotRecoverAttached));
  EXPECT_EQ(f.fake->boots(), 1u);
  EXPECT_FALSE(f.fake->core_running());
  // Issue #11: the dead attached remote still has a post-mortem and a core,
  // of x86-64's class (ELF64) since no image said otherwise.
  ASSERT_TRUE(s.last_postmortem().has_value());
  EXPECT_TRUE(s.last_postmortem()->core_status.ok());
  auto core = s.CoredumpBytes();
  ASSERT_TRUE(core.ok()) << core.status().message();
  auto parsed = elf::ElfFile::Parse(*core);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->is_64bit());
  EXPECT_EQ(parsed->machine(), elf::kMachineX86_64);
  ASSERT_TRUE(s.Stop().ok());
  ASSERT_TRUE(s.Boot(Image()).ok());  // the caller's cold boot
  ASSERT_TRUE(WaitBindsAtLeast(echo, 3));
  ExpectEcho(echo, *f.fake, "booted by the caller");
  ASSERT_TRUE(s.Stop().ok());
}

// --- A remote that stops consuming ------------------------------------------------

// A remote that leaves what the host sent unconsumed for progress_limit is
// a crash (the link stalled), found by the control worker's progress check
// and recovered like any other.
TEST(SessionProgress, RemoteThatStopsConsumingIsACrashAndIsRecovered) {
  SessionOptions options;
  options.progress_limit = 200ms;
  Fixture f(options);
  Session& s = *f.session;
  ChannelPort echo(s, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(s.Boot(Image()).ok());
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  ExpectEcho(echo, *f.fake, "while it consumes");

  f.fake->SetConsuming(false);
  ASSERT_TRUE(echo.Send(Bytes("never consumed"), rpmsg::Timeout::Seconds(1)).ok());
  ASSERT_TRUE(s.WaitForCrashes(1, 5s));
  EXPECT_EQ(s.last_crash().reason, remoteproc::CrashReason::kLinkBroken);
  EXPECT_EQ(s.state(), State::kRunning);
  EXPECT_EQ(f.fake->boots(), 2u);
  f.fake->SetConsuming(true);
  ASSERT_TRUE(WaitBindsAtLeast(echo, 2));
  ExpectEcho(echo, *f.fake, "after the stall");
  EXPECT_EQ(f.fake->echoed().size(), 2u);  // the stalled message never reached the service
  ASSERT_TRUE(s.Stop().ok());
}

// --- Blocking sends inside callbacks ------------------------------------------------

// A driver whose OnBound sends `count` messages on the channel, each with
// `timeout`, recording the results: a blocking send inside a callback.
class SendingDriver final : public rpmsg::ChannelHandler {
 public:
  SendingDriver(std::uint32_t count, rpmsg::Timeout timeout) : count_(count), timeout_(timeout) {}
  void OnBound(rpmsg::Channel& channel) override {
    if (done_.load()) return;  // only the first binding
    for (std::uint32_t i = 0; i < count_; ++i) {
      const std::string text = "in callback " + std::to_string(i);
      const Status s = channel.Send(Bytes(text), timeout_);
      std::lock_guard lock(mutex_);
      results_.push_back(s);
      if (!s.ok()) break;
    }
    done_.store(true);
  }
  void OnUnbound(rpmsg::Channel&) override {}

  bool done() const { return done_.load(); }
  std::vector<Status> results() const {
    std::lock_guard lock(mutex_);
    return results_;
  }
  std::size_t sent() const {
    std::lock_guard lock(mutex_);
    return results_.size();
  }

 private:
  const std::uint32_t count_;
  const rpmsg::Timeout timeout_;
  mutable std::mutex mutex_;
  std::vector<Status> results_;
  std::atomic<bool> done_{false};
};

// Issue #10: a blocking send inside a callback (on the thread in Poll())
// with the tx pool empty slept until its timeout, because only the poller
// reclaims tx buffers and it was the one blocked (before the fix each send
// that finds the pool empty returns only at its deadline, having reclaimed
// the pool then). The remote consumes everything; two pools' worth of sends
// from OnBound must all go through quickly, in order.
TEST(SessionCallbackSends, BlockingSendInCallbackWithEmptyPoolReclaimsBuffers) {
  Fixture f;
  Session& s = *f.session;
  constexpr std::uint32_t kCount = 2 * kTxBuffers;
  SendingDriver driver(kCount, rpmsg::Timeout::Seconds(10));
  ASSERT_TRUE(s.RegisterDriver(kEcho, driver).ok());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(s.Boot(Image()).ok());
  ASSERT_TRUE(WaitUntil([&] { return driver.done(); }, 15s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  const std::vector<Status> results = driver.results();
  ASSERT_EQ(results.size(), kCount);
  for (const Status& r : results) EXPECT_TRUE(r.ok()) << r.message();
  ASSERT_TRUE(f.fake->WaitForEchoed(kCount, 5s));
  const std::vector<std::string> echoed = f.fake->echoed();
  for (std::uint32_t i = 0; i < kCount; ++i) {
    EXPECT_EQ(echoed[i], "in callback " + std::to_string(i));
  }
  ASSERT_TRUE(s.Stop().ok());
  s.UnregisterDriver(driver);
}

// Issue #10: Stop() and crash recovery while a callback is stuck in a
// blocking send (the remote consumes nothing, the tx pool is empty) waited
// for that send's timeout: the vdev reset needs poll_mutex_, which the
// stuck callback's thread holds. The reset must abort the send first.
TEST(SessionCallbackSends, StopAndRecoveryAbortACallbackStuckInABlockingSend) {
  // Stop: the callback is stuck on the event thread (OnBound of an
  // announcement).
  {
    Fixture f;
    Session& s = *f.session;
    SendingDriver driver(kTxBuffers + 1, rpmsg::Timeout::Seconds(60));
    ASSERT_TRUE(s.RegisterDriver(kEcho, driver).ok());
    f.fake->SetConsuming(false);  // from the start: the pool empties after kTxBuffers sends
    ASSERT_TRUE(s.Boot(Image()).ok());
    ASSERT_TRUE(WaitUntil([&] { return driver.sent() == kTxBuffers; }));
    const auto start = std::chrono::steady_clock::now();
    FinishesWithin(30s, "Stop() with a callback stuck in a send",
                   [&] { EXPECT_TRUE(s.Stop().ok()); });
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    ASSERT_TRUE(driver.done());
    const std::vector<Status> results = driver.results();
    ASSERT_EQ(results.size(), kTxBuffers + 1);
    EXPECT_EQ(results.back().code(), StatusCode::kAborted);
    EXPECT_EQ(s.state(), State::kOffline);
    s.UnregisterDriver(driver);
  }
  // Recovery: the callback is stuck on the RegisterDriver caller (OnBound
  // of a channel announced before), so the crash reaches the worker.
  {
    Fixture f;
    Session& s = *f.session;
    f.fake->SetConsuming(false);  // from the start: the pool empties after kTxBuffers sends
    ASSERT_TRUE(s.Boot(Image()).ok());
    ASSERT_TRUE(WaitUntil([&] { return s.bus().channel_count() == 1; }));
    SendingDriver driver(kTxBuffers + 1, rpmsg::Timeout::Seconds(60));
    std::thread registrar([&] { EXPECT_TRUE(s.RegisterDriver(kEcho, driver).ok()); });
    ASSERT_TRUE(WaitUntil([&] { return driver.sent() == kTxBuffers; }));
    const auto start = std::chrono::steady_clock::now();
    f.fake->Crash();
    FinishesWithin(30s, "recovery with a callback stuck in a send",
                   [&] { EXPECT_TRUE(s.WaitForCrashes(1, 20s)); });
    registrar.join();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    const std::vector<Status> results = driver.results();
    ASSERT_EQ(results.size(), kTxBuffers + 1);
    EXPECT_EQ(results.back().code(), StatusCode::kAborted);
    EXPECT_EQ(s.state(), State::kRunning);
    EXPECT_EQ(f.fake->boots(), 2u);
    ChannelPort echo(s, kEcho);  // the session works afterwards
    f.fake->SetConsuming(true);
    ASSERT_TRUE(s.Stop().ok());
    s.UnregisterDriver(driver);
    ASSERT_TRUE(echo.Register().ok());
    ASSERT_TRUE(s.Boot(Image()).ok());
    ASSERT_TRUE(echo.WaitBound(5s).ok());
    ExpectEcho(echo, *f.fake, "after the stuck send");
    ASSERT_TRUE(s.Stop().ok());
  }
}

// --- Post-mortem (issue #11) ---------------------------------------------------------

namespace pm {

constexpr std::uint64_t kMarkDa = fw::kCodeDa + 0x4000;  // inside "code", not the image
constexpr char kMark[] = "the crash left this";
constexpr char kTraceText[] = "remote: about to fault\n";

// The fake core announced its echo service: it is past reading its table.
// (Stopping or crashing a core while it starts would race with that read,
// which a real core, another process, may do; the fake is a thread.)
bool Announced(Session& s) {
  return WaitUntil([&] { return s.bus().channel_count() == 1; });
}

// Writes what the "remote" leaves behind: a mark in its memory and a line
// in its trace buffer. Only while no lifecycle call runs (rproc()).
void LeaveTraces(Session& s) {
  auto mark = s.rproc().Translate(kMarkDa, sizeof(kMark));
  ASSERT_TRUE(mark.ok());
  ASSERT_TRUE(mark->WriteBytes(0, AsBytes(kMark, sizeof(kMark))).ok());
  // As the firmware's writer: the buffer cleared, then the text.
  auto trace = s.rproc().Translate(fw::kTraceDa, fw::kTraceLen);
  ASSERT_TRUE(trace.ok());
  ASSERT_TRUE(trace->Fill(0, fw::kTraceLen, std::byte{0}).ok());
  ASSERT_TRUE(trace->WriteBytes(0, AsBytes(kTraceText, sizeof(kTraceText))).ok());
}

// The core holds the mark at its device address.
bool CoreHoldsMark(const elf::ElfFile& core) {
  for (std::size_t i = 0; i < core.program_header_count(); ++i) {
    const auto ph = core.program_header(i);
    if (!ph.ok() || ph->type != elf::kPtLoad) continue;
    if (kMarkDa < ph->paddr || kMarkDa + sizeof(kMark) > ph->paddr + ph->filesz) continue;
    const auto data = core.SegmentData(*ph);
    if (!data.ok()) return false;
    return std::memcmp(data->data() + (kMarkDa - ph->paddr), kMark, sizeof(kMark)) == 0;
  }
  return false;
}

}  // namespace pm

// The worker keeps the post-mortem of a crash before recovery reloads the
// remote: the crash, the core's exit, the trace and a core of the memory
// as the crash left it, with notes gdb and a reader need.
TEST(SessionPostMortem, CrashKeepsTraceAndCoreOfTheDeadRemoteAcrossRecovery) {
  SessionOptions options;
  options.name = "pm-remote";
  Fixture f(options);
  Session& s = *f.session;
  EXPECT_FALSE(s.last_postmortem().has_value());
  EXPECT_EQ(s.coredump_policy(), CoredumpPolicy::kEnabled);
  ASSERT_TRUE(s.Boot(Image64(), "/lib/firmware/pm.elf").ok()) << s.rproc().error_detail();
  ASSERT_TRUE(pm::Announced(s));
  pm::LeaveTraces(s);
  const auto before = std::chrono::system_clock::now();
  f.fake->Crash();
  ASSERT_TRUE(s.WaitForCrashes(1, 5s));
  EXPECT_EQ(s.state(), State::kRunning);
  EXPECT_EQ(f.fake->boots(), 2u);

  const auto kept = s.last_postmortem();
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->sequence, 1u);
  EXPECT_EQ(kept->crash.reason, remoteproc::CrashReason::kFault);
  EXPECT_EQ(kept->crash.count, 1u);
  EXPECT_GE(kept->when, before);
  EXPECT_EQ(kept->name, "pm-remote");
  EXPECT_EQ(kept->firmware, "/lib/firmware/pm.elf");
  ASSERT_TRUE(kept->exit.has_value());
  EXPECT_EQ(kept->exit->signal, SIGSEGV);
  EXPECT_TRUE(kept->trace_status.ok()) << kept->trace_status.message();
  EXPECT_EQ(kept->trace, pm::kTraceText);
  ASSERT_TRUE(kept->core_status.ok()) << kept->core_status.message();

  auto core = elf::ElfFile::Parse(kept->core);
  ASSERT_TRUE(core.ok()) << core.status().message();
  EXPECT_TRUE(core->is_64bit());
  EXPECT_EQ(core->machine(), elf::kMachineX86_64);
  EXPECT_TRUE(pm::CoreHoldsMark(*core));
  const auto notes = tandem::testing::ReadCoreNotes(*core);
  ASSERT_TRUE(notes.has_value());
  const auto* prstatus = tandem::testing::FindNote(*notes, "CORE", remoteproc::kNtPrstatus);
  ASSERT_NE(prstatus, nullptr);
  ASSERT_EQ(prstatus->desc.size(), 336u);                              // x86-64's elf_prstatus
  EXPECT_EQ(prstatus->desc[12] | (prstatus->desc[13] << 8), SIGSEGV);  // pr_cursig
  const auto* psinfo = tandem::testing::FindNote(*notes, "CORE", remoteproc::kNtPrpsinfo);
  ASSERT_NE(psinfo, nullptr);
  EXPECT_EQ(tandem::testing::NoteString(*psinfo, 40, 16), "pm.elf");  // pr_fname
  const auto* own =
      tandem::testing::FindNote(*notes, remoteproc::kTandemNoteOwner, remoteproc::kNtTandemRemote);
  ASSERT_NE(own, nullptr);
  auto fields = tandem::testing::TandemFields(*own);
  EXPECT_EQ(fields["name"], "pm-remote");
  EXPECT_EQ(fields["firmware"], "/lib/firmware/pm.elf");
  EXPECT_EQ(fields["state"], "crashed");
  EXPECT_EQ(fields["crash_reason"], "fault");
  EXPECT_EQ(fields["signal"], std::to_string(SIGSEGV));

  // A second crash replaces it; Stop() keeps it.
  ASSERT_TRUE(pm::Announced(s));
  f.fake->Crash();
  ASSERT_TRUE(s.WaitForCrashes(2, 5s));
  ASSERT_TRUE(pm::Announced(s));
  ASSERT_TRUE(s.Stop().ok());
  ASSERT_TRUE(s.last_postmortem().has_value());
  EXPECT_EQ(s.last_postmortem()->sequence, 2u);
}

// Linux's coredump knob: disabled keeps everything but the core; it can be
// changed between crashes.
TEST(SessionPostMortem, CoredumpDisabledKeepsNoCoreUntilEnabled) {
  SessionOptions options;
  options.coredump = CoredumpPolicy::kDisabled;
  Fixture f(options);
  Session& s = *f.session;
  EXPECT_EQ(s.coredump_policy(), CoredumpPolicy::kDisabled);
  EXPECT_STREQ(CoredumpPolicyName(s.coredump_policy()), "disabled");
  ASSERT_TRUE(s.Boot(Image64()).ok());
  ASSERT_TRUE(pm::Announced(s));
  pm::LeaveTraces(s);
  f.fake->Crash();
  ASSERT_TRUE(s.WaitForCrashes(1, 5s));
  auto kept = s.last_postmortem();
  ASSERT_TRUE(kept.has_value());
  EXPECT_TRUE(kept->core.empty());
  EXPECT_TRUE(kept->core_status.Is(kCoredumpDisabled)) << kept->core_status.message();
  EXPECT_EQ(kept->trace, pm::kTraceText);

  s.SetCoredump(CoredumpPolicy::kEnabled);
  ASSERT_TRUE(pm::Announced(s));
  f.fake->Crash();
  ASSERT_TRUE(s.WaitForCrashes(2, 5s));
  kept = s.last_postmortem();
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->sequence, 2u);
  EXPECT_TRUE(kept->core_status.ok());
  EXPECT_FALSE(kept->core.empty());
  ASSERT_TRUE(pm::Announced(s));
  ASSERT_TRUE(s.Stop().ok());
}

TEST(SessionPostMortem, CoreLargerThanTheBoundIsNotKept) {
  SessionOptions options;
  options.max_postmortem_core = 4096;
  Fixture f(options);
  Session& s = *f.session;
  ASSERT_TRUE(s.Boot(Image64()).ok());
  ASSERT_TRUE(pm::Announced(s));
  f.fake->Crash();
  ASSERT_TRUE(s.WaitForCrashes(1, 5s));
  const auto kept = s.last_postmortem();
  ASSERT_TRUE(kept.has_value());
  EXPECT_TRUE(kept->core.empty());
  EXPECT_TRUE(kept->core_status.Is(kPostMortemCoreTooLarge)) << kept->core_status.message();
  EXPECT_EQ(kept->crash.reason, remoteproc::CrashReason::kFault);
  ASSERT_TRUE(pm::Announced(s));
  ASSERT_TRUE(s.Stop().ok());
}

// Issue #11: "trace and coredump of the dead remote fail". A remote left
// crashed (recovery off) keeps its memory mapped until Stop/Recover: both
// read it, and the core says it crashed and of which signal.
TEST(SessionPostMortem, RemoteLeftCrashedStillGivesTraceAndCoredump) {
  SessionOptions options;
  options.recovery = false;
  Fixture f(options);
  Session& s = *f.session;
  ASSERT_TRUE(s.Boot(Image64(), "fw.elf").ok());
  ASSERT_TRUE(pm::Announced(s));
  pm::LeaveTraces(s);
  f.fake->Crash();
  ASSERT_TRUE(s.WaitForCrashes(1, 5s));
  ASSERT_EQ(s.state(), State::kCrashed);
  EXPECT_FALSE(f.fake->core_running());

  auto trace = s.Trace();
  ASSERT_TRUE(trace.ok()) << trace.status().message();
  EXPECT_EQ(*trace, pm::kTraceText);
  auto bytes = s.CoredumpBytes();
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  auto core = elf::ElfFile::Parse(*bytes);
  ASSERT_TRUE(core.ok());
  EXPECT_TRUE(pm::CoreHoldsMark(*core));
  const auto notes = tandem::testing::ReadCoreNotes(*core);
  ASSERT_TRUE(notes.has_value());
  const auto* prstatus = tandem::testing::FindNote(*notes, "CORE", remoteproc::kNtPrstatus);
  ASSERT_NE(prstatus, nullptr);
  EXPECT_EQ(prstatus->desc[12] | (prstatus->desc[13] << 8), SIGSEGV);
  auto fields = tandem::testing::TandemFields(*tandem::testing::FindNote(
      *notes, remoteproc::kTandemNoteOwner, remoteproc::kNtTandemRemote));
  EXPECT_EQ(fields["state"], "crashed");
  EXPECT_EQ(fields["firmware"], "fw.elf");
  // The same bytes as the post-mortem's (nothing ran since), and on disk.
  EXPECT_EQ(*bytes, s.last_postmortem()->core);
  const std::string path = ::testing::TempDir() + "/session-pm-" + std::to_string(getpid());
  ASSERT_TRUE(s.Coredump(path).ok());
  auto file = Session::ReadFile(path);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(*file, *bytes);
  std::remove(path.c_str());

  // Recovered by hand: a running remote's core has no crash in it.
  ASSERT_TRUE(s.Recover().ok());
  ASSERT_TRUE(pm::Announced(s));
  bytes = s.CoredumpBytes();
  ASSERT_TRUE(bytes.ok());
  core = elf::ElfFile::Parse(*bytes);
  ASSERT_TRUE(core.ok());
  fields = tandem::testing::TandemFields(
      *tandem::testing::FindNote(tandem::testing::ReadCoreNotes(*core).value(),
                                 remoteproc::kTandemNoteOwner, remoteproc::kNtTandemRemote));
  EXPECT_EQ(fields["state"], "running");
  EXPECT_EQ(fields["signal"], "0");
  ASSERT_TRUE(s.Stop().ok());
  EXPECT_EQ(s.CoredumpBytes().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.last_postmortem()->sequence, 1u);
}

// --- Inspection (tandem rings / rsc) --------------------------------------------------

// Rings() shows the live rings, read-only: the shared indices as read, the
// host's shadows, free and in-flight descriptors, the counters; reading
// changes nothing and traffic goes on.
TEST(SessionInspect, RingsAreAReadOnlyViewOfTheLiveLink) {
  Fixture f;
  Session& s = *f.session;
  EXPECT_EQ(s.Rings().status().code(), StatusCode::kFailedPrecondition);  // offline
  ChannelPort echo(s, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(s.Boot(Image64()).ok());
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  for (int i = 0; i < 3; ++i) ExpectEcho(echo, *f.fake, "inspect " + std::to_string(i));
  // The remote returned every tx buffer (its used index) once it echoed.
  ASSERT_TRUE(WaitUntil([&] {
    auto r = s.Rings();
    return r.ok() && r->vrings[1].used_idx == 3;
  }));

  auto rings = s.Rings();
  ASSERT_TRUE(rings.ok()) << rings.status().message();
  EXPECT_EQ(rings->state, "running");
  EXPECT_TRUE(rings->link_up);
  EXPECT_EQ(rings->link_status, "ok");
  EXPECT_EQ(rings->buffer_count, 2 * fw::kVringNum);
  EXPECT_EQ(rings->buffer_size, fw::kLinkBufferSize);
  ASSERT_EQ(rings->vrings.size(), 2u);
  for (const VringReport& v : rings->vrings) {
    SCOPED_TRACE(v.direction);
    EXPECT_EQ(v.size, fw::kVringNum);
    EXPECT_EQ(v.align, fw::kVringAlign);
    EXPECT_NE(v.da, 0u);
    EXPECT_TRUE(v.read_error.empty()) << v.read_error;
    EXPECT_TRUE(v.driver_started);
    EXPECT_FALSE(v.broken);
    EXPECT_EQ(v.avail_idx, v.avail_shadow);  // what the host published, read back
    EXPECT_EQ(v.in_flight, v.size - v.free);
  }
  const VringReport& rx = rings->vrings[0];
  EXPECT_EQ(rx.direction, "remote->host");
  EXPECT_EQ(rx.free, 0u);  // every receive buffer is posted
  EXPECT_EQ(rx.in_flight, fw::kVringNum);
  const VringReport& tx = rings->vrings[1];
  EXPECT_EQ(tx.direction, "host->remote");
  EXPECT_EQ(tx.avail_idx, 3u);  // three messages sent
  EXPECT_EQ(rings->stats.tx_messages, 3u);
  EXPECT_GE(rings->stats.rx_messages, 3u);

  // Reading again changes nothing, and the link still works.
  auto again = s.Rings();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->vrings[1].avail_idx, tx.avail_idx);
  EXPECT_EQ(again->vrings[1].avail_shadow, tx.avail_shadow);
  EXPECT_EQ(again->stats.tx_messages, rings->stats.tx_messages);
  EXPECT_EQ(again->stats.notifications, rings->stats.notifications);
  ExpectEcho(echo, *f.fake, "still talking");

  const std::string text = FormatRings(*rings);
  EXPECT_NE(text.find("vring0 remote->host"), std::string::npos) << text;
  EXPECT_NE(text.find("vring1 host->remote"), std::string::npos) << text;
  EXPECT_NE(text.find("link up"), std::string::npos) << text;
  ASSERT_TRUE(s.Stop().ok());
  EXPECT_EQ(s.Rings().status().code(), StatusCode::kFailedPrecondition);
}

// A ring the remote corrupted is shown broken, with the reason the host
// latched; a remote left crashed can still be inspected.
TEST(SessionInspect, RingsShowTheRingTheRemoteBroke) {
  SessionOptions options;
  options.recovery = false;
  Fixture f(options);
  Session& s = *f.session;
  ChannelPort echo(s, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(s.Boot(Image64()).ok());
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  ExpectEcho(echo, *f.fake, "before");
  f.fake->SetConsuming(false);
  // The "remote" publishes a used index far past what it was given.
  shm::Region ring = s.rproc().vdev()->vring[1].ring;
  auto layout = virtio::RingLayout::Compute(fw::kVringNum, fw::kVringAlign);
  ASSERT_TRUE(layout.ok());
  ASSERT_TRUE(ring.PublishLe16(layout->used_idx(), 1000).ok());
  ASSERT_TRUE(echo.Send(Bytes("into a broken ring"), rpmsg::Timeout::Seconds(1)).ok());
  (void)s.PollNow();
  ASSERT_TRUE(s.WaitForCrashes(1, 5s));
  ASSERT_EQ(s.state(), State::kCrashed);
  EXPECT_EQ(s.last_crash().reason, remoteproc::CrashReason::kLinkBroken);

  auto rings = s.Rings();
  ASSERT_TRUE(rings.ok()) << rings.status().message();
  EXPECT_EQ(rings->state, "crashed");
  EXPECT_FALSE(rings->link_up);
  EXPECT_FALSE(rings->vrings[0].broken);
  EXPECT_TRUE(rings->vrings[1].broken);
  EXPECT_FALSE(rings->vrings[1].broken_reason.empty());
  EXPECT_EQ(rings->vrings[1].used_idx, 1000u);  // as read, not trusted
  EXPECT_NE(FormatRings(*rings).find("BROKEN"), std::string::npos);
  f.fake->SetConsuming(true);
  ASSERT_TRUE(s.Stop().ok());
}

// ResourceTable() is the table as loaded: what the host placed filled in.
TEST(SessionInspect, ResourceTableIsTheTableAsLoaded) {
  Fixture f;
  Session& s = *f.session;
  EXPECT_EQ(s.ResourceTable().status().code(), StatusCode::kFailedPrecondition);
  ChannelPort echo(s, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(s.Boot(Image64()).ok());
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  auto table = s.ResourceTable();
  ASSERT_TRUE(table.ok()) << table.status().message();
  EXPECT_EQ(table->da, fw::kTableDa);
  EXPECT_EQ(table->size, fw::LinkTable().size());
  EXPECT_EQ(table->version, 1u);
  ASSERT_EQ(table->entries.size(), 4u);

  const auto& code = table->entries[0];
  EXPECT_EQ(code.kind, "carveout");
  ASSERT_TRUE(code.carveout.has_value());
  EXPECT_EQ(code.carveout->name, "code");
  EXPECT_EQ(code.carveout->da, fw::kCodeDa);
  EXPECT_EQ(code.carveout->len, fw::kCodeLen);
  const auto& buffers = table->entries[1];
  ASSERT_TRUE(buffers.carveout.has_value());
  EXPECT_EQ(buffers.carveout->name, "vdev0buffer");
  EXPECT_NE(buffers.carveout->da, rsc::kAddrAny);  // placed by the host
  EXPECT_EQ(buffers.carveout->len, fw::kLinkBufferArea);
  const auto& trace = table->entries[2];
  ASSERT_TRUE(trace.trace.has_value());
  EXPECT_EQ(trace.kind, "trace");
  EXPECT_EQ(trace.trace->da, fw::kTraceDa);
  EXPECT_EQ(trace.trace->len, fw::kTraceLen);
  const auto& vdev = table->entries[3];
  ASSERT_TRUE(vdev.vdev.has_value());
  EXPECT_EQ(vdev.type, rsc::kRscVdev);
  EXPECT_EQ(vdev.vdev->id, rsc::kVirtioIdRpmsg);
  EXPECT_EQ(vdev.vdev->gfeatures, fw::kFeatureNs | fw::kFeatureEventIdx);
  EXPECT_EQ(vdev.vdev->status, vdev::kDriverReadyStatus);
  EXPECT_EQ(vdev.vdev->remote_status, vdev::kDriverReadyStatus);
  ASSERT_EQ(vdev.vdev->vrings.size(), 2u);
  auto rings = s.Rings();
  ASSERT_TRUE(rings.ok());
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_NE(vdev.vdev->vrings[i].da, rsc::kAddrAny);
    EXPECT_EQ(vdev.vdev->vrings[i].da, rings->vrings[i].da);
    EXPECT_EQ(vdev.vdev->vrings[i].notifyid, rings->vrings[i].notifyid);
    EXPECT_EQ(vdev.vdev->vrings[i].num, fw::kVringNum);
  }
  const std::string text = FormatResourceTable(*table);
  EXPECT_NE(text.find("\"vdev0buffer\""), std::string::npos) << text;
  EXPECT_NE(text.find("vring1: da 0x"), std::string::npos) << text;
  ExpectEcho(echo, *f.fake, "unchanged by reading");
  ASSERT_TRUE(s.Stop().ok());
}
}  // namespace
}  // namespace tandem::host
