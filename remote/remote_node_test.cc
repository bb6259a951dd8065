// RemoteNode against a real HostBus over fake shared memory, on a fake
// board (firmware/common/testing): the contract of docs/firmware.md, one
// rule per test. Everything runs on the test thread: "the host" acts in the
// board's on_wait, i.e. whenever the firmware waits on its mailbox.

#include "tandem/remote/remote_node.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tandem/remote/echo_service.h"
#include "tandem/remoteproc/mailbox.h"
#include "tandem/remoteproc/trace_buffer.h"
#include "tandem/testing/fake_board.h"
#include "tandem/testing/fake_host.h"
#include "tandem/testing/fake_two_vdev_host.h"
#include "tandem/virtio/features.h"
#include "tandem/virtio/ring_layout.h"

namespace tandem::remote {
namespace {

using namespace ::tandem::simulated_board;  // NOLINT(google-build-using-namespace)

namespace mailbox = remoteproc::mailbox;
using testing::Bytes;
using testing::FakeBoard;
using testing::FakeHost;
using testing::RecordingDriver;

constexpr std::uint64_t kMs = 1'000'000;

// Replies with the same bytes.
class EchoService final : public rpmsg::MessageHandler {
 public:
  explicit EchoService(RemoteNode& node) : node_(node) {}
  void OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) override {
    last = node_.Reply(endpoint, message, message.payload());
  }
  Status last;

 private:
  RemoteNode& node_;
};

// Replies `count` times to every message, stopping at the first failure.
class FloodService final : public rpmsg::MessageHandler {
 public:
  FloodService(RemoteNode& node, int count) : node_(node), count_(count) {}
  void OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) override {
    for (int i = 0; i < count_; ++i) {
      last = node_.Reply(endpoint, message, Bytes("flood"));
      if (!last.ok()) return;
      ++sent;
    }
  }
  Status last;
  int sent = 0;

 private:
  RemoteNode& node_;
  int count_;
};

class RemoteNodeTest : public ::testing::Test {
 protected:
  RemoteNodeTest()
      : host_(board_), node_(std::make_unique<RemoteNode>(board_.bsp(), host_.node_config())) {}

  bool Logged(const std::string& text) const {
    return board_.console.find(text) != std::string::npos;
  }

  // The host boots its side at the `at`-th wait, then polls on every wait.
  void BootHostAt(int at) {
    board_.on_wait = [this, at] {
      if (board_.waits == at) host_.Boot();
      if (board_.waits >= at) host_.Poll().IgnoreError();
      if (step) step();
    };
  }
  void RequestShutdown() {
    if (!shutdown_sent_) board_.inbox.push_back(mailbox::kShutdown);
    shutdown_sent_ = true;
  }
  std::vector<std::uint32_t> SentControls() const {
    std::vector<std::uint32_t> out;
    for (std::uint32_t m : board_.sent) {
      if (mailbox::IsControl(m)) out.push_back(m);
    }
    return out;
  }
  std::size_t KicksSent() const { return board_.sent.size() - SentControls().size(); }

  std::function<void()> step;  // the scenario's part of the host's turn
  FakeBoard board_;
  FakeHost host_;
  std::unique_ptr<RemoteNode> node_;
  bool shutdown_sent_ = false;
};

TEST_F(RemoteNodeTest, WaitsForDriverOkWithoutTouchingTheRingsAndPetsTheWatchdog) {
  EchoService echo(*node_);
  rpmsg::Endpoint endpoint;
  ASSERT_TRUE(node_->AddEndpoint(endpoint, "echo", echo).ok());
  host_.PlaceLink();  // addresses written, but the driver never says DRIVER_OK
  board_.on_wait = [this] {
    if (board_.waits == 50) RequestShutdown();
  };
  EXPECT_EQ(node_->Run(), RemoteNode::kExitClean);
  EXPECT_EQ(node_->counters().link_starts, 0u);
  EXPECT_EQ(KicksSent(), 0u);
  // Nothing written into the rings or buffers.
  for (std::size_t i = 0; i < testing::kTestTraceDa - testing::kWindowDa; ++i) {
    ASSERT_EQ(host_.window().data()[i], std::byte{0}) << "offset " << i;
  }
  EXPECT_TRUE(Logged("test: waiting for the host (vdev status DRIVER_OK)"));
  EXPECT_LE(board_.longest_wait_ns, 10 * kMs);
  EXPECT_LE(board_.MaxPetGap(), 10 * kMs);
}

