// The peer is hostile: each role faces raw virtqueues driven by the test,
// which puts into shared memory what a broken or malicious peer could. Every
// case ends in a counted drop or a latched, clearly named error - never a
// crash, an out-of-bounds access (run under ASan in CI) or a hang.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "tandem/rpmsg/errors.h"
#include "tandem/testing/rpmsg_helpers.h"
#include "tandem/virtio/device_queue.h"
#include "tandem/virtio/driver_queue.h"
#include "tandem/virtio/errors.h"

namespace tandem::rpmsg {
namespace {

using testing::AsSpan;
using testing::BusPair;
using testing::Collector;
using testing::PairOptions;
using testing::Pattern;
using testing::QueueDriver;
using testing::RecordingDriver;
using testing::ToVector;

constexpr std::uint16_t kNum = 16;

PairOptions NotStarted() {
  PairOptions o;
  o.start = false;
  o.num = kNum;
  return o;
}

std::vector<std::uint8_t> Message(std::uint32_t src, std::uint32_t dst, std::uint16_t hdr_len,
                                  const std::vector<std::uint8_t>& payload) {
  const RpmsgHeader h = MakeHeader(src, dst, hdr_len);
  std::vector<std::uint8_t> out(sizeof(h) + payload.size());
  std::memcpy(out.data(), &h, sizeof(h));
  if (!payload.empty()) std::memcpy(out.data() + sizeof(h), payload.data(), payload.size());
  return out;
}

std::vector<std::uint8_t> NsBytes(const NsMessage& m) {
  std::vector<std::uint8_t> v(sizeof(m));
  std::memcpy(v.data(), &m, sizeof(m));
  return v;
}

// --- A real HostBus against a hand-driven remote ---------------------------------

class HostUnderAttack {
 public:
  HostUnderAttack() : pair_(NotStarted()) {
    EXPECT_TRUE(pair_.StartHost().ok());
    config_ = pair_.config();
    dev0_ = virtio::DeviceQueue::Create(config_.vring0.ring, kNum, 4096, {true}).value();
    dev1_ = virtio::DeviceQueue::Create(config_.vring1.ring, kNum, 4096, {true}).value();
  }

  // Fills the next posted receive buffer with `bytes` and returns it through
  // the used ring claiming `used_len` bytes. Returns the descriptor head.
  std::uint16_t Inject(const std::vector<std::uint8_t>& bytes, std::uint32_t used_len) {
    auto chain = dev0_.Pop(config_.vring0.ring);
    EXPECT_TRUE(chain.ok());
    auto d = chain->Next(dev0_, config_.vring0.ring, config_.buffers);
    EXPECT_TRUE(d.ok());
    EXPECT_TRUE(config_.buffers.WriteBytes(d->offset, std::as_bytes(std::span(bytes))).ok());
    EXPECT_TRUE(dev0_.PushUsed(config_.vring0.ring, chain->head(), used_len).ok());
    return chain->head();
  }
  void InjectMessage(std::uint32_t src, std::uint32_t dst, const std::vector<std::uint8_t>& p) {
    const auto bytes = Message(src, dst, static_cast<std::uint16_t>(p.size()), p);
    Inject(bytes, static_cast<std::uint32_t>(bytes.size()));
  }
  // Writes a used element and publishes used->idx behind the queue's back.
  void RawUsed(std::uint16_t slot, std::uint32_t id, std::uint32_t len, std::uint16_t new_idx) {
    auto layout = virtio::RingLayout::Compute(kNum, 4096).value();
    virtio::VringUsedElem e;
    e.id.set(id);
    e.len.set(len);
    shm::Region& ring = config_.vring0.ring;
    EXPECT_TRUE(ring.Write(layout.used_ring(slot), e).ok());
    EXPECT_TRUE(ring.PublishLe16(layout.used_idx(), new_idx).ok());
  }

