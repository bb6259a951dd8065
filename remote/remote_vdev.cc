#include "tandem/remote/remote_vdev.h"

#include <cstdint>

#include "tandem/remote/print.h"
#include "tandem/remote/remote_node.h"

namespace tandem::remote {

RemoteVdev::RemoteVdev(RemoteNode& node) : RemoteVdev(node, 0) { added_ = false; }

RemoteVdev::RemoteVdev(RemoteNode& node, std::uint32_t index)
    : node_(node),
      index_(index),
      added_(true),
      bus_(rpmsg::BusPlatform{node.mailbox_, node.lock_, node.mailbox_}, storage_.memory()) {}

Status RemoteVdev::AddEndpoint(rpmsg::Endpoint& endpoint, const char* name,
                               rpmsg::MessageHandler& handler) {
  if (node_.running_) return FailedPrecondition("endpoints are added before Run()");
  if (name == nullptr || name[0] == '\0') return InvalidArgument("an endpoint needs a name");
  std::size_t length = 0;
  while (name[length] != '\0' && length < rpmsg::kNameSize) ++length;
  if (length >= rpmsg::kNameSize) return InvalidArgument("endpoint name too long");
  for (std::size_t i = 0; i < service_count_; ++i) {
    if (services_[i].endpoint == &endpoint) return AlreadyExists("endpoint added twice");
  }
  if (service_count_ == kMaxEndpoints)
    return ResourceExhausted("more than kMaxEndpoints endpoints");
  services_[service_count_++] = Service{&endpoint, name, &handler};
  return OkStatus();
}

Status RemoteVdev::Reply(rpmsg::Endpoint& endpoint, const rpmsg::ReceivedMessage& message,
                         ConstByteSpan payload) {
  return bus_.SendTo(endpoint, message.src(), payload, node_.config_.reply_timeout);
}

std::uint32_t RemoteVdev::buffer_size() const {
  const vdev::VdevLink* running = link();
  return running != nullptr ? running->bus.buffer_size : node_.config_.buffer_size;
}

Status RemoteVdev::Open() {
  if (index_ != 0) Format(tag_, sizeof(tag_), "vdev%u: ", static_cast<unsigned>(index_));
  vdev::RemoteLinkConfig config;
  config.table.table = node_.config_.resource_table;
  config.table.device_memory = node_.config_.device_memory;
  config.table.image = node_.config_.image;
  config.table.max_vring_num = kMaxVringNum;
  config.table.buffer_size = node_.config_.buffer_size;
  config.table.vdev_index = index_;
  config.send_timeout = node_.config_.reply_timeout;
  // A failed link is reported: DEVICE_NEEDS_RESET, then kLinkBroken.
  config.mailbox = &node_.mailbox_;
  auto opened = vdev::RemoteLink::Open(config, bus_, *this);
  if (!opened.ok()) return opened.status();
  link_.emplace(std::move(opened).value());
  return OkStatus();
}

bool RemoteVdev::Poll() {
  ++counters_.polls;
  // Other errors were handled by the link (OnLinkDown, OnLinkFailed).
  return link_->Poll().code() == StatusCode::kUnavailable;
}

void RemoteVdev::CreateEndpoints() {
  // One at a time on the running bus: each is announced as it is created
  // (if a buffer is free; else from a later Poll()), in the order added.
  for (std::size_t i = 0; i < service_count_; ++i) {
    const Service& service = services_[i];
    rpmsg::EndpointConfig config;
    config.name = service.name;
    if (const Status s = bus_.CreateEndpoint(*service.endpoint, config, *service.handler);
        !s.ok()) {
      node_.Log("%s: %sendpoint %s not created: %s", node_.config_.name, tag_, service.name,
                s.message());
    }
  }
}

void RemoteVdev::DestroyEndpoints() {
  // The bus is stopped: nothing is announced. Freed addresses are reused
  // in the same order by CreateEndpoints().
  for (std::size_t i = 0; i < service_count_; ++i) bus_.DestroyEndpoint(*services_[i].endpoint);
}

void RemoteVdev::OnLinkUp(const vdev::VdevLink& link) {
  ++counters_.link_starts;
  ++node_.counters_.link_starts;
  node_.poll_again_ = true;  // messages may already wait; announcements may wait for buffers
  node_.Log(
      "%s: %srpmsg link up: vring0 0x%llx vring1 0x%llx (num %u, notifyids %u/%u), buffers "
      "0x%llx, features 0x%08x",
      node_.config_.name, tag_,
      static_cast<unsigned long long>(link.bus.vring0.ring.device_address()),
      static_cast<unsigned long long>(link.bus.vring1.ring.device_address()),
      static_cast<unsigned>(link.bus.vring0.num), static_cast<unsigned>(link.bus.vring0.notifyid),
      static_cast<unsigned>(link.bus.vring1.notifyid),
      static_cast<unsigned long long>(link.bus.buffers.device_address()),
      static_cast<unsigned>(link.gfeatures));
  CreateEndpoints();
}

void RemoteVdev::OnLinkDown(vdev::LinkDownCause cause) {
  if (cause == vdev::LinkDownCause::kDriverReset) {
    ++counters_.driver_resets;
    ++node_.counters_.vdev_resets;
    node_.Log("%s: %shost reset the vdev (status 0x%02x)", node_.config_.name, tag_,
              static_cast<unsigned>(link_->observed_status()));
  }
  DestroyEndpoints();
}

void RemoteVdev::OnLinkFailed(vdev::LinkFailure failure, const Status& error) {
  ++counters_.link_failures;
  ++node_.counters_.link_failures;
  node_.Log(failure == vdev::LinkFailure::kBroken
                ? "%s: %srpmsg link broken: %s (reported: DEVICE_NEEDS_RESET, kLinkBroken)"
                : "%s: %srpmsg link setup failed: %s (reported: DEVICE_NEEDS_RESET, kLinkBroken)",
            node_.config_.name, tag_, error.message());
  if (error.Is(vdev::kHostIgnoredBufferSize)) {
    node_.Log("%s: %sthis firmware is built for %u-byte RPMsg buffers", node_.config_.name, tag_,
              static_cast<unsigned>(node_.config_.buffer_size));
  }
}

}  // namespace tandem::remote
