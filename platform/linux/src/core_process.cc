#include "tandem/linux/core_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "tandem/linux/core_state.h"
#include "tandem/linux/deadline.h"

extern char** environ;

namespace tandem::linux_platform {
namespace {

UniqueFd PidfdOpen(pid_t pid) {
  return UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
}

// posix_spawn's attribute and file-action objects, destroyed on every path.
class SpawnSetup {
 public:
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions_);
    posix_spawnattr_init(&attr_);
  }
  ~SpawnSetup() {
    posix_spawnattr_destroy(&attr_);
    posix_spawn_file_actions_destroy(&actions_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  posix_spawn_file_actions_t* actions() { return &actions_; }
  posix_spawnattr_t* attr() { return &attr_; }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attr_;
};

}  // namespace

std::vector<int> ChildFdNumbers(std::span<const int> host_fds) {
  int base = 3;
  for (int fd : host_fds) base = std::max(base, fd + 1);
  std::vector<int> child;
  for (std::size_t i = 0; i < host_fds.size(); ++i) child.push_back(base + static_cast<int>(i));
  return child;
}

Result<CoreProcess> CoreProcess::Spawn(const std::string& launcher,
                                       const std::vector<std::string>& args,
                                       std::span<const InheritedFd> fds) {
  std::vector<std::string> argv_storage = {launcher};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  SpawnSetup setup;
  // dup2 clears FD_CLOEXEC on the copy; everything else stays close-on-exec.
  for (const InheritedFd& fd : fds) {
    posix_spawn_file_actions_adddup2(setup.actions(), fd.host, fd.child);
  }
  // A core may outlive its host: it must not hold the host's terminal or
  // pipes open (a shell's $(tandem start ...) would wait for it forever).
  // stdin and stdout are /dev/null; the launcher moves stderr to the
  // console file once it has opened it (launcher/main.cc).
  posix_spawn_file_actions_addopen(setup.actions(), 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(setup.actions(), 1, "/dev/null", O_WRONLY, 0);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(setup.attr(),
                             &none);  // our threads may block signals; the core must not
  posix_spawnattr_setsigdefault(setup.attr(), &all);  // and must die of SIGSEGV, not ignore it
  posix_spawnattr_setflags(setup.attr(),
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
  pid_t pid = 0;
  const int rc =
      posix_spawn(&pid, launcher.c_str(), setup.actions(), setup.attr(), argv.data(), environ);
  if (rc != 0) {
    return rc == ENOENT ? NotFound(kLauncherNotFound)
                        : Unavailable("cannot spawn the tandem-core launcher");
  }
  UniqueFd pidfd = PidfdOpen(pid);
  if (!pidfd.valid()) {
    // Not reaped yet, so the pid is still ours to kill and wait for.
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return Unavailable("pidfd_open failed (kernel older than 5.3?)");
  }
  return CoreProcess(std::move(pidfd), pid, ProcessStartTime(pid).value_or(0));
}

Result<CoreProcess> CoreProcess::Adopt(pid_t pid, std::uint64_t start_time) {
  UniqueFd pidfd = PidfdOpen(pid);
  if (!pidfd.valid()) return NotFound(kCoreProcessGone);
  // Same process? The pidfd pins whatever has this pid now; its start time
  // must be the recorded one, or the pid was recycled. A pidfd that polls
  // readable belongs to a process that has already ended.
  auto start = ProcessStartTime(pid);
  struct pollfd pfd = {pidfd.get(), POLLIN, 0};
  if (!start.ok() || *start != start_time || poll(&pfd, 1, 0) != 0) {
    return NotFound(kCoreProcessGone);
  }
  return CoreProcess(std::move(pidfd), pid, start_time);
}

void CoreProcess::Kill() const {
  // ESRCH is fine: it ended on its own and is waiting to be reaped.
  syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
}

bool CoreProcess::WaitForEnd(std::chrono::milliseconds timeout) const {
  const auto deadline = SaturatingDeadline(timeout);
  for (;;) {
    struct pollfd pfd = {pidfd_.get(), POLLIN, 0};
    const auto slice = std::chrono::duration_cast<std::chrono::milliseconds>(SleepSlice(deadline));
    const int n = poll(&pfd, 1, static_cast<int>(slice.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
    if (slice.count() <= 0) return false;
  }
}

WaitStatus CoreProcess::Reap() const {
  siginfo_t info{};
  int rc;
  do {
    rc = waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED);
  } while (rc != 0 && errno == EINTR);
  // ECHILD: a core another process started; its status went to its parent.
  if (rc != 0) return {};
  if (info.si_code == CLD_EXITED) return {WaitStatus::Kind::kExited, info.si_status};
  return {WaitStatus::Kind::kSignaled, info.si_status};
}

}  // namespace tandem::linux_platform
