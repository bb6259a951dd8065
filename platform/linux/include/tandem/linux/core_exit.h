#pragma once
// How a simulated core ended: the crash/exit report of the Linux platform.

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

}  // namespace tandem::linux_platform
