// Image loading alone: the cached table copy, segments into carveouts, the
// span mapping of a table-less image, and the loaded table's checks.

#include "image_loader.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <optional>
#include <string>

#include "tandem/remoteproc/errors.h"
#include "tandem/testing/fake_rproc_platform.h"
#include "tandem/testing/test_firmware.h"

namespace tandem::remoteproc {
namespace {

using testing::Bytes;
using testing::FakePlatform;
using testing::FirmwareSpec;
using testing::Pattern;
using testing::Span;
namespace fw = testing;

constexpr std::uint64_t kSram = FakePlatform::kSramBase;

class ImageLoader : public ::testing::Test {
 protected:
  elf::ElfFile Parse(const Bytes& image) { return elf::ElfFile::Parse(Span(image)).value(); }
  shm::Region MapCarveout(std::uint64_t da, std::uint64_t size, const char* name) {
    return memory_.Map(da, size, kPageSize, MemoryKind::kCarveout, name).value();
  }

  FakePlatform platform_;
  MemoryMap map_;
  ErrorDetail detail_;
  RemoteMemory memory_{platform_, map_, detail_};
};

TEST_F(ImageLoader, CacheTableCopiesTheSectionOrRefusesOneTooLarge) {
  const Bytes section = Pattern(64, 3);
  std::array<std::byte, 64> cache{};
  ASSERT_EQ(CacheTable(Span(section), cache).value(), 64u);
  EXPECT_EQ(std::memcmp(cache.data(), section.data(), 64), 0);
  const Bytes large = Pattern(65, 3);
  EXPECT_TRUE(CacheTable(Span(large), cache).status().Is(error::kTableTooLarge));
}

TEST_F(ImageLoader, SegmentsAreWrittenWithTheirZeroFill) {
  FirmwareSpec spec;
  spec.segments.push_back({kSram + 0x100, Pattern(16, 5), 32});
  const Bytes image = BuildFirmware(spec);
  MapCarveout(kSram, 0x1000, "code");
  ASSERT_TRUE(LoadSegments(Parse(image), memory_).ok());
  EXPECT_EQ(platform_.Read(kSram + 0x100, 16), Pattern(16, 5));
  EXPECT_EQ(platform_.Read(kSram + 0x110, 16), Bytes(16, 0));
}

TEST_F(ImageLoader, ASegmentOutsideTheCarveoutsIsRejectedWithItsRange) {
  FirmwareSpec spec;
  spec.segments.push_back({kSram + 0xFF8, Pattern(16, 5), 16});  // straddles the end
  const Bytes image = BuildFirmware(spec);
  MapCarveout(kSram, 0x1000, "code");
  EXPECT_TRUE(LoadSegments(Parse(image), memory_).Is(error::kSegmentOutsideCarveout));
  EXPECT_EQ(std::string(detail_.c_str()), "segment 0x20000ff8 size 0x10 not inside any carveout");
  EXPECT_EQ(platform_.Read(kSram + 0xFF8, 1), Bytes(1, FakePlatform::kFreshByte));
}

TEST_F(ImageLoader, ATablelessImageGetsItsSegmentSpanPageAligned) {
  FirmwareSpec spec;
  spec.segments.push_back({kSram + 0x100, Pattern(16, 5), 16});
  spec.segments.push_back({kSram + 0x1F00, Pattern(16, 6), 0x200});
  const Bytes image = BuildFirmware(spec);
  ASSERT_TRUE(MapImageSpan(Parse(image), memory_).ok());
  ASSERT_EQ(map_.regions().size(), 1u);
  EXPECT_EQ(map_.regions()[0].region.device_address(), kSram);
  EXPECT_EQ(map_.regions()[0].region.size(), 0x3000u);
  EXPECT_EQ(std::string(map_.regions()[0].name.c_str()), "firmware");
}

TEST_F(ImageLoader, AnImageWithNothingToLoadMapsNothing) {
  const Bytes image = BuildFirmware(FirmwareSpec{});
  ASSERT_TRUE(MapImageSpan(Parse(image), memory_).ok());
  EXPECT_TRUE(platform_.requests.empty());
}

TEST_F(ImageLoader, TheLoadedTableIsCopiedToItsAddress) {
  MapCarveout(kSram, 0x1000, "code");
  const Bytes table = Pattern(32, 9);
  const auto loaded = WriteLoadedTable(kSram + 0x800, Span(table), {}, memory_);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->device_address(), kSram + 0x800);
  EXPECT_EQ(platform_.Read(kSram + 0x800, 32), table);
}

TEST_F(ImageLoader, TheLoadedTableMustBeInACarveoutAndAligned) {
  MapCarveout(kSram, 0x1000, "code");
  const Bytes table = Pattern(32, 9);
  EXPECT_TRUE(WriteLoadedTable(kSram + 0xFF0, Span(table), {}, memory_)
                  .status()
                  .Is(error::kLoadedTableOutsideCarveout));
  EXPECT_EQ(std::string(detail_.c_str()), ".resource_table at 0x20000ff0 size 0x20");
  EXPECT_TRUE(WriteLoadedTable(kSram + 0x802, Span(table), {}, memory_)
                  .status()
                  .Is(error::kLoadedTableMisaligned));
}

TEST_F(ImageLoader, TheLoadedTableMustNotShareMemoryWithRingsOrBuffers) {
  const shm::Region code = MapCarveout(kSram, 0x4000, "code");
  // The second vdev's rings and buffers are checked as well as the first's.
  PlacedVdev placed[2];
  VdevResources& vdev = placed[1].resources;
  vdev.vring[0] = {code.Sub(0x1000, 0x100).value(), kSram + 0x1000, 8, 16, 2};
  vdev.vring[1] = {code.Sub(0x1100, 0x100).value(), kSram + 0x1100, 8, 16, 3};
  vdev.buffers = code.Sub(0x2000, 0x1000).value();
  vdev.buffers_da = kSram + 0x2000;
  const Bytes table = Pattern(32, 9);
  EXPECT_TRUE(WriteLoadedTable(kSram + 0x1100, Span(table), placed, memory_)
                  .status()
                  .Is(error::kLoadedTableOverlapsVring));
  EXPECT_TRUE(WriteLoadedTable(kSram + 0x2FF0, Span(table), placed, memory_)
                  .status()
                  .Is(error::kLoadedTableOverlapsBuffers));
  EXPECT_TRUE(WriteLoadedTable(kSram + 0x3000, Span(table), placed, memory_).ok());
}

}  // namespace
}  // namespace tandem::remoteproc
