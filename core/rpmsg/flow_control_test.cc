// Endpoint flow control (docs/flow_control.md): the wire message, the
// negotiation, pausing and resuming a sender on both roles, and a hostile
// peer's flow messages. Single-threaded over BusPair; the blocking cases use
// FakeWaiter's on_wait hook to let the other side act while one waits.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "tandem/rpmsg/errors.h"
#include "tandem/testing/rpmsg_helpers.h"

namespace tandem::rpmsg {
namespace {

using testing::BusPair;
using testing::Collector;
using testing::PairOptions;

ConstByteSpan AsSpan(const char* text) {
  return ConstByteSpan(reinterpret_cast<const std::byte*>(text), std::strlen(text));
}

std::vector<std::uint8_t> ToVector(const char* text) {
  return std::vector<std::uint8_t>(text, text + std::strlen(text));
}

PairOptions WithFlowControl() {
  PairOptions o;
  o.flow_control = true;
  return o;
}

// Records OnPeerFlow calls next to the messages.
class FlowRecorder final : public MessageHandler {
 public:
  void OnMessage(Endpoint&, ReceivedMessage& message) override {
    messages.push_back(testing::ToVector(message.payload()));
  }
  void OnPeerFlow(Endpoint&, std::uint32_t peer, bool paused) override {
    changes.push_back({peer, paused});
  }
  struct Change {
    std::uint32_t peer;
    bool paused;
  };
  std::vector<std::vector<std::uint8_t>> messages;
  std::vector<Change> changes;
};

// A remote service endpoint and a host endpoint talking to it; the remote
// has learned the host endpoint as its peer.
struct Linked {
  explicit Linked(PairOptions options = WithFlowControl()) : pair(options) {
    EXPECT_TRUE(pair.remote().CreateEndpoint(service, {"svc"}, service_rx).ok());
    EXPECT_TRUE(
        pair.host().CreateEndpoint(client, {nullptr, 0x1000, service.address()}, client_rx).ok());
    EXPECT_TRUE(pair.host().Send(client, AsSpan("hello")).ok());
    pair.Pump();
  }
  BusPair pair;
  Endpoint service;
  Endpoint client;
  FlowRecorder service_rx;
  FlowRecorder client_rx;
};

std::vector<std::uint8_t> FlowBytes(std::uint32_t src, std::uint32_t dst, std::uint32_t flags) {
  FlowMessage m;
  m.src.set(src);
  m.dst.set(dst);
  m.flags.set(flags);
  std::vector<std::uint8_t> v(sizeof(m));
  std::memcpy(v.data(), &m, sizeof(m));
  return v;
}

ConstByteSpan Bytes(const std::vector<std::uint8_t>& v) {
  return ConstByteSpan(reinterpret_cast<const std::byte*>(v.data()), v.size());
}

TEST(FlowWire, MessageIsStsRpmsgEptMsgByteForByte) {
  // struct rpmsg_ept_msg { __rpmsg32 src; __rpmsg32 dst; __rpmsg32 flags; }
  const FlowMessage m = MakeFlowMessage(0x1000, 0x401, /*paused=*/false);
  std::uint8_t bytes[12];
  std::memcpy(bytes, &m, sizeof(bytes));
  const std::uint8_t expected[12] = {0x00, 0x10, 0, 0, 0x01, 0x04, 0, 0, 0x01, 0, 0, 0};
  EXPECT_EQ(0, std::memcmp(bytes, expected, sizeof(bytes)));
  EXPECT_EQ(MakeFlowMessage(1, 2, true).flags.get(), 0u);  // pause = RPMSG_EPT_FC_ON clear
  EXPECT_EQ(kFlowControlAddress, 54u);
}

TEST(FlowWire, ParserRefusesEveryBadField) {
  auto ok = ParseFlowMessage(Bytes(FlowBytes(0x1000, 0x401, 0)));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->src, 0x1000u);
  EXPECT_EQ(ok->dst, 0x401u);
  EXPECT_TRUE(ok->paused);
  EXPECT_FALSE(ParseFlowMessage(Bytes(FlowBytes(1, 2, kFlowOn)))->paused);

