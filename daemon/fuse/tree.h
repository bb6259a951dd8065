#pragma once
// The tree `tandemd --mount DIR` serves (docs/fuse.md), as paths: what each
// path of Linux's remoteproc and rpmsg interface is (a directory, a sysfs
// or debugfs attribute, a control or endpoint device), and what each
// directory lists. Computed from the daemon's state at each lookup: a remote
// made, a channel announced or an endpoint created shows at once.
//
//   sys/class/remoteproc/remoteprocN/{name,state,firmware,recovery,coredump}
//   sys/kernel/debug/remoteproc/remoteprocN/{name,recovery,crash,trace0}
//   sys/bus/rpmsg/devices/virtioN.NAME.SRC.DST/{name,src,dst,announce,
//                                               modalias,driver_override}
//   sys/class/rpmsg/{rpmsg_ctrlN, rpmsgN/{name,src,dst}}
//   dev/{rpmsg_ctrlN, rpmsgN}   and  dev/{null,zero,full,random,urandom,tty}
//   (the host's device nodes) and empty dev/{pts,shm}, so that the tree can
//   replace /dev in a mount namespace.
#include <sys/types.h>

#include <string>
#include <vector>

#include "rpmsg_char.h"

namespace tandem::daemon::fuse {

enum class NodeType { kMissing, kDirectory, kAttribute, kHostDevice, kControl, kEndpoint };

enum class Attr {
  kNone,
  // remoteprocN (sysfs)
  kName,
  kState,
  kFirmware,
  kRecovery,
  kCoredump,
  // remoteprocN (debugfs)
  kDebugName,
  kDebugRecovery,
  kCrash,
  kTrace,
  // an rpmsg bus device
  kDevName,
  kDevSrc,
  kDevDst,
  kDevAnnounce,
  kDevModalias,
  kDevDriverOverride,
  // /sys/class/rpmsg/rpmsgN (rpmsg_char's endpoint device)
  kEptName,
  kEptSrc,
  kEptDst,
};

struct Node {
  NodeType type = NodeType::kMissing;
  mode_t mode = 0;  // type and permission bits, as getattr reports them
  dev_t rdev = 0;   // kHostDevice
  Attr attr = Attr::kNone;
  int index = -1;      // remoteprocN / rpmsg_ctrlN / rpmsgN
  std::string device;  // the rpmsg bus device of kDev* attributes
};

class Tree {
 public:
  explicit Tree(RpmsgChar& rpmsg) : rpmsg_(rpmsg) {}

  // `path` as FUSE gives it ("/sys/class/remoteproc"). Anything else, a
  // bad component or a name of nothing, is kMissing.
  Node Lookup(const std::string& path) const;
  // The names in directory `path` (it must be one).
  std::vector<std::string> List(const std::string& path) const;

 private:
  RpmsgChar& rpmsg_;
};

// "remoteproc12" with prefix "remoteproc" -> 12; -1 unless exactly the prefix
// and a decimal number without a leading zero (0..9999).
int ParseIndex(const std::string& name, const std::string& prefix);

}  // namespace tandem::daemon::fuse
