#include "rpmsg_char.h"

#include <errno.h>
#include <linux/rpmsg.h>
#include <poll.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "tandem/rpmsg/errors.h"
#include "tandem/rpmsg/wire.h"

// Newer than Debian 12's 6.1 uapi headers (Linux 6.5, rpmsg_char.c).
#ifndef RPMSG_GET_OUTGOING_FLOWCONTROL
#define RPMSG_GET_OUTGOING_FLOWCONTROL _IOR(0xb5, 0x5, int)
#endif
#ifndef RPMSG_SET_INCOMING_FLOWCONTROL
#define RPMSG_SET_INCOMING_FLOWCONTROL _IOR(0xb5, 0x6, int)
#endif

namespace tandem::daemon::fuse {

using namespace std::chrono_literals;

namespace {

constexpr auto kReadSlice = 100ms;  // how often a blocked read looks at interruption
constexpr std::size_t kDefaultMtu = 496;

static_assert(sizeof(rpmsg_endpoint_info) == 40, "the uapi struct FUSE copies in");

// rpmsg_endpoint_info from a caller: the name is cut at its NUL or at 31
// bytes, as rpmsg_char.c does; it must be printable and name no path.
bool ParseInfo(const void* arg, std::size_t size, EndpointInfo* out) {
  if (arg == nullptr || size != sizeof(rpmsg_endpoint_info)) return false;
  rpmsg_endpoint_info raw;
  std::memcpy(&raw, arg, sizeof(raw));
  const std::size_t len = strnlen(raw.name, sizeof(raw.name) - 1);
  out->name.assign(raw.name, len);
  for (const char c : out->name) {
    if (c <= ' ' || c > '~' || c == '/') return false;
  }
  out->src = raw.src;
  out->dst = raw.dst;
  return true;
}

std::string FormatId(int remote, const std::string& name, std::uint32_t src, std::uint32_t dst) {
  char buf[96];
  std::snprintf(buf, sizeof(buf), "virtio%d.%s.%d.%d", remote, name.c_str(), static_cast<int>(src),
                static_cast<int>(dst));
  return buf;
}

}  // namespace

std::string BusDeviceId(int remote, const std::string& name, std::uint32_t src, std::uint32_t dst) {
  return FormatId(remote, name, src, dst);
}

int ErrnoOf(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 0;
    case StatusCode::kInvalidArgument: return EINVAL;
    case StatusCode::kOutOfRange: return ERANGE;
    case StatusCode::kUnavailable: return EAGAIN;
    case StatusCode::kDeadlineExceeded: return ETIMEDOUT;
    case StatusCode::kFailedPrecondition: return EBUSY;
    case StatusCode::kResourceExhausted: return ENOSPC;
    case StatusCode::kNotFound: return ENOENT;
    case StatusCode::kAlreadyExists: return EEXIST;
    case StatusCode::kUnimplemented: return EOPNOTSUPP;
    case StatusCode::kAborted: return EPIPE;
    case StatusCode::kDataLoss:
    case StatusCode::kInternal: return EIO;
  }
  return EIO;
}

// --- EndpointDevice ------------------------------------------------------------------

EndpointDevice::~EndpointDevice() { Destroy(); }

int EndpointDevice::Open() {
  hosted::MutexGuard lock(mutex_);
  if (destroyed_.load()) return -EPIPE;
  if (open_) return -EBUSY;
  queue_.Reopen();
  rpmsg::EndpointConfig config;
  config.addr = info_.src;
  config.peer = info_.dst;
  const Status s = remote_.session().CreateEndpoint(endpoint_, config, *this);
  if (!s.ok()) {
    queue_.Close();
    return -EINVAL;  // rpmsg_eptdev_open: "failed to open" (an address in use)
  }
  open_ = true;
  return 0;
}

void EndpointDevice::Release() {
  hosted::MutexGuard lock(mutex_);
  if (!open_) return;
  open_ = false;
  remote_.session().DestroyEndpoint(endpoint_);  // no OnMessage after it
  queue_.Close();
}

void EndpointDevice::Destroy() {
  destroyed_ = true;
  Release();
  queue_.Close();  // wakes readers: EPIPE
  NotifyWaiter();
  hosted::MutexGuard lock(waiter_mutex_);
  waiter_.reset();
}

