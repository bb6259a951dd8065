// Two-process tests: LinuxPlatform running the selftest firmware
// (firmware/selftest, commands in tandem/selftest/protocol.h) in a real
// tandem-core process over real shared memory.

#include "tandem/linux/linux_platform.h"

#include <gtest/gtest.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "tandem/elf/elf_file.h"
#include "tandem/linux/core_memory.h"
#include "tandem/linux/core_process.h"
#include "tandem/linux/core_state.h"
#include "tandem/remoteproc/mailbox.h"
#include "tandem/selftest/protocol.h"
#include "tandem/testing/firmware_loader.h"
#include "tandem/testing/test_env.h"

namespace tandem::linux_platform {
namespace {

namespace mb = remoteproc::mailbox;
namespace st = selftest;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kTimeoutMs = 3000;

double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// Collects what the event thread delivers.
struct Events {
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<std::uint32_t> notifies;
  std::optional<CoreExit> crash;
  Clock::time_point crash_seen;
  int crash_calls = 0;

  // Records notifies and crashes; `idle`, if given, is the idle callback.
  void Install(LinuxPlatform& platform, LinuxPlatform::IdleCallback idle = nullptr) {
    ASSERT_TRUE(platform
                    .SetEventCallbacks({
                        .notify =
                            [this](std::uint32_t id) {
                              std::lock_guard<std::mutex> lock(mutex);
                              notifies.push_back(id);
                              cv.notify_all();
                            },
                        .crash =
                            [this](const CoreExit& exit) {
                              std::lock_guard<std::mutex> lock(mutex);
                              crash = exit;
                              crash_seen = Clock::now();
                              ++crash_calls;
                              cv.notify_all();
                            },
                        .idle = std::move(idle),
                    })
                    .ok());
  }
  std::optional<std::uint32_t> WaitNotify(milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex);
    if (!cv.wait_for(lock, timeout, [&] { return !notifies.empty(); })) return std::nullopt;
    auto id = notifies.front();
    notifies.pop_front();
    return id;
  }
  std::optional<CoreExit> WaitCrash(milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait_for(lock, timeout, [&] { return crash.has_value(); });
    return crash;
  }
};

// Runs `fn` and aborts the whole test binary if it does not return within
// `bound`: the calls under test used to hang forever, and a hung thread
// cannot be joined or cancelled.
template <typename Fn>
void ExpectReturnsWithin(milliseconds bound, const char* what, Fn fn) {
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  std::thread runner([&] {
    fn();
    std::lock_guard<std::mutex> lock(mutex);
    done = true;
    cv.notify_all();
  });
  {
    std::unique_lock<std::mutex> lock(mutex);
    if (!cv.wait_for(lock, bound, [&] { return done; })) {
      std::fprintf(stderr, "FATAL: %s did not return within %lld ms\n", what,
                   static_cast<long long>(bound.count()));
      std::abort();
    }
  }
  runner.join();
}

// The running core's mailbox page, mapped through /proc/<pid>/fd (what a
// hostile peer, or anyone who can ptrace it, can write).
SharedMemory MailboxPageOf(LinuxPlatform& platform) {
  auto state = platform.core().State();
  EXPECT_TRUE(state.ok());
  auto page = OpenCoreMemfd(state->pid, state->mailbox_fd, Mailbox::kPageSize);
  EXPECT_TRUE(page.ok()) << page.status().message();
  return std::move(*page);
}

std::uint32_t* PageWord(SharedMemory& page, MailboxRole receiver, Mailbox::PageWord word) {
  return reinterpret_cast<std::uint32_t*>(page.data() + Mailbox::OffsetOf(receiver, word));
}

// A hostile peer writing `value` into one word of the page until destroyed.
class PageScribbler {
 public:
  PageScribbler(std::uint32_t* word, std::uint32_t value)
      : word_(word), thread_([this, value] {
          while (!stop_.load()) {
            std::atomic_ref<std::uint32_t>(*word_).store(value);
            std::this_thread::yield();
          }
        }) {}
  ~PageScribbler() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::uint32_t* word_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class LinuxPlatformTest : public ::testing::Test {
 protected:
  void Boot(milliseconds watchdog = milliseconds(1000)) {
    auto platform = LinuxPlatform::Create(env_.Options(watchdog));
    ASSERT_TRUE(platform.ok()) << platform.status().message();
    platform_ = std::move(*platform);
    events_.Install(*platform_);
    BootExisting();
  }
  void BootExisting() {
    auto args = platform_->MapMemory({st::kArgsAddress, st::kArgsRegionSize, 4096, "args"});
    ASSERT_TRUE(args.ok()) << args.status().message();
    args_ = *args;
    auto entry = LoadFirmwareImage(*platform_, TANDEM_SELFTEST_ELF);
    ASSERT_TRUE(entry.ok()) << entry.status().message();
    ASSERT_TRUE(platform_->Start(*entry).ok());
    Status ready = platform_->WaitForControl(mb::kReady, kTimeoutMs);
    ASSERT_TRUE(ready.ok()) << ready.message() << "; console: " << ReadText(env_.console);
  }
  void WriteArgs(std::uint64_t da, std::uint32_t length, std::uint32_t seed) {
    st::Args args{da, length, seed, 0, st::kArgsMagic};
    ASSERT_TRUE(args_.Write(0, args).ok());
  }
  std::uint32_t ArgsResult() { return args_.Read<st::Args>(0).value().result; }

  TestPlatformEnv env_;
  Events events_;
  std::unique_ptr<LinuxPlatform> platform_;
  shm::Region args_;
};

TEST_F(LinuxPlatformTest, FirmwareBootsAndAnnouncesItself) {
  Boot();
  EXPECT_TRUE(platform_->IsRunning());
  EXPECT_GT(platform_->core_pid(), 0);
  // The runtime ran the static constructors; the console reached the file.
  EXPECT_NE(ReadText(env_.console).find("selftest: booted (bsp abi 1, constructors ran)"),
            std::string::npos)
      << ReadText(env_.console);
}

TEST_F(LinuxPlatformTest, ControlMessagesPingPong) {
  Boot();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(platform_->Send(mb::kEchoRequest).ok());
    ASSERT_TRUE(platform_->WaitForControl(mb::kEchoReply, kTimeoutMs).ok()) << i;
  }
  // An unknown command gets the firmware's "unknown" answer, not silence.
  ASSERT_TRUE(platform_->Send(0xFFFFFFF0).ok());
  EXPECT_TRUE(platform_->WaitForControl(st::kReplyUnknown, kTimeoutMs).ok());
}

TEST_F(LinuxPlatformTest, KicksReachTheNotifyCallback) {
  Boot();
  for (std::uint32_t id : {0u, 1u, 17u, 63u}) {
    ASSERT_TRUE(platform_->Send(id).ok());
    auto echoed = events_.WaitNotify(milliseconds(kTimeoutMs));
    ASSERT_TRUE(echoed.has_value()) << id;
    EXPECT_EQ(*echoed, id);
  }
  EXPECT_EQ(platform_->Send(64).code(), StatusCode::kInvalidArgument);
}

// A core that sends nothing still has its rings looked at: the idle
// callback runs on the event thread about every kIdlePeriod, and stops with
// the core.
TEST_F(LinuxPlatformTest, IdleCallbackRunsWhileTheCoreSendsNothing) {
  auto platform = LinuxPlatform::Create(env_.Options(milliseconds(1000)));
  ASSERT_TRUE(platform.ok());
  platform_ = std::move(*platform);
  std::atomic<int> idles{0};
  events_.Install(*platform_, [&] { ++idles; });
  BootExisting();
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (idles.load() < 3 && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(10));
  EXPECT_GE(idles.load(), 3);
  // Set only while no core runs, like the other callbacks.
  EXPECT_EQ(platform_->SetEventCallbacks({}).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(platform_->Reset().ok());
  const int after_reset = idles.load();
  std::this_thread::sleep_for(LinuxPlatform::kIdlePeriod * 3);
  EXPECT_EQ(idles.load(), after_reset);
}

TEST_F(LinuxPlatformTest, WaitForControlTimesOut) {
  Boot();
  auto start = Clock::now();
  EXPECT_EQ(platform_->WaitForControl(mb::kShutdownAck, 50).code(), StatusCode::kDeadlineExceeded);
  EXPECT_GE(MsSince(start), 50.0);
}

TEST_F(LinuxPlatformTest, MemoryIsSharedAtDeviceAddressesBothWays) {
  auto platform = LinuxPlatform::Create(env_.Options());
  ASSERT_TRUE(platform.ok());
  platform_ = std::move(*platform);
  // A dynamically placed region, like a FW_RSC_ADDR_ANY carveout.
  auto buffers = platform_->MapMemory({remoteproc::kAnyAddress, 0x10000, 0x10000, "buffers"});
  ASSERT_TRUE(buffers.ok());
  const std::uint64_t da = buffers->device_address();
  EXPECT_GE(da, simulated_board::kDynamicPoolBase);
  EXPECT_EQ(da % 0x10000, 0u);
  BootExisting();

  // Firmware writes, host reads.
  WriteArgs(da + 0x100, 3000, 7);
  ASSERT_TRUE(platform_->Send(st::kCmdWritePattern).ok());
  ASSERT_TRUE(platform_->WaitForControl(st::kReplyDone, kTimeoutMs).ok());
  auto bytes = buffers->Bytes(0, 0x10000).value();
  for (std::uint32_t i = 0; i < 3000; ++i) {
    ASSERT_EQ(static_cast<std::uint8_t>(bytes[0x100 + i]), st::Pattern(7, i)) << i;
  }
  EXPECT_EQ(bytes[0xFF], std::byte{0});          // not one byte before
  EXPECT_EQ(bytes[0x100 + 3000], std::byte{0});  // nor after

  // Host writes, firmware reads.
  std::uint32_t expected = st::kChecksumInit;
  for (std::uint32_t i = 0; i < 5000; ++i) {
    auto b = static_cast<std::uint8_t>((i * 131u) ^ 0x5a);
    bytes[0x8000 + i] = std::byte{b};
    expected = st::ChecksumStep(expected, b);
  }
  WriteArgs(da + 0x8000, 5000, 0);
  ASSERT_TRUE(platform_->Send(st::kCmdChecksum).ok());
  ASSERT_TRUE(platform_->WaitForControl(st::kReplyDone, kTimeoutMs).ok());
  EXPECT_EQ(ArgsResult(), expected);

  // A bad argument block is refused, not trusted.
  ASSERT_TRUE(args_.Write(0, st::Args{da, 16, 0, 0, 0xBAD}).ok());
  ASSERT_TRUE(platform_->Send(st::kCmdChecksum).ok());
  EXPECT_TRUE(platform_->WaitForControl(st::kReplyError, kTimeoutMs).ok());
}

TEST_F(LinuxPlatformTest, ConsolePrintsFormattedLines) {
  Boot();
  ASSERT_TRUE(platform_->Send(st::kCmdPrint).ok());
  ASSERT_TRUE(platform_->WaitForControl(st::kReplyDone, kTimeoutMs).ok());
  EXPECT_NE(ReadText(env_.console).find("selftest: print str|42|-7|beef|123|Z|00001234|%\n"),
            std::string::npos)
      << ReadText(env_.console);
}

TEST_F(LinuxPlatformTest, NullDereferenceIsReportedAsSigsegv) {
  Boot();
  // A waiter for a message that will never come is released by the crash.
  Status waited = Internal("not run");
  std::thread waiter([&] { waited = platform_->WaitForControl(mb::kShutdownAck, 10000); });
  std::this_thread::sleep_for(milliseconds(20));
  const auto sent = Clock::now();
  ASSERT_TRUE(platform_->Send(st::kCmdNullDeref).ok());
  auto crash = events_.WaitCrash(milliseconds(5000));
  ASSERT_TRUE(crash.has_value());
  const double ms = std::chrono::duration<double, std::milli>(events_.crash_seen - sent).count();
  std::printf("[ measure  ] SIGSEGV seen by the host %.3f ms after the command\n", ms);
  EXPECT_LT(ms, 2000.0);
  EXPECT_EQ(crash->reason, CoreExitReason::kSignaled);
  EXPECT_EQ(crash->signal, SIGSEGV);
  EXPECT_TRUE(crash->IsCrash());
  EXPECT_NE(crash->text.find("SIGSEGV"), std::string::npos) << crash->text;
  waiter.join();
  EXPECT_EQ(waited.code(), StatusCode::kAborted);
  EXPECT_FALSE(platform_->IsRunning());
  EXPECT_EQ(platform_->Send(mb::kEchoRequest).code(), StatusCode::kAborted);
  EXPECT_EQ(platform_->WaitForControl(mb::kEchoReply, 10).code(), StatusCode::kAborted);
  // Reset after a crash is fine, and the crash was reported exactly once.
  EXPECT_TRUE(platform_->Reset().ok());
  EXPECT_EQ(events_.crash_calls, 1);
}

TEST_F(LinuxPlatformTest, IllegalInstructionIsReportedAsSigill) {
  Boot();
  ASSERT_TRUE(platform_->Send(st::kCmdIllegalOp).ok());
  auto crash = events_.WaitCrash(milliseconds(5000));
  ASSERT_TRUE(crash.has_value());
  EXPECT_EQ(crash->reason, CoreExitReason::kSignaled);
  EXPECT_EQ(crash->signal, SIGILL);
  EXPECT_NE(crash->text.find("SIGILL"), std::string::npos) << crash->text;
}

TEST_F(LinuxPlatformTest, FirmwareExitCodeIsReported) {
  Boot();
  ASSERT_TRUE(platform_->Send(st::kCmdExit134).ok());
  auto crash = events_.WaitCrash(milliseconds(5000));
  ASSERT_TRUE(crash.has_value());
  EXPECT_EQ(crash->reason, CoreExitReason::kExited);
  EXPECT_EQ(crash->exit_code, 134);
  EXPECT_TRUE(crash->IsCrash());
  EXPECT_EQ(crash->text, "exited with code 134");
}

TEST_F(LinuxPlatformTest, HangIsCaughtByTheWatchdog) {
  Boot(milliseconds(200));
  // While the firmware pets, the watchdog stays quiet.
  std::this_thread::sleep_for(milliseconds(450));
  ASSERT_TRUE(platform_->IsRunning());
  const auto sent = Clock::now();
  ASSERT_TRUE(platform_->Send(st::kCmdHang).ok());
  auto crash = events_.WaitCrash(milliseconds(5000));
  ASSERT_TRUE(crash.has_value());
  const double ms = std::chrono::duration<double, std::milli>(events_.crash_seen - sent).count();
  std::printf("[ measure  ] watchdog (200 ms) fired %.1f ms after the hang began\n", ms);
  EXPECT_EQ(crash->reason, CoreExitReason::kWatchdog);
  EXPECT_GE(ms, 150.0);  // not before the timeout (the last pet may precede the command)
  EXPECT_LT(ms, 2000.0);
  EXPECT_NE(crash->text.find("watchdog"), std::string::npos);
}

TEST_F(LinuxPlatformTest, ShutdownHandshakeEndsTheCoreCleanly) {
  Boot();
  ASSERT_TRUE(platform_->Send(mb::kShutdown).ok());
  ASSERT_TRUE(platform_->WaitForControl(mb::kShutdownAck, kTimeoutMs).ok());
  auto exit = platform_->WaitForExit(milliseconds(kTimeoutMs));
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->reason, CoreExitReason::kExited);
  EXPECT_EQ(exit->exit_code, 0);
  EXPECT_FALSE(exit->IsCrash());
  EXPECT_TRUE(platform_->Reset().ok());
  EXPECT_NE(ReadText(env_.console).find("selftest: shutdown"), std::string::npos);
}

TEST_F(LinuxPlatformTest, ResetStopsACoreThatIgnoresEverything) {
  Boot();
  ASSERT_TRUE(platform_->Send(st::kCmdIgnoreAll).ok());
  ASSERT_TRUE(platform_->Send(mb::kShutdown).ok());
  EXPECT_EQ(platform_->WaitForControl(mb::kShutdownAck, 100).code(), StatusCode::kDeadlineExceeded);
  const pid_t pid = platform_->core_pid();
  const auto start = Clock::now();
  ASSERT_TRUE(platform_->Reset().ok());
  std::printf("[ measure  ] Reset took %.3f ms\n", MsSince(start));
  EXPECT_FALSE(platform_->IsRunning());
  EXPECT_EQ(kill(pid, 0), -1);  // gone and reaped: no such process
  ASSERT_TRUE(platform_->last_exit().has_value());
  EXPECT_EQ(platform_->last_exit()->reason, CoreExitReason::kReset);
  EXPECT_EQ(events_.crash_calls, 0);     // a reset is not a crash
  EXPECT_TRUE(platform_->Reset().ok());  // idempotent
  EXPECT_TRUE(HasNoChildren());
}

// Issue #10 item 2: zeroing the host's sleeper count suppressed every
// FUTEX_WAKE, including the host's own wake-ups of its event thread, and
// Reset/Detach/destruction hung in the join.
TEST_F(LinuxPlatformTest, ZeroedHostSleepersCannotMakeResetHang) {
  Boot();
  SharedMemory page = MailboxPageOf(*platform_);
  {
    PageScribbler peer(PageWord(page, MailboxRole::kHost, Mailbox::PageWord::kReceiverSleepers), 0);
    std::this_thread::sleep_for(milliseconds(50));  // the event thread sleeps in the futex
    const pid_t pid = platform_->core_pid();
    ExpectReturnsWithin(milliseconds(3000), "Reset", [&] { EXPECT_TRUE(platform_->Reset().ok()); });
    EXPECT_EQ(kill(pid, 0), -1);
  }
  EXPECT_EQ(events_.crash_calls, 0);
}

TEST_F(LinuxPlatformTest, ZeroedHostSleepersCannotMakeDetachOrDestructionHang) {
  Boot();
  SharedMemory page = MailboxPageOf(*platform_);
  PageScribbler peer(PageWord(page, MailboxRole::kHost, Mailbox::PageWord::kReceiverSleepers), 0);
  std::this_thread::sleep_for(milliseconds(50));
  ExpectReturnsWithin(milliseconds(3000), "Detach", [&] { EXPECT_TRUE(platform_->Detach().ok()); });
  // Attach again (the scribbler still at work) and destroy the platform.
  auto other = LinuxPlatform::Create(env_.Options(milliseconds(1000)));
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->AttachExisting(env_.name).ok());
  std::this_thread::sleep_for(milliseconds(50));
  ExpectReturnsWithin(milliseconds(3000), "~LinuxPlatform", [&] { other->reset(); });
}

