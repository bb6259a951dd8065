// tandem-core: the simulated remote core of the Linux platform
// (docs/architecture.md decision 8).
//
// Maps the regions of remote memory at their device addresses, exactly as a
// Cortex-M sees its SRAM, maps the mailbox page (a peripheral: anywhere but
// the device window), builds the board-support table and calls the firmware
// entry on the main thread. The firmware returning or calling bsp.exit(code)
// ends the process with that code.
//
// Deliberately no signal handlers: a fault in the firmware must kill this
// process by its signal (SIGSEGV, SIGILL, ...), which is how the host sees a
// crash of the remote. Core dumps are switched off (RLIMIT_CORE 0) only so
// that a crash is not delayed by writing one; the signal still kills us.
//
// Command line: see tandem/linux/launch_args.h. Built without sanitizers
// (a sanitizer's SEGV handler would turn a crash into an exit code).

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "tandem/linux/launch_args.h"
#include "tandem/linux/mailbox.h"
#include "tandem/remote/bsp.h"
#include "tandem/simulated_board/memory_map.h"

namespace tandem::linux_platform {
namespace {

const char* g_name = "?";

[[noreturn]] void Fail(int exit_code, const char* what, const char* detail) {
  std::fprintf(stderr, "tandem-core[%s]: %s: %s\n", g_name, what, detail);
  std::fflush(stderr);
  _exit(exit_code);
}

// Only the descriptors named on the command line (and stdio) survive: the
// host marks everything close-on-exec, but a library in the host may not.
void CloseOtherDescriptors(const LaunchArgs& args) {
  std::vector<unsigned> keep = {0, 1, 2, static_cast<unsigned>(args.mailbox_fd)};
  for (const auto& r : args.regions) keep.push_back(static_cast<unsigned>(r.fd));
  std::sort(keep.begin(), keep.end());
  keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
  unsigned next = 0;
  for (unsigned fd : keep) {
    if (fd > next) close_range(next, fd - 1, 0);
    next = fd + 1;
  }
  close_range(next, std::numeric_limits<unsigned>::max(), 0);
}

struct Board {
  Mailbox* mailbox = nullptr;
  int console_fd = 2;
};

std::chrono::nanoseconds ToTimeout(std::uint64_t ns) {
  if (ns > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return Mailbox::kForever;
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(ns));
}

int ToBspCode(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return TANDEM_BSP_OK;
    case StatusCode::kDeadlineExceeded: return TANDEM_BSP_TIMEOUT;
    case StatusCode::kInvalidArgument: return TANDEM_BSP_EINVAL;
    case StatusCode::kAborted: return TANDEM_BSP_EABORTED;
    default: return TANDEM_BSP_EBROKEN;
  }
}

extern "C" int BspMboxSend(void* ctx, std::uint32_t msg, std::uint64_t timeout_ns) {
  auto* board = static_cast<Board*>(ctx);
  return ToBspCode(board->mailbox->Send(msg, ToTimeout(timeout_ns)));
}

extern "C" int BspMboxWait(void* ctx, std::uint32_t* msg, std::uint64_t timeout_ns) {
  auto* board = static_cast<Board*>(ctx);
  if (msg == nullptr) return TANDEM_BSP_EINVAL;
  auto received = board->mailbox->Receive(ToTimeout(timeout_ns));
  if (!received.ok()) return ToBspCode(received.status());
  *msg = *received;
  return TANDEM_BSP_OK;
}

extern "C" std::uint64_t BspNowNs(void*) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

extern "C" void BspConsoleWrite(void* ctx, const char* s, std::size_t n) {
  auto* board = static_cast<Board*>(ctx);
  if (s == nullptr) return;
  while (n > 0) {
    ssize_t written = write(board->console_fd, s, n);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;  // a console that fails drops output, as a UART would
    s += written;
    n -= static_cast<std::size_t>(written);
  }
}

extern "C" void BspWatchdogPet(void* ctx) { static_cast<Board*>(ctx)->mailbox->PetWatchdog(); }

extern "C" void BspExit(void*, int code) { _exit(code); }

int Run(int argc, char** argv) {
  auto parsed = ParseLaunchArgs(argc, argv);
  if (!parsed.ok()) Fail(kLauncherExitUsage, "bad arguments", parsed.status().message());
  LaunchArgs& args = *parsed;
  static std::string name_storage = args.name;
  g_name = name_storage.c_str();

  CloseOtherDescriptors(args);

  if (args.die_with_parent != 0) {
    // The host asked to tie us to it. PDEATHSIG follows the spawning
    // *thread*; check the parent after arming it, in case it already died.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != args.die_with_parent) _exit(kLauncherExitOsErr);
  }

  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);

