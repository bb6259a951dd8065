// tiny::Remote against Tandem's own host side, in one process (as
// core/vdev/vdev_link_test.cc does for the rich remote): RemoteProc + HostLink
// + HostBus over the fake rproc platform load a firmware whose table is the
// tiny remote's, and a "core" runs a tiny::Remote<2> with an echo endpoint
// over the same fake memory. The test thread steps both sides in turn.
// Then the hostile host: corrupted rings and a bogus loaded table, each a
// clean refusal (Fault) without an access outside what the host may hand
// out (the asan build runs these).

#include "tandem/tiny/remote.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tandem/remoteproc/mailbox.h"
#include "tandem/remoteproc/remote_proc.h"
#include "tandem/rpmsg/host_bus.h"
#include "tandem/rpmsg/wire.h"
#include "tandem/rsc/builder.h"
#include "tandem/testing/fake_bus_platform.h"
#include "tandem/testing/fake_host.h"
#include "tandem/testing/fake_rproc_platform.h"
#include "tandem/testing/test_firmware.h"
#include "tandem/vdev/host_link.h"
#include "tandem/virtio/features.h"
#include "tandem/virtio/ring_layout.h"

namespace tandem::tiny {
namespace {

namespace mailbox = remoteproc::mailbox;
namespace fw = remoteproc::testing;
using remote::testing::Bytes;
using remote::testing::RecordingDriver;
using remote::testing::Text;
using remoteproc::testing::FakePlatform;

constexpr std::uint16_t kNum = 8;
constexpr std::uint16_t kBufferSize = 512;
constexpr std::uint32_t kMaxPayload = kBufferSize - rpmsg::kHeaderSize;  // 496
constexpr char kService[] = "tandem-echo";
constexpr std::uint32_t kAlign = 4096;

// The firmware's table: its image, the buffers, one rpmsg vdev offering
// only the name service (the tiny remote has no EVENT_IDX).
struct TinyTable {
  rsc::TableHeader<3> header;
  rsc::CarveoutEntry code;
  rsc::CarveoutEntry buffers;
  rsc::RpmsgVdevEntry<2> vdev;
};
constexpr TinyTable kTinyTable = {
    .header = rsc::MakeHeader<3>(
        {offsetof(TinyTable, code), offsetof(TinyTable, buffers), offsetof(TinyTable, vdev)}),
    .code = rsc::MakeCarveout(fw::kCodeDa, fw::kCodeLen, "code"),
    .buffers = rsc::MakeCarveout(rsc::kAddrAny, 2 * kNum * kBufferSize, "vdev0buffer"),
    .vdev = rsc::MakeRpmsgVdev(0, 1u << virtio::kRpmsgFeatureNs,
                               {{rsc::kAddrAny, kAlign, kNum, rsc::kAddrAny},
                                {rsc::kAddrAny, kAlign, kNum, rsc::kAddrAny}}),
};

fw::Bytes TableBytes(const TinyTable& table) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(&table);
  return fw::Bytes(p, p + sizeof(table));
}

std::string Pattern(std::size_t size, std::uint32_t seed) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((seed * 131 + i * 7 + 1) & 0xFF);
  return s;
}

class Doorbell final : public rpmsg::Notifier {
 public:
  explicit Doorbell(remoteproc::Platform& platform) : platform_(platform) {}
  Status Notify(std::uint32_t message) override { return platform_.Send(message); }

 private:
  remoteproc::Platform& platform_;
};

// One run of the remote core: the tiny remote with one echo endpoint.
class TinyCore {
 public:
  TinyCore(FakePlatform& board, std::deque<std::uint32_t>& to_host)
      : to_host_(to_host), remote_(MakeConfig(board, this)) {
    echo_ = remote_.Open<&TinyCore::OnEcho>(kService, *this);
  }

