#pragma once
// Daemon: the remotes tandemd owns and the answers to control requests
// (client/protocol.h; docs/daemon.md lists every "op").
//
// Remotes are made on first use of their name and kept for the daemon's
// life; their configuration is saved in <runtime dir>/tandemd.json after
// every change, so that a restarted daemon knows them again and re-attaches
// to the ones that kept running (AttachIfRunning).
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tandem/base/thread_annotations.h"
#include "tandem/client/client.h"
#include "tandem/daemon/managed_remote.h"
#include "tandem/hosted/mutex.h"

namespace tandem::daemon {

enum class ExitPolicy { kDetach, kStop };

struct DaemonOptions {
  DaemonPaths paths;
  // What SIGTERM does to running remotes: detach (they keep running, and the
  // next daemon re-attaches; the default) or stop them.
  ExitPolicy on_exit = ExitPolicy::kDetach;
};

class Daemon {
 public:
  explicit Daemon(DaemonOptions options);
  ~Daemon();

  // Reads the saved configuration and attaches to remotes still running.
  void Restore();
  // One control request -> its reply ({"ok": ...}). Never throws.
  Json Handle(const Json& request);
  // The remote called `name`, made (and attached if running) on first use.
  Error Remote(const std::string& name, ManagedRemote** out) TANDEM_EXCLUDES(mutex_);
  // Every remote, in the order the daemon first made them (saved in that
  // order, so it holds across restarts): the N of Linux's remoteprocN in the
  // FUSE tree (fuse/). Valid until Shutdown().
  std::vector<ManagedRemote*> Remotes() const TANDEM_EXCLUDES(mutex_);
  // Applies on_exit to every remote; then the remotes are destroyed.
  void Shutdown() TANDEM_EXCLUDES(mutex_);
  // A client asked the daemon to exit ("shutdown").
  bool exit_requested() const { return exit_requested_.load(); }
  const DaemonOptions& options() const { return options_; }

 private:
  Json Dispatch(const std::string& op, const Json& request);
  void Save() TANDEM_EXCLUDES(mutex_);
  std::string state_path() const;

  const DaemonOptions options_;
  mutable hosted::Mutex mutex_;  // the map; never held across a lifecycle call
  std::map<std::string, std::unique_ptr<ManagedRemote>> remotes_ TANDEM_GUARDED_BY(mutex_);
  std::vector<ManagedRemote*> order_ TANDEM_GUARDED_BY(mutex_);  // of creation
  hosted::Mutex save_mutex_;
  std::atomic<bool> exit_requested_{false};
};

}  // namespace tandem::daemon