// A crash (the core's end) is still reported while the peer zeroes the
// count: the monitor's peer-gone wake-up is our own.
TEST_F(LinuxPlatformTest, ZeroedHostSleepersCannotHideTheCoreDeath) {
  Boot();
  SharedMemory page = MailboxPageOf(*platform_);
  PageScribbler peer(PageWord(page, MailboxRole::kHost, Mailbox::PageWord::kReceiverSleepers), 0);
  std::this_thread::sleep_for(milliseconds(50));
  kill(platform_->core_pid(), SIGKILL);
  auto crash = events_.WaitCrash(milliseconds(3000));
  ASSERT_TRUE(crash.has_value());
  EXPECT_EQ(crash->reason, CoreExitReason::kSignaled);
}

// Issue #10 item 3: a corrupt FIFO index made the event thread kill the
// core and then wait with milliseconds::max(), which overflowed: the wait
// returned at once, the death was never reported and nothing recovered.
TEST_F(LinuxPlatformTest, CorruptFifoIndexKillsTheCoreAndReportsAProtocolError) {
  Boot();
  SharedMemory page = MailboxPageOf(*platform_);
  const pid_t pid = platform_->core_pid();
  // The core's producer index jumps far ahead of what the host consumed;
  // then the sequence word moves and the futex is woken, as a send would.
  std::atomic_ref<std::uint32_t>(*PageWord(page, MailboxRole::kHost, Mailbox::PageWord::kTail))
      .fetch_add(1000);
  std::uint32_t* seq = PageWord(page, MailboxRole::kHost, Mailbox::PageWord::kSeq);
  std::atomic_ref<std::uint32_t>(*seq).fetch_add(1);
  syscall(SYS_futex, seq, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
  auto crash = events_.WaitCrash(milliseconds(5000));
  ASSERT_TRUE(crash.has_value());
  EXPECT_EQ(crash->reason, CoreExitReason::kProtocolError);
  EXPECT_TRUE(crash->IsCrash());
  EXPECT_FALSE(platform_->IsRunning());
  EXPECT_EQ(kill(pid, 0), -1);  // killed and reaped
  EXPECT_EQ(platform_->Send(mb::kEchoRequest).code(), StatusCode::kAborted);
  EXPECT_TRUE(platform_->Reset().ok());
  EXPECT_EQ(events_.crash_calls, 1);
}

// The same through our own send: the core's consumer index is corrupt.
TEST_F(LinuxPlatformTest, CorruptFifoIndexOnSendKillsTheCoreAndReportsIt) {
  Boot();
  SharedMemory page = MailboxPageOf(*platform_);
  PageScribbler peer(PageWord(page, MailboxRole::kCore, Mailbox::PageWord::kHead), 0x80000000u);
  std::this_thread::sleep_for(milliseconds(10));
  EXPECT_EQ(platform_->Send(mb::kEchoRequest).code(), StatusCode::kDataLoss);
  auto crash = events_.WaitCrash(milliseconds(5000));
  ASSERT_TRUE(crash.has_value());
  EXPECT_EQ(crash->reason, CoreExitReason::kProtocolError);
  EXPECT_FALSE(platform_->IsRunning());
}

TEST_F(LinuxPlatformTest, StartResetCyclesLeakNothing) {
  auto platform = LinuxPlatform::Create(env_.Options());
  ASSERT_TRUE(platform.ok());
  platform_ = std::move(*platform);
  auto cycle = [&] {
    auto entry = LoadFirmwareImage(*platform_, TANDEM_SELFTEST_ELF);
    ASSERT_TRUE(entry.ok());
    ASSERT_TRUE(platform_->Start(*entry).ok());
    ASSERT_TRUE(platform_->WaitForControl(mb::kReady, kTimeoutMs).ok());
    ASSERT_TRUE(platform_->Reset().ok());
    platform_->ReleaseMemory();
  };
  for (int i = 0; i < 3; ++i) cycle();  // warm up thread stacks and allocator arenas
  const int fds = CountOpenFds();
  const int maps = CountMappings();
  const int ours = CountTandemMappings();
  EXPECT_EQ(ours, 1);  // the mailbox page of the idle platform
  const auto start = Clock::now();
  for (int i = 0; i < 100; ++i) {
    cycle();
    if (HasFatalFailure()) return;
  }
  std::printf("[ measure  ] 100 start/ready/reset cycles: %.1f ms\n", MsSince(start));
  EXPECT_EQ(CountOpenFds(), fds);
  EXPECT_EQ(CountTandemMappings(), ours);
  if (!kSanitized) {
    EXPECT_LE(CountMappings(), maps + 2) << "mappings grew from " << maps;
  }
  EXPECT_TRUE(HasNoChildren());
  // The console and the instance lock file (instance_lock.h: kept, only the
  // flock comes and goes); state files are removed at Reset.
  EXPECT_EQ(CountEntries(env_.dir), 2);
}

TEST_F(LinuxPlatformTest, DetachedCoreIsAttachedAgainByANewPlatform) {
  Boot();
  // Tell the platform where the (placeholder) resource table is, as the
  // remoteproc layer does after Load.
  auto elf_bytes = ReadWholeFile(TANDEM_SELFTEST_ELF).value();
  auto elf = elf::ElfFile::Parse(ConstByteSpan(elf_bytes.data(), elf_bytes.size())).value();
  auto table = elf.FindSection(".resource_table").value();
  ASSERT_TRUE(platform_->SetLoadedResourceTable(table.addr, table.size).ok());

  const pid_t pid = platform_->core_pid();
  ASSERT_TRUE(platform_->Detach().ok());
  EXPECT_FALSE(platform_->IsRunning());
  EXPECT_EQ(kill(pid, 0), 0);  // still alive
  EXPECT_EQ(platform_->Send(mb::kEchoRequest).code(), StatusCode::kAborted);
  platform_.reset();  // destroying the detached platform leaves the core alone
  EXPECT_EQ(kill(pid, 0), 0);

  auto second = LinuxPlatform::Create(env_.Options());
  ASSERT_TRUE(second.ok());
  Events events;
  events.Install(**second);
  Status attached = (*second)->AttachExisting(env_.name);
  ASSERT_TRUE(attached.ok()) << attached.message();
  EXPECT_EQ((*second)->core_pid(), pid);

  // The mailbox works in both directions.
  ASSERT_TRUE((*second)->Send(mb::kEchoRequest).ok());
  EXPECT_TRUE((*second)->WaitForControl(mb::kEchoReply, kTimeoutMs).ok());
  ASSERT_TRUE((*second)->Send(9).ok());
  EXPECT_EQ(events.WaitNotify(milliseconds(kTimeoutMs)).value_or(99), 9u);

  // The memory: the same regions, found again at their device addresses.
  auto args = (*second)->MapMemory({st::kArgsAddress, st::kArgsRegionSize, 4096, "args"});
  ASSERT_TRUE(args.ok()) << args.status().message();
  auto image = (*second)->MapMemory({simulated_board::kImageBase, 0x1000, 4096, "image"});
  ASSERT_TRUE(image.ok());
  ASSERT_TRUE(
      args->Write(0, st::Args{simulated_board::kImageBase, 0x1000, 0, 0, st::kArgsMagic}).ok());
  ASSERT_TRUE((*second)->Send(st::kCmdChecksum).ok());
  ASSERT_TRUE((*second)->WaitForControl(st::kReplyDone, kTimeoutMs).ok());
  std::uint32_t expected = st::kChecksumInit;
  auto code = image->Bytes(0, 0x1000).value();
  for (std::byte b : code) expected = st::ChecksumStep(expected, static_cast<std::uint8_t>(b));
  EXPECT_EQ(args->Read<st::Args>(0).value().result, expected);
  // New memory cannot be added to a running core.
  EXPECT_EQ((*second)->MapMemory({0x21000000, 4096, 4096, "new"}).status().code(),
            StatusCode::kFailedPrecondition);

  // The loaded resource table is found through the state file.
  auto loaded = (*second)->LoadedResourceTable();
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->device_address(), table.addr);
  EXPECT_EQ(loaded->Read<Le32>(0).value().get(), 1u);  // struct resource_table.ver

  // Shut it down from the new host.
  ASSERT_TRUE((*second)->Send(mb::kShutdown).ok());
  ASSERT_TRUE((*second)->WaitForControl(mb::kShutdownAck, kTimeoutMs).ok());
  auto exit = (*second)->WaitForExit(milliseconds(kTimeoutMs));
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->reason, CoreExitReason::kExited);
  ASSERT_TRUE((*second)->Reset().ok());
  EXPECT_TRUE(HasNoChildren());
  EXPECT_EQ(ReadCoreState(env_.dir, env_.name).status().code(), StatusCode::kNotFound);
}

