// RemoteProc against FakePlatform: loading, vdev set-up, start, stop
// handshake, crash and recovery, attach/detach, trace. Each test names the
// behaviour (or the Linux remoteproc rule) it checks.

#include "tandem/remoteproc/remote_proc.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tandem/elf/errors.h"
#include "tandem/remoteproc/errors.h"
#include "tandem/remoteproc/mailbox.h"
#include "tandem/remoteproc/trace_buffer.h"
#include "tandem/rsc/resource_table.h"
#include "tandem/testing/fake_rproc_platform.h"
#include "tandem/testing/test_firmware.h"
#include "tandem/virtio/ring_layout.h"

namespace tandem::remoteproc {
namespace {

using testing::AttachTableAsRunning;
using testing::BuildFirmware;
using testing::Bytes;
using ::testing::ElementsAre;
using testing::FakePlatform;
using testing::FakeVdevListener;
using testing::FirmwareSpec;
using ::testing::HasSubstr;
using testing::Pattern;
using testing::Span;
using testing::StdFirmware;
using testing::StdSpec;
namespace fw = testing;

constexpr std::uint8_t kDriverOkStatus = 0x0F;  // ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK

// A resource table read back from "device memory", parsed.
struct DeviceTable {
  Bytes bytes;
  std::optional<rsc::ResourceTable> table;

  const rsc::Entry Find(rsc::EntryKind kind, int nth = 0) const {
    for (const rsc::Entry& e : table->entries()) {
      if (e.kind() == kind && nth-- == 0) return e;
    }
    ADD_FAILURE() << "entry not found";
    return rsc::Entry();
  }
  rsc::Carveout Carveout(const char* name) const {
    for (const rsc::Entry& e : table->entries()) {
      if (e.kind() == rsc::EntryKind::kCarveout && std::string(e.carveout().name.c_str()) == name) {
        return e.carveout();
      }
    }
    ADD_FAILURE() << "carveout " << name << " not found";
    return {};
  }
};

// Platform, listener and RemoteProc wired together.
class Env {
 public:
  Env() { Make(Options{}); }

  void Make(const Options& options) {
    rproc_ = std::make_unique<RemoteProc>(platform_, options, &listener_);
    listener_.rproc = rproc_.get();
  }

  DeviceTable ReadDeviceTable(std::uint64_t da, std::size_t size) {
    DeviceTable t;
    t.bytes = platform_.Read(da, size);
    auto parsed = rsc::ResourceTable::Parse(Span(t.bytes));
    EXPECT_TRUE(parsed.ok()) << parsed.status().message();
    if (parsed.ok()) t.table = *parsed;
    return t;
  }
  DeviceTable LoadedStdTable() { return ReadDeviceTable(fw::kTableDa, fw::StdTable().size()); }

  // Places the attach layout in device memory, as a host that booted the
  // remote earlier left it.
  void PrepareAttach(const Bytes& table = AttachTableAsRunning()) {
    platform_.Write(fw::kAttachTableDa, table.data(), table.size());
    platform_.loaded_table = FakePlatform::Mapping{fw::kAttachTableDa, table.size()};
  }

  bool Mapped(const char* name) const {
    for (const MappedRegion& m : rproc_->mapped_regions()) {
      if (std::string(m.name.c_str()) == name) return true;
    }
    return false;
  }

