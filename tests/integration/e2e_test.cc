// End-to-end: a host Session and a firmware ELF running on a simulated core
// in its own process, over real shared memory. Each test boots its own
// remote under a unique name.
#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include "tandem/elf/elf_file.h"
#include "tandem/elf/elf_wire.h"
#include "tandem/host/client_sample.h"
#include "tandem/host/session.h"
#include "tandem/remoteproc/state.h"
#include "tandem/testing/core_file.h"
#include "tandem/testing/process_checks.h"
#include "test_session.h"

namespace tandem::host {
namespace {

using tandem::testing::FdList;

using remoteproc::CrashReason;
using remoteproc::State;
using namespace std::chrono_literals;

constexpr const char* kEcho = "rpmsg-openamp-demo-channel";

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

SessionOptions Options(const char* tag) { return integration::TestSessionOptions("e2e", tag); }

std::unique_ptr<Session> MakeSession(const SessionOptions& o) {
  auto s = Session::Create(o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? std::move(s).value() : nullptr;
}

ConstByteSpan Text(const std::string& s) { return AsBytes(s.data(), s.size()); }

// Sends `payload` and expects the same bytes back.
void ExpectEcho(ChannelPort& port, const std::vector<std::byte>& payload) {
  ASSERT_TRUE(port.Send(payload, rpmsg::Timeout::Seconds(2)).ok());
  std::vector<std::byte> in(512);
  auto got = port.Receive(in, rpmsg::Timeout::Seconds(2));
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(got->len, payload.size());
  // (no memcmp for 0 bytes: an empty vector's data() may be null)
  if (!payload.empty()) {
    ASSERT_EQ(std::memcmp(in.data(), payload.data(), payload.size()), 0);
  }
  EXPECT_EQ(got->src, port.remote_address());
}

void ExpectEchoText(ChannelPort& port, const std::string& text) {
  std::vector<std::byte> p(text.size());
  std::memcpy(p.data(), text.data(), text.size());
  ExpectEcho(port, p);
}

// Waits for the port to be bound for the `n`th time.
bool WaitBinds(ChannelPort& port, std::uint32_t n, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (port.binds() < n || !port.bound()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    (void)port.WaitBound(10ms);
    if (port.binds() < n) std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(EndToEnd, BootAnnouncesEveryServiceAsAChannel) {
  auto s = MakeSession(Options("boot"));
  ChannelPort echo(*s, kEcho), sample(*s, host::kClientSampleName), tty(*s, "rpmsg-tty");
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(sample.Register().ok());
  ASSERT_TRUE(tty.Register().ok());
  ASSERT_TRUE(s->Boot(integration::ReadImage(TANDEM_DEMO_ELF)).ok()) << s->rproc().error_detail();
  EXPECT_EQ(s->state(), State::kRunning);
  for (ChannelPort* p : {&echo, &sample, &tty}) {
    ASSERT_TRUE(p->WaitBound(5s).ok());
    EXPECT_GE(p->local_address(), 0x400u);
    EXPECT_GE(p->remote_address(), 0x400u);
  }
  ExpectEchoText(echo, "hello remote");
  // rpmsg-tty answers with its address as a prefix, like Zephyr's responder.
  ASSERT_TRUE(tty.Send(Text("Hello Zephyr\n")).ok());
  std::vector<std::byte> in(512);
  auto got = tty.Receive(in, rpmsg::Timeout::Seconds(2));
  ASSERT_TRUE(got.ok());
  char want[64];
  std::snprintf(want, sizeof(want), "TTY 0x%04x: Hello Zephyr", tty.remote_address());
  EXPECT_EQ(std::string(reinterpret_cast<char*>(in.data()), got->len).rfind(want, 0), 0u)
      << std::string(reinterpret_cast<char*>(in.data()), got->len);
}

TEST(EndToEnd, ClientSampleExchangePrintsLinuxTranscript) {
  auto s = MakeSession(Options("sample"));
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* out = open_memstream(&buf, &len);
  host::ClientSample sample(out, 100, "");
  ASSERT_TRUE(sample.Register(*s).ok());
  ASSERT_TRUE(s->Boot(integration::ReadImage(TANDEM_DEMO_ELF)).ok());
  ASSERT_TRUE(sample.WaitDone(20s)) << sample.error().message();
  ASSERT_TRUE(s->Stop().ok());
  std::fclose(out);
  const std::string transcript(buf, len);
  std::free(buf);
  // "new channel: 0x<local> -> 0x<remote>!" (no std::regex: GCC 12 warns
  // inside it under ASan, and warnings are errors).
  const std::size_t at = transcript.find("new channel: 0x");
  ASSERT_NE(at, std::string::npos) << transcript;
  unsigned local = 0, remote_addr = 0;
  ASSERT_EQ(
      std::sscanf(transcript.c_str() + at, "new channel: 0x%x -> 0x%x!", &local, &remote_addr), 2);
  char remote_hex[16];
  std::snprintf(remote_hex, sizeof(remote_hex), "%x", remote_addr);
  const std::string remote = remote_hex;
  for (int i = 1; i <= 100; ++i) {
    const std::string line = "incoming msg " + std::to_string(i) + " (src: 0x" + remote + ")\n";
    EXPECT_NE(transcript.find(line), std::string::npos) << line;
  }
  EXPECT_EQ(transcript.find("incoming msg 101"), std::string::npos);
  EXPECT_NE(transcript.find("goodbye!"), std::string::npos);
  EXPECT_LT(transcript.find("incoming msg 100 "), transcript.find("goodbye!"));
}

TEST(EndToEnd, EchoesEveryPayloadSizeWithContentChecks) {
  auto s = MakeSession(Options("echo"));
  ChannelPort echo(*s, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(s->Boot(integration::ReadImage(TANDEM_DEMO_ELF)).ok());
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  const std::size_t mtu = s->bus().mtu();
  ASSERT_EQ(mtu, 496u);
  const int total = EnvInt("TANDEM_E2E_ECHOES", 10'000);
  std::vector<std::byte> p;
  for (int i = 0; i < total; ++i) {
    const std::size_t size = static_cast<std::size_t>(i) % (mtu + 1);
    p.resize(size);
    for (std::size_t k = 0; k < size; ++k) p[k] = static_cast<std::byte>(i * 31 + k);
    ExpectEcho(echo, p);
    if (::testing::Test::HasFatalFailure()) return;
  }
  // One byte more than the MTU is refused, nothing sent.
  p.assign(mtu + 1, std::byte{1});
  EXPECT_EQ(echo.Send(p).code(), StatusCode::kInvalidArgument);
  const auto stats = s->bus().stats();
  EXPECT_EQ(stats.rx_too_big + stats.rx_too_short + stats.rx_bad_buffer, 0u);
}

TEST(EndToEnd, GracefulStopIsAcknowledgedByTheRemote) {
  auto s = MakeSession(Options("stop"));
  ChannelPort echo(*s, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(s->Boot(integration::ReadImage(TANDEM_DEMO_ELF)).ok());
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  auto trace = s->Trace();
  ASSERT_TRUE(trace.ok());
  EXPECT_FALSE(trace->empty());
  ASSERT_TRUE(s->Stop().ok());
  EXPECT_EQ(s->state(), State::kOffline);
  EXPECT_TRUE(s->last_stop().graceful);
  EXPECT_TRUE(s->last_stop().handshake.ok());
  EXPECT_FALSE(echo.bound());
  EXPECT_EQ(echo.unbinds(), 1u);
}

TEST(EndToEnd, RemoteIgnoringShutdownIsForcedAfterTimeout) {
  auto o = Options("ignore");
  o.shutdown_timeout = 300ms;
  auto s = MakeSession(o);
  ChannelPort fault(*s, "tandem-fault");
  ASSERT_TRUE(fault.Register().ok());
  ASSERT_TRUE(s->Boot(integration::ReadImage(TANDEM_FAULTY_ELF)).ok());
  ASSERT_TRUE(fault.WaitBound(5s).ok());
  ASSERT_TRUE(fault.Send(Text("ignore-shutdown")).ok());
  std::vector<std::byte> in(512);
  ASSERT_TRUE(fault.Receive(in, rpmsg::Timeout::Seconds(2)).ok());  // "ok ignore-shutdown"
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(s->Stop().ok());
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_FALSE(s->last_stop().graceful);
  EXPECT_EQ(s->last_stop().handshake.code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(s->state(), State::kOffline);
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 5s);
  EXPECT_FALSE(s->platform().IsRunning());
}

// Crash the remote with `command` on tandem-fault and expect detection with
// `reason`, automatic recovery, the channels back and echoes working again.
void CrashAndRecover(const char* command, CrashReason reason, const char* detail_part,
                     std::chrono::milliseconds watchdog = 1000ms) {
  auto o = Options("crash");
  o.watchdog = watchdog;
  auto s = MakeSession(o);
  ChannelPort fault(*s, "tandem-fault"), echo(*s, kEcho);
  ASSERT_TRUE(fault.Register().ok());
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(s->Boot(integration::ReadImage(TANDEM_FAULTY_ELF)).ok());
  ASSERT_TRUE(fault.WaitBound(5s).ok());
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  ExpectEchoText(echo, "before");
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(fault.Send(Text(command)).ok());
  ASSERT_TRUE(s->WaitForCrashes(1, 10s)) << command;
  const auto detected = std::chrono::steady_clock::now() - t0;
  const auto crash = s->last_crash();
  EXPECT_EQ(crash.reason, reason) << remoteproc::CrashReasonName(crash.reason) << ": "
                                  << crash.detail;
  EXPECT_NE(std::string(crash.detail).find(detail_part), std::string::npos) << crash.detail;
  EXPECT_EQ(crash.count, 1u);
  std::printf("[          ] %s: detected and handled in %.1f ms (%s: %s)\n", command,
              std::chrono::duration<double, std::milli>(detected).count(),
              remoteproc::CrashReasonName(crash.reason), crash.detail);
  EXPECT_TRUE(s->last_recovery().ok()) << s->last_recovery().message();
  EXPECT_EQ(s->state(), State::kRunning);
  // Applications saw unbound, then bound again.
  ASSERT_TRUE(WaitBinds(echo, 2, 5s));
  EXPECT_GE(echo.unbinds(), 1u);
  ExpectEchoText(echo, "after recovery");
  ASSERT_TRUE(s->Stop().ok());
}

TEST(EndToEnd, SegfaultIsDetectedAndRecovered) {
  CrashAndRecover("segv", CrashReason::kFault, "SIGSEGV");
}
TEST(EndToEnd, IllegalInstructionIsDetectedAndRecovered) {
  CrashAndRecover("ill", CrashReason::kFault, "SIGILL");
}
TEST(EndToEnd, AbortExitIsDetectedAndRecovered) {
  CrashAndRecover("abort", CrashReason::kUnexpectedExit, "134");
}
TEST(EndToEnd, HangIsCaughtByWatchdogAndRecovered) {
  CrashAndRecover("hang", CrashReason::kWatchdog, "watchdog", 300ms);
}
TEST(EndToEnd, CrashReportedByRemoteIsRecovered) {
  CrashAndRecover("report-crash", CrashReason::kRemoteReported, "RP_MBOX_CRASH");
}
// A hostile firmware corrupts ring indices and lengths: the host reports the
// broken link, survives, and recovers the remote.
TEST(EndToEnd, HostileRingCorruptionBreaksLinkAndHostSurvives) {
  CrashAndRecover("corrupt-ring", CrashReason::kLinkBroken, "link broken");
}

TEST(EndToEnd, RecoveryDisabledLeavesRemoteCrashedUntilRecover) {
  auto o = Options("norecover");
  o.recovery = false;
  auto s = MakeSession(o);
  ChannelPort fault(*s, "tandem-fault"), echo(*s, kEcho);
  ASSERT_TRUE(fault.Register().ok());
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(s->Boot(integration::ReadImage(TANDEM_FAULTY_ELF)).ok());
  ASSERT_TRUE(fault.WaitBound(5s).ok());
  ASSERT_TRUE(fault.Send(Text("segv")).ok());
  ASSERT_TRUE(s->WaitForCrashes(1, 10s));
  EXPECT_EQ(s->state(), State::kCrashed);
  // Issue #11: the dead remote's trace and core are still there.
  auto trace = s->Trace();
  ASSERT_TRUE(trace.ok()) << trace.status().message();
  EXPECT_NE(trace->find("tandem-fault: segv"), std::string::npos) << *trace;
  auto core = s->CoredumpBytes();
  ASSERT_TRUE(core.ok()) << core.status().message();
  auto parsed = elf::ElfFile::Parse(*core);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_TRUE(parsed->is_64bit());
  ASSERT_TRUE(s->last_postmortem().has_value());
  EXPECT_EQ(s->last_postmortem()->trace, *trace);
  // As Linux: with recovery disabled the rpmsg devices stay until the remote
  // is recovered or stopped; they are unbound and bound again by Recover().
  ASSERT_TRUE(s->Recover().ok());
  EXPECT_EQ(s->state(), State::kRunning);
  ASSERT_TRUE(WaitBinds(echo, 2, 5s));
  ExpectEchoText(echo, "recovered by hand");
}

TEST(EndToEnd, DetachThenAttachFromANewHostResumesTraffic) {
  auto o = Options("attach");
  o.die_with_host = false;  // the core must outlive the first host
  pid_t core_pid = 0;
  {
    auto first = MakeSession(o);
    ChannelPort echo(*first, kEcho);
    ASSERT_TRUE(echo.Register().ok());
    ASSERT_TRUE(first->Boot(integration::ReadImage(TANDEM_DEMO_ELF)).ok());
    ASSERT_TRUE(echo.WaitBound(5s).ok());
    ExpectEchoText(echo, "first host");
    core_pid = first->linux_platform()->core_pid();
    Status detached = first->Detach();
    ASSERT_TRUE(detached.ok()) << detached.message();
    EXPECT_EQ(first->state(), State::kDetached);
  }
  ASSERT_GT(core_pid, 0);
  ASSERT_EQ(::kill(core_pid, 0), 0) << "the core must keep running after its host left";
  auto second = MakeSession(o);
  ChannelPort echo(*second, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(second->Attach().ok()) << second->rproc().error_detail();
  EXPECT_EQ(second->state(), State::kAttached);
  EXPECT_EQ(second->linux_platform()->core_pid(), core_pid);  // not rebooted
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  for (int i = 0; i < 100; ++i) ExpectEchoText(echo, "second host " + std::to_string(i));
  // Issue #11: the attached x86-64 remote's core was ELF32.
  auto core = second->CoredumpBytes();
  ASSERT_TRUE(core.ok()) << core.status().message();
  auto parsed = elf::ElfFile::Parse(*core);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_TRUE(parsed->is_64bit());
  EXPECT_EQ(parsed->machine(), elf::kMachineX86_64);
  ASSERT_TRUE(second->Stop().ok());
  EXPECT_TRUE(second->last_stop().graceful);
}

TEST(EndToEnd, CoredumpIsAnElfCoreOfTheRemoteMemory) {
  auto s = MakeSession(Options("core"));
  ChannelPort echo(*s, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  ASSERT_TRUE(s->Boot(integration::ReadImage(TANDEM_DEMO_ELF)).ok());
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  const std::string path = ::testing::TempDir() + "/e2e-" + std::to_string(getpid()) + ".core";
  ASSERT_TRUE(s->Coredump(path).ok());
  auto bytes = Session::ReadFile(path);
  ASSERT_TRUE(bytes.ok());
  auto core = elf::ElfFile::Parse(*bytes);
  ASSERT_TRUE(core.ok()) << core.status().message();
  EXPECT_EQ(core->type(), 4);  // ET_CORE
  EXPECT_EQ(core->machine(), elf::kMachineX86_64);
  int loads = 0;
  bool has_image = false;
  for (std::size_t i = 0; i < core->program_header_count(); ++i) {
    auto ph = core->program_header(i).value();
    if (ph.type != elf::kPtLoad) continue;
    ++loads;
    has_image = has_image || ph.paddr == 0x10000000;
  }
  EXPECT_GE(loads, 3);  // image, vrings/buffers
  EXPECT_TRUE(has_image);
  std::remove(path.c_str());
}

// Runs `command` and returns what it printed (stdout and stderr).
std::string Output(const std::string& command) {
  std::string out;
  if (FILE* p = ::popen((command + " 2>&1").c_str(), "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof(buf), p) != nullptr) out += buf;
    ::pclose(p);
  }
  return out;
}

// Issue #11: a crash keeps its post-mortem across recovery, and its core is
// one gdb opens as a core ("Couldn't find general-purpose registers" was
// what an ELF32 core without notes got).
TEST(EndToEnd, CrashKeepsAPostMortemWhoseCoreGdbOpens) {
  auto o = Options("postmortem");
  auto s = MakeSession(o);
  ChannelPort fault(*s, "tandem-fault");
  ASSERT_TRUE(fault.Register().ok());
  ASSERT_TRUE(s->Boot(integration::ReadImage(TANDEM_FAULTY_ELF), TANDEM_FAULTY_ELF).ok());
  ASSERT_TRUE(fault.WaitBound(5s).ok());
  ASSERT_TRUE(fault.Send(Text("segv")).ok());
  ASSERT_TRUE(s->WaitForCrashes(1, 10s));
  EXPECT_EQ(s->state(), State::kRunning);  // recovered; the post-mortem stays
  const auto kept = s->last_postmortem();
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->sequence, 1u);
  EXPECT_EQ(kept->crash.reason, CrashReason::kFault);
  ASSERT_TRUE(kept->exit.has_value());
  EXPECT_EQ(kept->exit->signal, SIGSEGV);
  EXPECT_NE(kept->trace.find("tandem-fault: segv"), std::string::npos) << kept->trace;
  ASSERT_TRUE(kept->core_status.ok()) << kept->core_status.message();
  auto core = elf::ElfFile::Parse(kept->core);
  ASSERT_TRUE(core.ok()) << core.status().message();
  EXPECT_TRUE(core->is_64bit());  // as the firmware
  EXPECT_EQ(core->machine(), elf::kMachineX86_64);
  const auto notes = tandem::testing::ReadCoreNotes(*core);
  ASSERT_TRUE(notes.has_value());
  const auto* prstatus = tandem::testing::FindNote(*notes, "CORE", remoteproc::kNtPrstatus);
  ASSERT_NE(prstatus, nullptr);
  EXPECT_EQ(prstatus->desc[12] | (prstatus->desc[13] << 8), SIGSEGV);  // pr_cursig
  auto fields = tandem::testing::TandemFields(*tandem::testing::FindNote(
      *notes, remoteproc::kTandemNoteOwner, remoteproc::kNtTandemRemote));
  EXPECT_EQ(fields["name"], o.name);
  EXPECT_EQ(fields["firmware"], TANDEM_FAULTY_ELF);
  EXPECT_EQ(fields["state"], "crashed");
  EXPECT_EQ(fields["crash_reason"], "fault");
  ASSERT_TRUE(s->Stop().ok());

  if (Output("command -v gdb").empty()) GTEST_SKIP() << "gdb is not installed: core not loaded";
  const std::string path = ::testing::TempDir() + "/e2e-pm-" + std::to_string(getpid()) + ".core";
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(kept->core.data()),
              static_cast<std::streamsize>(kept->core.size()));
  }
  const std::string gdb = Output("gdb -nx -batch -ex 'info registers rip' -ex 'info registers' " +
                                 std::string(TANDEM_FAULTY_ELF) + " " + path);
  std::remove(path.c_str());
  EXPECT_EQ(gdb.find("Couldn't find general-purpose registers"), std::string::npos) << gdb;
  EXPECT_NE(gdb.find("rip"), std::string::npos) << gdb;
  EXPECT_NE(gdb.find("SIGSEGV"), std::string::npos) << gdb;  // "terminated with signal"
  // pr_fname is the firmware's base name: gdb pairs the core with it.
  EXPECT_EQ(gdb.find("may not match"), std::string::npos) << gdb;
}

int CountDir(const char* path) {
  int n = 0;
  if (DIR* d = opendir(path)) {
    while (readdir(d) != nullptr) ++n;
    closedir(d);
  }
  return n;
}
std::string ReadAll(const char* path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
int CountMatching(const char* path, const char* needle) {
  std::ifstream in(path);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) n += line.find(needle) != std::string::npos;
  return n;
}
int CountChildren() {
  // Children of this process that are still around (zombies included).
  int n = 0;
  const std::string me = std::to_string(getpid());
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      std::ifstream stat(std::string("/proc/") + e->d_name + "/stat");
      std::string s;
      if (!std::getline(stat, s)) continue;
      const auto close = s.rfind(')');
      if (close == std::string::npos) continue;
      char state;
      int ppid;
      if (std::sscanf(s.c_str() + close + 1, " %c %d", &state, &ppid) == 2 &&
          std::to_string(ppid) == me) {
        ++n;
      }
    }
    closedir(d);
  }
  return n;
}

TEST(EndToEnd, StartStopCyclesLeakNoFdMappingProcessOrBuffer) {
  const int cycles = EnvInt("TANDEM_E2E_CYCLES", 10);
  auto s = MakeSession(Options("cycles"));
  ChannelPort echo(*s, kEcho);
  ASSERT_TRUE(echo.Register().ok());
  const auto image = integration::ReadImage(TANDEM_DEMO_ELF);
  // One warm-up cycle so lazily created things (threads, caches) exist.
  ASSERT_TRUE(s->Boot(image).ok());
  ASSERT_TRUE(echo.WaitBound(5s).ok());
  ASSERT_TRUE(s->Stop().ok());
  const int fds = CountDir("/proc/self/fd");
  // Shared-memory mappings (memfd) are what a leak would leave; anonymous
  // ones come and go with the allocator's per-thread arenas.
  const int maps = CountMatching("/proc/self/maps", "/memfd:");
  EXPECT_GT(maps, 0);  // the idle platform keeps its mailbox page mapped
  const int children = CountChildren();
  for (int i = 0; i < cycles; ++i) {
    ASSERT_TRUE(s->Boot(image).ok()) << i;
    ASSERT_TRUE(WaitBinds(echo, static_cast<std::uint32_t>(i + 2), 5s)) << i;
    ExpectEchoText(echo, "cycle " + std::to_string(i));
    ASSERT_TRUE(s->Stop().ok()) << i;
    ASSERT_TRUE(s->last_stop().graceful) << i;
    const auto stats = s->bus().stats();
    EXPECT_EQ(stats.tx_held + stats.rx_held, 0u) << i;
  }
  EXPECT_EQ(CountDir("/proc/self/fd"), fds) << FdList();
  EXPECT_EQ(CountMatching("/proc/self/maps", "/memfd:"), maps) << ReadAll("/proc/self/maps");
  EXPECT_EQ(CountChildren(), children);
}

}  // namespace
}  // namespace tandem::host