void EndpointDevice::OnMessage(rpmsg::Endpoint&, rpmsg::ReceivedMessage& message) {
  const auto payload = message.payload();
  if (queue_.Push(payload.data(), payload.size())) NotifyWaiter();
}

void EndpointDevice::NotifyWaiter() {
  std::unique_ptr<PollWaiter> waiter;
  {
    hosted::MutexGuard lock(waiter_mutex_);
    waiter.swap(waiter_);
  }
  if (waiter) waiter->Notify();
}

ssize_t EndpointDevice::Read(char* buf, std::size_t size, bool nonblock,
                             const std::function<bool()>& interrupted) {
  std::vector<std::byte> message;
  for (;;) {
    if (destroyed_.load()) return -EPIPE;
    if (queue_.TryPop(&message)) break;
    if (nonblock) return -EAGAIN;
    if (interrupted && interrupted()) return -EINTR;
    queue_.Wait(kReadSlice);
  }
  const std::size_t n = std::min(size, message.size());  // the rest is lost, as in Linux
  if (n > 0) std::memcpy(buf, message.data(), n);
  return static_cast<ssize_t>(n);
}

ssize_t EndpointDevice::Write(const char* buf, std::size_t size, bool nonblock) {
  if (destroyed_.load()) return -EPIPE;
  auto& bus = remote_.session().bus();
  if (!remote_.session().link_status().ok()) return -EPIPE;
  const std::size_t mtu = bus.mtu() != 0 ? bus.mtu() : kDefaultMtu;
  if (size > mtu) return -EMSGSIZE;
  std::uint32_t dst = info_.dst != rpmsg::kAddrAny ? info_.dst : endpoint_.peer();
  if (dst == rpmsg::kAddrAny) return -EINVAL;
  // The endpoint stays while this send runs: close() cannot come while a
  // write of the same file is in flight, and Destroy() waits for mutex_.
  hosted::MutexGuard lock(mutex_);
  if (!open_ || destroyed_.load()) return -EPIPE;
  const ConstByteSpan payload(reinterpret_cast<const std::byte*>(buf), size);
  const Status s = bus.SendTo(endpoint_, dst, payload,
                              nonblock ? rpmsg::Timeout::None() : rpmsg::kDefaultSendTimeout);
  if (s.ok()) return static_cast<ssize_t>(size);
  switch (s.code()) {
    case StatusCode::kUnavailable:
    case StatusCode::kResourceExhausted:
    case StatusCode::kDeadlineExceeded: return nonblock ? -EAGAIN : -ETIMEDOUT;
    case StatusCode::kInvalidArgument: return -EINVAL;
    default: return -EPIPE;  // the link went down meanwhile
  }
}

int EndpointDevice::FlowIoctl(unsigned int cmd, std::uintptr_t value, int* out) {
  if (cmd == RPMSG_SET_INCOMING_FLOWCONTROL && value > 1) return -EINVAL;  // as rpmsg_char.c
  auto& bus = remote_.session().bus();
  hosted::MutexGuard lock(mutex_);
  if (!open_ || destroyed_.load()) return -EPIPE;
  Status s;
  if (cmd == RPMSG_GET_OUTGOING_FLOWCONTROL) {
    const std::uint32_t dst = info_.dst != rpmsg::kAddrAny ? info_.dst : endpoint_.peer();
    auto paused = bus.OutgoingPaused(endpoint_, dst);
    if (paused.ok()) {
      *out = *paused ? 1 : 0;
      return 0;
    }
    s = paused.status();
  } else {
    s = bus.SetIncomingFlow(endpoint_, value != 0);
    if (s.ok()) return 0;
  }
  switch (s.code()) {
    case StatusCode::kUnimplemented: return -EOPNOTSUPP;
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kUnavailable: return -ETIMEDOUT;
    case StatusCode::kFailedPrecondition: return s.Is(rpmsg::kNoPeerAddress) ? -EINVAL : -EPIPE;
    default: return -EPIPE;
  }
}

