#include "tandem/remoteproc/crash.h"

namespace tandem::remoteproc {

const char* CrashReasonName(CrashReason reason) {
  switch (reason) {
    case CrashReason::kFault: return "fault";
    case CrashReason::kUnexpectedExit: return "unexpected exit";
    case CrashReason::kWatchdog: return "watchdog";
    case CrashReason::kRemoteReported: return "remote reported";
    case CrashReason::kLinkBroken: return "link broken";
  }
  return "invalid";
}

}  // namespace tandem::remoteproc
