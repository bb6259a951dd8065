#pragma once
// The regions of the remote's memory the host has mapped for one run, with
// what each is for. A fixed-capacity table (no heap); RemoteProc fills it
// while loading or attaching and empties it when the platform releases the
// memory.
//
// Device address -> host view translation goes through here: a device range
// is accepted only if it lies entirely inside ONE mapped region (Linux's
// rproc_da_to_va looks for one carveout that contains the whole range too).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "tandem/base/result.h"
#include "tandem/rsc/resource_table.h"
#include "tandem/shm/region.h"

namespace tandem::remoteproc {

// Linux allocates each carveout, each vring and the vdev buffer area as its
// own carveout and maps devmem separately; a firmware has a handful.
inline constexpr std::size_t kMaxRegions = 16;

enum class MemoryKind : std::uint8_t {
  kCarveout,  // RSC_CARVEOUT: RAM the firmware is loaded into / uses
  kDevmem,    // RSC_DEVMEM: device memory (may be registers; never dumped)
  kVring,     // a vring the host allocated (its da was FW_RSC_ADDR_ANY)
  kBuffers,   // the RPMsg buffer area the host allocated
};

const char* MemoryKindName(MemoryKind kind);

struct MappedRegion {
  shm::Region region;
  MemoryKind kind = MemoryKind::kCarveout;
  rsc::ResourceName name;
};

class MemoryMap {
 public:
  // kResourceExhausted when kMaxRegions are mapped already.
  Status Add(const shm::Region& region, MemoryKind kind, const char* name);
  void Clear() { count_ = 0; }

  std::span<const MappedRegion> regions() const { return {regions_.data(), count_}; }
  bool empty() const { return count_ == 0; }

  // The mapped region of `kind` that contains all of [da, da + length), or
  // nullptr. length 0 never matches.
  const MappedRegion* Find(std::uint64_t da, std::uint64_t length, MemoryKind kind) const;
  // Same over every kind.
  const MappedRegion* FindAny(std::uint64_t da, std::uint64_t length) const;

  // Host view of exactly [da, da + length): kNotFound if no single mapped
  // region contains it, kInvalidArgument for length 0.
  Result<shm::Region> Translate(std::uint64_t da, std::uint64_t length) const;
  Result<shm::Region> Translate(std::uint64_t da, std::uint64_t length, MemoryKind kind) const;

 private:
  static Result<shm::Region> View(const MappedRegion* mapped, std::uint64_t da,
                                  std::uint64_t length);

  std::array<MappedRegion, kMaxRegions> regions_{};
  std::size_t count_ = 0;
};

}  // namespace tandem::remoteproc