unsigned EndpointDevice::Poll(std::unique_ptr<PollWaiter> waiter) {
  if (destroyed_.load()) return POLLERR | POLLHUP;
  if (waiter) {
    hosted::MutexGuard lock(waiter_mutex_);
    waiter_ = std::move(waiter);
  }
  unsigned mask = 0;
  if (!queue_.empty()) mask |= POLLIN | POLLRDNORM;
  if (remote_.session().link_status().ok()) mask |= POLLOUT | POLLWRNORM;
  return mask;
}

// --- RpmsgChar ------------------------------------------------------------------------

ManagedRemote* RpmsgChar::Remote(int index) const {
  const auto all = daemon_.Remotes();
  if (index < 0 || static_cast<std::size_t>(index) >= all.size()) return nullptr;
  return all[static_cast<std::size_t>(index)];
}

int RpmsgChar::RemoteCount() const { return static_cast<int>(daemon_.Remotes().size()); }

int RpmsgChar::CreateEndpoint(int ctrl, EndpointInfo info, std::string bus_device) {
  ManagedRemote* remote = Remote(ctrl);
  if (remote == nullptr) return -ENODEV;
  if (endpoints_.size() >= kMaxEndpoints) return -ENOSPC;
  int number = 0;  // the lowest free, as Linux's ida
  while (endpoints_.count(number) != 0) ++number;
  endpoints_.emplace(number, std::make_shared<EndpointDevice>(number, *remote, std::move(info),
                                                              std::move(bus_device)));
  return 0;
}

int RpmsgChar::CreateDevice(int ctrl, const EndpointInfo& info) {
  if (info.name.empty()) return -EINVAL;
  BusDevice d;
  d.id = FormatId(ctrl, info.name, info.src, info.dst);
  d.name = info.name;
  d.src = info.src;
  d.dst = info.dst;
  d.remote = ctrl;
  d.announce = info.src != rpmsg::kAddrAny;
  BusDevice existing;
  mutex_.Unlock();  // FindBusDevice asks the remote for its channels
  const bool found = FindBusDevice(d.id, &existing);
  mutex_.Lock();
  if (found) return -ENXIO;  // rpmsg_create_channel: "channel already exists"
  if (created_.size() >= kMaxBusDevices) return -ENOSPC;
  created_.push_back(d);
  // rpmsg_char binds "rpmsg-raw" devices: a /dev/rpmsgN serves it.
  if (info.name == "rpmsg-raw") {
    if (int e = CreateEndpoint(ctrl, info, d.id); e != 0) {
      created_.pop_back();
      return e;
    }
  }
  return 0;
}

int RpmsgChar::ReleaseDevice(int ctrl, const EndpointInfo& info) {
  const std::string id = FormatId(ctrl, info.name, info.src, info.dst);
  for (auto it = created_.begin(); it != created_.end(); ++it) {
    if (it->id != id) continue;
    created_.erase(it);
    overrides_.erase(id);
    for (auto e = endpoints_.begin(); e != endpoints_.end();) {
      if (e->second->bus_device() == id) {
        e->second->Destroy();
        e = endpoints_.erase(e);
      } else {
        ++e;
      }
    }
    return 0;
  }
  return -EINVAL;  // rpmsg_release_channel: no such device
}

int RpmsgChar::ControlIoctl(int ctrl, unsigned int cmd, const void* arg, std::size_t size) {
  if (Remote(ctrl) == nullptr) return -ENODEV;
  if (cmd != RPMSG_CREATE_EPT_IOCTL && cmd != RPMSG_CREATE_DEV_IOCTL &&
      cmd != RPMSG_RELEASE_DEV_IOCTL) {
    return -EINVAL;  // rpmsg_ctrldev_ioctl's answer to anything else
  }
  EndpointInfo info;
  if (!ParseInfo(arg, size, &info)) return -EINVAL;
  hosted::MutexGuard lock(mutex_);
  if (cmd == RPMSG_CREATE_EPT_IOCTL) return CreateEndpoint(ctrl, std::move(info), "");
  if (cmd == RPMSG_CREATE_DEV_IOCTL) return CreateDevice(ctrl, info);
  return ReleaseDevice(ctrl, info);
}

