#include "tandem/vdev/remote_link.h"

#include "tandem/remoteproc/mailbox.h"
#include "tandem/virtio/features.h"

namespace tandem::vdev {

Result<RemoteLink> RemoteLink::Open(const RemoteLinkConfig& config, rpmsg::RemoteBus& bus,
                                    RemoteLinkListener& listener) {
  TANDEM_TRY_ASSIGN(const LoadedTable table, LoadedTable::Open(config.table));
  return RemoteLink(table, config, bus, listener);
}

void RemoteLink::Update() {
  // One acquire load: DRIVER_OK published with release after the rings.
  status_ = table_.ReadStatus();
  const bool driver_ok = virtio::HasStatus(status_, virtio::DeviceStatus::kDriverOk);
  switch (state_) {
    case RemoteLinkState::kWaitingForDriver:
      if (driver_ok) Start();
      break;
    case RemoteLinkState::kRunning:
      // The driver reset the device (VirtIO 1.x 2.1.2, 3.1.1 step 1): stop
      // using the rings until it sets DRIVER_OK again.
      if (!driver_ok) TakeDown(LinkDownCause::kDriverReset, RemoteLinkState::kWaitingForDriver);
      break;
    case RemoteLinkState::kFailed:
      // Retry only once the host has reset the device and set it up again.
      if (!driver_ok) state_ = RemoteLinkState::kWaitingForDriver;
      break;
  }
}

void RemoteLink::Start() {
  auto link = table_.ReadLink();
  if (!link.ok()) {
    Fail(LinkFailure::kSetupRefused, link.status());
    return;
  }
  link_ = *link;
  link_.bus.send_timeout = send_timeout_;
  if (const Status s = bus_->Start(link_.bus); !s.ok()) {
    Fail(LinkFailure::kSetupRefused, s);
    return;
  }
  state_ = RemoteLinkState::kRunning;
  listener_->OnLinkUp(link_);
}

void RemoteLink::TakeDown(LinkDownCause cause, RemoteLinkState next) {
  // Safe in any state: a stopped bus stays stopped.
  bus_->Reset().IgnoreError();
  const bool was_running = running();
  state_ = next;
  if (was_running) listener_->OnLinkDown(cause);
}

void RemoteLink::Reset() {
  TakeDown(LinkDownCause::kVdevReset, RemoteLinkState::kWaitingForDriver);
}

void RemoteLink::Stop() {
  TakeDown(LinkDownCause::kStopped, running() ? RemoteLinkState::kWaitingForDriver : state_);
}

Status RemoteLink::Poll() {
  if (!running()) return FailedPrecondition(kRemoteLinkNotRunning);
  const Status s = bus_->Poll();
  if (s.ok() || s.code() == StatusCode::kUnavailable) return s;
  if (!running()) return s;  // a handler took the link down meanwhile
  TakeDown(LinkDownCause::kBroken, RemoteLinkState::kFailed);
  Fail(LinkFailure::kBroken, s);
  return s;
}

void RemoteLink::Fail(LinkFailure failure, const Status& error) {
  state_ = RemoteLinkState::kFailed;
  // VirtIO 1.x 2.1.1: the device sets DEVICE_NEEDS_RESET when it "has
  // experienced an error from which it can't recover". The driver must reset
  // it; until then we do not touch the rings (kFailed).
  table_.SetNeedsReset();
  // Best effort: a host that polls the status sees the bit anyway.
  if (mailbox_ != nullptr) mailbox_->Notify(remoteproc::mailbox::kLinkBroken).IgnoreError();
  listener_->OnLinkFailed(failure, error);
}

}  // namespace tandem::vdev
