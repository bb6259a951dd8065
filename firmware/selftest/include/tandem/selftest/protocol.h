#pragma once
// TEST-ONLY command protocol of the selftest firmware (firmware/selftest).
// Shared by the firmware and the platform tests that drive it; not part of
// the Tandem mailbox protocol. The commands use control-range values that
// remoteproc/mailbox.h leaves unassigned (0xFFFFFF80..0xFFFFFF8F); nothing
// but the selftest firmware gives them a meaning.
//
// Behaviour of the firmware:
//   boot: prints "selftest: booted" and sends mailbox::kReady
//   notifyid n (< 64)          -> sends notifyid n back (kick echo)
//   mailbox::kEchoRequest      -> sends mailbox::kEchoReply
//   mailbox::kShutdown         -> sends mailbox::kShutdownAck, exits with 0
//   mailbox::kAbortRequest     -> null-pointer write (SIGSEGV)
//   the commands below; any other control message -> kReplyUnknown
// It pets the watchdog at least every kPetIntervalNs while idle.

#include <cstdint>

namespace tandem::selftest {

// Faults.
inline constexpr std::uint32_t kCmdNullDeref = 0xFFFFFF80;  // write through nullptr: SIGSEGV
inline constexpr std::uint32_t kCmdIllegalOp = 0xFFFFFF81;  // ud2: SIGILL
inline constexpr std::uint32_t kCmdExit134 = 0xFFFFFF82;    // bsp.exit(134), like abort()
inline constexpr std::uint32_t kCmdHang = 0xFFFFFF83;       // busy loop, never pets the watchdog
inline constexpr std::uint32_t kCmdIgnoreAll = 0xFFFFFF84;  // pets the watchdog, never answers
// Memory. Arguments in the Args block at kArgsAddress (see below); the
// firmware answers kReplyDone (or kReplyError for a bad argument block).
inline constexpr std::uint32_t kCmdWritePattern = 0xFFFFFF85;  // fills [da, +length) with Pattern()
inline constexpr std::uint32_t kCmdChecksum = 0xFFFFFF86;  // Args.result = Checksum([da, +length))
inline constexpr std::uint32_t kCmdPrint = 0xFFFFFF87;     // prints a formatted test line
// Replies.
inline constexpr std::uint32_t kReplyDone = 0xFFFFFF8D;
inline constexpr std::uint32_t kReplyError = 0xFFFFFF8E;
inline constexpr std::uint32_t kReplyUnknown = 0xFFFFFF8F;

inline constexpr std::uint64_t kPetIntervalNs = 10'000'000;  // 10 ms

// The argument block of the memory commands: at a fixed device address the
// test maps before Start (a region of at least kArgsRegionSize bytes).
inline constexpr std::uint64_t kArgsAddress = 0x20000000;
inline constexpr std::uint64_t kArgsRegionSize = 4096;
struct Args {
  std::uint64_t device_address;  // start of the range to fill / checksum
  std::uint32_t length;
  std::uint32_t seed;
  std::uint32_t result;  // written by the firmware
  std::uint32_t magic;   // must be kArgsMagic, else kReplyError
};
inline constexpr std::uint32_t kArgsMagic = 0x7E57A125;

// Byte i of a pattern.
constexpr std::uint8_t Pattern(std::uint32_t seed, std::uint32_t i) {
  return static_cast<std::uint8_t>((seed + i * 7u) ^ (i >> 8));
}

// FNV-1a, 32-bit.
constexpr std::uint32_t ChecksumStep(std::uint32_t hash, std::uint8_t byte) {
  return (hash ^ byte) * 16777619u;
}
inline constexpr std::uint32_t kChecksumInit = 2166136261u;

}  // namespace tandem::selftest
