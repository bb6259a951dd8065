#pragma once
// The demo's bulk stream (docs/bulk_buffers.md): the application messages
// the "tandem-bulk-source" service of firmware/demo and its host half
// (host/bulk_sink.h, `tandem bulk`) exchange on the pool's endpoint next to
// the hand-overs, and the checkable pattern every block carries. Both sides
// include this one definition.
//
//   host -> remote  StreamRequest  le32 "BSRQ", block_size, count, seed
//                   The host holds none of the pool's blocks: the remote
//                   resets its pool, cuts it into block_size blocks and
//                   hands over `count` blocks (cookie = sequence number,
//                   length = block_size), reusing each as it is released.
//   remote -> host  StreamDone     le32 "BSDN", sent, error (StreamError)
//                   after the last hand-over, or at once for a refused
//                   request.

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "tandem/base/endian.h"
#include "tandem/base/span.h"

namespace tandem::bulk {

inline constexpr char kStreamServiceName[] = "tandem-bulk-source";
// The demo's carve-out (firmware/demo's resource table).
inline constexpr char kDemoCarveoutName[] = "bulk0";

inline constexpr std::uint32_t kStreamRequestType = 0x51525342;  // "BSRQ"
inline constexpr std::uint32_t kStreamDoneType = 0x4E445342;     // "BSDN"

enum class StreamError : std::uint32_t {
  kNone = 0,
  kBadRequest = 1,  // a block size the pool cannot be cut into, or count 0
  kNoPool = 2,      // the firmware has no usable carve-out
  kSendFailed = 3,  // a hand-over could not be sent (link down)
};

struct StreamRequest {
  Le32 type;
  Le32 block_size;
  Le32 count;
  Le32 seed;
};
struct StreamDone {
  Le32 type;
  Le32 sent;
  Le32 error;
};
static_assert(sizeof(StreamRequest) == 16 && sizeof(StreamDone) == 12);

// Reads a message of type T (exact size, matching type) from the peer's
// bytes into *out; false otherwise.
template <typename T>
bool ReadStreamMessage(ConstByteSpan payload, std::uint32_t type, T* out) {
  if (payload.size() != sizeof(T)) return false;
  std::memcpy(out, payload.data(), sizeof(T));
  return out->type.get() == type;
}

// The pattern of block `sequence` of a stream with `seed`: 64-bit
// little-endian words ((sequence ^ seed) << 32 | word index), then the
// tail bytes (length % 8) equal to the sequence's low byte.
inline std::uint64_t PatternWord(std::uint32_t sequence, std::uint32_t seed, std::uint64_t i) {
  return (static_cast<std::uint64_t>(sequence ^ seed) << 32) | (i & 0xFFFFFFFFu);
}

inline void FillPattern(ByteSpan block, std::uint32_t sequence, std::uint32_t seed) {
  const std::size_t words = block.size() / 8;
  for (std::size_t i = 0; i < words; ++i) {
    const std::uint64_t w = ToLittle(PatternWord(sequence, seed, i));
    // __builtin_: firmware is built -ffreestanding (no builtin memcpy), and a
    // call per word would cost more than the word.
    __builtin_memcpy(block.data() + 8 * i, &w, 8);
  }
  for (std::size_t i = words * 8; i < block.size(); ++i) {
    block[i] = static_cast<std::byte>(sequence);
  }
}

// True iff `block` holds exactly the pattern of `sequence`.
inline bool CheckPattern(ConstByteSpan block, std::uint32_t sequence, std::uint32_t seed) {
  const std::size_t words = block.size() / 8;
  std::uint64_t diff = 0;
  for (std::size_t i = 0; i < words; ++i) {
    std::uint64_t w;
    __builtin_memcpy(&w, block.data() + 8 * i, 8);
    diff |= w ^ ToLittle(PatternWord(sequence, seed, i));
  }
  for (std::size_t i = words * 8; i < block.size(); ++i) {
    diff |= static_cast<std::uint8_t>(block[i]) ^ static_cast<std::uint8_t>(sequence);
  }
  return diff == 0;
}

}  // namespace tandem::bulk
