#pragma once
// LinuxPlatform: host::HostPlatform (remoteproc::Platform and the event
// side a host::Session needs) on Linux, with the remote core
// simulated by a `tandem-core` process that runs a real firmware ELF over
// real shared memory (docs/architecture.md decision 8; SimulatedCore does the
// process work, Mailbox the doorbell).
//
// Memory: MapMemory with a fixed device address creates a memfd region there
// (4 KiB-aligned, inside 0x10000000..0x3FFFFFFF, no overlap); kAnyAddress
// picks the lowest free address in the pool (default 0x30000000..
// 0x3FFFFFFF) with the requested alignment (at least 4 KiB), first fit.
// Regions are recorded for the launcher, which maps them all at Start.
// While a core runs, MapMemory only returns an existing region that holds
// the requested range (what remoteproc does when it re-walks the resource
// table after an attach); new memory needs a stopped core.
//
// Messages from the core are dispatched by an event thread, started by
// Start/AttachExisting and ended by Reset/Detach/destruction:
//   * notifyids (< 64)   -> the notify callback (dropped and counted if none)
//   * control messages   -> recorded for WaitForControl (the last 64), then
//                           the control callback
//   * the core's end     -> WaitForControl waiters get kAborted, then the
//     (crash, exit,         crash callback gets the CoreExit, for every end
//     watchdog)             not caused by Reset()/destruction/Detach()
//   * nothing for         -> the idle callback: a safety net for kicks that
//     kIdlePeriod             never came. A kick is a doorbell the core rings
//                             when the rings tell it to (EVENT_IDX), and the
//                             rings are peer-writable: a corrupted used_event
//                             must delay what the core sent by one period at
//                             most, never hold it up until the next kick.
//
// Threading contract:
//   * Callbacks are set while no core runs (kFailedPrecondition otherwise)
//     and run on the event thread, one at a time, in arrival order, with no
//     lock of the platform held: they may call Send() and Reset(). They must
//     not call Start/Detach/AttachExisting/WaitForControl
//     (kFailedPrecondition), and should return quickly (they hold up all
//     later messages).
//   * Send: any thread, concurrently with other Sends and the callbacks
//     (never blocks on the dispatcher), and with Detach or AttachExisting,
//     which replace the mailbox under mailbox_mutex_ (taken exclusively):
//     a Send finishes before, or sees the new mailbox (kAborted while no
//     core is attached).
//   * WaitForControl: any thread but the event thread; several may wait.
//   * MapMemory/ReleaseMemory/Start/Reset/Detach/AttachExisting: the
//     controlling thread (serialized internally).
//
// Attach: Start writes a state file (core_state.h) into the runtime
// directory, so a new host process can find the core even if this one dies
// without Detach(). Detach() stops watching and leaves the core running (it
// is in its own session and, unless die_with_host, not tied to us);
// AttachExisting(name) on an idle platform (in this or another process)
// re-opens the regions and the mailbox and resumes dispatching.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "tandem/base/result.h"
#include "tandem/base/thread_annotations.h"
#include "tandem/host/host_platform.h"
#include "tandem/hosted/mutex.h"
#include "tandem/linux/core_exit.h"
#include "tandem/linux/instance_lock.h"
#include "tandem/linux/simulated_core.h"
#include "tandem/remoteproc/platform.h"
#include "tandem/simulated_board/memory_map.h"

namespace tandem::linux_platform {

struct LinuxPlatformOptions {
  SimulatedCoreOptions core;  // core.name is the instance name ("rproc0")
  // How long Send waits for room in the control FIFO.
  std::chrono::milliseconds send_timeout{1000};
  // Where state files go; empty: DefaultRuntimeDirectory().
  std::string runtime_dir;
  // Write the state file at Start (not only at Detach).
  bool write_state_file = true;
  std::uint64_t pool_base = simulated_board::kDynamicPoolBase;
  std::uint64_t pool_end = simulated_board::kDynamicPoolEnd;
};

class LinuxPlatform final : public host::HostPlatform {
 public:
  using NotifyCallback = host::HostPlatform::NotifyCallback;
  using ControlCallback = host::HostPlatform::ControlCallback;
  using CrashCallback = host::HostPlatform::CrashCallback;
  using IdleCallback = host::HostPlatform::IdleCallback;
  // How long the event thread waits for a message before the idle callback.
  static constexpr std::chrono::milliseconds kIdlePeriod{100};

  static constexpr std::size_t kControlBacklog = 64;
  static constexpr std::uint64_t kMaxLoadedTableView = 4096;

  static Result<std::unique_ptr<LinuxPlatform>> Create(LinuxPlatformOptions options = {});
  // Resets a running core (not a detached one) and removes its state file.
  ~LinuxPlatform() override;
  LinuxPlatform(const LinuxPlatform&) = delete;
  LinuxPlatform& operator=(const LinuxPlatform&) = delete;

