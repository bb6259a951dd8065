#include "tandem/vdev/loaded_table.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "tandem/rsc/builder.h"
#include "tandem/rsc/errors.h"
#include "tandem/rsc/resource_table.h"
#include "tandem/simulated_board/rpmsg_resource_table.h"
#include "tandem/testing/fake_board.h"
#include "tandem/testing/fake_host.h"
#include "tandem/testing/fake_shm.h"

namespace tandem::vdev {
namespace {

using namespace ::tandem::simulated_board;  // NOLINT(google-build-using-namespace)

using remote::testing::FakeBoard;
using remote::testing::FakeHost;

class LoadedTableTest : public ::testing::Test {
 protected:
  LoadedTableTest() : host_(board_) { host_.PlaceLink(); }

  Result<VdevLink> ReadLink() {
    auto table = LoadedTable::Open(host_.table_config());
    EXPECT_TRUE(table.ok()) << table.status().message();
    if (!table.ok()) return table.status();
    return table->ReadLink();
  }
  // The error ReadLink() returns (ok if it succeeded).
  Status LinkError() { return ReadLink().status(); }

  FakeBoard board_;
  FakeHost host_;
};

TEST_F(LoadedTableTest, TheImageTableIsAValidLinuxResourceTable) {
  RpmsgResourceTable table = MakeRpmsgResourceTable();
  auto parsed = rsc::ResourceTable::Parse(
      ConstByteSpan(reinterpret_cast<const std::byte*>(&table), sizeof(table)));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_EQ(parsed->size(), 4u);
  const rsc::Carveout image = parsed->entry(0)->carveout();
  EXPECT_EQ(image.da, 0x10000000u);
  EXPECT_EQ(image.len, 0x100000u);
  EXPECT_STREQ(image.name.c_str(), "image");
  const rsc::Trace trace = parsed->entry(1)->trace();
  EXPECT_EQ(trace.da, 0x100F8000u);
  EXPECT_EQ(trace.len, 0x8000u);
  EXPECT_STREQ(trace.name.c_str(), "trace0");
  const rsc::Carveout buffers = parsed->entry(2)->carveout();
  EXPECT_EQ(buffers.da, rsc::kAddrAny);
  EXPECT_EQ(buffers.len, 2u * 256 * 512);
  EXPECT_STREQ(buffers.name.c_str(), "vdev0buffer");
  const rsc::Vdev vdev = parsed->entry(3)->vdev();
  EXPECT_EQ(vdev.id, 7u);
  // NS, Tandem's flow control (bit 16: a Linux host does not know it and
  // never accepts it, docs/flow_control.md), EVENT_IDX.
  EXPECT_EQ(vdev.dfeatures, (1u << 0) | (1u << 16) | (1u << 29));
  EXPECT_EQ(vdev.status, 0u);
  ASSERT_EQ(vdev.num_of_vrings, 2u);
  for (const rsc::Vring& v : vdev.vrings()) {
    EXPECT_EQ(v.da, rsc::kAddrAny);
    EXPECT_EQ(v.align, 4096u);
    EXPECT_EQ(v.num, 256u);
    EXPECT_EQ(v.notifyid, rsc::kAddrAny);
  }
}

TEST_F(LoadedTableTest, ReadsTheLinkTheHostPlaced) {
  auto link = ReadLink();
  ASSERT_TRUE(link.ok()) << link.status().message();
  EXPECT_EQ(link->bus.vring0.ring.device_address(), remote::testing::kVring0Da);
  EXPECT_EQ(link->bus.vring1.ring.device_address(), remote::testing::kVring1Da);
  EXPECT_EQ(link->bus.vring0.ring.size(), virtio::VringSize(256, 4096));
  EXPECT_EQ(link->bus.vring0.num, 256u);
  EXPECT_EQ(link->bus.vring0.align, 4096u);
  EXPECT_EQ(link->bus.vring0.notifyid, 0u);
  EXPECT_EQ(link->bus.vring1.notifyid, 1u);
  EXPECT_EQ(link->bus.buffers.device_address(), remote::testing::kBuffersDa);
  EXPECT_EQ(link->bus.buffers.size(), 2u * 256 * 512);
  EXPECT_EQ(link->bus.buffer_size, 512u);
  EXPECT_TRUE(link->bus.event_idx);
  EXPECT_TRUE(link->bus.name_service);
  // The region maps the window's memory at the right place.
  EXPECT_EQ(link->bus.vring1.ring.base(),
            host_.window().data() + (remote::testing::kVring1Da - remote::testing::kWindowDa));
}

TEST_F(LoadedTableTest, FeaturesFollowWhatTheHostAccepted) {
  host_.table().vdev.body.gfeatures = Le32(1u << 0);  // NS only, no EVENT_IDX
  auto link = ReadLink();
  ASSERT_TRUE(link.ok());
  EXPECT_FALSE(link->bus.event_idx);
  EXPECT_TRUE(link->bus.name_service);
}

TEST_F(LoadedTableTest, StatusIsReadFromTheLiveTableNotFromACopy) {
  auto table = LoadedTable::Open(host_.table_config());
  ASSERT_TRUE(table.ok());
  EXPECT_FALSE(table->DriverOk());
  host_.SetStatus(remote::testing::kDriverReady);
  EXPECT_TRUE(table->DriverOk());
  EXPECT_EQ(table->ReadStatus(), remote::testing::kDriverReady);
  host_.SetStatus(0x0B);  // everything but DRIVER_OK
  EXPECT_FALSE(table->DriverOk());
}

TEST_F(LoadedTableTest, TraceIsMappedFromTheTraceEntry) {
  auto table = LoadedTable::Open(host_.table_config());
  ASSERT_TRUE(table.ok());
  auto trace = table->Trace();
  ASSERT_TRUE(trace.ok()) << trace.status().message();
  EXPECT_EQ(trace->device_address(), remote::testing::kTestTraceDa);
  EXPECT_EQ(trace->size(), kTraceSize);
}

TEST_F(LoadedTableTest, TableWithoutAnRpmsgVdevIsRefused) {
  host_.table().vdev.body.id = Le32(3);  // virtio console
  auto table = LoadedTable::Open(host_.table_config());
  EXPECT_EQ(table.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(table.status().Is(kNoRpmsgVdev));
}

TEST_F(LoadedTableTest, MalformedTableIsRefusedByTheParser) {
  host_.table().header.offset[3] = Le32(2);  // inside the header
  EXPECT_EQ(LoadedTable::Open(host_.table_config()).status().code(), StatusCode::kDataLoss);
}

TEST_F(LoadedTableTest, VringAddressNotWrittenByTheHostIsRefused) {
  host_.table().vdev.vring[1].da = Le32(rsc::kAddrAny);
  EXPECT_TRUE(LinkError().Is(kVringNotPlaced));
}

TEST_F(LoadedTableTest, VringOutsideTheDeviceWindowIsRefused) {
  host_.table().vdev.vring[0].da = Le32(0x50000000);
  EXPECT_TRUE(LinkError().Is(kOutsideWindow));
  // Straddling the window's end.
  host_.table().vdev.vring[0].da =
      Le32(remote::testing::kWindowDa + remote::testing::kWindowSize - 4096);
  EXPECT_TRUE(LinkError().Is(kOutsideWindow));
}

TEST_F(LoadedTableTest, VringOverTheImageIsRefused) {
  LoadedTableConfig config = host_.table_config();
  config.image = DeviceRange{remote::testing::kVring1Da + 0x1000, 0x1000};
  auto table = LoadedTable::Open(config);
  ASSERT_TRUE(table.ok());
  EXPECT_TRUE(table->ReadLink().status().Is(kVringOverImage));
}

TEST_F(LoadedTableTest, BuffersOverTheImageAreRefused) {
  LoadedTableConfig config = host_.table_config();
  config.image = DeviceRange{remote::testing::kBuffersDa + 0x30000, 0x1000};
  auto table = LoadedTable::Open(config);
  ASSERT_TRUE(table.ok());
  EXPECT_TRUE(table->ReadLink().status().Is(kBuffersOverImage));
}

TEST_F(LoadedTableTest, MisalignedVringIsRefused) {
  host_.table().vdev.vring[0].da = Le32(remote::testing::kVring0Da + 8);
  EXPECT_TRUE(LinkError().Is(kVringMisaligned));
}

TEST_F(LoadedTableTest, OverlappingVringsAreRefused) {
  host_.table().vdev.vring[1].da = Le32(remote::testing::kVring0Da + 0x1000);
  EXPECT_TRUE(LinkError().Is(kVringsOverlap));
}

TEST_F(LoadedTableTest, VringOverTheBuffersIsRefused) {
  host_.table().vdev.vring[1].da = Le32(remote::testing::kBuffersDa + 0x8000);
  EXPECT_TRUE(LinkError().Is(kVringOverBuffers));
}

TEST_F(LoadedTableTest, NotifyIdsMustBeDistinctMailboxNotifyIds) {
  host_.table().vdev.vring[1].notifyid = Le32(64);
  EXPECT_TRUE(LinkError().Is(kBadNotifyId));
  host_.table().vdev.vring[1].notifyid = Le32(0);
  EXPECT_TRUE(LinkError().Is(kSameNotifyId));
}

TEST_F(LoadedTableTest, FeaturesTheFirmwareDidNotOfferAreRefused) {
  host_.table().vdev.body.gfeatures = Le32((1u << 0) | (1u << 28));
  EXPECT_TRUE(LinkError().Is(kFeaturesNotOffered));
}

TEST_F(LoadedTableTest, VringSizesMustMatchAndFitTheFirmwareStorage) {
  host_.table().vdev.vring[1].num = Le32(128);
  EXPECT_TRUE(LinkError().Is(kVringSizesDiffer));
  host_.table().vdev.vring[0].num = Le32(512);
  host_.table().vdev.vring[1].num = Le32(512);
  EXPECT_TRUE(LinkError().Is(kVringTooLarge));
}

TEST_F(LoadedTableTest, BufferCarveoutMustBePlacedAndLargeEnough) {
  host_.table().buffers.body.da = Le32(rsc::kAddrAny);
  EXPECT_TRUE(LinkError().Is(kBuffersNotPlaced));
  host_.table().buffers.body.da = Le32(remote::testing::kBuffersDa);
  host_.table().buffers.body.len = Le32(2 * 256 * 512 - 1);
  EXPECT_TRUE(LinkError().Is(kBuffersTooSmall));
}

TEST_F(LoadedTableTest, MissingBufferCarveoutIsRefused) {
  host_.table().buffers.body.name[0] = static_cast<std::uint8_t>('X');
  EXPECT_TRUE(LinkError().Is(kNoBufferCarveout));
}

TEST_F(LoadedTableTest, TableLargerThanTheCopyIsRefused) {
  LoadedTableConfig config = host_.table_config();
  std::vector<std::byte> big(LoadedTable::kMaxTableSize + 4);
  std::memcpy(big.data(), &host_.table(), sizeof(RpmsgResourceTable));
  config.table = ByteSpan(big.data(), big.size());
  const Status opened = LoadedTable::Open(config).status();
  EXPECT_EQ(opened.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(opened.Is(kTableTooLarge));
}

// --- Buffer size (docs/buffers.md) -------------------------------------------

// The default table is byte for byte what it was before buffer sizes were
// configurable: no config space, no VIRTIO_RPMSG_F_BUFSZ (Linux interop).
// It offers flow control (bit 16), which a Linux host never accepts.
TEST(LoadedTableBufferSize, TheDefaultTableIsTheLinuxTableByteForByte) {
  struct Before {
    rsc::TableHeader<4> header;
    rsc::CarveoutEntry image;
    rsc::TraceEntry trace;
    rsc::CarveoutEntry buffers;
    rsc::RpmsgVdevEntry<2> vdev;
  };
  constexpr Before before{
      .header = rsc::MakeHeader<4>({offsetof(Before, image), offsetof(Before, trace),
                                    offsetof(Before, buffers), offsetof(Before, vdev)}),
      .image = rsc::MakeCarveout(kImageBase, kImageSize, "image"),
      .trace = rsc::MakeTrace(kTraceBase, kTraceSize, "trace0"),
      .buffers = rsc::MakeCarveout(rsc::kAddrAny, 2 * 256 * 512, "vdev0buffer"),
      .vdev = rsc::MakeRpmsgVdev(
          rsc::kAddrAny, (1u << 0) | (1u << 16) | (1u << 29),
          {{rsc::kAddrAny, 4096, 256, rsc::kAddrAny}, {rsc::kAddrAny, 4096, 256, rsc::kAddrAny}}),
  };
  constexpr RpmsgResourceTable now = MakeRpmsgResourceTable();
  static_assert(sizeof(now) == sizeof(before));
  EXPECT_EQ(std::memcmp(&now, &before, sizeof(now)), 0);
  static_assert(std::is_same_v<RpmsgResourceTable, BasicRpmsgResourceTable<512>>);
}

// An image built for 64-byte buffers (small, so that 2 * 256 of them fit the
// fake window), placed by a host as remoteproc does.
class SizedLoadedTableTest : public ::testing::Test {
 protected:
  static constexpr std::uint32_t kSize = 64;
  static constexpr std::uint32_t kBufSz = 1u << 2;

  SizedLoadedTableTest() {
    table_.vdev.vring[0].da = Le32(remote::testing::kVring0Da);
    table_.vdev.vring[1].da = Le32(remote::testing::kVring1Da);
    table_.vdev.vring[0].notifyid = Le32(0);
    table_.vdev.vring[1].notifyid = Le32(1);
    table_.buffers.body.da = Le32(remote::testing::kBuffersDa);
    // What a Tandem host accepts: everything offered, VIRTIO_RPMSG_F_BUFSZ too.
    table_.vdev.body.gfeatures = table_.vdev.body.dfeatures;
  }
  Status LinkError() { return ReadLink().status(); }
  Result<VdevLink> ReadLink() {
    LoadedTableConfig c;
    c.table = ByteSpan(reinterpret_cast<std::byte*>(&table_), sizeof(table_));
    c.device_memory = window_.region();
    c.image = DeviceRange{kImageBase, kImageSize};
    c.buffer_size = kSize;
    TANDEM_TRY_ASSIGN(const LoadedTable t, LoadedTable::Open(c));
    return t.ReadLink();
  }
  void SetConfig(std::uint32_t h2r, std::uint32_t r2h) {
    const Le32 a(h2r), b(r2h);
    std::memcpy(table_.vdev.config, &a, 4);
    std::memcpy(table_.vdev.config + 4, &b, 4);
  }

  tandem::testing::FakeShm window_{remote::testing::kWindowSize, remote::testing::kWindowDa};
  BasicRpmsgResourceTable<kSize> table_ = MakeRpmsgResourceTable<kSize>();
};

TEST_F(SizedLoadedTableTest, TheImageTableOffersBit2WithItsSize) {
  EXPECT_EQ(table_.vdev.body.dfeatures.get(), kRpmsgFeatures | kBufSz);
  EXPECT_EQ(table_.vdev.body.config_len.get(), 8u);
  EXPECT_EQ(table_.buffers.body.len.get(), 2u * 256 * kSize);
}

TEST_F(SizedLoadedTableTest, AHostThatAcceptedBit2GivesTheFirmwaresSize) {
  auto link = ReadLink();
  ASSERT_TRUE(link.ok()) << link.status().message();
  EXPECT_EQ(link->bus.buffer_size, kSize);
  EXPECT_TRUE(link->buffer_size_negotiated);
}

TEST_F(SizedLoadedTableTest, AHostThatIgnoredBit2IsRefusedClearly) {
  // Linux: gfeatures keeps only VIRTIO_RPMSG_F_NS (and EVENT_IDX).
  table_.vdev.body.gfeatures = Le32(kRpmsgFeatures);
  const Status s = LinkError();
  EXPECT_TRUE(s.Is(kHostIgnoredBufferSize)) << s.message();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
}

TEST_F(SizedLoadedTableTest, HostileConfigSpacesAreRefused) {
  SetConfig(128, 128);  // another valid size than the firmware's
  EXPECT_TRUE(LinkError().Is(kBufferConfigChanged));
  SetConfig(0, 0);
  EXPECT_TRUE(LinkError().Is(rsc::error::kBadRpmsgBufferSize));
  SetConfig(kSize, 512);
  EXPECT_TRUE(LinkError().Is(rsc::error::kRpmsgBufferSizesDiffer));
  SetConfig(kSize, kSize);
  table_.vdev.body.config_len = Le32(4);
  EXPECT_TRUE(LinkError().Is(rsc::error::kRpmsgConfigTooShort));
  table_.vdev.body.config_len = Le32(0xFFFFFFF0);  // past the table
  EXPECT_TRUE(LinkError().Is(rsc::error::kConfigPastEntry));
  table_.vdev.body.config_len = Le32(8);
  EXPECT_TRUE(LinkError().ok());
}

TEST_F(SizedLoadedTableTest, ABufferAreaTooSmallForTheSizeIsRefused) {
  table_.buffers.body.len = Le32(2 * 256 * kSize - 8);
  EXPECT_TRUE(LinkError().Is(kBuffersTooSmall));
}

TEST_F(LoadedTableTest, ALinuxTableWithBit2AckedByTheHostIsRefused) {
  // The firmware did not offer it: gfeatures must be a subset of dfeatures.
  host_.table().vdev.body.gfeatures = Le32(kRpmsgFeatures | (1u << 2));
  EXPECT_TRUE(LinkError().Is(kFeaturesNotOffered));
}

TEST_F(LoadedTableTest, ADefaultFirmwareUses512WithoutNegotiation) {
  auto link = ReadLink();
  ASSERT_TRUE(link.ok());
  EXPECT_EQ(link->bus.buffer_size, 512u);
  EXPECT_FALSE(link->buffer_size_negotiated);
}

}  // namespace
}  // namespace tandem::vdev
