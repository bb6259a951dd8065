#include "tandem/rpmsg/wire.h"

#include <cstring>

#include "tandem/rpmsg/errors.h"

namespace tandem::rpmsg {

std::size_t NameLength(const char* name) {
  if (name == nullptr) return 0;
  std::size_t n = 0;
  while (n < kNameSize && name[n] != '\0') ++n;
  return n;
}

bool ValidName(const char* name) {
  const std::size_t n = NameLength(name);
  return n > 0 && n < kNameSize;
}

Result<NsAnnouncement> ParseNsMessage(ConstByteSpan payload) {
  // rpmsg_ns.c: "if (len != sizeof(*msg))": exactly one message, no more.
  if (payload.size() != sizeof(NsMessage)) return DataLoss(kNsWrongSize);
  NsMessage msg;
  std::memcpy(&msg, payload.data(), sizeof(msg));  // one copy; validate the copy only

  NsAnnouncement out{};
  std::size_t n = 0;
  while (n < kNameSize && msg.name[n] != '\0') ++n;
  if (n == kNameSize) return DataLoss(kNsNameNotTerminated);
  if (n == 0) return DataLoss(kNsNameEmpty);
  std::memset(out.name, 0, sizeof(out.name));
  std::memcpy(out.name, msg.name, n);

  out.addr = msg.addr.get();
  if (out.addr == kAddrAny) return DataLoss(kNsAddressAny);
  const std::uint32_t flags = msg.flags.get();
  if (flags != static_cast<std::uint32_t>(NsFlags::kCreate) &&
      flags != static_cast<std::uint32_t>(NsFlags::kDestroy)) {
    return DataLoss(kNsFlagsUnknown);
  }
  out.flags = static_cast<NsFlags>(flags);
  return out;
}

NsMessage MakeNsMessage(const char* name, std::uint32_t addr, NsFlags flags) {
  NsMessage msg{};  // value-initialized: the whole name field is zero
  std::memcpy(msg.name, name, NameLength(name) < kNameSize ? NameLength(name) : kNameSize - 1);
  msg.addr.set(addr);
  msg.flags.set(static_cast<std::uint32_t>(flags));
  return msg;
}

Result<FlowState> ParseFlowMessage(ConstByteSpan payload) {
  if (payload.size() != sizeof(FlowMessage)) return DataLoss(kFlowWrongSize);
  FlowMessage msg;
  std::memcpy(&msg, payload.data(), sizeof(msg));  // one copy; validate the copy only
  FlowState out{};
  out.src = msg.src.get();
  out.dst = msg.dst.get();
  const std::uint32_t flags = msg.flags.get();
  if (out.src == kAddrAny || out.dst == kAddrAny) return DataLoss(kFlowAddressAny);
  if ((flags & ~kFlowOn) != 0) return DataLoss(kFlowFlagsUnknown);
  out.paused = (flags & kFlowOn) == 0;
  return out;
}

FlowMessage MakeFlowMessage(std::uint32_t src, std::uint32_t dst, bool paused) {
  FlowMessage msg{};
  msg.src.set(src);
  msg.dst.set(dst);
  msg.flags.set(paused ? 0u : kFlowOn);
  return msg;
}

}  // namespace tandem::rpmsg