  // remoteproc::Platform.
  Result<shm::Region> MapMemory(const remoteproc::MemoryRequest& request) override;
  void ReleaseMemory() override;
  // Start also takes the instance lock (instance_lock.h) if this platform
  // does not hold it yet: kUnavailable (kInstanceInUse) while another host
  // process drives a remote of this name, kAlreadyExists (kInstanceRunning)
  // while a detached core of this name runs (attach to it or stop it).
  Status Start(std::uint64_t entry) override;
  Status Reset() override;
  //   kAborted           the core is not running (or died)
  //   kDeadlineExceeded  the control FIFO stayed full for send_timeout
  //   kInvalidArgument   a notifyid >= 64
  Status Send(std::uint32_t message) override;
  Status WaitForControl(std::uint32_t message, std::uint32_t timeout_ms) override;
  // The region recorded with SetLoadedResourceTable (by this host, or by the
  // host that booted the core, through the state file), from its device
  // address to min(its end, kMaxLoadedTableView). kNotFound if no core runs
  // or nothing was recorded.
  Result<shm::Region> LoadedResourceTable() override;

  // Tells the platform where the host placed the loaded resource table
  // (RemoteProc::loaded_table_da() and the table size, after Load), so that
  // a later host attaching to this core finds it. Saved in the state file
  // (now if the core runs, else at the next Start).
  Status SetLoadedResourceTable(std::uint64_t device_address, std::uint64_t size) override;

  // host::HostPlatform.
  Status SetEventCallbacks(EventCallbacks callbacks) override;

  bool IsRunning() const override;
  // Waits for the core to end (see SimulatedCore::WaitForExit).
  Result<CoreExit> WaitForExit(std::chrono::milliseconds timeout);
  std::optional<CoreExit> last_exit() const override;
  pid_t core_pid() const;
  const std::string& name() const { return name_; }
  std::string state_file_path() const;
  // Notifyids that arrived while no notify callback was set.
  std::uint64_t dropped_notifies() const { return dropped_notifies_.load(); }
  SimulatedCore& core() { return *core_; }

  // Leaves the core running for another host; this platform becomes idle
  // (no regions). Writes the state file and lets go of the instance lock.
  Status Detach() override;
  // Takes over the running core `name` from its state file. kNotFound if
  // there is none or the core is gone (the stale file is removed);
  // kUnavailable (kInstanceInUse) while another host process drives it.
  Status AttachExisting(std::string_view name) override;

 private:
  LinuxPlatform(LinuxPlatformOptions options, std::unique_ptr<SimulatedCore> core);
  bool OnEventThread() const { return std::this_thread::get_id() == event_thread_id_.load(); }
  void StartEventThread() TANDEM_REQUIRES(control_mutex_);
  void StopEventThread() TANDEM_REQUIRES(control_mutex_);
  void EventLoop();
  void Dispatch(std::uint32_t message);
  Result<std::uint64_t> AllocateDeviceAddress(std::uint64_t size, std::uint64_t align) const;
  // The core's state plus what only the platform knows; written to the
  // state file.
  Status WriteStateFile() TANDEM_REQUIRES(control_mutex_);
  Status TakeInstanceLock(const std::string& name) TANDEM_REQUIRES(control_mutex_);

  LinuxPlatformOptions options_;
  std::string name_;
  std::string runtime_dir_;
  std::unique_ptr<SimulatedCore> core_;

  hosted::Mutex control_mutex_;
  // Send (shared) vs Detach/AttachExisting (exclusive), which replace and
  // unmap the mailbox Send writes to. Taken after control_mutex_.
  hosted::SharedMutex mailbox_mutex_ TANDEM_ACQUIRED_AFTER(control_mutex_);
  // Set only while the event thread is not running; read by it.
  EventCallbacks callbacks_;

  mutable hosted::Mutex mutex_;  // guards backlog_ and core_alive_ (with waits)
  hosted::CondVar control_cv_;
  std::deque<std::uint32_t> backlog_ TANDEM_GUARDED_BY(mutex_);
  std::atomic<bool> core_alive_{false};
  std::atomic<bool> stop_requested_{false};
  std::atomic<std::uint64_t> dropped_notifies_{0};
  bool state_file_written_ TANDEM_GUARDED_BY(control_mutex_) = false;
  // Held from the first Start/AttachExisting until Detach or destruction
  // (not released by Reset: recovery restarts the core under the same lock).
  std::optional<InstanceLock> instance_lock_ TANDEM_GUARDED_BY(control_mutex_);
  std::string locked_name_ TANDEM_GUARDED_BY(control_mutex_);
  std::uint64_t rsc_table_da_ TANDEM_GUARDED_BY(control_mutex_) = 0;
  std::uint64_t rsc_table_size_ TANDEM_GUARDED_BY(control_mutex_) = 0;

  std::thread event_thread_;
  std::atomic<std::thread::id> event_thread_id_{};
};

}  // namespace tandem::linux_platform
