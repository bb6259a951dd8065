// Both roles in one process over fake shared memory, single-threaded and
// deterministic: the test drives each side's Poll().
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "tandem/rpmsg/errors.h"
#include "tandem/testing/rpmsg_helpers.h"

namespace tandem::rpmsg {
namespace {

using testing::AsSpan;
using testing::BusPair;
using testing::Collector;
using testing::EchoLink;
using testing::EchoService;
using testing::kVring0NotifyId;
using testing::kVring1NotifyId;
using testing::PairOptions;
using testing::Pattern;
using testing::RecordingDriver;

PairOptions NotStarted() {
  PairOptions o;
  o.start = false;
  return o;
}

// --- Name service and channels ------------------------------------------------

// The Linux <-> Zephyr demo: the remote announces rpmsg-tty (0x400) and
// rpmsg-client-sample (0x401); only the sample's driver is loaded, so the
// first local address goes to it: "new channel: 0x400 -> 0x401".
TEST(RpmsgBus, NameServiceCreatesChannelsWithLinuxAddresses) {
  BusPair pair(NotStarted());
  RecordingDriver sample;
  ASSERT_TRUE(pair.host().RegisterDriver("rpmsg-client-sample", sample).ok());
  Collector remote_rx;
  Endpoint tty, client;
  ASSERT_TRUE(pair.remote().CreateEndpoint(tty, {"rpmsg-tty"}, remote_rx).ok());
  ASSERT_TRUE(pair.remote().CreateEndpoint(client, {"rpmsg-client-sample"}, remote_rx).ok());
  EXPECT_EQ(tty.address(), 0x400u);
  EXPECT_EQ(client.address(), 0x401u);

  ASSERT_TRUE(pair.StartHost().ok());
  // Before the remote bus starts (DRIVER_OK), nothing is announced.
  pair.Pump();
  EXPECT_EQ(pair.remote_notifier().kicks.size(), 0u);
  EXPECT_EQ(pair.host().channel_count(), 0u);

  ASSERT_TRUE(pair.StartRemote().ok());
  pair.Pump();
  EXPECT_EQ(pair.remote().stats().ns_announcements, 2u);
  EXPECT_EQ(pair.host().channel_count(), 2u);  // rpmsg-tty waits for a driver
  ASSERT_EQ(sample.bound.size(), 1u);
  EXPECT_EQ(sample.bound_addresses[0], std::make_pair(0x400u, 0x401u));
  EXPECT_STREQ(sample.bound[0]->name(), "rpmsg-client-sample");

  // The sample's "hello" arrives at the remote endpoint from 0x400.
  const char hello[] = "hello world!";
  ASSERT_TRUE(sample.bound[0]->Send(AsBytes(hello, sizeof(hello) - 1)).ok());
  pair.Pump();
  ASSERT_EQ(remote_rx.messages.size(), 1u);
  EXPECT_EQ(remote_rx.messages[0].src, 0x400u);
  EXPECT_EQ(remote_rx.messages[0].dst, 0x401u);
  EXPECT_EQ(client.peer(), 0x400u);  // learned from the first message
  testing::ExpectNoCallOutsUnderLock(pair);
}

TEST(RpmsgBus, DriverRegisteredLaterBindsExistingChannel) {
  BusPair pair;
  Endpoint svc;
  Collector rx;
  ASSERT_TRUE(pair.remote().CreateEndpoint(svc, {"late-svc"}, rx).ok());
  pair.Pump();
  EXPECT_EQ(pair.host().channel_count(), 1u);
  RecordingDriver driver;
  ASSERT_TRUE(pair.host().RegisterDriver("late-svc", driver).ok());
  ASSERT_EQ(driver.bound.size(), 1u);
  EXPECT_EQ(driver.bound_addresses[0].second, svc.address());
  EXPECT_EQ(pair.host().RegisterDriver("late-svc", driver).code(), StatusCode::kAlreadyExists);

  // Unregistering unbinds but keeps the channel for the next driver.
  pair.host().UnregisterDriver(driver);
  EXPECT_EQ(driver.unbound.size(), 1u);
  EXPECT_EQ(pair.host().channel_count(), 1u);
  RecordingDriver second;
  ASSERT_TRUE(pair.host().RegisterDriver("late-svc", second).ok());
  ASSERT_EQ(second.bound.size(), 1u);
  EXPECT_EQ(second.bound_addresses[0].first, 0x400u);  // the freed address is reused
}

// Channels(): a copy of every channel in use, bound or waiting, for
// listings and for endpoints opened to a service by name (rpmsg_char).
TEST(RpmsgBus, ChannelsListsBoundAndWaitingChannels) {
  BusPair pair;
  RecordingDriver driver;
  ASSERT_TRUE(pair.host().RegisterDriver("bound-svc", driver).ok());
  Endpoint a, b;
  Collector rx;
  ASSERT_TRUE(pair.remote().CreateEndpoint(a, {"bound-svc"}, rx).ok());
  ASSERT_TRUE(pair.remote().CreateEndpoint(b, {"waiting-svc"}, rx).ok());
  pair.Pump();
  HostBus::ChannelInfo infos[4];
  ASSERT_EQ(pair.host().Channels(infos), 2u);
  EXPECT_STREQ(infos[0].name, "bound-svc");
  EXPECT_TRUE(infos[0].bound);
  EXPECT_EQ(infos[0].local, 0x400u);
  EXPECT_EQ(infos[0].remote, a.address());
  EXPECT_STREQ(infos[1].name, "waiting-svc");
  EXPECT_FALSE(infos[1].bound);
  EXPECT_EQ(infos[1].local, kAddrAny);
  EXPECT_EQ(infos[1].remote, b.address());
  // A short array gets what fits; the count is the whole.
  HostBus::ChannelInfo one[1];
  EXPECT_EQ(pair.host().Channels(one), 2u);
  EXPECT_STREQ(one[0].name, "bound-svc");
  EXPECT_EQ(pair.host().Channels({}), 2u);
}

TEST(RpmsgBus, DestroyingAnnouncedEndpointSendsNsDestroyAndUnbinds) {
  BusPair pair;
  RecordingDriver driver;
  ASSERT_TRUE(pair.host().RegisterDriver("svc", driver).ok());
  Collector rx;
  {
    Endpoint svc;  // RAII: destroyed at the end of the scope
    ASSERT_TRUE(pair.remote().CreateEndpoint(svc, {"svc"}, rx).ok());
    pair.Pump();
    ASSERT_EQ(driver.bound.size(), 1u);
    EXPECT_EQ(driver.unbound.size(), 0u);
  }
  pair.Pump();
  EXPECT_EQ(pair.remote().stats().ns_announcements, 2u);  // CREATE, DESTROY
  ASSERT_EQ(driver.unbound.size(), 1u);
  EXPECT_EQ(pair.host().channel_count(), 0u);
  EXPECT_EQ(pair.host().stats().ns_rejected, 0u);
}

TEST(RpmsgBus, UnnamedEndpointsAreNotAnnounced) {
  BusPair pair;
  Endpoint quiet;
  Collector rx;
  ASSERT_TRUE(pair.remote().CreateEndpoint(quiet, {}, rx).ok());
  pair.Pump();
  EXPECT_EQ(pair.remote().stats().ns_announcements, 0u);
  EXPECT_EQ(pair.host().channel_count(), 0u);
}

TEST(RpmsgBus, WithoutNsFeatureNothingIsAnnouncedOrListenedFor) {
  PairOptions o;
  o.name_service = false;
  BusPair pair(o);
  Endpoint svc;
  Collector rx;
  ASSERT_TRUE(pair.remote().CreateEndpoint(svc, {"svc"}, rx).ok());
  pair.Pump();
  EXPECT_EQ(pair.remote().stats().ns_announcements, 0u);
  EXPECT_EQ(pair.host().channel_count(), 0u);
}

// --- Data path ------------------------------------------------------------------

TEST(RpmsgBus, EchoesEveryPayloadSizeFromZeroToMtu) {
  EchoLink link;
  ASSERT_NE(link.channel, nullptr);
  const std::size_t mtu = link.pair.host().mtu();
  ASSERT_EQ(mtu, 496u);
  ASSERT_EQ(link.pair.remote().mtu(), 496u);
  auto& got = link.driver.collector.messages;
  const Stats start = link.pair.host().stats();
  for (std::size_t n = 0; n <= mtu; ++n) {
    const auto payload = Pattern(n, static_cast<std::uint8_t>(n));
    ASSERT_TRUE(link.channel->Send(AsSpan(payload)).ok()) << n;
    link.pair.Pump();
    ASSERT_TRUE(link.echo.last_status.ok()) << link.echo.last_status.message();
    ASSERT_EQ(got.size(), n + 1);
    EXPECT_EQ(got.back().payload, payload) << "size " << n;
    EXPECT_EQ(got.back().src, link.echo_endpoint.address());
    EXPECT_EQ(got.back().dst, link.channel->local_address());
  }
  EXPECT_EQ(link.echo.count, static_cast<int>(mtu + 1));
  const Stats h = link.pair.host().stats();
  EXPECT_EQ(h.tx_messages - start.tx_messages, mtu + 1);
  EXPECT_EQ(h.rx_messages - start.rx_messages, mtu + 1);
  testing::ExpectHostBuffersConserved(link.pair.host());
}

TEST(RpmsgBus, PayloadLargerThanMtuIsRefusedAndNothingMoves) {
  EchoLink link;
  const auto big = Pattern(link.pair.host().mtu() + 1, 1);
  const Stats before = link.pair.host().stats();
  const std::size_t kicks = link.pair.host_notifier().kicks.size();
  EXPECT_EQ(link.channel->Send(AsSpan(big)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(link.channel->TrySend(AsSpan(big)).code(), StatusCode::kInvalidArgument);
  const Stats after = link.pair.host().stats();
  EXPECT_EQ(after.tx_messages, before.tx_messages);
  EXPECT_EQ(after.tx_free, before.tx_free);
  EXPECT_EQ(link.pair.host_notifier().kicks.size(), kicks);

  // Remote role too.
  const Stats rbefore = link.pair.remote().stats();
  EXPECT_EQ(link.pair.remote().Send(link.echo_endpoint, AsSpan(big)).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(link.pair.remote().stats().tx_messages, rbefore.tx_messages);

  // Zero-copy: the handle keeps its buffer when the length is refused.
  auto tx = link.pair.host().AcquireTx(link.channel->endpoint(), Timeout::None());
  ASSERT_TRUE(tx.ok());
  EXPECT_EQ(tx->Send(tx->capacity() + 1).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(tx->valid());
  EXPECT_EQ(link.pair.host().stats().tx_held, 1u);
}

TEST(RpmsgBus, HostTxExhaustionThenRecovery) {
  EchoLink link;
  // Replies would hold remote->host buffers; use a silent remote endpoint.
  Collector sink;
  Endpoint remote_sink;
  ASSERT_TRUE(link.pair.remote().CreateEndpoint(remote_sink, {nullptr, 0x700}, sink).ok());
  Endpoint host_ep;
  Collector unused;
  ASSERT_TRUE(link.pair.host().CreateEndpoint(host_ep, {nullptr, kAddrAny, 0x700}, unused).ok());

  const auto msg = Pattern(32, 3);
  int sent = 0;
  Status s;
  for (int i = 0; i < 1000 && (s = link.pair.host().TrySend(host_ep, AsSpan(msg))).ok(); ++i)
    ++sent;
  EXPECT_EQ(sent, 16);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(s.Is(kNoTxBuffer));
  Stats h = link.pair.host().stats();
  EXPECT_EQ(h.tx_free, 0u);
  EXPECT_EQ(h.tx_in_flight, 16u);

  ASSERT_TRUE(link.pair.remote().Poll().ok());  // consumes and returns all 16
  EXPECT_EQ(sink.messages.size(), 16u);
  ASSERT_TRUE(link.pair.host().Poll().ok());  // tx-complete: back to the pool
  h = link.pair.host().stats();
  EXPECT_EQ(h.tx_free, 16u);
  EXPECT_TRUE(link.pair.host().TrySend(host_ep, AsSpan(msg)).ok());
  testing::ExpectHostBuffersConserved(link.pair.host());
}

TEST(RpmsgBus, RemoteTxExhaustionThenRecovery) {
  EchoLink link;
  const auto msg = Pattern(40, 9);
  int sent = 0;
  Status s;
  const std::uint32_t host_addr = link.channel->local_address();
  for (int i = 0;
       i < 1000 &&
       (s = link.pair.remote().TrySendTo(link.echo_endpoint, host_addr, AsSpan(msg))).ok();
       ++i) {
    ++sent;
  }
  // Every receive buffer the host posted in vring0 is now full.
  EXPECT_EQ(sent, 16);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  // (The host counts them as posted until it takes them from the used ring.)
  EXPECT_EQ(link.pair.host().stats().rx_posted, 16u);
  EXPECT_EQ(link.driver.collector.messages.size(), 0u);
  ASSERT_TRUE(link.pair.host().Poll().ok());  // delivers 16, re-posts 16
  EXPECT_EQ(link.driver.collector.messages.size(), 16u);
  EXPECT_EQ(link.pair.host().stats().rx_posted, 16u);
  EXPECT_TRUE(link.pair.remote().TrySendTo(link.echo_endpoint, host_addr, AsSpan(msg)).ok());
}

TEST(RpmsgBus, ZeroCopyTxWritesInPlaceAndUnsentBuffersReturn) {
  EchoLink link;
  Bus& host = link.pair.host();
  const std::uint32_t free_before = host.stats().tx_free;
  {
    auto tx = host.AcquireTx(link.channel->endpoint(), Timeout::None());
    ASSERT_TRUE(tx.ok());
    EXPECT_EQ(tx->capacity(), host.mtu());
    EXPECT_EQ(tx->src(), link.channel->local_address());
    EXPECT_EQ(tx->dst(), link.channel->remote_address());
    EXPECT_EQ(host.stats().tx_held, 1u);
    const auto payload = Pattern(100, 42);
    std::memcpy(tx->data().data(), payload.data(), payload.size());
    ASSERT_TRUE(tx->Send(payload.size()).ok());
    EXPECT_FALSE(tx->valid());
    EXPECT_EQ(tx->Send(1).code(), StatusCode::kFailedPrecondition);  // consumed
    link.pair.Pump();
    ASSERT_EQ(link.driver.collector.messages.size(), 1u);
    EXPECT_EQ(link.driver.collector.messages[0].payload, payload);
  }
  {
    // Destroyed unsent, moved, released twice: the count never drifts.
    auto a = host.AcquireTx(link.channel->endpoint(), Timeout::None());
    ASSERT_TRUE(a.ok());
    TxBuffer b = std::move(*a);
    EXPECT_FALSE(a->valid());
    a->Release();  // no-op on a moved-from handle
    EXPECT_EQ(host.stats().tx_held, 1u);
    b.Release();
    b.Release();
    EXPECT_EQ(host.stats().tx_held, 0u);
    auto c = host.AcquireTx(link.channel->endpoint(), Timeout::None());
    ASSERT_TRUE(c.ok());
  }
  EXPECT_EQ(host.stats().tx_held, 0u);
  EXPECT_EQ(host.stats().tx_free, free_before);

  // Remote role: an unsent buffer goes to its stash and is used next.
  RemoteBus& remote = link.pair.remote();
  {
    auto tx = remote.AcquireTx(link.echo_endpoint, link.channel->local_address(), Timeout::None());
    ASSERT_TRUE(tx.ok());
    EXPECT_EQ(remote.stats().tx_held, 1u);
  }
  EXPECT_EQ(remote.stats().tx_held, 0u);
  EXPECT_EQ(remote.stats().tx_free, 1u);
  auto tx = remote.AcquireTx(link.echo_endpoint, link.channel->local_address(), Timeout::None());
  ASSERT_TRUE(tx.ok());
  EXPECT_EQ(remote.stats().tx_free, 0u);
  tx->data()[0] = std::byte{0x5a};
  ASSERT_TRUE(tx->Send(1).ok());
  link.pair.Pump();
  ASSERT_EQ(link.driver.collector.messages.size(), 2u);
  EXPECT_EQ(link.driver.collector.messages[1].payload, std::vector<std::uint8_t>{0x5a});
  testing::ExpectHostBuffersConserved(host);
}

TEST(RpmsgBus, HeldRxBuffersStayOutOfTheRingUntilReleased) {
  EchoLink link;
  Bus& host = link.pair.host();
  link.driver.collector.hold = true;
  for (int i = 0; i < 3; ++i) {
    const auto m = Pattern(10 + i, static_cast<std::uint8_t>(i));
    ASSERT_TRUE(
        link.pair.remote()
            .SendTo(link.echo_endpoint, link.channel->local_address(), AsSpan(m), Timeout::None())
            .ok());
  }
  link.pair.Pump();
  auto& held = link.driver.collector.held;
  ASSERT_EQ(held.size(), 3u);
  Stats s = host.stats();
  EXPECT_EQ(s.rx_held, 3u);
  EXPECT_EQ(s.rx_posted, 13u);
  // The held payload is still readable after its callback returned.
  EXPECT_EQ(testing::ToVector(held[1].payload()), Pattern(11, 1));
  EXPECT_EQ(held[1].src(), link.echo_endpoint.address());

  RxBuffer moved = std::move(held[0]);
  EXPECT_FALSE(held[0].valid());
  held[0].Release();  // no-op
  EXPECT_EQ(host.stats().rx_held, 3u);
  moved.Release();
  moved.Release();
  EXPECT_EQ(host.stats().rx_held, 2u);
  held.clear();
  s = host.stats();
  EXPECT_EQ(s.rx_held, 0u);
  EXPECT_EQ(s.rx_posted, 16u);

  // Remote role: a held host message keeps the host's tx buffer in flight.
  Collector remote_rx;
  remote_rx.hold = true;
  Endpoint remote_ep;
  ASSERT_TRUE(link.pair.remote().CreateEndpoint(remote_ep, {nullptr, 0x800}, remote_rx).ok());
  Endpoint host_ep;
  Collector unused;
  ASSERT_TRUE(host.CreateEndpoint(host_ep, {nullptr, kAddrAny, 0x800}, unused).ok());
  ASSERT_TRUE(host.Send(host_ep, AsSpan(Pattern(5, 5))).ok());
  link.pair.Pump();
  EXPECT_EQ(link.pair.remote().stats().rx_held, 1u);
  EXPECT_EQ(host.stats().tx_in_flight, 1u);
  remote_rx.held.clear();
  link.pair.Pump();
  EXPECT_EQ(link.pair.remote().stats().rx_held, 0u);
  EXPECT_EQ(host.stats().tx_in_flight, 0u);
  testing::ExpectHostBuffersConserved(host);
}

TEST(RpmsgBus, RemoteEndpointLearnsPeerFromFirstMessage) {
  EchoLink link;
  Collector rx;
  Endpoint ep;
  ASSERT_TRUE(link.pair.remote().CreateEndpoint(ep, {nullptr, 0x900}, rx).ok());
  EXPECT_EQ(ep.peer(), kAddrAny);
  EXPECT_EQ(link.pair.remote().TrySend(ep, AsSpan(Pattern(4, 0))).code(),
            StatusCode::kFailedPrecondition);
  Endpoint host_ep;
  Collector host_rx;
  ASSERT_TRUE(link.pair.host().CreateEndpoint(host_ep, {nullptr, 0x555}, host_rx).ok());
  ASSERT_TRUE(link.pair.host().SendTo(host_ep, 0x900, AsSpan(Pattern(4, 1)), Timeout::None()).ok());
  link.pair.Pump();
  EXPECT_EQ(ep.peer(), 0x555u);
  ASSERT_TRUE(link.pair.remote().TrySend(ep, AsSpan(Pattern(4, 2))).ok());
  link.pair.Pump();
  ASSERT_EQ(host_rx.messages.size(), 1u);
  EXPECT_EQ(host_rx.messages[0].src, 0x900u);
  // A second sender does not steal the learned peer.
  ASSERT_TRUE(link.pair.host()
                  .SendOffChannel(host_ep, 0x556, 0x900, AsSpan(Pattern(1, 0)), Timeout::None())
                  .ok());
  link.pair.Pump();
  EXPECT_EQ(rx.messages.back().src, 0x556u);
  EXPECT_EQ(ep.peer(), 0x555u);
}

TEST(RpmsgBus, MessagesToUnknownDestinationsAreDroppedAndCounted) {
  EchoLink link;
  Endpoint host_ep;
  Collector rx;
  ASSERT_TRUE(link.pair.host().CreateEndpoint(host_ep, {nullptr, 0x600}, rx).ok());
  ASSERT_TRUE(
      link.pair.host().SendTo(host_ep, 0x1234, AsSpan(Pattern(8, 0)), Timeout::None()).ok());
  link.pair.Pump();
  EXPECT_EQ(link.pair.remote().stats().rx_no_endpoint, 1u);
  EXPECT_EQ(link.pair.remote().stats().rx_held, 0u);
}

// --- Blocking ---------------------------------------------------------------------

TEST(RpmsgBus, BlockingReceiveTimesOutOnTheClock) {
  EchoLink link;
  std::array<RxBuffer, 4> queue;
  Endpoint ep;
  ASSERT_TRUE(link.pair.remote().CreateEndpoint(ep, {nullptr, 0x500}, queue).ok());
  std::array<std::byte, 64> buf;
  auto& clock = link.pair.remote_waiter();
  const std::uint64_t t0 = clock.now_ns;
  auto r = link.pair.remote().Receive(ep, buf, Timeout::Milliseconds(5));
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(clock.now_ns - t0, 5'000'000u);
  EXPECT_EQ(link.pair.remote().Receive(ep, buf, Timeout::None()).status().code(),
            StatusCode::kUnavailable);
}

TEST(RpmsgBus, BlockingReceiveIsWokenByPoll) {
  EchoLink link;
  std::array<RxBuffer, 4> queue;
  Endpoint ep;
  ASSERT_TRUE(link.pair.remote().CreateEndpoint(ep, {nullptr, 0x500}, queue).ok());
  Endpoint host_ep;
  Collector unused;
  ASSERT_TRUE(link.pair.host().CreateEndpoint(host_ep, {nullptr, 0x600, 0x500}, unused).ok());
  const auto msg = Pattern(77, 7);
  auto& waiter = link.pair.remote_waiter();
  // "While the receiver sleeps" the host sends and the event loop polls.
  waiter.on_wait = [&] {
    EXPECT_TRUE(link.pair.host().Send(host_ep, AsSpan(msg)).ok());
    EXPECT_TRUE(link.pair.remote().Poll().ok());
  };
  const std::uint64_t t0 = waiter.now_ns;
  std::array<std::byte, 512> buf;
  auto r = link.pair.remote().Receive(ep, buf, Timeout::Seconds(1));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->len, msg.size());
  EXPECT_EQ(r->src, 0x600u);
  EXPECT_EQ(testing::ToVector(std::span(buf).first(r->len)), msg);
  EXPECT_EQ(waiter.now_ns, t0);  // woken, not timed out
  EXPECT_GE(waiter.wakes, 1);

  // Too small a buffer: kOutOfRange and the message stays queued.
  waiter.on_wait = nullptr;
  ASSERT_TRUE(link.pair.host().Send(host_ep, AsSpan(msg)).ok());
  ASSERT_TRUE(link.pair.remote().Poll().ok());
  std::array<std::byte, 8> small;
  EXPECT_EQ(link.pair.remote().Receive(ep, small, Timeout::None()).status().code(),
            StatusCode::kOutOfRange);
  auto held = link.pair.remote().ReceiveHeld(ep, Timeout::None());
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(testing::ToVector(held->payload()), msg);
}

TEST(RpmsgBus, BlockingSendWaitsForTxCompleteAndAsksForItOnlyThen) {
  EchoLink link;
  Collector sink;
  Endpoint remote_sink;
  ASSERT_TRUE(link.pair.remote().CreateEndpoint(remote_sink, {nullptr, 0x700}, sink).ok());
  Endpoint host_ep;
  Collector unused;
  ASSERT_TRUE(link.pair.host().CreateEndpoint(host_ep, {nullptr, kAddrAny, 0x700}, unused).ok());
  const auto msg = Pattern(16, 0);
  auto& remote_kicks = link.pair.remote_notifier();

  // While no sender waits, the remote is not asked to signal tx-complete.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(link.pair.host().TrySend(host_ep, AsSpan(msg)).ok());
  ASSERT_TRUE(link.pair.remote().Poll().ok());
  EXPECT_EQ(remote_kicks.Count(kVring1NotifyId), 0u);
  ASSERT_TRUE(link.pair.host().Poll().ok());

  while (link.pair.host().TrySend(host_ep, AsSpan(msg)).ok()) {
  }
  auto& waiter = link.pair.host_waiter();
  waiter.on_wait = [&] {
    // The remote consumes; its tx-complete kick makes the host's event loop poll.
    EXPECT_TRUE(link.pair.remote().Poll().ok());
    if (remote_kicks.Count(kVring1NotifyId) > 0) {
      EXPECT_TRUE(link.pair.host().Poll().ok());
    }
  };
  const std::uint64_t t0 = waiter.now_ns;
  ASSERT_TRUE(link.pair.host().Send(host_ep, AsSpan(msg), Timeout::Seconds(1)).ok());
  EXPECT_EQ(waiter.now_ns, t0);
  EXPECT_EQ(remote_kicks.Count(kVring1NotifyId), 1u);
  testing::ExpectHostBuffersConserved(link.pair.host());
}

TEST(RpmsgBus, BlockingSendTimesOutWhenThePeerIsDead) {
  EchoLink link;
  while (link.channel->TrySend(AsSpan(Pattern(1, 0))).ok()) {
  }
  auto& clock = link.pair.host_waiter();
  std::uint64_t t0 = clock.now_ns;
  EXPECT_EQ(link.channel->Send(AsSpan(Pattern(1, 0)), Timeout::Milliseconds(100)).code(),
            StatusCode::kDeadlineExceeded);
  EXPECT_EQ(clock.now_ns - t0, 100'000'000u);
  // The default is Linux's 15 s.
  t0 = clock.now_ns;
  EXPECT_EQ(link.channel->Send(AsSpan(Pattern(1, 0))).code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(clock.now_ns - t0, 15'000'000'000u);
  EXPECT_EQ(link.pair.host().stats().tx_held, 0u);
  testing::ExpectHostBuffersConserved(link.pair.host());
}

TEST(RpmsgBus, RemoteBlockingSendIsWokenWhenTheHostRepostsBuffers) {
  EchoLink link;
  const std::uint32_t host_addr = link.channel->local_address();
  while (link.pair.remote().TrySendTo(link.echo_endpoint, host_addr, AsSpan(Pattern(2, 0))).ok()) {
  }
  auto& waiter = link.pair.remote_waiter();
  auto& host_kicks = link.pair.host_notifier();
  const std::size_t vring0_kicks = host_kicks.Count(kVring0NotifyId);
  waiter.on_wait = [&] {
    EXPECT_TRUE(link.pair.host().Poll().ok());
    // The host kicked vring0 because the waiting remote asked for it.
    if (host_kicks.Count(kVring0NotifyId) > vring0_kicks) {
      EXPECT_TRUE(link.pair.remote().Poll().ok());
    }
  };
  const std::uint64_t t0 = waiter.now_ns;
  EXPECT_TRUE(link.pair.remote()
                  .SendTo(link.echo_endpoint, host_addr, AsSpan(Pattern(2, 0)), Timeout::Seconds(1))
                  .ok());
  EXPECT_EQ(waiter.now_ns, t0);
  EXPECT_GT(host_kicks.Count(kVring0NotifyId), vring0_kicks);
}

// --- Reset -------------------------------------------------------------------------

TEST(RpmsgBus, PeerResetUnbindsChannelsAndTheLinkComesBack) {
  EchoLink link;
  link.driver.collector.hold = true;
  ASSERT_TRUE(link.pair.remote()
                  .SendTo(link.echo_endpoint, link.channel->local_address(), AsSpan(Pattern(3, 0)),
                          Timeout::None())
                  .ok());
  link.pair.Pump();
  ASSERT_EQ(link.driver.collector.held.size(), 1u);
  Endpoint& old_endpoint = link.channel->endpoint();

  ASSERT_TRUE(link.pair.host().Reset().ok());
  ASSERT_EQ(link.driver.unbound.size(), 1u);
  EXPECT_EQ(link.driver.unbound[0], link.channel);
  EXPECT_EQ(link.pair.host().channel_count(), 0u);
  EXPECT_FALSE(old_endpoint.created());
  EXPECT_EQ(link.pair.host().TrySend(old_endpoint, AsSpan(Pattern(1, 0))).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(link.pair.host().status().code(), StatusCode::kFailedPrecondition);

  // A handle of the dead session must go before the next Start().
  EXPECT_EQ(link.pair.StartHost().code(), StatusCode::kFailedPrecondition);
  link.driver.collector.held.clear();  // inert: only counted
  EXPECT_EQ(link.pair.host().stats().rx_held, 0u);

  ASSERT_TRUE(link.pair.remote().Reset().ok());
  ASSERT_TRUE(link.pair.StartHost().ok());
  ASSERT_TRUE(link.pair.StartRemote().ok());
  link.pair.Pump();
  ASSERT_EQ(link.driver.bound.size(), 2u);  // re-announced and re-bound
  link.driver.collector.hold = false;
  const auto msg = Pattern(20, 4);
  ASSERT_TRUE(link.driver.bound[1]->Send(AsSpan(msg)).ok());
  link.pair.Pump();
  EXPECT_EQ(link.driver.collector.messages.back().payload, msg);
  testing::ExpectHostBuffersConserved(link.pair.host());
}

TEST(RpmsgBus, ResetAbortsBlockedSenderAndReceiver) {
  EchoLink link;
  while (link.channel->TrySend(AsSpan(Pattern(1, 0))).ok()) {
  }
  link.pair.host_waiter().on_wait = [&] { EXPECT_TRUE(link.pair.host().Reset().ok()); };
  EXPECT_EQ(link.pair.host()
                .Send(link.channel->endpoint(), AsSpan(Pattern(1, 0)), Timeout::Seconds(1))
                .code(),
            StatusCode::kAborted);

  std::array<RxBuffer, 2> queue;
  Endpoint ep;
  ASSERT_TRUE(link.pair.remote().CreateEndpoint(ep, {nullptr, 0x500}, queue).ok());
  link.pair.remote_waiter().on_wait = [&] { EXPECT_TRUE(link.pair.remote().Reset().ok()); };
  std::array<std::byte, 16> buf;
  EXPECT_EQ(link.pair.remote().Receive(ep, buf, Timeout::Seconds(1)).status().code(),
            StatusCode::kAborted);
}

// --- Notifications ---------------------------------------------------------------------

TEST(RpmsgBus, TxBatchKicksOnceForABurst) {
  PairOptions o;
  o.event_idx = false;  // without EVENT_IDX every unsuppressed send would kick
  EchoLink link(o);
  auto& kicks = link.pair.remote_notifier();
  const std::uint32_t host_addr = link.channel->local_address();
  std::size_t before = kicks.Count(kVring0NotifyId);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        link.pair.remote().TrySendTo(link.echo_endpoint, host_addr, AsSpan(Pattern(4, 0))).ok());
  }
  EXPECT_EQ(kicks.Count(kVring0NotifyId) - before, 5u);
  link.pair.Pump();

  before = kicks.Count(kVring0NotifyId);
  {
    TxBatch batch(link.pair.remote());
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(
          link.pair.remote().TrySendTo(link.echo_endpoint, host_addr, AsSpan(Pattern(4, 0))).ok());
    }
    EXPECT_EQ(kicks.Count(kVring0NotifyId), before);
  }
  EXPECT_EQ(kicks.Count(kVring0NotifyId) - before, 1u);
  link.pair.Pump();
  EXPECT_EQ(link.driver.collector.messages.size(), 10u);
}

// A host that polls turns the remote's kicks off: the remote sends without a
// doorbell, Poll() still finds every message, and turning them back on
// makes the next message kick again (with and without EVENT_IDX).
TEST(RpmsgBus, RxKicksOffSilencesThePeerUntilTurnedOn) {
  for (const bool event_idx : {true, false}) {
    SCOPED_TRACE(event_idx ? "EVENT_IDX" : "avail flags");
    PairOptions o;
    o.event_idx = event_idx;
    EchoLink link(o);
    auto& kicks = link.pair.remote_notifier();
    const std::uint32_t host_addr = link.channel->local_address();
    auto send = [&] {
      ASSERT_TRUE(
          link.pair.remote().TrySendTo(link.echo_endpoint, host_addr, AsSpan(Pattern(4, 0))).ok());
    };
    link.pair.host().SetRxKicks(false);
    EXPECT_FALSE(link.pair.host().rx_kicks());
    std::size_t before = kicks.Count(kVring0NotifyId);
    for (int i = 0; i < 3; ++i) send();
    EXPECT_EQ(kicks.Count(kVring0NotifyId), before);
    ASSERT_TRUE(link.pair.host().Poll().ok());
    EXPECT_EQ(link.driver.collector.messages.size(), 3u);
    send();  // a Poll() that drained the ring left the kicks off
    EXPECT_EQ(kicks.Count(kVring0NotifyId), before);

    link.pair.host().SetRxKicks(true);
    ASSERT_TRUE(link.pair.host().Poll().ok());
    EXPECT_EQ(link.driver.collector.messages.size(), 4u);
    send();
    EXPECT_EQ(kicks.Count(kVring0NotifyId) - before, 1u);
    ASSERT_TRUE(link.pair.host().Poll().ok());
    EXPECT_EQ(link.driver.collector.messages.size(), 5u);
    EXPECT_EQ(link.pair.remote_notifier().notified_under_lock, 0);
  }
}

TEST(RpmsgBus, RepliesAndReturnedBuffersCostOneKickPerPoll) {
  PairOptions o;
  o.event_idx = false;
  EchoLink link(o);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(link.channel->TrySend(AsSpan(Pattern(8, 1))).ok());
  auto& remote_kicks = link.pair.remote_notifier();
  const std::size_t v0 = remote_kicks.Count(kVring0NotifyId);
  const std::size_t v1 = remote_kicks.Count(kVring1NotifyId);
  ASSERT_TRUE(link.pair.remote().Poll().ok());
  EXPECT_EQ(link.echo.count, 8);
  EXPECT_EQ(remote_kicks.Count(kVring0NotifyId) - v0, 1u);  // 8 replies, one kick
  EXPECT_EQ(remote_kicks.Count(kVring1NotifyId) - v1, 0u);  // host asked for no tx-complete

  auto& host_kicks = link.pair.host_notifier();
  const std::size_t h0 = host_kicks.Count(kVring0NotifyId);
  ASSERT_TRUE(link.pair.host().Poll().ok());  // 8 messages, 8 buffers re-posted
  EXPECT_EQ(link.driver.collector.messages.size(), 8u);
  EXPECT_LE(host_kicks.Count(kVring0NotifyId) - h0, 1u);
}

TEST(RpmsgBus, CallbacksMayCreateDestroyAndSendButNotPoll) {
  EchoLink link;
  Collector svc_rx;
  Endpoint dynamic_svc;
  Status poll_from_callback;
  Collector trigger;
  trigger.then = [&](Endpoint&, ReceivedMessage&) {
    poll_from_callback = link.pair.remote().Poll();
    if (!dynamic_svc.created()) {
      EXPECT_TRUE(
          link.pair.remote().CreateEndpoint(dynamic_svc, {"born-in-callback"}, svc_rx).ok());
    } else {
      link.pair.remote().DestroyEndpoint(dynamic_svc);
    }
  };
  Endpoint trigger_ep;
  ASSERT_TRUE(link.pair.remote().CreateEndpoint(trigger_ep, {nullptr, 0x950}, trigger).ok());
  Endpoint host_ep;
  Collector unused;
  ASSERT_TRUE(link.pair.host().CreateEndpoint(host_ep, {nullptr, 0x650, 0x950}, unused).ok());
  RecordingDriver driver;
  ASSERT_TRUE(link.pair.host().RegisterDriver("born-in-callback", driver).ok());

  ASSERT_TRUE(link.pair.host().TrySend(host_ep, AsSpan(Pattern(1, 0))).ok());
  link.pair.Pump();
  EXPECT_EQ(poll_from_callback.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(driver.bound.size(), 1u);
  ASSERT_TRUE(link.pair.host().TrySend(host_ep, AsSpan(Pattern(1, 0))).ok());
  link.pair.Pump();
  EXPECT_EQ(driver.unbound.size(), 1u);
}

// --- Routing cost ------------------------------------------------------------------------

// Address lookup must not degrade with the number of endpoints: count the
// table slots examined per routed message with 1 and with 1024 endpoints.
double ProbesPerRoutedMessage(int endpoints) {
  BusPair pair;
  Collector rx;
  std::vector<std::unique_ptr<Endpoint>> eps;
  for (int i = 0; i < endpoints; ++i) {
    eps.push_back(std::make_unique<Endpoint>());
    EXPECT_TRUE(pair.remote().CreateEndpoint(*eps.back(), {}, rx).ok());
  }
  Endpoint host_ep;
  Collector unused;
  EXPECT_TRUE(pair.host().CreateEndpoint(host_ep, {nullptr, 0x300}, unused).ok());
  const Stats before = pair.remote().stats();
  for (int i = 0; i < 2048; ++i) {
    const std::uint32_t dst = eps[static_cast<std::size_t>(i % endpoints)]->address();
    EXPECT_TRUE(pair.host().SendTo(host_ep, dst, AsSpan(Pattern(4, 0)), Timeout::None()).ok());
    if (i % 8 == 7) pair.Pump();
  }
  pair.Pump();
  const Stats after = pair.remote().stats();
  EXPECT_EQ(after.rx_messages - before.rx_messages, 2048u);
  EXPECT_EQ(rx.messages.size(), 2048u);
  return static_cast<double>(after.lookup_probes - before.lookup_probes) /
         static_cast<double>(after.lookups - before.lookups);
}

TEST(RpmsgBus, RoutingCostDoesNotGrowWithEndpointCount) {
  const double one = ProbesPerRoutedMessage(1);
  const double many = ProbesPerRoutedMessage(1024);
  EXPECT_EQ(one, 1.0);
  EXPECT_LT(many, 1.5) << "probes per lookup with 1024 endpoints";
}

// --- Shared memory holds device addresses only ----------------------------------------------

// Every 8-byte window of `bytes` that holds a value inside one of `ranges`.
std::vector<std::size_t> FindPointers(
    const std::byte* bytes, std::size_t size,
    const std::vector<std::pair<const void*, std::size_t>>& ranges) {
  std::vector<std::size_t> hits;
  for (std::size_t off = 0; off + 8 <= size; ++off) {
    std::uint64_t v;
    std::memcpy(&v, bytes + off, 8);
    for (const auto& [base, len] : ranges) {
      const auto b = reinterpret_cast<std::uintptr_t>(base);
      if (v >= b && v < b + len) hits.push_back(off);
    }
  }
  return hits;
}

TEST(RpmsgBus, NoHostPointerEverReachesSharedMemory) {
  EchoLink link;
  auto& shm = link.pair.shm();
  // Traffic through every path: channel echo, zero-copy both ways, holds,
  // announcements and their withdrawal.
  for (std::size_t n : {0u, 1u, 8u, 100u, 496u}) {
    ASSERT_TRUE(link.channel->Send(AsSpan(Pattern(n, 0x11))).ok());
    link.pair.Pump();
  }
  {
    Endpoint extra;
    Collector rx;
    ASSERT_TRUE(link.pair.remote().CreateEndpoint(extra, {"extra"}, rx).ok());
    link.pair.Pump();
  }
  link.pair.Pump();
  auto tx = link.pair.remote().AcquireTx(link.echo_endpoint, link.channel->local_address(),
                                         Timeout::None());
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE(tx->Send(12).ok());
  link.pair.Pump();

  std::vector<std::pair<const void*, std::size_t>> ranges = {
      {shm.data(), shm.size()},
      {&link.pair.host(), sizeof(HostBus)},
      {&link.pair.remote(), sizeof(RemoteBus)},
      {&link.pair.host_storage(), sizeof(BusPair::HostStorage)},
      {&link.pair.remote_storage(), sizeof(BusPair::RemoteStorage)},
      {&link.echo_endpoint, sizeof(Endpoint)},
      {&link.driver, sizeof(RecordingDriver)},
      {&link.echo, sizeof(EchoService)},
  };
  // The scanner finds a pointer when one is planted (so the test can fail).
  std::vector<std::byte> copy(shm.data(), shm.data() + shm.size());
  const void* planted = &link.pair.host();
  std::memcpy(copy.data() + 1001, &planted, sizeof(planted));
  EXPECT_EQ(FindPointers(copy.data(), copy.size(), ranges), std::vector<std::size_t>{1001});

  EXPECT_EQ(FindPointers(shm.data(), shm.size(), ranges), std::vector<std::size_t>{});
  // And the descriptors do hold device addresses of the buffer area.
  const std::uint64_t first_desc_addr = [&] {
    std::uint64_t v;
    std::memcpy(&v, shm.data(), 8);
    return v;
  }();
  EXPECT_EQ(first_desc_addr, testing::kShmDeviceAddress + link.pair.layout().buffers_offset);
}

// The bytes a name-service announcement leaves in the host's receive buffer
// are exactly Linux's rpmsg_hdr + rpmsg_ns_msg.
TEST(RpmsgBus, AnnouncementOnTheWireIsLinuxBytes) {
  BusPair pair(NotStarted());
  Endpoint svc;
  Collector rx;
  ASSERT_TRUE(pair.remote().CreateEndpoint(svc, {"rpmsg-client-sample", 0x401}, rx).ok());
  ASSERT_TRUE(pair.StartHost().ok());
  ASSERT_TRUE(pair.StartRemote().ok());  // fills the first posted rx buffer
  std::array<std::uint8_t, 56> expected{};
  const std::uint8_t header[16] = {0x01, 0x04, 0, 0, 0x35, 0, 0, 0, 0, 0, 0, 0, 40, 0, 0, 0};
  std::memcpy(expected.data(), header, 16);
  std::memcpy(expected.data() + 16, "rpmsg-client-sample", 19);
  expected[16 + 32] = 0x01;  // addr 0x401
  expected[16 + 33] = 0x04;
  // flags: CREATE = 0
  std::array<std::uint8_t, 56> actual;
  std::memcpy(actual.data(), pair.shm().data() + pair.layout().buffers_offset, 56);
  EXPECT_EQ(actual, expected);
}

TEST(RpmsgBus, StartRejectsConfigsThatCannotWork) {
  BusPair pair(NotStarted());
  BusConfig c = pair.config();
  c.vring1.num = 8;
  EXPECT_EQ(pair.host().Start(c).code(), StatusCode::kInvalidArgument);
  c = pair.config();
  c.buffer_size = 16;
  EXPECT_EQ(pair.host().Start(c).code(), StatusCode::kInvalidArgument);
  c = pair.config();
  c.buffers = c.buffers.Sub(0, 4096).value();
  EXPECT_EQ(pair.host().Start(c).code(), StatusCode::kInvalidArgument);
  c = pair.config();
  c.vring0.num = c.vring1.num = 24;
  EXPECT_EQ(pair.remote().Start(c).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(pair.StartHost().ok());
  EXPECT_EQ(pair.StartHost().code(), StatusCode::kFailedPrecondition);
}

TEST(RpmsgBus, EndpointCreationErrors) {
  BusPair pair;
  Collector rx;
  Endpoint a, b;
  ASSERT_TRUE(pair.remote().CreateEndpoint(a, {nullptr, 0x400}, rx).ok());
  EXPECT_EQ(pair.remote().CreateEndpoint(a, {nullptr, 0x401}, rx).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(pair.remote().CreateEndpoint(b, {nullptr, 0x400}, rx).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(pair.remote().CreateEndpoint(b, {"0123456789012345678901234567890123"}, rx).code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(pair.remote().CreateEndpoint(b, {}, rx).ok());
  EXPECT_EQ(b.address(), 0x401u);  // 0x400 is taken
  Endpoint other;
  EXPECT_EQ(pair.host().TrySend(other, AsSpan(Pattern(1, 0))).code(),
            StatusCode::kFailedPrecondition);
}

// Issue #10: one array must never back two receive queues.
TEST(RpmsgBus, ReceiveQueueStorageServesOneEndpointAtATime) {
  BusPair pair;
  std::vector<RxBuffer> storage(4);
  Endpoint a;
  Endpoint b;
  ASSERT_TRUE(pair.host().CreateEndpoint(a, {nullptr, 0x500}, storage).ok());
  const Status same = pair.host().CreateEndpoint(b, {nullptr, 0x501}, storage);
  EXPECT_EQ(same.code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(same.Is(kQueueStorageInUse));
  EXPECT_FALSE(b.created());
  ASSERT_TRUE(pair.host().CreateEndpoint(b, {nullptr, 0x501}).ok());
  EXPECT_TRUE(pair.host().SetReceiveQueue(b, std::span(storage).subspan(2)).Is(kQueueStorageInUse));
  EXPECT_TRUE(pair.host().SetReceiveQueue(a, storage).ok());  // its own: allowed
  pair.host().DestroyEndpoint(a);
  EXPECT_TRUE(pair.host().SetReceiveQueue(b, storage).ok());  // free again
  pair.host().DestroyEndpoint(b);
}

}  // namespace
}  // namespace tandem::rpmsg
