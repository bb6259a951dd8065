// The hostile-peer suite (issue #10): a live host Session and demo firmware
// exchange echo traffic while a separate process (tandem-corruptor) maps
// their shared memory through the state file and /proc and corrupts one
// thing. Each scenario checks that the host reports the failure within a
// bound (or, where the corruption is harmless by design, that traffic keeps
// flowing), recovers the remote, echoes again with content checks, stops
// within a bound, and leaks no fd, shared mapping, core process or state
// file.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "tandem/host/session.h"
#include "tandem/linux/core_state.h"
#include "tandem/linux/force_stop.h"
#include "tandem/remoteproc/state.h"
#include "tandem/testing/process_checks.h"

extern char** environ;

namespace tandem::host {
namespace {

using tandem::testing::FdList;

using remoteproc::CrashReason;
using remoteproc::State;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kEcho = "rpmsg-openamp-demo-channel";

// How long a detection may take. The slowest path by design is a stalled
// link: progress_limit (below) plus one check period (a quarter of it);
// the rest is slack for a loaded machine.
constexpr auto kDetectBound = 6s;
constexpr auto kProgressLimit = 1000ms;

std::string RuntimeDir() {
  return ::testing::TempDir() + "/tandem-hostile-" + std::to_string(getpid());
}

SessionOptions Options() {
  static int n = 0;
  SessionOptions o;
  o.name = "hostile-" + std::to_string(getpid()) + "-" + std::to_string(++n);
  o.die_with_host = true;
  // The firmware's console; $TANDEM_HOSTILE_CONSOLE names a file to read
  // what the remote said (e.g. which check it found broken).
  o.console_path =
      std::getenv("TANDEM_HOSTILE_CONSOLE") ? std::getenv("TANDEM_HOSTILE_CONSOLE") : "/dev/null";
  o.runtime_dir = RuntimeDir();
  o.shutdown_timeout = 1000ms;
  o.progress_limit = kProgressLimit;
  return o;
}

// --- What the process holds (leak checks) -------------------------------------

int CountFds() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d) != nullptr) ++n;
    closedir(d);
  }
  return n;
}

// MAP_SHARED mappings ("rw-s"): what a leaked region or mailbox page would
// leave. The whole line count of /proc/self/maps is no measure: private
// anonymous mappings come and go with the heap and the allocator's arenas,
// and glibc keeps the stacks of joined threads cached (a guard page and a
// stack each), so a session leaves a line or two more that are not leaks.
int CountSharedMappings() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  int n = 0;
  while (std::getline(maps, line)) {
    const auto space = line.find(' ');
    if (space != std::string::npos && line.size() > space + 4 && line[space + 4] == 's') ++n;
  }
  return n;
}

std::string SharedMappings() {
  std::ifstream maps("/proc/self/maps");
  std::string line, out;
  while (std::getline(maps, line)) {
    const auto space = line.find(' ');
    if (space != std::string::npos && line.size() > space + 4 && line[space + 4] == 's') {
      out += line + "\n";
    }
  }
  return out;
}