TEST_F(RemoteNodeTest, ShutdownIsLoggedAcknowledgedAndEndsRunCleanly) {
  BootHostAt(1);
  step = [this] {
    if (node_->link_state() == RemoteNode::LinkState::kRunning) RequestShutdown();
  };
  EXPECT_EQ(node_->Run(), RemoteNode::kExitClean);
  EXPECT_EQ(SentControls(), (std::vector<std::uint32_t>{mailbox::kShutdownAck}));
  EXPECT_TRUE(Logged("test: shutdown requested\n"));
  EXPECT_EQ(node_->bus().status().code(), StatusCode::kFailedPrecondition);  // stopped
}

TEST_F(RemoteNodeTest, AnnouncesEndpointsInCreationOrderFromTheFirstDynamicAddress) {
  EchoService echo(*node_);
  rpmsg::Endpoint a, b, c;
  ASSERT_TRUE(node_->AddEndpoint(a, "first", echo).ok());
  ASSERT_TRUE(node_->AddEndpoint(b, "second", echo).ok());
  ASSERT_TRUE(node_->AddEndpoint(c, "third", echo).ok());
  RecordingDriver first, second, third;
  ASSERT_TRUE(host_.bus().RegisterDriver("first", first).ok());
  ASSERT_TRUE(host_.bus().RegisterDriver("second", second).ok());
  ASSERT_TRUE(host_.bus().RegisterDriver("third", third).ok());
  BootHostAt(3);
  step = [&] {
    if (!first.bound.empty() && !second.bound.empty() && !third.bound.empty()) RequestShutdown();
  };
  EXPECT_EQ(node_->Run(), RemoteNode::kExitClean);
  EXPECT_EQ(first.remote_addresses, (std::vector<std::uint32_t>{0x400}));
  EXPECT_EQ(second.remote_addresses, (std::vector<std::uint32_t>{0x401}));
  EXPECT_EQ(third.remote_addresses, (std::vector<std::uint32_t>{0x402}));
  // Announced in that order too: the host allocates its local addresses
  // as the announcements arrive ("new channel: 0x400 -> 0x400").
  EXPECT_EQ(first.local_addresses, (std::vector<std::uint32_t>{0x400}));
  EXPECT_EQ(second.local_addresses, (std::vector<std::uint32_t>{0x401}));
  EXPECT_EQ(third.local_addresses, (std::vector<std::uint32_t>{0x402}));
  EXPECT_TRUE(
      Logged("test: rpmsg link up: vring0 0x30000000 vring1 0x30004000 (num 256, "
             "notifyids 0/1), buffers 0x30010000, features 0x20010001"));
}

TEST_F(RemoteNodeTest, RepliesReachTheSenderThroughTheHostBus) {
  EchoService echo(*node_);
  rpmsg::Endpoint endpoint;
  ASSERT_TRUE(node_->AddEndpoint(endpoint, "rpmsg-openamp-demo-channel", echo).ok());
  RecordingDriver driver;
  ASSERT_TRUE(host_.bus().RegisterDriver("rpmsg-openamp-demo-channel", driver).ok());
  BootHostAt(1);
  bool sent = false;
  step = [&] {
    if (!sent && !driver.bound.empty()) {
      ASSERT_TRUE(driver.bound[0]->TrySend(Bytes("hello remote")).ok());
      sent = true;
    }
    if (!driver.messages.empty()) RequestShutdown();
  };
  EXPECT_EQ(node_->Run(), RemoteNode::kExitClean);
  ASSERT_EQ(driver.messages.size(), 1u);
  EXPECT_EQ(driver.messages[0].text, "hello remote");
  EXPECT_EQ(driver.messages[0].src, 0x400u);
  EXPECT_TRUE(echo.last.ok());
  EXPECT_GE(board_.CountSent(0), 1u);  // vring0 kicked for the reply
}

