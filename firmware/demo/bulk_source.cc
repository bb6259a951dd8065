#include "bulk_source.h"

#include "tandem/rpmsg/bus.h"

namespace tandem::remote::demo {

namespace {
constexpr rpmsg::Timeout kSendTimeout = rpmsg::Timeout::Milliseconds(500);
}  // namespace

Status BulkSourceService::SendBulk(ConstByteSpan message) {
  if (endpoint_ == nullptr) return FailedPrecondition("no requester yet");
  return node_.bus().SendTo(*endpoint_, requester_, message, kSendTimeout);
}

void BulkSourceService::OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) {
  const ConstByteSpan payload = message.payload();
  if (bulk::IsBulkMessage(payload)) {
    // Releases of our blocks (anything else is refused and counted).
    bulk::RxBlock none;
    if (const Status s = pool_.Receive(payload, none); !s.ok()) {
      node_.Log("bulk: host message refused: %s", s.message());
    }
    return;
  }
  bulk::StreamRequest request;
  if (!bulk::ReadStreamMessage(payload, bulk::kStreamRequestType, &request)) {
    node_.Log("bulk: unknown message of %u bytes", static_cast<unsigned>(payload.size()));
    return;
  }
  endpoint_ = &endpoint;
  requester_ = message.src();
  streaming_ = false;
  remaining_ = 0;
  sent_ = 0;
  if (memory_.size() == 0) {
    Done(bulk::StreamError::kNoPool);
    return;
  }
  // The host holds nothing of ours any more: every block comes back.
  pool_.Reset();
  if (request.count.get() == 0 || !pool_.Configure({memory_, request.block_size.get()}).ok()) {
    Done(bulk::StreamError::kBadRequest);
    return;
  }
  seed_ = request.seed.get();
  remaining_ = request.count.get();
  streaming_ = true;
}

void BulkSourceService::OnLoop(RemoteNode& node) {
  if (!streaming_) return;
  if (node.link_state() != RemoteNode::LinkState::kRunning) {
    // The host went away: nothing of ours is lent any more.
    streaming_ = false;
    pool_.Reset();
    return;
  }
  while (remaining_ > 0) {
    Result<bulk::TxBlock> block = pool_.Allocate();
    if (!block.ok()) return;  // all with the host: wait for releases
    bulk::FillPattern(block->data(), sent_, seed_);
    if (const Status s = block->Send(pool_.block_size(), sent_); !s.ok()) {
      node.Log("bulk: hand-over %u failed: %s", static_cast<unsigned>(sent_), s.message());
      Done(bulk::StreamError::kSendFailed);
      return;
    }
    ++sent_;
    --remaining_;
    if ((sent_ & 63u) == 0) node.bsp().watchdog_pet(node.bsp().ctx);
  }
  Done(bulk::StreamError::kNone);
}

void BulkSourceService::Done(bulk::StreamError error) {
  streaming_ = false;
  remaining_ = 0;
  bulk::StreamDone done;
  done.type.set(bulk::kStreamDoneType);
  done.sent.set(sent_);
  done.error.set(static_cast<std::uint32_t>(error));
  if (endpoint_ == nullptr) return;
  if (const Status s = node_.bus().SendTo(
          *endpoint_, requester_,
          ConstByteSpan(reinterpret_cast<const std::byte*>(&done), sizeof(done)), kSendTimeout);
      !s.ok()) {
    node_.Log("bulk: end of stream not sent: %s", s.message());
  }
}

}  // namespace tandem::remote::demo