  // Points every vring0 descriptor at `da` (what a hostile remote, or a
  // stray write, can do to the descriptor table the host published).
  void RedirectRxDescriptors(std::uint64_t da) {
    auto layout = virtio::RingLayout::Compute(kNum, 4096).value();
    shm::Region& ring = config_.vring0.ring;
    for (std::uint16_t i = 0; i < kNum; ++i) {
      auto d = ring.Read<virtio::VringDesc>(layout.desc(i)).value();
      d.addr.set(da);
      EXPECT_TRUE(ring.Write(layout.desc(i), d).ok());
    }
  }
  std::uint64_t TxBufferDa(std::uint16_t i) const {
    return config_.buffers.device_address() + (std::uint64_t{kNum} + i) * config_.buffer_size;
  }

  HostBus& host() { return pair_.host(); }
  BusPair& pair() { return pair_; }

 private:
  BusPair pair_;
  BusConfig config_;
  virtio::DeviceQueue dev0_;
  virtio::DeviceQueue dev1_;
};

TEST(RpmsgHostilePeer, InboundMessageLongerThanItsBufferIsDropped) {
  HostUnderAttack a;
  Endpoint ep;
  Collector rx;
  ASSERT_TRUE(a.host().CreateEndpoint(ep, {nullptr, 0x400}, rx).ok());
  // Header claims 100 bytes, the remote says it wrote 16 + 50.
  a.Inject(Message(0x401, 0x400, 100, Pattern(50, 0)), 16 + 50);
  // Header claims 0xFFFF bytes in a full 512-byte buffer.
  a.Inject(Message(0x401, 0x400, 0xFFFF, Pattern(496, 0)), 512);
  ASSERT_TRUE(a.host().Poll().ok());
  const Stats s = a.host().stats();
  EXPECT_EQ(s.rx_too_big, 2u);
  EXPECT_EQ(rx.messages.size(), 0u);
  EXPECT_EQ(s.rx_posted, kNum);  // both buffers went back to the remote
  EXPECT_TRUE(a.host().status().ok());
}

TEST(RpmsgHostilePeer, UsedLengthShorterThanAHeaderIsDropped) {
  HostUnderAttack a;
  a.Inject(Message(0x401, 0x35, 0, {}), 0);
  a.Inject(Message(0x401, 0x35, 0, {}), 15);
  ASSERT_TRUE(a.host().Poll().ok());
  EXPECT_EQ(a.host().stats().rx_too_short, 2u);
  EXPECT_EQ(a.host().stats().rx_posted, kNum);
}

TEST(RpmsgHostilePeer, UsedLengthBeyondTheBufferBreaksTheBus) {
  HostUnderAttack a;
  a.Inject(Message(0x401, 0x35, 0, {}), 513);
  const Status s = a.host().Poll();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(virtio::kUsedLengthTooLong));
  EXPECT_EQ(a.host().status().code(), StatusCode::kDataLoss);
  Endpoint ep;
  Collector rx;
  ASSERT_TRUE(a.host().CreateEndpoint(ep, {nullptr, 0x400, 0x401}, rx).ok());
  EXPECT_EQ(a.host().TrySend(ep, AsSpan(Pattern(1, 0))).code(), StatusCode::kDataLoss);
  // Reset clears the latch; Start() brings a fresh session.
  ASSERT_TRUE(a.host().Reset().ok());
  ASSERT_TRUE(a.pair().StartHost().ok());
  EXPECT_TRUE(a.host().status().ok());
}

TEST(RpmsgHostilePeer, UsedIdOutOfRangeBreaksTheBus) {
  HostUnderAttack a;
  a.RawUsed(0, 200, 16, 1);
  const Status s = a.host().Poll();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(virtio::kUsedIdOutOfRange));
}

TEST(RpmsgHostilePeer, UsedIdThatIsNotAPostedBufferBreaksTheBus) {
  HostUnderAttack a;
  Endpoint ep;
  Collector rx;
  rx.hold = true;  // the buffer stays with us: its descriptor is not posted
  ASSERT_TRUE(a.host().CreateEndpoint(ep, {nullptr, 0x400}, rx).ok());
  const auto bytes = Message(0x401, 0x400, 4, Pattern(4, 0));
  const std::uint16_t head = a.Inject(bytes, static_cast<std::uint32_t>(bytes.size()));
  ASSERT_TRUE(a.host().Poll().ok());
  ASSERT_EQ(rx.held.size(), 1u);
  // The remote "returns" the same descriptor again.
  a.RawUsed(1, head, 20, 2);
  const Status s = a.host().Poll();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(virtio::kUsedIdNotHandedOut));
  rx.held.clear();  // releasing into a broken bus only counts
  EXPECT_EQ(a.host().stats().rx_held, 0u);
}

