// VIRTIO_RPMSG_F_BUFSZ: the builder's entries and RpmsgBufferSizeOf() over
// well-formed and hostile vdev entries (docs/buffers.md).

#include "tandem/rsc/rpmsg_config.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "tandem/rsc/builder.h"
#include "tandem/rsc/errors.h"
#include "tandem/rsc/resource_table.h"

namespace tandem::rsc {
namespace {

constexpr VringSpec kRings[2] = {{kAddrAny, 16, 256, 0}, {kAddrAny, 16, 256, 1}};

// 512: the plain Linux entry, byte for byte.
static_assert(std::is_same_v<SizedRpmsgVdevEntry<512>, RpmsgVdevEntry<2>>);
static_assert(sizeof(SizedRpmsgVdevEntry<2048>) == sizeof(RpmsgVdevEntry<2>) + 8);

template <typename T>
std::vector<std::byte> BytesOf(const T& value) {
  std::vector<std::byte> out(sizeof(T));
  std::memcpy(out.data(), &value, sizeof(T));
  return out;
}

TEST(RpmsgBufferSize, DefaultSizeBuildsTheSameBytesAsThePlainRpmsgVdev) {
  constexpr auto plain = MakeRpmsgVdev(0, 1, kRings);
  constexpr auto sized = MakeSizedRpmsgVdev<512>(0, 1, kRings);
  EXPECT_EQ(BytesOf(plain), BytesOf(sized));
  EXPECT_EQ(sized.body.config_len.get(), 0u);
  EXPECT_FALSE(OffersRpmsgBufferSize(sized.body.dfeatures.get()));
}

TEST(RpmsgBufferSize, OtherSizeOffersBit2AndWritesBothSizes) {
  constexpr auto e = MakeSizedRpmsgVdev<2048>(0, 1, kRings);
  EXPECT_EQ(e.body.dfeatures.get(), 1u | (1u << 2));
  EXPECT_EQ(e.body.config_len.get(), 8u);
  const std::uint8_t want[8] = {0x00, 0x08, 0, 0, 0x00, 0x08, 0, 0};
  EXPECT_EQ(std::memcmp(e.config, want, 8), 0);
}

// A one-entry table holding `vdev` with its config space (and extra bytes).
std::vector<std::byte> TableWith(std::uint32_t dfeatures, std::uint32_t config_len,
                                 std::vector<std::uint8_t> config) {
  std::vector<std::byte> t(20 + 4 + 24 + 2 * 20 + config.size());
  auto put32 = [&](std::size_t at, std::uint32_t v) {
    const Le32 w(v);
    std::memcpy(t.data() + at, &w, 4);
  };
  put32(0, 1);    // ver
  put32(4, 1);    // num
  put32(16, 20);  // offset[0]
  put32(20, kRscVdev);
  put32(24, kVirtioIdRpmsg);
  put32(32, dfeatures);
  put32(40, config_len);
  t[24 + 21] = std::byte{2};  // num_of_vrings
  for (std::size_t i = 0; i < 2; ++i) {
    const std::size_t at = 48 + i * 20;
    put32(at, kAddrAny);
    put32(at + 4, 16);
    put32(at + 8, 256);
    put32(at + 12, static_cast<std::uint32_t>(i));
  }
  if (!config.empty()) std::memcpy(t.data() + 88, config.data(), config.size());
  return t;
}

Result<std::uint32_t> SizeOf(const std::vector<std::byte>& table) {
  TANDEM_TRY_ASSIGN(const ResourceTable parsed, ResourceTable::Parse(table));
  TANDEM_TRY_ASSIGN(const Entry e, parsed.entry(0));
  return RpmsgBufferSizeOf(e.vdev());
}

std::vector<std::uint8_t> Sizes(std::uint32_t h2r, std::uint32_t r2h) {
  std::vector<std::uint8_t> c(8);
  const Le32 a(h2r), b(r2h);
  std::memcpy(c.data(), &a, 4);
  std::memcpy(c.data() + 4, &b, 4);
  return c;
}

TEST(RpmsgBufferSize, WithoutBit2TheSizeIs512AndTheConfigIsNotRead) {
  auto size = SizeOf(TableWith(1, 8, Sizes(4096, 4096)));
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 512u);
  size = SizeOf(TableWith(1, 0, {}));
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 512u);
}

TEST(RpmsgBufferSize, Bit2ReadsTheConfigSpace) {
  auto size = SizeOf(TableWith(5, 8, Sizes(1024, 1024)));
  ASSERT_TRUE(size.ok()) << size.status().message();
  EXPECT_EQ(*size, 1024u);
  // A longer config space (NuttX appends CPU names) is fine.
  auto longer = Sizes(65536, 65536);
  longer.resize(40, 0x41);
  size = SizeOf(TableWith(5, 40, longer));
  ASSERT_TRUE(size.ok()) << size.status().message();
  EXPECT_EQ(*size, 65536u);
}

TEST(RpmsgBufferSizeHostile, Bit2WithAShortConfigSpaceIsRefused) {
  for (std::uint32_t len : {0u, 1u, 4u, 7u}) {
    auto bytes = Sizes(1024, 1024);
    const auto size = SizeOf(TableWith(5, len, bytes));
    EXPECT_TRUE(size.status().Is(error::kRpmsgConfigTooShort)) << len;
    EXPECT_EQ(size.status().code(), StatusCode::kDataLoss);
  }
}

TEST(RpmsgBufferSizeHostile, ConfigLenPastTheTableFailsToParse) {
  for (std::uint32_t len : {9u, 1000u, 0xFFFFFFFFu}) {
    const auto size = SizeOf(TableWith(5, len, Sizes(1024, 1024)));
    EXPECT_TRUE(size.status().Is(error::kConfigPastEntry)) << len;
  }
}

TEST(RpmsgBufferSizeHostile, BogusSizesAreRefused) {
  for (std::uint32_t bad : {0u, 8u, 24u, 30u, 513u, 1020u, 65544u, 0x80000000u, 0xFFFFFFF8u}) {
    EXPECT_TRUE(SizeOf(TableWith(5, 8, Sizes(bad, bad))).status().Is(error::kBadRpmsgBufferSize))
        << bad;
    EXPECT_TRUE(SizeOf(TableWith(5, 8, Sizes(512, bad))).status().Is(error::kBadRpmsgBufferSize))
        << bad;
  }
  for (std::uint32_t good : {32u, 40u, 512u, 4096u, 65536u}) {
    EXPECT_TRUE(SizeOf(TableWith(5, 8, Sizes(good, good))).ok()) << good;
  }
}

TEST(RpmsgBufferSizeHostile, DifferentSizesPerDirectionAreNotSupported) {
  const auto size = SizeOf(TableWith(5, 8, Sizes(4096, 512)));
  EXPECT_TRUE(size.status().Is(error::kRpmsgBufferSizesDiffer));
  EXPECT_EQ(size.status().code(), StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace tandem::rsc
