#pragma once
// SimulatedCore: the host's handle on one simulated remote core
// (docs/architecture.md decision 8). It owns the core's memory regions (memfds,
// also mapped here; CoreMemory), the mailbox page, and the `tandem-core`
// process that maps the regions at their device addresses and runs the
// firmware (CoreProcess), watched by a monitor thread (CoreMonitor); the
// exit report comes from ClassifyCoreExit (core_exit.h).
//
//   auto core = SimulatedCore::Create(options);
//   auto image = (*core)->AddRegion(0x10000000, 1 << 20, "image");
//   ... copy the firmware's PT_LOAD segments into *image ...
//   (*core)->Start(entry);
//   (*core)->mailbox().Send(...);
//   (*core)->Reset();
//
// Process handling: the launcher is spawned with posix_spawn (its own
// session, default signal dispositions, only the memfds inherited), held
// through a pidfd, and reaped only by the monitor thread, so there are no
// zombies and no pid-reuse races. The monitor thread waits on the pidfd
// (poll) and reports the end of the core within milliseconds; it also runs
// the watchdog: if the core's pet counter (in the mailbox page) does not
// move for watchdog_timeout, it kills the core and reports kWatchdog.
//
// Threading contract:
//   * Control calls (AddRegion, RemoveAllRegions, Start, Reset, Detach,
//     Attach, KillForProtocolError): serialized by an internal mutex; call
//     them from the controlling thread. Not from the exit callback
//     (kFailedPrecondition): they wait for the monitor thread it runs on.
//   * IsRunning, WaitForExit, last_exit, pid, Regions, ViewOf: any thread.
//   * mailbox(): any thread (see mailbox.h). Attach() replaces the mailbox
//     object; do not hold a reference across it.
//   * The exit callback runs on the monitor thread, once per run, after
//     last_exit() is set and the mailbox is marked peer-gone, with no lock
//     held. It must not block for long.
//   * The destructor resets a running core (unless Detach()ed).
//
// A Detach()ed core is no longer reaped by us: if this process is still
// its parent when it ends, it stays a zombie until a new Attach() in this
// process (or this process's exit) reaps it.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tandem/base/result.h"
#include "tandem/linux/core_exit.h"
#include "tandem/linux/core_memory.h"
#include "tandem/linux/core_monitor.h"
#include "tandem/linux/core_process.h"
#include "tandem/linux/core_state.h"
#include "tandem/linux/mailbox.h"
#include "tandem/linux/shared_memory.h"
#include "tandem/shm/region.h"

namespace tandem::linux_platform {

struct SimulatedCoreOptions {
  std::string name = "rproc0";  // [A-Za-z0-9_.-], 1..32 chars
  // The launcher executable. Empty: $TANDEM_CORE if set, else the
  // tandem-core built with this library (DefaultLauncherPath()).
  std::string launcher_path;
  // 0 disables the watchdog.
  std::chrono::milliseconds watchdog_timeout{1000};
  // Where the firmware's console goes: empty = the host's stderr
  // (inherited), else a file (created, appended to).
  std::string console_path;
  // Kill the core when the thread that started it dies (PR_SET_PDEATHSIG).
  // Off by default so a core can outlive its host and be attached to again;
  // tests turn it on so a crashed test leaves no orphan core behind.
  bool die_with_host = false;
  // Spin budgets before blocking, host side and core side.
  std::chrono::nanoseconds host_spin = Mailbox::kDefaultSpin;
  std::chrono::nanoseconds core_spin = Mailbox::kDefaultSpin;
};

// $TANDEM_CORE, else the path of the tandem-core built with this library.
std::string DefaultLauncherPath();

class SimulatedCore {
 public:
  using ExitCallback = std::function<void(const CoreExit&)>;

  static Result<std::unique_ptr<SimulatedCore>> Create(SimulatedCoreOptions options);
  ~SimulatedCore();
  SimulatedCore(const SimulatedCore&) = delete;
  SimulatedCore& operator=(const SimulatedCore&) = delete;

