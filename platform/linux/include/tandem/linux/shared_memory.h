#pragma once
// SharedMemory: a memfd-backed shared region, mapped in this process, that
// another process can map again from the same file descriptor (inherited
// across exec, or reopened through /proc/<pid>/fd/<n>).
//
// The size is rounded up to whole pages and then sealed against shrinking
// and growing (F_SEAL_SHRINK | F_SEAL_GROW): the peer cannot truncate the
// file under our mapping, which would turn our next access into SIGBUS.
//
// Movable RAII owner: the destructor unmaps and closes. Not thread-safe to
// move while others use it; the mapped bytes themselves are shared freely.

#include <cstddef>
#include <cstdint>
#include <utility>

#include "tandem/base/result.h"
#include "tandem/linux/unique_fd.h"
#include "tandem/shm/region.h"

namespace tandem::linux_platform {

class SharedMemory {
 public:
  SharedMemory() = default;
  ~SharedMemory();
  SharedMemory(SharedMemory&& other) noexcept;
  SharedMemory& operator=(SharedMemory&& other) noexcept;
  SharedMemory(const SharedMemory&) = delete;
  SharedMemory& operator=(const SharedMemory&) = delete;

  // A new zero-filled memfd of at least `size` bytes (rounded up to pages),
  // close-on-exec, mapped read/write. `name` shows in /proc/<pid>/fd links
  // ("/memfd:<name>") and need not be unique.
  static Result<SharedMemory> Create(const char* name, std::size_t size);

  // Maps an existing memfd (closed on failure too). The file must be at
  // least `size` bytes.
  static Result<SharedMemory> Adopt(UniqueFd fd, std::size_t size);

  // Opens `path` (e.g. "/proc/1234/fd/5") read/write and maps `size` bytes.
  // The path must name a memfd of exactly `size` bytes (a different file
  // there means the state we were given is stale).
  static Result<SharedMemory> OpenPath(const char* path, std::size_t size);

  bool valid() const { return data_ != nullptr; }
  std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }  // whole pages
  int fd() const { return fd_.get(); }

  // A bounds-checked view of [0, length) at `device_address`.
  Result<shm::Region> View(std::uint64_t device_address, std::size_t length) const;

 private:
  SharedMemory(UniqueFd fd, std::byte* data, std::size_t size)
      : fd_(std::move(fd)), data_(data), size_(size) {}
  void Unmap();

  UniqueFd fd_;
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

// Rounds up to whole pages; fails on overflow.
Result<std::size_t> PageRoundUp(std::uint64_t size);

}  // namespace tandem::linux_platform
