// The inspection reports' builders and text (inspect.h), without a session:
// rings that cannot be read and tables with every kind of entry. The
// Session-level tests are in session_test.cc (SessionInspect.*).
#include "tandem/host/inspect.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "tandem/rsc/builder.h"
#include "tandem/testing/fake_shm.h"
#include "tandem/testing/test_firmware.h"
#include "tandem/virtio/ring_layout.h"

namespace tandem::host {
namespace {

namespace fw = remoteproc::testing;

TEST(DescribeVring, IndicesAreReadAsFoundAndPendingIsCountedModulo2To16) {
  const std::size_t size = virtio::VringSize(8, 4096);
  tandem::testing::FakeShm shm(size, 0x30000000);
  auto layout = virtio::RingLayout::Compute(8, 4096);
  ASSERT_TRUE(layout.ok());
  ASSERT_TRUE(shm.region().StoreLe16(layout->avail_idx(), 0xfffe).ok());
  ASSERT_TRUE(shm.region().StoreLe16(layout->used_idx(), 0x0001).ok());
  remoteproc::VringResources vring{shm.region(), 0x30000000, 8, 4096, 3};
  rpmsg::DriverQueueState driver{true, 8, 5, 0xfffe, 0xfffd, {}};
  const VringReport r = DescribeVring(1, vring, driver);
  EXPECT_TRUE(r.read_error.empty()) << r.read_error;
  EXPECT_EQ(r.direction, "host->remote");
  EXPECT_EQ(r.avail_idx, 0xfffe);
  EXPECT_EQ(r.used_idx, 1u);
  EXPECT_EQ(r.pending_used, 4u);  // 0xfffd, 0xfffe, 0xffff, 0x0000
  EXPECT_EQ(r.free, 5u);
  EXPECT_EQ(r.in_flight, 3u);
  EXPECT_EQ(r.notifyid, 3u);
}

TEST(DescribeVring, ARingThatDoesNotFitItsRegionIsReportedNotRead) {
  tandem::testing::FakeShm shm(64, 0x30000000);  // far smaller than the ring
  remoteproc::VringResources vring{shm.region(), 0x30000000, 8, 4096, 0};
  const VringReport r = DescribeVring(0, vring, {});
  EXPECT_FALSE(r.read_error.empty());
  EXPECT_EQ(r.used_idx, 0u);
  EXPECT_FALSE(r.driver_started);
  EXPECT_NE(FormatRings({"r", "running", false, "down", 0, 0, 0, 0, {r}, {}}).find("unreadable"),
            std::string::npos);

  remoteproc::VringResources bad{shm.region(), 0x30000000, 3, 4096, 0};  // not a power of two
  EXPECT_FALSE(DescribeVring(0, bad, {}).read_error.empty());
}

TEST(DescribeResourceTable, EveryEntryKindWithItsFields) {
  const fw::Bytes bytes = fw::AssembleTable(
      rsc::MakeCarveout(0x20000000, 0x1000, "code"),
      rsc::MakeDevmem(0x40000000, 0x40000000, 0x100, "regs"),
      rsc::MakeTrace(0x20000800, 0x100, "trace"),
      rsc::MakeRpmsgVdev(0, 1, {{0x20010000, 4096, 8, 1}, {0x20012000, 4096, 8, 2}}));
  auto table = rsc::ResourceTable::Parse(fw::Span(bytes));
  ASSERT_TRUE(table.ok()) << table.status().message();
  const ResourceTableReport r = DescribeResourceTable(*table, 0x20000400);
  EXPECT_EQ(r.da, 0x20000400u);
  EXPECT_EQ(r.size, bytes.size());
  ASSERT_EQ(r.entries.size(), 4u);
  EXPECT_EQ(r.entries[0].kind, "carveout");
  EXPECT_EQ(r.entries[0].carveout->len, 0x1000u);
  EXPECT_EQ(r.entries[1].kind, "devmem");
  ASSERT_TRUE(r.entries[1].devmem.has_value());
  EXPECT_EQ(r.entries[1].devmem->name, "regs");
  EXPECT_EQ(r.entries[1].devmem->pa, 0x40000000u);
  EXPECT_FALSE(r.entries[1].carveout.has_value());
  EXPECT_EQ(r.entries[2].trace->name, "trace");
  ASSERT_TRUE(r.entries[3].vdev.has_value());
  EXPECT_EQ(r.entries[3].vdev->vrings[1].da, 0x20012000u);
  EXPECT_EQ(r.entries[3].vdev->vrings[1].notifyid, 2u);
  EXPECT_FALSE(r.entries[3].vdev->remote_status.has_value());
  for (std::size_t i = 1; i < r.entries.size(); ++i) {
    EXPECT_GT(r.entries[i].offset, r.entries[i - 1].offset);
  }
  const std::string text = FormatResourceTable(r);
  EXPECT_NE(text.find("[1] devmem (type 1"), std::string::npos) << text;
  EXPECT_NE(text.find("\"regs\" da 0x40000000"), std::string::npos) << text;
  EXPECT_NE(text.find("vring0: da 0x20010000 align 4096 num 8 notifyid 1"), std::string::npos)
      << text;
}

TEST(FormatResourceTable, NamesFromTheFirmwareArePrintedAsPrintableText) {
  ResourceTableReport r;
  ResourceEntryReport e;
  e.kind = "carveout";
  e.carveout = CarveoutReport{1, 2, 3, 0, std::string("ev\x1b[2Jil\n", 9)};
  r.entries.push_back(e);
  const std::string text = FormatResourceTable(r);
  EXPECT_NE(text.find("\"ev?[2Jil?\""), std::string::npos) << text;
}

}  // namespace
}  // namespace tandem::host
