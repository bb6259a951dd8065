#include "tandem/linux/simulated_core.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "tandem/linux/launch_args.h"
#include "tandem/simulated_board/memory_map.h"

extern char** environ;

namespace tandem::linux_platform {
namespace {

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

int PidfdKill(int pidfd) {
  return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0));
}

std::string SignalText(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  const char* description = strsignal(sig);
  std::string text = "killed by signal ";
  text += abbrev != nullptr ? std::string("SIG") + abbrev : std::to_string(sig);
  if (description != nullptr) text += std::string(" (") + description + ")";
  return text;
}

void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

}  // namespace

const char* CoreExitReasonName(CoreExitReason reason) {
  switch (reason) {
    case CoreExitReason::kExited: return "exited";
    case CoreExitReason::kSignaled: return "signaled";
    case CoreExitReason::kWatchdog: return "watchdog";
    case CoreExitReason::kLauncherFailed: return "launcher-failed";
    case CoreExitReason::kProtocolError: return "protocol-error";
    case CoreExitReason::kReset: return "reset";
    case CoreExitReason::kUnknown: return "unknown";
  }
  return "?";
}

std::string DefaultLauncherPath() {
  if (const char* env = std::getenv("TANDEM_CORE"); env != nullptr && env[0] != '\0') return env;
#ifdef TANDEM_CORE_DEFAULT_PATH
  return TANDEM_CORE_DEFAULT_PATH;
#else
  return "tandem-core";
#endif
}

Result<std::unique_ptr<SimulatedCore>> SimulatedCore::Create(SimulatedCoreOptions options) {
  if (!IsValidCoreName(options.name)) return InvalidArgument("invalid core name");
  if (options.watchdog_timeout.count() < 0 || options.watchdog_timeout.count() > 0xffffffffLL) {
    return InvalidArgument("watchdog timeout out of range");
  }
  if (options.launcher_path.empty()) options.launcher_path = DefaultLauncherPath();
  const std::string memfd_name = "tandem-" + options.name + "-mailbox";
  TANDEM_TRY_ASSIGN(SharedMemory page,
                    SharedMemory::Create(memfd_name.c_str(), Mailbox::kPageSize));
  Mailbox::InitializePage(page.data());
  TANDEM_TRY_ASSIGN(auto mailbox, Mailbox::Create(page.data(), page.size(), MailboxRole::kHost));
  mailbox->set_spin(options.host_spin);
  return std::unique_ptr<SimulatedCore>(
      new SimulatedCore(std::move(options), std::move(page), std::move(mailbox)));
}

SimulatedCore::SimulatedCore(SimulatedCoreOptions options, SharedMemory mailbox_memory,
                             std::unique_ptr<Mailbox> mailbox)
    : options_(std::move(options)),
      mailbox_memory_(std::move(mailbox_memory)),
      mailbox_(std::move(mailbox)) {}

SimulatedCore::~SimulatedCore() {
  Reset().IgnoreError();  // a destructor has nowhere to report to
}

Result<shm::Region> SimulatedCore::AddRegion(std::uint64_t device_address, std::uint64_t size,
                                             const std::string& name) {
  if (OnMonitorThread()) return FailedPrecondition("AddRegion from the exit callback");
  std::lock_guard<std::mutex> control(control_mutex_);
  std::lock_guard<std::mutex> lock(mutex_);
  if (running_) return FailedPrecondition("cannot add memory to a running core");
  if (device_address % simulated_board::kPageSize != 0) {
    return InvalidArgument("device address must be 4 KiB aligned on the Linux platform");
  }
  TANDEM_TRY_ASSIGN(std::size_t mapped, PageRoundUp(size));
  if (!simulated_board::InDeviceWindow(device_address, mapped)) {
    return OutOfRange("region outside the device window 0x10000000..0x3FFFFFFF");
  }
  for (const auto& r : regions_) {
    const std::uint64_t r_end = r.device_address + r.memory.size();  // in the window: no overflow
    if (device_address < r_end && r.device_address < device_address + mapped) {
      return AlreadyExists("region overlaps an existing region");
    }
  }
  const std::string memfd_name = "tandem-" + options_.name + "-" + SanitizeLabel(name);
  TANDEM_TRY_ASSIGN(SharedMemory memory, SharedMemory::Create(memfd_name.c_str(), mapped));
  TANDEM_TRY_ASSIGN(shm::Region view, memory.View(device_address, static_cast<std::size_t>(size)));
  CoreRegion region;
  region.device_address = device_address;
  region.size = size;
  region.name = name;
  region.memory = std::move(memory);
  regions_.push_back(std::move(region));
  return view;
}

