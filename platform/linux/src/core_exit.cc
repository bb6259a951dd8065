#include "tandem/linux/core_exit.h"

#include <cstring>

#include "tandem/linux/launch_args.h"

namespace tandem::linux_platform {
namespace {

std::string SignalText(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  const char* description = strsignal(sig);
  std::string text = "killed by signal ";
  text += abbrev != nullptr ? std::string("SIG") + abbrev : std::to_string(sig);
  if (description != nullptr) text += std::string(" (") + description + ")";
  return text;
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

CoreExit ClassifyCoreExit(const CoreEndFacts& facts) {
  CoreExit exit;
  exit.when = std::chrono::steady_clock::now();
  switch (facts.status.kind) {
    case WaitStatus::Kind::kUnknown:
      exit.reason = CoreExitReason::kUnknown;
      exit.text = "core process ended (not our child: exit status unknown)";
      break;
    case WaitStatus::Kind::kExited:
      exit.exit_code = facts.status.value;
      if (!facts.firmware_entered &&
          (exit.exit_code == kLauncherExitUsage || exit.exit_code == kLauncherExitOsErr)) {
        exit.reason = CoreExitReason::kLauncherFailed;
        exit.text = "launcher failed before entering the firmware (exit code " +
                    std::to_string(exit.exit_code) + "; see its stderr)";
      } else {
        exit.reason = CoreExitReason::kExited;
        exit.text = "exited with code " + std::to_string(exit.exit_code);
      }
      break;
    case WaitStatus::Kind::kSignaled:
      exit.reason = CoreExitReason::kSignaled;
      exit.signal = facts.status.value;
      exit.text = SignalText(exit.signal);
      break;
  }
  switch (facts.host_kill) {
    case HostKill::kNone: break;
    case HostKill::kReset:
      exit.reason = CoreExitReason::kReset;
      exit.text = "reset by host";
      break;
    case HostKill::kWatchdog:
      exit.reason = CoreExitReason::kWatchdog;
      exit.text =
          "watchdog timeout: no pet for " + std::to_string(facts.watchdog_timeout.count()) + " ms";
      break;
    case HostKill::kProtocolError:
      exit.reason = CoreExitReason::kProtocolError;
      exit.text = "killed by host: mailbox protocol violation";
      break;
  }
  return exit;
}

}  // namespace tandem::linux_platform
