#include "tandem/linux/mailbox.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "tandem/linux/deadline.h"
#include "tandem/linux/shared_memory.h"
#include "tandem/remoteproc/mailbox.h"

namespace tandem::linux_platform {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
namespace mb = remoteproc::mailbox;

constexpr std::uint32_t Control(std::uint32_t i) { return mb::kControlBase + i; }

// One formatted page and a mailbox per role over it, as host and core see it.
class MailboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto memory = SharedMemory::Create("mailbox-test", Mailbox::kPageSize);
    ASSERT_TRUE(memory.ok());
    memory_ = std::move(*memory);
    Mailbox::InitializePage(memory_.data());
    host_ = std::move(Mailbox::Create(memory_.data(), memory_.size(), MailboxRole::kHost).value());
    core_ = std::move(Mailbox::Create(memory_.data(), memory_.size(), MailboxRole::kCore).value());
  }

  SharedMemory memory_;
  std::unique_ptr<Mailbox> host_;
  std::unique_ptr<Mailbox> core_;
};

TEST_F(MailboxTest, ControlMessagesArriveInOrder) {
  for (std::uint32_t i = 0; i < Mailbox::kFifoCapacity; ++i) {
    ASSERT_TRUE(host_->Send(Control(i), milliseconds(0)).ok());
  }
  for (std::uint32_t i = 0; i < Mailbox::kFifoCapacity; ++i) {
    auto message = core_->Receive(milliseconds(100));
    ASSERT_TRUE(message.ok());
    EXPECT_EQ(*message, Control(i));
  }
  EXPECT_EQ(core_->TryReceive().status().code(), StatusCode::kUnavailable);
}

TEST_F(MailboxTest, DirectionsAreIndependent) {
  ASSERT_TRUE(host_->Send(mb::kShutdown).ok());
  ASSERT_TRUE(core_->Send(mb::kReady).ok());
  EXPECT_EQ(host_->TryReceive().value(), mb::kReady);
  EXPECT_EQ(core_->TryReceive().value(), mb::kShutdown);
  EXPECT_FALSE(host_->TryReceive().ok());
}

TEST_F(MailboxTest, RepeatedKicksOfOneVringCoalesce) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(core_->Send(3).ok());
  ASSERT_TRUE(core_->Send(1).ok());
  ASSERT_TRUE(core_->Send(63).ok());
  // Lowest notifyid first, each once.
  EXPECT_EQ(host_->TryReceive().value(), 1u);
  EXPECT_EQ(host_->TryReceive().value(), 3u);
  EXPECT_EQ(host_->TryReceive().value(), 63u);
  EXPECT_EQ(host_->TryReceive().status().code(), StatusCode::kUnavailable);
}

