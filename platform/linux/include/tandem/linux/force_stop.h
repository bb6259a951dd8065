#pragma once
// ForceStopCore: ends a detached core by its state file alone, without
// attaching. Stopping must always work: when the shared memory is corrupt
// (the loaded resource table, the mailbox page), an attach fails to parse
// it every time, and a stop that needs the attach would leave the core
// running forever. This needs nothing the core wrote: the state file (pid,
// start time) is the host's own.
//
// It adopts the process (refusing a recycled pid: CoreProcess::Adopt),
// SIGKILLs it, waits for its end (bounded), and removes the state file.
// The memfds die with the core, which is their last holder.

#include <sys/types.h>

#include <chrono>
#include <string>

#include "tandem/base/result.h"

namespace tandem::linux_platform {

struct ForcedStop {
  pid_t pid = 0;             // the core named by the state file
  bool was_running = false;  // false: it had already ended (stale state file)
};

//   kNotFound (kNoStateFile)   no state file: no core of that name
//   kDataLoss                  malformed state file (left in place)
//   kDeadlineExceeded          the core did not end within `timeout` after SIGKILL
//                              (the state file is kept so a later stop can retry)
Result<ForcedStop> ForceStopCore(const std::string& runtime_dir, const std::string& name,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace tandem::linux_platform