  static Config MakeConfig(FakePlatform& board, TinyCore* self) {
    Config c;
    c.table = board.At(fw::kTableDa, sizeof(TinyTable));
    c.table_size = sizeof(TinyTable);
    c.vdev_offset = offsetof(TinyTable, vdev);
    c.carveout_offset = offsetof(TinyTable, buffers);
    c.window.da = FakePlatform::kPoolBase;
    c.window.base = board.At(FakePlatform::kPoolBase, FakePlatform::kPoolSize);
    c.window.size = FakePlatform::kPoolSize;
    c.num = kNum;
    c.buffer_size = kBufferSize;
    c.notify = [](void* context, std::uint32_t notifyid) {
      static_cast<TinyCore*>(context)->to_host_.push_back(notifyid);
    };
    c.notify_context = self;
    return c;
  }

  void Step() {
    while (!inbox.empty()) {
      const std::uint32_t message = inbox.front();
      inbox.pop_front();
      if (message == mailbox::kShutdown) to_host_.push_back(mailbox::kShutdownAck);
      if (message == mailbox::kVdevReset) to_host_.push_back(mailbox::kVdevResetAck);
    }
    last = remote_.Poll();
  }

  void OnEcho(std::uint32_t src, ConstByteSpan payload) {
    received.push_back(Text(payload));
    if (echo_on) {
      EXPECT_EQ(remote_.Send(*echo_, src, payload), StatusCode::kOk);
    }
  }

  Remote<2>& remote() { return remote_; }
  Endpoint& echo() { return *echo_; }

  std::deque<std::uint32_t> inbox;
  std::vector<std::string> received;
  bool echo_on = true;
  StatusCode last = StatusCode::kOk;

 private:
  std::deque<std::uint32_t>& to_host_;
  Remote<2> remote_;
  Endpoint* echo_ = nullptr;
};

