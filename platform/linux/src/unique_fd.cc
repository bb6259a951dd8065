#include "tandem/linux/unique_fd.h"

#include <unistd.h>

namespace tandem::linux_platform {

void UniqueFd::reset(int fd) noexcept {
  const int old = std::exchange(fd_, fd < 0 ? -1 : fd);
  // No retry on EINTR: on Linux the fd is released even then, and a retry
  // could close an fd another thread has just been given.
  if (old >= 0) close(old);
}

}  // namespace tandem::linux_platform
