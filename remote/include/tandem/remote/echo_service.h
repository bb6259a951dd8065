#pragma once
// The smallest useful service: replies to every message with exactly the
// same bytes (0..MTU), to the address it came from. Served by the demo and
// faulty images as "rpmsg-openamp-demo-channel", the name OpenAMP's
// rpmsg_echo demo and the host's echo tests use.
//
//   EchoService echo(node);
//   rpmsg::Endpoint endpoint;
//   node.AddEndpoint(endpoint, EchoService::kName, echo);

#include <cstdint>

#include "tandem/remote/remote_node.h"
#include "tandem/rpmsg/endpoint.h"

namespace tandem::remote {

class EchoService final : public rpmsg::MessageHandler {
 public:
  static constexpr const char* kName = "rpmsg-openamp-demo-channel";

  explicit EchoService(RemoteNode& node) : node_(node) {}

  void OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) override {
    ++received_;
    // A failure (no buffer in time, the link reset, or a payload above our
    // MTU from a host with larger buffers) loses only this reply.
    if (const Status s = node_.Reply(endpoint, message, message.payload()); !s.ok()) {
      ++failed_;
    }
  }

  std::uint32_t received() const { return received_; }
  std::uint32_t failed() const { return failed_; }

 private:
  RemoteNode& node_;
  std::uint32_t received_ = 0;
  std::uint32_t failed_ = 0;
};

// The priority event's echo (docs/doorbell.md): every event from the host
// goes back with the same value. Served by the demo images (node.
// SetEventHandler(&event_echo)); the host measures the doorbell's round
// trip with it (tandem event).
class EventEchoService final : public EventHandler {
 public:
  void OnEvent(RemoteNode& node, std::uint32_t value) override {
    ++received_;
    if (!node.SendEvent(value).ok()) ++failed_;
  }
  std::uint32_t received() const { return received_; }
  std::uint32_t failed() const { return failed_; }

 private:
  std::uint32_t received_ = 0;
  std::uint32_t failed_ = 0;
};

}  // namespace tandem::remote
