#include "tandem/linux/force_stop.h"

#include "tandem/linux/core_process.h"
#include "tandem/linux/core_state.h"

namespace tandem::linux_platform {

Result<ForcedStop> ForceStopCore(const std::string& runtime_dir, const std::string& name,
                                 std::chrono::milliseconds timeout) {
  if (!IsValidCoreName(name)) return InvalidArgument("invalid core name");
  TANDEM_TRY_ASSIGN(CoreState state, ReadCoreState(runtime_dir, name));
  ForcedStop stopped;
  stopped.pid = state.pid;
  auto process = CoreProcess::Adopt(state.pid, state.start_time);
  if (!process.ok()) {
    // Gone already (or the pid now belongs to someone else: never signal it).
    RemoveCoreState(runtime_dir, name);
    return stopped;
  }
  stopped.was_running = true;
  process->Kill();
  if (!process->WaitForEnd(timeout)) {
    return DeadlineExceeded("the core process did not end after SIGKILL");
  }
  (void)process->Reap();  // ours only if this process started it; else a no-op
  RemoveCoreState(runtime_dir, name);
  return stopped;
}

}  // namespace tandem::linux_platform