class TinyLinkTest : public ::testing::Test {
 protected:
  TinyLinkTest() {
    fw::FirmwareSpec spec = fw::StdSpec();
    spec.table = TableBytes(kTinyTable);
    firmware_ = fw::BuildFirmware(spec);
    rproc_.set_vdev_listener(&link_);
    platform_.on_send = [this](std::uint32_t message) {
      if (core_) core_->inbox.push_back(message);
    };
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
  ~TinyLinkTest() override {
    platform_.on_wait = nullptr;
    platform_.on_send = nullptr;
    core_.reset();
  }

  void SyncCore() {
    if (!platform_.running) {
      core_.reset();
      return;
    }
    if (core_ && core_starts_ == platform_.starts.size()) return;
    core_starts_ = platform_.starts.size();
    core_ = std::make_unique<TinyCore>(platform_, to_host_);
  }

  void Step() {
    SyncCore();
    if (core_) core_->Step();
    while (!to_host_.empty()) {
      const std::uint32_t message = to_host_.front();
      to_host_.pop_front();
      if (mailbox::IsControl(message)) continue;
      const tandem::Status s = link_.OnNotify(message);
      if (s.code() == StatusCode::kDataLoss) broken_reports_.push_back(s);
    }
  }
  bool RunUntil(const std::function<bool()>& done, int max_steps = 20) {
    for (int i = 0; i < max_steps && !done(); ++i) Step();
    return done();
  }
  bool TakeControl(std::uint32_t message) {
    for (auto it = to_host_.begin(); it != to_host_.end(); ++it) {
      if (*it == message) {
        to_host_.erase(it);
        return true;
      }
    }
    return false;
  }

  void BootAndBind() {
    ASSERT_TRUE(rproc_.Boot(fw::Span(firmware_)).ok()) << rproc_.error_detail();
    ASSERT_TRUE(RunUntil([&] { return !driver_.bound.empty(); }));
    ASSERT_EQ(core_->remote().state(), LinkState::kRunning);
  }

  // Host -> remote -> host, the payload checked byte for byte both ways.
  void Echo(const std::string& payload) {
    rpmsg::Channel& channel = *driver_.bound.at(0);
    const std::size_t before = driver_.messages.size();
    ASSERT_TRUE(channel.TrySend(Bytes(payload)).ok()) << payload.size();
    ASSERT_TRUE(RunUntil([&] { return driver_.messages.size() == before + 1; })) << payload.size();
    EXPECT_EQ(core_->received.back(), payload);
    EXPECT_EQ(driver_.messages.back().text, payload);
    EXPECT_EQ(driver_.messages.back().src, channel.remote_address());
    EXPECT_EQ(driver_.messages.back().dst, channel.local_address());
  }

  std::byte* Vring(int i) { return platform_.At(rproc_.vdev()->vring[i].da, 1); }
  std::uint8_t VdevStatus() {
    auto status = rproc_.ReadVdevStatus();
    return status.ok() ? *status : 0xFF;
  }
  // Posts a descriptor in vring1 (host -> remote) as a hostile host would.
  void PostRaw(std::uint16_t head, std::uint64_t addr, std::uint32_t len, std::uint16_t flags,
               std::uint16_t next = 0) {
    std::byte* ring = Vring(1);
    virtio::VringDesc d;
    d.addr.set(addr);
    d.len.set(len);
    d.flags.set(flags);
    d.next.set(next);
    std::memcpy(ring + 16 * head, &d, sizeof(d));
    const std::size_t avail = 16 * kNum;
    std::uint16_t idx;
    std::memcpy(&idx, ring + avail + 2, 2);
    std::memcpy(ring + avail + 4 + 2 * (idx % kNum), &head, 2);
    ++idx;
    std::memcpy(ring + avail + 2, &idx, 2);
  }
  // A message in the host's transmit half, at buffer `slot`.
  std::uint64_t WriteMessage(std::uint32_t slot, std::uint32_t dst, std::uint16_t len) {
    const std::uint64_t da = rproc_.vdev()->buffers_da + (kNum + slot) * kBufferSize;
    const rpmsg::RpmsgHeader h = rpmsg::MakeHeader(0x401, dst, len);
    std::memcpy(platform_.At(da, kBufferSize), &h, sizeof(h));
    return da;
  }
  void ExpectFault(Fault fault) {
    core_->Step();
    EXPECT_EQ(core_->last, StatusCode::kDataLoss);
    EXPECT_EQ(core_->remote().state(), LinkState::kFailed);
    EXPECT_EQ(core_->remote().fault(), fault);
    // VirtIO 1.x 2.1.1: DEVICE_NEEDS_RESET for the host to see.
    EXPECT_NE(VdevStatus() & static_cast<std::uint8_t>(virtio::DeviceStatus::kDeviceNeedsReset), 0);
    // Latched: later polls touch nothing and stay failed.
    core_->Step();
    EXPECT_EQ(core_->last, StatusCode::kDataLoss);
  }

  FakePlatform platform_;
  remoteproc::RemoteProc rproc_{platform_, remoteproc::Options{}};
  Doorbell doorbell_{platform_};
  rpmsg::testing::CheckingLock bus_lock_;
  rpmsg::testing::FakeWaiter waiter_{&bus_lock_};
  std::unique_ptr<rpmsg::HostBusStorage<16, 16, 4>> storage_ =
      std::make_unique<rpmsg::HostBusStorage<16, 16, 4>>();
  rpmsg::HostBus host_bus_{rpmsg::BusPlatform{doorbell_, bus_lock_, waiter_}, storage_->memory()};
  rpmsg::testing::CheckingLock link_lock_;
  vdev::HostLink link_{rproc_, host_bus_, doorbell_, link_lock_};
  RecordingDriver driver_;

  fw::Bytes firmware_;
  std::unique_ptr<TinyCore> core_;
  std::size_t core_starts_ = 0;
  std::deque<std::uint32_t> to_host_;
  std::vector<tandem::Status> broken_reports_;
};

TEST_F(TinyLinkTest, LinkComesUpAndTheHostBindsTheAnnouncedEndpoint) {
  ASSERT_TRUE(rproc_.Boot(fw::Span(firmware_)).ok()) << rproc_.error_detail();
  EXPECT_TRUE(link_.up());
  ASSERT_TRUE(RunUntil([&] { return !driver_.bound.empty(); }));
  EXPECT_EQ(core_->remote().state(), LinkState::kRunning);
  EXPECT_TRUE(core_->remote().name_service());
  // The name service: the first dynamic address, as the rich remote.
  EXPECT_EQ(driver_.remote_addresses, (std::vector<std::uint32_t>{0x400}));
  EXPECT_EQ(core_->echo().addr, 0x400u);
  // The host accepted only what the tiny remote offers: no EVENT_IDX.
  EXPECT_EQ(rproc_.vdev()->features, 1u << virtio::kRpmsgFeatureNs);
  EXPECT_FALSE(rproc_.vdev()->event_idx());
  EXPECT_TRUE(broken_reports_.empty());
}

TEST_F(TinyLinkTest, EchoesEveryPayloadSizeWithContentChecks) {
  BootAndBind();
  for (std::uint32_t size = 0; size <= kMaxPayload; ++size) {
    Echo(Pattern(size, size));
    if (HasFatalFailure()) return;
  }
  EXPECT_EQ(core_->received.size(), kMaxPayload + 1);
  EXPECT_TRUE(broken_reports_.empty());
}

TEST_F(TinyLinkTest, RemoteInitiatedMessagesReachTheHost) {
  BootAndBind();
  rpmsg::Channel& channel = *driver_.bound.at(0);
  for (std::uint32_t i = 0; i < 3 * kNum; ++i) {  // every host buffer, more than once
    const std::string text = Pattern(i * 20, i);
    ASSERT_EQ(core_->remote().Send(core_->echo(), channel.local_address(), Bytes(text)),
              StatusCode::kOk);
    ASSERT_TRUE(RunUntil([&] { return driver_.messages.size() == i + 1; }));
    EXPECT_EQ(driver_.messages.back().text, text);
    EXPECT_EQ(driver_.messages.back().src, 0x400u);
  }
  // Too large for a buffer: refused, nothing sent.
  EXPECT_EQ(core_->remote().Send(core_->echo(), channel.local_address(),
                                 Bytes(std::string(kMaxPayload + 1, 'x'))),
            StatusCode::kInvalidArgument);
}

TEST_F(TinyLinkTest, ASendWithoutAHostBufferIsUnavailableNotAnError) {
  BootAndBind();
  rpmsg::Channel& channel = *driver_.bound.at(0);
  // The host does not run: its receive buffers are used up, then none left.
  int sent = 0;
  StatusCode code = StatusCode::kOk;
  while ((code = core_->remote().Send(core_->echo(), channel.local_address(), Bytes("x"))) ==
             StatusCode::kOk &&
         sent < 100) {
    ++sent;
  }
  EXPECT_EQ(code, StatusCode::kUnavailable);
  EXPECT_EQ(sent, kNum);  // the host recycled the announcement's buffer while binding
  EXPECT_EQ(core_->remote().state(), LinkState::kRunning);
  ASSERT_TRUE(RunUntil([&] { return driver_.messages.size() == static_cast<std::size_t>(sent); }));
  EXPECT_EQ(core_->remote().Send(core_->echo(), channel.local_address(), Bytes("y")),
            StatusCode::kOk);
}

TEST_F(TinyLinkTest, SetsNoNotifyOnVring0OnceAnnounced) {
  BootAndBind();
  std::byte* ring = Vring(0);
  const std::size_t used = virtio::VringSize(kNum, kAlign) - 6 - 8 * kNum;
  std::uint16_t flags;
  std::memcpy(&flags, ring + used, 2);
  EXPECT_EQ(flags, virtio::kUsedFlagNoNotify);
  std::memcpy(&flags, Vring(1) + used, 2);
  EXPECT_EQ(flags, 0);
}

TEST_F(TinyLinkTest, HonoursNoInterruptFromTheHost) {
  BootAndBind();
  std::byte* avail1 = Vring(1) + 16 * kNum;
  std::uint16_t flags = virtio::kAvailFlagNoInterrupt;
  std::memcpy(avail1, &flags, 2);
  core_->echo_on = false;
  to_host_.clear();
  PostRaw(0, WriteMessage(0, 0x400, 4), rpmsg::kHeaderSize + 4, 0);
  core_->Step();
  EXPECT_EQ(core_->received.size(), 1u);
  EXPECT_TRUE(to_host_.empty());  // no kick for the consumed buffer
  flags = 0;
  std::memcpy(avail1, &flags, 2);
  PostRaw(1, WriteMessage(1, 0x400, 4), rpmsg::kHeaderSize + 4, 0);
  core_->Step();
  EXPECT_EQ(to_host_.size(), 1u);
}

TEST_F(TinyLinkTest, DriverOkGoneTakesTheLinkDownAndBackUpAnnouncesAgain) {
  BootAndBind();
  ASSERT_TRUE(rproc_.SetVdevStatus(0).ok());
  core_->Step();
  EXPECT_EQ(core_->last, StatusCode::kUnavailable);
  EXPECT_EQ(core_->remote().state(), LinkState::kWaiting);
  EXPECT_EQ(core_->remote().Send(core_->echo(), 0x401, Bytes("x")),
            StatusCode::kFailedPrecondition);
}

// --- The hostile host: corrupted rings --------------------------------------

TEST_F(TinyLinkTest, AvailIdxRunningAheadIsRefused) {
  BootAndBind();
  std::byte* idx = Vring(1) + 16 * kNum + 2;
  std::uint16_t v;
  std::memcpy(&v, idx, 2);
  v = static_cast<std::uint16_t>(v + kNum + 1);
  std::memcpy(idx, &v, 2);
  ExpectFault(Fault::kAvailIdx);
}

TEST_F(TinyLinkTest, OutOfRangeHeadIndexIsRefused) {
  BootAndBind();
  std::byte* ring = Vring(1) + 16 * kNum;
  std::uint16_t idx;
  std::memcpy(&idx, ring + 2, 2);
  const std::uint16_t head = 0xFFFF;
  std::memcpy(ring + 4 + 2 * (idx % kNum), &head, 2);
  ++idx;
  std::memcpy(ring + 2, &idx, 2);
  ExpectFault(Fault::kDescIndex);
}

TEST_F(TinyLinkTest, DescriptorOutsideTheBufferAreaIsRefused) {
  BootAndBind();
  PostRaw(0, 0x10, 64, 0);
  ExpectFault(Fault::kDescriptor);
}

TEST_F(TinyLinkTest, DescriptorAbove4GIsRefused) {
  BootAndBind();
  PostRaw(0, WriteMessage(0, 0x400, 4) | (std::uint64_t{1} << 32), 64, 0);
  ExpectFault(Fault::kDescriptor);
}

TEST_F(TinyLinkTest, DescriptorInTheHostReceiveHalfIsRefused) {
  BootAndBind();
  PostRaw(0, rproc_.vdev()->buffers_da, 64, 0);
  ExpectFault(Fault::kDescriptor);
}

TEST_F(TinyLinkTest, DescriptorLengthPastTheAreaIsRefused) {
  BootAndBind();
  PostRaw(0, WriteMessage(kNum - 1, 0x400, 4), kBufferSize + 1, 0);
  ExpectFault(Fault::kDescriptor);
}

TEST_F(TinyLinkTest, DescriptorShorterThanAHeaderIsRefused) {
  BootAndBind();
  PostRaw(0, WriteMessage(0, 0x400, 0), rpmsg::kHeaderSize - 1, 0);
  ExpectFault(Fault::kDescriptor);
}

TEST_F(TinyLinkTest, DeviceWritableMessageIsRefused) {
  BootAndBind();
  PostRaw(0, WriteMessage(0, 0x400, 4), 64, virtio::kDescFlagWrite);
  ExpectFault(Fault::kDescriptor);
}

TEST_F(TinyLinkTest, IndirectDescriptorIsRefused) {
  BootAndBind();
  PostRaw(0, WriteMessage(0, 0x400, 4), 64, virtio::kDescFlagIndirect);
  ExpectFault(Fault::kDescriptor);
}

TEST_F(TinyLinkTest, MessageLongerThanItsDescriptorIsRefused) {
  BootAndBind();
  PostRaw(0, WriteMessage(0, 0x400, 100), rpmsg::kHeaderSize + 99, 0);
  ExpectFault(Fault::kMessage);
}

TEST_F(TinyLinkTest, ADescriptorLoopIsNeverWalked) {
  BootAndBind();
  core_->echo_on = false;
  // A chain that points at itself: only its first descriptor is used.
  PostRaw(3, WriteMessage(3, 0x400, 5), rpmsg::kHeaderSize + 5, virtio::kDescFlagNext, 3);
  core_->Step();
  EXPECT_EQ(core_->last, StatusCode::kOk);
  EXPECT_EQ(core_->received.size(), 1u);
  EXPECT_EQ(core_->remote().state(), LinkState::kRunning);
}

TEST_F(TinyLinkTest, AMessageToNoEndpointIsDropped) {
  BootAndBind();
  PostRaw(0, WriteMessage(0, 0x999, 4), rpmsg::kHeaderSize + 4, 0);
  core_->Step();
  EXPECT_EQ(core_->last, StatusCode::kOk);
  EXPECT_TRUE(core_->received.empty());
}

TEST_F(TinyLinkTest, CorruptHostReceiveBufferFailsTheSend) {
  BootAndBind();
  std::byte* ring = Vring(0);
  for (std::uint16_t i = 0; i < kNum; ++i) {  // every posted receive buffer
    Le64 addr(0x1000);
    std::memcpy(ring + 16 * i, &addr, 8);
  }
  EXPECT_EQ(core_->remote().Send(core_->echo(), 0x401, Bytes("x")), StatusCode::kDataLoss);
  EXPECT_EQ(core_->remote().fault(), Fault::kDescriptor);
  EXPECT_EQ(core_->remote().state(), LinkState::kFailed);
}

TEST_F(TinyLinkTest, ReadOnlyHostReceiveBufferFailsTheSend) {
  BootAndBind();
  std::byte* ring = Vring(0);
  for (std::uint16_t i = 0; i < kNum; ++i) {
    Le16 flags(0);
    std::memcpy(ring + 16 * i + 12, &flags, 2);
  }
  EXPECT_EQ(core_->remote().Send(core_->echo(), 0x401, Bytes("x")), StatusCode::kDataLoss);
  EXPECT_EQ(core_->remote().fault(), Fault::kDescriptor);
}

TEST_F(TinyLinkTest, AfterAFailureAHostResetBringsTheLinkBack) {
  BootAndBind();
  PostRaw(0, 0x10, 64, 0);
  ExpectFault(Fault::kDescriptor);
  // The host resets the device (status 0): the remote waits for DRIVER_OK.
  ASSERT_TRUE(rproc_.SetVdevStatus(0).ok());
  core_->Step();
  EXPECT_EQ(core_->last, StatusCode::kUnavailable);
  EXPECT_EQ(core_->remote().state(), LinkState::kWaiting);
  EXPECT_EQ(core_->remote().fault(), Fault::kNone);
}

// --- The hostile host: a bogus loaded table ---------------------------------
// Standalone: the table and the window are plain arrays; the test plays the
// host, writes the table and sets the status.

class TinyTableTest : public ::testing::Test {
 protected:
  static constexpr std::uint32_t kWindowDa = 0x40000000;
  static constexpr std::uint32_t kWindowSize = 0x10000;
  static constexpr std::uint32_t kVring0 = kWindowDa;
  static constexpr std::uint32_t kVring1 = kWindowDa + 0x4000;
  static constexpr std::uint32_t kBuffers = kWindowDa + 0x8000;

