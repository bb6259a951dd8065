// RemoteProc's diagnostics: the core dump (coredump.h) and the trace
// buffer (trace_buffer.h) of the remote it manages.

#include <array>

#include "tandem/remoteproc/errors.h"
#include "tandem/remoteproc/remote_proc.h"
#include "tandem/remoteproc/trace_buffer.h"

namespace tandem::remoteproc {

Status RemoteProc::Coredump(CoredumpWriter& out) const {
  if (state_ != State::kRunning && state_ != State::kCrashed && state_ != State::kAttached) {
    return FailedPrecondition(error::kCoredumpNotRunning);
  }
  std::array<shm::Region, kMaxRegions> regions{};
  std::size_t n = 0;
  for (const MappedRegion& m : memory_.regions()) {
    // Devmem may be device registers: reading them can have side effects
    // (Linux dumps only carveouts and what the driver registered).
    if (m.kind != MemoryKind::kDevmem) regions[n++] = m.region;
  }
  const CoreFormat format{firmware_is_64bit_, firmware_machine_, entry_};
  return WriteElfCore(format, std::span<const shm::Region>(regions.data(), n), out);
}

Result<std::size_t> RemoteProc::ReadTrace(std::span<char> out) const {
  const TraceResource& t = resources_.trace;
  if (memory_.empty()) return FailedPrecondition(error::kNothingMapped);
  if (t.len == 0) return NotFound(error::kNoTrace);
  if (out.size() < t.len) return ResourceExhausted(error::kTraceOutputTooSmall);
  TANDEM_TRY_ASSIGN(const shm::Region trace, memory_.Translate(t.da, t.len, MemoryKind::kCarveout));
  // One copy of the remote's bytes; the text is arranged in the copy.
  TANDEM_TRY(trace.ReadBytes(0, ByteSpan(reinterpret_cast<std::byte*>(out.data()), t.len)));
  return ArrangeTraceText(out.first(t.len));
}

}  // namespace tandem::remoteproc
