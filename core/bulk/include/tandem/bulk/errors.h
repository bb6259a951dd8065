#pragma once
// Why a bulk call failed or a peer's message was refused, as matchable
// reasons (base/status.h): `status.Is(bulk::kMisaligned)`.

#include "tandem/base/status.h"

namespace tandem::bulk {

// kInvalidArgument: a pool configuration that can never work.
inline constexpr char kBadBlockSize[] =
    "bulk block size must be a non-zero multiple of 64 no larger than the pool";
inline constexpr char kNoPoolMemory[] = "bulk pool region is empty";
inline constexpr char kBadOwnedRange[] = "bulk owned block range outside the pool";
inline constexpr char kLengthTooLarge[] = "bulk length larger than the block";

// kFailedPrecondition: illegal in the current state.
inline constexpr char kNotConfigured[] = "bulk pool not configured";
inline constexpr char kBlocksInUse[] = "bulk pool has blocks held or with the peer";
inline constexpr char kEmptyHandle[] = "bulk handle is empty (moved, handed over or released)";
inline constexpr char kStaleHandle[] = "bulk handle outlived a pool reset";
inline constexpr char kNoSender[] = "bulk pool has no sender";

// kUnavailable: retry later.
inline constexpr char kNoFreeBlock[] = "no free bulk block (all held or with the peer)";

// kDataLoss: a peer's message refused (dropped and counted, nothing changes).
inline constexpr char kBadMessageSize[] = "bulk message is not 16 bytes";
inline constexpr char kUnknownMessage[] = "bulk message of an unknown type";
inline constexpr char kReleaseWithLength[] = "bulk release carries a length";
inline constexpr char kOutsidePool[] = "bulk offset outside the pool";
inline constexpr char kMisaligned[] = "bulk offset not at a block boundary";
inline constexpr char kLengthPastBlock[] = "bulk length past the end of the block";
inline constexpr char kBlockIsOurs[] = "bulk hand-over of a block we own";
inline constexpr char kAlreadyReceived[] = "bulk hand-over of a block we already hold";
inline constexpr char kNotLent[] = "bulk release of a block we did not hand over";

}  // namespace tandem::bulk
