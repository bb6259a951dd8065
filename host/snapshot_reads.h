#pragma once
// ScopedSnapshotReads: this thread copies shared memory that others may be
// writing at the same moment. A coredump is a snapshot of a live system
// (remoteproc/coredump.h, as Linux's): the remote keeps running (or its
// last writes are in flight), and this process's own senders fill buffers
// and rings without the session's locks. ThreadSanitizer cannot tell that
// deliberate unsynchronized copy from a bug when a writer is in this process
// (the session tests' in-process core, a sender thread), so its accesses are
// ignored for the copy, and only in a TSan build. Every other access, and
// all synchronization, is still checked. Private to the host runtime.

#if defined(__SANITIZE_THREAD__)
#define TANDEM_HOST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TANDEM_HOST_TSAN 1
#endif
#endif

#ifdef TANDEM_HOST_TSAN
extern "C" void AnnotateIgnoreReadsBegin(const char* file, int line);
extern "C" void AnnotateIgnoreReadsEnd(const char* file, int line);
#endif

namespace tandem::host {

class ScopedSnapshotReads {
 public:
#ifdef TANDEM_HOST_TSAN
  ScopedSnapshotReads() { AnnotateIgnoreReadsBegin(__FILE__, __LINE__); }
  ~ScopedSnapshotReads() { AnnotateIgnoreReadsEnd(__FILE__, __LINE__); }
#else
  // User-provided (not defaulted), so a guard object is never "unused".
  ScopedSnapshotReads() {}
  ~ScopedSnapshotReads() {}
#endif
  ScopedSnapshotReads(const ScopedSnapshotReads&) = delete;
  ScopedSnapshotReads& operator=(const ScopedSnapshotReads&) = delete;
};

}  // namespace tandem::host
