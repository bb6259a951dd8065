#include "tandem/remote/mailbox_stash.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tandem/remoteproc/mailbox.h"

namespace tandem::remote {
namespace {

namespace mailbox = remoteproc::mailbox;

std::vector<std::uint32_t> DrainControls(MailboxStash& stash) {
  std::vector<std::uint32_t> out;
  while (auto m = stash.TakeControl()) out.push_back(*m);
  return out;
}

TEST(MailboxStash, KicksOfAnyVringCoalesceIntoOnePendingFlag) {
  MailboxStash stash;
  EXPECT_FALSE(stash.TakeKick());
  stash.Put(0);
  stash.Put(1);
  stash.Put(63);
  EXPECT_EQ(stash.kicks(), 3u);
  EXPECT_TRUE(stash.kick_pending());
  EXPECT_TRUE(stash.TakeKick());
  EXPECT_FALSE(stash.TakeKick());  // taken once
  EXPECT_FALSE(stash.has_control());
}

TEST(MailboxStash, PendingMessageIsAKickNotAControlMessage) {
  MailboxStash stash;
  stash.Put(mailbox::kPendingMessage);
  EXPECT_TRUE(stash.TakeKick());
  EXPECT_FALSE(stash.TakeControl().has_value());
}

TEST(MailboxStash, ControlMessagesComeOutInArrivalOrder) {
  MailboxStash stash;
  stash.Put(mailbox::kEchoRequest);
  stash.Put(0);  // a kick in between does not disturb the order
  stash.Put(mailbox::kVdevReset);
  stash.Put(mailbox::kShutdown);
  EXPECT_EQ(
      DrainControls(stash),
      (std::vector<std::uint32_t>{mailbox::kEchoRequest, mailbox::kVdevReset, mailbox::kShutdown}));
  EXPECT_TRUE(stash.TakeKick());
}

TEST(MailboxStash, FifoWrapsAroundWithoutLosingOrder) {
  MailboxStash stash;
  std::vector<std::uint32_t> expected;
  for (std::uint32_t round = 0; round < 3; ++round) {
    expected.clear();
    for (std::uint32_t i = 0; i < MailboxStash::kControlCapacity - 3; ++i) {
      const std::uint32_t m = 0xFFFFFF40 + round * 16 + i;
      stash.Put(m);
      expected.push_back(m);
    }
    EXPECT_EQ(DrainControls(stash), expected);
  }
  EXPECT_EQ(stash.dropped_controls(), 0u);
}

TEST(MailboxStash, FullFifoDropsAndCountsFurtherControlMessages) {
  MailboxStash stash;
  for (std::size_t i = 0; i < MailboxStash::kControlCapacity; ++i) stash.Put(mailbox::kEchoRequest);
  stash.Put(mailbox::kVdevReset);
  stash.Put(mailbox::kEchoRequest);
  EXPECT_EQ(stash.dropped_controls(), 2u);
  const auto drained = DrainControls(stash);
  EXPECT_EQ(drained.size(), MailboxStash::kControlCapacity);
  for (std::uint32_t m : drained) EXPECT_EQ(m, mailbox::kEchoRequest);
}

TEST(MailboxStash, ShutdownIsDeliveredEvenWhenTheFifoIsFull) {
  MailboxStash stash;
  for (std::size_t i = 0; i < MailboxStash::kControlCapacity; ++i) stash.Put(mailbox::kEchoRequest);
  stash.Put(mailbox::kShutdown);
  EXPECT_EQ(stash.dropped_controls(), 0u);
  const auto drained = DrainControls(stash);
  ASSERT_EQ(drained.size(), MailboxStash::kControlCapacity + 1);
  EXPECT_EQ(drained.back(), mailbox::kShutdown);  // after everything that came before it
  EXPECT_FALSE(stash.has_control());
}

TEST(MailboxStash, EventsQueueInOrderWithControlsAndAreTakenBeforeKicks) {
  MailboxStash stash;
  stash.Put(0);  // a kick first
  stash.Put(mailbox::MakeEvent(5));
  stash.Put(mailbox::kEchoRequest);
  stash.Put(mailbox::MakeEvent(6));
  EXPECT_EQ(stash.invalid_messages(), 0u);
  EXPECT_EQ(DrainControls(stash),
            (std::vector<std::uint32_t>{mailbox::MakeEvent(5), mailbox::kEchoRequest,
                                        mailbox::MakeEvent(6)}));
  EXPECT_TRUE(stash.TakeKick());
}

TEST(MailboxStash, ValuesBetweenNotifyIdsAndTheControlRangeAreCountedAndDropped) {
  MailboxStash stash;
  stash.Put(64);
  stash.Put(0x12345678);
  stash.Put(mailbox::kControlBase - 1);
  stash.Put(mailbox::kEventBase - 1);
  EXPECT_EQ(stash.invalid_messages(), 4u);
  EXPECT_FALSE(stash.kick_pending());
  EXPECT_FALSE(stash.has_control());
}

}  // namespace
}  // namespace tandem::remote
