#include "tandem/vdev/host_link.h"

#include "tandem/remoteproc/mailbox.h"

namespace tandem::vdev {

rpmsg::BusConfig HostBusConfig(const remoteproc::VdevResources& vdev,
                               const HostLinkOptions& options) {
  rpmsg::BusConfig config;
  config.vring0 = {vdev.vring[0].ring, vdev.vring[0].num, vdev.vring[0].align,
                   vdev.vring[0].notifyid};
  config.vring1 = {vdev.vring[1].ring, vdev.vring[1].num, vdev.vring[1].align,
                   vdev.vring[1].notifyid};
  config.buffers = vdev.buffers;
  config.buffer_size = vdev.buffer_size;
  config.event_idx = vdev.event_idx();
  config.name_service = vdev.name_service();
  config.send_timeout = options.send_timeout;
  return config;
}

HostLink::HostLink(remoteproc::RemoteProc& rproc, rpmsg::HostBus& bus, rpmsg::Notifier& mailbox,
                   rpmsg::Lock& lock, const HostLinkOptions& options)
    : rproc_(rproc), bus_(bus), mailbox_(mailbox), lock_(lock), options_(options) {}

Status HostLink::OnVdevReady(const remoteproc::VdevResources& vdev) {
  {
    rpmsg::LockGuard guard(lock_);
    TANDEM_TRY(bus_.Start(HostBusConfig(vdev, options_)));
    rx_notifyid_ = vdev.vring[0].notifyid;
    tx_notifyid_ = vdev.vring[1].notifyid;
    up_ = true;
    broken_reported_ = false;
  }
  // VirtIO 1.x 3.1.1: DRIVER_OK only once the rings are set up; RemoteProc
  // stores it with release, so the rings are visible to the remote first.
  if (const Status s = rproc_.SetVdevStatus(kDriverReadyStatus); !s.ok()) {
    // RemoteProc stops the remote without an OnVdevReset (the vdev was never
    // announced): stop the bus here, or the next Start() would be refused.
    OnVdevReset();
    return s;
  }
  // Best effort: a remote that polls its status sees DRIVER_OK anyway.
  mailbox_.Notify(remoteproc::mailbox::kPendingMessage).IgnoreError();
  return OkStatus();
}

void HostLink::OnVdevReset() {
  rpmsg::LockGuard guard(lock_);
  up_ = false;
  bus_.Reset().IgnoreError();  // unbinds every channel; never fails
}

Status HostLink::OnNotify(std::uint32_t notifyid) {
  rpmsg::LockGuard guard(lock_);
  // Only this vdev's vrings; other ids are another device's.
  if (up_ && notifyid != rx_notifyid_ && notifyid != tx_notifyid_) return OkStatus();
  return PollLocked();
}

Status HostLink::Poll() {
  rpmsg::LockGuard guard(lock_);
  return PollLocked();
}

Status HostLink::PollLocked() {
  if (!up_) return FailedPrecondition(kHostLinkDown);
  Status status;
  do {
    status = bus_.Poll();
  } while (status.code() == StatusCode::kUnavailable);  // budget spent, more pending
  if (status.code() != StatusCode::kDataLoss || broken_reported_) return OkStatus();
  broken_reported_ = true;
  return status;
}

bool HostLink::up() const {
  rpmsg::LockGuard guard(lock_);
  return up_;
}

}  // namespace tandem::vdev
