#include "tree.h"

#include <sys/stat.h>

#include <algorithm>

namespace tandem::daemon::fuse {

namespace {

constexpr mode_t kDir = S_IFDIR | 0755;
constexpr mode_t kDevFile = S_IFREG | 0600;  // FUSE serves ioctl/poll on regular files

// The host's device nodes the tree carries, so that it can stand for /dev.
constexpr const char* kHostDevices[] = {"null", "zero", "full", "random", "urandom", "tty"};
constexpr const char* kMountPoints[] = {"pts", "shm"};

struct AttrName {
  const char* name;
  Attr attr;
  mode_t mode;
};
constexpr AttrName kRemoteprocAttrs[] = {{"name", Attr::kName, 0444},
                                         {"state", Attr::kState, 0644},
                                         {"firmware", Attr::kFirmware, 0644},
                                         {"recovery", Attr::kRecovery, 0644},
                                         {"coredump", Attr::kCoredump, 0644}};
constexpr AttrName kDebugAttrs[] = {{"name", Attr::kDebugName, 0400},
                                    {"recovery", Attr::kDebugRecovery, 0600},
                                    {"crash", Attr::kCrash, 0200},
                                    {"trace0", Attr::kTrace, 0400}};
constexpr AttrName kBusDeviceAttrs[] = {
    {"name", Attr::kDevName, 0444},         {"src", Attr::kDevSrc, 0444},
    {"dst", Attr::kDevDst, 0444},           {"announce", Attr::kDevAnnounce, 0444},
    {"modalias", Attr::kDevModalias, 0444}, {"driver_override", Attr::kDevDriverOverride, 0644}};
constexpr AttrName kEndpointAttrs[] = {
    {"name", Attr::kEptName, 0444}, {"src", Attr::kEptSrc, 0444}, {"dst", Attr::kEptDst, 0444}};

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    const std::size_t j = path.find('/', i);
    const std::size_t end = j == std::string::npos ? path.size() : j;
    if (end > i) parts.push_back(path.substr(i, end - i));
    i = end;
  }
  return parts;
}

Node Directory() { return Node{NodeType::kDirectory, kDir}; }

template <std::size_t N>
Node FindAttr(const AttrName (&table)[N], const std::string& name, int index) {
  for (const AttrName& a : table) {
    if (name == a.name) {
      Node n{NodeType::kAttribute, static_cast<mode_t>(S_IFREG | a.mode)};
      n.attr = a.attr;
      n.index = index;
      return n;
    }
  }
  return {};
}

template <std::size_t N>
std::vector<std::string> AttrNames(const AttrName (&table)[N]) {
  std::vector<std::string> out;
  for (const AttrName& a : table) out.push_back(a.name);
  return out;
}

bool Is(const std::vector<std::string>& p, std::initializer_list<const char*> prefix) {
  if (p.size() < prefix.size()) return false;
  std::size_t i = 0;
  for (const char* s : prefix) {
    if (p[i++] != s) return false;
  }
  return true;
}

}  // namespace

