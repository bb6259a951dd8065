#pragma once
// The state file of a running simulated core, so that a new host process
// can find it and attach (LinuxPlatform::Detach / AttachExisting).
//
// Where: <runtime dir>/<name>.state, runtime dir = $TANDEM_RUNTIME_DIR, else
// $XDG_RUNTIME_DIR/tandem, else /tmp/tandem-<uid> (created 0700; an
// existing one must be a directory we own, not a symlink).
//
// What: the core's pid and start time (/proc/<pid>/stat field 22, so a
// recycled pid is not mistaken for the core), its entry and watchdog
// setting, and for the mailbox page and every region the fd number inside
// the core process. The core holds those memfds open for its whole life; a
// new host reopens them as /proc/<pid>/fd/<n> (same user, ptrace-read
// access, which the default Yama scope allows).
//
// Format: text, one "key value" per line, written to a temporary file and
// renamed into place (readers never see half a file):
//   tandem-core-state 1
//   name rproc0
//   pid 1234
//   start_time 987654
//   entry 0x10000000
//   watchdog_ms 1000
//   mailbox_fd 3
//   rsc_table 0x10001400 0x90                (optional: loaded resource table)
//   region 4 0x10000000 0x100000 image      (fd, device address, size, name)
// Reading is strict and bounded: the file is as untrusted as any input.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tandem/base/result.h"

namespace tandem::linux_platform {

struct CoreStateRegion {
  int core_fd = -1;
  std::uint64_t device_address = 0;
  std::uint64_t size = 0;
  std::string name;
};

struct CoreState {
  std::string name;
  pid_t pid = 0;
  std::uint64_t start_time = 0;
  std::uint64_t entry = 0;
  std::uint32_t watchdog_ms = 0;
  int mailbox_fd = -1;
  std::vector<CoreStateRegion> regions;
  // Where the host placed the loaded resource table (0/0: not recorded).
  std::uint64_t rsc_table_da = 0;
  std::uint64_t rsc_table_size = 0;
};

inline constexpr std::size_t kMaxStateRegions = 64;

// ReadCoreState found no state file: no core of that name was left running.
inline constexpr char kNoStateFile[] = "no state file for this core name";

// Instance names: 1..32 of [A-Za-z0-9_.-], not starting with '.'.
bool IsValidCoreName(std::string_view name);

// The default runtime directory (see above); not created.
std::string DefaultRuntimeDirectory();
// Creates `dir` (0700) if needed and checks it is a directory we own.
Status EnsureRuntimeDirectory(const std::string& dir);

std::string StateFilePath(const std::string& dir, const std::string& name);
Status WriteCoreState(const std::string& dir, const CoreState& state);
// kNotFound (kNoStateFile) if there is no state file for `name`; kDataLoss
// if it is malformed.
Result<CoreState> ReadCoreState(const std::string& dir, const std::string& name);
void RemoveCoreState(const std::string& dir, const std::string& name);

// Serialization, exposed for tests.
std::string FormatCoreState(const CoreState& state);
Result<CoreState> ParseCoreState(std::string_view text);

// Start time of a process in clock ticks since boot (/proc/<pid>/stat
// field 22); kNotFound if the process does not exist.
Result<std::uint64_t> ProcessStartTime(pid_t pid);

}  // namespace tandem::linux_platform