void SimulatedCore::RemoveAllRegions() {
  std::lock_guard<std::mutex> control(control_mutex_);
  std::lock_guard<std::mutex> lock(mutex_);
  regions_.clear();
}

std::vector<SimulatedCore::RegionInfo> SimulatedCore::Regions() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<RegionInfo> out;
  for (const auto& r : regions_) out.push_back({r.device_address, r.size, r.name});
  return out;
}

Result<shm::Region> SimulatedCore::ViewOf(std::uint64_t device_address, std::uint64_t size) {
  auto inside = [&](std::uint64_t base, std::uint64_t length) {
    return device_address >= base && device_address - base <= length &&
           size <= length - (device_address - base);
  };
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& r : regions_) {
    if (inside(r.device_address, r.size)) {
      TANDEM_TRY_ASSIGN(shm::Region whole, r.memory.View(r.device_address, r.size));
      return whole.Sub(device_address - r.device_address, size);
    }
  }
  if (!running_) return NotFound("no region contains that device range");
  for (const auto& c : core_regions_) {
    if (!inside(c.device_address, c.size)) continue;
    TANDEM_TRY_ASSIGN(std::size_t mapped, PageRoundUp(c.size));
    const std::string path = "/proc/" + std::to_string(pid_) + "/fd/" + std::to_string(c.core_fd);
    TANDEM_TRY_ASSIGN(SharedMemory memory, SharedMemory::OpenPath(path.c_str(), mapped));
    TANDEM_TRY_ASSIGN(shm::Region whole, memory.View(c.device_address, c.size));
    CoreRegion region;
    region.device_address = c.device_address;
    region.size = c.size;
    region.name = c.name;
    region.memory = std::move(memory);
    regions_.push_back(std::move(region));
    return whole.Sub(device_address - c.device_address, size);
  }
  return NotFound("no region of the core contains that device range");
}

void SimulatedCore::SetExitCallback(ExitCallback callback) {
  std::lock_guard<std::mutex> control(control_mutex_);
  std::lock_guard<std::mutex> lock(mutex_);
  exit_callback_ = std::move(callback);
}

Status SimulatedCore::Spawn(std::uint64_t entry, pid_t* pid_out) {
  // The child gets the mailbox page and the regions at fresh fd numbers
  // above every fd we pass, so no dup2 overwrites a source of a later one.
  // dup2 clears FD_CLOEXEC on the copy; everything else stays close-on-exec.
  std::vector<int> sources = {mailbox_memory_.fd()};
  for (const auto& r : regions_) sources.push_back(r.memory.fd());
  const int base = std::max(3, *std::max_element(sources.begin(), sources.end()) + 1);

  LaunchArgs args;
  args.name = options_.name;
  args.mailbox_fd = base;
  for (std::size_t i = 0; i < regions_.size(); ++i) {
    LaunchRegion lr;
    lr.fd = base + 1 + static_cast<int>(i);
    lr.size = regions_[i].memory.size();
    lr.device_address = regions_[i].device_address;
    lr.label = SanitizeLabel(regions_[i].name);
    args.regions.push_back(lr);
  }
  args.entry = entry;
  args.console_path = options_.console_path;
  args.die_with_parent = options_.die_with_host ? getpid() : 0;
  args.spin_ns = options_.core_spin.count();

  std::vector<std::string> argv_storage = {options_.launcher_path};
  for (auto& a : FormatLaunchArgs(args)) argv_storage.push_back(std::move(a));
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (std::size_t i = 0; i < sources.size(); ++i) {
    posix_spawn_file_actions_adddup2(&actions, sources[i], base + static_cast<int>(i));
  }
  // A core may outlive its host: it must not hold the host's terminal or
  // pipes open (a shell's $(tandem start ...) would wait for it forever).
  // stdin and stdout are /dev/null; the launcher moves stderr to the
  // console file once it has opened it (launcher/main.cc).
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);    // our threads may block signals; the core must not
  posix_spawnattr_setsigdefault(&attr, &all);  // and must die of SIGSEGV, not ignore it
  // Own session: a Ctrl-C for the host does not reach the core, which may
  // outlive the host and be attached to again.
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, options_.launcher_path.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return rc == ENOENT ? NotFound("tandem-core launcher not found (set TANDEM_CORE)")
                        : Unavailable("cannot spawn the tandem-core launcher");
  }
  mailbox_core_fd_ = base;
  core_regions_.clear();
  for (std::size_t i = 0; i < regions_.size(); ++i) {
    core_regions_.push_back(
        {args.regions[i].fd, regions_[i].device_address, regions_[i].size, regions_[i].name});
  }
  *pid_out = pid;
  return OkStatus();
}

