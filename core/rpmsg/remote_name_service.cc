// The remote's side of the name service: announcing named endpoints (NS
// CREATE) and their removal (NS DESTROY) to kNsAddress, as OpenAMP's
// rpmsg_send_ns_message() and what Linux's rpmsg_ns.c expects to receive.
// Announcements never block: without a free buffer they stay pending and a
// later Poll() sends them (remote_bus.h).
#include <cstring>

#include "tandem/rpmsg/remote_bus.h"

namespace tandem::rpmsg {

void RemoteBus::DoEndpointCreated(Endpoint& endpoint) {
  if (name_service() && state() == State::kRunning && endpoint.name_[0] != '\0') {
    endpoint.announce_pending_ = true;
    ++pending_creates_;
  }
}

void RemoteBus::DoEndpointDestroyed(Endpoint& endpoint) {
  if (endpoint.announce_pending_) {
    --pending_creates_;  // never announced: nothing to take back
    return;
  }
  if (!endpoint.announced_ || state() != State::kRunning) return;
  if (pending_destroy_count_ == kMaxPendingDestroys) {
    ++mutable_stats().ns_announce_dropped;
    return;
  }
  PendingDestroy& d =
      pending_destroys_[(pending_destroy_head_ + pending_destroy_count_) % kMaxPendingDestroys];
  std::memcpy(d.name, endpoint.name_, kNameSize);
  d.addr = endpoint.addr_;
  ++pending_destroy_count_;
}

Endpoint* RemoteBus::NextPendingCreateLocked() {
  Endpoint* found = nullptr;
  table().ForEach([&](std::uint32_t, Endpoint* endpoint) {
    if (found == nullptr && endpoint->announce_pending_) found = endpoint;
  });
  return found;
}

void RemoteBus::DoNameServiceWork() {
  // One announcement per iteration; stops when none is left or no buffer is
  // free (then vring0 kicks stay armed and a later Poll() continues).
  for (;;) {
    Outbox out;
    bool again = false;
    {
      LockGuard guard(lock());
      if (state() == State::kRunning && HasNameServiceWorkLocked()) {
        auto slot = TakeTxLocked(out);
        if (!slot.ok()) {
          if (slot.status().code() == StatusCode::kUnavailable) {
            auto arrived = UpdateTxArmLocked(has_tx_waiters());
            again = arrived.ok() && *arrived;
          }
        } else {
          NsMessage msg;
          std::uint32_t src = kAddrAny;
          Endpoint* endpoint = nullptr;
          if (pending_destroy_count_ > 0) {
            const PendingDestroy& d = pending_destroys_[pending_destroy_head_];
            msg = MakeNsMessage(d.name, d.addr, NsFlags::kDestroy);
            src = d.addr;
          } else {
            endpoint = NextPendingCreateLocked();
            msg = MakeNsMessage(endpoint->name_, endpoint->addr_, NsFlags::kCreate);
            src = endpoint->addr_;
          }
          const RpmsgHeader header = MakeHeader(src, kNsAddress, sizeof(NsMessage));
          if (!buffers().Write(slot->offset, header).ok() ||
              !buffers().Write(slot->offset + kHeaderSize, msg).ok()) {
            DoReturnTx(*slot);  // cannot happen: Start() checked the buffer size
          } else if (SubmitTxLocked(*slot, kHeaderSize + sizeof(NsMessage), out).ok()) {
            ++mutable_stats().ns_announcements;
            if (endpoint != nullptr) {
              endpoint->announce_pending_ = false;
              endpoint->announced_ = true;
              --pending_creates_;
            } else {
              pending_destroy_head_ = (pending_destroy_head_ + 1) % kMaxPendingDestroys;
              --pending_destroy_count_;
            }
            again = true;
          }
          if (!HasNameServiceWorkLocked())
            UpdateTxArmLocked(has_tx_waiters()).status().IgnoreError();
          PrepareKicksLocked(out);
        }
      }
    }
    Flush(out);
    if (!again) break;
  }
}

}  // namespace tandem::rpmsg
