#pragma once
// How a simulated core ended: the crash/exit report of the Linux platform,
// and the one place that decides it (ClassifyCoreExit) from what the host
// knows: the process's wait status, how far the launcher got, and whether
// the host killed the core itself.

#include <chrono>
#include <cstdint>
#include <string>

namespace tandem::linux_platform {

enum class CoreExitReason : std::uint8_t {
  kExited,          // the firmware returned or called bsp.exit(code)
  kSignaled,        // killed by a signal: a fault (SIGSEGV, SIGILL, ...) or an outside kill
  kWatchdog,        // the host killed it: no watchdog pet within the timeout
  kLauncherFailed,  // the launcher gave up before entering the firmware (bad args, address taken)
  kProtocolError,   // the host killed it: the mailbox page was corrupted
  kReset,           // the host reset it (Reset(), destruction)
  kUnknown,         // it ended, but it is not our child: no exit status (after an attach)
};

const char* CoreExitReasonName(CoreExitReason reason);

struct CoreExit {
  CoreExitReason reason = CoreExitReason::kUnknown;
  int exit_code = 0;  // kExited, kLauncherFailed
  int signal = 0;     // kSignaled (and the SIGKILL behind kWatchdog/kReset, if known)
  std::string text;   // e.g. "killed by signal SIGSEGV (Segmentation fault)"
  std::chrono::steady_clock::time_point when{};  // when the host noticed

  // Everything but a clean exit (code 0) and a host reset.
  bool IsCrash() const {
    return !(reason == CoreExitReason::kReset ||
             (reason == CoreExitReason::kExited && exit_code == 0));
  }
};

// What waitid() reported for the core process.
struct WaitStatus {
  enum class Kind : std::uint8_t {
    kUnknown,   // not our child (an attached core): its status went to its parent
    kExited,    // value: the exit code
    kSignaled,  // value: the signal
  };
  Kind kind = Kind::kUnknown;
  int value = 0;
};

// Why the host itself killed the core, if it did. A host kill explains the
// end better than the SIGKILL the wait status shows.
enum class HostKill : std::uint8_t { kNone, kReset, kWatchdog, kProtocolError };

struct CoreEndFacts {
  WaitStatus status;
  // The launcher had jumped into the firmware: from then on every exit
  // code is the firmware's, even 64 or 71.
  bool firmware_entered = false;
  HostKill host_kill = HostKill::kNone;
  std::chrono::milliseconds watchdog_timeout{0};  // for the kWatchdog text
};

// The report for a core that ended; `when` is now.
CoreExit ClassifyCoreExit(const CoreEndFacts& facts);

}  // namespace tandem::linux_platform