int ParseIndex(const std::string& name, const std::string& prefix) {
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return -1;
  const std::string digits = name.substr(prefix.size());
  if (digits.size() > 4 || (digits.size() > 1 && digits[0] == '0')) return -1;
  int v = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

Node Tree::Lookup(const std::string& path) const {
  const std::vector<std::string> p = Split(path);
  const std::size_t n = p.size();
  if (n == 0) return Directory();
  if (p[0] == "dev") {
    if (n == 1) return Directory();
    if (n != 2) return {};
    if (const int i = ParseIndex(p[1], "rpmsg_ctrl"); i >= 0) {
      if (rpmsg_.Remote(i) == nullptr) return {};
      Node node{NodeType::kControl, kDevFile};
      node.index = i;
      return node;
    }
    if (const int i = ParseIndex(p[1], "rpmsg"); i >= 0) {
      if (rpmsg_.Endpoint(i) == nullptr) return {};
      Node node{NodeType::kEndpoint, kDevFile};
      node.index = i;
      return node;
    }
    for (const char* d : kHostDevices) {
      if (p[1] != d) continue;
      struct stat st;
      if (::stat((std::string("/dev/") + d).c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) return {};
      Node node{NodeType::kHostDevice, st.st_mode};
      node.rdev = st.st_rdev;
      return node;
    }
    for (const char* d : kMountPoints) {
      if (p[1] == d) return Directory();
    }
    return {};
  }
  if (p[0] != "sys") return {};
  if (n == 1) return Directory();
  if (n == 2) return p[1] == "class" || p[1] == "bus" || p[1] == "kernel" ? Directory() : Node{};

  if (Is(p, {"sys", "class", "remoteproc"})) {
    if (n == 3) return Directory();
    const int i = ParseIndex(p[3], "remoteproc");
    if (i < 0 || rpmsg_.Remote(i) == nullptr) return {};
    if (n == 4) return Directory();
    return n == 5 ? FindAttr(kRemoteprocAttrs, p[4], i) : Node{};
  }
  if (Is(p, {"sys", "kernel", "debug", "remoteproc"})) {
    if (n == 4) return Directory();
    const int i = ParseIndex(p[4], "remoteproc");
    if (i < 0 || rpmsg_.Remote(i) == nullptr) return {};
    if (n == 5) return Directory();
    return n == 6 ? FindAttr(kDebugAttrs, p[5], i) : Node{};
  }
  if (Is(p, {"sys", "kernel"})) {
    return n == 3 && p[2] == "debug" ? Directory() : Node{};
  }
  if (Is(p, {"sys", "bus", "rpmsg", "devices"})) {
    if (n == 4) return Directory();
    BusDevice d;
    if (!rpmsg_.FindBusDevice(p[4], &d)) return {};
    if (n == 5) return Directory();
    if (n != 6) return {};
    Node node = FindAttr(kBusDeviceAttrs, p[5], d.remote);
    node.device = d.id;
    return node;
  }
  if (Is(p, {"sys", "bus"})) {
    return n == 3 && p[2] == "rpmsg" ? Directory() : Node{};
  }
  if (Is(p, {"sys", "class", "rpmsg"})) {
    if (n == 3) return Directory();
    if (const int i = ParseIndex(p[3], "rpmsg_ctrl"); i >= 0) {
      return n == 4 && rpmsg_.Remote(i) != nullptr ? Directory() : Node{};
    }
    const int i = ParseIndex(p[3], "rpmsg");
    if (i < 0 || rpmsg_.Endpoint(i) == nullptr) return {};
    if (n == 4) return Directory();
    return n == 5 ? FindAttr(kEndpointAttrs, p[4], i) : Node{};
  }
  return {};
}

std::vector<std::string> Tree::List(const std::string& path) const {
  const std::vector<std::string> p = Split(path);
  const std::size_t n = p.size();
  std::vector<std::string> out;
  auto remotes = [&](const char* prefix) {
    for (int i = 0; i < rpmsg_.RemoteCount(); ++i) out.push_back(prefix + std::to_string(i));
  };
  if (n == 0) return {"sys", "dev"};
  if (p[0] == "dev") {
    if (n != 1) return {};
    remotes("rpmsg_ctrl");
    for (int i : rpmsg_.EndpointNumbers()) out.push_back("rpmsg" + std::to_string(i));
    for (const char* d : kHostDevices) {
      if (Lookup("/dev/" + std::string(d)).type == NodeType::kHostDevice) out.push_back(d);
    }
    for (const char* d : kMountPoints) out.push_back(d);
    return out;
  }
  if (n == 1) return {"class", "bus", "kernel"};
  if (n == 2 && p[1] == "class") return {"remoteproc", "rpmsg"};
  if (n == 2 && p[1] == "bus") return {"rpmsg"};
  if (n == 2 && p[1] == "kernel") return {"debug"};
  if (n == 3 && Is(p, {"sys", "bus", "rpmsg"})) return {"devices"};
  if (n == 3 && Is(p, {"sys", "kernel", "debug"})) return {"remoteproc"};
  if (n == 3 && Is(p, {"sys", "class", "remoteproc"})) {
    remotes("remoteproc");
  } else if (n == 4 && Is(p, {"sys", "class", "remoteproc"})) {
    out = AttrNames(kRemoteprocAttrs);
  } else if (n == 4 && Is(p, {"sys", "kernel", "debug", "remoteproc"})) {
    remotes("remoteproc");
  } else if (n == 5 && Is(p, {"sys", "kernel", "debug", "remoteproc"})) {
    out = AttrNames(kDebugAttrs);
  } else if (n == 4 && Is(p, {"sys", "bus", "rpmsg", "devices"})) {
    for (const BusDevice& d : rpmsg_.BusDevices()) out.push_back(d.id);
  } else if (n == 5 && Is(p, {"sys", "bus", "rpmsg", "devices"})) {
    out = AttrNames(kBusDeviceAttrs);
  } else if (n == 3 && Is(p, {"sys", "class", "rpmsg"})) {
    remotes("rpmsg_ctrl");
    for (int i : rpmsg_.EndpointNumbers()) out.push_back("rpmsg" + std::to_string(i));
  } else if (n == 4 && Is(p, {"sys", "class", "rpmsg"}) && ParseIndex(p[3], "rpmsg") >= 0) {
    out = AttrNames(kEndpointAttrs);
  }
  return out;
}

}  // namespace tandem::daemon::fuse
