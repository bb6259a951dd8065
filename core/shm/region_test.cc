#include "tandem/shm/region.h"

#include <gtest/gtest.h>

#include "tandem/testing/fake_shm.h"

namespace tandem::shm {
namespace {

using tandem::testing::FakeShm;
using tandem::testing::RecordingCache;

TEST(Region, TranslatesDeviceAddressesBothWays) {
  FakeShm mem(4096, 0x20000000);
  Region& r = mem.region();
  EXPECT_EQ(r.Translate(0x20000010, 16).value(), 0x10u);
  EXPECT_EQ(r.DeviceAddressOf(0x10, 16).value(), 0x20000010u);
  EXPECT_EQ(r.Translate(0x1fffffff, 1).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(r.Translate(0x20000ff0, 17).status().code(), StatusCode::kOutOfRange);
  EXPECT_TRUE(r.Translate(0x20000ff0, 16).ok());
  // Length that would wrap the 64-bit address space.
  EXPECT_FALSE(r.Translate(0x20000010, ~0ull).ok());
  EXPECT_FALSE(r.DeviceAddressOf(4097).ok());
}

TEST(Region, RejectsBadConstruction) {
  alignas(8) static std::byte buf[64];
  EXPECT_FALSE(Region::Create(nullptr, 64, 0).ok());
  EXPECT_FALSE(Region::Create(buf, 0, 0).ok());
  EXPECT_FALSE(Region::Create(buf + 1, 32, 0).ok());
  EXPECT_FALSE(Region::Create(buf, 64, ~0ull - 10).ok());
}

TEST(Region, CheckedReadsAndWritesStayInBounds) {
  FakeShm mem(64);
  Region& r = mem.region();
  EXPECT_TRUE(r.Write(60, Le32(0xdeadbeef)).ok());
  EXPECT_EQ(r.Read<Le32>(60).value().get(), 0xdeadbeefu);
  EXPECT_EQ(r.Write(61, Le32(1)).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(r.Read<Le64>(57).status().code(), StatusCode::kOutOfRange);
  EXPECT_FALSE(r.Read<Le16>(~std::size_t{0}).ok());
  std::byte buf[8]{};
  EXPECT_FALSE(r.ReadBytes(60, buf).ok());
  EXPECT_TRUE(r.ReadBytes(56, buf).ok());
  EXPECT_FALSE(r.Bytes(1, 64).ok());
  EXPECT_FALSE(r.Fill(0, 65, std::byte{0}).ok());
}

TEST(Region, IndexAccessorsRejectMisalignment) {
  FakeShm mem(64);
  Region& r = mem.region();
  EXPECT_TRUE(r.PublishLe16(2, 7).ok());
  EXPECT_EQ(r.ConsumeLe16(2).value(), 7);
  EXPECT_FALSE(r.PublishLe16(3, 7).ok());
  EXPECT_FALSE(r.ConsumeLe32(2).ok());
  EXPECT_FALSE(r.LoadLe16(64).ok());
}

TEST(Region, SubRegionKeepsDeviceAddresses) {
  FakeShm mem(4096, 0x1000);
  Region sub = mem.region().Sub(0x100, 0x200).value();
  EXPECT_EQ(sub.device_address(), 0x1100u);
  EXPECT_EQ(sub.Translate(0x1100, 0x200).value(), 0u);
  EXPECT_FALSE(sub.Translate(0x1300, 1).ok());
  EXPECT_FALSE(mem.region().Sub(0xf00, 0x200).ok());
}

// cache.h: every write is followed by a clean of the bytes written, every
// read of peer bytes preceded by an invalidate.
TEST(Region, CallsCacheHooksAroundEveryAccess) {
  RecordingCache cache;
  FakeShm mem(256, 0, &cache);
  Region& r = mem.region();
  ASSERT_TRUE(r.Write(16, Le32(1)).ok());
  EXPECT_TRUE(cache.Covered(true, mem.data() + 16, 4));
  (void)r.Read<Le64>(32).value();
  EXPECT_TRUE(cache.Covered(false, mem.data() + 32, 8));
  ASSERT_TRUE(r.PublishLe16(64, 3).ok());
  EXPECT_TRUE(cache.Covered(true, mem.data() + 64, 2));
  (void)r.ConsumeLe16(66).value();
  EXPECT_TRUE(cache.Covered(false, mem.data() + 66, 2));
  cache.calls.clear();
  (void)r.Read<Le64>(250);  // out of range: no hook called with a bad range
  EXPECT_TRUE(cache.calls.empty());
}

}  // namespace
}  // namespace tandem::shm
