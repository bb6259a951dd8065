#pragma once
// "tandem-fault": text commands that make the faulty image misbehave, for
// the host's crash and hostile-peer tests. Each command is answered
// "ok <cmd>" first; the fault itself happens from the main loop (LoopHook)
// after a short grace period, so the reply's kick has gone out and the host
// has had a chance to read it before the remote dies:
//
//   segv             write through a null pointer (SIGSEGV)
//   ill              illegal instruction (ud2: SIGILL)
//   abort            bsp.exit(134), as abort() would
//   hang             spin forever without petting the watchdog
//   ignore-shutdown  from now on, log and ignore kShutdown (the host must
//                    force-reset the core); takes effect at once
//   report-crash     send mailbox::kCrash to the host, then keep running
//   corrupt-ring     hostile: in vring0's used ring, make used->idx jump by
//                    1000 and write a used element {id 9999, len 0xFFFFFFFF},
//                    then kick vring0: the host must latch the link broken
//                    and survive
//   log <text>       hostile: write <text> to the console and trace as it is
//                    (escape sequences included); the host must show it safely
//   help             the list of commands
// Anything else is answered "error unknown command: <cmd>". Trailing
// whitespace, newlines and NULs of the command are ignored.

#include <cstddef>
#include <cstdint>

#include "tandem/remote/remote_node.h"
#include "tandem/rpmsg/endpoint.h"

namespace tandem::remote::faulty {

enum class Fault : std::uint8_t {
  kNone,
  kSegv,
  kIllegal,
  kAbort,
  kHang,
  kIgnoreShutdown,
  kReportCrash,
  kCorruptRing,
  kHelp,
  kLog,
  kUnknown,
};

// The command in `payload` (untrusted bytes).
Fault ParseFault(ConstByteSpan payload);

class FaultService final : public rpmsg::MessageHandler, public LoopHook {
 public:
  static constexpr const char* kName = "tandem-fault";
  // Between the "ok" reply and the fault.
  static constexpr std::uint64_t kGraceNs = 50'000'000;
  static constexpr std::uint32_t kUsedIdxJump = 1000;
  static constexpr std::uint32_t kBogusUsedId = 9999;
  static constexpr std::uint32_t kBogusUsedLen = 0xFFFFFFFF;

  explicit FaultService(RemoteNode& node) : node_(node) {}

  void OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) override;
  void OnLoop(RemoteNode& node) override;

  Fault pending() const { return pending_; }

  // corrupt-ring's damage, on the running link's vring0. kFailedPrecondition
  // without a running link.
  static Status CorruptUsedRing(RemoteNode& node);

 private:
  void Reply(rpmsg::Endpoint& endpoint, const rpmsg::ReceivedMessage& message, const char* text);

  RemoteNode& node_;
  Fault pending_ = Fault::kNone;
};

}  // namespace tandem::remote::faulty
