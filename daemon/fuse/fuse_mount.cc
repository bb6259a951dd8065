// The FUSE glue of `tandemd --mount` (fuse_mount.h): libfuse3's high-level
// API (paths) over the tree (tree.h), its attributes (sysfs.h) and the rpmsg
// character devices (rpmsg_char.h).
#define FUSE_USE_VERSION 314
#include "tandem/daemon/fuse_mount.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <thread>

#include "rpmsg_char.h"
#include "sysfs.h"
#include "tree.h"

namespace tandem::daemon {

using fuse::Attr;
using fuse::EndpointDevice;
using fuse::Node;
using fuse::NodeType;

namespace {

// What an open file is (fuse_file_info::fh).
struct Handle {
  Node node;
  std::shared_ptr<EndpointDevice> endpoint;  // kEndpoint
  hosted::Mutex mutex;
  std::string content TANDEM_GUARDED_BY(mutex);  // an attribute, as read at offset 0
};

}  // namespace

struct FuseMount::Impl {
  Impl(Daemon& daemon, FuseOptions o)
      : options(std::move(o)),
        rpmsg(daemon),
        tree(rpmsg),
        sysfs(daemon, rpmsg, options.firmware_dir) {}

  const FuseOptions options;
  fuse::RpmsgChar rpmsg;
  fuse::Tree tree;
  fuse::Sysfs sysfs;
  struct ::fuse* fuse = nullptr;
  std::thread loop;
  std::atomic<bool> stopping{false};
  std::atomic<bool> loop_done{false};
  const struct timespec started = Now();

  // Poll notifications go to /dev/fuse only while it is ours.
  hosted::Mutex notify_mutex;
  bool live TANDEM_GUARDED_BY(notify_mutex) = true;

  // Open files: freed at release, or at unmount (no release comes then).
  hosted::Mutex handles_mutex;
  std::map<Handle*, std::unique_ptr<Handle>> handles TANDEM_GUARDED_BY(handles_mutex);

  static struct timespec Now() {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return t;
  }
  static Impl& Self() { return *static_cast<Impl*>(fuse_get_context()->private_data); }
  static Handle* HandleOf(struct fuse_file_info* fi) {
    return fi != nullptr ? reinterpret_cast<Handle*>(static_cast<uintptr_t>(fi->fh)) : nullptr;
  }
  bool Interrupted() const { return stopping.load() || fuse_interrupted() != 0; }
};

namespace {

using Impl = FuseMount::Impl;

class FusePollWaiter final : public fuse::PollWaiter {
 public:
  FusePollWaiter(Impl& impl, struct fuse_pollhandle* ph) : impl_(impl), ph_(ph) {}
  ~FusePollWaiter() override { fuse_pollhandle_destroy(ph_); }
  void Notify() override {
    hosted::MutexGuard lock(impl_.notify_mutex);
    if (impl_.live) fuse_notify_poll(ph_);
  }

