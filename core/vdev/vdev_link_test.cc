// Both vdev runtimes in one process: the host's RemoteProc (over the fake
// rproc platform) with a HostLink and a HostBus, and a remote "core" with a
// RemoteLink and a RemoteBus, over the same fake device memory. The test
// thread steps both sides in turn, so every run is deterministic:
//  * host -> remote: FakePlatform::Send() puts the message in the core's
//    mailbox (vring kicks from the HostBus, control messages from
//    RemoteProc, kPendingMessage from the HostLink);
//  * remote -> host: the RemoteBus's kicks and the core's control messages
//    go to the host's mailbox, which Step() hands to HostLink::OnNotify();
//  * while RemoteProc waits for an answer (kShutdownAck, kVdevResetAck) the
//    core runs (FakePlatform::on_wait);
//  * the core exists while the platform has it out of reset: a Reset()
//    destroys it, each Start() boots a fresh one (crash recovery).

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tandem/remoteproc/mailbox.h"
#include "tandem/remoteproc/remote_proc.h"
#include "tandem/rpmsg/errors.h"
#include "tandem/rpmsg/host_bus.h"
#include "tandem/rpmsg/remote_bus.h"
#include "tandem/rsc/builder.h"
#include "tandem/testing/fake_bus_platform.h"
#include "tandem/testing/fake_host.h"
#include "tandem/testing/fake_rproc_platform.h"
#include "tandem/testing/test_firmware.h"
#include "tandem/vdev/host_link.h"
#include "tandem/vdev/remote_link.h"
#include "tandem/virtio/errors.h"
#include "tandem/virtio/features.h"
#include "tandem/virtio/ring_layout.h"

namespace tandem::vdev {
namespace {

namespace mailbox = remoteproc::mailbox;
namespace fw = remoteproc::testing;
using remote::testing::Bytes;
using remote::testing::RecordingDriver;
using remote::testing::Text;
using remoteproc::testing::FakePlatform;

constexpr std::uint32_t kNum = fw::kVringNum;
constexpr std::uint32_t kBufferSize = fw::kLinkBufferSize;
constexpr char kService[] = "tandem-echo";

using fw::LinkTable;  // the boot layout with a vdev0buffer and ANY vrings

// Sends every message through one platform call, as Session's doorbell.
class Doorbell final : public rpmsg::Notifier {
 public:
  explicit Doorbell(remoteproc::Platform& platform) : platform_(platform) {}
  Status Notify(std::uint32_t message) override { return platform_.Send(message); }

 private:
  remoteproc::Platform& platform_;
};

// One run of the remote core: a firmware main loop reduced to its link,
// with one echo service ("echo: " + the message).
class FakeCore final : public RemoteLinkListener, public rpmsg::MessageHandler {
 public:
  FakeCore(FakePlatform& board, std::deque<std::uint32_t>& to_host, std::vector<std::string>& log)
      : board_(board), to_host_(to_host), log_(log) {
    notifier_.on_notify = [this](std::uint32_t id) { to_host_.push_back(id); };
  }

  // The firmware's boot: find its own table (the host has loaded it).
  void Boot(std::size_t table_size) {
    RemoteLinkConfig config;
    config.table.table = ByteSpan(board_.At(fw::kTableDa, table_size), table_size);
    config.table.device_memory =
        shm::Region::Create(board_.At(FakePlatform::kPoolBase, FakePlatform::kPoolSize),
                            FakePlatform::kPoolSize, FakePlatform::kPoolBase)
            .value();
    config.table.image = DeviceRange{fw::kCodeDa, fw::kCodeLen};
    config.table.max_vring_num = kNum;
    config.table.buffer_size = kBufferSize;
    config.send_timeout = rpmsg::Timeout::None();
    config.mailbox = &notifier_;  // kLinkBroken goes to the host's mailbox
    auto opened = RemoteLink::Open(config, bus_, *this);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    link_.emplace(std::move(opened).value());
  }

  // One main-loop iteration: the mailbox, the vdev status, the bus.
  void Step() {
    while (!inbox.empty()) {
      const std::uint32_t message = inbox.front();
      inbox.pop_front();
      if (message == mailbox::kShutdown) {
        link_->Stop();
        to_host_.push_back(mailbox::kShutdownAck);
      } else if (message == mailbox::kVdevReset) {
        link_->Reset();
        to_host_.push_back(mailbox::kVdevResetAck);
      }
      // Kicks and kPendingMessage only say "look": the bus is polled below.
    }
    link_->Update();
    if (!link_->running()) return;
    Status s;
    do {
      s = link_->Poll();
    } while (s.code() == StatusCode::kUnavailable);
  }

