#include "tandem/remote/bsp_mailbox.h"

namespace tandem::remote {

BspMailbox::BspMailbox(const TandemBsp& bsp, MailboxStash& stash, std::uint64_t slice_ns)
    : bsp_(bsp), stash_(stash), slice_ns_(slice_ns == 0 ? kDefaultSliceNs : slice_ns) {}

Status BspMailbox::FromBsp(int rc, const char* what) {
  switch (rc) {
    case TANDEM_BSP_OK: return OkStatus();
    case TANDEM_BSP_TIMEOUT: return DeadlineExceeded(what);
    case TANDEM_BSP_EINVAL: return InvalidArgument("mailbox refused the message value");
    case TANDEM_BSP_EBROKEN: return DataLoss("mailbox page is corrupt");
    case TANDEM_BSP_EABORTED: return Aborted("mailbox shut down by the board");
    default: return Internal("mailbox returned an unknown code");
  }
}

Status BspMailbox::Notify(std::uint32_t notifyid) {
  // Kicks are coalesced by the board and need no room in the control
  // queue; the timeout only matters for a board that queues them anyway.
  const Status s =
      FromBsp(bsp_.mbox_send(bsp_.ctx, notifyid, kSendTimeoutNs), "mailbox full (kick)");
  if (!s.ok()) ++notify_errors_;
  return s;
}

Status BspMailbox::SendControl(std::uint32_t message) {
  return FromBsp(bsp_.mbox_send(bsp_.ctx, message, kSendTimeoutNs),
                 "mailbox control queue stayed full");
}

std::uint64_t BspMailbox::Now() { return bsp_.now_ns(bsp_.ctx); }

Status BspMailbox::Receive(std::uint64_t timeout_ns) {
  if (!failure_.ok()) return failure_;
  bsp_.watchdog_pet(bsp_.ctx);
  std::uint32_t message = 0;
  const int rc = bsp_.mbox_wait(bsp_.ctx, &message, timeout_ns);
  if (rc == TANDEM_BSP_OK) {
    stash_.Put(message);
    ++epoch_;  // what a mailbox ISR does: wake whoever waits
    return OkStatus();
  }
  const Status s = FromBsp(rc, "no mailbox message before the timeout");
  if (s.code() != StatusCode::kDeadlineExceeded) failure_ = s;
  return s;
}

void BspMailbox::Wait(std::uint32_t epoch, std::uint64_t deadline_ns) {
  if (epoch != epoch_ || !failure_.ok()) return;
  const std::uint64_t now = Now();
  if (now >= deadline_ns) return;
  const std::uint64_t remaining = deadline_ns - now;
  // One slice at most: the bus calls again while time remains, and every
  // call pets the watchdog.
  Receive(remaining < slice_ns_ ? remaining : slice_ns_).IgnoreError();
}

}  // namespace tandem::remote
