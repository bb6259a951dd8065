#pragma once
// Messages larger than one RPMsg buffer (docs/large_messages.md): a layer
// above the bus that splits a message into fragments on one side and
// reassembles it on the other, used only on endpoints that opted in, and
// only on a link whose vdev negotiated kFeatureLargeMessages (bit 11 of
// the rpmsg vdev, Tandem's own).
//
// Wire format, inside the RPMsg payload of every message on an opted-in
// endpoint of a negotiated link (nothing changes in struct rpmsg_hdr):
//
//   u8   version      kFragmentVersion (1)
//   u8   flags        0 (reserved: a fragment with another value is refused)
//   le16 message_id   the same for every fragment of one message; the sender
//                     counts messages per endpoint, wrapping
//   le32 total        bytes of the whole message, <= kMaxLargeMessage
//   le32 offset       where this fragment's bytes go in the message
//   ...  data         payload - 12 bytes
//
// A sender fills every fragment but the last (mtu - 12 data bytes) and
// sends them in order; RPMsg keeps the order of one endpoint's messages, so
// the receiver accepts only the fragment that starts where the previous
// one ended. On a link that did not negotiate the bit (a Linux or OpenAMP
// peer) the endpoint sends and receives plain messages, exactly as a plain
// endpoint: no header, no fragment ever, and a message larger than the MTU
// is refused with the bus's kPayloadTooLarge.
//
// No heap: the reassembly space is the caller's (one message at a time per
// endpoint); the core has no clock, so the timeout of an incomplete
// message is measured with a Clock the caller injects (the bus platform's,
// the board's now_ns) and Expire() is the tick a runtime calls.
//
// Everything in a fragment header is the peer's and untrusted: each bad
// field is one error (the reasons below), the fragment and the partial
// message it belonged to are dropped and counted, and no byte is written
// outside the reassembly space (offset + length is checked against the
// total, the total against the space, in 64-bit arithmetic).
//
// Threading: a Reassembler / LargeEndpoint receives on the bus's event
// thread (OnMessage runs inside Poll()); Expire() runs there too, or while
// Poll() is not running. Send() may run on any thread, one at a time per
// LargeEndpoint (the caller serializes senders: the fragments of two
// messages must not interleave).

#include <cstddef>
#include <cstdint>
#include <span>

#include "tandem/base/endian.h"
#include "tandem/base/result.h"
#include "tandem/base/span.h"
#include "tandem/rpmsg/bus.h"
#include "tandem/rpmsg/endpoint.h"

namespace tandem::rpmsg {

// The rpmsg vdev feature bit (dfeatures / gfeatures) that says both sides
// may fragment on endpoints that opted in. Tandem's own, far from Linux's
// bits 0 (VIRTIO_RPMSG_F_NS) and 1 (VIRTIO_RPMSG_F_ACK) and NuttX's 2
// (VIRTIO_RPMSG_F_BUFSZ): Linux never accepts it, so a Linux host never
// lets a firmware fragment. remoteproc::kSupportedVdevFeatures has it.
inline constexpr std::uint32_t kFeatureLargeMessages = 11;
inline constexpr std::uint32_t kFeatureLargeMessagesMask = 1u << kFeatureLargeMessages;

inline constexpr std::uint8_t kFragmentVersion = 1;
// The largest message the protocol carries (a receiver's space may be less).
inline constexpr std::uint32_t kMaxLargeMessage = 16u << 20;
// An incomplete message is dropped when no fragment of it came for this long.
inline constexpr std::uint64_t kDefaultReassemblyTimeoutNs = 2'000'000'000;

struct FragmentHeader {
  std::uint8_t version;
  std::uint8_t flags;
  Le16 message_id;
  Le32 total;
  Le32 offset;
};
static_assert(sizeof(FragmentHeader) == 12);
static_assert(offsetof(FragmentHeader, message_id) == 2 && offsetof(FragmentHeader, total) == 4 &&
              offsetof(FragmentHeader, offset) == 8);
inline constexpr std::size_t kFragmentHeaderSize = sizeof(FragmentHeader);

// Why a fragment was refused (Status::Is). kDataLoss unless noted.
namespace large_error {
inline constexpr char kFragmentTooShort[] = "fragment shorter than its 12-byte header";
inline constexpr char kFragmentBadVersion[] = "fragment header version or flags unknown";
inline constexpr char kFragmentTotalTooLarge[] =
    "fragment total length larger than the protocol's 16 MiB";
// kResourceExhausted.
inline constexpr char kNoReassemblySpace[] = "message larger than the reassembly space";
inline constexpr char kFragmentEmpty[] = "fragment carries no bytes of a non-empty message";
inline constexpr char kFragmentPastTotal[] =
    "fragment offset or length past the message's total length";
inline constexpr char kFragmentOutOfOrder[] =
    "fragment does not start where the previous one ended (a fragment is missing)";
inline constexpr char kFragmentOverlap[] =
    "fragment repeats or overlaps bytes already received (duplicate)";
inline constexpr char kFragmentInterleaved[] =
    "fragment of another message (id or sender) while one is being reassembled";
inline constexpr char kFragmentTotalChanged[] =
    "fragment total length differs from the message's first fragment";
// kDeadlineExceeded (counted; Expire() and Feed() drop the message).
inline constexpr char kReassemblyTimedOut[] = "incomplete message timed out";
// kInvalidArgument (sending).
inline constexpr char kMessageTooLarge[] = "message larger than the protocol's 16 MiB";
inline constexpr char kMtuTooSmall[] = "MTU too small for a fragment header and data";
}  // namespace large_error

// Validates the header of one fragment (the whole RPMsg payload) alone:
// length, version, flags, total <= kMaxLargeMessage, offset + data <= total,
// data non-empty unless total is 0. The data follows at
// kFragmentHeaderSize.
Result<FragmentHeader> ParseFragmentHeader(ConstByteSpan payload);

// The time source for the reassembly timeout.
class Clock {
 public:
  virtual std::uint64_t NowNs() = 0;