// True once `pid` is gone and reaped (kill fails with ESRCH).
bool WaitProcessGone(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// --- Traffic -----------------------------------------------------------------

// Payload `n`: a size and bytes that differ from one message to the next, so
// a stale or misdelivered reply cannot pass for the right one.
std::vector<std::byte> Payload(std::uint32_t n) {
  std::vector<std::byte> p(1 + (n * 37) % 200);
  for (std::size_t k = 0; k < p.size(); ++k) p[k] = static_cast<std::byte>(n * 131 + k * 7 + 1);
  std::memcpy(p.data(), &n, std::min(sizeof(n), p.size()));
  return p;
}

// One echo with content checks; false (with `why`) if it did not come back
// intact.
bool Echo(ChannelPort& port, std::uint32_t n, std::chrono::milliseconds timeout,
          std::string* why = nullptr) {
  const auto payload = Payload(n);
  const auto rt = rpmsg::Timeout::Milliseconds(static_cast<std::uint64_t>(timeout.count()));
  Status sent = port.Send(payload, rt);
  if (!sent.ok()) {
    if (why) *why = "send: " + std::string(sent.message());
    return false;
  }
  std::vector<std::byte> in(512);
  auto got = port.Receive(in, rt);
  if (!got.ok()) {
    if (why) *why = "receive: " + std::string(got.status().message());
    return false;
  }
  if (got->len != payload.size() || std::memcmp(in.data(), payload.data(), payload.size()) != 0 ||
      got->src != port.remote_address()) {
    if (why) *why = "reply differs from what was sent";
    return false;
  }
  return true;
}

// Receives one reply and checks it is the echo of payload `n`.
bool ExpectReply(ChannelPort& port, std::uint32_t n) {
  const auto payload = Payload(n);
  std::vector<std::byte> in(512);
  auto got = port.Receive(in, rpmsg::Timeout::Seconds(2));
  return got.ok() && got->len == payload.size() &&
         std::memcmp(in.data(), payload.data(), payload.size()) == 0;
}

// Waits until `done()` or the timeout.
template <typename Done>
bool WaitFor(Done done, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Waits until the host received nothing for 100 ms.
bool WaitQuiet(Session& session, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::uint64_t seen = session.bus().stats().rx_messages;
  for (;;) {
    std::this_thread::sleep_for(100ms);
    const std::uint64_t now = session.bus().stats().rx_messages;
    if (now == seen) return true;
    if (Clock::now() > deadline) return false;
    seen = now;
  }
}

void Drain(ChannelPort& port) {
  std::vector<std::byte> in(512);
  while (port.Receive(in, rpmsg::Timeout::None()).ok()) {
  }
}

// Echo traffic on its own thread while the corruptor runs. Anything may
// fail while the link is being broken and recovered; it only counts.
class Traffic {
 public:
  explicit Traffic(ChannelPort& port) : port_(port), thread_([this] { Run(); }) {}
  ~Traffic() { Stop(); }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Pauses between echoes; returns once the thread is idle.
  void Pause() {
    paused_ = true;
    while (!idle_) std::this_thread::sleep_for(1ms);
  }
  void Resume() { paused_ = false; }

  std::uint64_t good() const { return good_; }
  std::uint64_t bad() const { return bad_; }
  // Waits until `more` echoes succeeded after this call.
  bool WaitGood(std::uint64_t more, std::chrono::milliseconds timeout) const {
    const std::uint64_t want = good_ + more;
    const auto deadline = Clock::now() + timeout;
    while (good_ < want) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(2ms);
    }
    return true;
  }

 private:
  void Run() {
    std::uint32_t n = 1'000'000;
    while (!stop_) {
      if (paused_) {
        idle_ = true;
        std::this_thread::sleep_for(1ms);
        continue;
      }
      idle_ = false;
      if (Echo(port_, ++n, 1000ms)) {
        ++good_;
      } else {
        ++bad_;
        Drain(port_);  // a late reply must not stand for the next one
        std::this_thread::sleep_for(5ms);
      }
    }
    idle_ = true;
  }

  ChannelPort& port_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> paused_{false};
  std::atomic<bool> idle_{false};
  std::atomic<std::uint64_t> good_{0};
  std::atomic<std::uint64_t> bad_{0};
  std::thread thread_;
};

// Waits for the port to be bound for the `n`th time.
bool WaitBinds(ChannelPort& port, std::uint32_t n, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (port.binds() < n || !port.bound()) {
    if (Clock::now() > deadline) return false;
    (void)port.WaitBound(10ms);
    if (port.binds() < n) std::this_thread::sleep_for(1ms);
  }
  return true;
}

// --- The corruptor -------------------------------------------------------------

// Runs tandem-corruptor on the pair of `o` and returns its exit status.
int RunCorruptor(const SessionOptions& o, const std::string& scenario,
                 const std::vector<std::string>& extra) {
  std::vector<std::string> args = {TANDEM_CORRUPTOR, "--runtime-dir", o.runtime_dir, "--name",
                                   o.name,           "--scenario",    scenario};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, TANDEM_CORRUPTOR, nullptr, nullptr, argv.data(), environ) != 0) return -1;
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// --- Scenarios -----------------------------------------------------------------

enum class Expect : std::uint8_t {
  kDetected,  // the host reports a crash within kDetectBound and recovers
  kHarmless,  // by design: no crash, traffic keeps flowing
  kEither,    // random damage: one of the two
};