  TinyTableTest() : window_(kWindowSize) {
    table_ = kTinyTable;
    table_.buffers.body.da.set(kBuffers);
    table_.vdev.vring[0].da.set(kVring0);
    table_.vdev.vring[1].da.set(kVring1);
    table_.vdev.body.gfeatures.set(1);
  }
  Config MakeConfig() {
    Config c;
    c.table = reinterpret_cast<std::byte*>(&table_);
    c.table_size = sizeof(table_);
    c.vdev_offset = offsetof(TinyTable, vdev);
    c.carveout_offset = offsetof(TinyTable, buffers);
    c.window = Window{kWindowDa, window_.data(), kWindowSize};
    c.num = kNum;
    c.buffer_size = kBufferSize;
    return c;
  }
  StatusCode PollWithStatus(std::uint8_t status) {
    table_.vdev.body.status = status;
    return remote_.Poll();
  }
  void ExpectRefused(Fault fault) {
    EXPECT_EQ(PollWithStatus(0x0F), StatusCode::kDataLoss);
    EXPECT_EQ(remote_.fault(), fault);
    EXPECT_EQ(remote_.state(), LinkState::kFailed);
    EXPECT_EQ(table_.vdev.body.status, 0x4F);  // DEVICE_NEEDS_RESET added
  }

