#include "tandem/remote/bsp_mailbox.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "tandem/remoteproc/mailbox.h"
#include "tandem/testing/fake_board.h"

namespace tandem::remote {
namespace {

namespace mailbox = remoteproc::mailbox;
using testing::FakeBoard;

constexpr std::uint64_t kSlice = 20'000'000;

TEST(BspMailbox, WaitStashesWhatArrivesAndMovesTheEpoch) {
  FakeBoard board;
  MailboxStash stash;
  BspMailbox mbox(board.bsp(), stash, kSlice);
  board.inbox = {mailbox::kShutdown};
  const std::uint32_t epoch = mbox.PrepareWait();
  mbox.Wait(epoch, mbox.Now() + 1'000'000'000);
  EXPECT_NE(mbox.PrepareWait(), epoch);
  EXPECT_EQ(stash.TakeControl(), mailbox::kShutdown);
}

TEST(BspMailbox, WaitNeverBlocksLongerThanOneSliceAndPetsTheWatchdog) {
  FakeBoard board;
  MailboxStash stash;
  BspMailbox mbox(board.bsp(), stash, kSlice);
  const std::uint64_t start = board.now_ns;
  mbox.Wait(mbox.PrepareWait(), start + 15'000'000'000ull);  // a 15 s send timeout
  EXPECT_EQ(board.waits, 1);
  EXPECT_EQ(board.longest_wait_ns, kSlice);
  EXPECT_EQ(board.now_ns - start, kSlice);
  EXPECT_EQ(board.pets, 1);
}

TEST(BspMailbox, WaitUsesOnlyTheRemainingTimeBeforeTheDeadline) {
  FakeBoard board;
  MailboxStash stash;
  BspMailbox mbox(board.bsp(), stash, kSlice);
  mbox.Wait(mbox.PrepareWait(), board.now_ns + 3'000);
  EXPECT_EQ(board.longest_wait_ns, 3'000u);
}

TEST(BspMailbox, WaitReturnsAtOnceIfTheEpochMovedOrTheDeadlinePassed) {
  FakeBoard board;
  MailboxStash stash;
  BspMailbox mbox(board.bsp(), stash, kSlice);
  const std::uint32_t epoch = mbox.PrepareWait();
  mbox.Wake();
  mbox.Wait(epoch, board.now_ns + 1'000'000'000);
  mbox.Wait(mbox.PrepareWait(), board.now_ns);  // deadline is now
  EXPECT_EQ(board.waits, 0);
}

TEST(BspMailbox, KicksArriveAsAPendingFlag) {
  FakeBoard board;
  MailboxStash stash;
  BspMailbox mbox(board.bsp(), stash, kSlice);
  board.inbox = {1};
  EXPECT_TRUE(mbox.Receive(kSlice).ok());
  EXPECT_TRUE(stash.TakeKick());
  EXPECT_EQ(mbox.Receive(kSlice).code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(board.pets, 2);
}

TEST(BspMailbox, MailboxFailureIsLatched) {
  FakeBoard board;
  MailboxStash stash;
  BspMailbox mbox(board.bsp(), stash, kSlice);
  board.wait_result = TANDEM_BSP_EBROKEN;
  EXPECT_EQ(mbox.Receive(kSlice).code(), StatusCode::kDataLoss);
  board.wait_result = TANDEM_BSP_OK;
  board.inbox = {mailbox::kShutdown};
  EXPECT_EQ(mbox.Receive(kSlice).code(), StatusCode::kDataLoss);  // latched: not read again
  EXPECT_EQ(mbox.failure().code(), StatusCode::kDataLoss);
  const int waits = board.waits;
  mbox.Wait(mbox.PrepareWait(), board.now_ns + 1'000'000'000);
  EXPECT_EQ(board.waits, waits);  // no more waiting on a failed mailbox
  EXPECT_EQ(board.inbox.size(), 1u);
}

TEST(BspMailbox, NotifySendsTheNotifyIdAndCountsFailures) {
  FakeBoard board;
  MailboxStash stash;
  BspMailbox mbox(board.bsp(), stash, kSlice);
  EXPECT_TRUE(mbox.Notify(1).ok());
  EXPECT_EQ(board.sent, (std::vector<std::uint32_t>{1}));
  board.send_result = TANDEM_BSP_EINVAL;
  EXPECT_EQ(mbox.Notify(99).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(mbox.notify_errors(), 1u);
}

TEST(BspMailbox, SendControlReportsAFullQueueAsDeadlineExceeded) {
  FakeBoard board;
  MailboxStash stash;
  BspMailbox mbox(board.bsp(), stash, kSlice);
  EXPECT_TRUE(mbox.SendControl(mailbox::kShutdownAck).ok());
  board.send_result = TANDEM_BSP_TIMEOUT;
  EXPECT_EQ(mbox.SendControl(mailbox::kShutdownAck).code(), StatusCode::kDeadlineExceeded);
  board.send_result = TANDEM_BSP_EABORTED;
  EXPECT_EQ(mbox.SendControl(mailbox::kShutdownAck).code(), StatusCode::kAborted);
  EXPECT_EQ(board.CountSent(mailbox::kShutdownAck), 1u);
}

}  // namespace
}  // namespace tandem::remote