TEST_F(LinuxPlatformTest, AnotherProcessCanAttachToADetachedCore) {
  Boot();
  const pid_t core = platform_->core_pid();
  ASSERT_TRUE(platform_->Detach().ok());
  platform_.reset();  // no threads of ours remain while we fork

  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A new host: not the core's parent. Exit codes say what failed; the
    // platform is destroyed (threads joined) before _exit.
    auto run = [&]() -> int {
      LinuxPlatformOptions options = env_.Options();
      options.core.die_with_host = false;
      auto host = LinuxPlatform::Create(options);
      if (!host.ok()) return 10;
      if (!(*host)->AttachExisting(env_.name).ok()) return 11;
      if (!(*host)->Send(mb::kEchoRequest).ok()) return 12;
      if (!(*host)->WaitForControl(mb::kEchoReply, kTimeoutMs).ok()) return 13;
      if (!(*host)->Send(mb::kShutdown).ok()) return 14;
      if (!(*host)->WaitForControl(mb::kShutdownAck, kTimeoutMs).ok()) return 15;
      auto exit = (*host)->WaitForExit(milliseconds(kTimeoutMs));
      // Not our child: it ended, but its status went to its parent.
      if (!exit.ok() || exit->reason != CoreExitReason::kUnknown) return 16;
      return 0;
    };
    _exit(run());
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // We are still the core's parent: reap it.
  ASSERT_EQ(waitpid(core, &status, 0), core);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_F(LinuxPlatformTest, AttachingToAGoneCoreFailsAndRemovesTheStateFile) {
  Boot();
  const pid_t pid = platform_->core_pid();
  ASSERT_TRUE(platform_->Detach().ok());
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  ASSERT_EQ(waitpid(pid, nullptr, 0), pid);
  auto second = LinuxPlatform::Create(env_.Options());
  ASSERT_TRUE(second.ok());
  const Status gone = (*second)->AttachExisting(env_.name);
  EXPECT_EQ(gone.code(), StatusCode::kNotFound);
  EXPECT_TRUE(gone.Is(kCoreProcessGone)) << gone.message();
  EXPECT_TRUE(ReadCoreState(env_.dir, env_.name).status().Is(kNoStateFile));
  const Status unknown = (*second)->AttachExisting("no-such-core");
  EXPECT_EQ(unknown.code(), StatusCode::kNotFound);
  EXPECT_TRUE(unknown.Is(kNoStateFile)) << unknown.message();
}

// firmware.ld and tandem_add_firmware: a static x86-64 executable whose
// loadable segments all lie in the image carve-out, entered at _start, with
// a .resource_table section, and no sanitizer runtime in it (the firmware
// directory drops the host's -fsanitize flags).
TEST(SelftestImage, IsLinkedAtFixedDeviceAddresses) {
  auto bytes = ReadWholeFile(TANDEM_SELFTEST_ELF);
  ASSERT_TRUE(bytes.ok());
  auto elf = elf::ElfFile::Parse(ConstByteSpan(bytes->data(), bytes->size()));
  ASSERT_TRUE(elf.ok()) << elf.status().message();
  EXPECT_TRUE(elf->is_64bit());
  EXPECT_EQ(elf->machine(), 62);                         // EM_X86_64
  EXPECT_EQ(elf->type(), 2);                             // ET_EXEC: not PIE
  EXPECT_EQ(elf->entry(), simulated_board::kImageBase);  // _start comes first
  int loads = 0;
  for (std::size_t i = 0; i < elf->program_header_count(); ++i) {
    auto ph = elf->program_header(i).value();
    if (ph.type != 1) continue;  // PT_LOAD
    ++loads;
    EXPECT_EQ(ph.paddr, ph.vaddr);
    EXPECT_GE(ph.paddr, simulated_board::kImageBase);
    EXPECT_LE(ph.paddr + ph.memsz, simulated_board::kImageBase + simulated_board::kImageSize);
  }
  EXPECT_GE(loads, 1);
  auto table = elf->FindSection(".resource_table");
  ASSERT_TRUE(table.ok());
  EXPECT_GE(table->addr, simulated_board::kImageBase);
  EXPECT_GE(table->size, 16u);  // struct resource_table header
  const std::string text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  for (const char* marker : {"__asan_", "__tsan_", "__ubsan_", "__sanitizer"}) {
    EXPECT_EQ(text.find(marker), std::string::npos) << marker;
  }
}

TEST(LinuxPlatformMemory, PlacesAndChecksRegions) {
  TestPlatformEnv env;
  LinuxPlatformOptions options = env.Options();
  options.pool_base = 0x30000000;
  options.pool_end = 0x30100000;  // 1 MiB pool
  auto platform = LinuxPlatform::Create(options);
  ASSERT_TRUE(platform.ok());
  LinuxPlatform& p = **platform;
  using remoteproc::kAnyAddress;

  auto a = p.MapMemory({kAnyAddress, 100, 0, "a"});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->device_address(), 0x30000000u);
  EXPECT_EQ(a->size(), 100u);  // the view is what was asked for
  auto b = p.MapMemory({kAnyAddress, 0x1000, 0x10000, "b"});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->device_address(), 0x30010000u);  // aligned up past a
  auto c = p.MapMemory({kAnyAddress, 0x2000, 0, "c"});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->device_address(), 0x30001000u);  // first fit: the gap after a
  EXPECT_EQ(p.MapMemory({kAnyAddress, 0x100000, 0, "big"}).status().code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(p.MapMemory({kAnyAddress, 0x1000, 3, "odd"}).status().code(),
            StatusCode::kInvalidArgument);

  // Fixed addresses: inside the window, page-aligned, no overlap.
  EXPECT_TRUE(p.MapMemory({0x20000000, 0x1000, 0, "fixed"}).ok());
  EXPECT_EQ(p.MapMemory({0x20000000, 0x1000, 0, "again"}).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(p.MapMemory({0x30010800, 0x10, 0, "inside b"}).status().code(),
            StatusCode::kInvalidArgument);  // misaligned
  EXPECT_EQ(p.MapMemory({0x30010000, 0x10, 0, "on b"}).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(p.MapMemory({0x40000000, 0x1000, 0, "high"}).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(p.MapMemory({0x0F000000, 0x1000, 0, "low"}).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(p.MapMemory({0x3FFFF000, 0x2000, 0, "across"}).status().code(),
            StatusCode::kOutOfRange);
  EXPECT_EQ(p.MapMemory({0x20000000, 0, 0, "empty"}).status().code(), StatusCode::kInvalidArgument);

  // Host view and device address agree.
  ASSERT_TRUE(b->Write(0x10, Le32(0xfeedf00d)).ok());
  auto again = p.core().ViewOf(0x30010010, 4);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->Read<Le32>(0).value().get(), 0xfeedf00du);

  p.ReleaseMemory();
  auto reused = p.MapMemory({kAnyAddress, 0x1000, 0, "reused"});
  ASSERT_TRUE(reused.ok());
  EXPECT_EQ(reused->device_address(), 0x30000000u);
}

TEST(LinuxPlatformIdle, CallsWithoutACoreFailCleanly) {
  TestPlatformEnv env;
  auto platform = LinuxPlatform::Create(env.Options());
  ASSERT_TRUE(platform.ok());
  LinuxPlatform& p = **platform;
  EXPECT_EQ(p.Send(mb::kShutdown).code(), StatusCode::kAborted);
  EXPECT_EQ(p.WaitForControl(mb::kReady, 10).code(), StatusCode::kAborted);
  EXPECT_EQ(p.Start(0x10000000).code(), StatusCode::kFailedPrecondition);  // no memory
  EXPECT_TRUE(p.Reset().ok());
  EXPECT_EQ(p.Detach().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(p.LoadedResourceTable().status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(LinuxPlatform::Create(LinuxPlatformOptions{.core = {.name = "bad/name"}}).ok());
}

}  // namespace
}  // namespace tandem::linux_platform