 protected:
  ~Clock() = default;
};

struct ReassemblyStats {
  std::uint32_t fragments = 0;  // accepted
  std::uint32_t messages = 0;   // completed
  std::uint32_t bad = 0;        // fragments refused (each one error)
  std::uint32_t dropped = 0;    // incomplete messages dropped (any cause)
  std::uint32_t timeouts = 0;   // ... of them because they timed out
  std::uint32_t abandoned = 0;  // ... because the sender started another
  std::uint32_t no_space = 0;   // messages refused: larger than the space
};

// One message at a time, in caller storage.
class Reassembler {
 public:
  Reassembler(ByteSpan storage, std::uint64_t timeout_ns = kDefaultReassemblyTimeoutNs)
      : storage_(storage), timeout_ns_(timeout_ns) {}
  Reassembler(const Reassembler&) = delete;
  Reassembler& operator=(const Reassembler&) = delete;

  // One fragment from `src` at `now_ns`. true: a message is complete, in
  // message() / message_src() until the next Feed/Expire/Reset. false:
  // accepted, more to come. An error: the fragment was refused (reasons
  // above) and the partial message, if any, dropped. A first fragment
  // (offset 0) of another message while one is incomplete drops the
  // incomplete one (stats().abandoned: its sender gave up on it) and starts
  // the new one. A partial message whose last fragment is older than the
  // timeout is dropped (timeouts) before the fragment is looked at.
  Result<bool> Feed(std::uint32_t src, ConstByteSpan payload, std::uint64_t now_ns);
  // The tick: drops an incomplete message older than the timeout. Returns
  // kDeadlineExceeded kReassemblyTimedOut if it dropped one, else ok.
  Status Expire(std::uint64_t now_ns);
  // Drops what is being reassembled (not counted).
  void Reset() { state_ = State::kIdle; }

  bool in_progress() const { return state_ == State::kPartial; }
  ConstByteSpan message() const {
    return state_ == State::kComplete ? ConstByteSpan(storage_.data(), total_) : ConstByteSpan();
  }
  std::uint32_t message_src() const { return src_; }
  std::size_t capacity() const { return storage_.size(); }
  std::size_t received() const { return state_ == State::kPartial ? received_ : 0; }
  const ReassemblyStats& stats() const { return stats_; }

 private:
  enum class State : std::uint8_t { kIdle, kPartial, kComplete };
  Status Refuse(Status s);

  ByteSpan storage_;
  std::uint64_t timeout_ns_;
  State state_ = State::kIdle;
  std::uint32_t src_ = 0;
  std::uint16_t id_ = 0;
  std::uint32_t total_ = 0;
  std::uint32_t received_ = 0;
  std::uint64_t last_ns_ = 0;
  ReassemblyStats stats_;
};

// The receiver of an opted-in endpoint.
class LargeMessageHandler {
 public:
  // A whole message (one plain message, or reassembled), valid for the call.
  // Same context as MessageHandler::OnMessage.
  virtual void OnLargeMessage(Endpoint& endpoint, std::uint32_t src, ConstByteSpan message) = 0;
  // A fragment was refused or an incomplete message dropped (optional).
  virtual void OnLargeMessageError(Endpoint& /*endpoint*/, const Status& /*error*/) {}

 protected:
  ~LargeMessageHandler() = default;
};

// Opt-in for one endpoint: create the endpoint with this as its
// MessageHandler, call SetNegotiated() with the link's feature (before
// traffic, at each link up), send with Send().
class LargeEndpoint final : public MessageHandler {
 public:
  LargeEndpoint(ByteSpan reassembly_storage, LargeMessageHandler& handler, Clock& clock,
                std::uint64_t timeout_ns = kDefaultReassemblyTimeoutNs)
      : reassembler_(reassembly_storage, timeout_ns), handler_(handler), clock_(clock) {}

  // Whether the link negotiated kFeatureLargeMessages (gfeatures).
  // Changing it drops an incomplete message.
  void SetNegotiated(bool negotiated);
  bool negotiated() const { return negotiated_; }

  // The largest message Send() takes: kMaxLargeMessage once negotiated,
  // else the bus's MTU. (The peer's reassembly space may be smaller: it
  // refuses a larger message and counts it.)
  std::size_t max_message(const Bus& bus) const {
    return negotiated_ ? kMaxLargeMessage : bus.mtu();
  }

  // Sends `message` from `endpoint` to `dst`: negotiated, as fragments of
  // at most the MTU (one for a message that fits), each waiting up to
  // `timeout` for a buffer; not negotiated, as one plain message
  // (kInvalidArgument kPayloadTooLarge beyond the MTU, nothing sent). An
  // error after some fragments went out leaves the peer an incomplete
  // message it drops (timeout, or the next message's first fragment).
  Status Send(Endpoint& endpoint, std::uint32_t dst, ConstByteSpan message, Timeout timeout);

  // The tick (clock's now): drops an incomplete message older than the
  // timeout.
  void Expire();

  void OnMessage(Endpoint& endpoint, ReceivedMessage& message) override;

  const ReassemblyStats& stats() const { return reassembler_.stats(); }
  const Reassembler& reassembler() const { return reassembler_; }
  std::uint32_t messages_sent() const { return sent_; }

 private:
  Reassembler reassembler_;
  LargeMessageHandler& handler_;
  Clock& clock_;
  bool negotiated_ = false;
  std::uint16_t next_id_ = 0;
  std::uint32_t sent_ = 0;
};

}  // namespace tandem::rpmsg