TEST(RpmsgHostilePeer, UsedIndexJumpingPastTheRingBreaksTheBus) {
  HostUnderAttack a;
  a.RawUsed(0, 0, 16, kNum + 1);
  EXPECT_EQ(a.host().Poll().code(), StatusCode::kDataLoss);
}

// Issue #10: vring0's descriptors redirected to a host tx buffer. The remote
// writes its messages there and returns the ids; the host's own record says
// which rx buffer each id is, and those still hold their previous messages.
// They must not be delivered again (26 000 stale messages on real firmware).
TEST(RpmsgHostilePeer, RedirectedRxDescriptorDoesNotRedeliverStaleMessages) {
  HostUnderAttack a;
  Endpoint ep;
  Collector rx;
  ASSERT_TRUE(a.host().CreateEndpoint(ep, {nullptr, 0x400}, rx).ok());
  for (std::uint16_t i = 0; i < kNum; ++i) a.InjectMessage(0x401, 0x400, Pattern(8, 1));
  ASSERT_TRUE(a.host().Poll().ok());
  ASSERT_EQ(rx.messages.size(), std::size_t{kNum});  // every rx buffer holds an old message
  a.RedirectRxDescriptors(a.TxBufferDa(0));
  for (std::uint16_t i = 0; i < kNum; ++i) a.InjectMessage(0x401, 0x400, Pattern(8, 2));
  ASSERT_TRUE(a.host().Poll().ok());
  EXPECT_EQ(rx.messages.size(), std::size_t{kNum});  // nothing stale delivered
  EXPECT_EQ(a.host().stats().rx_dst_any, kNum);
  EXPECT_EQ(a.host().stats().rx_posted, kNum);  // each went back to the remote
  EXPECT_TRUE(a.host().status().ok());
  testing::ExpectHostBuffersConserved(a.host());
}

TEST(RpmsgHostilePeer, MessageForNobodyIsDropped) {
  HostUnderAttack a;
  a.InjectMessage(0x401, 0x9999, Pattern(8, 0));
  a.InjectMessage(0x401, kAddrAny, Pattern(8, 0));
  ASSERT_TRUE(a.host().Poll().ok());
  EXPECT_EQ(a.host().stats().rx_no_endpoint, 1u);
  EXPECT_EQ(a.host().stats().rx_dst_any, 1u);
  EXPECT_EQ(a.host().stats().rx_posted, kNum);
}

TEST(RpmsgHostilePeer, MalformedNameServiceMessagesAreDropped) {
  HostUnderAttack a;
  RecordingDriver driver;
  ASSERT_TRUE(a.host().RegisterDriver("svc", driver).ok());
  NsMessage no_nul = MakeNsMessage("svc", 0x401, NsFlags::kCreate);
  std::memset(no_nul.name, 'x', sizeof(no_nul.name));
  NsMessage bad_flags = MakeNsMessage("svc", 0x401, NsFlags::kCreate);
  bad_flags.flags.set(0x10);
  auto short_ns = NsBytes(MakeNsMessage("svc", 0x401, NsFlags::kCreate));
  short_ns.resize(39);
  auto long_ns = NsBytes(MakeNsMessage("svc", 0x401, NsFlags::kCreate));
  long_ns.push_back(0);
  a.InjectMessage(0x401, kNsAddress, NsBytes(no_nul));
  a.InjectMessage(0x401, kNsAddress, NsBytes(bad_flags));
  a.InjectMessage(0x401, kNsAddress, short_ns);
  a.InjectMessage(0x401, kNsAddress, long_ns);
  ASSERT_TRUE(a.host().Poll().ok());
  EXPECT_EQ(a.host().stats().ns_malformed, 4u);
  EXPECT_EQ(a.host().channel_count(), 0u);
  EXPECT_EQ(driver.bound.size(), 0u);
}