  std::vector<std::uint8_t> longer = FlowBytes(1, 2, 0);
  longer.push_back(0);
  EXPECT_TRUE(ParseFlowMessage(Bytes(longer)).status().Is(kFlowWrongSize));
  longer.resize(11);
  EXPECT_TRUE(ParseFlowMessage(Bytes(longer)).status().Is(kFlowWrongSize));
  EXPECT_TRUE(ParseFlowMessage({}).status().Is(kFlowWrongSize));
  EXPECT_TRUE(ParseFlowMessage(Bytes(FlowBytes(kAddrAny, 2, 0))).status().Is(kFlowAddressAny));
  EXPECT_TRUE(ParseFlowMessage(Bytes(FlowBytes(1, kAddrAny, 0))).status().Is(kFlowAddressAny));
  EXPECT_TRUE(ParseFlowMessage(Bytes(FlowBytes(1, 2, 2))).status().Is(kFlowFlagsUnknown));
  EXPECT_TRUE(ParseFlowMessage(Bytes(FlowBytes(1, 2, 0x80000001u))).status().Is(kFlowFlagsUnknown));
}

// Without the feature (a Linux or OpenAMP peer), every call says so and
// nothing reaches the ring; 54 stays an ordinary address.
TEST(FlowControl, NotNegotiatedIsUnimplementedAndSendsNothing) {
  PairOptions o;
  Linked l(o);
  const std::uint64_t sent = l.pair.host().stats().tx_messages;
  EXPECT_FALSE(l.pair.host().flow_control());
  Status s = l.pair.host().SetIncomingFlow(l.client, true);
  EXPECT_EQ(s.code(), StatusCode::kUnimplemented);
  EXPECT_TRUE(s.Is(kFlowControlNotNegotiated));
  EXPECT_EQ(l.pair.host().stats().tx_messages, sent);
  EXPECT_EQ(l.pair.host().OutgoingPaused(l.client).status().code(), StatusCode::kUnimplemented);
  EXPECT_EQ(l.pair.remote().IncomingPaused(l.service).status().code(), StatusCode::kUnimplemented);
  // A message to 54 from the peer is just a message to nobody.
  ASSERT_TRUE(l.pair.remote()
                  .SendOffChannel(l.service, l.service.address(), kFlowControlAddress,
                                  Bytes(FlowBytes(l.service.address(), 0x1000, 0)), Timeout::None())
                  .ok());
  l.pair.Pump();
  EXPECT_EQ(l.pair.host().stats().rx_no_endpoint, 1u);
  EXPECT_EQ(l.pair.host().stats().flow_received, 0u);
  EXPECT_TRUE(l.pair.host().TrySend(l.client, AsSpan("still")).ok());
}

TEST(FlowControl, HostPausesRemoteSenderNothingIsLostAndResumeWakes) {
  Linked l;
  ASSERT_TRUE(l.pair.host().flow_control());
  ASSERT_TRUE(l.pair.remote().flow_control());
  EXPECT_FALSE(*l.pair.remote().OutgoingPaused(l.service));

  ASSERT_TRUE(l.pair.host().SetIncomingFlow(l.client, true).ok());
  EXPECT_TRUE(*l.pair.host().IncomingPaused(l.client));
  l.pair.Pump();
  EXPECT_EQ(l.pair.host().stats().flow_sent, 1u);
  EXPECT_EQ(l.pair.remote().stats().flow_received, 1u);
  EXPECT_TRUE(*l.pair.remote().OutgoingPaused(l.service));
  EXPECT_TRUE(*l.pair.remote().OutgoingPaused(l.service, 0x1000));
  ASSERT_EQ(l.service_rx.changes.size(), 1u);
  EXPECT_EQ(l.service_rx.changes[0].peer, 0x1000u);
  EXPECT_TRUE(l.service_rx.changes[0].paused);

  // Non-blocking: kUnavailable, the message stays with the sender.
  Status s = l.pair.remote().TrySend(l.service, AsSpan("one"));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(s.Is(kPeerPaused));
  EXPECT_EQ(l.pair.remote().AcquireTx(l.service, Timeout::None()).status().code(),
            StatusCode::kUnavailable);
  // Blocking: waits its timeout, then kDeadlineExceeded.
  s = l.pair.remote().Send(l.service, AsSpan("two"), Timeout::Milliseconds(5));
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(s.Is(kPeerPausedTimeout));
  // Other destinations of the endpoint are not paused.
  EXPECT_TRUE(l.pair.remote().TrySendTo(l.service, 0x1001, AsSpan("other")).ok());
  l.pair.Pump();
  EXPECT_TRUE(l.client_rx.messages.empty());

  // A blocked send is woken by the resume and sends.
  l.pair.remote_waiter().on_wait = [&] {
    l.pair.remote_waiter().on_wait = nullptr;
    ASSERT_TRUE(l.pair.host().SetIncomingFlow(l.client, false).ok());
    // The remote's own Poll() delivers the resume (the event thread).
    EXPECT_TRUE(l.pair.remote().Poll().ok());
  };
  EXPECT_TRUE(l.pair.remote().Send(l.service, AsSpan("three"), Timeout::Milliseconds(5)).ok());
  l.pair.Pump();
  ASSERT_EQ(l.client_rx.messages.size(), 1u);
  EXPECT_EQ(l.client_rx.messages[0], ToVector("three"));
  EXPECT_FALSE(*l.pair.remote().OutgoingPaused(l.service));
  EXPECT_FALSE(*l.pair.host().IncomingPaused(l.client));
  ASSERT_EQ(l.service_rx.changes.size(), 2u);
  EXPECT_FALSE(l.service_rx.changes[1].paused);
}

TEST(FlowControl, RemotePausesHostSender) {
  Linked l;
  ASSERT_TRUE(l.pair.remote().SetIncomingFlow(l.service, true).ok());
  l.pair.Pump();
  EXPECT_TRUE(*l.pair.host().OutgoingPaused(l.client));
  ASSERT_EQ(l.client_rx.changes.size(), 1u);
  EXPECT_EQ(l.client_rx.changes[0].peer, l.service.address());
  EXPECT_TRUE(l.pair.host().TrySend(l.client, AsSpan("x")).Is(kPeerPaused));
  ASSERT_TRUE(l.pair.remote().SetIncomingFlow(l.service, false).ok());
  l.pair.Pump();
  EXPECT_TRUE(l.pair.host().TrySend(l.client, AsSpan("x")).ok());
}

TEST(FlowControl, RepeatedRequestsChangeNothingAndCallOnce) {
  Linked l;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(l.pair.host().SetIncomingFlow(l.client, true).ok());
  l.pair.Pump();
  EXPECT_EQ(l.pair.remote().stats().flow_received, 5u);
  EXPECT_EQ(l.service_rx.changes.size(), 1u);
}

TEST(FlowControl, NeedsAPeerAddressAndACreatedEndpoint) {
  BusPair pair(WithFlowControl());
  Endpoint lonely;
  Collector rx;
  ASSERT_TRUE(pair.host().CreateEndpoint(lonely, {nullptr, 0x1000}, rx).ok());
  EXPECT_TRUE(pair.host().SetIncomingFlow(lonely, true).Is(kNoPeerAddress));
  Endpoint never;
  EXPECT_TRUE(pair.host().SetIncomingFlow(never, true).Is(kEndpointNotOnBus));
  EXPECT_TRUE(pair.host().OutgoingPaused(never).status().Is(kEndpointNotOnBus));
}

TEST(FlowControl, ANewLinkStartsResumed) {
  Linked l;
  ASSERT_TRUE(l.pair.host().SetIncomingFlow(l.client, true).ok());
  l.pair.Pump();
  ASSERT_TRUE(*l.pair.remote().OutgoingPaused(l.service));
  l.pair.host().Reset().IgnoreError();
  l.pair.remote().Reset().IgnoreError();
  ASSERT_TRUE(l.pair.StartHost().ok());
  ASSERT_TRUE(l.pair.StartRemote().ok());
  EXPECT_FALSE(*l.pair.remote().OutgoingPaused(l.service));
  EXPECT_FALSE(*l.pair.host().IncomingPaused(l.client));
}

// --- The peer is hostile ----------------------------------------------------
// The remote's SendOffChannel() writes any header source and payload to 54:
// what a broken or malicious remote could put in the ring.

struct Attack : Linked {
  void Send(std::uint32_t header_src, const std::vector<std::uint8_t>& payload) {
    ASSERT_TRUE(pair.remote()
                    .SendOffChannel(service, header_src, kFlowControlAddress, Bytes(payload),
                                    Timeout::None())
                    .ok());
    pair.Pump();
  }
  std::uint32_t svc() const { return service.address(); }
};

TEST(FlowControlHostile, BadLengthFlagsAndAddressesAreCountedAndIgnored) {
  Attack a;
  std::vector<std::uint8_t> shorter = FlowBytes(a.svc(), 0x1000, 0);
  shorter.pop_back();
  a.Send(a.svc(), shorter);
  std::vector<std::uint8_t> longer = FlowBytes(a.svc(), 0x1000, 0);
  longer.resize(64, 0xAA);
  a.Send(a.svc(), longer);
  a.Send(a.svc(), {});
  a.Send(a.svc(), FlowBytes(a.svc(), 0x1000, 0xFFFFFFFEu));  // unknown flags
  a.Send(a.svc(), FlowBytes(kAddrAny, 0x1000, 0));
  a.Send(a.svc(), FlowBytes(a.svc(), kAddrAny, 0));
  a.Send(0x999, FlowBytes(a.svc(), 0x1000, 0));  // speaks for another endpoint
  EXPECT_EQ(a.pair.host().stats().flow_malformed, 7u);
  a.Send(a.svc(), FlowBytes(a.svc(), 0x7777, 0));  // no such endpoint of ours
  EXPECT_EQ(a.pair.host().stats().flow_unknown, 1u);
  EXPECT_EQ(a.pair.host().stats().flow_received, 0u);
  EXPECT_FALSE(*a.pair.host().OutgoingPaused(a.client));
  EXPECT_TRUE(a.client_rx.changes.empty());
  EXPECT_TRUE(a.pair.host().status().ok());  // a bad flow message never breaks the link
  EXPECT_EQ(a.pair.host().stats().rx_held, 0u);
  EXPECT_TRUE(a.pair.host().TrySend(a.client, AsSpan("fine")).ok());
}

// A flow message "from" the bus's own service addresses (name service 53,
// flow control 54) is refused: a pause in their name would hold back our
// announcements and our own flow messages.
TEST(FlowControlHostile, ThePeerCannotPauseTheBusServiceAddresses) {
  Attack a;
  a.Send(kFlowControlAddress, FlowBytes(kFlowControlAddress, 0x1000, 0));
  a.Send(kNsAddress, FlowBytes(kNsAddress, 0x1000, 0));
  EXPECT_EQ(a.pair.host().stats().flow_malformed, 2u);
  EXPECT_EQ(a.pair.host().stats().flow_received, 0u);
  EXPECT_FALSE(*a.pair.host().OutgoingPaused(a.client, kFlowControlAddress));
  EXPECT_FALSE(*a.pair.host().OutgoingPaused(a.client, kNsAddress));
  EXPECT_TRUE(a.client_rx.changes.empty());
  // Our own pause still goes out.
  EXPECT_TRUE(a.pair.host().SetIncomingFlow(a.client, true, Timeout::None()).ok());
}

TEST(FlowControlHostile, AFloodOfPausesIsBounded) {
  Attack a;
  // Pauses from many "endpoints" of the remote: the last kMaxPausedPeers
  // are kept, older ones evicted and counted; nothing grows.
  for (std::uint32_t i = 0; i < 40; ++i) a.Send(0x2000 + i, FlowBytes(0x2000 + i, 0x1000, 0));
  const Stats st = a.pair.host().stats();
  EXPECT_EQ(st.flow_received, 40u);
  EXPECT_EQ(st.flow_evicted, 40u - Endpoint::kMaxPausedPeers);
  EXPECT_EQ(a.client_rx.changes.size(), 40u);
  EXPECT_FALSE(*a.pair.host().OutgoingPaused(a.client, 0x2000));  // evicted
  EXPECT_TRUE(*a.pair.host().OutgoingPaused(a.client, 0x2000 + 39));
  // The endpoint's own peer was not among them: it still sends.
  EXPECT_TRUE(a.pair.host().TrySend(a.client, AsSpan("fine")).ok());
  // Resumes free the room, in any order.
  for (std::uint32_t i = 40; i-- > 0;) a.Send(0x2000 + i, FlowBytes(0x2000 + i, 0x1000, 1));
  for (std::uint32_t i = 0; i < 40; ++i) {
    EXPECT_FALSE(*a.pair.host().OutgoingPaused(a.client, 0x2000 + i));
  }
  // Alternating pause/resume floods cost one callback each, nothing more.
  for (int i = 0; i < 100; ++i) a.Send(a.svc(), FlowBytes(a.svc(), 0x1000, i & 1));
  EXPECT_FALSE(*a.pair.host().OutgoingPaused(a.client));
  EXPECT_EQ(a.pair.host().stats().rx_held, 0u);
}

// An endpoint that goes away while it has its peer paused resumes it.
TEST(FlowControl, DestroyingAPausingEndpointResumesThePeer) {
  Linked l;
  ASSERT_TRUE(l.pair.host().SetIncomingFlow(l.client, true).ok());
  l.pair.Pump();
  ASSERT_TRUE(*l.pair.remote().OutgoingPaused(l.service, 0x1000));
  l.pair.host().DestroyEndpoint(l.client);
  l.pair.Pump();
  EXPECT_FALSE(*l.pair.remote().OutgoingPaused(l.service, 0x1000));
  EXPECT_EQ(l.pair.host().stats().flow_sent, 2u);
}

}  // namespace
}  // namespace tandem::rpmsg
