#pragma once
// The small interface a board gives the remoteproc core (docs/architecture.md
// decision 6). Injected at construction; the core never touches processes,
// files, registers or clocks itself. Implementations: a fake in the unit
// tests, platform/linux (a simulated core in its own process), later
// real SoCs.
//
// Threading: the remoteproc core calls these from the thread that drives it
// (the host's control thread). WaitForControl() may block that thread; the
// platform must end the wait early with kAborted when the remote dies.

#include <cstdint>

#include "tandem/base/result.h"
#include "tandem/shm/region.h"

namespace tandem::remoteproc {

// What a platform must do with a region of the remote's memory.
struct MemoryRequest {
  std::uint64_t device_address;  // kAnyAddress: the platform chooses
  std::uint64_t size;
  std::uint64_t align;  // power of two; for kAnyAddress placement
  const char* name;     // from the resource table (NUL-terminated copy)
};

inline constexpr std::uint64_t kAnyAddress = ~std::uint64_t{0};

class Platform {
 public:
  // Makes [device_address, +size) of the remote's address space available
  // and returns a host view of it. With kAnyAddress the platform picks a
  // free, suitably aligned device address (Linux: dma allocation for a
  // FW_RSC_ADDR_ANY carveout). Regions stay mapped until ReleaseMemory().
  virtual Result<shm::Region> MapMemory(const MemoryRequest& request) = 0;
  // Unmaps every region mapped since the last release. This drops the
  // host's views; RemoteProc::Detach() calls it while the remote keeps
  // running, so it must not take memory away from the remote itself.
  virtual void ReleaseMemory() = 0;

  // Releases the remote from reset at `entry` (a device address).
  virtual Status Start(std::uint64_t entry) = 0;
  // Holds the remote in reset (forced stop). Idempotent.
  virtual Status Reset() = 0;

  // Sends one 32-bit mailbox message to the remote: a vring notifyid or a
  // control message (mailbox.h).
  virtual Status Send(std::uint32_t message) = 0;
  // Blocks until the remote has sent control message `message`, the timeout
  // expires (kDeadlineExceeded) or the remote dies (kAborted).
  virtual Status WaitForControl(std::uint32_t message, std::uint32_t timeout_ms) = 0;

  // For RemoteProc::Attach() (Linux: rproc_ops get_loaded_rsc_table): the
  // host view of the resource table of the remote that is running now, as
  // whoever booted it placed it (the platform knows where, e.g. from its
  // state file). The view must cover the whole table; it may be longer (only
  // the first kMaxTableSize bytes are read). kNotFound if no remote runs or
  // the platform cannot attach. The regions the table names are then
  // mapped with MapMemory() at their fixed device addresses.
  virtual Result<shm::Region> LoadedResourceTable() = 0;

 protected:
  ~Platform() = default;
};

}  // namespace tandem::remoteproc