  RemoteLink& link() { return *link_; }
  rpmsg::RemoteBus& bus() { return bus_; }
  rpmsg::Endpoint& endpoint() { return endpoint_; }

  std::deque<std::uint32_t> inbox;  // host -> remote
  std::vector<std::string> received;

 private:
  // RemoteLinkListener: the service lives while the link runs.
  void OnLinkUp(const VdevLink&) override {
    log_.push_back("up");
    rpmsg::EndpointConfig config;
    config.name = kService;
    ASSERT_TRUE(bus_.CreateEndpoint(endpoint_, config, *this).ok());
  }
  void OnLinkDown(LinkDownCause cause) override {
    static constexpr const char* kCauses[] = {"driver reset", "vdev reset", "stopped", "broken"};
    log_.push_back(std::string("down: ") + kCauses[static_cast<int>(cause)]);
    bus_.DestroyEndpoint(endpoint_);
  }
  void OnLinkFailed(LinkFailure, const Status& error) override {
    log_.push_back(std::string("failed: ") + error.message());
    failure = error;
  }

 public:
  Status failure;  // the last OnLinkFailed error

 private:
  // MessageHandler: the echo service, replying from inside Poll().
  void OnMessage(rpmsg::Endpoint& endpoint, rpmsg::ReceivedMessage& message) override {
    received.push_back(Text(message.payload()));
    const std::string reply = "echo: " + received.back();
    EXPECT_TRUE(bus_.TrySendTo(endpoint, message.src(), Bytes(reply)).ok());
  }

  FakePlatform& board_;
  std::deque<std::uint32_t>& to_host_;
  std::vector<std::string>& log_;
  rpmsg::NoLock lock_;
  rpmsg::testing::RecordingNotifier notifier_;
  rpmsg::testing::FakeWaiter waiter_;
  rpmsg::RemoteBusStorage<kNum, 16> storage_;
  rpmsg::RemoteBus bus_{rpmsg::BusPlatform{notifier_, lock_, waiter_}, storage_.memory()};
  std::optional<RemoteLink> link_;
  rpmsg::Endpoint endpoint_;
};

class VdevLinkTest : public ::testing::Test {
 protected:
  VdevLinkTest() {
    fw::FirmwareSpec spec = fw::StdSpec();
    spec.table = LinkTable();
    table_size_ = spec.table.size();
    firmware_ = fw::BuildFirmware(spec);
    rproc_.set_vdev_listener(&link_);
    // The mailbox to the core; what a core held in reset never sees.
    platform_.on_send = [this](std::uint32_t message) {
      // The bus kicks under the link lock (Start, Poll); the wake-up not.
      if (message == mailbox::kPendingMessage && link_lock_.held()) ++wakeups_under_link_lock_;
      if (core_) core_->inbox.push_back(message);
    };
    // RemoteProc waits for an answer: the core runs meanwhile.
    platform_.on_wait = [this](std::uint32_t message) {
      for (int i = 0; i < 10; ++i) {
        SyncCore();
        if (!core_) return FakePlatform::Reply::kDied;
        core_->Step();
        if (TakeControl(message)) return FakePlatform::Reply::kAck;
      }
      return FakePlatform::Reply::kTimeout;
    };
    EXPECT_TRUE(host_bus_.RegisterDriver(kService, driver_).ok());
  }
  // The core first: a running core's endpoint announces its destruction and
  // kicks into to_host_, which is destroyed before core_ otherwise. The hooks
  // go too: rproc_'s destructor stops the remote, and on_wait would boot a
  // new core into the members already destroyed by then (ASan).
  ~VdevLinkTest() override {
    platform_.on_wait = nullptr;
    platform_.on_send = nullptr;
    core_.reset();
  }

  // The core follows the platform: out of reset since the last Start() or
  // held in reset. A new Start() is a new boot (memory reloaded).
  void SyncCore() {
    if (!platform_.running) {
      core_.reset();
      return;
    }
    if (core_ && core_starts_ == platform_.starts.size()) return;
    core_starts_ = platform_.starts.size();
    core_ = std::make_unique<FakeCore>(platform_, to_host_, core_log_);
    core_->Boot(table_size_);
  }

