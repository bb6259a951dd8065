#include "tandem/rpmsg/large_message.h"

#include <cstring>

#include "tandem/rpmsg/errors.h"

namespace tandem::rpmsg {

using namespace large_error;

Result<FragmentHeader> ParseFragmentHeader(ConstByteSpan payload) {
  if (payload.size() < kFragmentHeaderSize) return DataLoss(kFragmentTooShort);
  FragmentHeader h;
  std::memcpy(&h, payload.data(), kFragmentHeaderSize);
  if (h.version != kFragmentVersion || h.flags != 0) return DataLoss(kFragmentBadVersion);
  const std::uint64_t total = h.total.get();
  const std::uint64_t offset = h.offset.get();
  const std::uint64_t len = payload.size() - kFragmentHeaderSize;
  if (total > kMaxLargeMessage) return DataLoss(kFragmentTotalTooLarge);
  if (len == 0 && total != 0) return DataLoss(kFragmentEmpty);
  // 64-bit: offset and len are each below 2^32, so the sum cannot wrap.
  if (offset > total || offset + len > total) return DataLoss(kFragmentPastTotal);
  return h;
}

Status Reassembler::Refuse(Status s) {
  ++stats_.bad;
  if (state_ == State::kPartial) ++stats_.dropped;
  state_ = State::kIdle;
  return s;
}

Status Reassembler::Expire(std::uint64_t now_ns) {
  if (state_ != State::kPartial) return OkStatus();
  // A clock that went backwards (a wrapped or reset board timer) counts as
  // no time passed.
  if (now_ns <= last_ns_ || now_ns - last_ns_ <= timeout_ns_) return OkStatus();
  state_ = State::kIdle;
  ++stats_.dropped;
  ++stats_.timeouts;
  return DeadlineExceeded(kReassemblyTimedOut);
}

Result<bool> Reassembler::Feed(std::uint32_t src, ConstByteSpan payload, std::uint64_t now_ns) {
  if (state_ == State::kComplete) state_ = State::kIdle;
  Expire(now_ns).IgnoreError();  // counted; the fragment is looked at anew
  auto parsed = ParseFragmentHeader(payload);
  if (!parsed.ok()) return Refuse(parsed.status());
  const FragmentHeader& h = *parsed;
  const std::uint32_t total = h.total.get();
  const std::uint32_t offset = h.offset.get();
  const std::uint16_t id = h.message_id.get();
  const ConstByteSpan data = payload.subspan(kFragmentHeaderSize);

  if (state_ == State::kPartial && (id != id_ || src != src_)) {
    if (offset != 0) return Refuse(DataLoss(kFragmentInterleaved));
    // The sender started another message: it gave up on this one.
    ++stats_.dropped;
    ++stats_.abandoned;
    state_ = State::kIdle;
  }
  if (state_ == State::kIdle) {
    if (offset != 0) return Refuse(DataLoss(kFragmentOutOfOrder));
    if (total > storage_.size()) {
      ++stats_.no_space;
      return Refuse(ResourceExhausted(kNoReassemblySpace));
    }
    state_ = State::kPartial;
    src_ = src;
    id_ = id;
    total_ = total;
    received_ = 0;
  } else {
    if (total != total_) return Refuse(DataLoss(kFragmentTotalChanged));
    if (offset < received_) return Refuse(DataLoss(kFragmentOverlap));
    if (offset > received_) return Refuse(DataLoss(kFragmentOutOfOrder));
    // A continuation must carry bytes (a zero-length fragment of a
    // non-empty message was refused by the parser).
  }
  // offset == received_, offset + data.size() <= total_ <= storage_.size().
  if (!data.empty()) std::memcpy(storage_.data() + offset, data.data(), data.size());
  received_ = offset + static_cast<std::uint32_t>(data.size());
  last_ns_ = now_ns;
  ++stats_.fragments;
  if (received_ == total_) {
    state_ = State::kComplete;
    ++stats_.messages;
    return true;
  }
  return false;
}

void LargeEndpoint::SetNegotiated(bool negotiated) {
  if (negotiated != negotiated_) reassembler_.Reset();
  negotiated_ = negotiated;
}

void LargeEndpoint::Expire() {
  const Status s = reassembler_.Expire(clock_.NowNs());
  (void)s;  // counted in stats(); reported only through Feed's errors
}

Status LargeEndpoint::Send(Endpoint& endpoint, std::uint32_t dst, ConstByteSpan message,
                           Timeout timeout) {
  Bus* bus = endpoint.bus();
  if (bus == nullptr) return FailedPrecondition(kEndpointNotOnBus);
  if (!negotiated_) {
    if (message.size() > bus->mtu()) return InvalidArgument(kPayloadTooLarge);
    return bus->SendTo(endpoint, dst, message, timeout);
  }
  if (message.size() > kMaxLargeMessage) return InvalidArgument(kMessageTooLarge);
  if (bus->mtu() <= kFragmentHeaderSize) return InvalidArgument(kMtuTooSmall);
  const std::size_t chunk = bus->mtu() - kFragmentHeaderSize;
  const std::uint16_t id = next_id_++;
  FragmentHeader h;
  h.version = kFragmentVersion;
  h.flags = 0;
  h.message_id.set(id);
  h.total.set(static_cast<std::uint32_t>(message.size()));
  TxBatch batch(*bus);  // one kick for the burst (flushed before any wait)
  std::size_t offset = 0;
  do {
    const std::size_t n = message.size() - offset < chunk ? message.size() - offset : chunk;
    TANDEM_TRY_ASSIGN(TxBuffer tx, bus->AcquireTx(endpoint, dst, timeout));
    h.offset.set(static_cast<std::uint32_t>(offset));
    std::memcpy(tx.data().data(), &h, kFragmentHeaderSize);
    if (n != 0) std::memcpy(tx.data().data() + kFragmentHeaderSize, message.data() + offset, n);
    TANDEM_TRY(tx.Send(kFragmentHeaderSize + n));
    offset += n;
  } while (offset < message.size());
  ++sent_;
  return OkStatus();
}

void LargeEndpoint::OnMessage(Endpoint& endpoint, ReceivedMessage& message) {
  if (!negotiated_) {
    handler_.OnLargeMessage(endpoint, message.src(), message.payload());
    return;
  }
  auto r = reassembler_.Feed(message.src(), message.payload(), clock_.NowNs());
  if (!r.ok()) {
    handler_.OnLargeMessageError(endpoint, r.status());
    return;
  }
  if (*r) handler_.OnLargeMessage(endpoint, reassembler_.message_src(), reassembler_.message());
}

}  // namespace tandem::rpmsg
