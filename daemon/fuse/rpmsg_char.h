#pragma once
// The rpmsg side of the FUSE tree (docs/fuse.md): what Linux's rpmsg bus and
// rpmsg_char driver show user space.
//
//  * RpmsgBus: the rpmsg devices of /sys/bus/rpmsg/devices, named as
//    rpmsg_core.c names them ("%s.%s.%d.%d": virtioN.NAME.SRC.DST, so an
//    announced channel is virtio0.rpmsg-tty.-1.1024): every channel a remote
//    announced, its rpmsg_ctrl device, and those made with
//    RPMSG_CREATE_DEV_IOCTL; their driver_override.
//  * EndpointDevice: one /dev/rpmsgN (RPMSG_CREATE_EPT_IOCTL, or
//    RPMSG_CREATE_DEV_IOCTL of an "rpmsg-raw" device). As in rpmsg_char.c
//    the endpoint exists while the file is open (one opener: EBUSY), one
//    write() is one message, one read() one message (cut to the reader's
//    buffer), and RPMSG_DESTROY_EPT_IOCTL removes the file (open files then
//    get EPIPE). Messages wait in a bounded queue of the device's own.
//
// Nothing here knows FUSE: the glue (fuse_mount.cc) passes interruption
// and poll notification in. Every input is checked: names, addresses,
// sizes; a bad one is one errno.
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "message_queue.h"
#include "tandem/base/thread_annotations.h"
#include "tandem/daemon/daemon.h"
#include "tandem/daemon/managed_remote.h"
#include "tandem/hosted/mutex.h"
#include "tandem/rpmsg/endpoint.h"

namespace tandem::daemon::fuse {

// struct rpmsg_endpoint_info, checked.
struct EndpointInfo {
  std::string name;
  std::uint32_t src = rpmsg::kAddrAny;
  std::uint32_t dst = rpmsg::kAddrAny;
};

// Someone poll()s a file: Notify() once when it may have become readable.
class PollWaiter {
 public:
  virtual ~PollWaiter() = default;
  virtual void Notify() = 0;
};

class EndpointDevice final : private rpmsg::MessageHandler {
 public:
  EndpointDevice(int number, ManagedRemote& remote, EndpointInfo info, std::string bus_device)
      : number_(number),
        remote_(remote),
        info_(std::move(info)),
        bus_device_(std::move(bus_device)) {}
  ~EndpointDevice();  // destroys the endpoint
  EndpointDevice(const EndpointDevice&) = delete;
  EndpointDevice& operator=(const EndpointDevice&) = delete;

  int number() const { return number_; }
  const EndpointInfo& info() const { return info_; }
  ManagedRemote& remote() const { return remote_; }
  // The rpmsg device this one serves ("" for RPMSG_CREATE_EPT_IOCTL's).
  const std::string& bus_device() const { return bus_device_; }

  // open(): creates the endpoint. -EBUSY if open already, -EINVAL if the
  // bus refuses it (address in use), -EPIPE once destroyed.
  int Open() TANDEM_EXCLUDES(mutex_);
  // The last close(): destroys the endpoint; queued messages go.
  void Release() TANDEM_EXCLUDES(mutex_);
  // One message into buf (cut to size). Waits unless nonblock (-EAGAIN);
  // -EINTR when `interrupted` says so, -EPIPE once destroyed.
  ssize_t Read(char* buf, std::size_t size, bool nonblock,
               const std::function<bool()>& interrupted);
  // One message. -EMSGSIZE beyond the MTU, -EPIPE while the link is down
  // or once destroyed, -EAGAIN (nonblock) / -ETIMEDOUT (15 s) with no
  // buffer free.
  ssize_t Write(const char* buf, std::size_t size, bool nonblock);
  // POLLIN/POLLOUT/POLLERR now; `waiter` (may be null) is notified once
  // when a message arrives.
  unsigned Poll(std::unique_ptr<PollWaiter> waiter) TANDEM_EXCLUDES(mutex_);
  // RPMSG_GET_OUTGOING_FLOWCONTROL (*out: 1 while the remote has paused
  // this endpoint) and RPMSG_SET_INCOMING_FLOWCONTROL (`value` as Linux
  // takes it, by value: 1 asks the remote to pause, 0 to resume; else
  // -EINVAL). -EOPNOTSUPP when the remote did not negotiate flow control
  // (docs/flow_control.md), -EPIPE when not open or destroyed, -ETIMEDOUT
  // with no buffer for the request.
  int FlowIoctl(unsigned int cmd, std::uintptr_t value, int* out) TANDEM_EXCLUDES(mutex_);
  // RPMSG_DESTROY_EPT_IOCTL, a released device, the daemon's exit.
  void Destroy() TANDEM_EXCLUDES(mutex_);
  bool destroyed() const { return destroyed_.load(); }
  std::uint64_t dropped() const { return queue_.dropped(); }