  // One turn of each side: the core's loop, then the host's event thread.
  void Step() {
    SyncCore();
    if (core_) core_->Step();
    while (!to_host_.empty()) {
      const std::uint32_t message = to_host_.front();
      to_host_.pop_front();
      if (mailbox::IsControl(message)) {
        controls_.push_back(message);
        // What Session::OnControl does: kLinkBroken is a crash, once per run.
        const Status s = link_.OnControl(message);
        if (!s.ok()) remote_reports_.push_back(s);
        continue;
      }
      const Status s = link_.OnNotify(message);
      if (s.code() == StatusCode::kDataLoss) broken_reports_.push_back(s);
    }
  }
  bool RunUntil(const std::function<bool()>& done, int max_steps = 20) {
    for (int i = 0; i < max_steps && !done(); ++i) Step();
    return done();
  }
  // Takes a control message the core sent to the host.
  bool TakeControl(std::uint32_t message) {
    for (auto it = to_host_.begin(); it != to_host_.end(); ++it) {
      if (*it == message) {
        to_host_.erase(it);
        return true;
      }
    }
    return false;
  }

  // Boot, the name service binds the channel, one exchange each way.
  void BootAndBind() {
    ASSERT_TRUE(rproc_.Boot(fw::Span(firmware_)).ok()) << rproc_.error_detail();
    ASSERT_TRUE(RunUntil([&] { return !driver_.bound.empty(); }));
    ExchangeBothWays("hello");
  }

  // Host -> remote -> host (echo) and remote -> host, contents checked.
  void ExchangeBothWays(const std::string& text) {
    ASSERT_EQ(driver_.bound.size(), 1u);
    rpmsg::Channel& channel = *driver_.bound[0];
    const std::size_t before = driver_.messages.size();
    ASSERT_TRUE(channel.TrySend(Bytes(text)).ok());
    ASSERT_TRUE(RunUntil([&] { return driver_.messages.size() == before + 1; }));
    EXPECT_EQ(core_->received.back(), text);
    EXPECT_EQ(driver_.messages.back().text, "echo: " + text);
    EXPECT_EQ(driver_.messages.back().src, channel.remote_address());
    EXPECT_EQ(driver_.messages.back().dst, channel.local_address());

    const std::string unsolicited = "from the remote: " + text;
    ASSERT_TRUE(core_->bus()
                    .TrySendTo(core_->endpoint(), channel.local_address(), Bytes(unsolicited))
                    .ok());
    ASSERT_TRUE(RunUntil([&] { return driver_.messages.size() == before + 2; }));
    EXPECT_EQ(driver_.messages.back().text, unsolicited);
  }

  std::uint8_t LoadedStatus() {
    auto status = rproc_.ReadVdevStatus();
    return status.ok() ? *status : 0xFF;
  }

  FakePlatform platform_;
  remoteproc::RemoteProc rproc_{platform_, remoteproc::Options{}};
  // Host side: the bus and its platform, the link and its lock.
  Doorbell doorbell_{platform_};
  rpmsg::testing::CheckingLock bus_lock_;
  rpmsg::testing::FakeWaiter waiter_{&bus_lock_};
  std::unique_ptr<rpmsg::HostBusStorage<16, 16, 4>> storage_ =
      std::make_unique<rpmsg::HostBusStorage<16, 16, 4>>();
  rpmsg::HostBus host_bus_{rpmsg::BusPlatform{doorbell_, bus_lock_, waiter_}, storage_->memory()};
  rpmsg::testing::CheckingLock link_lock_;
  HostLink link_{rproc_, host_bus_, doorbell_, link_lock_};
  RecordingDriver driver_;

