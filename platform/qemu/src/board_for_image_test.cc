// Which MPS2 board an ARM firmware ELF goes to: from its load address and
// its build attributes, with malformed attribute sections refused cleanly.

#include "tandem/qemu/board_for_image.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "tandem/testing/elf_builder.h"

namespace tandem::qemu {
namespace {

using elf::testing::ElfBuilder;

constexpr std::uint32_t kShtArmAttributes = 0x70000003u;
constexpr std::uint32_t kTagCpuArch = 6;
constexpr std::uint32_t kTagCpuName = 5;
constexpr std::uint32_t kTagCpuArchProfile = 7;

void PutU32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// 'A' | len "aeabi\0" | Tag_File len | CPU_name "7E-M" | CPU_arch | profile 'M'
std::vector<std::uint8_t> Attributes(std::uint32_t arch) {
  std::vector<std::uint8_t> file_attrs = {kTagCpuName, '7', 'E', '-', 'M', 0};
  file_attrs.push_back(kTagCpuArch);
  file_attrs.push_back(static_cast<std::uint8_t>(arch));
  file_attrs.push_back(kTagCpuArchProfile);
  file_attrs.push_back('M');
  std::vector<std::uint8_t> block = {1};
  PutU32(block, static_cast<std::uint32_t>(5 + file_attrs.size()));
  block.insert(block.end(), file_attrs.begin(), file_attrs.end());
  std::vector<std::uint8_t> sub;
  PutU32(sub, static_cast<std::uint32_t>(4 + 6 + block.size()));
  for (char c : std::string("aeabi")) sub.push_back(static_cast<std::uint8_t>(c));
  sub.push_back(0);
  sub.insert(sub.end(), block.begin(), block.end());
  std::vector<std::uint8_t> out = {'A'};
  out.insert(out.end(), sub.begin(), sub.end());
  return out;
}

std::vector<std::uint8_t> Image(std::uint64_t entry, std::vector<std::uint8_t> attributes,
                                std::uint16_t machine = 40, bool is_64bit = false) {
  ElfBuilder b(is_64bit, machine);
  b.Entry(entry);
  b.AddSegment(1, kAn385RamBase, std::vector<std::uint8_t>(64, 0), 64);
  if (!attributes.empty()) b.AddSection(".ARM.attributes", kShtArmAttributes, attributes);
  return b.Build();
}

Result<Mps2Board> Pick(const std::vector<std::uint8_t>& image) {
  return BoardForImage(
      ConstByteSpan(reinterpret_cast<const std::byte*>(image.data()), image.size()));
}

TEST(BoardForImage, ArmV7MIsTheCortexM3Board) {
  auto board = Pick(Image(kAn385RamBase + 0x101, Attributes(10)));
  ASSERT_TRUE(board.ok()) << board.status().message();
  EXPECT_STREQ(board->machine, "mps2-an385");
  EXPECT_STREQ(BoardCpuName(*board), "Cortex-M3");
}

TEST(BoardForImage, ArmV7EMIsTheCortexM4Board) {
  auto board = Pick(Image(kAn385RamBase + 0x101, Attributes(13)));
  ASSERT_TRUE(board.ok()) << board.status().message();
  EXPECT_STREQ(board->machine, "mps2-an386");
  EXPECT_STREQ(BoardCpuName(*board), "Cortex-M4");
}

TEST(BoardForImage, AnImageLinkedForTheAn500RamIsTheCortexM7Board) {
  auto board = Pick(Image(kAn500RamBase + 0x101, Attributes(13)));
  ASSERT_TRUE(board.ok()) << board.status().message();
  EXPECT_STREQ(board->machine, "mps2-an500");
  EXPECT_STREQ(BoardCpuName(*board), "Cortex-M7");
}

TEST(BoardForImage, CortexM0PlusHasNoBoardAndSaysSo) {
  auto board = Pick(Image(kAn385RamBase + 0x101, Attributes(11)));
  ASSERT_FALSE(board.ok());
  EXPECT_EQ(board.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(std::strstr(board.status().message(), "M0"), nullptr) << board.status().message();
}

TEST(BoardForImage, NonArmAndArm64ImagesAreRefused) {
  EXPECT_EQ(Pick(Image(0x1000, Attributes(10), 62, true)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Pick(Image(0x1000, {}, 183, true)).status().code(), StatusCode::kInvalidArgument);
}

TEST(BoardForImage, AnImageWithoutAttributesIsRefused) {
  auto board = Pick(Image(kAn385RamBase + 0x101, {}));
  ASSERT_FALSE(board.ok());
  EXPECT_EQ(board.status().code(), StatusCode::kInvalidArgument);
}

TEST(ArmCpuArch, EveryTruncationOfAValidSectionIsRefusedWithoutOverrun) {
  const std::vector<std::uint8_t> good = Attributes(13);
  ASSERT_TRUE(
      ArmCpuArch(ConstByteSpan(reinterpret_cast<const std::byte*>(good.data()), good.size())).ok());
  for (std::size_t n = 0; n < good.size(); ++n) {
    // A copy of exactly n bytes on the heap, so ASan sees any overrun.
    std::vector<std::uint8_t> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    auto arch = ArmCpuArch(ConstByteSpan(reinterpret_cast<const std::byte*>(cut.data()), n));
    EXPECT_FALSE(arch.ok()) << "length " << n;
  }
}

TEST(ArmCpuArch, LengthsThatPointPastTheSectionAndEndlessUlebsAreRefused) {
  std::vector<std::uint8_t> bad = Attributes(13);
  bad[1] = 0xff;  // subsection length past the end
  EXPECT_EQ(ArmCpuArch(ConstByteSpan(reinterpret_cast<const std::byte*>(bad.data()), bad.size()))
                .status()
                .code(),
            StatusCode::kDataLoss);
  std::vector<std::uint8_t> uleb = {'A'};
  std::vector<std::uint8_t> block = {1};
  PutU32(block, 5 + 8);
  for (int i = 0; i < 8; ++i) block.push_back(0x80);  // a ULEB that never ends
  PutU32(uleb, static_cast<std::uint32_t>(4 + 6 + block.size()));
  for (char c : std::string("aeabi")) uleb.push_back(static_cast<std::uint8_t>(c));
  uleb.push_back(0);
  uleb.insert(uleb.end(), block.begin(), block.end());
  EXPECT_EQ(ArmCpuArch(ConstByteSpan(reinterpret_cast<const std::byte*>(uleb.data()), uleb.size()))
                .status()
                .code(),
            StatusCode::kDataLoss);
}

}  // namespace
}  // namespace tandem::qemu
