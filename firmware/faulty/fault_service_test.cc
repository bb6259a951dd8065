// The faulty image's fault service on a RemoteNode against a real HostBus
// (firmware/common/testing). The faults that end the core run in death
// tests; "hang" is left to the host's watchdog tests (it never returns).

#include "fault_service.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tandem/remote/echo_service.h"
#include "tandem/remoteproc/mailbox.h"
#include "tandem/testing/fake_board.h"
#include "tandem/testing/fake_host.h"
#include "tandem/virtio/ring_layout.h"

namespace tandem::remote::faulty {
namespace {

namespace mailbox = remoteproc::mailbox;
using remote::testing::Bytes;
using remote::testing::FakeBoard;
using remote::testing::FakeHost;
using remote::testing::RecordingDriver;

TEST(ParseFault, KnowsEveryCommandAndIgnoresTrailingWhitespaceAndNul) {
  EXPECT_EQ(ParseFault(Bytes("segv")), Fault::kSegv);
  EXPECT_EQ(ParseFault(Bytes("ill\n")), Fault::kIllegal);
  EXPECT_EQ(ParseFault(Bytes(std::string("abort\0", 6))), Fault::kAbort);
  EXPECT_EQ(ParseFault(Bytes("hang \r\n")), Fault::kHang);
  EXPECT_EQ(ParseFault(Bytes("ignore-shutdown")), Fault::kIgnoreShutdown);
  EXPECT_EQ(ParseFault(Bytes("report-crash")), Fault::kReportCrash);
  EXPECT_EQ(ParseFault(Bytes("corrupt-ring")), Fault::kCorruptRing);
  EXPECT_EQ(ParseFault(Bytes("help")), Fault::kHelp);
  EXPECT_EQ(ParseFault(Bytes("log anything at all")), Fault::kLog);
  EXPECT_EQ(ParseFault(Bytes("log")), Fault::kUnknown);  // no text
}

TEST(ParseFault, AnythingElseIsUnknown) {
  EXPECT_EQ(ParseFault(Bytes("")), Fault::kUnknown);
  EXPECT_EQ(ParseFault(Bytes("segvx")), Fault::kUnknown);
  EXPECT_EQ(ParseFault(Bytes("seg")), Fault::kUnknown);
  EXPECT_EQ(ParseFault(Bytes(" segv")), Fault::kUnknown);
  EXPECT_EQ(ParseFault(Bytes("SEGV")), Fault::kUnknown);
}

class FaultyTest : public ::testing::Test {
 protected:
  FaultyTest()
      : host_(board_),
        node_(std::make_unique<RemoteNode>(board_.bsp(), host_.node_config("faulty"))),
        echo_(*node_),
        fault_(*node_) {
    EXPECT_TRUE(node_->AddEndpoint(echo_endpoint_, EchoService::kName, echo_).ok());
    EXPECT_TRUE(node_->AddEndpoint(fault_endpoint_, FaultService::kName, fault_).ok());
    node_->SetLoopHook(&fault_);
    EXPECT_TRUE(host_.bus().RegisterDriver(FaultService::kName, driver_).ok());
  }

  // Boots the host, sends `command` once the fault channel is bound, and
  // calls `then` on every later host turn.
  int Command(const std::string& command, std::function<void()> then = {}) {
    bool sent = false;
    board_.on_wait = [this, command, then, &sent] {
      if (board_.waits == 1) host_.Boot();
      host_.Poll().IgnoreError();
      if (!sent && !driver_.bound.empty()) {
        EXPECT_TRUE(driver_.bound[0]->TrySend(Bytes(command)).ok());
        sent = true;
      } else if (sent && then) {
        then();
      }
    };
    return node_->Run();
  }
  void Shutdown() {
    if (!shutdown_) board_.inbox.push_back(mailbox::kShutdown);
    shutdown_ = true;
  }
  std::vector<std::string> Replies() const {
    std::vector<std::string> out;
    for (const auto& m : driver_.messages) out.push_back(m.text);
    return out;
  }