  fw::Bytes firmware_;
  std::size_t table_size_ = 0;
  std::unique_ptr<FakeCore> core_;
  std::size_t core_starts_ = 0;
  std::deque<std::uint32_t> to_host_;
  std::vector<std::uint32_t> controls_;
  std::vector<Status> broken_reports_;
  std::vector<Status> remote_reports_;  // HostLink::OnControl's kDataLoss
  std::vector<std::string> core_log_;
  int wakeups_under_link_lock_ = 0;
};

TEST_F(VdevLinkTest, BootBringsTheLinkUpAndTheAnnouncedChannelCarriesTrafficBothWays) {
  ASSERT_TRUE(rproc_.Boot(fw::Span(firmware_)).ok()) << rproc_.error_detail();
  // VirtIO 1.x 3.1.1: the host set the rings up, then DRIVER_OK; and woke
  // the remote.
  EXPECT_TRUE(link_.up());
  EXPECT_EQ(LoadedStatus(), kDriverReadyStatus);
  EXPECT_EQ(platform_.sent.back(), mailbox::kPendingMessage);
  EXPECT_EQ(wakeups_under_link_lock_, 0);

  ASSERT_TRUE(RunUntil([&] { return !driver_.bound.empty(); }));
  EXPECT_EQ(core_->link().state(), RemoteLinkState::kRunning);
  EXPECT_EQ(core_log_, (std::vector<std::string>{"up"}));
  // Name service: the remote's first dynamic address, bound on the host.
  EXPECT_EQ(driver_.remote_addresses, (std::vector<std::uint32_t>{0x400}));
  // The remote uses what the host placed and negotiated.
  const VdevLink* link = core_->link().link();
  ASSERT_NE(link, nullptr);
  const remoteproc::VdevResources& vdev = *rproc_.vdev();
  EXPECT_EQ(link->bus.vring0.ring.device_address(), vdev.vring[0].da);
  EXPECT_EQ(link->bus.vring1.ring.device_address(), vdev.vring[1].da);
  EXPECT_EQ(link->bus.vring0.notifyid, 0u);
  EXPECT_EQ(link->bus.vring1.notifyid, 1u);
  EXPECT_EQ(link->bus.buffers.device_address(), vdev.buffers_da);
  EXPECT_EQ(link->gfeatures, vdev.features);
  EXPECT_TRUE(link->bus.event_idx);

  for (int i = 0; i < 3 * static_cast<int>(kNum); ++i) {  // every buffer, more than once
    ExchangeBothWays("message " + std::to_string(i));
  }
  EXPECT_TRUE(broken_reports_.empty());
  EXPECT_EQ(bus_lock_.reentries(), 0);
  EXPECT_EQ(link_lock_.reentries(), 0);
  EXPECT_TRUE(platform_.GuardsIntact());
}

TEST_F(VdevLinkTest, NotifyIdsOfOtherVringsAreIgnoredAndPollWhileDownSaysSo) {
  EXPECT_TRUE(link_.Poll().Is(kHostLinkDown));
  BootAndBind();
  EXPECT_TRUE(link_.OnNotify(7).ok());  // not vring0's or vring1's: ignored
  EXPECT_TRUE(link_.Poll().ok());
  ASSERT_TRUE(rproc_.Stop().ok());
  EXPECT_FALSE(link_.up());
  EXPECT_TRUE(link_.Poll().Is(kHostLinkDown));
  EXPECT_TRUE(link_.OnNotify(0).Is(kHostLinkDown));
}

TEST_F(VdevLinkTest, StopIsAHandshakeThatTakesBothSidesDown) {
  BootAndBind();
  ASSERT_TRUE(rproc_.Stop().ok());
  EXPECT_TRUE(rproc_.last_stop().graceful);  // the core acked kShutdown
  EXPECT_EQ(core_log_, (std::vector<std::string>{"up", "down: stopped"}));
  EXPECT_EQ(driver_.unbound, 1);
  EXPECT_TRUE(driver_.bound.empty());
  EXPECT_EQ(host_bus_.status().code(), StatusCode::kFailedPrecondition);
  SyncCore();
  EXPECT_EQ(core_, nullptr);  // held in reset
  EXPECT_FALSE(platform_.running);

  // A second boot brings it all back.
  BootAndBind();
  EXPECT_EQ(driver_.remote_addresses, (std::vector<std::uint32_t>{0x400, 0x400}));
}

// Detach + Attach: RemoteProc resets the vdev (status 0, kVdevReset, waits
// for kVdevResetAck) and sets it up again; the remote core keeps running.
class VdevResetTest : public VdevLinkTest {
 protected:
  void Run(bool remote_sees_status_cleared) {
    BootAndBind();
    platform_.loaded_table = FakePlatform::Mapping{fw::kTableDa, table_size_};
    FakeCore* core = core_.get();

    ASSERT_TRUE(rproc_.Detach().ok());
    EXPECT_FALSE(link_.up());
    EXPECT_EQ(driver_.unbound, 1);  // channels unbound at once
    EXPECT_TRUE(driver_.bound.empty());
    if (remote_sees_status_cleared) {
      Step();  // DRIVER_OK is gone: the remote stops using the rings
      EXPECT_EQ(core_->link().state(), RemoteLinkState::kWaitingForDriver);
    }

    ASSERT_TRUE(rproc_.Attach().ok()) << rproc_.error_detail();
    EXPECT_EQ(core_.get(), core);  // not rebooted
    EXPECT_TRUE(link_.up());
    EXPECT_EQ(LoadedStatus(), kDriverReadyStatus);
    EXPECT_EQ(core_log_,
              (std::vector<std::string>{
                  "up", remote_sees_status_cleared ? "down: driver reset" : "down: vdev reset"}));

    // The link comes back and the service is announced again.
    ASSERT_TRUE(RunUntil([&] { return !driver_.bound.empty(); }));
    EXPECT_EQ(driver_.remote_addresses, (std::vector<std::uint32_t>{0x400, 0x400}));
    EXPECT_EQ(core_log_.back(), "up");
    ExchangeBothWays("after the reset");
    EXPECT_TRUE(broken_reports_.empty());
  }
};

TEST_F(VdevResetTest, VdevResetHandshakeUnbindsAndTheLinkComesBackReannounced) { Run(false); }

TEST_F(VdevResetTest, DriverOkClearedStopsTheRemoteUntilTheHostSetsItUpAgain) { Run(true); }

TEST_F(VdevLinkTest, CrashWithRecoveryRebootsTheRemoteAndTheChannelIsBoundAgain) {
  BootAndBind();
  const FakeCore* before = core_.get();
  rproc_.ReportCrash(remoteproc::CrashReason::kFault, "test: the core faulted");
  EXPECT_EQ(rproc_.state(), remoteproc::State::kRunning);
  EXPECT_TRUE(rproc_.last_recovery().ok());
  EXPECT_EQ(driver_.unbound, 1);
  EXPECT_TRUE(link_.up());  // set up again for the new run
  EXPECT_EQ(LoadedStatus(), kDriverReadyStatus);

  ASSERT_TRUE(RunUntil([&] { return !driver_.bound.empty(); }));
  EXPECT_NE(core_.get(), before);  // a fresh boot
  EXPECT_EQ(driver_.remote_addresses, (std::vector<std::uint32_t>{0x400, 0x400}));
  ExchangeBothWays("after the crash");
}

TEST_F(VdevLinkTest, ABrokenRingIsReportedOnceAndRecoveryBringsTheLinkBack) {
  BootAndBind();
  // A hostile remote: vring0's used->idx jumps by 1000 (> num), then kicks.
  const remoteproc::VringResources& vring0 = rproc_.vdev()->vring[0];
  const auto layout = virtio::RingLayout::Compute(kNum, 4096).value();
  shm::Region ring = vring0.ring;
  const Le16 idx = ring.Read<Le16>(layout.used_idx()).value();
  ASSERT_TRUE(ring.Write<Le16>(layout.used_idx(), Le16(idx.get() + 1000)).ok());
  to_host_.push_back(vring0.notifyid);
  to_host_.push_back(vring0.notifyid);
  Step();
  ASSERT_EQ(broken_reports_.size(), 1u);  // once, not once per kick
  EXPECT_EQ(broken_reports_[0].code(), StatusCode::kDataLoss);
  EXPECT_EQ(link_.status().code(), StatusCode::kDataLoss);
  EXPECT_TRUE(link_.Poll().ok());  // already reported
  EXPECT_EQ(broken_reports_.size(), 1u);

  // What Session does with the report.
  rproc_.ReportCrash(remoteproc::CrashReason::kLinkBroken, broken_reports_[0].message());
  EXPECT_TRUE(rproc_.last_recovery().ok());
  ASSERT_TRUE(RunUntil([&] { return !driver_.bound.empty(); }));
  ExchangeBothWays("after recovery");
  EXPECT_EQ(broken_reports_.size(), 1u);
}

// --- The remote reports a broken link (DEVICE_NEEDS_RESET + kLinkBroken) -----

// The host's rings as a hostile or buggy driver would write them.
class HostRings {
 public:
  explicit HostRings(const remoteproc::VdevResources& vdev)
      : vdev_(vdev), layout_(virtio::RingLayout::Compute(kNum, 4096).value()) {}

