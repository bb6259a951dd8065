#include "tandem/remote/mailbox_stash.h"

#include "tandem/remoteproc/mailbox.h"

namespace tandem::remote {

namespace mailbox = remoteproc::mailbox;

void MailboxStash::Put(std::uint32_t message) {
  if (message < kMaxNotifyIds || message == mailbox::kPendingMessage) {
    // Kicks coalesce, as the board's doorbell does: one Poll() drains
    // everything that arrived (TI's RP_MBOX_PENDING_MSG means "check all").
    kick_pending_ = true;
    ++kicks_;
    return;
  }
  if (!mailbox::IsQueued(message)) {
    ++invalid_messages_;
    return;
  }
  if (count_ == kControlCapacity) {
    if (message == mailbox::kShutdown) {
      shutdown_latched_ = true;
    } else {
      ++dropped_controls_;
    }
    return;
  }
  fifo_[(head_ + count_) % kControlCapacity] = message;
  ++count_;
}

bool MailboxStash::TakeKick() {
  const bool pending = kick_pending_;
  kick_pending_ = false;
  return pending;
}

std::optional<std::uint32_t> MailboxStash::TakeControl() {
  if (count_ > 0) {
    const std::uint32_t message = fifo_[head_];
    head_ = (head_ + 1) % kControlCapacity;
    --count_;
    return message;
  }
  if (shutdown_latched_) {
    shutdown_latched_ = false;
    return mailbox::kShutdown;
  }
  return std::nullopt;
}

}  // namespace tandem::remote
