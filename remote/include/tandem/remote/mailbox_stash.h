#pragma once
// What the firmware's mailbox "interrupt" leaves for the main loop.
//
// A firmware has one mailbox and two consumers: the main loop, and a
// blocking rpmsg Send inside a message callback that waits for a buffer
// (MailboxWaiter). Whichever of them takes a message off the mailbox puts
// it here, as a mailbox ISR would, so that a kick or a shutdown that
// arrives while a callback blocks is handled by the main loop afterwards
// instead of being lost:
//
//  * vring notifyids (< 64) and kPendingMessage become one "kick pending"
//    flag: any kick means "poll the bus", and the bus drains both vrings;
//  * control messages (remoteproc/mailbox.h) go into a FIFO of
//    kControlCapacity, in arrival order. When the FIFO is full a message is
//    dropped and counted, except kShutdown: that one is latched and handed
//    out once the FIFO has drained, so the shutdown handshake is never lost;
//  * values in neither range (64 .. kControlBase) are counted and dropped:
//    the board refuses to send them, so they can only come from a corrupt
//    mailbox.
//
// Plain freestanding C++, no BSP: unit-tested on the host. Single context
// (the firmware's one thread).

#include <cstddef>
#include <cstdint>
#include <optional>

#include "tandem/remoteproc/mailbox.h"

namespace tandem::remote {

using remoteproc::mailbox::kMaxNotifyIds;

class MailboxStash {
 public:
  static constexpr std::size_t kControlCapacity = 16;

  // Records one message taken off the mailbox.
  void Put(std::uint32_t message);

  // True (once) if a kick arrived since the last call.
  bool TakeKick();
  bool kick_pending() const { return kick_pending_; }

  // The oldest control message not yet taken.
  std::optional<std::uint32_t> TakeControl();
  bool has_control() const { return count_ > 0 || shutdown_latched_; }

  // Messages dropped because the FIFO was full (a latched shutdown is not
  // counted: it is delivered).
  std::uint32_t dropped_controls() const { return dropped_controls_; }
  // Values that are neither a notifyid nor a control message.
  std::uint32_t invalid_messages() const { return invalid_messages_; }
  std::uint32_t kicks() const { return kicks_; }

 private:
  std::uint32_t fifo_[kControlCapacity] = {};
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  bool shutdown_latched_ = false;
  bool kick_pending_ = false;
  std::uint32_t kicks_ = 0;
  std::uint32_t dropped_controls_ = 0;
  std::uint32_t invalid_messages_ = 0;
};

}  // namespace tandem::remote