  // vring1 (host -> remote): publishes one more avail entry `head`, whose
  // descriptor is {addr, len} (device-readable) unless `head` >= num.
  void PostTx(std::uint16_t head, std::uint64_t addr, std::uint32_t len) {
    shm::Region ring = vdev_.vring[1].ring;
    if (head < kNum) {
      ASSERT_TRUE(ring.Write<Le64>(layout_.desc(head), Le64(addr)).ok());
      ASSERT_TRUE(ring.Write<Le32>(layout_.desc(head) + 8, Le32(len)).ok());
      ASSERT_TRUE(ring.Write<Le16>(layout_.desc(head) + 12, Le16(0)).ok());
    }
    const std::uint16_t idx = ring.Read<Le16>(layout_.avail_idx()).value().get();
    ASSERT_TRUE(ring.Write<Le16>(layout_.avail_ring(idx % kNum), Le16(head)).ok());
    ASSERT_TRUE(ring.Write<Le16>(layout_.avail_idx(), Le16(idx + 1)).ok());
  }
  // vring0 (remote -> host): rewrites every receive descriptor the host
  // posted (the remote pops one of them on its next send).
  void RewriteRx(std::uint64_t addr_delta, std::uint32_t len) {
    shm::Region ring = vdev_.vring[0].ring;
    for (std::uint16_t i = 0; i < kNum; ++i) {
      const std::uint64_t addr = ring.Read<Le64>(layout_.desc(i)).value().get();
      ASSERT_TRUE(ring.Write<Le64>(layout_.desc(i), Le64(addr + addr_delta)).ok());
      ASSERT_TRUE(ring.Write<Le32>(layout_.desc(i) + 8, Le32(len)).ok());
    }
  }
  std::uint64_t rx_half() const { return vdev_.buffers_da; }
  std::uint64_t tx_half() const { return vdev_.buffers_da + kNum * kBufferSize; }

