#pragma once
// 32-bit mailbox messages (docs/architecture.md decision 7). Values below
// kControlBase are vring notifyids ("kick vring N"); the control range uses
// the values TI's OMAP/Keystone remoteproc firmware uses (RP_MBOX_*), so a
// trace of our mailbox reads like one of theirs. Anything else in the
// control range is reserved; a receiver ignores it and counts it.

#include <cstdint>

namespace tandem::remoteproc::mailbox {

// Vring notifyids are below this; the board's mailbox carries nothing else
// below kControlBase (remote/bsp.h: mbox_send).
inline constexpr std::uint32_t kMaxNotifyIds = 64;

inline constexpr std::uint32_t kControlBase = 0xFFFFFF00;

inline constexpr std::uint32_t kReady = 0xFFFFFF00;           // remote -> host: booted
inline constexpr std::uint32_t kPendingMessage = 0xFFFFFF01;  // either: check all vrings
inline constexpr std::uint32_t kCrash = 0xFFFFFF02;           // remote -> host: fatal error
inline constexpr std::uint32_t kEchoRequest = 0xFFFFFF03;
inline constexpr std::uint32_t kEchoReply = 0xFFFFFF04;
inline constexpr std::uint32_t kAbortRequest = 0xFFFFFF05;  // host -> remote: crash on purpose
inline constexpr std::uint32_t kShutdown = 0xFFFFFF14;      // host -> remote: tear down
inline constexpr std::uint32_t kShutdownAck = 0xFFFFFF15;   // remote -> host: ready for reset
// Tandem additions (not TI's): re-establish the RPMsg link after an attach
// without rebooting the remote (see remoteproc attach).
inline constexpr std::uint32_t kVdevReset = 0xFFFFFF20;     // host -> remote
inline constexpr std::uint32_t kVdevResetAck = 0xFFFFFF21;  // remote -> host
// remote -> host: the remote found the RPMsg link broken (a bad ring index or
// entry, a descriptor outside the buffer area or in the wrong half, a host
// receive buffer smaller than the buffer size, or a set-up it refused) and
// stopped using the rings. It has also set DEVICE_NEEDS_RESET (VirtIO 1.x
// 2.1.1, 0x40) in the vdev status byte of its loaded table. The host treats
// it as a crash of the remote (recovery resets the device); without it a
// remote that stopped would stall the host's traffic silently.
inline constexpr std::uint32_t kLinkBroken = 0xFFFFFF22;

constexpr bool IsControl(std::uint32_t message) { return message >= kControlBase; }

// Priority events (Tandem addition, issue #15; docs/doorbell.md): a 24-bit
// value for the other side's event callback, beside RPMsg, as Zephyr's IPM
// is used next to it. They travel like control messages (in order, never
// merged, delivered before pending kicks), so one overtakes queued RPMsg
// traffic. A peer that does not know them (Linux, OpenAMP) is never sent
// one unless its application asks, and ignores one as an unknown word.
inline constexpr std::uint32_t kEventBase = 0xFE000000;
inline constexpr std::uint32_t kEventValueMask = 0x00FFFFFF;
inline constexpr std::uint32_t kMaxEventValue = kEventValueMask;
constexpr bool IsEvent(std::uint32_t message) { return (message & ~kEventValueMask) == kEventBase; }
constexpr std::uint32_t MakeEvent(std::uint32_t value) {
  return kEventBase | (value & kEventValueMask);
}
constexpr std::uint32_t EventValue(std::uint32_t message) { return message & kEventValueMask; }

// Messages that queue in order (control and events), as opposed to kicks.
constexpr bool IsQueued(std::uint32_t message) { return IsControl(message) || IsEvent(message); }
// Every word a mailbox carries: a notifyid, a control message or an event.
constexpr bool IsMessage(std::uint32_t message) {
  return message < kMaxNotifyIds || IsQueued(message);
}

}  // namespace tandem::remoteproc::mailbox
