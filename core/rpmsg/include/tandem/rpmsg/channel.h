#pragma once
// Host role: a channel is what Linux calls an rpmsg device - a service the
// remote announced through the name service, bound to a local endpoint with
// a dynamic address. "new channel: 0x400 -> 0x401" in Linux's log means
// local address 0x400 talks to remote address 0x401.
//
// Applications register a ChannelHandler for a service name
// (HostBus::RegisterDriver, like an rpmsg driver's id_table). When the remote
// announces that name, the bus allocates a Channel from its fixed pool,
// creates the local endpoint (lowest free address from 0x400, as Linux
// allocates at probe time) and calls OnBound(); set the channel's receiver
// there. NS DESTROY, UnregisterDriver() and HostBus::Reset() (peer reset)
// call OnUnbound(); when it returns, the local endpoint is gone and the
// Channel may be reused for another announcement.
//
// One handler, one channel (issue #10). Linux probes a separate driver
// instance per rpmsg device; a ChannelHandler is one object, so by default
// the bus binds it to at most one channel at a time. A remote that announces
// a name again at another address gets a second Channel, unbound
// (Stats::ns_driver_busy), unless another handler registered for the name is
// free or the handler overrides ServesSeveralChannels() to return true (it
// then gets OnBound once per channel and must keep them apart). A waiting
// channel is bound when a handler for its name becomes free (the bound
// channel was destroyed, or a driver registered). An announcement of a name
// and address that already has a channel is ignored (Stats::ns_duplicate),
// as Linux's "channel %s:%x:%x already exist". Decisions: docs/decisions.md.
//
// Threading: OnBound/OnUnbound run with no bus lock held, on the thread that
// runs Poll() (announcements) or that calls RegisterDriver/UnregisterDriver/
// Reset. Stop using a Channel once OnUnbound() has returned.

#include <atomic>
#include <cstdint>

#include "tandem/rpmsg/bus.h"

namespace tandem::rpmsg {

class Channel;
class HostBus;

class ChannelHandler {
 public:
  virtual void OnBound(Channel& channel) = 0;
  virtual void OnUnbound(Channel& channel) = 0;
  // True if the handler can be bound to several channels at once. Asked once,
  // by RegisterDriver(), without the bus lock.
  virtual bool ServesSeveralChannels() const { return false; }

 protected:
  ~ChannelHandler() = default;
};

class Channel {
 public:
  Channel() = default;
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  const char* name() const { return name_; }
  std::uint32_t local_address() const { return endpoint_.address(); }
  std::uint32_t remote_address() const { return remote_; }
  bool bound() const { return state_ == State::kBound; }
  Endpoint& endpoint() { return endpoint_; }

  // Receivers for the channel's endpoint (see Bus::SetHandler/SetReceiveQueue).
  Status SetHandler(MessageHandler& handler);
  Status SetReceiveQueue(std::span<RxBuffer> queue);

  // From local_address() to remote_address().
  Status Send(ConstByteSpan payload);
  Status Send(ConstByteSpan payload, Timeout timeout);
  Status TrySend(ConstByteSpan payload);

 private:
  friend class HostBus;
  enum class State : std::uint8_t { kFree, kUnbound, kBound, kUnbinding };

  // Written by the HostBus under its lock, read by Send*() without it (an
  // application may send while the channel is being unbound: the bus then
  // refuses the endpoint, kFailedPrecondition).
  std::atomic<Bus*> bus_{nullptr};
  Endpoint endpoint_;
  char name_[kNameSize] = {};
  std::uint32_t remote_ = kAddrAny;
  State state_ = State::kFree;
  ChannelHandler* driver_ = nullptr;
};

}  // namespace tandem::rpmsg