int RpmsgChar::EndpointIoctl(int number, unsigned int cmd, std::uintptr_t arg, void* out,
                             std::size_t size) {
  if (cmd == RPMSG_GET_OUTGOING_FLOWCONTROL || cmd == RPMSG_SET_INCOMING_FLOWCONTROL) {
    std::shared_ptr<EndpointDevice> device = Endpoint(number);
    if (!device) return -EPIPE;
    int value = 0;
    const int r = device->FlowIoctl(cmd, arg, &value);
    if (r == 0 && out != nullptr && size >= sizeof(value)) std::memcpy(out, &value, sizeof(value));
    return r;
  }
  if (cmd != RPMSG_DESTROY_EPT_IOCTL) return -EINVAL;
  std::shared_ptr<EndpointDevice> device;
  {
    hosted::MutexGuard lock(mutex_);
    auto it = endpoints_.find(number);
    if (it == endpoints_.end()) return -EPIPE;  // destroyed already
    // The endpoint of an rpmsg-raw device goes with the device
    // (RPMSG_RELEASE_DEV_IOCTL), as Linux's default endpoint.
    if (!it->second->bus_device().empty()) return -EINVAL;
    device = it->second;
    endpoints_.erase(it);
  }
  device->Destroy();
  return 0;
}

std::shared_ptr<EndpointDevice> RpmsgChar::Endpoint(int number) const {
  hosted::MutexGuard lock(mutex_);
  auto it = endpoints_.find(number);
  return it == endpoints_.end() ? nullptr : it->second;
}

std::vector<int> RpmsgChar::EndpointNumbers() const {
  hosted::MutexGuard lock(mutex_);
  std::vector<int> out;
  for (const auto& [n, d] : endpoints_) out.push_back(n);
  return out;
}

std::vector<BusDevice> RpmsgChar::BusDevices() const {
  std::vector<BusDevice> out;
  const auto remotes = daemon_.Remotes();
  for (std::size_t i = 0; i < remotes.size(); ++i) {
    const int index = static_cast<int>(i);
    // What virtio_rpmsg_bus registers on every vdev: the name service and
    // the rpmsg_ctrl device (Linux 5.18 and later).
    out.push_back({FormatId(index, "rpmsg_ns", 53, 53), "rpmsg_ns", 53, 53, false, index});
    out.push_back({FormatId(index, "rpmsg_ctrl", 0, 0), "rpmsg_ctrl", 0, 0, false, index});
    for (const auto& c : remotes[i]->Channels()) {
      out.push_back({FormatId(index, c.name, rpmsg::kAddrAny, c.remote), c.name, rpmsg::kAddrAny,
                     c.remote, false, index});
    }
  }
  hosted::MutexGuard lock(mutex_);
  for (const BusDevice& d : created_) out.push_back(d);
  return out;
}

bool RpmsgChar::FindBusDevice(const std::string& id, BusDevice* out) const {
  for (const BusDevice& d : BusDevices()) {
    if (d.id == id) {
      *out = d;
      return true;
    }
  }
  return false;
}

std::string RpmsgChar::DriverOverride(const std::string& id) const {
  hosted::MutexGuard lock(mutex_);
  auto it = overrides_.find(id);
  return it == overrides_.end() ? std::string() : it->second;
}

int RpmsgChar::SetDriverOverride(const std::string& id, std::string_view value) {
  // driver_override_store(): one line; an empty one clears it.
  if (const auto nl = value.find('\n'); nl != std::string_view::npos) value = value.substr(0, nl);
  if (value.size() > kMaxOverride) return -EINVAL;
  for (const char c : value) {
    if (c < ' ' || c > '~') return -EINVAL;
  }
  BusDevice d;
  if (!FindBusDevice(id, &d)) return -ENODEV;
  hosted::MutexGuard lock(mutex_);
  if (value.empty()) {
    overrides_.erase(id);
  } else if (overrides_.size() < kMaxBusDevices * 4 || overrides_.count(id) != 0) {
    overrides_[id] = std::string(value);
  } else {
    return -ENOSPC;
  }
  return 0;
}

void RpmsgChar::Shutdown() {
  std::map<int, std::shared_ptr<EndpointDevice>> all;
  {
    hosted::MutexGuard lock(mutex_);
    all.swap(endpoints_);
    created_.clear();
  }
  for (auto& [n, d] : all) d->Destroy();
}

}  // namespace tandem::daemon::fuse