  TinyTable table_;
  std::vector<std::byte> window_;
  Remote<1> remote_{MakeConfig()};
};

TEST_F(TinyTableTest, AGoodTableLinksUp) {
  EXPECT_EQ(PollWithStatus(0), StatusCode::kUnavailable);
  EXPECT_EQ(PollWithStatus(0x0F), StatusCode::kOk);
  EXPECT_EQ(remote_.state(), LinkState::kRunning);
}

TEST_F(TinyTableTest, BogusStatusNeverLinksUp) {
  for (const std::uint8_t status : {0x04, 0x07, 0x0B, 0x4F, 0x8F, 0xFF, 0xCF}) {
    EXPECT_EQ(PollWithStatus(status), StatusCode::kUnavailable) << int{status};
    EXPECT_EQ(remote_.state(), LinkState::kWaiting);
  }
}

TEST_F(TinyTableTest, VringOutsideTheWindowIsRefused) {
  table_.vdev.vring[1].da.set(kWindowDa + kWindowSize - 0x100);
  ExpectRefused(Fault::kVring);
}

TEST_F(TinyTableTest, VringBelowTheWindowIsRefused) {
  table_.vdev.vring[0].da.set(kWindowDa - 0x1000);
  ExpectRefused(Fault::kVring);
}

TEST_F(TinyTableTest, UnplacedVringIsRefused) {
  table_.vdev.vring[0].da.set(rsc::kAddrAny);
  ExpectRefused(Fault::kVring);
}

TEST_F(TinyTableTest, MisalignedVringIsRefused) {
  table_.vdev.vring[0].da.set(kVring0 + 8);
  ExpectRefused(Fault::kVring);
}

TEST_F(TinyTableTest, ChangedVringNumIsRefused) {
  table_.vdev.vring[1].num.set(kNum * 2);
  ExpectRefused(Fault::kVring);
}

TEST_F(TinyTableTest, VringAlignNotAPowerOfTwoIsRefused) {
  table_.vdev.vring[0].align.set(3000);
  ExpectRefused(Fault::kVring);
}

TEST_F(TinyTableTest, HugeVringAlignIsRefused) {
  table_.vdev.vring[0].align.set(0x80000000u);
  ExpectRefused(Fault::kVring);
}

TEST_F(TinyTableTest, OverlappingVringsAreRefused) {
  table_.vdev.vring[1].da.set(kVring0 + 0x10);
  ExpectRefused(Fault::kVring);
}

TEST_F(TinyTableTest, OverlapIsMeasuredWithEachVringsOwnAlign) {
  // vring0 with a 16 KiB align reaches past the start of vring1 (0x4000 on).
  table_.vdev.vring[0].align.set(0x4000);
  ASSERT_GT(virtio::VringSize(kNum, 0x4000), kVring1 - kVring0);
  ExpectRefused(Fault::kVring);
}

TEST_F(TinyTableTest, VringOverTheBuffersIsRefused) {
  table_.vdev.vring[1].da.set(kBuffers + 0x100);
  ExpectRefused(Fault::kVring);
}

TEST_F(TinyTableTest, BuffersOutsideTheWindowAreRefused) {
  table_.buffers.body.da.set(kWindowDa + kWindowSize - 512);
  ExpectRefused(Fault::kBuffers);
}

TEST_F(TinyTableTest, TooSmallBufferCarveoutIsRefused) {
  table_.buffers.body.len.set(2 * kNum * kBufferSize - 1);
  ExpectRefused(Fault::kBuffers);
}

TEST_F(TinyTableTest, FeaturesNotOfferedAreRefused) {
  table_.vdev.body.gfeatures.set(1u | (1u << virtio::feature::kRingEventIdx));
  ExpectRefused(Fault::kFeatures);
}

TEST_F(TinyTableTest, FeaturesOfferedButNotImplementedAreRefused) {
  // A firmware table that offers EVENT_IDX: the tiny remote does not do it.
  const std::uint32_t event_idx = 1u << virtio::feature::kRingEventIdx;
  table_.vdev.body.dfeatures.set(1u | event_idx);
  table_.vdev.body.gfeatures.set(1u | event_idx);
  ExpectRefused(Fault::kFeatures);
}

TEST_F(TinyTableTest, NotAnRpmsgVdevIsRefused) {
  table_.vdev.body.id.set(3);
  ExpectRefused(Fault::kNotRpmsgVdev);
}

TEST_F(TinyTableTest, WrongNumberOfVringsIsRefused) {
  table_.vdev.body.num_of_vrings = 3;
  ExpectRefused(Fault::kNotRpmsgVdev);
}

TEST_F(TinyTableTest, WithoutTheNameServiceNothingIsAnnounced) {
  table_.vdev.body.gfeatures.set(0);
  Remote<1> remote{MakeConfig()};
  ASSERT_NE(remote.Open(
                "svc", [](void*, std::uint32_t, ConstByteSpan) {}, nullptr),
            nullptr);
  table_.vdev.body.status = 0x0F;
  EXPECT_EQ(remote.Poll(), StatusCode::kOk);
  EXPECT_FALSE(remote.name_service());
}

TEST_F(TinyTableTest, ConfigOutsideTheTableIsRefusedWithoutTouchingIt) {
  Config c = MakeConfig();
  c.vdev_offset = sizeof(TinyTable) - 8;
  Remote<1> remote{c};
  EXPECT_EQ(remote.fault(), Fault::kTableLayout);
  EXPECT_EQ(remote.Poll(), StatusCode::kDataLoss);
  Config d = MakeConfig();
  d.num = 6;  // not a power of two
  Remote<1> remote2{d};
  EXPECT_EQ(remote2.Poll(), StatusCode::kDataLoss);
  EXPECT_EQ(remote2.fault(), Fault::kTableLayout);
}

TEST_F(TinyTableTest, EndpointCountIsACompileTimeCapacity) {
  Remote<2> remote{MakeConfig()};
  auto cb = [](void*, std::uint32_t, ConstByteSpan) {};
  Endpoint* a = remote.Open("a", cb, nullptr);
  Endpoint* b = remote.Open(nullptr, cb, nullptr);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(a->addr, 0x400u);
  EXPECT_EQ(b->addr, 0x401u);
  EXPECT_EQ(remote.Open("c", cb, nullptr), nullptr);
}

}  // namespace
}  // namespace tandem::tiny
