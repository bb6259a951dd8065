#include "tandem/linux/simulated_core.h"

#include <unistd.h>

#include <cstdlib>
#include <span>

#include "tandem/linux/deadline.h"
#include "tandem/linux/launch_args.h"

namespace tandem::linux_platform {

Result<SimulatedCore::MailboxPage> SimulatedCore::NewMailboxPage(
    const SimulatedCoreOptions& options) {
  const std::string memfd_name = "tandem-" + options.name + "-mailbox";
  TANDEM_TRY_ASSIGN(SharedMemory memory,
                    SharedMemory::Create(memfd_name.c_str(), Mailbox::kPageSize));
  Mailbox::InitializePage(memory.data());
  TANDEM_TRY_ASSIGN(auto mailbox,
                    Mailbox::Create(memory.data(), memory.size(), MailboxRole::kHost));
  mailbox->set_spin(options.host_spin);
  return MailboxPage{std::move(memory), std::move(mailbox)};
}

Result<std::unique_ptr<SimulatedCore>> SimulatedCore::Create(SimulatedCoreOptions options) {
  if (!IsValidCoreName(options.name)) return InvalidArgument("invalid core name");
  if (options.watchdog_timeout.count() < 0 || options.watchdog_timeout.count() > 0xffffffffLL) {
    return InvalidArgument("watchdog timeout out of range");
  }
  if (options.launcher_path.empty()) options.launcher_path = DefaultLauncherPath();
  TANDEM_TRY_ASSIGN(MailboxPage mailbox, NewMailboxPage(options));
  return std::unique_ptr<SimulatedCore>(new SimulatedCore(std::move(options), std::move(mailbox)));
}

SimulatedCore::SimulatedCore(SimulatedCoreOptions options, MailboxPage mailbox)
    : options_(std::move(options)), mailbox_(std::move(mailbox)) {}

SimulatedCore::~SimulatedCore() {
  Reset().IgnoreError();  // a destructor has nowhere to report to
}

Result<shm::Region> SimulatedCore::AddRegion(std::uint64_t device_address, std::uint64_t size,
                                             const std::string& name) {
  if (OnMonitorThread()) return FailedPrecondition("AddRegion from the exit callback");
  std::lock_guard<std::mutex> control(control_mutex_);
  std::lock_guard<std::mutex> lock(mutex_);
  if (running_) return FailedPrecondition("cannot add memory to a running core");
  return memory_.Add(options_.name, device_address, size, name);
}

void SimulatedCore::RemoveAllRegions() {
  std::lock_guard<std::mutex> control(control_mutex_);
  std::lock_guard<std::mutex> lock(mutex_);
  memory_.DropViews();
}

std::vector<SimulatedCore::RegionInfo> SimulatedCore::Regions() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<RegionInfo> out;
  for (const auto& r : memory_.views()) out.push_back({r.device_address, r.size, r.name});
  return out;
}

Result<shm::Region> SimulatedCore::ViewOf(std::uint64_t device_address, std::uint64_t size) {
  std::lock_guard<std::mutex> lock(mutex_);
  return memory_.ViewOf(device_address, size, running_ ? process_.pid() : 0);
}

void SimulatedCore::SetExitCallback(ExitCallback callback) {
  std::lock_guard<std::mutex> control(control_mutex_);
  std::lock_guard<std::mutex> lock(mutex_);
  exit_callback_ = std::move(callback);
}

Status SimulatedCore::SpawnLocked(std::uint64_t entry) {
  // The mailbox page first, then the regions in order.
  std::vector<int> host_fds = {mailbox_.memory.fd()};
  for (const auto& r : memory_.views()) host_fds.push_back(r.memory.fd());
  const std::vector<int> child_fds = ChildFdNumbers(host_fds);
  std::vector<InheritedFd> inherited;
  for (std::size_t i = 0; i < host_fds.size(); ++i)
    inherited.push_back({host_fds[i], child_fds[i]});

  LaunchArgs args;
  args.name = options_.name;
  args.mailbox_fd = child_fds[0];
  for (std::size_t i = 0; i < memory_.views().size(); ++i) {
    const CoreRegion& r = memory_.views()[i];
    LaunchRegion lr;
    lr.fd = child_fds[i + 1];
    lr.size = r.memory.size();
    lr.device_address = r.device_address;
    lr.label = SanitizeLabel(r.name);
    args.regions.push_back(lr);
  }
  args.entry = entry;
  args.console_path = options_.console_path;
  args.die_with_parent = options_.die_with_host ? getpid() : 0;
  args.spin_ns = options_.core_spin.count();

  TANDEM_TRY_ASSIGN(process_,
                    CoreProcess::Spawn(options_.launcher_path, FormatLaunchArgs(args), inherited));
  mailbox_.core_fd = child_fds[0];
  memory_.SetInCore(std::span<const int>(child_fds).subspan(1));
  return OkStatus();
}

Status SimulatedCore::Start(std::uint64_t entry) {
  if (OnMonitorThread()) return FailedPrecondition("Start from the exit callback");
  std::lock_guard<std::mutex> control(control_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_) return FailedPrecondition("core already running");
  }
  JoinMonitor();  // the previous run's monitor, if it ended by itself
  std::lock_guard<std::mutex> lock(mutex_);
  if (memory_.views().empty()) return FailedPrecondition("no memory mapped for the core");
  if (!memory_.Holds(entry)) return OutOfRange("entry point is outside every mapped region");

  mailbox_.mailbox->ResetForNewCore();
  reset_requested_ = false;
  protocol_error_ = false;
  TANDEM_TRY(SpawnLocked(entry));
  entry_ = entry;
  last_exit_.reset();
  running_ = true;
  Status monitor = StartMonitorLocked();
  if (!monitor.ok()) {
    process_.Kill();
    (void)process_.Reap();  // unwatched: nobody else reaps it
    process_ = CoreProcess();
    running_ = false;
  }
  return monitor;
}

