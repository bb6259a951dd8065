#pragma once
// CoreExit: how a remote core ended, as a host platform reports it to the
// Session (HostPlatform's crash callback, last_exit()). Platform-neutral:
// the Linux platform classifies its simulated core's end into it
// (linux/core_exit.h: ClassifyCoreExit), a fake platform makes one up.

#include <chrono>
#include <cstdint>
#include <string>

namespace tandem::host {

enum class CoreExitReason : std::uint8_t {
  kExited,          // the firmware returned or called bsp.exit(code)
  kSignaled,        // killed by a signal: a fault (SIGSEGV, SIGILL, ...) or an outside kill
  kWatchdog,        // the host killed it: no watchdog pet within the timeout
  kLauncherFailed,  // the launcher gave up before entering the firmware (bad args, address taken)
  kProtocolError,   // the host killed it: the mailbox page was corrupted
  kReset,           // the host reset it (Reset(), destruction)
  kUnknown,         // it ended, but it is not our child: no exit status (after an attach)
};

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

}  // namespace tandem::host
