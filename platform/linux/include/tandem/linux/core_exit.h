#pragma once
// How a simulated core ended: the one place that decides the Linux
// platform's crash/exit report (ClassifyCoreExit) from what the host
// knows: the process's wait status, how far the launcher got, and whether
// the host killed the core itself.

#include <chrono>
#include <cstdint>
#include <string>

#include "tandem/host/core_exit.h"

namespace tandem::linux_platform {

// The report itself is the host platform interface's (host/core_exit.h):
// the Session sees it through HostPlatform. The Linux names stay usable.
using host::CoreExit;
using host::CoreExitReason;

const char* CoreExitReasonName(CoreExitReason reason);

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