Status SimulatedCore::StartMonitorLocked() {
  return monitor_.Start(process_, *mailbox_.mailbox, options_.watchdog_timeout,
                        [this] { OnCoreEnded(); });
}

void SimulatedCore::OnCoreEnded() {
  CoreEndFacts facts;
  facts.status = process_.Reap();
  facts.firmware_entered = mailbox_.mailbox->core_stage() == CoreStage::kFirmwareEntered;
  // The host's own kills explain themselves; a reset wins over the rest.
  if (reset_requested_) {
    facts.host_kill = HostKill::kReset;
  } else if (monitor_.watchdog_fired()) {
    facts.host_kill = HostKill::kWatchdog;
  } else if (protocol_error_) {
    facts.host_kill = HostKill::kProtocolError;
  }
  facts.watchdog_timeout = options_.watchdog_timeout;
  CoreExit exit = ClassifyCoreExit(facts);

  ExitCallback callback;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    running_ = false;
    last_exit_ = exit;
    callback = exit_callback_;
  }
  exited_cv_.notify_all();
  // After last_exit_ is set: a receiver woken by this reads it.
  mailbox_.mailbox->SetPeerGone();
  if (callback) callback(exit);
}

void SimulatedCore::JoinMonitor() {
  monitor_.Join();
  std::lock_guard<std::mutex> lock(mutex_);
  process_ = CoreProcess();
}

Status SimulatedCore::Reset() {
  if (OnMonitorThread()) return FailedPrecondition("Reset from the exit callback");
  std::lock_guard<std::mutex> control(control_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_) {
      reset_requested_ = true;
      process_.Kill();  // if it ended on its own, the monitor is reaping it
    }
  }
  JoinMonitor();
  return OkStatus();
}

void SimulatedCore::KillForProtocolError() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!running_) return;
  protocol_error_ = true;
  process_.Kill();
}

bool SimulatedCore::IsRunning() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_;
}

Result<CoreExit> SimulatedCore::WaitForExit(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!running_ && !last_exit_) return FailedPrecondition("core is not running and has no exit");
  // Saturated: callers pass milliseconds::max() for "until it ends", and
  // wait_for(max) overflows the clock (UB; in practice it returned at once).
  const auto deadline = SaturatingDeadline(timeout);
  while (running_) {
    const auto slice = SleepSlice(deadline);
    if (slice <= std::chrono::nanoseconds::zero()) return DeadlineExceeded("core still running");
    exited_cv_.wait_for(lock, slice);
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
  return running_ ? process_.pid() : 0;
}

Result<CoreState> SimulatedCore::StateLocked() const {
  if (!running_) return FailedPrecondition("core is not running");
  CoreState state;
  state.name = options_.name;
  state.pid = process_.pid();
  state.start_time = process_.start_time();
  state.entry = entry_;
  state.watchdog_ms = static_cast<std::uint32_t>(options_.watchdog_timeout.count());
  state.mailbox_fd = mailbox_.core_fd;
  state.regions = memory_.in_core();
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
  TANDEM_TRY_ASSIGN(MailboxPage fresh, NewMailboxPage(options_));
  TANDEM_TRY(monitor_.Stop());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_) {
      // The monitor stopped watching; the core runs on without us, holding
      // its memfds (their numbers are in `state`). We drop our views: a
      // later Start here must not share memory with the detached core.
      running_ = false;
      last_exit_.reset();
      mailbox_ = std::move(fresh);
      memory_.Clear();
    } else {
      // It ended just before the monitor saw the stop request: nothing to
      // detach from any more; the monitor reported the exit as usual.
      state = Aborted("core ended before it could be detached");
    }
  }
  exited_cv_.notify_all();
  JoinMonitor();
  return state;
}

Status SimulatedCore::Attach(const CoreState& state) {
  if (OnMonitorThread()) return FailedPrecondition("Attach from the exit callback");
  std::lock_guard<std::mutex> control(control_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_) return FailedPrecondition("core already running");
    if (!memory_.views().empty()) return FailedPrecondition("release memory before attaching");
  }
  JoinMonitor();

  TANDEM_TRY_ASSIGN(CoreProcess process, CoreProcess::Adopt(state.pid, state.start_time));
  TANDEM_TRY_ASSIGN(SharedMemory page,
                    OpenCoreMemfd(state.pid, state.mailbox_fd, Mailbox::kPageSize));
  TANDEM_TRY_ASSIGN(auto mailbox, Mailbox::Create(page.data(), page.size(), MailboxRole::kHost));
  mailbox->set_spin(options_.host_spin);
  TANDEM_TRY_ASSIGN(CoreMemory memory, CoreMemory::Reopen(state.pid, state.regions));

  std::lock_guard<std::mutex> lock(mutex_);
  options_.name = state.name;
  options_.watchdog_timeout = std::chrono::milliseconds(state.watchdog_ms);
  mailbox_ = MailboxPage{std::move(page), std::move(mailbox), state.mailbox_fd};
  memory_ = std::move(memory);
  process_ = std::move(process);
  entry_ = state.entry;
  reset_requested_ = false;
  protocol_error_ = false;
  last_exit_.reset();
  running_ = true;
  Status monitor = StartMonitorLocked();
  if (!monitor.ok()) {
    running_ = false;
    process_ = CoreProcess();
  }
  return monitor;
}

}  // namespace tandem::linux_platform
