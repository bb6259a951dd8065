#include "tandem/linux/core_memory.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <vector>

namespace tandem::linux_platform {
namespace {

TEST(CoreMemory, AddChecksAlignmentWindowAndOverlap) {
  CoreMemory memory;
  auto image = memory.Add("c", 0x10000000, 0x1800, "image");
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->size(), 0x1800u);
  EXPECT_EQ(memory.Add("c", 0x10003000 + 8, 0x1000, "odd").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(memory.Add("c", 0x40000000, 0x1000, "high").status().code(), StatusCode::kOutOfRange);
  // The first region covers whole pages: 0x10001000 is taken too.
  EXPECT_TRUE(memory.Add("c", 0x10001000, 0x1000, "over").status().Is(kRegionOverlaps));
  EXPECT_TRUE(memory.Add("c", 0x10002000, 0x1000, "next").ok());
  EXPECT_EQ(memory.views().size(), 2u);
  EXPECT_TRUE(memory.Holds(0x10000000));
  EXPECT_TRUE(memory.Holds(0x100017ff));
  EXPECT_FALSE(memory.Holds(0x10001800));  // past the requested size
}

TEST(CoreMemory, ViewOfFindsTheRegionHoldingTheRange) {
  CoreMemory memory;
  ASSERT_TRUE(memory.Add("c", 0x20000000, 0x2000, "data").ok());
  auto view = memory.ViewOf(0x20001000, 0x100, 0);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->device_address(), 0x20001000u);
  EXPECT_EQ(view->size(), 0x100u);
  EXPECT_TRUE(memory.ViewOf(0x20001f00, 0x200, 0).status().Is(kNoRegionThere));
  EXPECT_TRUE(memory.ViewOf(0x30000000, 0x10, 0).status().Is(kNoRegionThere));
}

// This process stands in for the core: its own fds are reachable through
// /proc/<own pid>/fd/<n> just as a core's are.
TEST(CoreMemory, DroppedViewsAreReopenedFromTheCore) {
  CoreMemory memory;
  auto first = memory.Add("c", 0x20000000, 0x1000, "data");
  ASSERT_TRUE(first.ok());
  const std::vector<int> core_fds = {memory.views()[0].memory.fd()};
  memory.SetInCore(core_fds);
  ASSERT_EQ(memory.in_core().size(), 1u);
  EXPECT_EQ(memory.in_core()[0].core_fd, core_fds[0]);
  EXPECT_EQ(memory.in_core()[0].name, "data");

  // Keep the memfd alive the way a core would, then drop the host view.
  auto held =
      SharedMemory::OpenPath(("/proc/self/fd/" + std::to_string(core_fds[0])).c_str(), 0x1000);
  ASSERT_TRUE(held.ok());
  held->data()[5] = std::byte{0x42};
  const std::vector<CoreStateRegion> in_core = {{held->fd(), 0x20000000, 0x1000, "data"}};
  memory.Clear();
  EXPECT_TRUE(memory.views().empty());
  EXPECT_TRUE(memory.in_core().empty());

  auto reopened = CoreMemory::Reopen(getpid(), in_core);
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  ASSERT_EQ(reopened->views().size(), 1u);
  EXPECT_EQ(reopened->views()[0].memory.data()[5], std::byte{0x42});

  reopened->DropViews();
  EXPECT_TRUE(reopened->ViewOf(0x20000000, 0x10, 0).status().Is(kNoRegionThere));
  auto again = reopened->ViewOf(0x20000004, 0x10, getpid());
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(reopened->views().size(), 1u);  // kept as a view
}

TEST(CoreMemory, ReopenRefusesRegionsOutsideTheWindow) {
  const std::vector<CoreStateRegion> bad = {{3, 0x40000000, 0x1000, "high"}};
  auto reopened = CoreMemory::Reopen(getpid(), bad);
  EXPECT_EQ(reopened.status().code(), StatusCode::kDataLoss);
  EXPECT_TRUE(reopened.status().Is(kStateRegionOutsideWindow));
}

}  // namespace
}  // namespace tandem::linux_platform
