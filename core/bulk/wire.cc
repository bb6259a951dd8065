#include "tandem/bulk/wire.h"

#include <cstring>

#include "tandem/bulk/errors.h"

namespace tandem::bulk {

bool IsBulkMessage(ConstByteSpan payload) {
  if (payload.size() < sizeof(Le32)) return false;
  Le32 type;
  std::memcpy(&type, payload.data(), sizeof(type));
  return (type.get() & kTypePrefixMask) == kTypePrefix;
}

Result<Message> ParseMessage(ConstByteSpan payload) {
  if (payload.size() != kMessageSize) return DataLoss(kBadMessageSize);
  WireMessage wire;
  std::memcpy(&wire, payload.data(), sizeof(wire));  // one copy, then checks
  Message m;
  switch (wire.type.get()) {
    case kHandOverType: m.type = MessageType::kHandOver; break;
    case kReleaseType: m.type = MessageType::kRelease; break;
    default: return DataLoss(kUnknownMessage);
  }
  m.offset = wire.offset.get();
  m.length = wire.length.get();
  m.cookie = wire.cookie.get();
  if (m.type == MessageType::kRelease && m.length != 0) return DataLoss(kReleaseWithLength);
  return m;
}

void EncodeMessage(const Message& message, std::span<std::byte, kMessageSize> out) {
  WireMessage wire;
  wire.type.set(message.type == MessageType::kHandOver ? kHandOverType : kReleaseType);
  wire.offset.set(message.offset);
  wire.length.set(message.length);
  wire.cookie.set(message.cookie);
  std::memcpy(out.data(), &wire, sizeof(wire));
}

}  // namespace tandem::bulk
