#include "tandem/linux/shared_memory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <limits>
#include <utility>

#include "tandem/base/checked_math.h"
#include "tandem/simulated_board/memory_map.h"

namespace tandem::linux_platform {
namespace {

Result<std::byte*> MapShared(int fd, std::size_t size) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return ResourceExhausted("mmap of shared memory failed");
  return static_cast<std::byte*>(p);
}

}  // namespace

Result<std::size_t> PageRoundUp(std::uint64_t size) {
  if (size == 0) return InvalidArgument("shared memory size is zero");
  std::uint64_t rounded;
  if (!AlignUp<std::uint64_t>(size, simulated_board::kPageSize, &rounded) ||
      rounded > std::numeric_limits<std::size_t>::max()) {
    return OutOfRange("shared memory size overflows");
  }
  return static_cast<std::size_t>(rounded);
}

SharedMemory::~SharedMemory() { Unmap(); }

SharedMemory::SharedMemory(SharedMemory&& other) noexcept
    : fd_(std::move(other.fd_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

SharedMemory& SharedMemory::operator=(SharedMemory&& other) noexcept {
  if (this != &other) {
    Unmap();
    fd_ = std::move(other.fd_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void SharedMemory::Unmap() {
  if (data_ != nullptr) munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

Result<SharedMemory> SharedMemory::Create(const char* name, std::size_t size) {
  TANDEM_TRY_ASSIGN(std::size_t rounded, PageRoundUp(size));
  // CLOEXEC: only the launcher we spawn gets these, and only through an
  // explicit dup2 in the spawn actions.
  UniqueFd fd(memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd.valid()) return ResourceExhausted("memfd_create failed");
  if (ftruncate(fd.get(), static_cast<off_t>(rounded)) != 0) {
    return ResourceExhausted("ftruncate of memfd failed");
  }
  // The size is final; F_SEAL_SEAL keeps anyone from lifting the seals.
  if (fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    return Internal("sealing the memfd failed");
  }
  TANDEM_TRY_ASSIGN(std::byte * data, MapShared(fd.get(), rounded));
  return SharedMemory(std::move(fd), data, rounded);
}

Result<SharedMemory> SharedMemory::Adopt(UniqueFd fd, std::size_t size) {
  if (!fd.valid()) return InvalidArgument("bad file descriptor");
  TANDEM_TRY_ASSIGN(std::size_t rounded, PageRoundUp(size));
  struct stat st;
  if (fstat(fd.get(), &st) != 0 || st.st_size < 0 ||
      static_cast<std::uint64_t>(st.st_size) < rounded) {
    return OutOfRange("shared memory file smaller than expected");
  }
  TANDEM_TRY_ASSIGN(std::byte * data, MapShared(fd.get(), rounded));
  return SharedMemory(std::move(fd), data, rounded);
}

Result<SharedMemory> SharedMemory::OpenPath(const char* path, std::size_t size) {
  UniqueFd fd(open(path, O_RDWR | O_CLOEXEC));
  if (!fd.valid()) return NotFound("cannot open shared memory path");
  auto rounded = PageRoundUp(size);
  struct stat st;
  if (!rounded.ok() || fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uint64_t>(st.st_size) != *rounded) {
    return FailedPrecondition("shared memory path is not the expected memfd (size differs)");
  }
  // memfds carry seals; a file that cannot have them is not one of ours.
  if (fcntl(fd.get(), F_GET_SEALS) < 0) {
    return FailedPrecondition("shared memory path is not a memfd");
  }
  return Adopt(std::move(fd), size);
}

Result<shm::Region> SharedMemory::View(std::uint64_t device_address, std::size_t length) const {
  if (!valid()) return FailedPrecondition("shared memory not mapped");
  if (length == 0 || length > size_) return OutOfRange("view larger than the shared memory");
  return shm::Region::Create(data_, length, device_address);
}

}  // namespace tandem::linux_platform
