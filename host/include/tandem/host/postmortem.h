#pragma once
// PostMortem: what the host keeps of a remote that crashed, captured on the
// session's control worker when the crash is recorded and before recovery
// reloads the remote (Linux: the coredump of rproc_boot_recovery, and the
// crash reason rproc_crash_handler_work logs). A daemon serves it after the
// remote is running again.
//
// Coredump policy: Linux's /sys/class/remoteproc/*/coredump
// ("disabled" | "enabled"; "inline" has no meaning without a kernel
// consumer). The core is kept in memory, bounded by
// SessionOptions::max_postmortem_core.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tandem/base/status.h"
#include "tandem/host/core_exit.h"
#include "tandem/remoteproc/crash.h"

namespace tandem::host {

enum class CoredumpPolicy : std::uint8_t { kDisabled, kEnabled };

// "disabled", "enabled" (Linux's sysfs words).
const char* CoredumpPolicyName(CoredumpPolicy policy);

// Why PostMortem::core is empty (core_status).
inline constexpr char kCoredumpDisabled[] = "coredump disabled (SessionOptions::coredump)";
inline constexpr char kPostMortemCoreTooLarge[] =
    "the core is larger than SessionOptions::max_postmortem_core: not kept";

inline constexpr std::size_t kDefaultMaxPostMortemCore = std::size_t{64} << 20;  // 64 MiB

struct PostMortem {
  remoteproc::CrashRecord crash;  // reason, detail, count
  // How the core ended, when the crash was its end (a fault, exit or
  // watchdog); nullopt for a crash of a core that still ran (reported by the
  // remote, broken or stalled link).
  std::optional<CoreExit> exit;
  // The trace buffer's text as the remote left it (trace_status says why it
  // is empty, e.g. no trace entry).
  std::string trace;
  Status trace_status;
  // The ELF core file (Session::CoredumpBytes' format); empty when
  // core_status is not ok: kFailedPrecondition kCoredumpDisabled,
  // kResourceExhausted kPostMortemCoreTooLarge, or the dump's error.
  std::vector<std::byte> core;
  Status core_status;
  std::string name;      // SessionOptions::name
  std::string firmware;  // the firmware path given to Boot/Attach, if any
  std::chrono::system_clock::time_point when{};
  std::uint32_t sequence = 0;  // crash.count: 1 for the session's first crash
};

}  // namespace tandem::host