  // A new zero-filled region at [device_address, +size). The address must be
  // page-aligned and inside the device window; regions must not overlap.
  // Only while the core is stopped (kFailedPrecondition otherwise).
  Result<shm::Region> AddRegion(std::uint64_t device_address, std::uint64_t size,
                                const std::string& name);
  // Drops the host's views of every region. A running core keeps its own
  // mappings (and the memfds), so ViewOf() can reopen them later.
  void RemoveAllRegions();
  struct RegionInfo {
    std::uint64_t device_address;
    std::uint64_t size;
    std::string name;
  };
  std::vector<RegionInfo> Regions() const;
  // The host view of [device_address, +size) inside one region. If the host
  // dropped its view (RemoveAllRegions) but the running core has the region,
  // it is reopened from the core (/proc/<pid>/fd/<n>). kNotFound otherwise.
  Result<shm::Region> ViewOf(std::uint64_t device_address, std::uint64_t size);

  // Set before Start/Attach (not while running); runs on the monitor thread.
  void SetExitCallback(ExitCallback callback);

  // Spawns the core at `entry` (a device address inside a region). Formats
  // the mailbox page first.
  Status Start(std::uint64_t entry);
  // Kills the core (SIGKILL) and waits until it is reaped. Idempotent.
  Status Reset();
  // Kills the core because its mailbox page is corrupt; the exit report
  // says kProtocolError. Does not wait.
  void KillForProtocolError();
  bool IsRunning() const;
  // Waits for the current run to end; kDeadlineExceeded on timeout,
  // kFailedPrecondition if it was never started.
  Result<CoreExit> WaitForExit(std::chrono::milliseconds timeout);
  std::optional<CoreExit> last_exit() const;
  pid_t pid() const;

  Mailbox& mailbox() { return *mailbox_.mailbox; }
  const SimulatedCoreOptions& options() const { return options_; }

  // Leaves the core running and stops watching it (no reaping, no
  // watchdog); returns what a new host needs to attach. This object is then
  // idle and empty: no regions, a fresh mailbox page (the detached core
  // keeps its own). kAborted if the core ended first.
  Result<CoreState> Detach();
  // Takes over a running core described by `state` (reopens its memfds via
  // /proc/<pid>/fd/<n>, checks the process is the same one), and watches it
  // from now on. Only on a stopped core without regions.
  Status Attach(const CoreState& state);
  // What Detach() would return (for writing the state file at Start).
  Result<CoreState> State() const;

 private:
  // The host's side of the mailbox: the page and the Mailbox over it.
  struct MailboxPage {
    SharedMemory memory;
    std::unique_ptr<Mailbox> mailbox;
    int core_fd = -1;  // the page's fd number inside the core, once one has it
  };
  static Result<MailboxPage> NewMailboxPage(const SimulatedCoreOptions& options);

  SimulatedCore(SimulatedCoreOptions options, MailboxPage mailbox);
  bool OnMonitorThread() const { return monitor_.OnMonitorThread(); }
  // Both under mutex_ and control_mutex_, with the process set.
  Status SpawnLocked(std::uint64_t entry);
  Status StartMonitorLocked();
  // The monitor's end callback: reaps, classifies, reports.
  void OnCoreEnded();
  // After the run ended or the monitor was stopped; closes the pidfd.
  void JoinMonitor();
  Result<CoreState> StateLocked() const;

  SimulatedCoreOptions options_;
  MailboxPage mailbox_;

  std::mutex control_mutex_;  // serializes control calls
  mutable std::mutex mutex_;  // guards the state below marked so
  std::condition_variable exited_cv_;
  CoreMemory memory_;  // guarded by mutex_
  ExitCallback exit_callback_;
  bool running_ = false;               // guarded by mutex_
  std::optional<CoreExit> last_exit_;  // guarded by mutex_
  // Set under both locks before the monitor starts and cleared after it is
  // joined; in between the monitor reaps it and control calls kill it.
  CoreProcess process_;
  std::uint64_t entry_ = 0;
  // Why the host killed the core, for the exit report (the watchdog's own
  // kill is the monitor's to tell).
  std::atomic<bool> reset_requested_{false};
  std::atomic<bool> protocol_error_{false};
  CoreMonitor monitor_;  // touched only under control_mutex_; destroyed before process_
};

}  // namespace tandem::linux_platform