  FakePlatform platform_;
  FakeVdevListener listener_;
  std::unique_ptr<RemoteProc> rproc_;
  Bytes firmware_ = StdFirmware();
};

class RemoteProcTest : public ::testing::Test, public Env {};

// --- Loading ------------------------------------------------------------------

TEST_F(RemoteProcTest, LoadPlacesSegmentsAtTheirDeviceAddressesWithZeroFill) {
  ASSERT_TRUE(rproc_->Load(Span(firmware_)).ok()) << rproc_->error_detail();
  EXPECT_EQ(rproc_->state(), State::kLoaded);
  EXPECT_EQ(rproc_->entry(), fw::kEntry);
  EXPECT_EQ(platform_.Read(fw::kCodeDa, fw::kCodeBytes), Pattern(fw::kCodeBytes, 7));
  EXPECT_EQ(platform_.Read(fw::kCodeDa + fw::kCodeBytes, fw::kCodeMemsz - fw::kCodeBytes),
            Bytes(fw::kCodeMemsz - fw::kCodeBytes, 0));
  // Nothing past p_memsz was touched.
  EXPECT_EQ(platform_.Read(fw::kCodeDa + fw::kCodeMemsz, 1), Bytes(1, FakePlatform::kFreshByte));
  EXPECT_TRUE(platform_.starts.empty());  // loading does not release the core
}

TEST_F(RemoteProcTest, LoadMapsFixedCarveoutAtItsAddressAndAnyCarveoutFromThePool) {
  ASSERT_TRUE(rproc_->Load(Span(firmware_)).ok()) << rproc_->error_detail();
  ASSERT_GE(platform_.requests.size(), 2u);
  EXPECT_EQ(platform_.requests[0].name, "code");
  EXPECT_EQ(platform_.requests[0].device_address, fw::kCodeDa);
  EXPECT_EQ(platform_.requests[0].size, fw::kCodeLen);
  EXPECT_EQ(platform_.requests[1].name, "data");
  EXPECT_EQ(platform_.requests[1].device_address, kAnyAddress);
  EXPECT_EQ(platform_.requests[1].size, fw::kDataLen);
  EXPECT_EQ(platform_.requests[1].align, 4096u);
}

TEST_F(RemoteProcTest, AnyCarveoutAddressIsPatchedIntoTheLoadedTable) {
  ASSERT_TRUE(rproc_->Load(Span(firmware_)).ok()) << rproc_->error_detail();
  const DeviceTable t = LoadedStdTable();
  const rsc::Carveout data = t.Carveout("data");
  EXPECT_NE(data.da, rsc::kAddrAny);
  EXPECT_EQ(data.pa, data.da);
  EXPECT_GE(data.da, FakePlatform::kPoolBase);
  EXPECT_TRUE(rproc_->Translate(data.da, fw::kDataLen).ok());
  // The cached table says the same as the loaded one.
  EXPECT_EQ(Bytes(reinterpret_cast<const std::uint8_t*>(rproc_->cached_table().data()),
                  reinterpret_cast<const std::uint8_t*>(rproc_->cached_table().data()) +
                      rproc_->cached_table().size()),
            t.bytes);
  EXPECT_EQ(rproc_->loaded_table_da(), fw::kTableDa);
}

TEST_F(RemoteProcTest, VringsAreAllocatedAndTheirAddressesNotifyIdsAndFeaturesPatched) {
  ASSERT_TRUE(rproc_->Load(Span(firmware_)).ok()) << rproc_->error_detail();
  const DeviceTable t = LoadedStdTable();
  const rsc::Vdev vdev = t.Find(rsc::EntryKind::kVdev).vdev();
  ASSERT_NE(rproc_->vdev(), nullptr);
  const VdevResources& res = *rproc_->vdev();
  const std::size_t ring_size = virtio::RingLayout::Compute(fw::kVringNum, fw::kVringAlign)->size();
  for (std::size_t i = 0; i < 2; ++i) {
    SCOPED_TRACE(i);
    EXPECT_NE(vdev.vring[i].da, rsc::kAddrAny);
    EXPECT_EQ(vdev.vring[i].da, res.vring[i].da);
    EXPECT_EQ(res.vring[i].ring.device_address(), res.vring[i].da);
    EXPECT_EQ(res.vring[i].ring.size(), ring_size);
    EXPECT_EQ(res.vring[i].num, fw::kVringNum);
    EXPECT_EQ(res.vring[i].align, fw::kVringAlign);
    EXPECT_EQ(res.vring[i].da % fw::kVringAlign, 0u);
    // Linux allocates notifyids 0, 1 in vring order; the firmware's values
    // (0xAA, 0xBB) are overwritten.
    EXPECT_EQ(vdev.vring[i].notifyid, i);
    EXPECT_EQ(res.vring[i].notifyid, i);
    // The ring memory is zeroed (no stale indices).
    EXPECT_EQ(platform_.Read(res.vring[i].da, ring_size), Bytes(ring_size, 0));
  }
  EXPECT_EQ(platform_.requests[2].name, "vdev0vring0");
  EXPECT_EQ(platform_.requests[2].size, ring_size);
  EXPECT_EQ(platform_.requests[2].align, fw::kVringAlign);
  EXPECT_EQ(platform_.requests[3].name, "vdev0vring1");
  // gfeatures = dfeatures & {NS, EVENT_IDX}; the unsupported bit is dropped.
  EXPECT_EQ(vdev.dfeatures, fw::kFeatureNs | fw::kFeatureEventIdx | fw::kFeatureUnsupported);
  EXPECT_EQ(vdev.gfeatures, fw::kFeatureNs | fw::kFeatureEventIdx);
  EXPECT_EQ(res.features, fw::kFeatureNs | fw::kFeatureEventIdx);
  EXPECT_TRUE(res.name_service());
  EXPECT_TRUE(res.event_idx());
  EXPECT_EQ(vdev.status, 0);
}

TEST_F(RemoteProcTest, BufferAreaIsTwiceVringNumBuffersOfTheConfiguredSize) {
  ASSERT_TRUE(rproc_->Load(Span(firmware_)).ok()) << rproc_->error_detail();
  const VdevResources& res = *rproc_->vdev();
  EXPECT_EQ(res.buffer_size, 512u);
  EXPECT_EQ(res.buffer_count, 2 * fw::kVringNum);
  EXPECT_EQ(res.buffers.size(), 2u * fw::kVringNum * 512u);
  EXPECT_EQ(res.buffers.device_address(), res.buffers_da);
  EXPECT_EQ(platform_.requests.back().name, "vdev0buffer");
  EXPECT_EQ(platform_.requests.back().device_address, kAnyAddress);
  for (const VringResources& v : res.vring) {
    const bool disjoint =
        v.da + v.ring.size() <= res.buffers_da || res.buffers_da + res.buffers.size() <= v.da;
    EXPECT_TRUE(disjoint);
  }
}

TEST_F(RemoteProcTest, ABufferSizeTheFirmwareDoesNotAskForFailsTheLoad) {
  Options options;
  options.rpmsg_buffer_size = 1024;  // the table asks for nothing: 512
  Make(options);
  const Status s = rproc_->Load(Span(firmware_));
  EXPECT_TRUE(s.Is(error::kRpmsgBufferSizeMismatch)) << s.message();
  EXPECT_EQ(rproc_->state(), State::kOffline);
}

TEST_F(RemoteProcTest, UnusableBufferSizeOptionIsRejected) {
  Options options;
  options.rpmsg_buffer_size = 20;
  Make(options);
  EXPECT_EQ(rproc_->Load(Span(firmware_)).code(), StatusCode::kInvalidArgument);
  options.rpmsg_buffer_size = 65544;
  Make(options);
  EXPECT_TRUE(rproc_->Load(Span(firmware_)).Is(error::kBadRpmsgBufferSize));
  EXPECT_EQ(rproc_->state(), State::kOffline);
}

TEST_F(RemoteProcTest, FixedVringsInsideACarveoutNeedNoMappingOfTheirOwn) {
  const Bytes table = fw::AssembleTable(
      rsc::MakeCarveout(fw::kCodeDa, fw::kCodeLen, "code"),
      rsc::MakeRpmsgVdev(0, fw::kFeatureNs, {{0x2000A000, 4096, 8, 0}, {0x2000C000, 4096, 8, 1}}));
  FirmwareSpec spec = StdSpec();
  spec.table = table;
  const Bytes image = BuildFirmware(spec);
  ASSERT_TRUE(rproc_->Load(Span(image)).ok()) << rproc_->error_detail();
  EXPECT_EQ(rproc_->vdev()->vring[0].da, 0x2000A000u);
  EXPECT_EQ(rproc_->vdev()->vring[1].da, 0x2000C000u);
  EXPECT_FALSE(Mapped("vdev0vring0"));
  EXPECT_FALSE(Mapped("vdev0vring1"));
  EXPECT_EQ(rproc_->vdev()->features, fw::kFeatureNs);
}

TEST_F(RemoteProcTest, FixedVringCoveredByASegmentIsZeroedAfterLoading) {
  const Bytes table = fw::AssembleTable(
      rsc::MakeCarveout(fw::kCodeDa, fw::kCodeLen, "code"),
      rsc::MakeRpmsgVdev(0, 0, {{0x2000A000, 4096, 8, 0}, {0x2000C000, 4096, 8, 1}}));
  FirmwareSpec spec = StdSpec();
  spec.table = table;
  spec.segments.push_back({0x2000A000, Pattern(64, 5), 64});
  const Bytes image = BuildFirmware(spec);
  ASSERT_TRUE(rproc_->Load(Span(image)).ok()) << rproc_->error_detail();
  EXPECT_EQ(platform_.Read(0x2000A000, 64), Bytes(64, 0));
}

TEST_F(RemoteProcTest, LoadedTableOverlappingAVringIsRejected) {
  const Bytes table = fw::AssembleTable(
      rsc::MakeCarveout(fw::kCodeDa, fw::kCodeLen, "code"),
      rsc::MakeRpmsgVdev(0, 0, {{0x2000A000, 4096, 8, 0}, {0x2000C000, 4096, 8, 1}}));
  FirmwareSpec spec = StdSpec();
  spec.table = table;
  spec.table_da = 0x2000C010;
  const Bytes image = BuildFirmware(spec);
  const Status s = rproc_->Load(Span(image));
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(error::kLoadedTableOverlapsVring));
}

TEST_F(RemoteProcTest, VdevBufferCarveoutHoldsTheBuffers) {
  const Bytes table = fw::AssembleTable(
      rsc::MakeCarveout(fw::kCodeDa, fw::kCodeLen, "code"),
      rsc::MakeCarveout(0x20020000, 0x3000, "vdev0buffer"),
      rsc::MakeRpmsgVdev(0, 0, {{rsc::kAddrAny, 4096, 8, 0}, {rsc::kAddrAny, 4096, 8, 1}}));
  FirmwareSpec spec = StdSpec();
  spec.table = table;
  const Bytes image = BuildFirmware(spec);
  ASSERT_TRUE(rproc_->Load(Span(image)).ok()) << rproc_->error_detail();
  EXPECT_EQ(rproc_->vdev()->buffers_da, 0x20020000u);
  EXPECT_EQ(rproc_->vdev()->buffers.size(), 2u * 8 * 512);
  for (const auto& r : platform_.requests)
    EXPECT_NE(r.device_address == kAnyAddress && r.name == "vdev0buffer", true);
}

TEST_F(RemoteProcTest, TooSmallVdevBufferCarveoutIsRejected) {
  const Bytes table = fw::AssembleTable(
      rsc::MakeCarveout(fw::kCodeDa, fw::kCodeLen, "code"),
      rsc::MakeCarveout(0x20020000, 0x1000, "vdev0buffer"),  // needs 0x2000
      rsc::MakeRpmsgVdev(0, 0, {{rsc::kAddrAny, 4096, 8, 0}, {rsc::kAddrAny, 4096, 8, 1}}));
  FirmwareSpec spec = StdSpec();
  spec.table = table;
  const Bytes image = BuildFirmware(spec);
  const Status s = rproc_->Load(Span(image));
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(error::kBufferCarveoutTooSmall));
  EXPECT_EQ(rproc_->state(), State::kOffline);
}

