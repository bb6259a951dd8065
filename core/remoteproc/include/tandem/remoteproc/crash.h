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

class RemoteProc;

// Told when RemoteProc records a crash (ReportCrash: the state is now
// crashed, last_crash() holds it) and before recovery, if on, reloads the
// remote: its memory is still mapped, as the crash left it. Where a host
// keeps its post-mortem (Linux dumps the core at that point of
// rproc_boot_recovery). Called on the thread driving RemoteProc, from inside
// ReportCrash; the listener may use the const accessors only (Coredump,
// ReadTrace, last_crash, ...).
class CrashListener {
 public:
  virtual void OnCrashRecorded(const RemoteProc& rproc) = 0;

 protected:
  ~CrashListener() = default;
};

}  // namespace tandem::remoteproc