// An NS CREATE the corruptor delivers to the host (scenario "ns-create").
enum class NsInjection : std::uint8_t {
  kNone,
  kSameAddress,   // the bound channel announced again: ignored (ns_duplicate)
  kOtherAddress,  // its name at another address: a channel no driver is free
                  // for (ns_driver_busy); the bound one is left alone
};

struct Scenario {
  const char* label;     // the test's name
  const char* scenario;  // tandem-corruptor --scenario
  Expect expect;
  // The crash reasons that count as the right report (kDetected, kEither).
  std::vector<CrashReason> reasons;
  std::vector<std::string> extra_args = {};
  // The corruptor plays the device on vring0 for one buffer (see
  // corruptor.cc): the test keeps the remote idle and one rx buffer held
  // meanwhile, and lets the remote's next message be lost.
  NsInjection ns = NsInjection::kNone;
  // No traffic while the corruptor runs: it forges a used entry, which the
  // remote's next one would overwrite (and hide) if it were sending.
  bool quiet = false;
  // A test that cannot pass until a bug outside this suite's reach is fixed.
  const char* skip_because = nullptr;
};

// What gtest (and so the CTest name) prints for a scenario: its label.
void PrintTo(const Scenario& scenario, std::ostream* out) { *out << scenario.label; }