TEST_F(RemoteProcTest, AsymmetricRpmsgVringsAreRejected) {
  const Bytes table = fw::AssembleTable(
      rsc::MakeCarveout(fw::kCodeDa, fw::kCodeLen, "code"),
      rsc::MakeRpmsgVdev(0, 0, {{rsc::kAddrAny, 4096, 8, 0}, {rsc::kAddrAny, 4096, 16, 1}}));
  FirmwareSpec spec = StdSpec();
  spec.table = table;
  const Bytes image = BuildFirmware(spec);
  const Status s = rproc_->Load(Span(image));
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(error::kVdevAsymmetricVrings));
  EXPECT_TRUE(platform_.mapped.empty());
}

TEST_F(RemoteProcTest, OtherVirtioDevicesAreSkippedAndASecondRpmsgVdevIsPlaced) {
  const Bytes table = fw::AssembleTable(
      rsc::MakeCarveout(fw::kCodeDa, fw::kCodeLen, "code"),
      rsc::MakeVdev<1>(/*virtio_id=*/3, 0, 0, {{rsc::kAddrAny, 4096, 8, 0}}),
      rsc::MakeRpmsgVdev(0, 0, {{rsc::kAddrAny, 4096, 8, 0}, {rsc::kAddrAny, 4096, 8, 1}}),
      rsc::MakeRpmsgVdev(0, 0, {{rsc::kAddrAny, 4096, 8, 0}, {rsc::kAddrAny, 4096, 8, 1}}));
  FirmwareSpec spec = StdSpec();
  spec.table = table;
  const Bytes image = BuildFirmware(spec);
  ASSERT_TRUE(rproc_->Load(Span(image)).ok()) << rproc_->error_detail();
  EXPECT_EQ(rproc_->skipped_vdevs(), 1u);
  ASSERT_EQ(rproc_->vdev_count(), 2u);
  EXPECT_EQ(rproc_->vdev(1)->index, 1u);
  EXPECT_EQ(rproc_->vdev(1)->vring[0].notifyid, 2u);
  EXPECT_EQ(rproc_->vdev(2), nullptr);
}

TEST_F(RemoteProcTest, SegmentOutsideAnyCarveoutFailsAndReleasesEverything) {
  FirmwareSpec spec = StdSpec();
  spec.segments.push_back({0x20080000, Pattern(16, 3), 16});  // device memory, but no carveout
  const Bytes image = BuildFirmware(spec);
  const Status s = rproc_->Load(Span(image));
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(error::kSegmentOutsideCarveout));
  EXPECT_THAT(rproc_->error_detail(), HasSubstr("segment 0x20080000"));
  EXPECT_EQ(rproc_->state(), State::kOffline);
  EXPECT_TRUE(platform_.mapped.empty());
  EXPECT_GE(platform_.release_count, 1);
  EXPECT_TRUE(rproc_->mapped_regions().empty());
  EXPECT_EQ(rproc_->resource_table(), nullptr);
  EXPECT_EQ(rproc_->vdev(), nullptr);
  EXPECT_EQ(platform_.Read(0x20080000, 1), Bytes(1, FakePlatform::kFreshByte));
}

TEST_F(RemoteProcTest, SegmentStraddlingTheEndOfACarveoutIsRejected) {
  FirmwareSpec spec = StdSpec();
  spec.segments.push_back({fw::kCodeDa + fw::kCodeLen - 8, Pattern(16, 3), 16});
  const Bytes image = BuildFirmware(spec);
  EXPECT_EQ(rproc_->Load(Span(image)).code(), StatusCode::kDataLoss);
  EXPECT_EQ(platform_.Read(fw::kCodeDa + fw::kCodeLen - 8, 1), Bytes(1, FakePlatform::kFreshByte));
}

TEST_F(RemoteProcTest, WrongMachineIsRejectedNamingTheMachineFound) {
  Options options;
  options.expected_machine = elf::kMachineRiscV;
  Make(options);
  const Status s = rproc_->Load(Span(firmware_));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  // The elf layer's reason, passed through unchanged.
  EXPECT_TRUE(s.Is(elf::error::kWrongMachineArm)) << s.message();
  EXPECT_EQ(rproc_->state(), State::kOffline);
  EXPECT_TRUE(platform_.requests.empty());
}

TEST_F(RemoteProcTest, ExpectedMachineIsAccepted) {
  Options options;
  options.expected_machine = elf::kMachineArm;
  Make(options);
  EXPECT_TRUE(rproc_->Load(Span(firmware_)).ok());
}

TEST_F(RemoteProcTest, FirmwareWithoutResourceTableLoadsWithoutVdev) {
  FirmwareSpec spec;
  spec.segments.push_back({fw::kCodeDa + 0x100, Pattern(64, 9), 128});
  const Bytes image = BuildFirmware(spec);
  ASSERT_TRUE(rproc_->Load(Span(image)).ok()) << rproc_->error_detail();
  EXPECT_EQ(rproc_->resource_table(), nullptr);
  EXPECT_TRUE(rproc_->cached_table().empty());
  EXPECT_EQ(rproc_->vdev(), nullptr);
  EXPECT_EQ(platform_.Read(fw::kCodeDa + 0x100, 64), Pattern(64, 9));
  // The segments' span is mapped page-aligned as one region.
  ASSERT_EQ(platform_.requests.size(), 1u);
  EXPECT_EQ(platform_.requests[0].device_address, fw::kCodeDa);
  EXPECT_EQ(platform_.requests[0].size, 4096u);
  ASSERT_TRUE(rproc_->Start().ok());
  EXPECT_TRUE(listener_.events.empty());
  EXPECT_EQ(rproc_->SetVdevStatus(1).code(), StatusCode::kFailedPrecondition);
}

