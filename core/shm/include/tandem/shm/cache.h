#pragma once
// Cache maintenance hooks for platforms where shared memory is not coherent
// between the two cores (e.g. a Cortex-M7 with D-cache and no snooping).
//
// The rule the shm layer follows everywhere: every write to shared memory is
// followed by Clean() of the bytes written (so no dirty line of ours stays in
// our cache), and every read of bytes the peer may have written is preceded
// by Invalidate(). Because our lines are never left dirty, invalidating a
// line that holds both our field and the peer's (e.g. used_event next to the
// avail ring) never loses data.

#include <cstddef>

namespace tandem::shm {

class CacheOps {
 public:
  // Write back [addr, addr+len) to memory so the peer can see it.
  virtual void Clean(const void* addr, std::size_t len) = 0;
  // Discard cached copies of [addr, addr+len) so the next read sees memory.
  virtual void Invalidate(const void* addr, std::size_t len) = 0;

 protected:
  ~CacheOps() = default;  // never deleted through the interface
};

}  // namespace tandem::shm