std::string ParamName(const ::testing::TestParamInfo<Scenario>& info) {
  const std::string name = info.param.label;
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

// One boot and stop first, so what the first session creates lazily
// (allocator arenas, the runtime directory) is not counted as a leak.
void WarmUp() {
  auto s = Session::Create(Options());
  ASSERT_TRUE(s.ok());
  auto image = Session::ReadFile(TANDEM_DEMO_ELF);
  ASSERT_TRUE(image.ok());
  ASSERT_TRUE((*s)->Boot(*image).ok());
  ASSERT_TRUE((*s)->Stop().ok());
}

class Hostile : public ::testing::TestWithParam<Scenario> {
 protected:
  static void SetUpTestSuite() { WarmUp(); }
};

TEST_P(Hostile, HostReportsRecoversAndLeaksNothing) {
  const Scenario& scenario = GetParam();
  if (scenario.skip_because != nullptr) GTEST_SKIP() << scenario.skip_because;
  const int fds_before = CountFds();
  const int maps_before = CountSharedMappings();
  const SessionOptions o = Options();
  std::vector<pid_t> cores;
  {
    auto created = Session::Create(o);
    ASSERT_TRUE(created.ok()) << created.status().message();
    std::unique_ptr<Session> s = std::move(created).value();
    ChannelPort echo(*s, kEcho);
    ASSERT_TRUE(echo.Register().ok());
    auto image = Session::ReadFile(TANDEM_DEMO_ELF);
    ASSERT_TRUE(image.ok());
    ASSERT_TRUE(s->Boot(*image).ok());
    ASSERT_TRUE(echo.WaitBound(5s).ok());
    cores.push_back(s->linux_platform()->core_pid());
    for (std::uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(Echo(echo, i, 2000ms)) << i;

    Traffic traffic(echo);
    ASSERT_TRUE(traffic.WaitGood(20, 5s)) << "no traffic before the corruption";
    const bool injects_message = scenario.ns != NsInjection::kNone;
    const bool quiet = scenario.quiet || injects_message;
    if (quiet) {
      traffic.Pause();
      // A late reply to an echo that timed out may still come: wait until
      // nothing arrived for a while.
      ASSERT_TRUE(WaitQuiet(*s, 5s)) << "the remote keeps sending";
      Drain(echo);
    }
    if (injects_message) {
      // One reply held by the port: so the buffer the corruptor takes, once
      // the host posts it again, does not make the remote see more buffers
      // available than the ring holds (it would rightly report "avail index
      // jumped").
      ASSERT_TRUE(echo.Send(Payload(1), rpmsg::Timeout::Seconds(2)).ok());
      ASSERT_TRUE(WaitFor([&] { return s->bus().stats().rx_held >= 1; }, 5s));
    }
    const int live_fds = CountFds();
    const int live_maps = CountSharedMappings();
    const auto stats_before = s->bus().stats();

    std::vector<std::string> extra = scenario.extra_args;
    if (injects_message) {
      const std::uint32_t address = scenario.ns == NsInjection::kSameAddress
                                        ? echo.remote_address()
                                        : echo.remote_address() + 0x100;
      extra = {"--ns-name", kEcho, "--ns-addr", std::to_string(address)};
    }
    const std::uint64_t good_before = traffic.good();
    const auto t0 = Clock::now();
    ASSERT_EQ(RunCorruptor(o, scenario.scenario, extra), 0) << "the corruptor failed";
    const auto corrupted = Clock::now();
    if (injects_message) {
      // The host took the CREATE and left the bound channel alone.
      ASSERT_TRUE(WaitFor(
          [&] {
            const auto now = s->bus().stats();
            return scenario.ns == NsInjection::kSameAddress
                       ? now.ns_duplicate == stats_before.ns_duplicate + 1
                       : now.ns_driver_busy == stats_before.ns_driver_busy + 1;
          },
          5s))
          << "the host did not take the NS message";
      // The NS message's buffer is back; 1's reply is the only one held.
      ASSERT_TRUE(WaitFor([&] { return s->bus().stats().rx_held == 1; }, 5s));
      // The reply to 2 is lost (the remote writes it into the used slot the
      // corruptor filled, see corruptor.cc); 3's comes back, after 1's.
      ASSERT_TRUE(echo.Send(Payload(2), rpmsg::Timeout::Seconds(2)).ok());
      ASSERT_TRUE(echo.Send(Payload(3), rpmsg::Timeout::Seconds(2)).ok());
      ASSERT_TRUE(WaitFor([&] { return s->bus().stats().rx_held >= 2; }, 5s));
      EXPECT_TRUE(ExpectReply(echo, 1));
      EXPECT_TRUE(ExpectReply(echo, 3));
    }
    if (quiet) traffic.Resume();

    bool crashed = false;
    switch (scenario.expect) {
      case Expect::kDetected:
        ASSERT_TRUE(s->WaitForCrashes(1, kDetectBound)) << "the host did not notice";
        crashed = true;
        break;
      case Expect::kHarmless:
        if (!quiet && corrupted - t0 > 200ms) {  // a corruptor that took its time
          EXPECT_GT(traffic.good(), good_before) << "no traffic while the corruptor ran";
        }
        ASSERT_TRUE(traffic.WaitGood(50, 5s)) << "traffic stopped";
        EXPECT_EQ(s->last_crash().count, 0u) << remoteproc::CrashReasonName(s->last_crash().reason)
                                             << ": " << s->last_crash().detail;
        break;
      case Expect::kEither: {
        // Either a crash, or traffic that keeps flowing long enough for
        // latent damage to show: past the progress bound (a silent stall
        // would be reported by then) and over two wraps of both rings (every
        // descriptor used again, a flipped one would have been read).
        const auto deadline = Clock::now() + kDetectBound + 4s;
        const std::uint64_t good_at_start = traffic.good();
        const std::uint64_t two_wraps = 2 * Session::kMaxBuffers + 50;
        while (Clock::now() < deadline) {
          if (s->last_crash().count > 0) break;
          if (Clock::now() - corrupted > 2 * kProgressLimit &&
              traffic.good() > good_at_start + two_wraps) {
            break;
          }
          std::this_thread::sleep_for(5ms);
        }
        crashed = s->last_crash().count > 0;
        if (crashed) {
          ASSERT_TRUE(s->WaitForCrashes(1, kDetectBound));
        } else {
          ASSERT_GT(traffic.good(), good_at_start + two_wraps) << "neither a crash nor traffic";
        }
        break;
      }
    }
    const auto detected = Clock::now() - t0;
    const auto crash = s->last_crash();
    std::printf(
        "[          ] %s: %s after %.0f ms%s%s (traffic: %llu good, %llu failed)\n", scenario.label,
        crashed ? "crash reported" : "no crash, traffic flowing",
        std::chrono::duration<double, std::milli>(detected).count(), crashed ? ": " : "",
        crashed
            ? (std::string(remoteproc::CrashReasonName(crash.reason)) + ": " + crash.detail).c_str()
            : "",
        static_cast<unsigned long long>(traffic.good()),
        static_cast<unsigned long long>(traffic.bad()));
    if (crashed && !scenario.reasons.empty()) {
      EXPECT_NE(std::find(scenario.reasons.begin(), scenario.reasons.end(), crash.reason),
                scenario.reasons.end())
          << "reported as " << remoteproc::CrashReasonName(crash.reason) << ": " << crash.detail;
    }
    if (crashed) {
      EXPECT_TRUE(s->last_recovery().ok()) << s->last_recovery().message();
      EXPECT_EQ(s->state(), State::kRunning);
      ASSERT_TRUE(WaitBinds(echo, 2, 5s)) << "the channel was not bound again";
      cores.push_back(s->linux_platform()->core_pid());
      EXPECT_NE(cores.back(), cores.front());
    }
    traffic.Stop();

    // Traffic resumes, every reply checked. The traffic thread's last echo
    // may have timed out with its reply still on the way: the first echo
    // skips replies that are not its own (a few at most), nothing else may.
    Drain(echo);
    std::uint32_t n = 2'000'000;
    ASSERT_TRUE(echo.Send(Payload(++n), rpmsg::Timeout::Seconds(2)).ok());
    bool settled = false;
    for (int stale = 0; stale < 3 && !settled; ++stale) settled = ExpectReply(echo, n);
    ASSERT_TRUE(settled) << "no echo after the corruption";
    const auto echoes_started = Clock::now();
    for (int i = 0; i < 100; ++i) {
      std::string why;
      ASSERT_TRUE(Echo(echo, ++n, 2000ms, &why)) << "echo " << i << ": " << why;
    }
    // At full speed again (microseconds each): a mailbox left suppressing
    // wake-ups would make each echo a sleep slice (100 ms) late, 10 s in all.
    EXPECT_LT(Clock::now() - echoes_started, 5s);
    if (!crashed) {
      EXPECT_EQ(s->last_crash().count, 0u);
      EXPECT_EQ(echo.binds(), 1u);
      EXPECT_EQ(echo.unbinds(), 0u);
    } else {
      // One corruption, one crash, one recovery: no second report of the
      // same death, no second reboot.
      EXPECT_EQ(s->last_crash().count, 1u) << s->last_crash().detail;
      EXPECT_EQ(echo.binds(), 2u);
      EXPECT_EQ(echo.unbinds(), 1u);
    }
    // Every buffer is somewhere (rpmsg/stats.h): none was lost on the way.
    const auto stats = s->bus().stats();
    EXPECT_EQ(stats.tx_free + stats.tx_held + stats.tx_in_flight, stats.buffers_per_direction);
    EXPECT_EQ(stats.rx_posted + stats.rx_held, stats.buffers_per_direction);
    if (injects_message) {
      EXPECT_EQ(s->bus().stats().ns_duplicate + s->bus().stats().ns_driver_busy,
                stats_before.ns_duplicate + stats_before.ns_driver_busy + 1);
    }
    // The trace buffer is read however the remote left it (bounded, no
    // crash), e.g. after trace-garbage.
    auto trace = s->Trace();
    EXPECT_TRUE(trace.ok()) << trace.status().message();
    // Recovery replaced the regions and the core: as many fds and shared
    // mappings as before the corruption.
    EXPECT_EQ(CountFds(), live_fds) << FdList();
    EXPECT_EQ(CountSharedMappings(), live_maps) << SharedMappings();

    const auto stop_started = Clock::now();
    Status stopped = s->Stop();
    EXPECT_TRUE(stopped.ok()) << stopped.message();
    EXPECT_LT(Clock::now() - stop_started, 5s);
    EXPECT_EQ(s->state(), State::kOffline);
    EXPECT_EQ(s->bus().stats().tx_held + s->bus().stats().rx_held, 0u);
  }
  // Session gone: nothing of it is left.
  for (pid_t pid : cores) EXPECT_TRUE(WaitProcessGone(pid, 5s)) << "core " << pid;
  EXPECT_FALSE(FileExists(linux_platform::StateFilePath(o.runtime_dir, o.name)));
  EXPECT_EQ(CountFds(), fds_before) << FdList();
  EXPECT_EQ(CountSharedMappings(), maps_before) << SharedMappings();
}

constexpr CrashReason kLink = CrashReason::kLinkBroken;

INSTANTIATE_TEST_SUITE_P(
    Corruptions, Hostile,
    ::testing::Values(
        Scenario{"mailbox_sleepers", "mailbox-sleepers", Expect::kHarmless, {}},
        // The host kills a core that broke the page (CoreExitReason::kProtocolError).
        Scenario{
            "mailbox_fifo_wild_to_host", "mailbox-fifo-wild-to-host", Expect::kDetected, {kLink}},
        // The core finds its FIFO broken and exits (code 3).
        Scenario{"mailbox_fifo_wild_to_core",
                 "mailbox-fifo-wild-to-core",
                 Expect::kDetected,
                 {CrashReason::kUnexpectedExit}},
        Scenario{"vring0_used_idx_jump", "vring0-used-idx", Expect::kDetected, {kLink}},
        Scenario{"vring0_avail_idx_jump", "vring0-avail-idx", Expect::kDetected, {kLink}},
        Scenario{"vring0_used_id_out_of_range",
                 "vring0-used-id-wild",
                 Expect::kDetected,
                 {kLink},
                 {},
                 NsInjection::kNone,
                 /*quiet=*/true},
        Scenario{"vring0_used_len_too_long",
                 "vring0-used-len-wild",
                 Expect::kDetected,
                 {kLink},
                 {},
                 NsInjection::kNone,
                 /*quiet=*/true},
        // The remote stops kicking for replies; the host's idle poll still
        // finds them (LinuxPlatform::kIdlePeriod). Written while the host is
        // idle, or its next poll would write its own value back at once.
        Scenario{"vring0_used_event_wild",
                 "vring0-used-event",
                 Expect::kHarmless,
                 {},
                 {},
                 NsInjection::kNone,
                 /*quiet=*/true},
        Scenario{"vring1_avail_idx_jump", "vring1-avail-idx", Expect::kDetected, {kLink}},
        Scenario{"vring1_used_idx_jump", "vring1-used-idx", Expect::kDetected, {kLink}},
        Scenario{"desc_addr_outside_shm", "desc-addr-outside", Expect::kDetected, {kLink}},
        Scenario{"desc_next_out_of_range", "desc-next-wild", Expect::kDetected, {kLink}},
        Scenario{"desc_len_shrunk", "desc-len-shrunk", Expect::kDetected, {kLink}},
        Scenario{"desc_redirected_to_tx_buffer", "desc-to-tx-buffer", Expect::kDetected, {kLink}},
        Scenario{"ns_create_of_the_bound_channel",
                 "ns-create",
                 Expect::kHarmless,
                 {},
                 {},
                 NsInjection::kSameAddress},
        Scenario{"ns_create_of_the_bound_name_elsewhere",
                 "ns-create",
                 Expect::kHarmless,
                 {},
                 {},
                 NsInjection::kOtherAddress},
        // The remote stops its bus; the host's progress bound catches the stall.
        Scenario{"rsc_vdev_status_reset", "rsc-status-reset", Expect::kDetected, {kLink}},
        Scenario{"rsc_header_garbled", "rsc-header-garbled", Expect::kHarmless, {}},
        Scenario{"rsc_vring_da_wild", "rsc-vring-da-wild", Expect::kHarmless, {}},
        Scenario{"trace_garbage", "trace-garbage", Expect::kHarmless, {}},
        Scenario{"vring_bitflips_seed_1", "vring-bitflips", Expect::kEither, {}, {"--seed", "1"}},
        Scenario{"vring_bitflips_seed_2", "vring-bitflips", Expect::kEither, {}, {"--seed", "2"}},
        Scenario{"vring_bitflips_seed_3", "vring-bitflips", Expect::kEither, {}, {"--seed", "3"}},
        Scenario{"vring_bitflips_seed_4", "vring-bitflips", Expect::kEither, {}, {"--seed", "4"}}),
    ParamName);

// The corruption happens while no host watches (the first session
// detached): the next host's Attach either refuses, cleanly and within a
// bound, or attaches to a link that works (or that it then finds broken and
// recovers, having the image). Either way the core can be ended and nothing
// leaks; a refused attach leaves the core to ForceStopCore, which needs
// nothing from the shared memory.
std::string DetachedParamName(const ::testing::TestParamInfo<const char*>& param) {
  std::string out;
  for (const char* c = param.param; *c; ++c) {
    out += std::isalnum(static_cast<unsigned char>(*c)) ? *c : '_';
  }
  return out;
}

class HostileWhileDetached : public ::testing::TestWithParam<const char*> {
 protected:
  static void SetUpTestSuite() { WarmUp(); }
};

TEST_P(HostileWhileDetached, NextHostAttachesOrRefusesAndTheCoreCanBeEnded) {
  const int fds_before = CountFds();
  const int maps_before = CountSharedMappings();
  SessionOptions o = Options();
  o.die_with_host = false;  // the core outlives the first session
  auto image = Session::ReadFile(TANDEM_DEMO_ELF);
  ASSERT_TRUE(image.ok());
  std::vector<pid_t> cores;
  bool refused = false;
  {
    auto first = Session::Create(o);
    ASSERT_TRUE(first.ok());
    ChannelPort echo(**first, kEcho);
    ASSERT_TRUE(echo.Register().ok());
    ASSERT_TRUE((*first)->Boot(*image).ok());
    ASSERT_TRUE(echo.WaitBound(5s).ok());
    ASSERT_TRUE(Echo(echo, 1, 2000ms));
    cores.push_back((*first)->linux_platform()->core_pid());
    ASSERT_TRUE((*first)->Detach().ok());
  }
  // Written once: no host is there to write its own values back.
  ASSERT_EQ(RunCorruptor(o, GetParam(), {"--duration-ms", "0"}), 0) << "the corruptor failed";
  {
    auto second = Session::Create(o);
    ASSERT_TRUE(second.ok());
    Session& s = **second;
    ChannelPort echo(s, kEcho);
    ASSERT_TRUE(echo.Register().ok());
    const auto t0 = Clock::now();
    const Status attached = s.Attach(*image);
    EXPECT_LT(Clock::now() - t0, 5s);
    std::printf("[          ] %s: attach %s%s\n", GetParam(), attached.ok() ? "ok" : "refused: ",
                attached.ok() ? "" : std::string(attached.message()).c_str());
    if (attached.ok()) {
      // Traffic works, possibly after the host found the link broken and
      // booted the image again.
      const auto deadline = Clock::now() + kDetectBound + 5s;
      std::uint32_t n = 100;
      bool flowing = false;
      while (!flowing && Clock::now() < deadline) {
        if (!echo.bound()) {
          (void)echo.WaitBound(100ms);
          continue;
        }
        flowing = Echo(echo, ++n, 1000ms);
        if (!flowing) Drain(echo);
      }
      ASSERT_TRUE(flowing) << "no traffic after the attach";
      for (int i = 0; i < 20; ++i) ASSERT_TRUE(Echo(echo, ++n, 2000ms)) << i;
      if (s.last_crash().count > 0) {
        std::printf("[          ] %s: then %s: %s\n", GetParam(),
                    remoteproc::CrashReasonName(s.last_crash().reason), s.last_crash().detail);
        EXPECT_TRUE(s.last_recovery().ok()) << s.last_recovery().message();
      }
      cores.push_back(s.linux_platform()->core_pid());
      EXPECT_TRUE(s.Stop().ok());
    } else {
      refused = true;
      EXPECT_NE(s.state(), State::kRunning);
      EXPECT_NE(s.state(), State::kAttached);
    }
  }
  // A refused attach leaves the core running for another try, unless the
  // host ended it (a core that broke the mailbox page is killed).
  if (refused && ::kill(cores.front(), 0) == 0) {
    auto stopped = linux_platform::ForceStopCore(o.runtime_dir, o.name);
    ASSERT_TRUE(stopped.ok()) << stopped.status().message();
    EXPECT_EQ(stopped->pid, cores.front());
  }
  for (pid_t pid : cores) EXPECT_TRUE(WaitProcessGone(pid, 5s)) << "core " << pid;
  EXPECT_FALSE(FileExists(linux_platform::StateFilePath(o.runtime_dir, o.name)));
  EXPECT_EQ(CountFds(), fds_before) << FdList();
  EXPECT_EQ(CountSharedMappings(), maps_before) << SharedMappings();
  // Whatever failed above: no core of this test outlives it.
  (void)linux_platform::ForceStopCore(o.runtime_dir, o.name);
}

INSTANTIATE_TEST_SUITE_P(Corruptions, HostileWhileDetached,
                         ::testing::Values("rsc-header-garbled", "rsc-vring-da-wild",
                                           "rsc-status-reset", "vring0-used-idx",
                                           "vring1-avail-idx", "mailbox-fifo-wild-to-host",
                                           "mailbox-sleepers"),
                         DetachedParamName);

}  // namespace
}  // namespace tandem::host