 private:
  void OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) override;
  void NotifyWaiter() TANDEM_EXCLUDES(mutex_);

  const int number_;
  ManagedRemote& remote_;
  const EndpointInfo info_;
  const std::string bus_device_;
  std::atomic<bool> destroyed_{false};
  MessageQueue queue_;

  hosted::Mutex mutex_;  // open/close/destroy; never held across a send or a wait
  rpmsg::Endpoint endpoint_;
  bool open_ TANDEM_GUARDED_BY(mutex_) = false;
  hosted::Mutex waiter_mutex_;  // leaf, taken on the event thread
  std::unique_ptr<PollWaiter> waiter_ TANDEM_GUARDED_BY(waiter_mutex_);
};

// One rpmsg device of /sys/bus/rpmsg/devices.
struct BusDevice {
  std::string id;  // virtio0.rpmsg-tty.-1.1024
  std::string name;
  std::uint32_t src = rpmsg::kAddrAny;
  std::uint32_t dst = rpmsg::kAddrAny;
  bool announce = false;
  int remote = 0;  // remoteprocN, virtioN, rpmsg_ctrlN
};

class RpmsgChar {
 public:
  static constexpr std::size_t kMaxEndpoints = 256;  // /dev/rpmsgN at once
  static constexpr std::size_t kMaxBusDevices = 64;  // made by CREATE_DEV
  static constexpr std::size_t kMaxOverride = 64;    // driver_override bytes

  explicit RpmsgChar(Daemon& daemon) : daemon_(daemon) {}
  ~RpmsgChar() { Shutdown(); }

  // remoteprocN (the daemon's creation order); nullptr if none.
  ManagedRemote* Remote(int index) const;
  int RemoteCount() const;

  // An ioctl on /dev/rpmsg_ctrlN: 0 or -errno. `arg` holds `size` bytes.
  int ControlIoctl(int ctrl, unsigned int cmd, const void* arg, std::size_t size)
      TANDEM_EXCLUDES(mutex_);
  // An ioctl on /dev/rpmsgN: RPMSG_DESTROY_EPT_IOCTL and the flow-control
  // pair (EndpointDevice::FlowIoctl); `arg` is the caller's argument as
  // passed, `out` holds `size` bytes to return.
  int EndpointIoctl(int number, unsigned int cmd, std::uintptr_t arg, void* out, std::size_t size)
      TANDEM_EXCLUDES(mutex_);

  std::shared_ptr<EndpointDevice> Endpoint(int number) const TANDEM_EXCLUDES(mutex_);
  std::vector<int> EndpointNumbers() const TANDEM_EXCLUDES(mutex_);

  std::vector<BusDevice> BusDevices() const TANDEM_EXCLUDES(mutex_);
  bool FindBusDevice(const std::string& id, BusDevice* out) const TANDEM_EXCLUDES(mutex_);
  std::string DriverOverride(const std::string& id) const TANDEM_EXCLUDES(mutex_);
  int SetDriverOverride(const std::string& id, std::string_view value) TANDEM_EXCLUDES(mutex_);

  // Destroys every endpoint (the daemon exits): after it no callback of
  // ours runs.
  void Shutdown() TANDEM_EXCLUDES(mutex_);

 private:
  int CreateEndpoint(int ctrl, EndpointInfo info, std::string bus_device) TANDEM_REQUIRES(mutex_);
  int CreateDevice(int ctrl, const EndpointInfo& info) TANDEM_REQUIRES(mutex_);
  int ReleaseDevice(int ctrl, const EndpointInfo& info) TANDEM_REQUIRES(mutex_);

  Daemon& daemon_;
  mutable hosted::Mutex mutex_;  // never held across a send, a wait or a lifecycle call
  std::map<int, std::shared_ptr<EndpointDevice>> endpoints_ TANDEM_GUARDED_BY(mutex_);
  std::vector<BusDevice> created_ TANDEM_GUARDED_BY(mutex_);  // RPMSG_CREATE_DEV_IOCTL's
  std::map<std::string, std::string> overrides_ TANDEM_GUARDED_BY(mutex_);
};

// "virtio0.rpmsg-tty.-1.1024": rpmsg_core.c's dev_set_name("%s.%s.%d.%d").
std::string BusDeviceId(int remote, const std::string& name, std::uint32_t src, std::uint32_t dst);
// The StatusCode of a failed request as the errno Linux would give.
int ErrnoOf(StatusCode code);

}  // namespace tandem::daemon::fuse