 private:
  Impl& impl_;
  struct fuse_pollhandle* ph_;
};

void* OpInit(struct fuse_conn_info*, struct fuse_config* cfg) {
  // The tree changes under the kernel's feet (endpoints, channels): no
  // caching of names, attributes or contents.
  cfg->entry_timeout = 0;
  cfg->attr_timeout = 0;
  cfg->negative_timeout = 0;
  cfg->direct_io = 1;
  cfg->kernel_cache = 0;
  return fuse_get_context()->private_data;
}

int OpGetattr(const char* path, struct stat* st, struct fuse_file_info*) {
  Impl& self = Impl::Self();
  const Node node = self.tree.Lookup(path);
  if (node.type == NodeType::kMissing) return -ENOENT;
  std::memset(st, 0, sizeof(*st));
  st->st_mode = node.mode;
  st->st_nlink = node.type == NodeType::kDirectory ? 2 : 1;
  st->st_rdev = node.rdev;
  st->st_size = node.type == NodeType::kAttribute ? 4096 : 0;  // as sysfs says
  st->st_atim = st->st_mtim = st->st_ctim = self.started;
  return 0;
}

int OpReaddir(const char* path, void* buf, fuse_fill_dir_t fill, off_t, struct fuse_file_info*,
              enum fuse_readdir_flags) {
  Impl& self = Impl::Self();
  if (self.tree.Lookup(path).type != NodeType::kDirectory) return -ENOTDIR;
  fill(buf, ".", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  fill(buf, "..", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  for (const std::string& name : self.tree.List(path)) {
    fill(buf, name.c_str(), nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  }
  return 0;
}

int OpOpen(const char* path, struct fuse_file_info* fi) {
  Impl& self = Impl::Self();
  const Node node = self.tree.Lookup(path);
  if (node.type == NodeType::kMissing) return -ENOENT;
  if (node.type == NodeType::kDirectory) return -EISDIR;
  if (node.type == NodeType::kHostDevice) return -ENXIO;  // opened by the kernel, never here
  const int acc = fi->flags & O_ACCMODE;
  const bool reads = acc == O_RDONLY || acc == O_RDWR;
  const bool writes = acc == O_WRONLY || acc == O_RDWR;
  if (node.type == NodeType::kAttribute) {
    // kernfs: no show/store method, no such access (EACCES), root or not.
    if ((reads && !(node.mode & S_IRUSR)) || (writes && !(node.mode & S_IWUSR))) return -EACCES;
  }
  auto handle = std::make_unique<Handle>();
  handle->node = node;
  if (node.type == NodeType::kEndpoint) {
    handle->endpoint = self.rpmsg.Endpoint(node.index);
    if (handle->endpoint == nullptr) return -ENOENT;
    if (int e = handle->endpoint->Open(); e != 0) return e;
  }
  fi->direct_io = 1;
  fi->keep_cache = 0;
  fi->nonseekable = node.type != NodeType::kAttribute;
  Handle* h = handle.get();
  {
    hosted::MutexGuard lock(self.handles_mutex);
    self.handles.emplace(h, std::move(handle));
  }
  fi->fh = reinterpret_cast<uintptr_t>(h);
  return 0;
}

int OpRelease(const char*, struct fuse_file_info* fi) {
  Impl& self = Impl::Self();
  Handle* h = Impl::HandleOf(fi);
  std::unique_ptr<Handle> owned;
  {
    hosted::MutexGuard lock(self.handles_mutex);
    auto it = self.handles.find(h);
    if (it == self.handles.end()) return 0;
    owned = std::move(it->second);
    self.handles.erase(it);
  }
  if (owned->endpoint) owned->endpoint->Release();
  return 0;
}

int OpRead(const char*, char* buf, size_t size, off_t offset, struct fuse_file_info* fi) {
  Impl& self = Impl::Self();
  Handle* h = Impl::HandleOf(fi);
  if (h == nullptr) return -EBADF;
  switch (h->node.type) {
    case NodeType::kEndpoint: {
      const ssize_t n = h->endpoint->Read(buf, size, (fi->flags & O_NONBLOCK) != 0,
                                          [&self] { return self.Interrupted(); });
      return static_cast<int>(n);
    }
    case NodeType::kAttribute: {
      hosted::MutexGuard lock(h->mutex);
      if (offset == 0) {
        std::string text;
        if (int e = self.sysfs.Read(h->node, &text); e != 0) return e;
        h->content = std::move(text);
      }
      if (offset < 0) return -EINVAL;
      if (static_cast<std::size_t>(offset) >= h->content.size()) return 0;
      const std::size_t n = std::min(size, h->content.size() - static_cast<std::size_t>(offset));
      std::memcpy(buf, h->content.data() + offset, n);
      return static_cast<int>(n);
    }
    default: return -EINVAL;  // rpmsg_ctrl: ioctl only
  }
}

int OpWrite(const char*, const char* buf, size_t size, off_t, struct fuse_file_info* fi) {
  Impl& self = Impl::Self();
  Handle* h = Impl::HandleOf(fi);
  if (h == nullptr) return -EBADF;
  switch (h->node.type) {
    case NodeType::kEndpoint:
      return static_cast<int>(h->endpoint->Write(buf, size, (fi->flags & O_NONBLOCK) != 0));
    case NodeType::kAttribute: {
      if (int e = self.sysfs.Write(h->node, std::string_view(buf, size)); e != 0) return e;
      return static_cast<int>(size);
    }
    default: return -EINVAL;
  }
}

int OpTruncate(const char* path, off_t, struct fuse_file_info*) {
  // `echo word > attr` truncates first: nothing to do, as in sysfs.
  const NodeType t = Impl::Self().tree.Lookup(path).type;
  if (t == NodeType::kMissing) return -ENOENT;
  return t == NodeType::kDirectory ? -EISDIR : 0;
}

int OpIoctl(const char*, unsigned int cmd, void* arg, struct fuse_file_info* fi, unsigned int flags,
            void* data) {
  Impl& self = Impl::Self();
  Handle* h = Impl::HandleOf(fi);
  if (h == nullptr) return -EBADF;
  if (flags & FUSE_IOCTL_DIR) return -ENOTTY;
  const std::size_t size = _IOC_SIZE(cmd);
  if (h->node.type == NodeType::kControl) {
    // FUSE copied in exactly _IOC_SIZE(cmd) bytes for an _IOW command.
    if ((_IOC_DIR(cmd) & _IOC_WRITE) == 0 && size != 0) return -EINVAL;
    return self.rpmsg.ControlIoctl(h->node.index, cmd, data, size);
  }
  if (h->node.type == NodeType::kEndpoint) {
    // RPMSG_SET_INCOMING_FLOWCONTROL takes its value in `arg` itself, as
    // Linux's rpmsg_char does; GET_OUTGOING's int goes back through `data`.
    return self.rpmsg.EndpointIoctl(h->node.index, cmd, reinterpret_cast<std::uintptr_t>(arg), data,
                                    size);
  }
  return -ENOTTY;
}

int OpPoll(const char*, struct fuse_file_info* fi, struct fuse_pollhandle* ph, unsigned* reventsp) {
  Impl& self = Impl::Self();
  Handle* h = Impl::HandleOf(fi);
  if (h == nullptr || h->node.type != NodeType::kEndpoint) {
    if (ph != nullptr) fuse_pollhandle_destroy(ph);
    *reventsp = POLLIN | POLLOUT;  // always ready, as a regular file
    return 0;
  }
  std::unique_ptr<fuse::PollWaiter> waiter;
  if (ph != nullptr) waiter = std::make_unique<FusePollWaiter>(self, ph);
  *reventsp = h->endpoint->Poll(std::move(waiter));
  return 0;
}

struct fuse_operations MakeOperations() {
  struct fuse_operations ops {};
  ops.init = OpInit;
  ops.getattr = OpGetattr;
  ops.readdir = OpReaddir;
  ops.open = OpOpen;
  ops.release = OpRelease;
  ops.read = OpRead;
  ops.write = OpWrite;
  ops.truncate = OpTruncate;
  ops.ioctl = OpIoctl;
  ops.poll = OpPoll;
  return ops;
}

}  // namespace

FuseMount::FuseMount(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

FuseMount::~FuseMount() { Unmount(); }

Error FuseMount::Mount(Daemon& daemon, FuseOptions options, std::unique_ptr<FuseMount>* out) {
  const std::string dir = options.mountpoint;
  if (dir.empty()) return Error{StatusCode::kInvalidArgument, "--mount needs a directory"};
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOTCONN) {
      // A daemon that died left its mount: take it away.
      ::umount2(dir.c_str(), MNT_DETACH);
    } else if (errno == ENOENT) {
      if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
        return Error{StatusCode::kNotFound,
                     "cannot make the mount point " + dir + ": " + std::strerror(errno)};
      }
    } else {
      return Error{StatusCode::kInvalidArgument, dir + ": " + std::strerror(errno)};
    }
  } else if (!S_ISDIR(st.st_mode)) {
    return Error{StatusCode::kInvalidArgument, dir + " is not a directory"};
  }
  if (::access("/dev/fuse", R_OK | W_OK) != 0) {
    return Error{StatusCode::kUnavailable,
                 std::string("cannot use /dev/fuse: ") + std::strerror(errno)};
  }

