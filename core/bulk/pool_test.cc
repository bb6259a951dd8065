// The pool and its handles: allocate, fill, hand over, receive, release,
// and the ownership rules (no double free, no use after hand-over, stale
// handles after a reset, foreign offsets), cache maintenance at the
// hand-over points, and the wire form of the messages.
#include "tandem/bulk/pool.h"

#include <gtest/gtest.h>

#include <cstring>
#include <utility>

#include "bulk_test_support.h"
#include "tandem/bulk/errors.h"
#include "tandem/bulk/wire.h"

namespace tandem::bulk {
namespace {

using testing::PoolPair;
using testing::Wire;

TEST(BulkWire, RoundTrip) {
  std::array<std::byte, kMessageSize> bytes;
  EncodeMessage({MessageType::kHandOver, 0x1000, 77, 9}, bytes);
  EXPECT_TRUE(IsBulkMessage(bytes));
  auto m = ParseMessage(bytes);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, MessageType::kHandOver);
  EXPECT_EQ(m->offset, 0x1000u);
  EXPECT_EQ(m->length, 77u);
  EXPECT_EQ(m->cookie, 9u);
  // "BLK1" on the wire.
  EXPECT_EQ(static_cast<char>(bytes[0]), 'B');
  EXPECT_EQ(static_cast<char>(bytes[3]), '1');
}

TEST(BulkWire, RefusesMalformedMessages) {
  std::array<std::byte, kMessageSize> bytes;
  EncodeMessage({MessageType::kHandOver, 0, 1, 0}, bytes);
  EXPECT_TRUE(ParseMessage(ConstByteSpan(bytes).first(15)).status().Is(kBadMessageSize));
  std::array<std::byte, 17> longer{};
  EXPECT_TRUE(ParseMessage(longer).status().Is(kBadMessageSize));
  EXPECT_TRUE(ParseMessage(testing::RawWire(0x334B4C42, 0, 0, 0)).status().Is(kUnknownMessage));
  EXPECT_TRUE(
      ParseMessage(testing::RawWire(kReleaseType, 0, 4, 0)).status().Is(kReleaseWithLength));
  const std::byte text[] = {std::byte{'h'}, std::byte{'i'}, std::byte{'!'}, std::byte{0}};
  EXPECT_FALSE(IsBulkMessage(text));
  EXPECT_FALSE(IsBulkMessage({}));
}

TEST(BulkPool, ConfigureChecksItsArguments) {
  tandem::testing::FakeShm shm(4096);
  rpmsg::NoLock lock;
  PoolStorage<4> storage;
  Pool pool(storage.span(), lock);
  EXPECT_TRUE(pool.Configure({shm.region(), 0}).Is(kBadBlockSize));
  EXPECT_TRUE(pool.Configure({shm.region(), 100}).Is(kBadBlockSize));
  EXPECT_TRUE(pool.Configure({shm.region(), 8192}).Is(kBadBlockSize));
  EXPECT_TRUE(pool.Configure({shm::Region(), 64}).Is(kNoPoolMemory));
  EXPECT_TRUE(pool.Configure({shm.region(), 1024, 5, 0}).Is(kBadOwnedRange));
  EXPECT_TRUE(pool.Configure({shm.region(), 1024, 2, 3}).Is(kBadOwnedRange));
  EXPECT_TRUE(pool.Allocate().status().Is(kNotConfigured));
  // 4096 / 256 = 16 blocks, but the storage holds 4.
  ASSERT_TRUE(pool.Configure({shm.region(), 256}).ok());
  EXPECT_EQ(pool.block_count(), 4u);
  ASSERT_TRUE(pool.Configure({shm.region(), 1024, 1, 2}).ok());
  EXPECT_EQ(pool.state(0), BlockState::kPeer);
  EXPECT_EQ(pool.state(1), BlockState::kFree);
  EXPECT_EQ(pool.state(2), BlockState::kFree);
  EXPECT_EQ(pool.state(3), BlockState::kPeer);
}

TEST(BulkPool, HandOverAndReleaseMovesTheBlockBothWays) {
  PoolPair p;
  auto block = p.producer.Allocate();
  ASSERT_TRUE(block.ok());
  ASSERT_EQ(block->data().size(), 256u);
  std::memset(block->data().data(), 0x5A, 100);
  const std::uint32_t offset = block->offset();
  ASSERT_TRUE(block->Send(100, 42).ok());
  EXPECT_FALSE(block->valid());
  EXPECT_TRUE(block->data().empty());
  EXPECT_EQ(p.producer.state(offset / 256), BlockState::kLent);

  RxBlock rx;
  ASSERT_TRUE(p.PumpToConsumer(rx).ok());
  ASSERT_TRUE(rx.valid());
  EXPECT_EQ(rx.cookie(), 42u);
  EXPECT_EQ(rx.offset(), offset);
  ASSERT_EQ(rx.data().size(), 100u);
  // Zero copy: the consumer's view is the producer's bytes.
  EXPECT_EQ(rx.data().data(), p.shm.data() + offset);
  EXPECT_EQ(rx.data()[99], std::byte{0x5A});
  EXPECT_EQ(p.consumer.state(offset / 256), BlockState::kBorrowed);

  ASSERT_TRUE(rx.Release().ok());
  EXPECT_FALSE(rx.valid());
  EXPECT_EQ(p.consumer.state(offset / 256), BlockState::kPeer);
  ASSERT_TRUE(p.PumpToProducer().ok());
  EXPECT_EQ(p.producer.state(offset / 256), BlockState::kFree);

  const PoolStats ps = p.producer.stats();
  EXPECT_EQ(ps.handed_over, 1u);
  EXPECT_EQ(ps.returned, 1u);
  EXPECT_EQ(ps.free, PoolPair::kBlocks);
  const PoolStats cs = p.consumer.stats();
  EXPECT_EQ(cs.received, 1u);
  EXPECT_EQ(cs.released, 1u);
  EXPECT_EQ(cs.peer, PoolPair::kBlocks);
}

TEST(BulkPool, EveryBlockCanBeOutAtOnceThenAllocateSaysUnavailable) {
  PoolPair p;
  std::vector<RxBlock> held;
  for (std::uint32_t i = 0; i < PoolPair::kBlocks; ++i) {
    auto b = p.producer.Allocate();
    ASSERT_TRUE(b.ok());
    ASSERT_TRUE(b->Send(256, i).ok());
    RxBlock rx;
    ASSERT_TRUE(p.PumpToConsumer(rx).ok());
    held.push_back(std::move(rx));
  }
  EXPECT_TRUE(p.producer.Allocate().status().Is(kNoFreeBlock));
  EXPECT_EQ(p.producer.stats().lent, PoolPair::kBlocks);
  EXPECT_EQ(p.consumer.stats().borrowed, PoolPair::kBlocks);
  held.clear();  // destructors release
  EXPECT_EQ(p.to_producer.sent.size(), PoolPair::kBlocks);
  while (!p.to_producer.sent.empty()) ASSERT_TRUE(p.PumpToProducer().ok());
  EXPECT_EQ(p.producer.stats().free, PoolPair::kBlocks);
}

TEST(BulkPool, DoubleReleaseIsRefusedNotRepeated) {
  PoolPair p;
  auto b = p.producer.Allocate();
  ASSERT_TRUE(b->Send(8).ok());
  RxBlock rx;
  ASSERT_TRUE(p.PumpToConsumer(rx).ok());
  ASSERT_TRUE(rx.Release().ok());
  EXPECT_TRUE(rx.Release().Is(kEmptyHandle));
  EXPECT_EQ(p.to_producer.sent.size(), 1u);  // one release message only
  // A moved-from handle is empty too.
  auto b2 = p.producer.Allocate();
  ASSERT_TRUE(b2->Send(8).ok());
  RxBlock rx2;
  ASSERT_TRUE(p.PumpToConsumer(rx2).ok());
  RxBlock moved = std::move(rx2);
  EXPECT_TRUE(rx2.Release().Is(kEmptyHandle));
  EXPECT_TRUE(moved.Release().ok());
  EXPECT_EQ(p.to_producer.sent.size(), 2u);
}

TEST(BulkPool, UseAfterHandOverIsRefused) {
  PoolPair p;
  auto b = p.producer.Allocate();
  ASSERT_TRUE(b.ok());
  TxBlock block = std::move(*b);
  EXPECT_FALSE(b->valid());
  EXPECT_TRUE(b->Send(8).Is(kEmptyHandle));
  ASSERT_TRUE(block.Send(8).ok());
  EXPECT_TRUE(block.data().empty());
  EXPECT_TRUE(block.Send(8).Is(kEmptyHandle));
  EXPECT_EQ(p.to_consumer.sent.size(), 1u);  // handed over once
}

TEST(BulkPool, AnUnsentBlockGoesBackWhenDropped) {
  PoolPair p;
  {
    auto b = p.producer.Allocate();
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(p.producer.stats().writing, 1u);
  }
  EXPECT_EQ(p.producer.stats().free, PoolPair::kBlocks);
  EXPECT_TRUE(p.to_consumer.sent.empty());
}

TEST(BulkPool, ASendThatFailsLeavesTheBlockWithTheHandle) {
  PoolPair p;
  auto b = p.producer.Allocate();
  p.to_consumer.fail_next = 1;
  EXPECT_EQ(b->Send(8).code(), StatusCode::kAborted);
  EXPECT_TRUE(b->valid());
  EXPECT_EQ(p.producer.stats().writing, 1u);
  EXPECT_TRUE(b->Send(8).ok());
  EXPECT_TRUE(b->Send(257).Is(kEmptyHandle));
  auto c = p.producer.Allocate();
  EXPECT_TRUE(c->Send(257).Is(kLengthTooLarge));
}

TEST(BulkPool, AReleaseThatCannotBeSentIsCountedAndTheHandleIsEmpty) {
  PoolPair p;
  auto b = p.producer.Allocate();
  ASSERT_TRUE(b->Send(8).ok());
  RxBlock rx;
  ASSERT_TRUE(p.PumpToConsumer(rx).ok());
  p.to_producer.fail_next = 1;
  EXPECT_EQ(rx.Release().code(), StatusCode::kAborted);
  EXPECT_FALSE(rx.valid());
  EXPECT_EQ(p.consumer.stats().release_failures, 1u);
  EXPECT_EQ(p.consumer.state(0), BlockState::kPeer);
}

TEST(BulkPool, ResetMakesHandlesStaleAndGivesEveryBlockBack) {
  PoolPair p;
  auto writing = p.producer.Allocate();
  auto lent = p.producer.Allocate();
  ASSERT_TRUE(lent->Send(8).ok());
  RxBlock rx;
  ASSERT_TRUE(p.PumpToConsumer(rx).ok());
  p.producer.Reset();
  p.consumer.Reset();
  EXPECT_EQ(p.producer.stats().free, PoolPair::kBlocks);
  EXPECT_EQ(p.consumer.stats().peer, PoolPair::kBlocks);
  EXPECT_TRUE(writing->Send(8).Is(kStaleHandle));
  EXPECT_FALSE(writing->valid());
  EXPECT_TRUE(rx.Release().Is(kStaleHandle));
  EXPECT_TRUE(p.to_producer.sent.empty());  // nothing sent for a stale block
  // A stale handle dropped does not free a block someone else now has.
  auto again = p.producer.Allocate();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(p.producer.stats().writing, 1u);
}

TEST(BulkPool, ConfigureRefusesWhileBlocksAreOut) {
  PoolPair p;
  auto b = p.producer.Allocate();
  EXPECT_TRUE(p.producer.Configure({p.shm.region(), 512}).Is(kBlocksInUse));
  b->Send(8).IgnoreError();
  EXPECT_TRUE(p.producer.Configure({p.shm.region(), 512}).Is(kBlocksInUse));
  p.producer.Reset();
  ASSERT_TRUE(p.producer.Configure({p.shm.region(), 512}).ok());
  EXPECT_EQ(p.producer.block_count(), PoolPair::kBlocks / 2);
}

TEST(BulkPool, ForeignOffsetsAreNotOurs) {
  // A block of another pool, or one the application never got from this
  // pool, cannot be released or handed over here: handles are made only by
  // Allocate/Receive, and an offset from the peer is checked.
  PoolPair p;
  PoolPair other;
  auto b = other.producer.Allocate();
  ASSERT_TRUE(b->Send(8).ok());
  RxBlock foreign;
  ASSERT_TRUE(other.PumpToConsumer(foreign).ok());
  // Releasing it sends through *its* pool, never ours.
  ASSERT_TRUE(foreign.Release().ok());
  EXPECT_TRUE(p.to_producer.sent.empty());
  EXPECT_EQ(other.to_producer.sent.size(), 1u);
  // Its release message, given to our producer, refers to a block it never lent.
  RxBlock none;
  EXPECT_TRUE(p.producer.Receive(other.to_producer.sent.front(), none).Is(kNotLent));
  EXPECT_EQ(p.producer.stats().rejected, 1u);
}

TEST(BulkPool, CacheIsCleanedBeforeHandOverAndInvalidatedOnReceipt) {
  tandem::testing::RecordingCache cache;
  PoolPair p(256, &cache);
  auto b = p.producer.Allocate();
  const std::byte* at = b->data().data();
  cache.calls.clear();
  ASSERT_TRUE(b->Send(200).ok());
  EXPECT_TRUE(cache.Covered(true, at, 200));
  cache.calls.clear();
  RxBlock rx;
  ASSERT_TRUE(p.PumpToConsumer(rx).ok());
  EXPECT_TRUE(cache.Covered(false, at, 200));
}

TEST(BulkPool, BidirectionalPoolsSplitTheBlocks) {
  // Each side owns half and can send to the other.
  tandem::testing::FakeShm shm(8 * 256);
  rpmsg::NoLock lock;
  testing::RecordingSender a_out, b_out;
  PoolStorage<8> sa, sb;
  Pool a(sa.span(), lock, &a_out), b(sb.span(), lock, &b_out);
  ASSERT_TRUE(a.Configure({shm.region(), 256, 0, 4}).ok());
  ASSERT_TRUE(b.Configure({shm.region(), 256, 4, 4}).ok());
  auto from_a = a.Allocate();
  auto from_b = b.Allocate();
  EXPECT_LT(from_a->offset(), 4u * 256);
  EXPECT_GE(from_b->offset(), 4u * 256);
  ASSERT_TRUE(from_a->Send(1).ok());
  ASSERT_TRUE(from_b->Send(1).ok());
  RxBlock at_b, at_a;
  ASSERT_TRUE(b.Receive(a_out.sent.front(), at_b).ok());
  ASSERT_TRUE(a.Receive(b_out.sent.front(), at_a).ok());
}

}  // namespace
}  // namespace tandem::bulk
