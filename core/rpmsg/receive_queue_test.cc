#include "tandem/rpmsg/receive_queue.h"

#include <gtest/gtest.h>

#include <vector>

namespace tandem::rpmsg {
namespace {

// A move-only handle like RxBuffer: empty after a move.
struct Token {
  Token() = default;
  explicit Token(int v) : value(v) {}
  Token(Token&& o) noexcept : value(o.value) { o.value = 0; }
  Token& operator=(Token&& o) noexcept {
    value = o.value;
    o.value = 0;
    return *this;
  }
  Token(const Token&) = delete;
  Token& operator=(const Token&) = delete;
  bool valid() const { return value != 0; }
  int value = 0;
};
using Queue = BasicReceiveQueue<Token>;

TEST(ReceiveQueue, DefaultHasNoStorage) {
  Queue q;
  EXPECT_FALSE(q.attached());
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.capacity(), 0u);
}

TEST(ReceiveQueue, StorageMustBeNonEmptyAndHoldEmptyHandles) {
  EXPECT_TRUE(Queue::CheckStorage({}).Is(kBadQueueStorage));
  std::vector<Token> storage(3);
  EXPECT_TRUE(Queue::CheckStorage(storage).ok());
  storage[2] = Token(7);
  const Status s = Queue::CheckStorage(storage);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(s.Is(kBadQueueStorage));
  // The RxBuffer instantiation, compiled in receive_queue.cc.
  EXPECT_TRUE(ReceiveQueue::CheckStorage({}).Is(kBadQueueStorage));
  RxBuffer rx[2];
  EXPECT_TRUE(ReceiveQueue::CheckStorage(rx).ok());
}

TEST(ReceiveQueue, EmptyThenFullThenEmptyInFifoOrder) {
  Token storage[3];
  Queue q(storage);
  EXPECT_TRUE(q.attached());
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.full());
  for (int i = 1; i <= 3; ++i) q.Push(Token(i));
  EXPECT_TRUE(q.full());
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.front().value, 1);
  for (int i = 1; i <= 3; ++i) {
    Token t = q.Pop();
    EXPECT_EQ(t.value, i);
    EXPECT_FALSE(storage[i - 1].valid());  // moved out of the storage
  }
  EXPECT_TRUE(q.empty());
}

TEST(ReceiveQueue, WrapsAroundACapacityThatIsNotAPowerOfTwo) {
  Token storage[3];
  Queue q(storage);
  int next_in = 1;
  int next_out = 1;
  // Push two, pop one, many times: head and tail cross the end repeatedly.
  for (int round = 0; round < 10; ++round) {
    while (!q.full()) q.Push(Token(next_in++));
    EXPECT_EQ(q.Pop().value, next_out++);
    EXPECT_EQ(q.Pop().value, next_out++);
  }
  while (!q.empty()) EXPECT_EQ(q.Pop().value, next_out++);
  EXPECT_EQ(next_in, next_out);
}

TEST(ReceiveQueue, DrainVisitsOldestFirstFromAWrappedHeadAndEmpties) {
  Token storage[4];
  Queue q(storage);
  for (int i = 1; i <= 4; ++i) q.Push(Token(i));
  EXPECT_EQ(q.Pop().value, 1);
  EXPECT_EQ(q.Pop().value, 2);
  q.Push(Token(5));  // lands in slot 0: the queue wraps
  std::vector<int> seen;
  q.Drain([&](Token& t) {
    seen.push_back(t.value);
    t = Token();
  });
  EXPECT_EQ(seen, (std::vector<int>{3, 4, 5}));
  EXPECT_TRUE(q.empty());
  for (const Token& t : storage) EXPECT_FALSE(t.valid());
  // Usable again, from the start of the storage.
  q.Push(Token(9));
  EXPECT_EQ(storage[0].value, 9);
}

TEST(ReceiveQueue, CapacityOneAlternates) {
  Token storage[1];
  Queue q(storage);
  for (int i = 1; i <= 5; ++i) {
    q.Push(Token(i));
    EXPECT_TRUE(q.full());
    EXPECT_EQ(q.Pop().value, i);
    EXPECT_TRUE(q.empty());
  }
}

// Issue #10: storage shared by two queues. Pushing over a live handle would
// release it under the bus lock; can_push() says no instead.
TEST(ReceiveQueue, NeverPushesOverALiveHandle) {
  Token storage[2];
  Queue a(storage);
  Queue b(storage);
  EXPECT_TRUE(a.Overlaps(storage));
  EXPECT_TRUE(a.Overlaps(std::span(storage).subspan(1)));
  Token other[1];
  EXPECT_FALSE(a.Overlaps(other));
  ASSERT_TRUE(a.can_push());
  a.Push(Token(1));
  EXPECT_FALSE(b.can_push());  // b's tail is a's head
  EXPECT_TRUE(a.can_push());
  EXPECT_EQ(a.Pop().value, 1);
  EXPECT_TRUE(b.can_push());
}

}  // namespace
}  // namespace tandem::rpmsg
