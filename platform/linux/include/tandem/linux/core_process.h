#pragma once
// CoreProcess: the `tandem-core` process of one simulated core, held
// through a pidfd (no pid-reuse races: signals and waits go to the process
// the pidfd pins, never to a recycled pid).
//
// Spawn() starts the launcher with posix_spawn: its own session (a Ctrl-C
// for the host does not reach a core that may outlive it), default signal
// dispositions and an empty signal mask (it must die of SIGSEGV), stdin and
// stdout on /dev/null, and only the fds named in the request inherited.
// Adopt() takes over a running core by pid (after an attach), checking its
// start time so a recycled pid is refused.
//
// Destruction closes the pidfd and nothing else: the process runs on
// (Detach relies on that). Kill, then Reap, to end it. Kill() and Reap()
// may run on different threads (the control thread kills, the monitor
// reaps); the object itself must not be moved meanwhile.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tandem/base/result.h"
#include "tandem/linux/core_exit.h"
#include "tandem/linux/unique_fd.h"

namespace tandem::linux_platform {

// Why Spawn or Adopt failed, for callers that act on it.
inline constexpr char kLauncherNotFound[] = "tandem-core launcher not found (set TANDEM_CORE)";
inline constexpr char kCoreProcessGone[] = "core process is gone (exited or pid reused)";

// A host fd the child gets at the fd number `child`.
struct InheritedFd {
  int host = -1;
  int child = -1;
};

// Fd numbers for the child, one per host fd in order: consecutive, above
// every host fd (and stdio), so that no dup2 in the spawn overwrites the
// source of a later one.
std::vector<int> ChildFdNumbers(std::span<const int> host_fds);

class CoreProcess {
 public:
  CoreProcess() = default;  // no process
  CoreProcess(CoreProcess&&) noexcept = default;
  CoreProcess& operator=(CoreProcess&&) noexcept = default;

  // Runs `launcher` with `args` (argv[1..]) and `fds` inherited.
  //   kNotFound (kLauncherNotFound)  no launcher at that path
  //   kUnavailable                   posix_spawn or pidfd_open failed
  static Result<CoreProcess> Spawn(const std::string& launcher,
                                   const std::vector<std::string>& args,
                                   std::span<const InheritedFd> fds);
  // The running process `pid`, if it started at `start_time` (/proc/<pid>/stat
  // field 22) and has not ended: kNotFound (kCoreProcessGone) otherwise.
  static Result<CoreProcess> Adopt(pid_t pid, std::uint64_t start_time);

  bool valid() const { return pidfd_.valid(); }
  pid_t pid() const { return pid_; }
  std::uint64_t start_time() const { return start_time_; }
  // Polls readable once the process has ended (for the monitor).
  int pidfd() const { return pidfd_.get(); }

  // SIGKILL. Harmless if the process already ended (not reaped yet: the
  // pidfd still pins it, so no other process can get the signal).
  void Kill() const;
  // Waits up to `timeout` for the process to end (its pidfd polls
  // readable), in bounded slices; works for adopted processes too, which
  // Reap cannot wait for. False if it still runs.
  bool WaitForEnd(std::chrono::milliseconds timeout) const;
  // Waits for the end and reaps it: the wait status, or kUnknown when the
  // process is not our child (adopted from another host).
  WaitStatus Reap() const;

 private:
  CoreProcess(UniqueFd pidfd, pid_t pid, std::uint64_t start_time)
      : pidfd_(std::move(pidfd)), pid_(pid), start_time_(start_time) {}

  UniqueFd pidfd_;
  pid_t pid_ = 0;
  std::uint64_t start_time_ = 0;  // 0 if /proc did not tell
};

}  // namespace tandem::linux_platform