Status SimulatedCore::Start(std::uint64_t entry) {
  if (OnMonitorThread()) return FailedPrecondition("Start from the exit callback");
  std::lock_guard<std::mutex> control(control_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_) return FailedPrecondition("core already running");
  }
  JoinMonitorAndClose();  // the previous run's monitor, if it ended by itself
  std::lock_guard<std::mutex> lock(mutex_);
  if (regions_.empty()) return FailedPrecondition("no memory mapped for the core");
  bool entry_mapped = std::any_of(regions_.begin(), regions_.end(), [&](const CoreRegion& r) {
    return entry >= r.device_address && entry - r.device_address < r.size;
  });
  if (!entry_mapped) return OutOfRange("entry point is outside every mapped region");

  mailbox_->ResetForNewCore();
  reset_requested_ = false;
  watchdog_fired_ = false;
  protocol_error_ = false;
  pid_t pid = 0;
  TANDEM_TRY(Spawn(entry, &pid));
  pidfd_ = PidfdOpen(pid);
  if (pidfd_ < 0) {
    // Not reaped yet, so the pid is still ours to kill and wait for.
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return Unavailable("pidfd_open failed (kernel older than 5.3?)");
  }
  pid_ = pid;
  entry_ = entry;
  start_time_ = ProcessStartTime(pid).value_or(0);
  last_exit_.reset();
  running_ = true;
  ++run_id_;
  Status monitor = StartMonitor(options_.watchdog_timeout);
  if (!monitor.ok()) {
    PidfdKill(pidfd_);
    waitid(P_PIDFD, static_cast<id_t>(pidfd_), nullptr, WEXITED);
    CloseFd(&pidfd_);
    running_ = false;
    return monitor;
  }
  return OkStatus();
}

Status SimulatedCore::StartMonitor(std::chrono::milliseconds watchdog) {
  stop_fd_ = eventfd(0, EFD_CLOEXEC);
  if (stop_fd_ < 0) return ResourceExhausted("eventfd failed");
  monitor_ = std::thread([this, watchdog] { MonitorLoop(watchdog); });
  monitor_id_ = monitor_.get_id();
  return OkStatus();
}

