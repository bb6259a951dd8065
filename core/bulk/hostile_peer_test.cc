// A hostile peer's bulk messages (docs/hostile_peer.md): every field is
// checked against the receiver's private record, a refused message changes
// nothing and is counted, and nothing the peer writes into the carve-out
// reaches the allocator.
#include <gtest/gtest.h>

#include <cstring>

#include "bulk_test_support.h"
#include "tandem/bulk/errors.h"
#include "tandem/bulk/pool.h"

namespace tandem::bulk {
namespace {

using testing::PoolPair;
using testing::RawWire;
using testing::Wire;

constexpr std::uint32_t kBlock = 256;

// The consumer's record must be "every block the peer's, nothing held".
void ExpectConsumerUntouched(const Pool& consumer, std::uint64_t rejected) {
  const PoolStats s = consumer.stats();
  EXPECT_EQ(s.peer, PoolPair::kBlocks);
  EXPECT_EQ(s.borrowed, 0u);
  EXPECT_EQ(s.received, 0u);
  EXPECT_EQ(s.rejected, rejected);
}

TEST(BulkHostilePeer, OffsetOutsideThePool) {
  PoolPair p;
  RxBlock rx;
  const std::uint32_t end = PoolPair::kBlocks * kBlock;
  EXPECT_TRUE(p.consumer.Receive(Wire(MessageType::kHandOver, end, 1), rx).Is(kOutsidePool));
  EXPECT_TRUE(
      p.consumer.Receive(Wire(MessageType::kHandOver, 0xFFFFFF00, 0xFF), rx).Is(kOutsidePool));
  EXPECT_TRUE(p.consumer.Receive(Wire(MessageType::kHandOver, 0xFFFFFFFF, 0xFFFFFFFF), rx)
                  .Is(kOutsidePool));
  EXPECT_FALSE(rx.valid());
  ExpectConsumerUntouched(p.consumer, 3);
}

TEST(BulkHostilePeer, MisalignedOffset) {
  PoolPair p;
  RxBlock rx;
  for (std::uint32_t off : {1u, 64u, kBlock - 1, kBlock + 8}) {
    EXPECT_TRUE(p.consumer.Receive(Wire(MessageType::kHandOver, off, 1), rx).Is(kMisaligned))
        << off;
  }
  ExpectConsumerUntouched(p.consumer, 4);
}

TEST(BulkHostilePeer, LengthPastTheBlock) {
  PoolPair p;
  RxBlock rx;
  EXPECT_TRUE(
      p.consumer.Receive(Wire(MessageType::kHandOver, 0, kBlock + 1), rx).Is(kLengthPastBlock));
  // The last block: a length that would run past the carve-out.
  const std::uint32_t last = (PoolPair::kBlocks - 1) * kBlock;
  EXPECT_TRUE(
      p.consumer.Receive(Wire(MessageType::kHandOver, last, 0xFFFFFFFF), rx).Is(kLengthPastBlock));
  ExpectConsumerUntouched(p.consumer, 2);
  // Exactly the block is fine.
  ASSERT_TRUE(p.consumer.Receive(Wire(MessageType::kHandOver, last, kBlock), rx).ok());
  EXPECT_EQ(rx.data().size(), kBlock);
  EXPECT_EQ(rx.data().data() + rx.data().size(), p.shm.data() + p.shm.size());
}

TEST(BulkHostilePeer, HandOverOfABlockTheReceiverOwns) {
  // The producer owns every block: a "hand-over" of any of them, free,
  // being written or lent, is refused and changes nothing.
  PoolPair p;
  auto writing = p.producer.Allocate();
  auto lent = p.producer.Allocate();
  ASSERT_TRUE(lent->Send(4).ok());
  RxBlock rx;
  for (std::uint32_t i = 0; i < PoolPair::kBlocks; ++i) {
    EXPECT_TRUE(
        p.producer.Receive(Wire(MessageType::kHandOver, i * kBlock, 4), rx).Is(kBlockIsOurs))
        << i;
  }
  const PoolStats s = p.producer.stats();
  EXPECT_EQ(s.writing, 1u);
  EXPECT_EQ(s.lent, 1u);
  EXPECT_EQ(s.free, PoolPair::kBlocks - 2);
  EXPECT_EQ(s.rejected, PoolPair::kBlocks);
  EXPECT_TRUE(writing->valid());
}

TEST(BulkHostilePeer, HandOverOfABlockAlreadyHeld) {
  PoolPair p;
  RxBlock first, second;
  ASSERT_TRUE(p.consumer.Receive(Wire(MessageType::kHandOver, kBlock, 8, 1), first).ok());
  EXPECT_TRUE(
      p.consumer.Receive(Wire(MessageType::kHandOver, kBlock, 16, 2), second).Is(kAlreadyReceived));
  EXPECT_FALSE(second.valid());
  // The first handle is unchanged: same length, same cookie.
  EXPECT_EQ(first.data().size(), 8u);
  EXPECT_EQ(first.cookie(), 1u);
  EXPECT_EQ(p.consumer.stats().borrowed, 1u);
}

TEST(BulkHostilePeer, ReleaseOfABlockNotHandedOver) {
  PoolPair p;
  auto writing = p.producer.Allocate();
  RxBlock none;
  // Free, being written, beyond the pool, misaligned.
  EXPECT_TRUE(p.producer.Receive(Wire(MessageType::kRelease, kBlock, 0), none).Is(kNotLent));
  EXPECT_TRUE(
      p.producer.Receive(Wire(MessageType::kRelease, writing->offset(), 0), none).Is(kNotLent));
  EXPECT_TRUE(p.producer.Receive(Wire(MessageType::kRelease, 1u << 30, 0), none).Is(kOutsidePool));
  EXPECT_TRUE(p.producer.Receive(Wire(MessageType::kRelease, 3, 0), none).Is(kMisaligned));
  // A release twice: the second is refused.
  ASSERT_TRUE(writing->Send(4).ok());
  const std::uint32_t lent = 0;  // Allocate takes the lowest free block
  ASSERT_TRUE(p.producer.Receive(Wire(MessageType::kRelease, lent, 0), none).ok());
  EXPECT_TRUE(p.producer.Receive(Wire(MessageType::kRelease, lent, 0), none).Is(kNotLent));
  EXPECT_EQ(p.producer.stats().rejected, 5u);
  EXPECT_EQ(p.producer.stats().free, PoolPair::kBlocks);
}

TEST(BulkHostilePeer, MalformedAndUnknownMessages) {
  PoolPair p;
  RxBlock rx;
  EXPECT_TRUE(p.consumer.Receive(RawWire(0xDEADBEEF, 0, 1, 0), rx).Is(kUnknownMessage));
  EXPECT_TRUE(p.consumer.Receive(RawWire(kReleaseType, 0, 9, 0), rx).Is(kReleaseWithLength));
  EXPECT_TRUE(p.consumer.Receive({}, rx).Is(kBadMessageSize));
  ExpectConsumerUntouched(p.consumer, 3);
}

TEST(BulkHostilePeer, AFloodOfHandOversIsBoundedByThePool) {
  // The peer hands over every block, then keeps going: every further
  // hand-over is a block we already hold, refused; our memory use is the
  // state array, whatever the peer sends.
  PoolPair p;
  std::vector<RxBlock> held(PoolPair::kBlocks);
  for (std::uint32_t i = 0; i < PoolPair::kBlocks; ++i) {
    ASSERT_TRUE(p.consumer.Receive(Wire(MessageType::kHandOver, i * kBlock, 1), held[i]).ok());
  }
  RxBlock extra;
  for (std::uint32_t n = 0; n < 10000; ++n) {
    const std::uint32_t off = (n % PoolPair::kBlocks) * kBlock;
    ASSERT_TRUE(
        p.consumer.Receive(Wire(MessageType::kHandOver, off, 1), extra).Is(kAlreadyReceived));
  }
  EXPECT_EQ(p.consumer.stats().borrowed, PoolPair::kBlocks);
  EXPECT_EQ(p.consumer.stats().rejected, 10000u);
  held.clear();
  EXPECT_EQ(p.to_producer.sent.size(), PoolPair::kBlocks);  // one release each
}

TEST(BulkHostilePeer, WritingTheCarveOutCannotReachTheAllocator) {
  // The peer scribbles over the whole carve-out: the pool's record is in
  // its own storage, so allocation and validation are unchanged.
  PoolPair p;
  auto b = p.producer.Allocate();
  ASSERT_TRUE(b->Send(4).ok());
  std::memset(p.shm.data(), 0xFF, p.shm.size());
  const PoolStats s = p.producer.stats();
  EXPECT_EQ(s.lent, 1u);
  EXPECT_EQ(s.free, PoolPair::kBlocks - 1);
  for (std::uint32_t i = 1; i < PoolPair::kBlocks; ++i) {
    auto next = p.producer.Allocate();
    ASSERT_TRUE(next.ok());
    next->Send(4).IgnoreError();
  }
  EXPECT_TRUE(p.producer.Allocate().status().Is(kNoFreeBlock));
}

TEST(BulkHostilePeer, BeforeConfigureEverythingIsRefused) {
  rpmsg::NoLock lock;
  PoolStorage<4> storage;
  Pool pool(storage.span(), lock);
  RxBlock rx;
  EXPECT_TRUE(pool.Receive(Wire(MessageType::kHandOver, 0, 1), rx).Is(kNotConfigured));
  EXPECT_EQ(pool.stats().rejected, 1u);
}

}  // namespace
}  // namespace tandem::bulk
