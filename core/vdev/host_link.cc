#include "tandem/vdev/host_link.h"

#include "tandem/remoteproc/mailbox.h"
#include "tandem/virtio/ring_layout.h"

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
  config.flow_control = vdev.flow_control();
  config.send_timeout = options.send_timeout;
  return config;
}

HostLink::HostLink(remoteproc::RemoteProc& rproc, rpmsg::HostBus& bus, rpmsg::Notifier& mailbox,
                   rpmsg::Lock& lock, const HostLinkOptions& options)
    : rproc_(rproc), bus_(bus), mailbox_(mailbox), lock_(lock), options_(options) {}

Status HostLink::OnVdevReady(const remoteproc::VdevResources& vdev) {
  // Another RPMsg vdev of the table is another link's bus.
  if (vdev.index != options_.vdev_index) return OkStatus();
  {
    rpmsg::LockGuard guard(lock_);
    TANDEM_TRY(bus_.Start(HostBusConfig(vdev, options_)));
    rx_notifyid_ = vdev.vring[0].notifyid;
    tx_notifyid_ = vdev.vring[1].notifyid;
    up_ = true;
    broken_reported_ = false;
    // The ring was validated by Start(); its layout computes.
    tx_ring_ = vdev.vring[1].ring;
    if (auto layout = virtio::RingLayout::Compute(vdev.vring[1].num, vdev.vring[1].align);
        layout.ok()) {
      tx_avail_idx_ = layout->avail_idx();
      tx_used_idx_ = layout->used_idx();
    }
    stall_tracking_ = false;
    auto status_word = rproc_.VdevStatusWord(options_.vdev_index);
    status_word_ = status_word.ok() ? *status_word : shm::Region{};
  }
  // VirtIO 1.x 3.1.1: DRIVER_OK only once the rings are set up; RemoteProc
  // stores it with release, so the rings are visible to the remote first.
  if (const Status s = rproc_.SetVdevStatus(kDriverReadyStatus, options_.vdev_index); !s.ok()) {
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
  // Before the lock: a callback holding it may be blocked in a send, which
  // this ends (kAborted); then the lock comes free.
  bus_.AbortWaits();
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

Status HostLink::OnControl(std::uint32_t message) {
  if (message != remoteproc::mailbox::kLinkBroken) return OkStatus();
  rpmsg::LockGuard guard(lock_);
  // A late report of a run already reset is not this run's.
  if (!up_ || broken_reported_) return OkStatus();
  broken_reported_ = true;
  return DataLoss(kRemoteFoundLinkBroken);
}

Status HostLink::CheckProgress(std::uint64_t now_ns) {
  rpmsg::LockGuard guard(lock_);
  return CheckProgressLocked(now_ns);
}

Status HostLink::CheckProgressLocked(std::uint64_t now_ns) {
  if (!up_ || broken_reported_) {
    stall_tracking_ = false;
    return OkStatus();
  }
  // VirtIO 1.x 2.1.1: the device sets DEVICE_NEEDS_RESET when it cannot go
  // on; the remote also sends kLinkBroken, but a mailbox word can be lost
  // (a full FIFO) while the status stays.
  if (auto word = status_word_.ConsumeLe32(0); word.ok()) {
    constexpr auto kNeedsReset =
        static_cast<std::uint32_t>(virtio::DeviceStatus::kDeviceNeedsReset);
    if ((*word & kNeedsReset) != 0) {
      broken_reported_ = true;
      stall_tracking_ = false;
      return DataLoss(kRemoteFoundLinkBroken);
    }
  }
  if (options_.progress_limit_ns == 0) return OkStatus();
  // avail idx is ours (published by the HostBus); used idx is the remote's
  // and untrusted, but it only decides whether we wait longer: a remote that
  // lies about it can stall us no worse than by not consuming. avail idx is
  // read atomically too: senders publish it under the bus lock only, not
  // the link lock we hold (a plain read raced ChannelPort::Send, found by
  // SessionProgress.RemoteThatStopsConsumingIsACrashAndIsRecovered in tsan).
  auto avail = tx_ring_.ConsumeLe16(tx_avail_idx_);
  auto used = tx_ring_.ConsumeLe16(tx_used_idx_);
  if (!avail.ok() || !used.ok()) return OkStatus();  // the bus reports bad rings
  if (*avail == *used) {                             // nothing pending
    stall_tracking_ = false;
    return OkStatus();
  }
  // First seen, progress, or a clock that went back.
  if (!stall_tracking_ || *used != stall_used_ || now_ns < stall_since_ns_) {
    stall_tracking_ = true;
    stall_used_ = *used;
    stall_since_ns_ = now_ns;
    return OkStatus();
  }
  if (now_ns - stall_since_ns_ <= options_.progress_limit_ns) return OkStatus();
  broken_reported_ = true;
  return DeadlineExceeded(kLinkStalled);
}

bool HostLink::up() const {
  rpmsg::LockGuard guard(lock_);
  return up_;
}

}  // namespace tandem::vdev
