// tandemd: the daemon that owns the remote processors of one runtime
// directory and serves the `tandem` CLI and programs (client/protocol.h,
// docs/daemon.md). The CLI starts one when none runs.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tandem/client/client.h"
#include "tandem/client/protocol.h"
#include "tandem/daemon/daemon.h"
#include "tandem/daemon/server.h"
#include "tandem/linux/core_state.h"
#ifdef TANDEM_HAVE_FUSE
#include "tandem/daemon/fuse_mount.h"
#endif

namespace {

using tandem::daemon::Daemon;
using tandem::daemon::DaemonOptions;
using tandem::daemon::ExitPolicy;
using tandem::daemon::Server;

// The daemon's lock: one tandemd per runtime directory. Kept for life.
int TakeDaemonLock(const std::string& dir, pid_t* holder) {
  const std::string path = dir + "/tandemd.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    std::ifstream in(dir + "/tandemd.pid");
    long pid = 0;
    in >> pid;
    *holder = static_cast<pid_t>(pid);
    ::close(fd);
    return -2;
  }
  return fd;
}

void RedirectOutput(const std::string& log_path) {
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd >= 0) {
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tandemd: owns the remote processors and serves the tandem CLI (docs/daemon.md)"};
  std::string runtime_dir;
  std::string on_exit = "detach";
  std::string launcher;
  bool background = false;
  std::string mount_dir;
  std::string firmware_dir = "/lib/firmware";
  std::vector<std::string> remote_names;
  app.add_option(
      "--runtime-dir", runtime_dir,
      "state files and the socket (default: $TANDEM_RUNTIME_DIR, $XDG_RUNTIME_DIR/tandem "
      "or /tmp/tandem-$UID)");
  app.add_option("--on-exit", on_exit, "what SIGTERM does to running remotes")
      ->check(CLI::IsMember({"detach", "stop"}));
  app.add_option("--launcher", launcher, "the simulated core's launcher (default: tandem-core)");
  app.add_flag("--background", background,
               "fork, and return once the socket accepts (how the CLI starts it); output goes to "
               "<runtime dir>/tandemd.log");
  app.add_option("--remote", remote_names,
                 "remotes to own from the start, in this order (remoteproc0, 1, ...); others are "
                 "made on first use");
  app.add_option("--mount", mount_dir,
                 "serve Linux's remoteproc/rpmsg file tree there with FUSE (docs/fuse.md)");
  app.add_option("--firmware-dir", firmware_dir,
                 "what a relative name written to a FUSE firmware file is under");
  app.set_version_flag("--version", std::string("tandemd ") + TANDEM_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (runtime_dir.empty()) runtime_dir = tandem::linux_platform::DefaultRuntimeDirectory();
  if (const auto s = tandem::linux_platform::EnsureRuntimeDirectory(runtime_dir); !s.ok()) {
    std::fprintf(stderr, "tandemd: runtime directory %s: %s\n", runtime_dir.c_str(), s.message());
    return 1;
  }

  // --background: the child does the work; the parent waits for one byte
  // on a pipe (ready) or its end (the child failed and said why).
  int ready_fd = -1;
  if (background) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return 1;
    const pid_t child = ::fork();
    if (child < 0) return 1;
    if (child > 0) {
      ::close(fds[1]);
      char byte = 0;
      const ssize_t n = ::read(fds[0], &byte, 1);
      return n == 1 ? 0 : 1;
    }
    ::close(fds[0]);
    ready_fd = fds[1];
    ::setsid();
  }

  pid_t holder = 0;
  int lock_fd = TakeDaemonLock(runtime_dir, &holder);
  // A daemon that is exiting still holds the lock for a moment after its
  // socket is gone: wait for it (10 s at most) rather than give up.
  for (int i = 0; lock_fd == -2 && i < 200; ++i) {
    tandem::client::Packets probe;
    if (tandem::client::Packets::Connect(tandem::client::SocketPath(runtime_dir), &probe).ok())
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    lock_fd = TakeDaemonLock(runtime_dir, &holder);
  }
  if (lock_fd == -2) {
    // Another daemon serves this directory: for the CLI that is success.
    std::fprintf(stderr, "tandemd: already running for %s (pid %d)\n", runtime_dir.c_str(),
                 static_cast<int>(holder));
    if (ready_fd >= 0) (void)!::write(ready_fd, "r", 1);
    return 0;
  }
  if (lock_fd < 0) {
    std::fprintf(stderr, "tandemd: cannot lock %s/tandemd.lock: %s\n", runtime_dir.c_str(),
                 std::strerror(errno));
    return 1;
  }

  // Signals are taken by one thread (sigwait); block them before any other
  // thread starts. A client that goes away must not kill us (EPIPE).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  DaemonOptions options;
  options.paths.runtime_dir = runtime_dir;
  options.paths.launcher = launcher;
  options.on_exit = on_exit == "stop" ? ExitPolicy::kStop : ExitPolicy::kDetach;
  // From here on the daemon's output is its log; the first process (and
  // so the CLI that started it) still hears why it could not start.
  int early_stderr = -1;
  if (ready_fd >= 0) {
    early_stderr = ::dup(STDERR_FILENO);
    RedirectOutput(runtime_dir + "/tandemd.log");
  }
  Daemon daemon(options);
  daemon.Restore();
  for (const std::string& name : remote_names) {
    tandem::daemon::ManagedRemote* remote = nullptr;
    if (auto e = daemon.Remote(name, &remote); !e.ok()) {
      std::fprintf(stderr, "tandemd: --remote %s: %s\n", name.c_str(), e.message.c_str());
      if (early_stderr >= 0)
        dprintf(early_stderr, "tandemd: --remote %s: %s\n", name.c_str(), e.message.c_str());
      return 2;
    }
  }

  Server server(daemon);
  const std::string socket_path = tandem::client::SocketPath(runtime_dir);
  if (auto e = server.Listen(socket_path); !e.ok()) {
    std::fprintf(stderr, "tandemd: %s\n", e.message.c_str());
    if (early_stderr >= 0) dprintf(early_stderr, "tandemd: %s\n", e.message.c_str());
    return 1;
  }
#ifdef TANDEM_HAVE_FUSE
  std::unique_ptr<tandem::daemon::FuseMount> fuse_mount;
  if (!mount_dir.empty()) {
    tandem::daemon::FuseOptions fo;
    fo.mountpoint = mount_dir;
    fo.firmware_dir = firmware_dir;
    if (auto e = tandem::daemon::FuseMount::Mount(daemon, fo, &fuse_mount); !e.ok()) {
      std::fprintf(stderr, "tandemd: --mount %s: %s\n", mount_dir.c_str(), e.message.c_str());
      if (early_stderr >= 0)
        dprintf(early_stderr, "tandemd: --mount %s: %s\n", mount_dir.c_str(), e.message.c_str());
      server.Shutdown();
      return 1;
    }
    std::fprintf(stderr, "tandemd: serving Linux's remoteproc/rpmsg tree at %s\n",
                 mount_dir.c_str());
  }
#else
  if (!mount_dir.empty()) {
    std::fprintf(stderr, "tandemd: --mount: built without libfuse3 (pkg-config fuse3)\n");
    if (early_stderr >= 0) dprintf(early_stderr, "tandemd: --mount: built without libfuse3\n");
    server.Shutdown();
    return 1;
  }
#endif
  {
    std::ofstream pid_file(runtime_dir + "/tandemd.pid", std::ios::trunc);
    pid_file << ::getpid() << "\n";
  }
  if (ready_fd >= 0) {
    (void)!::write(ready_fd, "r", 1);
    ::close(ready_fd);
    ::close(early_stderr);
  }
  std::fprintf(stderr, "tandemd %s: serving %s (pid %d)\n", TANDEM_VERSION, socket_path.c_str(),
               static_cast<int>(::getpid()));

  std::thread signals([&] {
    int sig = 0;
    sigwait(&set, &sig);
    std::fprintf(stderr, "tandemd: signal %d: %s remotes and exiting\n", sig,
                 options.on_exit == ExitPolicy::kStop ? "stopping" : "detaching");
    server.Stop();
  });
  server.Run();
#ifdef TANDEM_HAVE_FUSE
  // Before the remotes go: the tree's endpoints live in them.
  if (fuse_mount) fuse_mount->Unmount();
#endif
  server.Shutdown();  // no connection uses a remote from here on
  daemon.Shutdown();
  ::unlink((runtime_dir + "/tandemd.pid").c_str());
  std::fprintf(stderr, "tandemd: exited\n");
  if (!daemon.exit_requested()) {
    signals.join();
  } else {
    // A "shutdown" request ended Run(): the signal thread still waits.
    pthread_kill(signals.native_handle(), SIGTERM);
    signals.join();
  }
  return 0;
}
