#pragma once
// CoreMemory: the memory of one simulated core, memfd regions at device
// addresses. It keeps two lists, because they can differ:
//   * the host's views: what this process has mapped (AddRegion, or reopened);
//   * what the running core has mapped: each memfd's fd number inside the
//     core process, from the spawn or from the state file of an attach.
// After DropViews() the core still holds its memfds, so a view can be
// reopened from /proc/<pid>/fd/<n> (OpenCoreMemfd); an attach reopens all
// of them that way (Reopen).
//
// A value type with no lock: SimulatedCore guards it.

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tandem/base/result.h"
#include "tandem/linux/core_state.h"
#include "tandem/linux/shared_memory.h"
#include "tandem/shm/region.h"

namespace tandem::linux_platform {

inline constexpr char kRegionOverlaps[] = "region overlaps an existing region";
inline constexpr char kNoRegionThere[] = "no region contains that device range";
inline constexpr char kStateRegionOutsideWindow[] =
    "state names a region outside the device window";

struct CoreRegion {
  std::uint64_t device_address = 0;
  std::uint64_t size = 0;  // as requested (the mapping is whole pages)
  std::string name;
  SharedMemory memory;
};

// The memfd the running core `pid` holds at `core_fd`, reopened and mapped
// here: `size` bytes, rounded up to pages (the memfd must be exactly that).
Result<SharedMemory> OpenCoreMemfd(pid_t pid, int core_fd, std::uint64_t size);

class CoreMemory {
 public:
  // Every region a running core holds, reopened through /proc (attach).
  //   kDataLoss (kStateRegionOutsideWindow)  a region the state file names
  //                                          lies outside the device window
  static Result<CoreMemory> Reopen(pid_t pid, std::span<const CoreStateRegion> regions);

  // A new zero-filled region at [device_address, +size): page-aligned
  // (kInvalidArgument), inside the device window (kOutOfRange), not over
  // another view (kAlreadyExists, kRegionOverlaps). The memfd is named
  // "tandem-<core_name>-<name>".
  Result<shm::Region> Add(const std::string& core_name, std::uint64_t device_address,
                          std::uint64_t size, const std::string& name);
  // The host view of [device_address, +size) inside one region. If no view
  // holds it but the running core `core_pid` (0: none) has a region that
  // does, that region is reopened from the core and kept as a view.
  // kNotFound (kNoRegionThere) otherwise.
  Result<shm::Region> ViewOf(std::uint64_t device_address, std::uint64_t size, pid_t core_pid);
  // Whether a host view holds `device_address` (an entry point must).
  bool Holds(std::uint64_t device_address) const;

  const std::vector<CoreRegion>& views() const { return views_; }
  // Drops the host's views; what the core has mapped stays recorded.
  void DropViews() { views_.clear(); }

  // What the core has mapped. SetInCore records the spawn: `core_fds[i]` is
  // the fd number of views()[i] inside the core.
  const std::vector<CoreStateRegion>& in_core() const { return in_core_; }
  void SetInCore(std::span<const int> core_fds);
  // Forgets both lists (the host no longer has a core).
  void Clear();

 private:
  std::vector<CoreRegion> views_;
  std::vector<CoreStateRegion> in_core_;
};

}  // namespace tandem::linux_platform