TEST_F(MailboxTest, NotifyIdsAbove63AreRejected) {
  EXPECT_EQ(host_->Send(64).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(host_->Send(mb::kControlBase - 1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(core_->TryReceive().status().code(), StatusCode::kUnavailable);
}

TEST_F(MailboxTest, ControlMessagesGoBeforePendingKicks) {
  ASSERT_TRUE(host_->Send(2).ok());
  ASSERT_TRUE(host_->Send(mb::kShutdown).ok());
  EXPECT_EQ(core_->TryReceive().value(), mb::kShutdown);
  EXPECT_EQ(core_->TryReceive().value(), 2u);
}

// Priority events (docs/doorbell.md) queue with the control messages: in
// order, never merged, ahead of the kicks that were already pending.
TEST_F(MailboxTest, PriorityEventsOvertakePendingKicksAndKeepTheirOrder) {
  ASSERT_TRUE(core_->Send(0).ok());
  ASSERT_TRUE(core_->Send(1).ok());
  ASSERT_TRUE(core_->Send(mb::MakeEvent(0x123456)).ok());
  ASSERT_TRUE(core_->Send(mb::MakeEvent(0x123456)).ok());  // not merged
  ASSERT_TRUE(core_->Send(mb::MakeEvent(0)).ok());
  EXPECT_EQ(host_->TryReceive().value(), mb::MakeEvent(0x123456));
  EXPECT_EQ(host_->TryReceive().value(), mb::MakeEvent(0x123456));
  EXPECT_EQ(host_->TryReceive().value(), mb::MakeEvent(0));
  EXPECT_EQ(host_->TryReceive().value(), 0u);
  EXPECT_EQ(host_->TryReceive().value(), 1u);
}

TEST_F(MailboxTest, FullFifoMakesTheSenderTimeOut) {
  for (std::uint32_t i = 0; i < Mailbox::kFifoCapacity; ++i) {
    ASSERT_TRUE(host_->Send(Control(i), milliseconds(0)).ok());
  }
  auto start = Clock::now();
  Status status = host_->Send(Control(99), milliseconds(30));
  EXPECT_EQ(status.code(), StatusCode::kDeadlineExceeded);
  EXPECT_GE(Clock::now() - start, milliseconds(30));
  // Kicks do not need FIFO room.
  EXPECT_TRUE(host_->Send(7, milliseconds(0)).ok());
  // Nothing was lost or replaced: the first message is still the first.
  EXPECT_EQ(core_->TryReceive().value(), Control(0));
}

TEST_F(MailboxTest, BlockedSenderProceedsWhenTheReceiverMakesRoom) {
  for (std::uint32_t i = 0; i < Mailbox::kFifoCapacity; ++i) {
    ASSERT_TRUE(host_->Send(Control(i), milliseconds(0)).ok());
  }
  host_->set_spin(std::chrono::nanoseconds(0));
  Status sent = Internal("not run");
  std::thread sender([&] { sent = host_->Send(Control(99), milliseconds(5000)); });
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(core_->TryReceive().value(), Control(0));
  sender.join();
  EXPECT_TRUE(sent.ok());
  for (std::uint32_t i = 1; i < Mailbox::kFifoCapacity; ++i) {
    EXPECT_EQ(core_->TryReceive().value(), Control(i));
  }
  EXPECT_EQ(core_->TryReceive().value(), Control(99));
}

TEST_F(MailboxTest, ReceiverTimesOutWhenNothingArrives) {
  auto start = Clock::now();
  auto message = host_->Receive(milliseconds(30));
  EXPECT_EQ(message.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_GE(Clock::now() - start, milliseconds(30));
  EXPECT_EQ(host_->Receive(milliseconds(0)).status().code(), StatusCode::kDeadlineExceeded);
}

TEST_F(MailboxTest, BlockedReceiverSleepsInTheFutexAndIsWoken) {
  core_->set_spin(std::chrono::nanoseconds(0));  // block at once
  Result<std::uint32_t> received = Internal("not run");
  std::thread receiver([&] { received = core_->Receive(milliseconds(5000)); });
  std::this_thread::sleep_for(milliseconds(30));
  auto sent_at = Clock::now();
  ASSERT_TRUE(host_->Send(mb::kEchoRequest).ok());
  receiver.join();
  auto latency = Clock::now() - sent_at;
  ASSERT_TRUE(received.ok());
  EXPECT_EQ(*received, mb::kEchoRequest);
  EXPECT_GE(core_->sleeps(), 1u);  // it really went to sleep
  EXPECT_LT(latency, milliseconds(1000));
}

TEST_F(MailboxTest, SpinningReceiverTakesAMessageWithoutSleeping) {
  core_->set_spin(std::chrono::seconds(2));
  Result<std::uint32_t> received = Internal("not run");
  std::thread receiver([&] { received = core_->Receive(milliseconds(5000)); });
  std::this_thread::sleep_for(milliseconds(5));
  ASSERT_TRUE(host_->Send(9).ok());
  receiver.join();
  ASSERT_TRUE(received.ok());
  EXPECT_EQ(*received, 9u);
  EXPECT_EQ(core_->sleeps(), 0u);
}

TEST_F(MailboxTest, InterruptWakesABlockedReceiverAndSticks) {
  host_->set_spin(std::chrono::nanoseconds(0));
  Result<std::uint32_t> received = Internal("not run");
  std::thread receiver([&] { received = host_->Receive(); });  // no timeout
  std::this_thread::sleep_for(milliseconds(20));
  host_->Interrupt();
  receiver.join();
  EXPECT_EQ(received.status().code(), StatusCode::kAborted);
  // Sticky, even with a message waiting.
  ASSERT_TRUE(core_->Send(mb::kReady).ok());
  EXPECT_EQ(host_->Receive(milliseconds(10)).status().code(), StatusCode::kAborted);
  EXPECT_EQ(host_->Send(mb::kShutdown).code(), StatusCode::kAborted);
  host_->ClearInterrupt();
  EXPECT_EQ(host_->Receive(milliseconds(10)).value(), mb::kReady);
}

TEST_F(MailboxTest, InterruptWakesASenderWaitingForRoom) {
  for (std::uint32_t i = 0; i < Mailbox::kFifoCapacity; ++i) {
    ASSERT_TRUE(host_->Send(Control(i), milliseconds(0)).ok());
  }
  Status sent = Internal("not run");
  std::thread sender([&] { sent = host_->Send(Control(99)); });  // no timeout
  std::this_thread::sleep_for(milliseconds(20));
  host_->Interrupt();
  sender.join();
  EXPECT_EQ(sent.code(), StatusCode::kAborted);
}

TEST_F(MailboxTest, PeerGoneDeliversWhatWasSentThenAborts) {
  ASSERT_TRUE(core_->Send(mb::kCrash).ok());
  ASSERT_TRUE(core_->Send(4).ok());
  host_->SetPeerGone();
  EXPECT_EQ(host_->Receive(milliseconds(10)).value(), mb::kCrash);
  EXPECT_EQ(host_->Receive(milliseconds(10)).value(), 4u);
  EXPECT_EQ(host_->Receive(milliseconds(1000)).status().code(), StatusCode::kAborted);
  EXPECT_EQ(host_->Send(mb::kShutdown).code(), StatusCode::kAborted);
}

TEST_F(MailboxTest, PeerGoneWakesABlockedReceiver) {
  Result<std::uint32_t> received = Internal("not run");
  std::thread receiver([&] { received = host_->Receive(); });
  std::this_thread::sleep_for(milliseconds(20));
  host_->SetPeerGone();
  receiver.join();
  EXPECT_EQ(received.status().code(), StatusCode::kAborted);
}

TEST_F(MailboxTest, RewoundProducerIndexIsDataLoss) {
  // The receiver has consumed 20 messages; then the page's indices go back
  // to 0 under it (a peer scribbling over the page).
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(host_->Send(Control(1)).ok());
    ASSERT_TRUE(core_->TryReceive().ok());
  }
  auto other = Mailbox::Create(memory_.data(), memory_.size(), MailboxRole::kHost);
  (*other)->ResetForNewCore();
  EXPECT_EQ(core_->TryReceive().status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(core_->Receive(milliseconds(10)).status().code(), StatusCode::kDataLoss);
  // And the sender that still believes in index 20 refuses to write.
  EXPECT_EQ(host_->Send(Control(2)).code(), StatusCode::kDataLoss);
}

TEST_F(MailboxTest, AttachingMailboxContinuesFromThePageIndices) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(host_->Send(Control(1)).ok());
    ASSERT_TRUE(core_->TryReceive().ok());
  }
  ASSERT_TRUE(core_->Send(mb::kReady).ok());
  // A new host (after an attach) picks up where the old one left off.
  auto host2 = Mailbox::Create(memory_.data(), memory_.size(), MailboxRole::kHost);
  ASSERT_TRUE(host2.ok());
  EXPECT_EQ((*host2)->TryReceive().value(), mb::kReady);
  ASSERT_TRUE((*host2)->Send(mb::kEchoRequest).ok());
  EXPECT_EQ(core_->TryReceive().value(), mb::kEchoRequest);
}

TEST_F(MailboxTest, WatchdogPetsAreVisibleToTheHost) {
  const std::uint32_t before = host_->WatchdogCount();
  core_->PetWatchdog();
  core_->PetWatchdog();
  EXPECT_EQ(host_->WatchdogCount(), before + 2);
  EXPECT_EQ(host_->core_stage(), CoreStage::kNotStarted);
  core_->SetCoreStage(CoreStage::kFirmwareEntered);
  EXPECT_EQ(host_->core_stage(), CoreStage::kFirmwareEntered);
}

TEST_F(MailboxTest, UnformattedOrShortPagesAreRejected) {
  auto blank = SharedMemory::Create("blank", Mailbox::kPageSize);
  ASSERT_TRUE(blank.ok());
  EXPECT_EQ(Mailbox::Create(blank->data(), blank->size(), MailboxRole::kHost).status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(Mailbox::Create(memory_.data(), 100, MailboxRole::kHost).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(Mailbox::Create(nullptr, Mailbox::kPageSize, MailboxRole::kHost).ok());
}

TEST_F(MailboxTest, ConcurrentSendersLoseNothing) {
  constexpr int kPerThread = 200;
  std::vector<std::thread> senders;
  for (int t = 0; t < 3; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        ASSERT_TRUE(host_->Send(Control(static_cast<std::uint32_t>(t))).ok());
      }
    });
  }
  int counts[3] = {0, 0, 0};
  for (int n = 0; n < 3 * kPerThread; ++n) {
    auto message = core_->Receive(milliseconds(5000));
    ASSERT_TRUE(message.ok());
    ASSERT_LT(*message - mb::kControlBase, 3u);
    ++counts[*message - mb::kControlBase];
  }
  for (auto& s : senders) s.join();
  EXPECT_EQ(counts[0], kPerThread);
  EXPECT_EQ(counts[1], kPerThread);
  EXPECT_EQ(counts[2], kPerThread);
}

// A hostile peer that keeps writing `value` into one word of the page until
// stopped (the attack of issue #10: zeroing the sleeper counts so that
// Signal() never calls FUTEX_WAKE).
class PageScribbler {
 public:
  PageScribbler(void* page, std::size_t offset, std::uint32_t value)
      : word_(reinterpret_cast<std::uint32_t*>(static_cast<char*>(page) + offset)),
        thread_([this, value] {
          while (!stop_.load()) {
            std::atomic_ref<std::uint32_t>(*word_).store(value);
            std::this_thread::yield();
          }
        }) {}
  ~PageScribbler() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::uint32_t* word_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

using Word = Mailbox::PageWord;

TEST_F(MailboxTest, ZeroedReceiverSleepersCannotHideOurInterrupt) {
  host_->set_spin(std::chrono::nanoseconds(0));
  Result<std::uint32_t> received = Internal("not run");
  std::thread receiver([&] { received = host_->Receive(std::chrono::seconds(5)); });
  PageScribbler peer(memory_.data(), Mailbox::OffsetOf(MailboxRole::kHost, Word::kReceiverSleepers),
                     0);
  std::this_thread::sleep_for(milliseconds(30));  // the receiver sleeps in the futex
  const auto interrupted_at = Clock::now();
  host_->Interrupt();
  receiver.join();
  EXPECT_EQ(received.status().code(), StatusCode::kAborted);
  EXPECT_LT(Clock::now() - interrupted_at, milliseconds(500));
}

TEST_F(MailboxTest, ZeroedReceiverSleepersCannotHidePeerGone) {
  host_->set_spin(std::chrono::nanoseconds(0));
  Result<std::uint32_t> received = Internal("not run");
  std::thread receiver([&] { received = host_->Receive(); });  // kForever
  PageScribbler peer(memory_.data(), Mailbox::OffsetOf(MailboxRole::kHost, Word::kReceiverSleepers),
                     0);
  std::this_thread::sleep_for(milliseconds(30));
  const auto gone_at = Clock::now();
  host_->SetPeerGone();
  receiver.join();
  EXPECT_EQ(received.status().code(), StatusCode::kAborted);
  EXPECT_LT(Clock::now() - gone_at, milliseconds(500));
}

TEST_F(MailboxTest, ZeroedSenderSleepersCannotHideOurInterrupt) {
  for (std::uint32_t i = 0; i < Mailbox::kFifoCapacity; ++i) {
    ASSERT_TRUE(host_->Send(Control(i), milliseconds(0)).ok());
  }
  host_->set_spin(std::chrono::nanoseconds(0));
  Status sent = Internal("not run");
  std::thread sender([&] { sent = host_->Send(Control(99)); });  // kForever
  PageScribbler peer(memory_.data(), Mailbox::OffsetOf(MailboxRole::kCore, Word::kSenderSleepers),
                     0);
  std::this_thread::sleep_for(milliseconds(30));
  const auto interrupted_at = Clock::now();
  host_->Interrupt();
  sender.join();
  EXPECT_EQ(sent.code(), StatusCode::kAborted);
  EXPECT_LT(Clock::now() - interrupted_at, milliseconds(500));
}

TEST_F(MailboxTest, GarbageSleeperCountsOnlyCostSpuriousWakeUps) {
  host_->set_spin(std::chrono::nanoseconds(0));
  PageScribbler peer(memory_.data(), Mailbox::OffsetOf(MailboxRole::kHost, Word::kReceiverSleepers),
                     0xFFFFFFFFu);
  ASSERT_TRUE(core_->Send(mb::kReady).ok());
  EXPECT_EQ(host_->Receive(milliseconds(500)).value(), mb::kReady);
  Result<std::uint32_t> received = Internal("not run");
  std::thread receiver([&] { received = host_->Receive(); });
  std::this_thread::sleep_for(milliseconds(20));
  host_->Interrupt();
  receiver.join();
  EXPECT_EQ(received.status().code(), StatusCode::kAborted);
}

// The peer suppresses the wake-up for its own message: we still see it,
// one sleep slice late at most.
TEST_F(MailboxTest, SuppressedPeerWakeUpCostsAtMostOneSleepSlice) {
  host_->set_spin(std::chrono::nanoseconds(0));
  Result<std::uint32_t> received = Internal("not run");
  std::thread receiver([&] { received = host_->Receive(std::chrono::seconds(5)); });
  PageScribbler peer(memory_.data(), Mailbox::OffsetOf(MailboxRole::kHost, Word::kReceiverSleepers),
                     0);
  std::this_thread::sleep_for(milliseconds(30));
  const auto sent_at = Clock::now();
  ASSERT_TRUE(core_->Send(mb::kReady).ok());
  receiver.join();
  ASSERT_TRUE(received.ok());
  EXPECT_EQ(*received, mb::kReady);
  EXPECT_LT(Clock::now() - sent_at, kMaxSleepSlice + milliseconds(400));
}

// The peer zeroes the sleeper count once, while our receiver sleeps: after
// its next slice the count says again that it sleeps, so the peer's
// wake-ups reach it (before: the count wrapped to 0xFFFFFFFF on waking and
// read 0 during every later sleep, and every message was a slice late).
TEST_F(MailboxTest, SleeperCountZeroedOnceIsRightAgainAfterOneSlice) {
  host_->set_spin(std::chrono::nanoseconds(0));
  auto* sleepers = reinterpret_cast<std::uint32_t*>(
      memory_.data() + Mailbox::OffsetOf(MailboxRole::kHost, Word::kReceiverSleepers));
  Result<std::uint32_t> received = Internal("not run");
  std::thread receiver([&] { received = host_->Receive(std::chrono::seconds(10)); });
  auto wait_for_sleeps = [&](std::uint64_t n) {
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (host_->sleeps() < n && Clock::now() < deadline)
      std::this_thread::sleep_for(milliseconds(1));
    return host_->sleeps() >= n;
  };
  ASSERT_TRUE(wait_for_sleeps(1));
  std::atomic_ref<std::uint32_t>(*sleepers).store(0);  // the peer's one write
  // The receiver's slice ends, it looks again and sleeps again.
  ASSERT_TRUE(wait_for_sleeps(2));
  EXPECT_EQ(std::atomic_ref<std::uint32_t>(*sleepers).load(), 1u);
  ASSERT_TRUE(core_->Send(mb::kReady).ok());
  receiver.join();
  ASSERT_TRUE(received.ok());
  EXPECT_EQ(*received, mb::kReady);
  EXPECT_EQ(std::atomic_ref<std::uint32_t>(*sleepers).load(), 0u);
}

TEST_F(MailboxTest, ForeverAndHugeTimeoutsDoNotOverflow) {
  // Each of these computes a deadline from the timeout; UBSan (asan preset)
  // aborts on a signed overflow there.
  ASSERT_TRUE(core_->Send(mb::kReady, Mailbox::kForever).ok());
  EXPECT_EQ(host_->Receive(Mailbox::kForever).value(), mb::kReady);
  ASSERT_TRUE(core_->Send(3, std::chrono::nanoseconds::max() - std::chrono::nanoseconds(1)).ok());
  EXPECT_EQ(host_->Receive(std::chrono::nanoseconds::max() - std::chrono::seconds(1)).value(), 3u);
  // A huge spin budget is cut at the deadline.
  host_->set_spin(std::chrono::nanoseconds::max());
  const auto start = Clock::now();
  EXPECT_EQ(host_->Receive(milliseconds(20)).status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_LT(Clock::now() - start, milliseconds(2000));
  // And a huge wait still ends on Interrupt.
  Result<std::uint32_t> received = Internal("not run");
  std::thread receiver(
      [&] { received = host_->Receive(std::chrono::nanoseconds::max() - std::chrono::hours(1)); });
  std::this_thread::sleep_for(milliseconds(20));
  host_->Interrupt();
  receiver.join();
  EXPECT_EQ(received.status().code(), StatusCode::kAborted);
}

TEST(SaturatingDeadline, SaturatesInsteadOfOverflowing) {
  using TimePoint = std::chrono::steady_clock::time_point;
  const auto now = Clock::now();
  EXPECT_EQ(SaturatingDeadline(now, Mailbox::kForever), TimePoint::max());
  EXPECT_EQ(SaturatingDeadline(now, milliseconds::max()), TimePoint::max());
  EXPECT_EQ(SaturatingDeadline(now, std::chrono::hours::max()), TimePoint::max());
  EXPECT_EQ(SaturatingDeadline(now, std::chrono::nanoseconds::max() - std::chrono::nanoseconds(1)),
            TimePoint::max());
  EXPECT_EQ(SaturatingDeadline(now, milliseconds(5)), now + milliseconds(5));
  EXPECT_EQ(SaturatingDeadline(now, milliseconds(-5)), now);
  EXPECT_EQ(SaturatingDeadline(now, milliseconds::min()), now);
  EXPECT_EQ(SleepSlice(TimePoint::max()), kMaxSleepSlice);
  EXPECT_EQ(SleepSlice(now - milliseconds(1)), std::chrono::nanoseconds::zero());
}

// The futex is a shared one: a receiver in another process (forked, the
// page inherited as a MAP_SHARED memfd mapping) is woken by our sends.
TEST_F(MailboxTest, WorksAcrossProcessesThroughTheSharedFutex) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Echo 50 messages back as message + 1, blocking without spinning.
    core_->set_spin(std::chrono::nanoseconds(0));
    for (int i = 0; i < 50; ++i) {
      auto m = core_->Receive(milliseconds(5000));
      if (!m.ok() || !core_->Send(*m + 1, milliseconds(5000)).ok()) _exit(1);
    }
    _exit(0);
  }
  host_->set_spin(std::chrono::nanoseconds(0));
  for (std::uint32_t i = 0; i < 50; ++i) {
    ASSERT_TRUE(host_->Send(Control(2 * i)).ok());
    auto reply = host_->Receive(milliseconds(5000));
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(*reply, Control(2 * i + 1));
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace tandem::linux_platform