TEST(RpmsgHostilePeer, DuplicateAndUnknownAnnouncementsAreRejected) {
  HostUnderAttack a;
  RecordingDriver driver;
  ASSERT_TRUE(a.host().RegisterDriver("svc", driver).ok());
  const auto create = NsBytes(MakeNsMessage("svc", 0x401, NsFlags::kCreate));
  a.InjectMessage(0x401, kNsAddress, create);
  a.InjectMessage(0x401, kNsAddress, create);  // Linux: "channel ... already exist"
  a.InjectMessage(0x402, kNsAddress, NsBytes(MakeNsMessage("svc", 0x402, NsFlags::kDestroy)));
  ASSERT_TRUE(a.host().Poll().ok());
  EXPECT_EQ(a.host().stats().ns_rejected, 2u);
  EXPECT_EQ(a.host().stats().ns_duplicate, 1u);
  EXPECT_EQ(driver.bound.size(), 1u);
  EXPECT_EQ(driver.unbound.size(), 0u);
  EXPECT_EQ(a.host().channel_count(), 1u);
}

// Issue #10: a second CREATE of a bound name at another address bound the
// same handler again; a ChannelPort-like driver handed its one queue to both
// endpoints, and a message for the second moved over the first's queued
// buffer, releasing it under the bus lock (a real mutex: self-deadlock; the
// CheckingLock records the re-entry instead of hanging).
TEST(RpmsgHostilePeer, SecondCreateOfABoundNameDoesNotDeadlock) {
  HostUnderAttack a;
  QueueDriver driver;
  ASSERT_TRUE(a.host().RegisterDriver("svc", driver).ok());
  a.InjectMessage(0x401, kNsAddress, NsBytes(MakeNsMessage("svc", 0x401, NsFlags::kCreate)));
  a.InjectMessage(0x402, kNsAddress, NsBytes(MakeNsMessage("svc", 0x402, NsFlags::kCreate)));
  ASSERT_TRUE(a.host().Poll().ok());
  ASSERT_EQ(driver.bound.size(), 1u);
  ASSERT_TRUE(driver.set_queue[0].ok());
  const std::uint32_t first = driver.bound[0]->local_address();
  // One message for the bound channel, one for the address a second binding
  // would have had (the next dynamic address).
  a.InjectMessage(0x401, first, Pattern(4, 1));
  a.InjectMessage(0x402, first + 1, Pattern(4, 2));
  a.InjectMessage(0x401, first, Pattern(4, 3));
  ASSERT_TRUE(a.host().Poll().ok());
  EXPECT_EQ(a.pair().host_lock().reentries(), 0);
  EXPECT_EQ(a.host().stats().ns_driver_busy, 1u);
  EXPECT_EQ(a.host().stats().rx_no_endpoint, 1u);
  EXPECT_EQ(a.host().channel_count(), 2u);
  Endpoint& endpoint = driver.bound[0]->endpoint();
  for (std::uint8_t seed : {1, 3}) {
    auto got = a.host().ReceiveHeld(endpoint, Timeout::None());
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->src(), 0x401u);
    EXPECT_EQ(ToVector(got->payload()), Pattern(4, seed));
  }
  EXPECT_EQ(a.host().ReceiveHeld(endpoint, Timeout::None()).status().code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(a.pair().host_lock().reentries(), 0);
  EXPECT_TRUE(a.host().status().ok());
  testing::ExpectHostBuffersConserved(a.host());
}