void SimulatedCore::MonitorLoop(std::chrono::milliseconds watchdog) {
  using Clock = std::chrono::steady_clock;
  // The watchdog samples the pet counter four times per timeout, so a hang
  // is caught between 1 and 1.25 timeouts after the last pet.
  const auto period = std::max(std::chrono::milliseconds(1), watchdog / 4);
  std::uint32_t last_count = mailbox_->WatchdogCount();
  auto last_change = Clock::now();
  struct pollfd fds[2] = {{pidfd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  for (;;) {
    const bool watching = watchdog.count() > 0 && !watchdog_fired_.load();
    int n = poll(fds, 2, watching ? static_cast<int>(period.count()) : -1);
    if (n < 0 && errno == EINTR) continue;
    if (fds[0].revents != 0) break;   // the core ended (a pidfd polls readable on exit)
    if (fds[1].revents != 0) return;  // Detach: stop watching, leave the core alone
    if (!watching) continue;
    const std::uint32_t count = mailbox_->WatchdogCount();
    const auto now = Clock::now();
    if (count != last_count) {
      last_count = count;
      last_change = now;
    } else if (now - last_change >= watchdog) {
      watchdog_fired_ = true;
      PidfdKill(pidfd_);  // the next poll sees it end
    }
  }

  CoreExit exit = CollectExit();
  ExitCallback callback;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    running_ = false;
    last_exit_ = exit;
    callback = exit_callback_;
  }
  exited_cv_.notify_all();
  // After last_exit_ is set: a receiver woken by this reads it.
  mailbox_->SetPeerGone();
  if (callback) callback(exit);
}

CoreExit SimulatedCore::CollectExit() {
  CoreExit exit;
  exit.when = std::chrono::steady_clock::now();
  siginfo_t info{};
  int rc;
  do {
    rc = waitid(P_PIDFD, static_cast<id_t>(pidfd_), &info, WEXITED);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    // ECHILD: an attached core that another process started; it is gone,
    // but its status went to its parent.
    exit.reason = CoreExitReason::kUnknown;
    exit.text = "core process ended (not our child: exit status unknown)";
  } else if (info.si_code == CLD_EXITED) {
    exit.exit_code = info.si_status;
    const bool in_launcher = mailbox_->core_stage() != CoreStage::kFirmwareEntered;
    if (in_launcher &&
        (exit.exit_code == kLauncherExitUsage || exit.exit_code == kLauncherExitOsErr)) {
      exit.reason = CoreExitReason::kLauncherFailed;
      exit.text = "launcher failed before entering the firmware (exit code " +
                  std::to_string(exit.exit_code) + "; see its stderr)";
    } else {
      exit.reason = CoreExitReason::kExited;
      exit.text = "exited with code " + std::to_string(exit.exit_code);
    }
  } else {
    exit.reason = CoreExitReason::kSignaled;
    exit.signal = info.si_status;
    exit.text = SignalText(exit.signal);
  }
  // The host's own kills explain themselves.
  if (reset_requested_) {
    exit.reason = CoreExitReason::kReset;
    exit.text = "reset by host";
  } else if (watchdog_fired_) {
    exit.reason = CoreExitReason::kWatchdog;
    exit.text =
        "watchdog timeout: no pet for " + std::to_string(options_.watchdog_timeout.count()) + " ms";
  } else if (protocol_error_) {
    exit.reason = CoreExitReason::kProtocolError;
    exit.text = "killed by host: mailbox protocol violation";
  }
  return exit;
}

void SimulatedCore::JoinMonitorAndClose() {
  if (monitor_.joinable()) monitor_.join();
  monitor_id_ = std::thread::id();
  CloseFd(&stop_fd_);
  CloseFd(&pidfd_);
}

Status SimulatedCore::Reset() {
  if (OnMonitorThread()) return FailedPrecondition("Reset from the exit callback");
  std::lock_guard<std::mutex> control(control_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_) {
      reset_requested_ = true;
      // ESRCH is fine: it ended on its own and the monitor is reaping it.
      PidfdKill(pidfd_);
    }
  }
  JoinMonitorAndClose();
  return OkStatus();
}

void SimulatedCore::KillForProtocolError() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!running_) return;
  protocol_error_ = true;
  PidfdKill(pidfd_);
}

bool SimulatedCore::IsRunning() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_;
}

Result<CoreExit> SimulatedCore::WaitForExit(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!running_ && !last_exit_) return FailedPrecondition("core is not running and has no exit");
  if (!exited_cv_.wait_for(lock, timeout, [&] { return !running_; })) {
    return DeadlineExceeded("core still running");
  }
  if (!last_exit_) return FailedPrecondition("core was detached");
  return *last_exit_;
}

std::optional<CoreExit> SimulatedCore::last_exit() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_exit_;
}

pid_t SimulatedCore::pid() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_ ? pid_ : 0;
}

Result<CoreState> SimulatedCore::StateLocked() const {
  if (!running_) return FailedPrecondition("core is not running");
  CoreState state;
  state.name = options_.name;
  state.pid = pid_;
  state.start_time = start_time_;
  state.entry = entry_;
  state.watchdog_ms = static_cast<std::uint32_t>(options_.watchdog_timeout.count());
  state.mailbox_fd = mailbox_core_fd_;
  state.regions = core_regions_;
  return state;
}

Result<CoreState> SimulatedCore::State() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return StateLocked();
}

