#pragma once
// InstanceLock: one host process at a time drives a remote of a given name.
//
// Two host processes attached to one remote corrupt each other: both reset
// the vdev, both post buffers in the same rings, both consume the same
// mailbox (issue #11: an echo printed another command's reply, a tty died
// with "used index jumped past the ring size", the remote was lost). Linux
// has one owner by construction (the kernel). Until Tandem's daemon is that
// owner, the lock makes the second host fail at once with a clear error
// instead of corrupting the first.
//
// What: an exclusive flock(2) on <runtime dir>/<name>.lock, held from Start
// or AttachExisting until Detach or the end of the platform or process (the kernel
// drops it when the holder dies, so a crashed host never leaves a stale
// lock). The file holds the holder's pid, for the message only; it is left
// in place (removing it would race a new holder). The fd is close-on-exec:
// the core process never holds it.

#include <sys/types.h>

#include <string>

#include "tandem/base/result.h"
#include "tandem/linux/unique_fd.h"

namespace tandem::linux_platform {

// Another host process holds the instance (kUnavailable).
inline constexpr char kInstanceInUse[] =
    "another host process is using this remote (only one host may drive it at a time)";

// Start of a name whose detached core still runs (kAlreadyExists): a second
// core would orphan the first.
inline constexpr char kInstanceRunning[] =
    "a remote of this name is already running (attach to it, or stop it first)";

class InstanceLock {
 public:
  // kUnavailable (kInstanceInUse) if another open file description holds it
  // (another process, or another platform in this one): Holder() names it.
  // Errors of the runtime directory or the file: kInternal with the reason.
  static Result<InstanceLock> Acquire(const std::string& runtime_dir, const std::string& name);
  // The pid written by the current holder of `name`'s lock, 0 if unknown.
  static pid_t Holder(const std::string& runtime_dir, const std::string& name);

  InstanceLock(InstanceLock&&) noexcept = default;
  InstanceLock& operator=(InstanceLock&&) noexcept = default;
  // Closing the fd releases the lock.
  ~InstanceLock() = default;

 private:
  explicit InstanceLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

std::string LockFilePath(const std::string& runtime_dir, const std::string& name);

}  // namespace tandem::linux_platform