  Board board;
  if (!args.console_path.empty()) {
    board.console_fd =
        open(args.console_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (board.console_fd < 0) Fail(kLauncherExitOsErr, "cannot open console", std::strerror(errno));
    // From now on our own diagnostics go to the console too, and the core
    // no longer holds the host's stderr (a pipe, maybe) open.
    dup2(board.console_fd, 2);
  }

  // The mailbox page: a peripheral, mapped wherever the kernel likes.
  void* page =
      mmap(nullptr, Mailbox::kPageSize, PROT_READ | PROT_WRITE, MAP_SHARED, args.mailbox_fd, 0);
  if (page == MAP_FAILED)
    Fail(kLauncherExitOsErr, "cannot map the mailbox page", std::strerror(errno));
  auto mailbox = Mailbox::Create(page, Mailbox::kPageSize, MailboxRole::kCore);
  if (!mailbox.ok()) Fail(kLauncherExitOsErr, "bad mailbox page", mailbox.status().message());
  board.mailbox = mailbox->get();
  if (args.spin_ns >= 0) board.mailbox->set_spin(std::chrono::nanoseconds(args.spin_ns));
  board.mailbox->SetCoreStage(CoreStage::kLauncherRunning);

  // Remote memory at its device addresses. MAP_FIXED_NOREPLACE fails with
  // EEXIST instead of silently replacing a mapping of ours; kernels before
  // 4.17 ignore the flag and return another address, checked below.
  for (const auto& r : args.regions) {
    struct stat st;
    if (fstat(r.fd, &st) != 0 || st.st_size < 0 ||
        static_cast<std::uint64_t>(st.st_size) < r.offset ||
        static_cast<std::uint64_t>(st.st_size) - r.offset < r.size) {
      Fail(kLauncherExitOsErr, "region file smaller than the region", r.label.c_str());
    }
    void* want = reinterpret_cast<void*>(static_cast<std::uintptr_t>(r.device_address));
    void* got = mmap(want, static_cast<std::size_t>(r.size), PROT_READ | PROT_WRITE | PROT_EXEC,
                     MAP_SHARED | MAP_FIXED_NOREPLACE, r.fd, static_cast<off_t>(r.offset));
    if (got == MAP_FAILED) {
      char detail[160];
      std::snprintf(detail, sizeof(detail), "%s at 0x%llx (+0x%llx): %s", r.label.c_str(),
                    static_cast<unsigned long long>(r.device_address),
                    static_cast<unsigned long long>(r.size),
                    errno == EEXIST ? "device address range already taken in the core process"
                                    : std::strerror(errno));
      Fail(kLauncherExitOsErr, "cannot map region", detail);
    }
    if (got != want)
      Fail(kLauncherExitOsErr, "kernel ignored MAP_FIXED_NOREPLACE", r.label.c_str());
  }

  static TandemBsp bsp;
  bsp.abi_version = TANDEM_BSP_ABI_VERSION;
  bsp.size = sizeof(TandemBsp);
  bsp.ctx = &board;
  bsp.mbox_send = BspMboxSend;
  bsp.mbox_wait = BspMboxWait;
  bsp.now_ns = BspNowNs;
  bsp.console_write = BspConsoleWrite;
  bsp.watchdog_pet = BspWatchdogPet;
  bsp.exit = BspExit;

  std::fflush(nullptr);
  board.mailbox->SetCoreStage(CoreStage::kFirmwareEntered);
  using Entry = void (*)(const TandemBsp*);
  auto entry = reinterpret_cast<Entry>(static_cast<std::uintptr_t>(args.entry));
  entry(&bsp);
  // An entry that returns ends the core cleanly.
  _exit(0);
}

}  // namespace
}  // namespace tandem::linux_platform

int main(int argc, char** argv) { return tandem::linux_platform::Run(argc, argv); }
