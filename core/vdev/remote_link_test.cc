// RemoteLink's state machine against the fake host of the remote runtime
// tests (a real HostBus and a resource table the test patches), one
// transition per test. The vdev status is what drives it (VirtIO 1.x 2.1,
// 3.1.1); the host's rings are real, so a started link really runs.

#include "tandem/vdev/remote_link.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tandem/remoteproc/mailbox.h"
#include "tandem/rpmsg/remote_bus.h"
#include "tandem/testing/fake_board.h"
#include "tandem/testing/fake_bus_platform.h"
#include "tandem/testing/fake_host.h"
#include "tandem/virtio/ring_layout.h"

namespace tandem::vdev {
namespace {

using remote::testing::FakeBoard;
using remote::testing::FakeHost;
namespace fake = remote::testing;

class RecordingListener final : public RemoteLinkListener {
 public:
  void OnLinkUp(const VdevLink& link) override {
    events.push_back("up");
    last_link = link;
  }
  void OnLinkDown(LinkDownCause cause) override {
    static constexpr const char* kCauses[] = {"driver reset", "vdev reset", "stopped", "broken"};
    events.push_back(std::string("down: ") + kCauses[static_cast<int>(cause)]);
  }
  void OnLinkFailed(LinkFailure failure, const Status& error) override {
    events.push_back(failure == LinkFailure::kBroken ? "failed: broken" : "failed: setup");
    errors.push_back(error);
  }

  std::vector<std::string> events;
  std::vector<Status> errors;
  VdevLink last_link;
};

class RemoteLinkTest : public ::testing::Test {
 protected:
  RemoteLinkTest() : host_(board_) {}

  RemoteLinkConfig Config() {
    RemoteLinkConfig config;
    config.table = host_.table_config();
    config.send_timeout = rpmsg::Timeout::Milliseconds(7);
    return config;
  }
  RemoteLink Open() {
    auto link = RemoteLink::Open(Config(), bus_, listener_);
    EXPECT_TRUE(link.ok()) << link.status().message();
    return std::move(link).value();
  }