  auto impl = std::make_unique<Impl>(daemon, std::move(options));
  // "dev": the host's device nodes of DIR/dev work when it replaces /dev.
  const char* argv[] = {"tandemd", "-o", "fsname=tandemd,subtype=tandem,dev", nullptr};
  struct fuse_args args = FUSE_ARGS_INIT(3, const_cast<char**>(argv));
  const struct fuse_operations ops = MakeOperations();
  impl->fuse = fuse_new(&args, &ops, sizeof(ops), impl.get());
  fuse_opt_free_args(&args);
  if (impl->fuse == nullptr) return Error{StatusCode::kInternal, "fuse_new failed"};
  if (fuse_mount(impl->fuse, dir.c_str()) != 0) {
    fuse_destroy(impl->fuse);
    impl->fuse = nullptr;
    return Error{StatusCode::kUnavailable, "cannot mount FUSE on " + dir};
  }
  Impl* p = impl.get();
  impl->loop = std::thread([p] {
    struct fuse_loop_config* cfg = fuse_loop_cfg_create();
    fuse_loop_cfg_set_max_threads(cfg, kMaxThreads);
    fuse_loop_cfg_set_idle_threads(cfg, 4);
    fuse_loop_mt(p->fuse, cfg);
    fuse_loop_cfg_destroy(cfg);
    p->loop_done = true;
  });
  out->reset(new FuseMount(std::move(impl)));
  return Error::Ok();
}

void FuseMount::Unmount() {
  if (!impl_ || impl_->fuse == nullptr) return;
  Impl& self = *impl_;
  self.stopping = true;  // blocked reads return within a slice
  fuse_exit(self.fuse);
  // The loop sees the exit flag once a request wakes a worker: ask one.
  for (int i = 0; i < 50 && !self.loop_done.load(); ++i) {
    std::thread([dir = self.options.mountpoint] {
      struct stat st;
      ::stat(dir.c_str(), &st);
    }).detach();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (self.loop.joinable()) self.loop.join();
  {
    hosted::MutexGuard lock(self.notify_mutex);
    self.live = false;
  }
  fuse_unmount(self.fuse);  // closes /dev/fuse: bind mounts elsewhere see ENOTCONN
  self.rpmsg.Shutdown();    // no endpoint callback after this
  {
    hosted::MutexGuard lock(self.handles_mutex);
    self.handles.clear();
  }
  fuse_destroy(self.fuse);
  self.fuse = nullptr;
}

}  // namespace tandem::daemon
