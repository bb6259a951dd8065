#include "tandem/linux/linux_platform.h"

#include <algorithm>
#include <vector>

#include "tandem/base/checked_math.h"
#include "tandem/linux/core_process.h"
#include "tandem/linux/core_state.h"
#include "tandem/linux/deadline.h"
#include "tandem/remoteproc/mailbox.h"

namespace tandem::linux_platform {

Result<std::unique_ptr<LinuxPlatform>> LinuxPlatform::Create(LinuxPlatformOptions options) {
  if (options.pool_base % simulated_board::kPageSize != 0 ||
      options.pool_end % simulated_board::kPageSize != 0 || options.pool_base >= options.pool_end ||
      !simulated_board::InDeviceWindow(options.pool_base, options.pool_end - options.pool_base)) {
    return InvalidArgument("allocation pool must be a page-aligned range in the device window");
  }
  TANDEM_TRY_ASSIGN(auto core, SimulatedCore::Create(options.core));
  return std::unique_ptr<LinuxPlatform>(new LinuxPlatform(std::move(options), std::move(core)));
}

LinuxPlatform::LinuxPlatform(LinuxPlatformOptions options, std::unique_ptr<SimulatedCore> core)
    : options_(std::move(options)),
      name_(options_.core.name),
      runtime_dir_(options_.runtime_dir.empty() ? DefaultRuntimeDirectory() : options_.runtime_dir),
      core_(std::move(core)) {
  // The crash report travels monitor thread -> mailbox (peer gone) -> event
  // thread, which reads core_->last_exit(); nothing to do on the monitor
  // thread itself.
}

LinuxPlatform::~LinuxPlatform() {
  Reset().IgnoreError();  // a destructor has nowhere to report to
}

std::string LinuxPlatform::state_file_path() const { return StateFilePath(runtime_dir_, name_); }

Status LinuxPlatform::SetEventCallbacks(EventCallbacks callbacks) {
  hosted::MutexGuard control(control_mutex_);
  // The event thread reads the callbacks without a lock.
  if (event_thread_.joinable()) return FailedPrecondition("set callbacks while no core runs");
  callbacks_ = std::move(callbacks);
  return OkStatus();
}

Result<std::uint64_t> LinuxPlatform::AllocateDeviceAddress(std::uint64_t size,
                                                           std::uint64_t align) const {
  struct Span {
    std::uint64_t begin, end;
  };
  std::vector<Span> used;
  for (const auto& r : core_->Regions()) {
    TANDEM_TRY_ASSIGN(std::size_t mapped, PageRoundUp(r.size));
    used.push_back({r.device_address, r.device_address + mapped});  // in the window: no overflow
  }
  std::sort(used.begin(), used.end(),
            [](const Span& a, const Span& b) { return a.begin < b.begin; });
  // First fit: walk the gaps in address order.
  std::uint64_t candidate;
  if (!AlignUp(options_.pool_base, align, &candidate)) return ResourceExhausted("pool exhausted");
  for (const Span& u : used) {
    if (u.end <= candidate) continue;
    if (u.begin >= candidate && u.begin - candidate >= size) break;  // fits before u
    if (!AlignUp(std::max(candidate, u.end), align, &candidate)) {
      return ResourceExhausted("pool exhausted");
    }
  }
  if (candidate >= options_.pool_end || options_.pool_end - candidate < size) {
    return ResourceExhausted("no free device addresses left in the allocation pool");
  }
  return candidate;
}

Result<shm::Region> LinuxPlatform::MapMemory(const remoteproc::MemoryRequest& request) {
  hosted::MutexGuard control(control_mutex_);
  if (request.size == 0) return InvalidArgument("zero-sized memory request");
  const char* name = request.name != nullptr && request.name[0] != '\0' ? request.name : "carveout";
  if (core_alive_) {
    if (request.device_address != remoteproc::kAnyAddress) {
      auto existing = core_->ViewOf(request.device_address, request.size);
      if (existing.ok()) return existing;
    }
    return FailedPrecondition("cannot add memory to a running core");
  }
  std::uint64_t device_address = request.device_address;
  if (device_address == remoteproc::kAnyAddress) {
    // 0 means "no constraint"; anything else must be a power of two.
    if (request.align != 0 && !IsPowerOfTwo(request.align)) {
      return InvalidArgument("alignment must be a power of two");
    }
    const std::uint64_t align = std::max<std::uint64_t>(request.align, simulated_board::kPageSize);
    TANDEM_TRY_ASSIGN(std::size_t mapped, PageRoundUp(request.size));
    TANDEM_TRY_ASSIGN(device_address, AllocateDeviceAddress(mapped, align));
  }
  return core_->AddRegion(device_address, request.size, name);
}

void LinuxPlatform::ReleaseMemory() {
  hosted::MutexGuard control(control_mutex_);
  core_->RemoveAllRegions();
}

void LinuxPlatform::StartEventThread() {
  stop_requested_ = false;
  core_alive_ = true;
  {
    hosted::MutexGuard lock(mutex_);
    backlog_.clear();
  }
  event_thread_ = std::thread([this] { EventLoop(); });
  event_thread_id_ = event_thread_.get_id();
}

void LinuxPlatform::StopEventThread() {
  if (!event_thread_.joinable()) return;
  stop_requested_ = true;
  core_->mailbox().Interrupt();
  event_thread_.join();
  event_thread_id_ = std::thread::id();
  {
    hosted::MutexGuard lock(mutex_);
    core_alive_ = false;
  }
  control_cv_.NotifyAll();
}

void LinuxPlatform::EventLoop() {
  Mailbox& mailbox = core_->mailbox();
  for (;;) {
    auto message = mailbox.Receive(kIdlePeriod);
    if (message.ok()) {
      Dispatch(*message);
      continue;
    }
    if (message.status().code() == StatusCode::kDeadlineExceeded) {
      if (callbacks_.idle) callbacks_.idle();
      continue;
    }
    if (message.status().code() == StatusCode::kDataLoss) {
      // The core broke the mailbox page: nothing it sends can be trusted
      // any more. Kill it; its end (kProtocolError) arrives as peer-gone.
      // Wait until the monitor has reaped it, so the crash callback below
      // gets the exit (and the session recovers). In bounded slices: a
      // Reset/Detach meanwhile (stop_requested_) or a detached core
      // (kFailedPrecondition) ends the wait too.
      core_->KillForProtocolError();
      while (!stop_requested_ &&
             core_->WaitForExit(kMaxSleepSlice).status().code() == StatusCode::kDeadlineExceeded) {
      }
    }
    break;  // kAborted: we were interrupted, or the core is gone
  }
  if (stop_requested_) return;  // Reset/Detach/destruction: they report nothing
  // The core ended. Waiters first (their message will not come), then the
  // crash callback.
  {
    hosted::MutexGuard lock(mutex_);
    core_alive_ = false;
  }
  control_cv_.NotifyAll();
  auto exit = core_->last_exit();
  if (exit && exit->reason != CoreExitReason::kReset && callbacks_.crash) callbacks_.crash(*exit);
}

void LinuxPlatform::Dispatch(std::uint32_t message) {
  if (remoteproc::mailbox::IsEvent(message)) {
    // Not a handshake anyone waits for: straight to the callback.
    if (callbacks_.control) callbacks_.control(message);
    return;
  }
  if (!remoteproc::mailbox::IsControl(message)) {
    if (callbacks_.notify) {
      callbacks_.notify(message);
    } else {
      dropped_notifies_.fetch_add(1, std::memory_order_relaxed);
    }
    return;
  }
  {
    hosted::MutexGuard lock(mutex_);
    backlog_.push_back(message);
    if (backlog_.size() > kControlBacklog) backlog_.pop_front();
  }
  control_cv_.NotifyAll();
  if (callbacks_.control) callbacks_.control(message);
}

Status LinuxPlatform::Start(std::uint64_t entry) {
  if (OnEventThread()) return FailedPrecondition("Start from a platform callback");
  hosted::MutexGuard control(control_mutex_);
  if (event_thread_.joinable()) {
    // The previous core ended by itself (crash) and nobody reset it yet.
    if (core_alive_) return FailedPrecondition("core already running");
    core_->Reset().IgnoreError();
    StopEventThread();
  }
  TANDEM_TRY(TakeInstanceLock(name_));
  // A detached core of this name (its state file names a live process)
  // would be orphaned by a second one.
  if (!state_file_written_) {
    if (auto state = ReadCoreState(runtime_dir_, name_);
        state.ok() && CoreProcess::Adopt(state->pid, state->start_time).ok()) {
      return AlreadyExists(kInstanceRunning);
    }
  }
  TANDEM_TRY(core_->Start(entry));
  StartEventThread();
  if (options_.write_state_file) {
    // Best effort: a missing state file only costs the attach feature;
    // Detach() writes it again and reports failure there.
    WriteStateFile().IgnoreError();
  }
  return OkStatus();
}

Status LinuxPlatform::Reset() {
  if (OnEventThread()) {
    // From a callback: kill and reap the core; the event thread then ends
    // by itself and the controlling thread joins it later.
    return core_->Reset();
  }
  hosted::MutexGuard control(control_mutex_);
  Status status = core_->Reset();
  StopEventThread();
  if (state_file_written_) {
    RemoveCoreState(runtime_dir_, name_);
    state_file_written_ = false;
  }
  // The table location belongs to the run that just ended.
  rsc_table_da_ = 0;
  rsc_table_size_ = 0;
  return status;
}

Status LinuxPlatform::Send(std::uint32_t message) {
  // Detach/AttachExisting replace (and unmap) the mailbox: not while we use
  // it. Held across the send: they wait at most send_timeout.
  hosted::ReaderGuard mailbox(mailbox_mutex_);
  if (!core_alive_) return Aborted("remote core is not running");
  Status sent = core_->mailbox().Send(message, options_.send_timeout);
  if (sent.code() == StatusCode::kDataLoss) {
    // The core corrupted the FIFO indices of our channel: the same protocol
    // error as on the receive side. Its end reaches the crash callback
    // through the event thread (peer gone).
    core_->KillForProtocolError();
  }
  return sent;
}

Status LinuxPlatform::WaitForControl(std::uint32_t message, std::uint32_t timeout_ms) {
  if (OnEventThread()) return FailedPrecondition("WaitForControl from a platform callback");
  const auto deadline = SaturatingDeadline(std::chrono::milliseconds(timeout_ms));
  hosted::MutexGuard lock(mutex_);
  for (;;) {
    // A message that arrived before we started waiting counts (kReady can
    // beat the host's WaitForControl call).
    auto it = std::find(backlog_.begin(), backlog_.end(), message);
    if (it != backlog_.end()) {
      backlog_.erase(it);
      return OkStatus();
    }
    if (!core_alive_) return Aborted("remote core is not running (it ended or was never started)");
    if (!control_cv_.WaitUntil(mutex_, deadline) &&
        std::find(backlog_.begin(), backlog_.end(), message) == backlog_.end()) {
      return DeadlineExceeded("remote did not send the control message in time");
    }
  }
}

bool LinuxPlatform::IsRunning() const { return core_->IsRunning(); }

Result<CoreExit> LinuxPlatform::WaitForExit(std::chrono::milliseconds timeout) {
  return core_->WaitForExit(timeout);
}

std::optional<CoreExit> LinuxPlatform::last_exit() const { return core_->last_exit(); }

pid_t LinuxPlatform::core_pid() const { return core_->pid(); }

Status LinuxPlatform::Detach() {
  if (OnEventThread()) return FailedPrecondition("Detach from a platform callback");
  hosted::MutexGuard control(control_mutex_);
  if (!core_alive_ || !core_->IsRunning()) return FailedPrecondition("no running core to detach");
  // Stop dispatching first: what the core sends from now on waits in the
  // mailbox page for the next host.
  StopEventThread();
  Result<CoreState> detached = [&] {
    hosted::WriterGuard mailbox(mailbox_mutex_);  // no Send in flight
    return core_->Detach();
  }();
  TANDEM_TRY_ASSIGN(CoreState state, std::move(detached));
  state.rsc_table_da = rsc_table_da_;
  state.rsc_table_size = rsc_table_size_;
  TANDEM_TRY(WriteCoreState(runtime_dir_, state));
  state_file_written_ = false;  // it belongs to the next host now
  rsc_table_da_ = 0;
  rsc_table_size_ = 0;
  instance_lock_.reset();  // and so does the instance
  return OkStatus();
}

Status LinuxPlatform::TakeInstanceLock(const std::string& name) {
  if (instance_lock_ && locked_name_ == name) return OkStatus();
  TANDEM_TRY_ASSIGN(InstanceLock lock, InstanceLock::Acquire(runtime_dir_, name));
  instance_lock_.emplace(std::move(lock));
  locked_name_ = name;
  return OkStatus();
}

Status LinuxPlatform::AttachExisting(std::string_view name) {
  if (OnEventThread()) return FailedPrecondition("AttachExisting from a platform callback");
  hosted::MutexGuard control(control_mutex_);
  if (event_thread_.joinable() || core_->IsRunning()) {
    return FailedPrecondition("platform already has a core");
  }
  const std::string wanted(name);
  if (!IsValidCoreName(wanted)) return InvalidArgument("invalid core name");
  TANDEM_TRY(TakeInstanceLock(wanted));
  TANDEM_TRY_ASSIGN(CoreState state, ReadCoreState(runtime_dir_, wanted));
  Status attached;
  {
    hosted::WriterGuard mailbox(mailbox_mutex_);  // no Send in flight
    attached = core_->Attach(state);
  }
  if (attached.code() == StatusCode::kNotFound) RemoveCoreState(runtime_dir_, wanted);
  TANDEM_TRY(attached);
  name_ = wanted;
  rsc_table_da_ = state.rsc_table_da;
  rsc_table_size_ = state.rsc_table_size;
  state_file_written_ = true;  // ours again: removed at Reset
  StartEventThread();
  return OkStatus();
}

Status LinuxPlatform::WriteStateFile() {
  TANDEM_TRY_ASSIGN(CoreState state, core_->State());
  state.rsc_table_da = rsc_table_da_;
  state.rsc_table_size = rsc_table_size_;
  Status written = WriteCoreState(runtime_dir_, state);
  if (written.ok()) state_file_written_ = true;
  return written;
}

Status LinuxPlatform::SetLoadedResourceTable(std::uint64_t device_address, std::uint64_t size) {
  hosted::MutexGuard control(control_mutex_);
  if (size == 0 || !simulated_board::InDeviceWindow(device_address, size)) {
    return OutOfRange("resource table outside the device window");
  }
  rsc_table_da_ = device_address;
  rsc_table_size_ = size;
  if (core_alive_ && (options_.write_state_file || state_file_written_)) return WriteStateFile();
  return OkStatus();
}

Result<shm::Region> LinuxPlatform::LoadedResourceTable() {
  hosted::MutexGuard control(control_mutex_);
  if (!core_alive_) return NotFound("no remote core is running");
  if (rsc_table_size_ == 0) return NotFound("no loaded resource table was recorded for this core");
  // As much as the region holds, up to the view limit: the caller reads the
  // table's own header to learn its length.
  for (const auto& r : core_->Regions()) {
    if (rsc_table_da_ < r.device_address || rsc_table_da_ - r.device_address >= r.size) continue;
    const std::uint64_t available = r.size - (rsc_table_da_ - r.device_address);
    return core_->ViewOf(rsc_table_da_, std::min(available, kMaxLoadedTableView));
  }
  // The host dropped its views (ReleaseMemory): let the core's regions answer.
  return core_->ViewOf(rsc_table_da_, std::min(rsc_table_size_, kMaxLoadedTableView));
}

}  // namespace tandem::linux_platform