 private:
  const remoteproc::VdevResources& vdev_;
  virtio::RingLayout layout_;
};

struct Corruption {
  const char* name;
  std::function<void(HostRings&)> corrupt;
  bool remote_sends;     // the remote finds it when it sends (vring0), else when it polls
  const char* expected;  // the remote's reason
};

class RemoteReportsBrokenLinkTest : public VdevLinkTest,
                                    public ::testing::WithParamInterface<Corruption> {};

TEST_P(RemoteReportsBrokenLinkTest, RemoteSetsNeedsResetSendsLinkBrokenAndHostRecovers) {
  BootAndBind();
  const Corruption& c = GetParam();
  HostRings rings(*rproc_.vdev());
  c.corrupt(rings);
  if (c.remote_sends) {
    // The remote's next send pops a corrupted receive buffer of the host.
    EXPECT_EQ(core_->bus()
                  .TrySendTo(core_->endpoint(), driver_.bound[0]->local_address(), Bytes("x"))
                  .code(),
              StatusCode::kDataLoss);
  } else {
    core_->inbox.push_back(rproc_.vdev()->vring[1].notifyid);
  }
  Step();
  Step();

  // The remote stopped using the rings and told the host both ways.
  EXPECT_EQ(core_->link().state(), RemoteLinkState::kFailed);
  // Status::Is() by hand: the reason is a parameter, so compare the address.
  EXPECT_EQ(static_cast<const void*>(core_->failure.message()),
            static_cast<const void*>(c.expected))
      << core_->failure.message();
  EXPECT_EQ(LoadedStatus(), kDriverReadyStatus |
                                static_cast<std::uint8_t>(virtio::DeviceStatus::kDeviceNeedsReset));
  EXPECT_EQ(controls_, (std::vector<std::uint32_t>{mailbox::kLinkBroken}));
  ASSERT_EQ(remote_reports_.size(), 1u);
  EXPECT_TRUE(remote_reports_[0].Is(kRemoteFoundLinkBroken));
  EXPECT_EQ(remote_reports_[0].code(), StatusCode::kDataLoss);
  // Once per run of the link.
  EXPECT_TRUE(link_.OnControl(mailbox::kLinkBroken).ok());

  // What Session does with it: a crash, recovered (recovery on).
  const FakeCore* before = core_.get();
  rproc_.ReportCrash(remoteproc::CrashReason::kLinkBroken, remote_reports_[0].message());
  EXPECT_EQ(rproc_.state(), remoteproc::State::kRunning);
  EXPECT_TRUE(rproc_.last_recovery().ok());
  EXPECT_EQ(driver_.unbound, 1);
  EXPECT_EQ(LoadedStatus(), kDriverReadyStatus);  // the new run's status: bit cleared
  ASSERT_TRUE(RunUntil([&] { return !driver_.bound.empty(); }));
  EXPECT_NE(core_.get(), before);
  for (int i = 0; i < 2 * static_cast<int>(kNum); ++i) {
    ExchangeBothWays("after the remote reported " + std::to_string(i));
  }
  EXPECT_EQ(core_->link().state(), RemoteLinkState::kRunning);
  EXPECT_EQ(remote_reports_.size(), 1u);
  EXPECT_TRUE(broken_reports_.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Corruptions, RemoteReportsBrokenLinkTest,
    ::testing::Values(
        Corruption{"AvailEntryOutOfRange", [](HostRings& r) { r.PostTx(kNum + 3, 0, 0); }, false,
                   virtio::kAvailEntryOutOfRange},
        Corruption{"TxDescriptorOutsideShm", [](HostRings& r) { r.PostTx(0, fw::kCodeDa, 64); },
                   false, virtio::kBufferOutsideShm},
        Corruption{"TxDescriptorInTheRxHalf",
                   [](HostRings& r) { r.PostTx(0, r.rx_half() + kBufferSize, 64); }, false,
                   rpmsg::kHostTxBufferNotInTxHalf},
        Corruption{"TxDescriptorPastTheBufferArea",
                   [](HostRings& r) {
                     r.PostTx(0, r.tx_half() + (kNum - 1) * kBufferSize, 2 * kBufferSize);
                   },
                   false, virtio::kBufferOutsideShm},
        Corruption{"RxBufferTooSmall", [](HostRings& r) { r.RewriteRx(0, 64); }, true,
                   rpmsg::kHostBufferTooSmall},
        Corruption{"RxBufferInTheTxHalf",
                   [](HostRings& r) { r.RewriteRx(kNum * kBufferSize, kBufferSize); }, true,
                   rpmsg::kHostRxBufferNotInRxHalf}),
    [](const ::testing::TestParamInfo<Corruption>& p) { return std::string(p.param.name); });

// The remote's kLinkBroken word is lost (a full mailbox FIFO): the status
// byte it set stays, and the host's periodic check finds it.
TEST_F(VdevLinkTest, NeedsResetInTheStatusIsFoundByTheCheckWhenTheMailboxWordIsLost) {
  BootAndBind();
  EXPECT_TRUE(link_.CheckProgress(0).ok());
  HostRings rings(*rproc_.vdev());
  rings.PostTx(kNum + 3, 0, 0);
  core_->inbox.push_back(rproc_.vdev()->vring[1].notifyid);
  core_->Step();
  ASSERT_EQ(core_->link().state(), RemoteLinkState::kFailed);
  ASSERT_TRUE(TakeControl(mailbox::kLinkBroken));  // lost on the way
  const Status s = link_.CheckProgress(1);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(kRemoteFoundLinkBroken));
  EXPECT_TRUE(link_.CheckProgress(2).ok());  // once per run
  EXPECT_TRUE(link_.OnControl(mailbox::kLinkBroken).ok());

  rproc_.ReportCrash(remoteproc::CrashReason::kLinkBroken, s.message());
  EXPECT_TRUE(rproc_.last_recovery().ok());
  ASSERT_TRUE(RunUntil([&] { return !driver_.bound.empty(); }));
  ExchangeBothWays("after the lost report");
  EXPECT_TRUE(link_.CheckProgress(3).ok());  // the new run's status is clean
}

// --- The progress bound: a remote that stops consuming, silently ---------------

TEST_F(VdevLinkTest, ProgressBoundFiresOnceForARemoteThatStopsConsuming) {
  constexpr std::uint64_t kLimit = HostLinkOptions{}.progress_limit_ns;
  BootAndBind();
  // Nothing pending: no clock matters.
  EXPECT_TRUE(link_.CheckProgress(0).ok());
  EXPECT_TRUE(link_.CheckProgress(10 * kLimit).ok());

  // A consuming remote: pending for a moment, then consumed.
  rpmsg::Channel& channel = *driver_.bound[0];
  ASSERT_TRUE(channel.TrySend(Bytes("consumed")).ok());
  EXPECT_TRUE(link_.CheckProgress(20 * kLimit).ok());
  Step();
  EXPECT_TRUE(link_.CheckProgress(40 * kLimit).ok());

  // The remote stops (its loop no longer runs): what the host sent stays.
  ASSERT_TRUE(channel.TrySend(Bytes("never consumed")).ok());
  const std::uint64_t t0 = 50 * kLimit;
  EXPECT_TRUE(link_.CheckProgress(t0).ok());           // first seen pending
  EXPECT_TRUE(link_.CheckProgress(t0 + kLimit).ok());  // at the limit, not past it
  const Status s = link_.CheckProgress(t0 + kLimit + 1);
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(s.Is(kLinkStalled));
  EXPECT_TRUE(link_.CheckProgress(t0 + 2 * kLimit).ok());  // reported once per run

  // What Session does with it: a crash; recovery brings the traffic back.
  rproc_.ReportCrash(remoteproc::CrashReason::kLinkBroken, s.message());
  EXPECT_TRUE(rproc_.last_recovery().ok());
  ASSERT_TRUE(RunUntil([&] { return !driver_.bound.empty(); }));
  ExchangeBothWays("after the stall");
  EXPECT_TRUE(link_.CheckProgress(t0 + 10 * kLimit).ok());
}

TEST_F(VdevLinkTest, ProgressBoundOfZeroIsOff) {
  HostLinkOptions options;
  options.progress_limit_ns = 0;
  HostLink unbounded(rproc_, host_bus_, doorbell_, link_lock_, options);
  rproc_.set_vdev_listener(&unbounded);
  ASSERT_TRUE(rproc_.Boot(fw::Span(firmware_)).ok());
  ASSERT_TRUE(RunUntil([&] {
    unbounded.Poll().IgnoreError();  // Step() kicks link_, which is down
    return !driver_.bound.empty();
  }));
  ASSERT_TRUE(driver_.bound[0]->TrySend(Bytes("pending")).ok());
  EXPECT_TRUE(unbounded.CheckProgress(0).ok());
  EXPECT_TRUE(unbounded.CheckProgress(~std::uint64_t{0}).ok());
  ASSERT_TRUE(rproc_.Stop().ok());
  rproc_.set_vdev_listener(&link_);
}

TEST_F(VdevLinkTest, StatusWriteFailureLeavesTheLinkDownAndTheBusRestartable) {
  // A second RemoteProc with no vdev: SetVdevStatus fails.
  FakePlatform other_platform;
  remoteproc::RemoteProc other(other_platform, remoteproc::Options{});
  ASSERT_TRUE(rproc_.Load(fw::Span(firmware_)).ok());
  HostLink orphan(other, host_bus_, doorbell_, link_lock_);
  EXPECT_EQ(orphan.OnVdevReady(*rproc_.vdev()).code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(orphan.up());
  EXPECT_EQ(host_bus_.status().code(), StatusCode::kFailedPrecondition);  // stopped again
  // So the real start works.
  ASSERT_TRUE(rproc_.Start().ok());
  ASSERT_TRUE(RunUntil([&] { return !driver_.bound.empty(); }));
}

TEST(HostBusConfigTest, CarriesTheVdevResourcesAndTheNegotiatedFeatures) {
  tandem::testing::FakeShm shm(0x10000, 0x40000000);
  remoteproc::VdevResources vdev;
  vdev.vring[0] = {shm.region().Sub(0, 0x1000).value(), 0x40000000, 8, 64, 3};
  vdev.vring[1] = {shm.region().Sub(0x1000, 0x1000).value(), 0x40001000, 8, 64, 4};
  vdev.buffers = shm.region().Sub(0x8000, 0x2000).value();
  vdev.buffer_size = 512;
  vdev.features = 1u << 0;  // NS, no EVENT_IDX
  HostLinkOptions options;
  options.send_timeout = rpmsg::Timeout::Milliseconds(5);
  const rpmsg::BusConfig config = HostBusConfig(vdev, options);
  EXPECT_EQ(config.vring0.ring.device_address(), 0x40000000u);
  EXPECT_EQ(config.vring0.notifyid, 3u);
  EXPECT_EQ(config.vring1.ring.device_address(), 0x40001000u);
  EXPECT_EQ(config.vring1.notifyid, 4u);
  EXPECT_EQ(config.vring1.num, 8u);
  EXPECT_EQ(config.vring1.align, 64u);
  EXPECT_EQ(config.buffers.device_address(), 0x40008000u);
  EXPECT_EQ(config.buffer_size, 512u);
  EXPECT_TRUE(config.name_service);
  EXPECT_FALSE(config.event_idx);
  EXPECT_EQ(config.send_timeout.ns(), 5'000'000u);
}

}  // namespace
}  // namespace tandem::vdev
