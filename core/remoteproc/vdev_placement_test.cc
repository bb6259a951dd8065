// Vdev placement alone: the RSC_VDEV handler over FakePlatform. What it
// chooses and writes back on boot, what it must find already placed on
// attach, and each layout it refuses.

#include "vdev_placement.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "handler_test_env.h"
#include "tandem/remoteproc/errors.h"
#include "tandem/remoteproc/mailbox.h"
#include "tandem/rsc/builder.h"
#include "tandem/rsc/errors.h"

namespace tandem::remoteproc {
namespace {

using testing::AssembleTable;
using testing::Bytes;
using testing::FakePlatform;
using testing::kSram;
using VdevPlacement = testing::HandlerTest;

constexpr std::uint32_t kShared = kSram + 0x10000;  // a carveout for fixed rings
constexpr std::uint32_t kRing0 = kShared;
constexpr std::uint32_t kRing1 = kShared + 0x2000;  // a num 8 / align 4096 ring is 0x1046 bytes
constexpr std::uint32_t kNs = 1u << 0;
constexpr std::uint32_t kEventIdx = 1u << 29;

// Fixed rings in carveout "shared" and a vdev0buffer carveout, as a host
// that booted the remote left them.
Bytes PlacedTable(std::uint32_t notify0 = 5, std::uint32_t notify1 = 6,
                  std::uint32_t ring1 = kRing1) {
  rsc::RpmsgVdevEntry<2> vdev =
      rsc::MakeRpmsgVdev(0, kNs, {{kRing0, 4096, 8, 0}, {kRing0, 4096, 8, 0}});
  vdev.vring[0].notifyid = Le32(notify0);
  vdev.vring[1].notifyid = Le32(notify1);
  vdev.vring[1].da = Le32(ring1);
  return AssembleTable(rsc::MakeCarveout(kShared, 0x4000, "shared"),
                       rsc::MakeCarveout(kSram + 0x20000, 2 * 8 * 512, "vdev0buffer"), vdev);
}

TEST_F(VdevPlacement, BootChoosesRingsAndNotifyIdsAndWritesThemBack) {
  Use(AssembleTable(
      rsc::MakeRpmsgVdev(0, kNs | kEventIdx | (1u << 5),
                         {{rsc::kAddrAny, 4096, 8, 0xAA}, {rsc::kAddrAny, 4096, 8, 0xBB}})));
  ASSERT_TRUE(HandleAll(Placement::kBoot).ok()) << detail_.c_str();
  ASSERT_EQ(out_.vdev_count, 1u);
  const VdevResources& v = out_.vdevs[0].resources;
  const rsc::Vdev entry = EntryNow(0).vdev();
  for (std::size_t i = 0; i < 2; ++i) {
    // Linux allocates notifyids from 0 in vring order.
    EXPECT_EQ(v.vring[i].notifyid, i);
    EXPECT_EQ(entry.vring[i].notifyid, i);
    EXPECT_EQ(entry.vring[i].da, v.vring[i].da);
    EXPECT_EQ(v.vring[i].da % 4096, 0u);
  }
  EXPECT_EQ(v.buffer_count, 16u);
  EXPECT_EQ(v.buffer_size, 512u);
  EXPECT_EQ(v.buffers.size(), 16u * 512);
  // VirtIO 1.x 3.1.1: the driver accepts what it supports of what is offered.
  EXPECT_EQ(v.device_features, kNs | kEventIdx | (1u << 5));
  EXPECT_EQ(v.features, kNs | kEventIdx);
  EXPECT_EQ(entry.gfeatures, kNs | kEventIdx);
  EXPECT_EQ(entry.status, 0);  // a fresh device starts in reset (VirtIO 1.x 2.1)
}

TEST_F(VdevPlacement, AttachUsesTheTablesRingsAndNotifyIdsAndMapsNothingNew) {
  Use(PlacedTable());
  ASSERT_TRUE(HandleAll(Placement::kAttach).ok()) << detail_.c_str();
  const VdevResources& v = out_.vdevs[0].resources;
  EXPECT_EQ(v.vring[0].da, kRing0);
  EXPECT_EQ(v.vring[1].da, kRing1);
  EXPECT_EQ(v.vring[0].notifyid, 5u);
  EXPECT_EQ(v.vring[1].notifyid, 6u);
  EXPECT_EQ(v.buffers_da, kSram + 0x20000);
  EXPECT_EQ(map_.regions().size(), 2u);  // the two carveouts, nothing else
}

TEST_F(VdevPlacement, RpmsgVdevNeedsExactlyTwoVrings) {
  Use(AssembleTable(rsc::MakeVdev<1>(rsc::kVirtioIdRpmsg, 0, 0, {{rsc::kAddrAny, 4096, 8, 0}})));
  EXPECT_TRUE(HandleAll(Placement::kBoot).Is(error::kVdevVringCount));
  EXPECT_EQ(out_.vdev_count, 0u);
}

TEST_F(VdevPlacement, AsymmetricVringsAreRejected) {
  Use(AssembleTable(
      rsc::MakeRpmsgVdev(0, 0, {{rsc::kAddrAny, 4096, 8, 0}, {rsc::kAddrAny, 4096, 16, 1}})));
  EXPECT_TRUE(HandleAll(Placement::kBoot).Is(error::kVdevAsymmetricVrings));
  EXPECT_TRUE(platform_.requests.empty());
}

TEST_F(VdevPlacement, AttachRefusesARingLeftToChoose) {
  Use(AssembleTable(
      rsc::MakeRpmsgVdev(0, 0, {{rsc::kAddrAny, 4096, 8, 5}, {rsc::kAddrAny, 4096, 8, 6}})));
  EXPECT_TRUE(HandleAll(Placement::kAttach).Is(error::kAttachVringAnyAddress));
}

TEST_F(VdevPlacement, RingsMustBe16ByteAligned) {
  Use(PlacedTable(5, 6, kRing1 + 8));
  EXPECT_TRUE(HandleAll(Placement::kAttach).Is(error::kVringMisaligned));
}

TEST_F(VdevPlacement, AttachRefusesANotifyIdInTheMailboxControlRange) {
  Use(PlacedTable(mailbox::kShutdown, 6));
  EXPECT_TRUE(HandleAll(Placement::kAttach).Is(error::kNotifyIdInControlRange));
}

TEST_F(VdevPlacement, AttachRefusesTwoRingsWithOneNotifyId) {
  Use(PlacedTable(5, 5));
  EXPECT_TRUE(HandleAll(Placement::kAttach).Is(error::kSameNotifyId));
}

TEST_F(VdevPlacement, OverlappingRingsAreRejected) {
  Use(PlacedTable(5, 6, kRing0 + 0x1000));
  EXPECT_TRUE(HandleAll(Placement::kAttach).Is(error::kVringsOverlap));
}

TEST_F(VdevPlacement, ARingInsideTheBufferAreaIsRejected) {
  Use(PlacedTable(5, 6, kSram + 0x20000));
  EXPECT_TRUE(HandleAll(Placement::kAttach).Is(error::kVringOverlapsBuffers));
}

TEST_F(VdevPlacement, ABufferCarveoutTooSmallIsRejectedWithBothSizes) {
  Use(AssembleTable(
      rsc::MakeCarveout(kSram, 0x1000, "vdev0buffer"),
      rsc::MakeRpmsgVdev(0, 0, {{rsc::kAddrAny, 4096, 8, 0}, {rsc::kAddrAny, 4096, 8, 1}})));
  EXPECT_TRUE(HandleAll(Placement::kBoot).Is(error::kBufferCarveoutTooSmall));
  EXPECT_EQ(std::string(detail_.c_str()), "need 0x2000 bytes, have 0x1000");
}

TEST_F(VdevPlacement, OtherDevicesAreSkippedAndCountedAndASecondRpmsgVdevIsPlaced) {
  Use(AssembleTable(
      rsc::MakeVdev<1>(/*virtio_id=*/3, 0, 0, {{rsc::kAddrAny, 4096, 8, 0}}),
      rsc::MakeRpmsgVdev(0, 0, {{rsc::kAddrAny, 4096, 8, 0}, {rsc::kAddrAny, 4096, 8, 1}}),
      rsc::MakeRpmsgVdev(0, 0, {{rsc::kAddrAny, 4096, 8, 0}, {rsc::kAddrAny, 4096, 8, 1}})));
  ASSERT_TRUE(HandleAll(Placement::kBoot).ok()) << detail_.c_str();
  EXPECT_EQ(out_.skipped_vdevs, 1u);  // the console
  EXPECT_EQ(out_.vdev_entries, 3u);
  ASSERT_EQ(out_.vdev_count, 2u);
  for (std::uint32_t bus = 0; bus < 2; ++bus) {
    SCOPED_TRACE(bus);
    const PlacedVdev& p = out_.vdevs[bus];
    EXPECT_EQ(p.entry.offset, EntryNow(bus + 1).offset());
    EXPECT_EQ(p.resources.index, bus);
    // Notifyids 2 * bus + i: Linux allocates them in table order.
    EXPECT_EQ(p.resources.vring[0].notifyid, 2 * bus);
    EXPECT_EQ(p.resources.vring[1].notifyid, 2 * bus + 1);
    EXPECT_EQ(EntryNow(bus + 1).vdev().vring[1].notifyid, 2 * bus + 1);
  }
  // Nothing of one vdev lies in the other's.
  const VdevResources& a = out_.vdevs[0].resources;
  const VdevResources& b = out_.vdevs[1].resources;
  EXPECT_TRUE(a.buffers_da + a.buffers.size() <= b.buffers_da ||
              b.buffers_da + b.buffers.size() <= a.buffers_da);
  EXPECT_NE(a.vring[0].da, b.vring[0].da);
}

TEST_F(VdevPlacement, EachVdevUsesTheBufferCarveoutNamedAfterItsEntryIndex) {
  // Linux names the carve-out after rvdev->index, which counts every vdev
  // entry: the console is vdev0, the two RPMsg vdevs vdev1 and vdev2.
  Use(AssembleTable(
      rsc::MakeCarveout(kSram + 0x20000, 2 * 8 * 512, "vdev1buffer"),
      rsc::MakeCarveout(kSram + 0x30000, 2 * 8 * 512, "vdev2buffer"),
      rsc::MakeVdev<1>(/*virtio_id=*/3, 0, 0, {{rsc::kAddrAny, 4096, 8, 0}}),
      rsc::MakeRpmsgVdev(0, 0, {{rsc::kAddrAny, 4096, 8, 0}, {rsc::kAddrAny, 4096, 8, 1}}),
      rsc::MakeRpmsgVdev(0, 0, {{rsc::kAddrAny, 4096, 8, 0}, {rsc::kAddrAny, 4096, 8, 1}})));
  ASSERT_TRUE(HandleAll(Placement::kBoot).ok()) << detail_.c_str();
  ASSERT_EQ(out_.vdev_count, 2u);
  EXPECT_EQ(out_.vdevs[0].resources.buffers_da, kSram + 0x20000);
  EXPECT_EQ(out_.vdevs[1].resources.buffers_da, kSram + 0x30000);
}

TEST_F(VdevPlacement, TwoVdevsSharingARingAreRefused) {
  // Each vdev valid alone; the second's ring 0 is the first's ring 1.
  const rsc::RpmsgVdevEntry<2> second =
      rsc::MakeRpmsgVdev(0, kNs, {{kRing1, 4096, 8, 7}, {kShared + 0x4000, 4096, 8, 8}});
  Use(AssembleTable(rsc::MakeCarveout(kShared, 0x8000, "shared"),
                    rsc::MakeCarveout(kSram + 0x20000, 2 * 8 * 512, "vdev0buffer"),
                    rsc::MakeCarveout(kSram + 0x30000, 2 * 8 * 512, "vdev1buffer"),
                    rsc::MakeRpmsgVdev(0, kNs, {{kRing0, 4096, 8, 5}, {kRing1, 4096, 8, 6}}),
                    second));
  EXPECT_TRUE(HandleAll(Placement::kAttach).Is(error::kVdevsOverlap)) << detail_.c_str();
}

TEST_F(VdevPlacement, TwoVdevsSharingANotifyIdAreRefused) {
  Use(AssembleTable(rsc::MakeCarveout(kShared, 0x8000, "shared"),
                    rsc::MakeCarveout(kSram + 0x20000, 2 * 8 * 512, "vdev0buffer"),
                    rsc::MakeCarveout(kSram + 0x30000, 2 * 8 * 512, "vdev1buffer"),
                    rsc::MakeRpmsgVdev(0, kNs, {{kRing0, 4096, 8, 5}, {kRing1, 4096, 8, 6}}),
                    rsc::MakeRpmsgVdev(
                        0, kNs, {{kShared + 0x4000, 4096, 8, 6}, {kShared + 0x6000, 4096, 8, 7}})));
  EXPECT_TRUE(HandleAll(Placement::kAttach).Is(error::kVdevsShareNotifyId)) << detail_.c_str();
}

TEST_F(VdevPlacement, RpmsgVdevsBeyondTheMaximumAreSkippedAndCounted) {
  const auto vdev = [] {
    return rsc::MakeRpmsgVdev(0, 0, {{rsc::kAddrAny, 4096, 8, 0}, {rsc::kAddrAny, 4096, 8, 1}});
  };
  static_assert(kMaxRpmsgVdevs == 4);
  Use(AssembleTable(vdev(), vdev(), vdev(), vdev(), vdev()));
  ASSERT_TRUE(HandleAll(Placement::kBoot).ok()) << detail_.c_str();
  EXPECT_EQ(out_.vdev_count, 4u);
  EXPECT_EQ(out_.skipped_vdevs, 1u);
}

// --- Buffer size (docs/buffers.md) ------------------------------------------

constexpr std::uint32_t kBufSz = 1u << 2;  // VIRTIO_RPMSG_F_BUFSZ

Bytes SizedTable(std::uint32_t carveout_len, std::uint32_t h2r, std::uint32_t r2h,
                 std::uint32_t dfeatures = kNs | kBufSz) {
  rsc::VdevEntry<2, 8> vdev = rsc::MakeSizedRpmsgVdev<2048>(
      0, kNs, {{rsc::kAddrAny, 4096, 8, 0}, {rsc::kAddrAny, 4096, 8, 1}});
  vdev.body.dfeatures = Le32(dfeatures);
  const Le32 a(h2r), b(r2h);
  std::memcpy(vdev.config, &a, 4);
  std::memcpy(vdev.config + 4, &b, 4);
  rsc::CarveoutEntry buffers = rsc::MakeCarveout(kSram, 0, "vdev0buffer");
  buffers.body.len = Le32(carveout_len);
  return AssembleTable(buffers, vdev);
}

TEST_F(VdevPlacement, TheFirmwaresBufferSizeIsUsedAndVirtioRpmsgFBufszAcked) {
  host_buffer_size_ = 0;  // as the firmware asks
  Use(AssembleTable(rsc::MakeCarveout(kSram, 2 * 8 * 2048, "vdev0buffer"),
                    rsc::MakeSizedRpmsgVdev<2048>(
                        0, kNs, {{rsc::kAddrAny, 4096, 8, 0}, {rsc::kAddrAny, 4096, 8, 1}})));
  ASSERT_TRUE(HandleAll(Placement::kBoot).ok()) << detail_.c_str();
  const VdevResources& v = out_.vdevs[0].resources;
  EXPECT_EQ(v.buffer_size, 2048u);
  EXPECT_EQ(v.buffer_count, 16u);
  EXPECT_EQ(v.buffers.size(), 16u * 2048);
  EXPECT_TRUE(v.buffer_size_negotiated());
  EXPECT_EQ(EntryNow(1).vdev().gfeatures, kNs | kBufSz);
}

TEST_F(VdevPlacement, AHostRequiringTheFirmwaresSizeAcceptsIt) {
  host_buffer_size_ = 2048;
  Use(SizedTable(2 * 8 * 2048, 2048, 2048));
  ASSERT_TRUE(HandleAll(Placement::kBoot).ok()) << detail_.c_str();
  EXPECT_EQ(out_.vdevs[0].resources.buffer_size, 2048u);
}

TEST_F(VdevPlacement, WithoutBit2TheSizeIs512AndNothingIsAcked) {
  host_buffer_size_ = 0;
  Use(PlacedTable());
  ASSERT_TRUE(HandleAll(Placement::kAttach).ok()) << detail_.c_str();
  EXPECT_EQ(out_.vdevs[0].resources.buffer_size, 512u);
  EXPECT_FALSE(out_.vdevs[0].resources.buffer_size_negotiated());
}

TEST_F(VdevPlacement, AHostConfiguredFor512RefusesAFirmwareAsking2048NamingBoth) {
  host_buffer_size_ = 512;
  Use(SizedTable(2 * 8 * 2048, 2048, 2048));
  const Status s = HandleAll(Placement::kBoot);
  EXPECT_TRUE(s.Is(error::kRpmsgBufferSizeMismatch));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(detail_.c_str()),
            "the host is configured for 512-byte RPMsg buffers, the firmware asks for 2048 "
            "(VIRTIO_RPMSG_F_BUFSZ)");
  EXPECT_EQ(out_.vdev_count, 0u);  // refused before anything was placed
}

TEST_F(VdevPlacement, AHostConfiguredForAnotherSizeRefusesALinuxStyleFirmware) {
  host_buffer_size_ = 1024;
  Use(PlacedTable());
  EXPECT_TRUE(HandleAll(Placement::kAttach).Is(error::kRpmsgBufferSizeMismatch));
  EXPECT_EQ(std::string(detail_.c_str()),
            "the host is configured for 1024-byte RPMsg buffers, the firmware asks for 512 (no "
            "VIRTIO_RPMSG_F_BUFSZ: Linux's default)");
}

TEST_F(VdevPlacement, HostileBufferSizesAreRefused) {
  host_buffer_size_ = 0;
  // A fresh board for each table.
  const auto fresh = [this] {
    platform_.ResetAll();
    map_.Clear();
    out_ = {};
    detail_.Clear();
  };
  for (std::uint32_t bad : {0u, 16u, 1020u, 65544u, 0xFFFFFFF8u}) {
    SCOPED_TRACE(bad);
    fresh();
    Use(SizedTable(0x10000, bad, bad));
    EXPECT_TRUE(HandleAll(Placement::kBoot).Is(rsc::error::kBadRpmsgBufferSize));
  }
  fresh();
  Use(SizedTable(0x10000, 4096, 512));
  EXPECT_TRUE(HandleAll(Placement::kBoot).Is(rsc::error::kRpmsgBufferSizesDiffer));
}

TEST_F(VdevPlacement, Bit2WithoutConfigSpaceIsRefused) {
  host_buffer_size_ = 0;
  Use(AssembleTable(
      rsc::MakeCarveout(kSram, 0x10000, "vdev0buffer"),
      rsc::MakeRpmsgVdev(0, kNs | kBufSz,
                         {{rsc::kAddrAny, 4096, 8, 0}, {rsc::kAddrAny, 4096, 8, 1}})));
  EXPECT_TRUE(HandleAll(Placement::kBoot).Is(rsc::error::kRpmsgConfigTooShort));
}

TEST_F(VdevPlacement, ASizeTheBufferCarveoutCannotHoldIsRefused) {
  host_buffer_size_ = 0;
  // 2 * 8 * 65536 = 1 MiB needed, 64 KiB given.
  Use(SizedTable(0x10000, 65536, 65536));
  EXPECT_TRUE(HandleAll(Placement::kBoot).Is(error::kBufferCarveoutTooSmall));
  EXPECT_EQ(std::string(detail_.c_str()), "need 0x100000 bytes, have 0x10000");
}

TEST_F(VdevPlacement, ClearVringsZeroesBothRings) {
  Use(PlacedTable());
  ASSERT_TRUE(HandleAll(Placement::kAttach).ok());
  ASSERT_TRUE(ClearVrings(out_.vdevs[0].resources).ok());
  for (const VringResources& v : out_.vdevs[0].resources.vring) {
    EXPECT_EQ(platform_.Read(v.da, v.ring.size()), Bytes(v.ring.size(), 0));
  }
}

}  // namespace
}  // namespace tandem::remoteproc
