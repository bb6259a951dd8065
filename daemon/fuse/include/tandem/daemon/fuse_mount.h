#pragma once
// FuseMount: `tandemd --mount DIR` (docs/fuse.md). Serves, with libfuse3,
// the tree Linux has for its remote processors and rpmsg devices, so that
// programs and scripts written for Linux's remoteproc sysfs and rpmsg_char
// work unchanged (in a mount namespace where DIR/sys and DIR/dev are bind-
// mounted over /sys and /dev).
//
// A multithreaded FUSE loop on threads of its own: a blocked read() of an
// endpoint holds one of them (at most kMaxThreads). Unmount() (SIGTERM)
// ends blocked reads, leaves the loop and unmounts; it must run before the
// Daemon's Shutdown (the endpoints live in its remotes).
#include <memory>
#include <string>

#include "tandem/client/client.h"
#include "tandem/daemon/daemon.h"

namespace tandem::daemon {

struct FuseOptions {
  std::string mountpoint;                      // made if missing (one level)
  std::string firmware_dir = "/lib/firmware";  // what relative firmware names are under
};

class FuseMount {
 public:
  static constexpr unsigned kMaxThreads = 64;

  static Error Mount(Daemon& daemon, FuseOptions options, std::unique_ptr<FuseMount>* out);
  ~FuseMount();  // Unmount()
  FuseMount(const FuseMount&) = delete;
  FuseMount& operator=(const FuseMount&) = delete;

  void Unmount();

  struct Impl;

 private:
  explicit FuseMount(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem::daemon
