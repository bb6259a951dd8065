#pragma once
// Host role: the name service, apart from the transport as Linux's
// drivers/rpmsg/rpmsg_ns.c is apart from virtio_rpmsg_bus.c. It listens on
// kNsAddress, validates each message the remote sends there
// (ParseNsMessage: the peer is untrusted, its name never assumed
// NUL-terminated) and hands CREATE / DESTROY to a listener - the HostBus,
// which turns them into Channels (channel.h), as rpmsg_ns_cb() calls
// rpmsg_create_channel() / rpmsg_release_channel().
//
// Threading: OnMessage() runs on the thread that runs Poll(), with no bus
// lock held; so do the listener's calls.

#include "tandem/base/span.h"
#include "tandem/base/status.h"
#include "tandem/rpmsg/endpoint.h"
#include "tandem/rpmsg/wire.h"

namespace tandem::rpmsg {

class NameServiceListener {
 public:
  // A valid NS CREATE: the remote offers service `ns.name` at `ns.addr`.
  virtual void OnNsCreate(const NsAnnouncement& ns) = 0;
  // A valid NS DESTROY: that service is gone.
  virtual void OnNsDestroy(const NsAnnouncement& ns) = 0;
  // A malformed message, dropped; `why` is one of the kNs* reasons.
  virtual void OnNsMalformed(Status why) = 0;

 protected:
  ~NameServiceListener() = default;
};

class NameService final : public MessageHandler {
 public:
  // Where the name service listens: unnamed (never announced), no fixed peer.
  static constexpr EndpointConfig kEndpointConfig{nullptr, kNsAddress, kAddrAny};

  explicit NameService(NameServiceListener& listener) : listener_(listener) {}

  // The endpoint to create on the bus with kEndpointConfig and this handler.
  Endpoint& endpoint() { return endpoint_; }

  void OnMessage(Endpoint& endpoint, ReceivedMessage& message) override;
  // Validates one message's payload and hands it to the listener. Returns
  // what ParseNsMessage() found (kDataLoss with a kNs* reason if malformed).
  Status Handle(ConstByteSpan payload);

 private:
  NameServiceListener& listener_;
  Endpoint endpoint_;
};

}  // namespace tandem::rpmsg