// The same attack through a rewritten reply on a live link (issue #10: 380 000
// replies from the wrong service): the bound channel keeps its peer, and the
// new address's traffic never reaches the bound handler.
TEST(RpmsgHostilePeer, CreateOfABoundNameAtAnotherAddressDoesNotRedirect) {
  HostUnderAttack a;
  RecordingDriver driver;
  ASSERT_TRUE(a.host().RegisterDriver("svc", driver).ok());
  a.InjectMessage(0x401, kNsAddress, NsBytes(MakeNsMessage("svc", 0x401, NsFlags::kCreate)));
  ASSERT_TRUE(a.host().Poll().ok());
  ASSERT_EQ(driver.bound.size(), 1u);
  Channel* channel = driver.bound[0];
  const std::uint32_t local = channel->local_address();
  a.InjectMessage(0x401, kNsAddress, NsBytes(MakeNsMessage("other", 0x501, NsFlags::kCreate)));
  a.InjectMessage(0x401, kNsAddress, NsBytes(MakeNsMessage("svc", 0x501, NsFlags::kCreate)));
  a.InjectMessage(0x401, local, Pattern(4, 1));
  a.InjectMessage(0x501, local + 1, Pattern(4, 2));
  ASSERT_TRUE(a.host().Poll().ok());
  EXPECT_EQ(driver.bound.size(), 1u);
  EXPECT_TRUE(channel->bound());
  EXPECT_EQ(channel->remote_address(), 0x401u);
  EXPECT_EQ(channel->local_address(), local);
  ASSERT_EQ(driver.collector.messages.size(), 1u);
  EXPECT_EQ(driver.collector.messages[0].src, 0x401u);
  EXPECT_EQ(a.host().stats().ns_driver_busy, 1u);
  // The remote withdraws the first address: the waiting channel is bound to
  // the now free handler (the remote moved its service, as it may).
  a.InjectMessage(0x401, kNsAddress, NsBytes(MakeNsMessage("svc", 0x401, NsFlags::kDestroy)));
  ASSERT_TRUE(a.host().Poll().ok());
  ASSERT_EQ(driver.unbound.size(), 1u);
  ASSERT_EQ(driver.bound.size(), 2u);
  EXPECT_EQ(driver.bound_addresses[1].second, 0x501u);
  EXPECT_EQ(a.pair().host_lock().reentries(), 0);
}

TEST(RpmsgHostilePeer, SecondHandlerOrAManyChannelHandlerTakesAReannouncedName) {
  HostUnderAttack a;
  QueueDriver one;
  QueueDriver two;
  QueueDriver many(8, true);
  ASSERT_TRUE(a.host().RegisterDriver("svc", one).ok());
  ASSERT_TRUE(a.host().RegisterDriver("svc", two).ok());
  ASSERT_TRUE(a.host().RegisterDriver("multi", many).ok());
  for (std::uint32_t addr : {0x401u, 0x402u, 0x403u}) {
    a.InjectMessage(addr, kNsAddress, NsBytes(MakeNsMessage("svc", addr, NsFlags::kCreate)));
  }
  for (std::uint32_t addr : {0x501u, 0x502u}) {
    a.InjectMessage(addr, kNsAddress, NsBytes(MakeNsMessage("multi", addr, NsFlags::kCreate)));
  }
  ASSERT_TRUE(a.host().Poll().ok());
  EXPECT_EQ(one.bound.size(), 1u);
  EXPECT_EQ(two.bound.size(), 1u);
  EXPECT_EQ(a.host().stats().ns_driver_busy, 1u);  // the third "svc"
  ASSERT_EQ(many.bound.size(), 2u);
  // A handler serving several channels must give each its own storage.
  EXPECT_TRUE(many.set_queue[0].ok());
  EXPECT_TRUE(many.set_queue[1].Is(kQueueStorageInUse));
  EXPECT_EQ(a.pair().host_lock().reentries(), 0);
}

TEST(RpmsgHostilePeer, AnnouncementFloodIsBoundedByTheChannelPool) {
  HostUnderAttack a;
  for (int round = 0; round < 2; ++round) {
    for (std::uint32_t i = 0; i < 12; ++i) {
      char name[16];
      std::snprintf(name, sizeof(name), "svc-%u", round * 12 + i);
      a.InjectMessage(0x401 + i, kNsAddress,
                      NsBytes(MakeNsMessage(name, 0x401 + round * 12 + i, NsFlags::kCreate)));
    }
    ASSERT_TRUE(a.host().Poll().ok());
  }
  EXPECT_EQ(a.host().channel_count(), 16u);  // BusPair's pool
  EXPECT_EQ(a.host().stats().ns_rejected, 8u);
}

// --- A real RemoteBus against a hand-driven host -----------------------------------

