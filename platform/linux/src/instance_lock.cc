#include "tandem/linux/instance_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tandem/linux/core_state.h"

namespace tandem::linux_platform {

std::string LockFilePath(const std::string& runtime_dir, const std::string& name) {
  return runtime_dir + "/" + name + ".lock";
}

Result<InstanceLock> InstanceLock::Acquire(const std::string& runtime_dir,
                                           const std::string& name) {
  if (!IsValidCoreName(name)) return InvalidArgument("invalid core name");
  TANDEM_TRY(EnsureRuntimeDirectory(runtime_dir));
  const std::string path = LockFilePath(runtime_dir, name);
  // O_NOFOLLOW: the directory is ours (EnsureRuntimeDirectory), but a link
  // planted in it must not make us truncate another file.
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return Internal("cannot open the instance lock file");
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return Unavailable(kInstanceInUse);
    return Internal("cannot lock the instance lock file");
  }
  // Ours: record the pid for the next one's message.
  char pid[24];
  const int n = std::snprintf(pid, sizeof(pid), "%d\n", static_cast<int>(::getpid()));
  if (::ftruncate(fd.get(), 0) == 0 && n > 0) {
    (void)!::pwrite(fd.get(), pid, static_cast<std::size_t>(n), 0);
  }
  return InstanceLock(std::move(fd));
}

pid_t InstanceLock::Holder(const std::string& runtime_dir, const std::string& name) {
  if (!IsValidCoreName(name)) return 0;
  UniqueFd fd(::open(LockFilePath(runtime_dir, name).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return 0;
  char text[24] = {};
  const ssize_t n = ::pread(fd.get(), text, sizeof(text) - 1, 0);
  if (n <= 0) return 0;
  char* end = nullptr;
  const long pid = std::strtol(text, &end, 10);
  return (end != text && pid > 0 && pid < (1L << 22)) ? static_cast<pid_t>(pid) : 0;
}

}  // namespace tandem::linux_platform