  FakeBoard board_;
  FakeHost host_;
  rpmsg::NoLock lock_;
  rpmsg::testing::RecordingNotifier notifier_;
  rpmsg::testing::FakeWaiter waiter_;
  rpmsg::RemoteBusStorage<256, 16> storage_;
  rpmsg::RemoteBus bus_{rpmsg::BusPlatform{notifier_, lock_, waiter_}, storage_.memory()};
  RecordingListener listener_;
};

TEST_F(RemoteLinkTest, OpenRefusesATableWithoutAnRpmsgVdev) {
  host_.table().vdev.body.id = Le32(3);  // virtio console
  const Status s = RemoteLink::Open(Config(), bus_, listener_).status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_TRUE(s.Is(kNoRpmsgVdev));
}

TEST_F(RemoteLinkTest, WaitsForDriverOkThenStartsTheBusWithWhatTheHostPlaced) {
  RemoteLink link = Open();
  host_.PlaceLink();  // addresses written, no DRIVER_OK yet
  for (int i = 0; i < 3; ++i) link.Update();
  EXPECT_EQ(link.state(), RemoteLinkState::kWaitingForDriver);
  EXPECT_EQ(link.link(), nullptr);
  EXPECT_TRUE(listener_.events.empty());
  EXPECT_TRUE(link.Poll().Is(kRemoteLinkNotRunning));

  host_.Boot();
  link.Update();
  EXPECT_EQ(link.state(), RemoteLinkState::kRunning);
  EXPECT_EQ(link.observed_status(), fake::kDriverReady);
  EXPECT_EQ(listener_.events, (std::vector<std::string>{"up"}));
  ASSERT_NE(link.link(), nullptr);
  EXPECT_EQ(link.link()->bus.vring0.ring.device_address(), fake::kVring0Da);
  EXPECT_EQ(link.link()->bus.send_timeout.ns(), 7'000'000u);
  EXPECT_EQ(listener_.last_link.bus.buffers.device_address(), fake::kBuffersDa);
  EXPECT_TRUE(bus_.status().ok());
  EXPECT_TRUE(link.Poll().ok());
  link.Update();  // still DRIVER_OK: nothing happens
  EXPECT_EQ(listener_.events.size(), 1u);
}

TEST_F(RemoteLinkTest, RefusedSetUpIsReportedOnceAndRetriedOnlyAfterADeviceReset) {
  RemoteLink link = Open();
  host_.PlaceLink();
  host_.table().vdev.vring[0].da = Le32(0x7FFF0000);  // not in the window
  host_.SetStatus(fake::kDriverReady);
  for (int i = 0; i < 5; ++i) link.Update();
  EXPECT_EQ(link.state(), RemoteLinkState::kFailed);
  EXPECT_EQ(listener_.events, (std::vector<std::string>{"failed: setup"}));
  ASSERT_EQ(listener_.errors.size(), 1u);
  EXPECT_TRUE(listener_.errors[0].Is(kOutsideWindow));
  EXPECT_EQ(bus_.status().code(), StatusCode::kFailedPrecondition);  // never started

  host_.SetStatus(0);  // the host resets the device...
  link.Update();
  EXPECT_EQ(link.state(), RemoteLinkState::kWaitingForDriver);
  host_.Boot();  // ...and sets it up correctly
  link.Update();
  EXPECT_EQ(link.state(), RemoteLinkState::kRunning);
  EXPECT_EQ(listener_.events, (std::vector<std::string>{"failed: setup", "up"}));
}

// docs/buffers.md: a firmware built for another size than 512 whose host
// did not accept VIRTIO_RPMSG_F_BUFSZ (Linux keeps 512) refuses the link
// with one clear reason and tells the host (DEVICE_NEEDS_RESET,
// kLinkBroken), rather than run with buffers of the wrong size.
TEST_F(RemoteLinkTest, AFirmwareBuiltForAnotherSizeRefusesAHostThatKeeps512) {
  RemoteLinkConfig config = Config();
  config.table.buffer_size = 64;
  config.mailbox = &notifier_;
  auto opened = RemoteLink::Open(config, bus_, listener_);
  ASSERT_TRUE(opened.ok());
  RemoteLink link = std::move(opened).value();
  host_.Boot();  // gfeatures: NS | EVENT_IDX, no bit 2
  link.Update();
  EXPECT_EQ(link.state(), RemoteLinkState::kFailed);
  EXPECT_EQ(listener_.events, (std::vector<std::string>{"failed: setup"}));
  ASSERT_EQ(listener_.errors.size(), 1u);
  EXPECT_TRUE(listener_.errors[0].Is(kHostIgnoredBufferSize));
  EXPECT_NE(std::string(listener_.errors[0].message()).find("VIRTIO_RPMSG_F_BUFSZ"),
            std::string::npos);
  EXPECT_TRUE(virtio::HasStatus(host_.status(), virtio::DeviceStatus::kDeviceNeedsReset));
  ASSERT_FALSE(notifier_.kicks.empty());
  EXPECT_EQ(notifier_.kicks.back(), remoteproc::mailbox::kLinkBroken);
  EXPECT_EQ(bus_.status().code(), StatusCode::kFailedPrecondition);  // never started
}

TEST_F(RemoteLinkTest, DriverOkClearedStopsTheBusUntilTheHostSetsItAgain) {
  RemoteLink link = Open();
  host_.Boot();
  link.Update();
  host_.Reset();  // status 0 (VirtIO 1.x 2.1.2)
  link.Update();
  EXPECT_EQ(link.state(), RemoteLinkState::kWaitingForDriver);
  EXPECT_EQ(link.observed_status(), 0u);
  EXPECT_EQ(bus_.status().code(), StatusCode::kFailedPrecondition);
  host_.Boot();
  link.Update();
  EXPECT_EQ(listener_.events, (std::vector<std::string>{"up", "down: driver reset", "up"}));
}

TEST_F(RemoteLinkTest, VdevResetAndStopTakeARunningLinkDown) {
  RemoteLink link = Open();
  host_.Boot();
  link.Update();
  link.Reset();  // mailbox::kVdevReset
  EXPECT_EQ(link.state(), RemoteLinkState::kWaitingForDriver);
  host_.Reset();
  host_.Boot();
  link.Update();
  EXPECT_EQ(link.state(), RemoteLinkState::kRunning);
  link.Stop();  // shutdown
  EXPECT_EQ(link.state(), RemoteLinkState::kWaitingForDriver);
  link.Stop();  // again: nothing to take down
  link.Reset();
  EXPECT_EQ(listener_.events,
            (std::vector<std::string>{"up", "down: vdev reset", "up", "down: stopped"}));
}

TEST_F(RemoteLinkTest, BrokenRingStopsTheLinkUntilTheDeviceIsReset) {
  RemoteLink link = Open();
  host_.Boot();
  link.Update();
  // A hostile host: vring1's avail->idx jumps by 1000 (> num).
  const auto layout = virtio::RingLayout::Compute(256, 4096).value();
  const std::size_t at = fake::kVring1Da - fake::kWindowDa + layout.avail_idx();
  const Le16 idx = host_.window().region().Read<Le16>(at).value();
  ASSERT_TRUE(host_.window().region().Write<Le16>(at, Le16(idx.get() + 1000)).ok());

  const Status s = link.Poll();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_EQ(link.state(), RemoteLinkState::kFailed);
  EXPECT_EQ(listener_.events, (std::vector<std::string>{"up", "down: broken", "failed: broken"}));
  EXPECT_EQ(listener_.errors[0].code(), StatusCode::kDataLoss);
  EXPECT_EQ(bus_.status().code(), StatusCode::kFailedPrecondition);  // stopped, not latched
  link.Update();  // DRIVER_OK still set: not retried
  EXPECT_EQ(link.state(), RemoteLinkState::kFailed);

  link.Reset();  // the host's vdev reset handshake clears a failure too
  EXPECT_EQ(link.state(), RemoteLinkState::kWaitingForDriver);
  host_.Reset();
  host_.Boot();
  link.Update();
  EXPECT_EQ(link.state(), RemoteLinkState::kRunning);
}

}  // namespace
}  // namespace tandem::vdev