TEST_F(RemoteNodeTest, AddEndpointChecksItsArgumentsAndRefusesAfterRun) {
  EchoService echo(*node_);
  rpmsg::Endpoint endpoints[RemoteNode::kMaxEndpoints + 1];
  EXPECT_EQ(node_->AddEndpoint(endpoints[0], "", echo).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(node_->AddEndpoint(endpoints[0], "0123456789abcdef0123456789abcdef", echo).code(),
            StatusCode::kInvalidArgument);  // 32 characters: no room for the NUL
  EXPECT_TRUE(node_->AddEndpoint(endpoints[0], "0123456789abcdef0123456789abcde", echo).ok());
  EXPECT_EQ(node_->AddEndpoint(endpoints[0], "again", echo).code(), StatusCode::kAlreadyExists);
  for (std::size_t i = 1; i < RemoteNode::kMaxEndpoints; ++i) {
    EXPECT_TRUE(node_->AddEndpoint(endpoints[i], "svc", echo).ok());
  }
  EXPECT_EQ(node_->AddEndpoint(endpoints[RemoteNode::kMaxEndpoints], "svc", echo).code(),
            StatusCode::kResourceExhausted);
  board_.inbox = {mailbox::kShutdown};
  EXPECT_EQ(node_->Run(), RemoteNode::kExitClean);
  rpmsg::Endpoint late;
  EXPECT_EQ(node_->AddEndpoint(late, "late", echo).code(), StatusCode::kFailedPrecondition);
}

TEST_F(RemoteNodeTest, EchoRequestIsAnsweredAndUnknownControlsAreCountedAndIgnored) {
  board_.inbox = {mailbox::kEchoRequest, 0xFFFFFF77, mailbox::kShutdown};
  EXPECT_EQ(node_->Run(), RemoteNode::kExitClean);
  EXPECT_EQ(SentControls(),
            (std::vector<std::uint32_t>{mailbox::kEchoReply, mailbox::kShutdownAck}));
  EXPECT_EQ(node_->counters().unknown_controls, 1u);
  EXPECT_TRUE(Logged("test: ignoring control message 0xffffff77"));
}

TEST_F(RemoteNodeTest, PriorityEventsReachTheHandlerInOrderAndEventsGoBack) {
  EventEchoService event_echo;
  node_->SetEventHandler(&event_echo);
  board_.inbox = {mailbox::MakeEvent(7), mailbox::MakeEvent(0xFFFFFF), mailbox::MakeEvent(0),
                  mailbox::kShutdown};
  EXPECT_EQ(node_->Run(), RemoteNode::kExitClean);
  EXPECT_EQ(node_->counters().events, 3u);
  EXPECT_EQ(node_->counters().events_dropped, 0u);
  EXPECT_EQ(event_echo.received(), 3u);
  std::vector<std::uint32_t> events;
  for (std::uint32_t m : board_.sent) {
    if (mailbox::IsEvent(m)) events.push_back(mailbox::EventValue(m));
  }
  EXPECT_EQ(events, (std::vector<std::uint32_t>{7, 0xFFFFFF, 0}));
  EXPECT_EQ(node_->counters().unknown_controls, 0u);
}

TEST_F(RemoteNodeTest, EventsWithoutAHandlerAreCountedAndAValueAbove24BitsIsRefused) {
  board_.inbox = {mailbox::MakeEvent(1), mailbox::kShutdown};
  EXPECT_EQ(node_->Run(), RemoteNode::kExitClean);
  EXPECT_EQ(node_->counters().events_dropped, 1u);
  EXPECT_EQ(node_->SendEvent(0x1000000).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(node_->SendEvent(0xFFFFFF).ok());
  EXPECT_EQ(board_.sent.back(), mailbox::MakeEvent(0xFFFFFF));
}

TEST_F(RemoteNodeTest, VdevResetIsAcknowledgedAndTheEndpointsAreAnnouncedAgain) {
  EchoService echo(*node_);
  rpmsg::Endpoint endpoint;
  ASSERT_TRUE(node_->AddEndpoint(endpoint, "svc", echo).ok());
  RecordingDriver driver;
  ASSERT_TRUE(host_.bus().RegisterDriver("svc", driver).ok());
  BootHostAt(1);
  bool reset_sent = false;
  step = [&] {
    if (!reset_sent && !driver.bound.empty()) {
      // The host re-attaches: device reset first, then the handshake.
      host_.Reset();
      board_.inbox.push_back(mailbox::kVdevReset);
      reset_sent = true;
    }
    if (driver.remote_addresses.size() == 2) RequestShutdown();
  };
  board_.on_send = [&](std::uint32_t m) {
    if (m == mailbox::kVdevResetAck) {
      // The remote let go of the rings: set the driver side up again.
      EXPECT_EQ(node_->link_state(), RemoteNode::LinkState::kWaitingForDriver);
      host_.Boot();
    }
  };
  EXPECT_EQ(node_->Run(), RemoteNode::kExitClean);
  EXPECT_EQ(driver.remote_addresses, (std::vector<std::uint32_t>{0x400, 0x400}));
  EXPECT_EQ(driver.unbound, 1);
  EXPECT_EQ(node_->counters().vdev_resets, 1u);
  EXPECT_EQ(node_->counters().link_starts, 2u);
  EXPECT_EQ(board_.CountSent(mailbox::kVdevResetAck), 1u);
  EXPECT_TRUE(Logged("test: vdev reset requested by the host"));
}

TEST_F(RemoteNodeTest, DriverOkClearedStopsTheLinkUntilTheHostSetsItAgain) {
  EchoService echo(*node_);
  rpmsg::Endpoint endpoint;
  ASSERT_TRUE(node_->AddEndpoint(endpoint, "svc", echo).ok());
  RecordingDriver driver;
  ASSERT_TRUE(host_.bus().RegisterDriver("svc", driver).ok());
  BootHostAt(1);
  int reset_at = 0;
  step = [&] {
    if (reset_at == 0 && !driver.bound.empty()) {
      host_.Reset();
      reset_at = board_.waits;
    }
    if (reset_at != 0 && board_.waits == reset_at + 5) {
      EXPECT_EQ(node_->link_state(), RemoteNode::LinkState::kWaitingForDriver);
      host_.Boot();
    }
    if (driver.remote_addresses.size() == 2) RequestShutdown();
  };
  EXPECT_EQ(node_->Run(), RemoteNode::kExitClean);
  EXPECT_EQ(node_->counters().link_starts, 2u);
  EXPECT_TRUE(Logged("test: host reset the vdev (status 0x00)"));
}

TEST_F(RemoteNodeTest, HostileLinkSetupIsRefusedOnceAndRetriedAfterADeviceReset) {
  EchoService echo(*node_);
  rpmsg::Endpoint endpoint;
  ASSERT_TRUE(node_->AddEndpoint(endpoint, "svc", echo).ok());
  RecordingDriver driver;
  ASSERT_TRUE(host_.bus().RegisterDriver("svc", driver).ok());
  host_.PlaceLink();
  host_.table().vdev.vring[0].da = Le32(0x7FFF0000);  // not in the window
  host_.SetStatus(testing::kDriverReady);
  board_.on_wait = [&] {
    if (board_.waits == 30) {
      // Still refused, and not retried on every loop.
      EXPECT_EQ(node_->counters().link_failures, 1u);
      EXPECT_EQ(node_->link_state(), RemoteNode::LinkState::kFailed);
      host_.SetStatus(0);
    }
    if (board_.waits == 35) host_.Boot();  // a correct set-up this time
    if (board_.waits >= 35) host_.Poll().IgnoreError();
    if (!driver.bound.empty()) RequestShutdown();
  };
  EXPECT_EQ(node_->Run(), RemoteNode::kExitClean);
  EXPECT_TRUE(
      Logged("test: rpmsg link setup failed: host placed memory outside the firmware's "
             "device window"));
  EXPECT_EQ(node_->counters().link_failures, 1u);
  EXPECT_EQ(node_->counters().link_starts, 1u);
  EXPECT_EQ(driver.remote_addresses, (std::vector<std::uint32_t>{0x400}));
}

TEST_F(RemoteNodeTest, BrokenRingIsLoggedAndTheMailboxIsStillServed) {
  EchoService echo(*node_);
  rpmsg::Endpoint endpoint;
  ASSERT_TRUE(node_->AddEndpoint(endpoint, "svc", echo).ok());
  RecordingDriver driver;
  ASSERT_TRUE(host_.bus().RegisterDriver("svc", driver).ok());
  BootHostAt(1);
  bool corrupted = false;
  step = [&] {
    if (!corrupted && !driver.bound.empty()) {
      // A hostile host: vring1's avail->idx jumps by 1000 (> num).
      const auto layout = virtio::RingLayout::Compute(256, 4096).value();
      const std::size_t at = testing::kVring1Da - testing::kWindowDa + layout.avail_idx();
      auto idx = host_.window().region().Read<Le16>(at).value();
      ASSERT_TRUE(host_.window().region().Write<Le16>(at, Le16(idx.get() + 1000)).ok());
      board_.inbox.push_back(1);
      corrupted = true;
    }
    if (node_->link_state() == RemoteNode::LinkState::kFailed) {
      board_.inbox.push_back(mailbox::kEchoRequest);
      RequestShutdown();
    }
  };
  EXPECT_EQ(node_->Run(), RemoteNode::kExitClean);
  EXPECT_TRUE(Logged("test: rpmsg link broken: "));
  EXPECT_EQ(node_->counters().link_failures, 1u);
  // Reported to the host: DEVICE_NEEDS_RESET in the loaded table, then
  // kLinkBroken before anything else.
  EXPECT_TRUE(virtio::HasStatus(host_.status(), virtio::DeviceStatus::kDeviceNeedsReset));
  EXPECT_TRUE(virtio::HasStatus(host_.status(), virtio::DeviceStatus::kDriverOk));
  EXPECT_EQ(SentControls(), (std::vector<std::uint32_t>{mailbox::kLinkBroken, mailbox::kEchoReply,
                                                        mailbox::kShutdownAck}));
}

TEST_F(RemoteNodeTest, ShutdownArrivingWhileAHandlerBlocksInSendIsNotLost) {
  // 300 replies to one message: 256 fill every buffer the host posted, the
  // next blocks while the host (busy elsewhere) polls nothing and asks for
  // a shutdown instead.
  FloodService flood(*node_, 300);
  rpmsg::Endpoint endpoint;
  ASSERT_TRUE(node_->AddEndpoint(endpoint, "flood", flood).ok());
  RecordingDriver driver;
  ASSERT_TRUE(host_.bus().RegisterDriver("flood", driver).ok());
  bool triggered = false;
  board_.on_wait = [&] {
    if (board_.waits == 1) host_.Boot();
    if (!triggered) {
      host_.Poll().IgnoreError();
      if (!driver.bound.empty()) {
        ASSERT_TRUE(driver.bound[0]->TrySend(Bytes("go")).ok());
        triggered = true;
      }
    } else if (flood.sent == 256) {
      RequestShutdown();  // arrives while Reply() waits for a buffer
    }
  };
  EXPECT_EQ(node_->Run(), RemoteNode::kExitClean);
  EXPECT_EQ(flood.sent, 256);
  EXPECT_EQ(flood.last.code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(board_.CountSent(mailbox::kShutdownAck), 1u);
  // The blocked send kept the watchdog fed.
  EXPECT_LE(board_.MaxPetGap(), BspMailbox::kDefaultSliceNs);
}

TEST_F(RemoteNodeTest, LogLinesGoToTheConsoleAndTheTraceBuffer) {
  BootHostAt(1);
  step = [this] {
    if (node_->link_state() == RemoteNode::LinkState::kRunning) RequestShutdown();
  };
  EXPECT_EQ(node_->Run(), RemoteNode::kExitClean);
  auto region = host_.window().region();
  std::string trace(kTraceSize, '\0');
  ASSERT_TRUE(region
                  .ReadBytes(testing::kTestTraceDa - testing::kWindowDa,
                             ByteSpan(reinterpret_cast<std::byte*>(trace.data()), trace.size()))
                  .ok());
  trace.resize(remoteproc::ArrangeTraceText(std::span<char>(trace.data(), trace.size())));
  EXPECT_EQ(trace.rfind("test: booted (bsp abi 1)\n", 0), 0u) << trace;
  EXPECT_NE(trace.find("test: rpmsg link up"), std::string::npos);
  EXPECT_NE(trace.find("test: shutdown requested\n"), std::string::npos);
  EXPECT_EQ(trace, board_.console);
}

TEST_F(RemoteNodeTest, MailboxFailureEndsRun) {
  board_.on_wait = [this] {
    if (board_.waits == 5) board_.wait_result = TANDEM_BSP_EBROKEN;
  };
  EXPECT_EQ(node_->Run(), RemoteNode::kExitMailbox);
  EXPECT_TRUE(Logged("test: mailbox failed: mailbox page is corrupt"));
}

TEST_F(RemoteNodeTest, IgnoredShutdownKeepsTheFirmwareRunning) {
  node_->IgnoreShutdown();
  board_.inbox = {mailbox::kShutdown, mailbox::kShutdown};
  board_.max_waits = 40;  // then the board "resets" it (mailbox aborted)
  EXPECT_EQ(node_->Run(), RemoteNode::kExitMailbox);
  EXPECT_EQ(node_->counters().ignored_shutdowns, 2u);
  EXPECT_EQ(board_.CountSent(mailbox::kShutdownAck), 0u);
}

TEST_F(RemoteNodeTest, LongLogLinesAreCutNotOverrun) {
  std::string long_text(1000, 'x');
  node_->Log("%s", long_text.c_str());
  ASSERT_EQ(board_.console.size(), RemoteNode::kMaxLogLine);
  EXPECT_EQ(board_.console.back(), '\n');
}

TEST_F(RemoteNodeTest, OwnTableWithoutAnRpmsgVdevEndsRunWithBadTable) {
  host_.table().vdev.body.id = Le32(3);
  EXPECT_EQ(node_->Run(), RemoteNode::kExitBadTable);
  EXPECT_TRUE(Logged("test: unusable resource table: the resource table has no rpmsg vdev"));
}

// --- Several RPMsg vdevs (RemoteVdev, AddVdev) ------------------------------

// Replies "vdev1" to anything, through the vdev's own Reply().
class IdService final : public rpmsg::MessageHandler {
 public:
  explicit IdService(RemoteVdev& vdev) : vdev_(vdev) {}
  void OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) override {
    last = vdev_.Reply(endpoint, message, Bytes("vdev1"));
  }
  Status last;

 private:
  RemoteVdev& vdev_;
};

class RemoteNodeTwoVdevTest : public ::testing::Test {
 protected:
  RemoteNodeTwoVdevTest()
      : host_(board_),
        node_(std::make_unique<RemoteNode>(board_.bsp(), host_.node_config())),
        vdev1_(std::make_unique<RemoteVdev>(*node_)),
        echo_(*node_),
        id_(*vdev1_) {}

  bool Logged(const std::string& text) const {
    return board_.console.find(text) != std::string::npos;
  }
  // Echo endpoints of the same name on both buses, "tandem-vdev1-id" on bus 1.
  void AddServices() {
    ASSERT_TRUE(node_->AddVdev(*vdev1_).ok());
    ASSERT_TRUE(node_->AddEndpoint(echo0_, "echo", echo_).ok());
    ASSERT_TRUE(vdev1_->AddEndpoint(echo1_, "echo", echo_).ok());
    ASSERT_TRUE(vdev1_->AddEndpoint(id1_, "tandem-vdev1-id", id_).ok());
    ASSERT_TRUE(host_.bus(0).RegisterDriver("echo", driver0_).ok());
    ASSERT_TRUE(host_.bus(1).RegisterDriver("echo", driver1_).ok());
    ASSERT_TRUE(host_.bus(1).RegisterDriver("tandem-vdev1-id", id_driver_).ok());
  }
  // The host boots vdev k at the `at`-th wait (never: -1), then polls.
  void BootHostAt(int at0, int at1) {
    board_.on_wait = [this, at0, at1] {
      if (board_.waits == at0) host_.Boot(0);
      if (board_.waits == at1) host_.Boot(1);
      host_.Poll();
      if (step) step();
    };
  }
  void RequestShutdown() {
    if (!shutdown_sent_) board_.inbox.push_back(mailbox::kShutdown);
    shutdown_sent_ = true;
  }
  bool AllBound() const {
    return !driver0_.bound.empty() && !driver1_.bound.empty() && !id_driver_.bound.empty();
  }

  std::function<void()> step;
  FakeBoard board_;
  testing::FakeTwoVdevHost host_;
  std::unique_ptr<RemoteNode> node_;
  std::unique_ptr<RemoteVdev> vdev1_;
  EchoService echo_;
  IdService id_;
  rpmsg::Endpoint echo0_, echo1_, id1_;
  RecordingDriver driver0_, driver1_, id_driver_;
  bool shutdown_sent_ = false;
};

TEST_F(RemoteNodeTwoVdevTest, BothLinksComeUpWithIndependentAddressesAndTraffic) {
  AddServices();
  EXPECT_EQ(vdev1_->index(), 1u);
  EXPECT_EQ(node_->vdev_count(), 2u);
  EXPECT_EQ(node_->vdev_at(1), vdev1_.get());
  BootHostAt(1, 2);
  bool sent = false;
  step = [&] {
    if (!sent && AllBound()) {
      ASSERT_TRUE(driver0_.bound[0]->TrySend(Bytes("to bus 0")).ok());
      ASSERT_TRUE(driver1_.bound[0]->TrySend(Bytes("to bus 1")).ok());
      ASSERT_TRUE(id_driver_.bound[0]->TrySend(Bytes("who")).ok());
      sent = true;
    }
    if (!driver0_.messages.empty() && !driver1_.messages.empty() && !id_driver_.messages.empty())
      RequestShutdown();
  };
  EXPECT_EQ(node_->Run(), RemoteNode::kExitClean);
  // Each bus hands out its addresses from 0x400 on its own.
  EXPECT_EQ(driver0_.remote_addresses, (std::vector<std::uint32_t>{0x400}));
  EXPECT_EQ(driver1_.remote_addresses, (std::vector<std::uint32_t>{0x400}));
  EXPECT_EQ(id_driver_.remote_addresses, (std::vector<std::uint32_t>{0x401}));
  ASSERT_EQ(driver0_.messages.size(), 1u);
  EXPECT_EQ(driver0_.messages[0].text, "to bus 0");
  ASSERT_EQ(driver1_.messages.size(), 1u);
  EXPECT_EQ(driver1_.messages[0].text, "to bus 1");  // RemoteNode::Reply found bus 1
  EXPECT_EQ(driver1_.messages[0].src, 0x400u);
  ASSERT_EQ(id_driver_.messages.size(), 1u);
  EXPECT_EQ(id_driver_.messages[0].text, "vdev1");
  EXPECT_EQ(id_driver_.messages[0].src, 0x401u);
  EXPECT_TRUE(echo_.last.ok());
  EXPECT_TRUE(id_.last.ok());
  EXPECT_GE(board_.CountSent(0), 1u);  // vdev0's vring0 kicked
  EXPECT_GE(board_.CountSent(2), 1u);  // vdev1's vring0 kicked
  EXPECT_EQ(node_->counters().link_starts, 2u);
  EXPECT_EQ(vdev1_->counters().link_starts, 1u);
  // vdev 0's line as ever; vdev 1's names it.
  EXPECT_TRUE(
      Logged("test: rpmsg link up: vring0 0x30000000 vring1 0x30004000 (num 256, "
             "notifyids 0/1), buffers 0x30010000, features 0x20010001"));
  EXPECT_TRUE(
      Logged("test: vdev1: rpmsg link up: vring0 0x30060000 vring1 0x30064000 (num 64, "
             "notifyids 2/3), buffers 0x30068000, features 0x20010001"));
  // Shutdown stopped both.
  EXPECT_EQ(node_->bus().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(vdev1_->bus().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(vdev1_->link_state(), RemoteVdev::LinkState::kWaitingForDriver);
}

TEST_F(RemoteNodeTwoVdevTest, Vdev0RunsWhileVdev1WaitsForItsDriver) {
  AddServices();
  BootHostAt(1, -1);
  bool sent = false;
  int sent_at = 0;
  step = [&] {
    if (!sent && !driver0_.bound.empty()) {
      ASSERT_TRUE(driver0_.bound[0]->TrySend(Bytes("only bus 0")).ok());
      sent = true;
      sent_at = board_.waits;
    }
    if (!driver0_.messages.empty() && board_.waits > sent_at + 20) RequestShutdown();
  };
  EXPECT_EQ(node_->Run(), RemoteNode::kExitClean);
  ASSERT_EQ(driver0_.messages.size(), 1u);
  EXPECT_EQ(driver0_.messages[0].text, "only bus 0");
  EXPECT_EQ(vdev1_->counters().link_starts, 0u);
  EXPECT_TRUE(driver1_.bound.empty());
  EXPECT_EQ(board_.CountSent(2), 0u);
  EXPECT_EQ(board_.CountSent(3), 0u);
}

TEST_F(RemoteNodeTwoVdevTest, VdevResetResetsEveryLinkAndIsAcknowledgedOnce) {
  AddServices();
  BootHostAt(1, 1);
  bool reset_sent = false;
  step = [&] {
    if (!reset_sent && AllBound()) {
      host_.Reset(0);
      host_.Reset(1);
      board_.inbox.push_back(mailbox::kVdevReset);
      reset_sent = true;
    }
    if (driver0_.remote_addresses.size() == 2 && driver1_.remote_addresses.size() == 2 &&
        id_driver_.remote_addresses.size() == 2)
      RequestShutdown();
  };
  board_.on_send = [&](std::uint32_t m) {
    if (m == mailbox::kVdevResetAck) {
      EXPECT_EQ(node_->link_state(), RemoteNode::LinkState::kWaitingForDriver);
      EXPECT_EQ(vdev1_->link_state(), RemoteVdev::LinkState::kWaitingForDriver);
      host_.Boot(0);
      host_.Boot(1);
    }
  };
  EXPECT_EQ(node_->Run(), RemoteNode::kExitClean);
  EXPECT_EQ(board_.CountSent(mailbox::kVdevResetAck), 1u);
  // The request once; each vdev may also have seen its DRIVER_OK go first
  // (a kick queued before the request wakes the loop earlier).
  EXPECT_GE(node_->counters().vdev_resets, 1u);
  EXPECT_EQ(node_->counters().link_starts, 4u);
  EXPECT_EQ(driver0_.remote_addresses, (std::vector<std::uint32_t>{0x400, 0x400}));
  EXPECT_EQ(driver1_.remote_addresses, (std::vector<std::uint32_t>{0x400, 0x400}));
  EXPECT_EQ(id_driver_.remote_addresses, (std::vector<std::uint32_t>{0x401, 0x401}));
}

TEST_F(RemoteNodeTwoVdevTest, DriverOkClearedOnOneVdevLeavesTheOtherRunning) {
  AddServices();
  BootHostAt(1, 1);
  int reset_at = 0;
  step = [&] {
    if (reset_at == 0 && AllBound()) {
      host_.Reset(1);
      reset_at = board_.waits;
    }
    if (reset_at != 0 && board_.waits == reset_at + 5) {
      EXPECT_EQ(vdev1_->link_state(), RemoteVdev::LinkState::kWaitingForDriver);
      EXPECT_EQ(node_->link_state(), RemoteNode::LinkState::kRunning);
      ASSERT_FALSE(driver0_.bound.empty());
      ASSERT_TRUE(driver0_.bound[0]->TrySend(Bytes("still here")).ok());
      host_.Boot(1);
    }
    if (!driver0_.messages.empty() && driver1_.remote_addresses.size() == 2) RequestShutdown();
  };
  EXPECT_EQ(node_->Run(), RemoteNode::kExitClean);
  EXPECT_EQ(driver0_.remote_addresses.size(), 1u);
  EXPECT_EQ(vdev1_->counters().link_starts, 2u);
  EXPECT_EQ(vdev1_->counters().driver_resets, 1u);
  EXPECT_TRUE(Logged("test: vdev1: host reset the vdev (status 0x00)"));
  EXPECT_FALSE(Logged("test: host reset the vdev"));
}

TEST_F(RemoteNodeTwoVdevTest, AddVdevChecksItsArgumentsAndRefusesAfterRun) {
  RemoteNode other(board_.bsp(), host_.node_config("other"));
  RemoteVdev foreign(other);
  EXPECT_EQ(node_->AddVdev(foreign).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(node_->AddVdev(node_->vdev0()).code(), StatusCode::kAlreadyExists);
  RemoteVdev v2(*node_), v3(*node_), v4(*node_);
  EXPECT_FALSE(vdev1_->added());
  EXPECT_TRUE(node_->AddVdev(*vdev1_).ok());
  EXPECT_EQ(node_->AddVdev(*vdev1_).code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(node_->AddVdev(v2).ok());
  EXPECT_TRUE(node_->AddVdev(v3).ok());
  EXPECT_EQ(v3.index(), 3u);
  EXPECT_EQ(node_->AddVdev(v4).code(), StatusCode::kResourceExhausted);  // kMaxRpmsgVdevs = 4
  EXPECT_EQ(node_->vdev_count(), RemoteNode::kMaxVdevs);
  // The same endpoint rules as the node's own.
  rpmsg::Endpoint e;
  EXPECT_EQ(vdev1_->AddEndpoint(e, "", echo_).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(vdev1_->AddEndpoint(e, "svc", echo_).ok());
  EXPECT_EQ(vdev1_->AddEndpoint(e, "svc", echo_).code(), StatusCode::kAlreadyExists);
  board_.inbox = {mailbox::kShutdown};
  EXPECT_EQ(node_->Run(), RemoteNode::kExitClean);
  // The table has two RPMsg vdevs: vdevs 2 and 3 are said once and unused.
  EXPECT_TRUE(Logged("test: vdev2: not served: the resource table has no rpmsg vdev"));
  EXPECT_TRUE(Logged("test: vdev3: not served: the resource table has no rpmsg vdev"));
  EXPECT_FALSE(v2.in_table());
  EXPECT_TRUE(vdev1_->in_table());
  RemoteVdev late(*node_);
  EXPECT_EQ(node_->AddVdev(late).code(), StatusCode::kFailedPrecondition);
  rpmsg::Endpoint late_endpoint;
  EXPECT_EQ(vdev1_->AddEndpoint(late_endpoint, "late", echo_).code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(RemoteNodeTest, AddedVdevMissingFromTheTableIsLoggedAndVdev0StillWorks) {
  RemoteVdev vdev1(*node_);
  ASSERT_TRUE(node_->AddVdev(vdev1).ok());
  EchoService echo(*node_);
  rpmsg::Endpoint endpoint;
  ASSERT_TRUE(node_->AddEndpoint(endpoint, "svc", echo).ok());
  RecordingDriver driver;
  ASSERT_TRUE(host_.bus().RegisterDriver("svc", driver).ok());
  BootHostAt(1);
  bool sent = false;
  step = [&] {
    if (!sent && !driver.bound.empty()) {
      ASSERT_TRUE(driver.bound[0]->TrySend(Bytes("ping")).ok());
      sent = true;
    }
    if (!driver.messages.empty()) RequestShutdown();
  };
  EXPECT_EQ(node_->Run(), RemoteNode::kExitClean);
  ASSERT_EQ(driver.messages.size(), 1u);
  EXPECT_EQ(driver.messages[0].text, "ping");
  EXPECT_TRUE(Logged("test: vdev1: not served: the resource table has no rpmsg vdev\n"));
  EXPECT_EQ(vdev1.link_state(), RemoteVdev::LinkState::kWaitingForDriver);
}

using RemoteNodeDeathTest = RemoteNodeTest;
TEST_F(RemoteNodeDeathTest, AbortRequestCrashesOnPurpose) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  board_.inbox = {mailbox::kAbortRequest};
  EXPECT_DEATH(node_->Run(), "");
}

}  // namespace
}  // namespace tandem::remote
