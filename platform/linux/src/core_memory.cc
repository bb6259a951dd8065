#include "tandem/linux/core_memory.h"

#include <string>

#include "tandem/linux/launch_args.h"
#include "tandem/simulated_board/memory_map.h"

namespace tandem::linux_platform {
namespace {

// [device_address, +size) lies inside [base, +length); no overflow.
bool Inside(std::uint64_t device_address, std::uint64_t size, std::uint64_t base,
            std::uint64_t length) {
  return device_address >= base && device_address - base <= length &&
         size <= length - (device_address - base);
}

}  // namespace

Result<SharedMemory> OpenCoreMemfd(pid_t pid, int core_fd, std::uint64_t size) {
  TANDEM_TRY_ASSIGN(std::size_t mapped, PageRoundUp(size));
  const std::string path = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(core_fd);
  return SharedMemory::OpenPath(path.c_str(), mapped);
}

Result<CoreMemory> CoreMemory::Reopen(pid_t pid, std::span<const CoreStateRegion> regions) {
  CoreMemory memory;
  for (const auto& r : regions) {
    auto mapped = PageRoundUp(r.size);
    if (!mapped.ok() || !simulated_board::InDeviceWindow(r.device_address, *mapped)) {
      return DataLoss(kStateRegionOutsideWindow);
    }
    TANDEM_TRY_ASSIGN(SharedMemory shared, OpenCoreMemfd(pid, r.core_fd, r.size));
    memory.views_.push_back({r.device_address, r.size, r.name, std::move(shared)});
  }
  memory.in_core_.assign(regions.begin(), regions.end());
  return memory;
}

Result<shm::Region> CoreMemory::Add(const std::string& core_name, std::uint64_t device_address,
                                    std::uint64_t size, const std::string& name) {
  if (device_address % simulated_board::kPageSize != 0) {
    return InvalidArgument("device address must be 4 KiB aligned on the Linux platform");
  }
  TANDEM_TRY_ASSIGN(std::size_t mapped, PageRoundUp(size));
  if (!simulated_board::InDeviceWindow(device_address, mapped)) {
    return OutOfRange("region outside the device window 0x10000000..0x3FFFFFFF");
  }
  for (const auto& r : views_) {
    const std::uint64_t r_end = r.device_address + r.memory.size();  // in the window: no overflow
    if (device_address < r_end && r.device_address < device_address + mapped) {
      return AlreadyExists(kRegionOverlaps);
    }
  }
  const std::string memfd_name = "tandem-" + core_name + "-" + SanitizeLabel(name);
  TANDEM_TRY_ASSIGN(SharedMemory memory, SharedMemory::Create(memfd_name.c_str(), mapped));
  TANDEM_TRY_ASSIGN(shm::Region view, memory.View(device_address, static_cast<std::size_t>(size)));
  views_.push_back({device_address, size, name, std::move(memory)});
  return view;
}

Result<shm::Region> CoreMemory::ViewOf(std::uint64_t device_address, std::uint64_t size,
                                       pid_t core_pid) {
  for (const auto& r : views_) {
    if (!Inside(device_address, size, r.device_address, r.size)) continue;
    TANDEM_TRY_ASSIGN(shm::Region whole, r.memory.View(r.device_address, r.size));
    return whole.Sub(device_address - r.device_address, size);
  }
  if (core_pid == 0) return NotFound(kNoRegionThere);
  for (const auto& c : in_core_) {
    if (!Inside(device_address, size, c.device_address, c.size)) continue;
    TANDEM_TRY_ASSIGN(SharedMemory memory, OpenCoreMemfd(core_pid, c.core_fd, c.size));
    TANDEM_TRY_ASSIGN(shm::Region whole, memory.View(c.device_address, c.size));
    views_.push_back({c.device_address, c.size, c.name, std::move(memory)});
    return whole.Sub(device_address - c.device_address, size);
  }
  return NotFound(kNoRegionThere);
}

bool CoreMemory::Holds(std::uint64_t device_address) const {
  for (const auto& r : views_) {
    if (device_address >= r.device_address && device_address - r.device_address < r.size) {
      return true;
    }
  }
  return false;
}

void CoreMemory::SetInCore(std::span<const int> core_fds) {
  in_core_.clear();
  for (std::size_t i = 0; i < views_.size() && i < core_fds.size(); ++i) {
    in_core_.push_back({core_fds[i], views_[i].device_address, views_[i].size, views_[i].name});
  }
}

void CoreMemory::Clear() {
  views_.clear();
  in_core_.clear();
}

}  // namespace tandem::linux_platform
