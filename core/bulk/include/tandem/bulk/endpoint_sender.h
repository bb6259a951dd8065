#pragma once
// A bulk::Sender over an RPMsg endpoint: the pool's messages go to the
// endpoint's default destination (learned from the peer's first message, or
// set at creation), each send bounded by `timeout`.

#include "tandem/bulk/pool.h"
#include "tandem/rpmsg/bus.h"
#include "tandem/rpmsg/endpoint.h"
#include "tandem/rpmsg/timeout.h"

namespace tandem::bulk {

class EndpointSender final : public Sender {
 public:
  EndpointSender(rpmsg::Bus& bus, rpmsg::Endpoint& endpoint, rpmsg::Timeout timeout)
      : bus_(bus), endpoint_(endpoint), timeout_(timeout) {}
  Status SendBulk(ConstByteSpan message) override {
    return bus_.Send(endpoint_, message, timeout_);
  }

 private:
  rpmsg::Bus& bus_;
  rpmsg::Endpoint& endpoint_;
  rpmsg::Timeout timeout_;
};

}  // namespace tandem::bulk