  FakeBoard board_;
  FakeHost host_;
  std::unique_ptr<RemoteNode> node_;
  EchoService echo_;
  FaultService fault_;
  rpmsg::Endpoint echo_endpoint_, fault_endpoint_;
  RecordingDriver driver_;
  bool shutdown_ = false;
};

TEST_F(FaultyTest, UnknownCommandIsAnsweredWithAnError) {
  EXPECT_EQ(Command("reboot\n",
                    [this] {
                      if (!driver_.messages.empty()) Shutdown();
                    }),
            RemoteNode::kExitClean);
  EXPECT_EQ(Replies(), (std::vector<std::string>{"error unknown command: reboot."}));
}

TEST_F(FaultyTest, HelpListsTheCommands) {
  EXPECT_EQ(Command("help",
                    [this] {
                      if (!driver_.messages.empty()) Shutdown();
                    }),
            RemoteNode::kExitClean);
  ASSERT_EQ(Replies().size(), 1u);
  EXPECT_NE(Replies()[0].find("corrupt-ring"), std::string::npos);
}

TEST_F(FaultyTest, LogWritesTheTextAsItIs) {
  EXPECT_EQ(Command("log \x1b[2Jgotcha\n",
                    [this] {
                      if (!driver_.messages.empty()) Shutdown();
                    }),
            RemoteNode::kExitClean);
  EXPECT_EQ(Replies(), (std::vector<std::string>{"ok log"}));
  EXPECT_NE(board_.console.find("\x1b[2Jgotcha\n"), std::string::npos);
}

TEST_F(FaultyTest, IgnoreShutdownRepliesThenIgnoresEveryShutdown) {
  board_.max_waits = 200;  // the "forced reset": the board aborts the mailbox
  int shutdowns = 0;
  EXPECT_EQ(Command("ignore-shutdown",
                    [&] {
                      if (!driver_.messages.empty() && shutdowns < 3) {
                        board_.inbox.push_back(mailbox::kShutdown);
                        ++shutdowns;
                      }
                    }),
            RemoteNode::kExitMailbox);
  EXPECT_EQ(Replies(), (std::vector<std::string>{"ok ignore-shutdown"}));
  EXPECT_EQ(node_->counters().ignored_shutdowns, 3u);
  EXPECT_EQ(board_.CountSent(mailbox::kShutdownAck), 0u);
}

TEST_F(FaultyTest, ReportCrashSendsCrashAfterTheReplyAndKeepsRunning) {
  std::size_t reply_kicks_before_crash = 0;
  board_.on_send = [&](std::uint32_t m) {
    if (m == mailbox::kCrash) reply_kicks_before_crash = board_.CountSent(0);
  };
  EXPECT_EQ(Command("report-crash",
                    [&] {
                      if (board_.CountSent(mailbox::kCrash) > 0) Shutdown();
                    }),
            RemoteNode::kExitClean);
  EXPECT_EQ(Replies(), (std::vector<std::string>{"ok report-crash"}));
  EXPECT_EQ(board_.CountSent(mailbox::kCrash), 1u);
  EXPECT_GE(reply_kicks_before_crash, 1u);  // the reply's kick went out first
  EXPECT_EQ(board_.CountSent(mailbox::kShutdownAck), 1u);
}

TEST_F(FaultyTest, CorruptRingBreaksTheHostsLinkButNotTheRemote) {
  Status host_status;
  EXPECT_EQ(Command("corrupt-ring",
                    [&] {
                      if (!host_.bus().status().ok()) {
                        host_status = host_.bus().status();
                        Shutdown();
                      }
                    }),
            RemoteNode::kExitClean);
  EXPECT_EQ(Replies(), (std::vector<std::string>{"ok corrupt-ring"}));
  EXPECT_EQ(host_status.code(), StatusCode::kDataLoss);
  // The damage is what the contract says.
  const auto layout = virtio::RingLayout::Compute(256, 4096).value();
  auto ring = host_.window().region();
  const std::size_t base = remote::testing::kVring0Da - remote::testing::kWindowDa;
  const std::uint16_t idx = ring.Read<Le16>(base + layout.used_idx()).value().get();
  const std::uint16_t slot = static_cast<std::uint16_t>((idx - FaultService::kUsedIdxJump) % 256);
  EXPECT_EQ(ring.Read<Le32>(base + layout.used_ring(slot)).value().get(),
            FaultService::kBogusUsedId);
  EXPECT_EQ(ring.Read<Le32>(base + layout.used_ring(slot) + 4).value().get(),
            FaultService::kBogusUsedLen);
  EXPECT_EQ(node_->link_state(), RemoteNode::LinkState::kWaitingForDriver);  // stopped by shutdown
}

TEST_F(FaultyTest, CorruptRingWithoutALinkIsRefused) {
  EXPECT_EQ(FaultService::CorruptUsedRing(*node_).code(), StatusCode::kFailedPrecondition);
}

using FaultyDeathTest = FaultyTest;

TEST_F(FaultyDeathTest, SegvCrashesTheCore) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(Command("segv"), "");
}

TEST_F(FaultyDeathTest, IllCrashesTheCore) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(Command("ill"), "");
}

TEST_F(FaultyDeathTest, AbortExitsThroughTheBoardWithCode134) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // FakeBoard's exit() records the code and aborts (a firmware must not
  // return from it): reaching it at all is the check.
  EXPECT_DEATH(Command("abort"), "");
}

}  // namespace
}  // namespace tandem::remote::faulty
