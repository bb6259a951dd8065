#include "fault_service.h"

#include <cstring>

#include "tandem/base/endian.h"
#include "tandem/remote/print.h"
#include "tandem/remoteproc/mailbox.h"
#include "tandem/virtio/ring_layout.h"

namespace tandem::remote::faulty {

namespace mailbox = remoteproc::mailbox;

namespace {

struct Command {
  const char* text;
  Fault fault;
};
constexpr Command kCommands[] = {
    {"segv", Fault::kSegv},
    {"ill", Fault::kIllegal},
    {"abort", Fault::kAbort},
    {"hang", Fault::kHang},
    {"ignore-shutdown", Fault::kIgnoreShutdown},
    {"report-crash", Fault::kReportCrash},
    {"corrupt-ring", Fault::kCorruptRing},
    {"help", Fault::kHelp},
};

// "log <text>": the one command with an argument.
constexpr char kLogPrefix[] = "log ";

bool IsTrailing(std::byte b) {
  const auto c = static_cast<unsigned char>(b);
  return c == '\0' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

[[noreturn]] void NullDereference() {
  std::uint32_t* p = nullptr;
  // Hidden from the optimizer, which would turn a visible null store into a
  // trap (SIGILL) instead of the SIGSEGV we want.
  __asm__ volatile("" : "+r"(p));
  *reinterpret_cast<volatile std::uint32_t*>(p) = 0xBAD;
  __builtin_trap();
}

[[noreturn]] void Hang() {
  // Busy, never waiting on the mailbox, never petting the watchdog. The asm
  // is a side effect, so the loop is not undefined behaviour.
  for (;;) __asm__ volatile("" ::: "memory");
}

}  // namespace

Fault ParseFault(ConstByteSpan payload) {
  std::size_t n = payload.size();
  while (n > 0 && IsTrailing(payload[n - 1])) --n;
  if (n >= sizeof(kLogPrefix) - 1 &&
      std::memcmp(kLogPrefix, payload.data(), sizeof(kLogPrefix) - 1) == 0) {
    return Fault::kLog;
  }
  for (const Command& c : kCommands) {
    const std::size_t len = std::strlen(c.text);
    if (len == n && std::memcmp(c.text, payload.data(), n) == 0) return c.fault;
  }
  return Fault::kUnknown;
}

void FaultService::Reply(rpmsg::Endpoint& endpoint, const rpmsg::ReceivedMessage& message,
                         const char* text) {
  const Status s =
      node_.Reply(endpoint, message,
                  ConstByteSpan(reinterpret_cast<const std::byte*>(text), std::strlen(text)));
  if (!s.ok()) node_.Log("tandem-fault: reply failed: %s", s.message());
}

void FaultService::OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) {
  const Fault fault = ParseFault(message.payload());
  if (fault == Fault::kUnknown) {
    char line[96];
    char command[48];
    std::size_t n = 0;
    const ConstByteSpan payload = message.payload();
    for (; n < payload.size() && n + 1 < sizeof(command); ++n) {
      const auto c = static_cast<unsigned char>(payload[n]);
      command[n] = (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '.';
    }
    command[n] = '\0';
    Format(line, sizeof(line), "error unknown command: %s", command);
    Reply(endpoint, message, line);
    return;
  }
  if (fault == Fault::kHelp) {
    Reply(endpoint, message,
          "commands: segv ill abort hang ignore-shutdown report-crash corrupt-ring log help");
    return;
  }
  if (fault == Fault::kLog) {
    // The text as it came, cut to one log line: what a hostile or broken
    // remote could write to its trace.
    char text[RemoteNode::kMaxLogLine];
    const ConstByteSpan payload = message.payload();
    std::size_t n = 0;
    for (std::size_t i = sizeof(kLogPrefix) - 1; i < payload.size() && n + 1 < sizeof(text); ++i) {
      if (payload[i] == std::byte{0}) break;
      text[n++] = static_cast<char>(payload[i]);
    }
    text[n] = '\0';
    node_.Log("%s", text);
    Reply(endpoint, message, "ok log");
    return;
  }
  char ok[32];
  const char* name = "?";
  for (const Command& c : kCommands) {
    if (c.fault == fault) name = c.text;
  }
  Format(ok, sizeof(ok), "ok %s", name);
  Reply(endpoint, message, ok);
  node_.Log("tandem-fault: %s", name);
  if (fault == Fault::kIgnoreShutdown) {
    node_.IgnoreShutdown();  // nothing to wait for
    return;
  }
  pending_ = fault;  // done from OnLoop, once the reply's kick went out
}

void FaultService::OnLoop(RemoteNode& node) {
  if (pending_ == Fault::kNone) return;
  const Fault fault = pending_;
  pending_ = Fault::kNone;
  node.Sleep(kGraceNs);
  switch (fault) {
    case Fault::kSegv: NullDereference();
    case Fault::kIllegal: __builtin_trap();  // ud2 on x86-64: SIGILL
    case Fault::kAbort: node.bsp().exit(node.bsp().ctx, 134); __builtin_trap();
    case Fault::kHang: Hang();
    case Fault::kReportCrash:
      if (const Status s = node.SendControl(mailbox::kCrash); !s.ok()) {
        node.Log("tandem-fault: crash report not sent: %s", s.message());
      }
      return;
    case Fault::kCorruptRing:
      if (const Status s = CorruptUsedRing(node); !s.ok()) {
        node.Log("tandem-fault: corrupt-ring: %s", s.message());
      }
      return;
    default: return;
  }
}

Status FaultService::CorruptUsedRing(RemoteNode& node) {
  const VdevLink* link = node.link();
  if (link == nullptr) return FailedPrecondition("no running link");
  shm::Region ring = link->bus.vring0.ring;
  TANDEM_TRY_ASSIGN(const virtio::RingLayout layout,
                    virtio::RingLayout::Compute(link->bus.vring0.num, link->bus.vring0.align));
  TANDEM_TRY_ASSIGN(const std::uint16_t idx, ring.LoadLe16(layout.used_idx()));
  // The element the host would read next, then an index far beyond what
  // was ever made available (VirtIO 1.x 2.7.8: the driver must notice).
  const auto slot = static_cast<std::uint16_t>(idx % layout.num());
  TANDEM_TRY(ring.Write<Le32>(layout.used_ring(slot), Le32(kBogusUsedId)));
  TANDEM_TRY(ring.Write<Le32>(layout.used_ring(slot) + 4, Le32(kBogusUsedLen)));
  TANDEM_TRY(ring.PublishLe16(layout.used_idx(), static_cast<std::uint16_t>(idx + kUsedIdxJump)));
  return node.Kick(link->bus.vring0.notifyid);
}

}  // namespace tandem::remote::faulty
