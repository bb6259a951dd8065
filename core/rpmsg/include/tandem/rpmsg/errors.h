#pragma once
// Why an RPMsg call failed, as matchable Reasons (base/status.h):
// `status.Is(rpmsg::kNoTxBuffer)`. Grouped by the status code each comes
// with (bus.h lists the codes per call). Errors of the rings underneath come
// with virtio's reasons (virtio/errors.h).

#include "tandem/base/status.h"

namespace tandem::rpmsg {

// kInvalidArgument: a call or configuration that can never work.
inline constexpr char kPayloadTooLarge[] = "payload larger than the MTU";
inline constexpr char kDstAny[] = "destination is RPMSG_ADDR_ANY";
inline constexpr char kSrcOrDstAny[] = "source or destination is RPMSG_ADDR_ANY";
inline constexpr char kVringSizesDiffer[] =
    "vring0 and vring1 must have the same number of entries";
inline constexpr char kBadVringSize[] = "vring size must be a power of two no larger than 32768";
inline constexpr char kBadBufferSize[] =
    "buffer size must exceed the header and carry at most 65535 bytes";
inline constexpr char kBuffersTooSmallForNs[] = "buffers too small for name-service messages";
inline constexpr char kHostStorageTooSmall[] = "host bus storage smaller than the vring";
inline constexpr char kBufferAreaTooSmall[] = "buffer area smaller than 2 * num * buffer_size";
inline constexpr char kRemoteStorageTooSmall[] = "remote bus storage smaller than the vring";
inline constexpr char kEndpointNameTooLong[] = "endpoint name longer than 31 characters";
inline constexpr char kBadQueueStorage[] =
    "receive queue storage must be non-empty and hold empty handles";
inline constexpr char kBadTableSize[] = "endpoint table size must be a power of two >= 2";
inline constexpr char kBadEndpointAddress[] = "invalid endpoint address";
inline constexpr char kBadDriverName[] = "driver name empty or longer than 31 characters";

// kFailedPrecondition: illegal in the current state.
inline constexpr char kNotStarted[] = "rpmsg bus not started";
inline constexpr char kAlreadyStarted[] = "rpmsg bus already started";
inline constexpr char kBuffersStillHeld[] = "buffers of the previous session are still held";
inline constexpr char kEndpointNotOnBus[] = "endpoint not created on this bus";
inline constexpr char kNoPeerAddress[] = "endpoint has no peer address yet";
inline constexpr char kNoReceiveQueue[] = "endpoint has no receive queue";
inline constexpr char kQueueNotEmpty[] = "receive queue not empty";
inline constexpr char kQueueStorageInUse[] =
    "receive queue storage already used by another endpoint";
inline constexpr char kTxBufferEmpty[] = "tx buffer is empty (already sent or released)";
inline constexpr char kPollReentered[] =
    "Poll already running (from a callback or a second thread)";
inline constexpr char kTableNotInitialized[] = "endpoint table not initialized";
inline constexpr char kChannelNotInUse[] = "channel not in use";

// kUnimplemented: flow control (docs/flow_control.md) was not negotiated
// with this peer (a Linux or OpenAMP peer, or a table that does not offer
// the bit): nothing is sent.
inline constexpr char kFlowControlNotNegotiated[] =
    "flow control not negotiated with the peer (no VIRTIO_RPMSG_F_FC)";

// kAlreadyExists, kResourceExhausted: fixed tables.
inline constexpr char kEndpointExists[] = "endpoint already created";
inline constexpr char kAddressInUse[] = "endpoint address in use";
inline constexpr char kTableFull[] = "endpoint table full";
inline constexpr char kNoDynamicAddress[] = "no dynamic endpoint address left";
inline constexpr char kDriverRegistered[] = "channel handler already registered";
inline constexpr char kDriverTableFull[] = "driver table full";

// kUnavailable (nothing now; try again), kOutOfRange, kDeadlineExceeded,
// kAborted (the bus was reset or the endpoint destroyed while waiting).
inline constexpr char kNoTxBuffer[] = "no tx buffer";
inline constexpr char kNoMessage[] = "no message";
inline constexpr char kNoRxBuffer[] = "no rx buffer";
inline constexpr char kPollBudgetUsed[] = "poll budget used up; more messages may be pending";
inline constexpr char kReceiveBufferTooSmall[] = "receive buffer too small for the message";
inline constexpr char kTxTimeout[] = "no tx buffer before the timeout";
inline constexpr char kRxTimeout[] = "no message before the timeout";
inline constexpr char kResetWhileSending[] = "rpmsg bus reset while waiting for a tx buffer";
inline constexpr char kResetWhileReceiving[] = "rpmsg bus reset while waiting for a message";
// The peer asked this endpoint to pause sending to it (flow control): a
// non-blocking send gets kUnavailable, a blocking one waits for it to resume
// and gets kDeadlineExceeded at its timeout. Nothing is dropped.
inline constexpr char kPeerPaused[] = "the peer paused this endpoint (flow control)";
inline constexpr char kPeerPausedTimeout[] =
    "the peer kept this endpoint paused until the timeout (flow control)";
inline constexpr char kEndpointDestroyedWhileReceiving[] =
    "endpoint destroyed while waiting for a message";

// kDataLoss: the peer broke the protocol; the bus latches broken.
inline constexpr char kNotOurTxBuffer[] = "used buffer is not one of our tx buffers";
inline constexpr char kNotOurRxBuffer[] = "used buffer is not one of our rx buffers";
inline constexpr char kHostBufferNotWritable[] = "host rx buffer is not device-writable";
inline constexpr char kHostBufferTooSmall[] = "host rx buffer smaller than the bus buffer size";
// Remote: Linux lays the buffer area out as the host's receive buffers (the
// first num buffers, posted in vring0) then its transmit buffers (vring1).
inline constexpr char kHostRxBufferNotInRxHalf[] =
    "host rx buffer (vring0) outside the rx half of the buffer area";
inline constexpr char kHostTxBufferNotInTxHalf[] =
    "host tx buffer (vring1) outside the tx half of the buffer area";
// ... and name-service messages (ParseNsMessage; Linux rpmsg_ns.c), which
// are counted (Stats::ns_malformed) and dropped, never latched.
inline constexpr char kNsWrongSize[] = "ns message has the wrong size";
inline constexpr char kNsNameNotTerminated[] = "ns name is not NUL-terminated";
inline constexpr char kNsNameEmpty[] = "ns name is empty";
inline constexpr char kNsAddressAny[] = "ns address is RPMSG_ADDR_ANY";
inline constexpr char kNsFlagsUnknown[] = "ns flags unknown";
// ... and flow-control messages (ParseFlowMessage), counted in
// Stats::flow_malformed and dropped.
inline constexpr char kFlowWrongSize[] = "flow-control message has the wrong size";
inline constexpr char kFlowAddressAny[] = "flow-control address is RPMSG_ADDR_ANY";
inline constexpr char kFlowFlagsUnknown[] = "flow-control flags unknown";

// kInternal: our own bug.
inline constexpr char kTxOutsideRegion[] = "tx buffer outside the buffer region";
inline constexpr char kStateCorrupt[] = "rpmsg bus state corrupt";
inline constexpr char kBrokenWithoutReason[] = "rpmsg bus broken without a reason";

}  // namespace tandem::rpmsg
