#pragma once
// Small helpers shared by the rpmsg tests: payload patterns, recording
// receivers and drivers, an echo service, and the invariants every test
// checks at the end (buffers conserved, no call-outs under the lock).

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <utility>
#include <vector>

#include "tandem/testing/bus_pair.h"

namespace tandem::rpmsg::testing {

inline std::vector<std::uint8_t> Pattern(std::size_t n, std::uint8_t seed) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed + i * 31 + (i >> 8));
  return v;
}
inline ConstByteSpan AsSpan(const std::vector<std::uint8_t>& v) {
  return std::as_bytes(std::span(v));
}
inline std::vector<std::uint8_t> ToVector(ConstByteSpan s) {
  std::vector<std::uint8_t> v(s.size());
  if (!s.empty()) std::memcpy(v.data(), s.data(), s.size());
  return v;
}

struct Message {
  std::uint32_t src;
  std::uint32_t dst;
  std::vector<std::uint8_t> payload;
};

// Records messages; optionally holds every buffer (zero-copy rx).
class Collector final : public MessageHandler {
 public:
  void OnMessage(Endpoint& endpoint, ReceivedMessage& message) override {
    messages.push_back({message.src(), message.dst(), ToVector(message.payload())});
    last_endpoint = &endpoint;
    if (hold) held.push_back(message.Hold());
    if (then) then(endpoint, message);
  }
  std::vector<Message> messages;
  std::vector<RxBuffer> held;
  Endpoint* last_endpoint = nullptr;
  bool hold = false;
  std::function<void(Endpoint&, ReceivedMessage&)> then;
};

// Replies to every message with the same payload, from the callback.
class EchoService final : public MessageHandler {
 public:
  explicit EchoService(Bus& bus) : bus_(bus) {}
  void OnMessage(Endpoint& endpoint, ReceivedMessage& message) override {
    last_status = bus_.TrySend(endpoint, message.payload());
    ++count;
  }
  Status last_status;
  int count = 0;

 private:
  Bus& bus_;
};

// A host "driver" (like an rpmsg driver matched by name): records channel
// events and the messages of its channels.
class RecordingDriver final : public ChannelHandler {
 public:
  void OnBound(Channel& channel) override {
    bound.push_back(&channel);
    bound_addresses.push_back({channel.local_address(), channel.remote_address()});
    EXPECT_TRUE(channel.SetHandler(collector).ok());
  }
  void OnUnbound(Channel& channel) override { unbound.push_back(&channel); }

  std::vector<Channel*> bound;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> bound_addresses;  // local, remote
  std::vector<Channel*> unbound;
  Collector collector;
};

// A host driver shaped like host::ChannelPort: one receive queue in its own
// storage, handed to every channel it is bound to (OnBound). Binding it to
// two channels at once is what deadlocked the host (issue #10).
class QueueDriver final : public ChannelHandler {
 public:
  explicit QueueDriver(std::size_t capacity = 8, bool several = false)
      : queue(capacity), several_(several) {}
  void OnBound(Channel& channel) override {
    bound.push_back(&channel);
    set_queue.push_back(channel.SetReceiveQueue(queue));
  }
  void OnUnbound(Channel& channel) override { unbound.push_back(&channel); }
  bool ServesSeveralChannels() const override { return several_; }

  std::vector<RxBuffer> queue;
  std::vector<Channel*> bound;
  std::vector<Status> set_queue;
  std::vector<Channel*> unbound;

 private:
  bool several_;
};

inline void ExpectHostBuffersConserved(Bus& host) {
  const Stats s = host.stats();
  EXPECT_EQ(s.tx_free + s.tx_held + s.tx_in_flight, s.buffers_per_direction);
  EXPECT_EQ(s.rx_posted + s.rx_held, s.buffers_per_direction);
}

inline void ExpectNoCallOutsUnderLock(BusPair& pair) {
  EXPECT_EQ(pair.host_lock().reentries(), 0);
  EXPECT_EQ(pair.remote_lock().reentries(), 0);
  EXPECT_EQ(pair.host_notifier().notified_under_lock, 0);
  EXPECT_EQ(pair.remote_notifier().notified_under_lock, 0);
  EXPECT_EQ(pair.host_waiter().waited_under_lock + pair.host_waiter().woken_under_lock, 0);
  EXPECT_EQ(pair.remote_waiter().waited_under_lock + pair.remote_waiter().woken_under_lock, 0);
}

// A pair with a remote "echo" service announced and bound to a host driver.
class EchoLink {
 public:
  explicit EchoLink(PairOptions options = {}) : pair(WithoutStart(options)), echo(pair.remote()) {
    EXPECT_TRUE(pair.host().RegisterDriver("echo", driver).ok());
    EXPECT_TRUE(pair.remote().CreateEndpoint(echo_endpoint, {"echo"}, echo).ok());
    EXPECT_TRUE(pair.StartHost().ok());
    EXPECT_TRUE(pair.StartRemote().ok());
    pair.Pump();
    EXPECT_EQ(driver.bound.size(), 1u);
    channel = driver.bound.empty() ? nullptr : driver.bound.front();
  }
  ~EchoLink() {
    ExpectNoCallOutsUnderLock(pair);
    driver.collector.held.clear();
  }

  BusPair pair;
  RecordingDriver driver;
  EchoService echo;
  Endpoint echo_endpoint;
  Channel* channel = nullptr;

 private:
  static PairOptions WithoutStart(PairOptions o) {
    o.start = false;
    return o;
  }
};

}  // namespace tandem::rpmsg::testing
