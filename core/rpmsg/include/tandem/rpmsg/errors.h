#pragma once
// Why an RPMsg call failed, as matchable Reasons (base/status.h):
// `status.Is(rpmsg::kNoTxBuffer)`. Grouped by the status code each comes
// with (bus.h lists the codes per call). Errors of the rings underneath come
// with virtio's reasons (virtio/errors.h).

#include "tandem/base/status.h"

namespace tandem::rpmsg {

// kInvalidArgument: a call or configuration that can never work.
inline constexpr Reason kPayloadTooLarge{"payload larger than the MTU"};
inline constexpr Reason kDstAny{"destination is RPMSG_ADDR_ANY"};
inline constexpr Reason kSrcOrDstAny{"source or destination is RPMSG_ADDR_ANY"};
inline constexpr Reason kVringSizesDiffer{"vring0 and vring1 must have the same number of entries"};
inline constexpr Reason kBadVringSize{"vring size must be a power of two no larger than 32768"};
inline constexpr Reason kBadBufferSize{
    "buffer size must exceed the header and carry at most 65535 bytes"};
inline constexpr Reason kBuffersTooSmallForNs{"buffers too small for name-service messages"};
inline constexpr Reason kHostStorageTooSmall{"host bus storage smaller than the vring"};
inline constexpr Reason kBufferAreaTooSmall{"buffer area smaller than 2 * num * buffer_size"};
inline constexpr Reason kRemoteStorageTooSmall{"remote bus storage smaller than the vring"};
inline constexpr Reason kEndpointNameTooLong{"endpoint name longer than 31 characters"};
inline constexpr Reason kBadQueueStorage{
    "receive queue storage must be non-empty and hold empty handles"};
inline constexpr Reason kBadTableSize{"endpoint table size must be a power of two >= 2"};
inline constexpr Reason kBadEndpointAddress{"invalid endpoint address"};
inline constexpr Reason kBadDriverName{"driver name empty or longer than 31 characters"};

// kFailedPrecondition: illegal in the current state.
inline constexpr Reason kNotStarted{"rpmsg bus not started"};
inline constexpr Reason kAlreadyStarted{"rpmsg bus already started"};
inline constexpr Reason kBuffersStillHeld{"buffers of the previous session are still held"};
inline constexpr Reason kEndpointNotOnBus{"endpoint not created on this bus"};
inline constexpr Reason kNoPeerAddress{"endpoint has no peer address yet"};
inline constexpr Reason kNoReceiveQueue{"endpoint has no receive queue"};
inline constexpr Reason kQueueNotEmpty{"receive queue not empty"};
inline constexpr Reason kTxBufferEmpty{"tx buffer is empty (already sent or released)"};
inline constexpr Reason kPollReentered{"Poll already running (from a callback or a second thread)"};
inline constexpr Reason kTableNotInitialized{"endpoint table not initialized"};
inline constexpr Reason kChannelNotInUse{"channel not in use"};

// kAlreadyExists, kResourceExhausted: fixed tables.
inline constexpr Reason kEndpointExists{"endpoint already created"};
inline constexpr Reason kAddressInUse{"endpoint address in use"};
inline constexpr Reason kTableFull{"endpoint table full"};
inline constexpr Reason kNoDynamicAddress{"no dynamic endpoint address left"};
inline constexpr Reason kDriverRegistered{"channel handler already registered"};
inline constexpr Reason kDriverTableFull{"driver table full"};

// kUnavailable (nothing now; try again), kOutOfRange, kDeadlineExceeded,
// kAborted (the bus was reset or the endpoint destroyed while waiting).
inline constexpr Reason kNoTxBuffer{"no tx buffer"};
inline constexpr Reason kNoMessage{"no message"};
inline constexpr Reason kNoRxBuffer{"no rx buffer"};
inline constexpr Reason kPollBudgetUsed{"poll budget used up; more messages may be pending"};
inline constexpr Reason kReceiveBufferTooSmall{"receive buffer too small for the message"};
inline constexpr Reason kTxTimeout{"no tx buffer before the timeout"};
inline constexpr Reason kRxTimeout{"no message before the timeout"};
inline constexpr Reason kResetWhileSending{"rpmsg bus reset while waiting for a tx buffer"};
inline constexpr Reason kResetWhileReceiving{"rpmsg bus reset while waiting for a message"};
inline constexpr Reason kEndpointDestroyedWhileReceiving{
    "endpoint destroyed while waiting for a message"};

// kDataLoss: the peer broke the protocol; the bus latches broken.
inline constexpr Reason kNotOurTxBuffer{"used buffer is not one of our tx buffers"};
inline constexpr Reason kNotOurRxBuffer{"used buffer is not one of our rx buffers"};
inline constexpr Reason kHostBufferNotWritable{"host rx buffer is not device-writable"};
inline constexpr Reason kHostBufferTooSmall{"host rx buffer smaller than the bus buffer size"};
// ... and name-service messages (ParseNsMessage; Linux rpmsg_ns.c), which
// are counted (Stats::ns_malformed) and dropped, never latched.
inline constexpr Reason kNsWrongSize{"ns message has the wrong size"};
inline constexpr Reason kNsNameNotTerminated{"ns name is not NUL-terminated"};
inline constexpr Reason kNsNameEmpty{"ns name is empty"};
inline constexpr Reason kNsAddressAny{"ns address is RPMSG_ADDR_ANY"};
inline constexpr Reason kNsFlagsUnknown{"ns flags unknown"};

// kInternal: our own bug.
inline constexpr Reason kTxOutsideRegion{"tx buffer outside the buffer region"};
inline constexpr Reason kStateCorrupt{"rpmsg bus state corrupt"};
inline constexpr Reason kBrokenWithoutReason{"rpmsg bus broken without a reason"};

}  // namespace tandem::rpmsg