TEST_F(RemoteProcTest, Elf64FirmwareLoadsTheSameWay) {
  const Bytes image = StdFirmware(/*is_64bit=*/true);
  ASSERT_TRUE(rproc_->Load(Span(image)).ok()) << rproc_->error_detail();
  EXPECT_EQ(platform_.Read(fw::kCodeDa, fw::kCodeBytes), Pattern(fw::kCodeBytes, 7));
  EXPECT_NE(rproc_->vdev(), nullptr);
}

TEST_F(RemoteProcTest, TableLargerThanTheCacheIsRejected) {
  FirmwareSpec spec = StdSpec();
  spec.table.resize(kMaxTableSize + 4, 0);
  spec.table_in_segment = false;
  const Bytes image = BuildFirmware(spec);
  const Status s = rproc_->Load(Span(image));
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(s.Is(error::kTableTooLarge));
}

TEST_F(RemoteProcTest, MalformedTableIsRejectedWithTheParsersReason) {
  FirmwareSpec spec = StdSpec();
  spec.table[0] = 2;  // version 2
  const Bytes image = BuildFirmware(spec);
  const Status s = rproc_->Load(Span(image));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(rproc_->error_detail(), HasSubstr("version"));
  EXPECT_TRUE(platform_.requests.empty());
}

TEST_F(RemoteProcTest, LoadedTableAddressOutsideAnyCarveoutIsRejected) {
  FirmwareSpec spec = StdSpec();
  spec.table_da = 0x20080000;
  spec.table_in_segment = false;
  const Bytes image = BuildFirmware(spec);
  const Status s = rproc_->Load(Span(image));
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(error::kLoadedTableOutsideCarveout));
  EXPECT_TRUE(platform_.mapped.empty());
}

TEST_F(RemoteProcTest, TraceOutsideAnyCarveoutIsRejected) {
  const Bytes table =
      fw::AssembleTable(rsc::MakeCarveout(fw::kCodeDa, fw::kCodeLen, "code"),
                        rsc::MakeTrace(fw::kCodeDa + fw::kCodeLen - 0x10, 0x20, "trace"));
  FirmwareSpec spec = StdSpec();
  spec.table = table;
  const Bytes image = BuildFirmware(spec);
  EXPECT_EQ(rproc_->Load(Span(image)).code(), StatusCode::kDataLoss);
}

TEST_F(RemoteProcTest, PlatformRefusingACarveoutFailsTheLoadWithItsStatus) {
  const Bytes table = fw::AssembleTable(rsc::MakeCarveout(fw::kCodeDa, fw::kCodeLen, "code"),
                                        rsc::MakeCarveout(0x50000000, 0x1000, "nowhere"));
  FirmwareSpec spec = StdSpec();
  spec.table = table;
  const Bytes image = BuildFirmware(spec);
  EXPECT_EQ(rproc_->Load(Span(image)).code(), StatusCode::kNotFound);
  EXPECT_THAT(rproc_->error_detail(), HasSubstr("nowhere"));
  EXPECT_TRUE(platform_.mapped.empty());
}

TEST_F(RemoteProcTest, GarbageIsNotAFirmware) {
  const Bytes junk(200, 0x42);
  EXPECT_FALSE(rproc_->Load(Span(junk)).ok());
  EXPECT_EQ(rproc_->state(), State::kOffline);
  EXPECT_TRUE(platform_.requests.empty());
}

TEST_F(RemoteProcTest, SecondLoadIsIllegalAndChangesNothing) {
  ASSERT_TRUE(rproc_->Load(Span(firmware_)).ok());
  const std::size_t requests = platform_.requests.size();
  const Status s = rproc_->Load(Span(firmware_));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(s.Is(error::IllegalTransition(State::kLoaded, Event::kLoad)));
  EXPECT_EQ(platform_.requests.size(), requests);
  EXPECT_EQ(platform_.release_count, 1);  // only the one Load() starts with
  EXPECT_EQ(rproc_->state(), State::kLoaded);
}

// --- Start --------------------------------------------------------------------

TEST_F(RemoteProcTest, StartReleasesTheCoreAtTheEntryAndAnnouncesTheVdev) {
  ASSERT_TRUE(rproc_->Boot(Span(firmware_)).ok()) << rproc_->error_detail();
  EXPECT_EQ(rproc_->state(), State::kRunning);
  EXPECT_THAT(platform_.starts, ElementsAre(fw::kEntry));
  EXPECT_THAT(listener_.events, ElementsAre("ready"));
  ASSERT_TRUE(listener_.last.has_value());
  EXPECT_EQ(listener_.last->vring[1].da, rproc_->vdev()->vring[1].da);
  // The status the listener set is in the loaded table the remote polls.
  const DeviceTable t = LoadedStdTable();
  EXPECT_EQ(t.Find(rsc::EntryKind::kVdev).vdev().status, kDriverOkStatus);
  EXPECT_EQ(*rproc_->ReadVdevStatus(), kDriverOkStatus);
}

TEST_F(RemoteProcTest, StartAnnouncesEveryRpmsgVdevInTableOrderAndKicksReachEach) {
  FirmwareSpec spec = StdSpec();
  spec.table = fw::AssembleTable(rsc::MakeCarveout(fw::kCodeDa, fw::kCodeLen, "code"), fw::kStdVdev,
                                 fw::kStdVdev);
  const Bytes image = BuildFirmware(spec);
  ASSERT_TRUE(rproc_->Boot(Span(image)).ok()) << rproc_->error_detail();
  EXPECT_THAT(listener_.events, ElementsAre("ready", "ready"));
  ASSERT_EQ(rproc_->vdev_count(), 2u);
  EXPECT_EQ(listener_.last->index, 1u);
  const DeviceTable t = ReadDeviceTable(fw::kTableDa, spec.table.size());
  for (int bus = 0; bus < 2; ++bus) {
    SCOPED_TRACE(bus);
    EXPECT_EQ(t.Find(rsc::EntryKind::kVdev, bus).vdev().status, kDriverOkStatus);
    EXPECT_EQ(*rproc_->ReadVdevStatus(bus), kDriverOkStatus);
  }
  // Notifyids 0..3 are the four rings; 4 is nobody's.
  for (std::uint32_t id = 0; id < 4; ++id) EXPECT_TRUE(rproc_->Kick(id).ok()) << id;
  EXPECT_EQ(rproc_->Kick(4).code(), StatusCode::kInvalidArgument);
  (void)rproc_->Stop();  // the fake remote never acks: Stop resets it all the same
  EXPECT_THAT(listener_.events, ElementsAre("ready", "ready", "reset"));
}

TEST_F(RemoteProcTest, FailedPlatformStartResetsReleasesAndGoesOffline) {
  platform_.start_status = Internal("no core");
  const Status s = rproc_->Boot(Span(firmware_));
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(rproc_->state(), State::kOffline);
  EXPECT_EQ(platform_.reset_count, 1);
  EXPECT_TRUE(platform_.mapped.empty());
  EXPECT_TRUE(listener_.events.empty());
}

