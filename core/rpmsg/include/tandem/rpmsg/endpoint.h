#pragma once
// An RPMsg endpoint: a local address on a bus, an optional name (the remote
// role announces named endpoints through the name service), a default peer
// address, and one way to receive:
//
//  * a callback: a MessageHandler (an interface), or a plain function with a
//    typed context through MessageFunction<Context> - no std::function, no
//    void*;
//  * or a bounded receive queue in caller-provided storage, drained with
//    Bus::Receive()/ReceiveHeld() (blocking with a timeout).
//
// Endpoints are caller-owned and intrusive: the bus stores a pointer to the
// Endpoint in its address table and never copies or allocates it. An
// Endpoint must outlive its registration; its destructor destroys it on the
// bus if the application did not (RAII), which sends the NS DESTROY
// announcement where one is due.
//
// Peer address: an endpoint created with peer == kAddrAny learns its peer
// from the source address of the first message it receives (OpenAMP's
// behaviour, so a remote service can reply to whoever spoke first). A peer
// given at creation is never overwritten.
//
// Threading: see bus.h. Accessors are safe from any thread while the
// endpoint is created (peer() is atomic: Poll() may learn it concurrently).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

#include "tandem/rpmsg/buffers.h"
#include "tandem/rpmsg/receive_queue.h"
#include "tandem/rpmsg/wire.h"

namespace tandem::rpmsg {

class Endpoint;

class MessageHandler {
 public:
  // Runs on the thread that calls Bus::Poll(), with no bus lock held: it may
  // Send (on any endpoint, blocking or not), Hold() the message, and create
  // or destroy endpoints. It must not call Poll() (kFailedPrecondition).
  virtual void OnMessage(Endpoint& endpoint, ReceivedMessage& message) = 0;
  // Flow control (docs/flow_control.md): the peer endpoint `peer` paused
  // (true) or resumed (false) this endpoint's sending to it. Called on a
  // change only, in the same context as OnMessage. Senders blocked by the
  // pause are woken on resume whether or not this is overridden.
  virtual void OnPeerFlow(Endpoint& endpoint, std::uint32_t peer, bool paused) {
    (void)endpoint;
    (void)peer;
    (void)paused;
  }

 protected:
  ~MessageHandler() = default;
};

// Adapts `void Fn(Context&, Endpoint&, ReceivedMessage&)` plus a context the
// caller owns. The adapter itself is caller-owned and must outlive the
// endpoint's use of it.
template <typename Context>
class MessageFunction final : public MessageHandler {
 public:
  using Function = void (*)(Context& context, Endpoint& endpoint, ReceivedMessage& message);
  constexpr MessageFunction(Function function, Context& context)
      : function_(function), context_(context) {}
  void OnMessage(Endpoint& endpoint, ReceivedMessage& message) override {
    function_(context_, endpoint, message);
  }

 private:
  Function function_;
  Context& context_;
};

struct EndpointConfig {
  // Up to kNameSize - 1 characters, copied. nullptr or "" for an unnamed
  // endpoint (never announced).
  const char* name = nullptr;
  // Local address; kAddrAny allocates the lowest free address from
  // kFirstDynamicAddress up (as Linux's idr_alloc in virtio_rpmsg_bus.c).
  std::uint32_t addr = kAddrAny;
  // Default destination for Send(); kAddrAny learns it from the first
  // message received.
  std::uint32_t peer = kAddrAny;
};

class Endpoint {
 public:
  // Flow control: how many peer addresses may pause one endpoint at once
  // (Bus::OutgoingPaused).
  static constexpr std::size_t kMaxPausedPeers = 8;

  Endpoint() = default;
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  bool created() const { return bus_ != nullptr; }
  Bus* bus() const { return bus_; }
  std::uint32_t address() const { return addr_; }
  std::uint32_t peer() const { return peer_.load(std::memory_order_acquire); }
  const char* name() const { return name_; }

 private:
  friend class Bus;
  friend class RemoteBus;  // name-service state below

  Bus* bus_ = nullptr;
  std::uint32_t addr_ = kAddrAny;
  std::atomic<std::uint32_t> peer_{kAddrAny};
  char name_[kNameSize] = {};

  // Receiving: a handler, or a queue of held buffers.
  MessageHandler* handler_ = nullptr;
  ReceiveQueue queue_;

  // Flow control (bus lock): the peer addresses that asked this endpoint to
  // pause sending to them (a service endpoint serves several; a fixed
  // bound, a pause beyond it is refused and counted), and whether we asked
  // our peer to pause sending to us.
  std::uint32_t paused_peers_[kMaxPausedPeers] = {};
  std::uint8_t paused_count_ = 0;
  bool rx_paused_ = false;

  // Remote role name service: CREATE sent / still to send.
  bool announced_ = false;
  bool announce_pending_ = false;
};

}  // namespace tandem::rpmsg
