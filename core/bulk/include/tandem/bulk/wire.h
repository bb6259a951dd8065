#pragma once
// The bulk hand-over messages (docs/bulk_buffers.md): one 16-byte RPMsg
// payload, little-endian, on an endpoint both sides agreed to use for a
// pool. Offsets are from the start of the pool, never addresses.
//
//   le32 type;    kHandOverType: the sender gives the receiver a block
//                 kReleaseType:  the receiver gives a block back
//   le32 offset;  of the block, from the pool's start: a block boundary
//   le32 length;  hand-over: bytes of the block that carry data (<= block
//                 size); release: 0
//   le32 cookie;  the application's (a sequence number, a stream id)
//
// The types are ASCII "BLK1" / "BLK2" so that an application may carry its
// own messages on the same endpoint: IsBulkMessage() tells them apart.

#include <cstddef>
#include <cstdint>
#include <span>

#include "tandem/base/endian.h"
#include "tandem/base/result.h"
#include "tandem/base/span.h"

namespace tandem::bulk {

inline constexpr std::uint32_t kHandOverType = 0x314B4C42;  // "BLK1"
inline constexpr std::uint32_t kReleaseType = 0x324B4C42;   // "BLK2"
inline constexpr std::uint32_t kTypePrefixMask = 0x00FFFFFF;
inline constexpr std::uint32_t kTypePrefix = 0x004B4C42;  // "BLK"

struct WireMessage {
  Le32 type;
  Le32 offset;
  Le32 length;
  Le32 cookie;
};
static_assert(sizeof(WireMessage) == 16);
inline constexpr std::size_t kMessageSize = sizeof(WireMessage);

enum class MessageType : std::uint8_t { kHandOver, kRelease };

struct Message {
  MessageType type = MessageType::kHandOver;
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
  std::uint32_t cookie = 0;
};

// True iff `payload` is meant for the bulk layer: at least 4 bytes whose
// first le32 starts with "BLK". Everything else is the application's.
bool IsBulkMessage(ConstByteSpan payload);

// The peer's bytes -> a Message, checked for form only (exactly 16 bytes, a
// known type, a release without length): kDataLoss with kBadMessageSize,
// kUnknownMessage or kReleaseWithLength. Whether the offset and length fit
// the pool is the Pool's check (Pool::Receive).
Result<Message> ParseMessage(ConstByteSpan payload);

// The 16 wire bytes of `message`.
void EncodeMessage(const Message& message, std::span<std::byte, kMessageSize> out);

}  // namespace tandem::bulk
