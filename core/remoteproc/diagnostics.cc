// RemoteProc's diagnostics: the core dump (coredump.h) and the trace
// buffer (trace_buffer.h) of the remote it manages.

#include <array>

#include "tandem/remoteproc/errors.h"
#include "tandem/remoteproc/remote_proc.h"
#include "tandem/remoteproc/trace_buffer.h"

namespace tandem::remoteproc {

std::size_t RemoteProc::CoreRegions(std::span<shm::Region, kMaxRegions> regions) const {
  std::size_t n = 0;
  for (const MappedRegion& m : memory_.regions()) {
    // Devmem may be device registers: reading them can have side effects
    // (Linux dumps only carveouts and what the driver registered).
    if (m.kind != MemoryKind::kDevmem) regions[n++] = m.region;
  }
  return n;
}

CoreNotes RemoteProc::CompleteNotes(CoreNotes notes) const {
  if (notes.state == nullptr) notes.state = StateName(state_);
  if (state_ == State::kCrashed && notes.crash_reason == nullptr) {
    notes.crash_reason = CrashReasonName(last_crash_.reason);
    notes.crash_detail = last_crash_.detail;
    notes.crash_count = last_crash_.count;
  }
  return notes;
}

Status RemoteProc::Coredump(CoredumpWriter& out, const CoreNotes& notes) const {
  if (state_ != State::kRunning && state_ != State::kCrashed && state_ != State::kAttached) {
    return FailedPrecondition(error::kCoredumpNotRunning);
  }
  std::array<shm::Region, kMaxRegions> regions{};
  const std::size_t n = CoreRegions(regions);
  return WriteElfCore(core_format(), CompleteNotes(notes),
                      std::span<const shm::Region>(regions.data(), n), out);
}

Result<std::uint64_t> RemoteProc::CoredumpSize(const CoreNotes& notes) const {
  if (state_ != State::kRunning && state_ != State::kCrashed && state_ != State::kAttached) {
    return FailedPrecondition(error::kCoredumpNotRunning);
  }
  std::array<shm::Region, kMaxRegions> regions{};
  const std::size_t n = CoreRegions(regions);
  return ElfCoreSize(core_format(), CompleteNotes(notes),
                     std::span<const shm::Region>(regions.data(), n));
}

Status RemoteProc::DescribeImage(ConstByteSpan firmware) {
  if (state_ != State::kAttached) return FailedPrecondition(error::kDescribeNotAttached);
  TANDEM_TRY_ASSIGN(const elf::ElfFile elf, elf::ElfFile::Parse(firmware));
  if (options_.expected_machine != 0) TANDEM_TRY(elf.CheckMachine(options_.expected_machine));
  firmware_is_64bit_ = elf.is_64bit();
  firmware_machine_ = elf.machine();
  entry_ = elf.entry();
  return OkStatus();
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
