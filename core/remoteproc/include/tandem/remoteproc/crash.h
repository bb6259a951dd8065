#pragma once
// Why a remote crashed, as recorded by RemoteProc::ReportCrash(). Linux has
// RPROC_MMUFAULT, RPROC_WATCHDOG, RPROC_FATAL_ERROR
// (include/linux/remoteproc.h, enum rproc_crash_type); we name the ways the
// platforms we have detect a crash.

#include <cstddef>
#include <cstdint>

namespace tandem::remoteproc {

enum class CrashReason : std::uint8_t {
  kFault,           // the core faulted (signal, MMU/bus fault, HardFault)
  kUnexpectedExit,  // the core stopped without being asked (process exit)
  kWatchdog,        // a watchdog saw it hang
  kRemoteReported,  // the remote sent mailbox::kCrash
  kLinkBroken,      // the remote broke the VirtIO/RPMsg protocol
};

// "fault", "unexpected exit", "watchdog", "remote reported", "link broken".
const char* CrashReasonName(CrashReason reason);

inline constexpr std::size_t kCrashDetailSize = 96;  // including the NUL

struct CrashRecord {
  CrashReason reason = CrashReason::kFault;
  char detail[kCrashDetailSize] = {};  // copied, NUL-terminated, may be cut
  std::uint32_t count = 0;             // crashes recorded since construction
};

}  // namespace tandem::remoteproc