TEST_F(RemoteProcTest, ListenerFailureStopsTheRemote) {
  listener_.ready_status = Unavailable("bus failed");
  EXPECT_EQ(rproc_->Boot(Span(firmware_)).code(), StatusCode::kUnavailable);
  EXPECT_EQ(rproc_->state(), State::kOffline);
  EXPECT_EQ(platform_.reset_count, 1);
  EXPECT_FALSE(platform_.running);
  EXPECT_TRUE(platform_.mapped.empty());
}

TEST_F(RemoteProcTest, KickSendsTheVringNotifyIdOnly) {
  ASSERT_TRUE(rproc_->Load(Span(firmware_)).ok());
  EXPECT_EQ(rproc_->Kick(1).code(), StatusCode::kFailedPrecondition);  // not running
  ASSERT_TRUE(rproc_->Start().ok());
  EXPECT_TRUE(rproc_->Kick(1).ok());
  EXPECT_EQ(rproc_->Kick(7).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(rproc_->Kick(mailbox::kShutdown).code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(platform_.sent, ElementsAre(1u));
}

// --- Stop ---------------------------------------------------------------------

TEST_F(RemoteProcTest, GracefulStopUnbindsSendsShutdownWaitsForAckAndResets) {
  ASSERT_TRUE(rproc_->Boot(Span(firmware_)).ok());
  std::vector<std::size_t> listener_events_at_send;
  std::vector<std::uint8_t> status_at_send;
  platform_.on_send = [&](std::uint32_t) {
    listener_events_at_send.push_back(listener_.events.size());
    status_at_send.push_back(LoadedStdTable().Find(rsc::EntryKind::kVdev).vdev().status);
  };
  ASSERT_TRUE(rproc_->Stop().ok());
  EXPECT_EQ(rproc_->state(), State::kOffline);
  EXPECT_THAT(platform_.sent, ElementsAre(mailbox::kShutdown));
  ASSERT_EQ(platform_.waits.size(), 1u);
  EXPECT_EQ(platform_.waits[0].first, mailbox::kShutdownAck);
  EXPECT_EQ(platform_.waits[0].second, 2000u);
  // Apps were unbound and the device reset before the shutdown request.
  EXPECT_THAT(listener_.events, ElementsAre("ready", "reset"));
  EXPECT_THAT(listener_events_at_send, ElementsAre(2u));
  EXPECT_THAT(status_at_send, ElementsAre(0));
  EXPECT_EQ(platform_.reset_count, 1);
  EXPECT_TRUE(platform_.mapped.empty());
  EXPECT_TRUE(rproc_->last_stop().graceful);
  EXPECT_TRUE(rproc_->last_stop().handshake.ok());
  EXPECT_EQ(rproc_->last_stop().from, State::kRunning);
}

TEST_F(RemoteProcTest, StopIsForcedWhenTheAckTimesOut) {
  Options options;
  options.shutdown_timeout_ms = 50;
  Make(options);
  platform_.replies[mailbox::kShutdownAck] = FakePlatform::Reply::kTimeout;
  ASSERT_TRUE(rproc_->Boot(Span(firmware_)).ok());
  ASSERT_TRUE(rproc_->Stop().ok());
  EXPECT_EQ(platform_.waits[0].second, 50u);
  EXPECT_FALSE(rproc_->last_stop().graceful);
  EXPECT_EQ(rproc_->last_stop().handshake.code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(platform_.reset_count, 1);
  EXPECT_EQ(rproc_->state(), State::kOffline);
  EXPECT_TRUE(platform_.mapped.empty());
}

TEST_F(RemoteProcTest, StopIsForcedWhenTheRemoteDiesDuringTheHandshake) {
  platform_.replies[mailbox::kShutdownAck] = FakePlatform::Reply::kDied;
  ASSERT_TRUE(rproc_->Boot(Span(firmware_)).ok());
  ASSERT_TRUE(rproc_->Stop().ok());
  EXPECT_FALSE(rproc_->last_stop().graceful);
  EXPECT_EQ(rproc_->last_stop().handshake.code(), StatusCode::kAborted);
  EXPECT_EQ(platform_.reset_count, 1);
  EXPECT_THAT(listener_.events, ElementsAre("ready", "reset"));
}

TEST_F(RemoteProcTest, StopIsForcedWhenTheShutdownCannotBeSent) {
  platform_.send_status = Unavailable("mailbox full");
  ASSERT_TRUE(rproc_->Boot(Span(firmware_)).ok());
  ASSERT_TRUE(rproc_->Stop().ok());
  EXPECT_TRUE(platform_.waits.empty());
  EXPECT_EQ(rproc_->last_stop().handshake.code(), StatusCode::kUnavailable);
  EXPECT_EQ(platform_.reset_count, 1);
}

TEST_F(RemoteProcTest, StopFromLoadedReleasesWithoutHandshake) {
  ASSERT_TRUE(rproc_->Load(Span(firmware_)).ok());
  ASSERT_TRUE(rproc_->Stop().ok());
  EXPECT_TRUE(platform_.sent.empty());
  EXPECT_EQ(rproc_->last_stop().handshake.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(rproc_->last_stop().from, State::kLoaded);
  EXPECT_TRUE(platform_.mapped.empty());
  EXPECT_EQ(rproc_->state(), State::kOffline);
}

TEST_F(RemoteProcTest, ResetFailureIsReportedAndStateIsOfflineAnyway) {
  ASSERT_TRUE(rproc_->Boot(Span(firmware_)).ok());
  platform_.reset_status = Internal("reset line stuck");
  EXPECT_EQ(rproc_->Stop().code(), StatusCode::kInternal);
  EXPECT_EQ(rproc_->state(), State::kOffline);
}

TEST_F(RemoteProcTest, RebootAfterStopWorks) {
  ASSERT_TRUE(rproc_->Boot(Span(firmware_)).ok());
  ASSERT_TRUE(rproc_->Stop().ok());
  ASSERT_TRUE(rproc_->Boot(Span(firmware_)).ok()) << rproc_->error_detail();
  EXPECT_THAT(listener_.events, ElementsAre("ready", "reset", "ready"));
}

// --- Crash and recovery ----------------------------------------------------------

TEST_F(RemoteProcTest, CrashWithRecoveryReloadsAndRestartsTheSameImage) {
  ASSERT_TRUE(rproc_->Boot(Span(firmware_)).ok());
  const std::uint8_t scribble[4] = {0xde, 0xad, 0xbe, 0xef};
  platform_.Write(fw::kCodeDa, scribble, sizeof(scribble));  // the crash corrupted memory
  rproc_->ReportCrash(CrashReason::kWatchdog, "no kick for 5 s");
  EXPECT_EQ(rproc_->state(), State::kRunning);
  EXPECT_TRUE(rproc_->last_recovery().ok());
  EXPECT_THAT(listener_.events, ElementsAre("ready", "reset", "ready"));
  EXPECT_THAT(platform_.starts, ElementsAre(fw::kEntry, fw::kEntry));
  EXPECT_EQ(platform_.reset_count, 1);
  EXPECT_EQ(platform_.Read(fw::kCodeDa, fw::kCodeBytes), Pattern(fw::kCodeBytes, 7));
  EXPECT_EQ(rproc_->last_crash().reason, CrashReason::kWatchdog);
  EXPECT_STREQ(rproc_->last_crash().detail, "no kick for 5 s");
  EXPECT_EQ(rproc_->last_crash().count, 1u);
  // Recovery did not send a shutdown: the remote was dead.
  EXPECT_TRUE(platform_.sent.empty());
  EXPECT_EQ(LoadedStdTable().Find(rsc::EntryKind::kVdev).vdev().status, kDriverOkStatus);
}

// The crash listener sees the crashed remote's memory as the crash left it,
// before recovery reloads it (where a host captures its post-mortem).
TEST_F(RemoteProcTest, CrashListenerRunsBeforeRecoveryWithTheCrashedMemory) {
  struct Listener final : CrashListener {
    void OnCrashRecorded(const RemoteProc& rproc) override {
      states.push_back(rproc.state());
      counts.push_back(rproc.last_crash().count);
      auto code = rproc.Translate(fw::kCodeDa, 4);
      if (code.ok()) code_first_byte.push_back(std::to_integer<int>(code->base()[0]));
    }
    std::vector<State> states;
    std::vector<std::uint32_t> counts;
    std::vector<int> code_first_byte;
  } crash_listener;
  rproc_->set_crash_listener(&crash_listener);
  ASSERT_TRUE(rproc_->Boot(Span(firmware_)).ok());
  const std::uint8_t scribble[4] = {0xde, 0xad, 0xbe, 0xef};
  platform_.Write(fw::kCodeDa, scribble, sizeof(scribble));
  rproc_->ReportCrash(CrashReason::kFault, "segv");
  EXPECT_EQ(rproc_->state(), State::kRunning);  // recovered after the listener
  EXPECT_THAT(crash_listener.states, ElementsAre(State::kCrashed));
  EXPECT_THAT(crash_listener.counts, ElementsAre(1u));
  EXPECT_THAT(crash_listener.code_first_byte, ElementsAre(0xde));
  // A report that records nothing (a second one for the same death) is not
  // told.
  rproc_->set_recovery(false);
  rproc_->ReportCrash(CrashReason::kFault, "again");
  rproc_->ReportCrash(CrashReason::kFault, "late");
  EXPECT_THAT(crash_listener.counts, ElementsAre(1u, 2u));
  rproc_->set_crash_listener(nullptr);
}

TEST_F(RemoteProcTest, CrashDetailIsCopiedAndCutSafely) {
  ASSERT_TRUE(rproc_->Boot(Span(firmware_)).ok());
  std::string detail(300, 'x');
  rproc_->ReportCrash(CrashReason::kFault, detail.c_str());
  detail[0] = 'y';  // the record is a copy
  EXPECT_EQ(std::strlen(rproc_->last_crash().detail), kCrashDetailSize - 1);
  EXPECT_EQ(rproc_->last_crash().detail[0], 'x');
  rproc_->ReportCrash(CrashReason::kRemoteReported, nullptr);
  EXPECT_STREQ(rproc_->last_crash().detail, "");
  EXPECT_EQ(rproc_->last_crash().reason, CrashReason::kRemoteReported);
  EXPECT_EQ(rproc_->last_crash().count, 2u);
  EXPECT_STREQ(CrashReasonName(CrashReason::kRemoteReported), "remote reported");
}

TEST_F(RemoteProcTest, CrashWithRecoveryDisabledStaysCrashedUntilRecover) {
  rproc_->set_recovery(false);
  EXPECT_FALSE(rproc_->recovery());
  ASSERT_TRUE(rproc_->Boot(Span(firmware_)).ok());
  rproc_->ReportCrash(CrashReason::kUnexpectedExit, "exit code 3");
  EXPECT_EQ(rproc_->state(), State::kCrashed);
  EXPECT_THAT(listener_.events, ElementsAre("ready"));
  EXPECT_EQ(platform_.starts.size(), 1u);
  EXPECT_EQ(rproc_->last_crash().reason, CrashReason::kUnexpectedExit);
  ASSERT_TRUE(rproc_->Recover().ok()) << rproc_->error_detail();
  EXPECT_EQ(rproc_->state(), State::kRunning);
  EXPECT_THAT(listener_.events, ElementsAre("ready", "reset", "ready"));
  EXPECT_EQ(platform_.starts.size(), 2u);
}

TEST_F(RemoteProcTest, StopFromCrashedResetsWithoutHandshake) {
  rproc_->set_recovery(false);
  ASSERT_TRUE(rproc_->Boot(Span(firmware_)).ok());
  rproc_->ReportCrash(CrashReason::kFault, "SIGSEGV");
  ASSERT_TRUE(rproc_->Stop().ok());
  EXPECT_EQ(rproc_->state(), State::kOffline);
  EXPECT_TRUE(platform_.sent.empty());
  EXPECT_EQ(platform_.reset_count, 1);
  EXPECT_THAT(listener_.events, ElementsAre("ready", "reset"));
  EXPECT_EQ(rproc_->last_stop().from, State::kCrashed);
  EXPECT_TRUE(platform_.mapped.empty());
}

TEST_F(RemoteProcTest, CrashReportWhenNotRunningIsCountedAndChangesNothing) {
  rproc_->ReportCrash(CrashReason::kFault, "late");
  EXPECT_EQ(rproc_->state(), State::kOffline);
  EXPECT_EQ(rproc_->ignored_crash_reports(), 1u);
  EXPECT_EQ(rproc_->last_crash().count, 0u);
  rproc_->set_recovery(false);
  ASSERT_TRUE(rproc_->Boot(Span(firmware_)).ok());
  rproc_->ReportCrash(CrashReason::kFault, "first");
  rproc_->ReportCrash(CrashReason::kWatchdog, "second");
  EXPECT_EQ(rproc_->ignored_crash_reports(), 2u);
  EXPECT_STREQ(rproc_->last_crash().detail, "first");
}

TEST_F(RemoteProcTest, FailedRecoveryLeavesTheRemoteOffline) {
  ASSERT_TRUE(rproc_->Boot(Span(firmware_)).ok());
  platform_.start_status = Internal("core gone");
  rproc_->ReportCrash(CrashReason::kFault, "");
  EXPECT_EQ(rproc_->state(), State::kOffline);
  EXPECT_EQ(rproc_->last_recovery().code(), StatusCode::kInternal);
  EXPECT_TRUE(platform_.mapped.empty());
  EXPECT_EQ(rproc_->last_crash().count, 1u);
}

// --- Attach / detach --------------------------------------------------------------

TEST_F(RemoteProcTest, AttachMapsFixedRegionsResetsTheVdevAndAnnouncesIt) {
  PrepareAttach();
  std::vector<std::uint8_t> status_at_send;
  platform_.on_send = [&](std::uint32_t) {
    status_at_send.push_back(ReadDeviceTable(fw::kAttachTableDa, fw::AttachTable().size())
                                 .Find(rsc::EntryKind::kVdev)
                                 .vdev()
                                 .status);
  };
  ASSERT_TRUE(rproc_->Attach().ok()) << rproc_->error_detail();
  EXPECT_EQ(rproc_->state(), State::kAttached);
  EXPECT_TRUE(platform_.starts.empty());
  EXPECT_EQ(platform_.reset_count, 0);
  EXPECT_THAT(platform_.sent, ElementsAre(mailbox::kVdevReset));
  EXPECT_THAT(status_at_send, ElementsAre(0));  // reset written before the request
  ASSERT_EQ(platform_.waits.size(), 1u);
  EXPECT_EQ(platform_.waits[0].first, mailbox::kVdevResetAck);
  for (const auto& r : platform_.requests) EXPECT_NE(r.device_address, kAnyAddress) << r.name;
  EXPECT_THAT(listener_.events, ElementsAre("ready"));
  const VdevResources& res = *listener_.last;
  EXPECT_EQ(res.vring[0].da, fw::kAttachVring0Da);
  EXPECT_EQ(res.vring[1].da, fw::kAttachVring1Da);
  EXPECT_EQ(res.vring[0].notifyid, fw::kAttachNotify0);  // kept from the table
  EXPECT_EQ(res.vring[1].notifyid, fw::kAttachNotify1);
  EXPECT_EQ(res.buffers_da, fw::kAttachBufferDa);
  EXPECT_EQ(res.features, fw::kFeatureNs);
  const DeviceTable t = ReadDeviceTable(fw::kAttachTableDa, fw::AttachTable().size());
  EXPECT_EQ(t.Find(rsc::EntryKind::kVdev).vdev().status, kDriverOkStatus);
  EXPECT_EQ(t.Find(rsc::EntryKind::kVdev).vdev().gfeatures, fw::kFeatureNs);
  EXPECT_TRUE(rproc_->Kick(fw::kAttachNotify1).ok());
}

// issue #11: the core of an attached x86-64 remote was ELF32. Without an
// image it has the expected machine's usual class; DescribeImage() gives it
// the image's class, machine and entry.
TEST_F(RemoteProcTest, AttachedRemoteCoreHasTheClassOfItsMachineOrOfItsImage) {
  Options options;
  options.expected_machine = elf::kMachineX86_64;
  Make(options);
  EXPECT_EQ(rproc_->DescribeImage(Span(firmware_)).code(), StatusCode::kFailedPrecondition);
  PrepareAttach();
  ASSERT_TRUE(rproc_->Attach().ok()) << rproc_->error_detail();
  EXPECT_TRUE(rproc_->core_format().is_64bit);
  EXPECT_EQ(rproc_->core_format().machine, elf::kMachineX86_64);
  EXPECT_EQ(rproc_->core_format().entry, 0u);

  fw::FirmwareSpec spec = fw::StdSpec(/*is_64bit=*/true);
  spec.machine = elf::kMachineX86_64;
  const Bytes image = fw::BuildFirmware(spec);
  ASSERT_TRUE(rproc_->DescribeImage(Span(image)).ok());
  EXPECT_EQ(rproc_->core_format().entry, fw::kEntry);
  // Another machine than the expected one is refused and changes nothing.
  EXPECT_EQ(rproc_->DescribeImage(Span(firmware_)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(rproc_->core_format().machine, elf::kMachineX86_64);
  EXPECT_TRUE(rproc_->core_format().is_64bit);
}

TEST_F(RemoteProcTest, AttachWithoutVdevResetAckFailsAndChangesNothing) {
  PrepareAttach();
  platform_.replies[mailbox::kVdevResetAck] = FakePlatform::Reply::kTimeout;
  const Status s = rproc_->Attach();
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(s.Is(error::kVdevResetNotAcked));
  EXPECT_EQ(rproc_->state(), State::kOffline);
  EXPECT_TRUE(platform_.mapped.empty());
  EXPECT_TRUE(listener_.events.empty());
  EXPECT_EQ(platform_.reset_count, 0);
}

TEST_F(RemoteProcTest, AttachRefusesAnyAddressesInTheLoadedTable) {
  PrepareAttach(fw::StdTable());
  const Status s = rproc_->Attach();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(error::kAttachCarveoutAnyAddress));
  EXPECT_THAT(rproc_->error_detail(), HasSubstr("data"));
  EXPECT_EQ(rproc_->state(), State::kOffline);
  EXPECT_TRUE(platform_.mapped.empty());
}

// Issue #10: a vring0 address moved into the firmware image made the host
// zero image memory on attach. Refused before anything is written.
TEST_F(RemoteProcTest, AttachRefusesAVringInsideTheImageAndWritesNothing) {
  PrepareAttach(fw::AttachTable(true, fw::kAttachNotify0, fw::kAttachFwDa + 0x1000));
  const Bytes image_before = platform_.Read(fw::kAttachFwDa, fw::kAttachFwLen);
  const Status s = rproc_->Attach();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(error::kAttachVdevOverlapsImage));
  EXPECT_THAT(rproc_->error_detail(), HasSubstr("vring0"));
  EXPECT_THAT(rproc_->error_detail(), HasSubstr("fw"));
  EXPECT_EQ(rproc_->state(), State::kOffline);
  EXPECT_TRUE(listener_.events.empty());
  EXPECT_EQ(platform_.Read(fw::kAttachFwDa, fw::kAttachFwLen), image_before);
}

TEST_F(RemoteProcTest, AttachWithoutALoadedTableFails) {
  EXPECT_EQ(rproc_->Attach().code(), StatusCode::kNotFound);
  EXPECT_EQ(rproc_->state(), State::kOffline);
}

TEST_F(RemoteProcTest, AttachReadsNotifyIdsInTheControlRangeAsAnError) {
  PrepareAttach(fw::AttachTable(/*as_running=*/true, /*notify0=*/mailbox::kShutdown));
  const Status s = rproc_->Attach();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(error::kNotifyIdInControlRange));
}

TEST_F(RemoteProcTest, DetachLeavesTheCoreRunningAndReattachWorks) {
  PrepareAttach();
  ASSERT_TRUE(rproc_->Attach().ok()) << rproc_->error_detail();
  ASSERT_TRUE(rproc_->Detach().ok());
  EXPECT_EQ(rproc_->state(), State::kDetached);
  EXPECT_EQ(platform_.reset_count, 0);
  EXPECT_TRUE(platform_.mapped.empty());
  EXPECT_THAT(listener_.events, ElementsAre("ready", "reset"));
  EXPECT_EQ(ReadDeviceTable(fw::kAttachTableDa, fw::AttachTable().size())
                .Find(rsc::EntryKind::kVdev)
                .vdev()
                .status,
            0);
  EXPECT_EQ(rproc_->Stop().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(rproc_->Attach().ok()) << rproc_->error_detail();
  EXPECT_EQ(rproc_->state(), State::kAttached);
  EXPECT_THAT(listener_.events, ElementsAre("ready", "reset", "ready"));
}

TEST_F(RemoteProcTest, StopOfAnAttachedRemoteUsesTheShutdownHandshake) {
  PrepareAttach();
  ASSERT_TRUE(rproc_->Attach().ok());
  ASSERT_TRUE(rproc_->Stop().ok());
  EXPECT_THAT(platform_.sent, ElementsAre(mailbox::kVdevReset, mailbox::kShutdown));
  EXPECT_EQ(platform_.reset_count, 1);
  EXPECT_TRUE(rproc_->last_stop().graceful);
  EXPECT_EQ(rproc_->state(), State::kOffline);
}

TEST_F(RemoteProcTest, CrashOfAnAttachedRemoteStaysCrashedWithAClearMessage) {
  PrepareAttach();
  ASSERT_TRUE(rproc_->Attach().ok());
  rproc_->ReportCrash(CrashReason::kRemoteReported, "assert in main.c:42");
  EXPECT_EQ(rproc_->state(), State::kCrashed);
  EXPECT_EQ(rproc_->last_recovery().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(rproc_->last_recovery().Is(error::kCannotRecoverAttached));
  EXPECT_TRUE(platform_.starts.empty());
  ASSERT_TRUE(rproc_->Stop().ok());
  EXPECT_EQ(rproc_->state(), State::kOffline);
}

// --- Trace --------------------------------------------------------------------

TEST_F(RemoteProcTest, ReadTraceReturnsWhatTheFirmwareWroteInOrder) {
  ASSERT_TRUE(rproc_->Boot(Span(firmware_)).ok());
  // The firmware side: a TraceWriter over its trace buffer.
  TraceWriter writer(ByteSpan(platform_.At(fw::kTraceDa, fw::kTraceLen), fw::kTraceLen));
  std::string expected;
  for (int i = 0; i < 300; ++i) {  // wraps the 1 KiB buffer
    const std::string line = "line " + std::to_string(i) + "\n";
    writer.Write(line.data(), line.size());
    expected += line;
  }
  ASSERT_GT(expected.size(), fw::kTraceLen);
  expected = expected.substr(expected.size() - (fw::kTraceLen - 1));
  std::vector<char> out(rproc_->trace_size());
  auto n = rproc_->ReadTrace(out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(out.data(), *n), expected);
  std::vector<char> small(rproc_->trace_size() - 1);
  EXPECT_EQ(rproc_->ReadTrace(small).status().code(), StatusCode::kResourceExhausted);
}

TEST_F(RemoteProcTest, ReadTraceWithoutTraceEntryIsNotFound) {
  FirmwareSpec spec;
  spec.segments.push_back({fw::kCodeDa, Pattern(8, 1), 8});
  const Bytes image = BuildFirmware(spec);
  std::vector<char> out(64);
  EXPECT_EQ(rproc_->ReadTrace(out).status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(rproc_->Load(Span(image)).ok());
  EXPECT_EQ(rproc_->ReadTrace(out).status().code(), StatusCode::kNotFound);
}

// --- Every call in every state ---------------------------------------------------

// Drives a fresh RemoteProc into each state, then makes every lifecycle
// call; an illegal one must return kFailedPrecondition and leave both the
// state and the platform untouched.
class StateDriver : public Env {
 public:
  void Reach(State s) {
    rproc_->set_recovery(false);
    switch (s) {
      case State::kOffline: break;
      case State::kLoaded: ASSERT_TRUE(rproc_->Load(Span(firmware_)).ok()); break;
      case State::kRunning: ASSERT_TRUE(rproc_->Boot(Span(firmware_)).ok()); break;
      case State::kCrashed:
        ASSERT_TRUE(rproc_->Boot(Span(firmware_)).ok());
        rproc_->ReportCrash(CrashReason::kFault, "test");
        break;
      case State::kAttached:
        PrepareAttach();
        ASSERT_TRUE(rproc_->Attach().ok());
        break;
      case State::kDetached:
        PrepareAttach();
        ASSERT_TRUE(rproc_->Attach().ok());
        ASSERT_TRUE(rproc_->Detach().ok());
        break;
    }
    ASSERT_EQ(rproc_->state(), s);
  }
  Status Call(Event e) {
    switch (e) {
      case Event::kLoad: return rproc_->Load(Span(firmware_));
      case Event::kStart: return rproc_->Start();
      case Event::kStop: return rproc_->Stop();
      case Event::kCrash: {
        const std::uint32_t before = rproc_->ignored_crash_reports();
        rproc_->ReportCrash(CrashReason::kFault, "x");
        return rproc_->ignored_crash_reports() != before ? FailedPrecondition("ignored")
                                                         : OkStatus();
      }
      case Event::kRecover: return rproc_->Recover();
      case Event::kAttach: return rproc_->Attach();
      case Event::kDetach: return rproc_->Detach();
    }
    return Internal("bad event");
  }
};

TEST(RemoteProcIllegalCall, IllegalCallsInEveryStateChangeNothing) {
  const State states[] = {State::kOffline, State::kLoaded,   State::kRunning,
                          State::kCrashed, State::kAttached, State::kDetached};
  const Event events[] = {Event::kLoad,    Event::kStart,  Event::kStop,  Event::kCrash,
                          Event::kRecover, Event::kAttach, Event::kDetach};
  int illegal = 0;
  for (State s : states) {
    for (Event e : events) {
      if (NextState(s, e).ok()) continue;
      SCOPED_TRACE(std::string(StateName(s)) + " / " + EventName(e));
      StateDriver d;
      d.Reach(s);
      if (::testing::Test::HasFatalFailure()) return;
      const auto requests = d.platform_.requests.size();
      const auto sent = d.platform_.sent.size();
      const auto starts = d.platform_.starts.size();
      const int resets = d.platform_.reset_count;
      const int releases = d.platform_.release_count;
      const auto events_seen = d.listener_.events.size();
      const Status status = d.Call(e);
      EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
      EXPECT_EQ(d.rproc_->state(), s);
      EXPECT_EQ(d.platform_.requests.size(), requests);
      EXPECT_EQ(d.platform_.sent.size(), sent);
      EXPECT_EQ(d.platform_.starts.size(), starts);
      EXPECT_EQ(d.platform_.reset_count, resets);
      EXPECT_EQ(d.platform_.release_count, releases);
      EXPECT_EQ(d.listener_.events.size(), events_seen);
      ++illegal;
    }
  }
  EXPECT_EQ(illegal, 6 * 7 - 13);
}

// Every legal call from every state reaches the state the table names.
TEST(RemoteProcLegalCall, LegalCallsReachTheNextState) {
  const State states[] = {State::kOffline, State::kLoaded,   State::kRunning,
                          State::kCrashed, State::kAttached, State::kDetached};
  const Event events[] = {Event::kLoad,    Event::kStart,  Event::kStop,  Event::kCrash,
                          Event::kRecover, Event::kAttach, Event::kDetach};
  int legal = 0;
  for (State s : states) {
    for (Event e : events) {
      const auto next = NextState(s, e);
      if (!next.ok()) continue;
      SCOPED_TRACE(std::string(StateName(s)) + " / " + EventName(e));
      StateDriver d;
      d.Reach(s);
      if (::testing::Test::HasFatalFailure()) return;
      if (e == Event::kAttach) d.PrepareAttach();
      // A crash of a booted remote stays crashed (recovery is off here).
      EXPECT_TRUE(d.Call(e).ok()) << d.rproc_->error_detail();
      EXPECT_EQ(d.rproc_->state(), *next);
      ++legal;
    }
  }
  EXPECT_EQ(legal, 13);
}

}  // namespace
}  // namespace tandem::remoteproc
