#pragma once
// Why a virtqueue call failed, as matchable Reasons (base/status.h):
// `status.Is(virtio::kUsedIdOutOfRange)`. The kDataLoss ones are the ring
// protocol violations that latch a queue broken (Linux BAD_RING); each says
// which rule of VirtIO 1.x 2.7 the peer broke.

#include "tandem/base/status.h"

namespace tandem::virtio {

// Configuration (kInvalidArgument, kFailedPrecondition): our own mistakes.
inline constexpr char kBadRingSize[] = "vring size must be a power of two <= 32768";
inline constexpr char kBadRingAlign[] = "vring alignment must be a power of two >= 4";
inline constexpr char kRingAlignOverflow[] = "vring alignment overflows";
inline constexpr char kRingSizeOverflow[] = "vring size overflows";
inline constexpr char kRingDoesNotFit[] = "vring does not fit its region";
inline constexpr char kRingRegionTooSmall[] = "vring region smaller than the ring";
inline constexpr char kQueueNotInitialized[] = "virtqueue not initialized";
inline constexpr char kDescStorageTooSmall[] = "descriptor state storage too small";
inline constexpr char kEmptyChain[] = "empty buffer chain";
inline constexpr char kReadableAfterWritable[] = "readable buffer after a writable one in a chain";
inline constexpr char kChainLengthOverflow[] = "chain length overflows 32 bits";
inline constexpr char kUsedHeadOutOfRange[] = "used head out of range";

// Nothing now (kUnavailable, kResourceExhausted, kNotFound): try later.
inline constexpr char kNoFreeDescriptors[] = "not enough free descriptors";
inline constexpr char kNoAvailableBuffer[] = "no available buffer";
inline constexpr char kNoUsedBuffer[] = "no used buffer";
inline constexpr char kEndOfChain[] = "end of descriptor chain";

// The driver broke the protocol (kDataLoss; the DeviceQueue latches broken).
inline constexpr char kAvailIndexJumped[] = "avail index jumped past the ring size";
inline constexpr char kAvailEntryOutOfRange[] = "available ring entry out of range";
inline constexpr char kChainLoops[] = "descriptor chain loops";
inline constexpr char kIndirectNotNegotiated[] =
    "indirect descriptor but INDIRECT_DESC not negotiated";
inline constexpr char kBufferOutsideShm[] = "descriptor buffer outside shared memory";
inline constexpr char kNextOutOfRange[] = "descriptor next out of range";

// The device broke the protocol (kDataLoss; the DriverQueue latches broken).
inline constexpr char kUsedIndexJumped[] = "used index jumped past the ring size";
inline constexpr char kUsedIdOutOfRange[] = "used id out of range";
inline constexpr char kUsedIdNotHandedOut[] = "used id was never handed out";
inline constexpr char kUsedLengthTooLong[] = "used length exceeds the buffer";

}  // namespace tandem::virtio
