#pragma once
// Why a virtqueue call failed, as matchable Reasons (base/status.h):
// `status.Is(virtio::kUsedIdOutOfRange)`. The kDataLoss ones are the ring
// protocol violations that latch a queue broken (Linux BAD_RING); each says
// which rule of VirtIO 1.x 2.7 the peer broke.

#include "tandem/base/status.h"

namespace tandem::virtio {

// Configuration (kInvalidArgument, kFailedPrecondition): our own mistakes.
inline constexpr Reason kBadRingSize{"vring size must be a power of two <= 32768"};
inline constexpr Reason kBadRingAlign{"vring alignment must be a power of two >= 4"};
inline constexpr Reason kRingAlignOverflow{"vring alignment overflows"};
inline constexpr Reason kRingSizeOverflow{"vring size overflows"};
inline constexpr Reason kRingDoesNotFit{"vring does not fit its region"};
inline constexpr Reason kRingRegionTooSmall{"vring region smaller than the ring"};
inline constexpr Reason kQueueNotInitialized{"virtqueue not initialized"};
inline constexpr Reason kDescStorageTooSmall{"descriptor state storage too small"};
inline constexpr Reason kEmptyChain{"empty buffer chain"};
inline constexpr Reason kReadableAfterWritable{"readable buffer after a writable one in a chain"};
inline constexpr Reason kChainLengthOverflow{"chain length overflows 32 bits"};
inline constexpr Reason kUsedHeadOutOfRange{"used head out of range"};

// Nothing now (kUnavailable, kResourceExhausted, kNotFound): try later.
inline constexpr Reason kNoFreeDescriptors{"not enough free descriptors"};
inline constexpr Reason kNoAvailableBuffer{"no available buffer"};
inline constexpr Reason kNoUsedBuffer{"no used buffer"};
inline constexpr Reason kEndOfChain{"end of descriptor chain"};

// The driver broke the protocol (kDataLoss; the DeviceQueue latches broken).
inline constexpr Reason kAvailIndexJumped{"avail index jumped past the ring size"};
inline constexpr Reason kAvailEntryOutOfRange{"available ring entry out of range"};
inline constexpr Reason kChainLoops{"descriptor chain loops"};
inline constexpr Reason kIndirectNotNegotiated{
    "indirect descriptor but INDIRECT_DESC not negotiated"};
inline constexpr Reason kBufferOutsideShm{"descriptor buffer outside shared memory"};
inline constexpr Reason kNextOutOfRange{"descriptor next out of range"};

// The device broke the protocol (kDataLoss; the DriverQueue latches broken).
inline constexpr Reason kUsedIndexJumped{"used index jumped past the ring size"};
inline constexpr Reason kUsedIdOutOfRange{"used id out of range"};
inline constexpr Reason kUsedIdNotHandedOut{"used id was never handed out"};
inline constexpr Reason kUsedLengthTooLong{"used length exceeds the buffer"};

}  // namespace tandem::virtio
