#pragma once
// The command line of the `tandem-core` launcher: what SimulatedCore passes
// and what the launcher parses (one definition for both sides).
//
//   tandem-core --name <name>
//               --mailbox <fd>
//               --region <fd>:<offset>:<size>:<device address>[:<label>]   (repeatable)
//               --entry <device address>
//               [--console <path>]        (default: the inherited stderr)
//               [--die-with-parent <pid>] (SIGKILL when the spawning thread dies)
//               [--spin-ns <n>]           (mailbox spin budget of the core side)
//
// Numbers are decimal or 0x-hex. File descriptors are inherited across exec
// (memfds). Exit codes of the launcher itself, before the firmware runs,
// are below; after the jump, the exit code is the firmware's.

#include <cstdint>
#include <string>
#include <vector>

#include "tandem/base/result.h"

namespace tandem::linux_platform {

// sysexits.h values, so a launcher failure is not mistaken for a firmware
// exit code in the usual 0..3 range.
inline constexpr int kLauncherExitUsage = 64;  // EX_USAGE: bad arguments
inline constexpr int kLauncherExitOsErr = 71;  // EX_OSERR: mapping failed, address taken

struct LaunchRegion {
  int fd = -1;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::uint64_t device_address = 0;
  std::string label;  // informational; [A-Za-z0-9_.-] only
};

struct LaunchArgs {
  std::string name;
  int mailbox_fd = -1;
  std::vector<LaunchRegion> regions;
  std::uint64_t entry = 0;
  std::string console_path;   // empty: stderr
  int die_with_parent = 0;    // 0: do not tie the core to the host
  std::int64_t spin_ns = -1;  // -1: the mailbox default
};

// argv[1..] for the launcher (argv[0] is the caller's business).
std::vector<std::string> FormatLaunchArgs(const LaunchArgs& args);

// Parses and validates: page-aligned regions inside the device window, not
// overlapping, the entry inside one of them, fds >= 0.
Result<LaunchArgs> ParseLaunchArgs(int argc, const char* const* argv);

// Replaces every character outside [A-Za-z0-9_.-] with '_' and cuts to 32.
std::string SanitizeLabel(const std::string& label);

}  // namespace tandem::linux_platform