class RemoteUnderAttack {
 public:
  RemoteUnderAttack() : pair_(NotStarted()), st0_(kNum), st1_(kNum) {
    config_ = pair_.config();
    drv0_ = virtio::DriverQueue::Create(config_.vring0.ring, kNum, 4096, st0_, {true}).value();
    drv1_ = virtio::DriverQueue::Create(config_.vring1.ring, kNum, 4096, st1_, {true}).value();
    EXPECT_TRUE(pair_.StartRemote().ok());
  }

  std::uint64_t BufferDa(std::size_t index) const {
    return config_.buffers.device_address() + index * kDefaultBufferSize;
  }
  // Posts a buffer in vring0 for the remote to send into.
  void PostRx(std::uint64_t da, std::uint32_t len, bool device_writes) {
    EXPECT_TRUE(drv0_.Add(config_.vring0.ring, virtio::BufferSpec{da, len, device_writes}).ok());
  }
  // Writes `bytes` into transmit buffer `index` (the second half of the
  // area, as Linux lays it out) and offers it in vring1.
  void Send(std::size_t index, const std::vector<std::uint8_t>& bytes, std::uint32_t desc_len,
            bool device_writes = false) {
    const std::size_t n = kNum + index;
    EXPECT_TRUE(
        config_.buffers.WriteBytes(n * kDefaultBufferSize, std::as_bytes(std::span(bytes))).ok());
    EXPECT_TRUE(
        drv1_.Add(config_.vring1.ring, virtio::BufferSpec{BufferDa(n), desc_len, device_writes})
            .ok());
  }
  // Buffers the remote gave back through vring1's used ring.
  std::vector<virtio::UsedBuffer> Returned() {
    std::vector<virtio::UsedBuffer> out;
    for (;;) {
      auto u = drv1_.TakeUsed(config_.vring1.ring);
      if (!u.ok()) break;
      out.push_back(*u);
    }
    return out;
  }

  // Publishes vring1's avail->idx behind the driver queue's back.
  void RawAvailIdx(std::uint16_t idx) {
    auto layout = virtio::RingLayout::Compute(kNum, 4096).value();
    EXPECT_TRUE(config_.vring1.ring.PublishLe16(layout.avail_idx(), idx).ok());
  }

  RemoteBus& remote() { return pair_.remote(); }

 private:
  BusPair pair_;
  BusConfig config_;
  std::vector<virtio::DriverDescState> st0_;
  std::vector<virtio::DriverDescState> st1_;
  virtio::DriverQueue drv0_;
  virtio::DriverQueue drv1_;
};

TEST(RpmsgHostilePeer, ReadOnlyBufferOfferedForSendingBreaksTheRemote) {
  RemoteUnderAttack a;
  a.PostRx(a.BufferDa(0), kDefaultBufferSize, false);
  Endpoint ep;
  Collector rx;
  ASSERT_TRUE(a.remote().CreateEndpoint(ep, {nullptr, 0x400, 0x400}, rx).ok());
  const Status s = a.remote().TrySend(ep, AsSpan(Pattern(4, 0)));
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(kHostBufferNotWritable));
  EXPECT_EQ(a.remote().Poll().code(), StatusCode::kDataLoss);
}

TEST(RpmsgHostilePeer, BufferOfTheWrongSizeBreaksTheRemote) {
  RemoteUnderAttack a;
  a.PostRx(a.BufferDa(0), 100, true);
  Endpoint ep;
  Collector rx;
  ASSERT_TRUE(a.remote().CreateEndpoint(ep, {nullptr, 0x400, 0x400}, rx).ok());
  const Status s = a.remote().TrySend(ep, AsSpan(Pattern(4, 0)));
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(kHostBufferTooSmall));
}

TEST(RpmsgHostilePeer, BufferOutsideSharedMemoryBreaksTheRemote) {
  RemoteUnderAttack a;
  a.PostRx(0x10, kDefaultBufferSize, true);
  Endpoint ep;
  Collector rx;
  ASSERT_TRUE(a.remote().CreateEndpoint(ep, {nullptr, 0x400, 0x400}, rx).ok());
  EXPECT_EQ(a.remote().TrySend(ep, AsSpan(Pattern(4, 0))).code(), StatusCode::kDataLoss);
  // The end of the buffer area, one byte too long.
  RemoteUnderAttack b;
  b.PostRx(b.BufferDa(2 * kNum - 1), kDefaultBufferSize + 1, true);
  Endpoint ep2;
  ASSERT_TRUE(b.remote().CreateEndpoint(ep2, {nullptr, 0x400, 0x400}, rx).ok());
  EXPECT_EQ(b.remote().TrySend(ep2, AsSpan(Pattern(4, 0))).code(), StatusCode::kDataLoss);
}

