// The host's channels: services the remote announced, matched with the
// drivers registered for their names and bound to local endpoints (Linux:
// rpmsg_core.c's device/driver matching, and rpmsg_create_channel() /
// rpmsg_release_channel() as the name service calls them).
#include <cstring>

#include "tandem/rpmsg/errors.h"
#include "tandem/rpmsg/host_bus.h"

namespace tandem::rpmsg {

namespace {
bool SameName(const char* a, const char* b) { return std::strncmp(a, b, kNameSize) == 0; }
}  // namespace

// --- Channel ---------------------------------------------------------------------

Status Channel::SetHandler(MessageHandler& handler) {
  Bus* bus = bus_.load(std::memory_order_acquire);
  if (bus == nullptr) return FailedPrecondition(kChannelNotInUse);
  return bus->SetHandler(endpoint_, handler);
}
Status Channel::SetReceiveQueue(std::span<RxBuffer> queue) {
  Bus* bus = bus_.load(std::memory_order_acquire);
  if (bus == nullptr) return FailedPrecondition(kChannelNotInUse);
  return bus->SetReceiveQueue(endpoint_, queue);
}
Status Channel::Send(ConstByteSpan payload) {
  Bus* bus = bus_.load(std::memory_order_acquire);
  if (bus == nullptr) return FailedPrecondition(kChannelNotInUse);
  return bus->Send(endpoint_, payload);
}
Status Channel::Send(ConstByteSpan payload, Timeout timeout) {
  Bus* bus = bus_.load(std::memory_order_acquire);
  if (bus == nullptr) return FailedPrecondition(kChannelNotInUse);
  return bus->Send(endpoint_, payload, timeout);
}
Status Channel::TrySend(ConstByteSpan payload) {
  Bus* bus = bus_.load(std::memory_order_acquire);
  if (bus == nullptr) return FailedPrecondition(kChannelNotInUse);
  return bus->TrySend(endpoint_, payload);
}

// --- Channels of the HostBus ------------------------------------------------------------

std::size_t HostBus::channel_count() const {
  LockGuard guard(lock());
  std::size_t n = 0;
  for (const Channel& c : memory_.channels) n += c.state_ != Channel::State::kFree ? 1 : 0;
  return n;
}

std::size_t HostBus::Channels(std::span<ChannelInfo> out) const {
  LockGuard guard(lock());
  std::size_t n = 0;
  for (const Channel& c : memory_.channels) {
    if (c.state_ == Channel::State::kFree) continue;
    if (n < out.size()) {
      ChannelInfo& info = out[n];
      std::memcpy(info.name, c.name_, kNameSize);
      info.name[kNameSize - 1] = '\0';
      info.bound = c.state_ == Channel::State::kBound;
      info.local = info.bound ? c.endpoint_.address() : kAddrAny;
      info.remote = c.remote_;
    }
    ++n;
  }
  return n;
}

void HostBus::ReleaseAllChannels() {
  // One at a time, calling out without the lock.
  for (;;) {
    Channel* bound = nullptr;
    ChannelHandler* driver = nullptr;
    {
      LockGuard guard(lock());
      for (Channel& c : memory_.channels) {
        if (c.state_ == Channel::State::kUnbound) {
          FreeChannelLocked(c);
        } else if (c.state_ == Channel::State::kBound) {
          c.state_ = Channel::State::kUnbinding;
          bound = &c;
          driver = c.driver_;
          break;
        }
      }
    }
    if (bound == nullptr) break;
    Unbind(*bound, *driver, true);
  }
}

void HostBus::OnNsMalformed(Status) {
  LockGuard guard(lock());
  ++mutable_stats().ns_malformed;
}

Channel* HostBus::FindChannelLocked(const char* name, std::uint32_t remote) {
  for (Channel& c : memory_.channels) {
    if (c.state_ != Channel::State::kFree && c.remote_ == remote && SameName(c.name_, name)) {
      return &c;
    }
  }
  return nullptr;
}

Status HostBus::BindLocked(Channel& channel, ChannelHandler& driver) {
  // The local address is allocated at bind time, as Linux's rpmsg_dev_probe()
  // creates the endpoint when a driver matches.
  const EndpointConfig config{channel.name_, kAddrAny, channel.remote_};
  TANDEM_TRY(CreateEndpointLocked(channel.endpoint_, config));
  channel.state_ = Channel::State::kBound;
  channel.driver_ = &driver;
  return OkStatus();
}

void HostBus::FreeChannelLocked(Channel& channel) {
  channel.state_ = Channel::State::kFree;
  channel.bus_.store(nullptr, std::memory_order_release);
  channel.driver_ = nullptr;
  channel.remote_ = kAddrAny;
  std::memset(channel.name_, 0, sizeof(channel.name_));
}

void HostBus::Unbind(Channel& channel, ChannelHandler& driver, bool free_channel) {
  driver.OnUnbound(channel);  // no lock held
  Outbox out;
  {
    LockGuard guard(lock());
    DestroyEndpointLocked(channel.endpoint_, out);
    if (free_channel) {
      FreeChannelLocked(channel);
    } else {
      channel.state_ = Channel::State::kUnbound;
      channel.driver_ = nullptr;
    }
    PrepareKicksLocked(out);
  }
  Flush(out);
}

void HostBus::OnNsCreate(const NsAnnouncement& ns) {
  Channel* channel = nullptr;
  ChannelHandler* driver = nullptr;
  {
    LockGuard guard(lock());
    // Linux: "channel %s:%x:%x already exist". Ignored: the channel and its
    // binding stay exactly as they are.
    if (FindChannelLocked(ns.name, ns.addr) != nullptr) {
      ++mutable_stats().ns_rejected;
      ++mutable_stats().ns_duplicate;
      return;
    }
    for (Channel& c : memory_.channels) {
      if (c.state_ == Channel::State::kFree) {
        channel = &c;
        break;
      }
    }
    if (channel == nullptr) {
      ++mutable_stats().ns_rejected;
      return;
    }
    channel->bus_.store(this, std::memory_order_release);
    std::memcpy(channel->name_, ns.name, kNameSize);
    channel->remote_ = ns.addr;
    channel->state_ = Channel::State::kUnbound;
    // Only a handler that is free (or serves several channels): binding one
    // handler to a second channel handed the first channel's receive queue
    // to the second and redirected its traffic (issue #10).
    driver = FreeDriverLocked(ns.name);
    if (driver == nullptr && drivers_.Find(ns.name) != nullptr) {
      ++mutable_stats().ns_driver_busy;  // waits, unbound, for a free handler
    }
    if (driver != nullptr && !BindLocked(*channel, *driver).ok()) {
      ++mutable_stats().ns_rejected;  // no room for its endpoint; stays unbound
      driver = nullptr;
    }
  }
  if (driver != nullptr) driver->OnBound(*channel);
}

void HostBus::OnNsDestroy(const NsAnnouncement& ns) {
  Channel* channel = nullptr;
  ChannelHandler* driver = nullptr;
  {
    LockGuard guard(lock());
    channel = FindChannelLocked(ns.name, ns.addr);
    if (channel == nullptr) {
      ++mutable_stats().ns_rejected;
      return;
    }
    if (channel->state_ == Channel::State::kUnbound) {
      FreeChannelLocked(*channel);
      return;
    }
    if (channel->state_ != Channel::State::kBound) return;  // already going away
    channel->state_ = Channel::State::kUnbinding;
    driver = channel->driver_;
  }
  Unbind(*channel, *driver, true);
  BindWaitingChannels();  // the handler is free for a channel of its name
}

Status HostBus::RegisterDriver(const char* name, ChannelHandler& handler) {
  const bool several = handler.ServesSeveralChannels();  // asked without the lock
  {
    LockGuard guard(lock());
    TANDEM_TRY(drivers_.Add(name, handler, several));
  }
  // Bind channels announced before the driver came (Linux matches devices
  // already on the bus when a driver registers).
  BindWaitingChannels();
  return OkStatus();
}

bool HostBus::HandlerBusyLocked(const ChannelHandler& handler) const {
  for (const Channel& c : memory_.channels) {
    if (c.driver_ == &handler &&
        (c.state_ == Channel::State::kBound || c.state_ == Channel::State::kUnbinding)) {
      return true;
    }
  }
  return false;
}

ChannelHandler* HostBus::FreeDriverLocked(const char* name) const {
  return drivers_.FindUsable(name, [&](const ChannelHandler& handler, bool several) {
    return several || !HandlerBusyLocked(handler);
  });
}

void HostBus::BindWaitingChannels() {
  // One at a time, calling out without the lock.
  for (;;) {
    Channel* bound = nullptr;
    ChannelHandler* driver = nullptr;
    {
      LockGuard guard(lock());
      for (Channel& c : memory_.channels) {
        if (c.state_ != Channel::State::kUnbound) continue;
        driver = FreeDriverLocked(c.name_);
        if (driver == nullptr) continue;
        if (BindLocked(c, *driver).ok()) bound = &c;
        break;
      }
    }
    if (bound == nullptr) break;
    driver->OnBound(*bound);
  }
}

void HostBus::UnregisterDriver(ChannelHandler& handler) {
  {
    LockGuard guard(lock());
    drivers_.Remove(handler);
  }
  for (;;) {
    Channel* bound = nullptr;
    {
      LockGuard guard(lock());
      for (Channel& c : memory_.channels) {
        if (c.state_ == Channel::State::kBound && c.driver_ == &handler) {
          c.state_ = Channel::State::kUnbinding;
          bound = &c;
          break;
        }
      }
    }
    if (bound == nullptr) break;
    Unbind(*bound, handler, false);
  }
  BindWaitingChannels();  // another handler of the name may take them
}

}  // namespace tandem::rpmsg
