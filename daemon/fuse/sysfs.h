#pragma once
// The attributes of the tree (tree.h): what reading one gives and what
// writing one does, with Linux's words and errors (remoteproc_sysfs.c,
// remoteproc_debugfs.c, rpmsg_core.c, rpmsg_char.c):
//
//   state      offline|running|crashed|attached|detached...; write start
//              (EBUSY if running/attached), stop (EINVAL unless running,
//              attached or crashed), detach (EINVAL unless running/attached)
//   firmware   the file name; write one (EBUSY unless offline): a relative
//              name is under the firmware directory (/lib/firmware, as
//              Linux's loader; tandemd --firmware-dir), an absolute path is
//              taken as is
//   recovery   enabled|disabled; write enabled, disabled, recover
//   coredump   enabled|disabled; write enabled, inline (= enabled),
//              disabled (EBUSY while crashed)
//   debugfs crash: write mmu_fault, watchdog or fatal_error; trace0: the
//   trace buffer as the remote wrote it.
//
// A trailing newline of a write is ignored (sysfs_streq); anything else is
// EINVAL. Changes go through Daemon::Handle, so they are saved and logged
// as the CLI's are.
#include <string>
#include <string_view>

#include "rpmsg_char.h"
#include "tree.h"

namespace tandem::daemon::fuse {

class Sysfs {
 public:
  static constexpr std::size_t kMaxWrite = 4096;  // sysfs takes a page at most

  Sysfs(Daemon& daemon, RpmsgChar& rpmsg, std::string firmware_dir)
      : daemon_(daemon), rpmsg_(rpmsg), firmware_dir_(std::move(firmware_dir)) {}

  // The attribute's text: 0 or -errno.
  int Read(const Node& node, std::string* out) const;
  // A write of `data`: 0 or -errno.
  int Write(const Node& node, std::string_view data);

  const std::string& firmware_dir() const { return firmware_dir_; }

 private:
  int WriteState(ManagedRemote& remote, std::string_view word);
  int WriteFirmware(ManagedRemote& remote, std::string_view name);
  int WriteRecovery(ManagedRemote& remote, std::string_view word);
  int WriteCoredump(ManagedRemote& remote, std::string_view word);
  int WriteCrash(ManagedRemote& remote, std::string_view word);
  // One daemon request for `remote`: 0 or the errno of its failure.
  int Request(ManagedRemote& remote, client::Json request);

  Daemon& daemon_;
  RpmsgChar& rpmsg_;
  const std::string firmware_dir_;
};

}  // namespace tandem::daemon::fuse