TEST(RpmsgHostilePeer, BadIncomingBuffersAreDroppedAndReturned) {
  RemoteUnderAttack a;
  Endpoint ep;
  Collector rx;
  ASSERT_TRUE(a.remote().CreateEndpoint(ep, {nullptr, 0x400}, rx).ok());
  const auto good = Message(0x401, 0x400, 8, Pattern(8, 0));
  a.Send(0, good, 24, /*device_writes=*/true);             // wrong direction
  a.Send(1, good, kDefaultBufferSize + 1);                 // larger than a buffer
  a.Send(2, good, 12);                                     // shorter than a header
  a.Send(3, Message(0x401, 0x400, 9, Pattern(8, 0)), 24);  // hdr.len too big
  a.Send(4, Message(0x401, 0x400, 8, Pattern(8, 0)), 24);  // fine
  a.Send(5, Message(0x401, 0x777, 8, Pattern(8, 0)), 24);  // nobody there
  // The host announcing to the remote: nobody listens on 0x35 here (Linux
  // hosts do not announce; we mirror them).
  a.Send(6, Message(0x401, kNsAddress, 40, NsBytes(MakeNsMessage("x", 1, NsFlags::kCreate))), 56);
  ASSERT_TRUE(a.remote().Poll().ok());
  const Stats s = a.remote().stats();
  EXPECT_EQ(s.rx_bad_buffer, 2u);
  EXPECT_EQ(s.rx_too_short, 1u);
  EXPECT_EQ(s.rx_too_big, 1u);
  EXPECT_EQ(s.rx_no_endpoint, 2u);
  ASSERT_EQ(rx.messages.size(), 1u);
  EXPECT_EQ(rx.messages[0].payload, Pattern(8, 0));
  EXPECT_EQ(s.rx_held, 0u);
  const auto returned = a.Returned();
  EXPECT_EQ(returned.size(), 7u);  // every buffer went back, none lost
  // With the descriptor's length (OpenAMP interop, docs/decisions.md).
  for (const auto& u : returned) EXPECT_EQ(u.written, u.len);
}

TEST(RpmsgHostilePeer, AvailIndexJumpingPastTheRingBreaksTheRemote) {
  RemoteUnderAttack a;
  a.RawAvailIdx(kNum + 1);
  const Status s = a.remote().Poll();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(virtio::kAvailIndexJumped));
  EXPECT_EQ(a.remote().status().code(), StatusCode::kDataLoss);
}

TEST(RpmsgHostilePeer, NsDestroyAnnouncementsThatCannotWaitAreCounted) {
  BusPair pair;
  Collector rx;
  std::vector<std::unique_ptr<Endpoint>> eps;
  for (int i = 0; i < 10; ++i) {
    eps.push_back(std::make_unique<Endpoint>());
    char name[16];
    std::snprintf(name, sizeof(name), "svc-%d", i);
    ASSERT_TRUE(pair.remote().CreateEndpoint(*eps.back(), {name}, rx).ok());
  }
  pair.Pump();
  ASSERT_EQ(pair.host().channel_count(), 10u);
  // The host stops taking messages: the remote's buffers run out.
  while (pair.remote().TrySendTo(*eps[0], 0x400, AsSpan(Pattern(1, 0))).ok()) {
  }
  eps.clear();  // 10 DESTROYs; 8 can wait for a buffer
  EXPECT_EQ(pair.remote().stats().ns_announce_dropped, 2u);
  pair.Pump();
  EXPECT_EQ(pair.host().channel_count(), 2u);
  EXPECT_EQ(pair.remote().stats().ns_announcements, 18u);
}

}  // namespace
}  // namespace tandem::rpmsg