Result<CoreState> SimulatedCore::Detach() {
  if (OnMonitorThread()) return FailedPrecondition("Detach from the exit callback");
  std::lock_guard<std::mutex> control(control_mutex_);
  Result<CoreState> state = FailedPrecondition("core is not running");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    state = StateLocked();
    if (!state.ok()) return state.status();
  }
  // The detached core keeps its mailbox page; a later Start here gets a
  // fresh one (Start re-formats the page, which would break the other
  // host's link). Made before anything changes, so failing leaves us intact.
  const std::string memfd_name = "tandem-" + options_.name + "-mailbox";
  TANDEM_TRY_ASSIGN(SharedMemory fresh_page,
                    SharedMemory::Create(memfd_name.c_str(), Mailbox::kPageSize));
  Mailbox::InitializePage(fresh_page.data());
  TANDEM_TRY_ASSIGN(auto fresh_mailbox,
                    Mailbox::Create(fresh_page.data(), fresh_page.size(), MailboxRole::kHost));
  fresh_mailbox->set_spin(options_.host_spin);

  const std::uint64_t one = 1;
  if (write(stop_fd_, &one, sizeof(one)) != sizeof(one)) return Internal("cannot stop the monitor");
  if (monitor_.joinable()) monitor_.join();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_) {
      // The monitor stopped watching; the core runs on without us, holding
      // its memfds (their numbers are in `state`). We drop our views: a
      // later Start here must not share memory with the detached core.
      running_ = false;
      last_exit_.reset();
      mailbox_memory_ = std::move(fresh_page);
      mailbox_ = std::move(fresh_mailbox);
      regions_.clear();
      core_regions_.clear();
    } else {
      // It ended just before the monitor saw the stop request: nothing to
      // detach from any more; the monitor reported the exit as usual.
      state = Aborted("core ended before it could be detached");
    }
  }
  exited_cv_.notify_all();
  JoinMonitorAndClose();
  return state;
}

Status SimulatedCore::Attach(const CoreState& state) {
  if (OnMonitorThread()) return FailedPrecondition("Attach from the exit callback");
  std::lock_guard<std::mutex> control(control_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_) return FailedPrecondition("core already running");
    if (!regions_.empty()) return FailedPrecondition("release memory before attaching");
  }
  JoinMonitorAndClose();
  if (state.watchdog_ms > 0xffffffffu) return InvalidArgument("bad watchdog");

  int pidfd = PidfdOpen(state.pid);
  if (pidfd < 0) return NotFound("core process is gone");
  // Same process? The pidfd pins whatever has this pid now; its start time
  // must be the recorded one, or the pid was recycled.
  auto start = ProcessStartTime(state.pid);
  struct pollfd pfd = {pidfd, POLLIN, 0};
  if (!start.ok() || *start != state.start_time || poll(&pfd, 1, 0) != 0) {
    close(pidfd);
    return NotFound("core process is gone (exited or pid reused)");
  }

  const std::string proc = "/proc/" + std::to_string(state.pid) + "/fd/";
  auto page =
      SharedMemory::OpenPath((proc + std::to_string(state.mailbox_fd)).c_str(), Mailbox::kPageSize);
  if (!page.ok()) {
    close(pidfd);
    return page.status();
  }
  auto mailbox = Mailbox::Create(page->data(), page->size(), MailboxRole::kHost);
  if (!mailbox.ok()) {
    close(pidfd);
    return mailbox.status();
  }
  std::vector<CoreRegion> regions;
  for (const auto& r : state.regions) {
    auto mapped = PageRoundUp(r.size);
    if (!mapped.ok() || !simulated_board::InDeviceWindow(r.device_address, *mapped)) {
      close(pidfd);
      return DataLoss("state names a region outside the device window");
    }
    auto memory = SharedMemory::OpenPath((proc + std::to_string(r.core_fd)).c_str(), *mapped);
    if (!memory.ok()) {
      close(pidfd);
      return memory.status();
    }
    CoreRegion region;
    region.device_address = r.device_address;
    region.size = r.size;
    region.name = r.name;
    region.memory = std::move(*memory);
    regions.push_back(std::move(region));
  }

  std::lock_guard<std::mutex> lock(mutex_);
  options_.name = state.name;
  mailbox_memory_ = std::move(*page);
  mailbox_ = std::move(*mailbox);
  mailbox_->set_spin(options_.host_spin);
  mailbox_core_fd_ = state.mailbox_fd;
  regions_ = std::move(regions);
  core_regions_ = state.regions;
  options_.watchdog_timeout = std::chrono::milliseconds(state.watchdog_ms);
  pidfd_ = pidfd;
  pid_ = state.pid;
  entry_ = state.entry;
  start_time_ = state.start_time;
  reset_requested_ = false;
  watchdog_fired_ = false;
  protocol_error_ = false;
  last_exit_.reset();
  running_ = true;
  ++run_id_;
  Status monitor = StartMonitor(options_.watchdog_timeout);
  if (!monitor.ok()) {
    running_ = false;
    CloseFd(&pidfd_);
  }
  return monitor;
}

}  // namespace tandem::linux_platform
