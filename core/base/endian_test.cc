#include "tandem/base/endian.h"

#include <gtest/gtest.h>

#include <cstring>

namespace tandem {
namespace {

TEST(LeInt, StoresBytesInWireOrder) {
  Le32 v(0x11223344);
  unsigned char bytes[4];
  std::memcpy(bytes, &v, 4);
  EXPECT_EQ(bytes[0], 0x44);
  EXPECT_EQ(bytes[3], 0x11);
  EXPECT_EQ(v.get(), 0x11223344u);
  Le64 w(0x0102030405060708ull);
  unsigned char wb[8];
  std::memcpy(wb, &w, 8);
  EXPECT_EQ(wb[0], 0x08);
  EXPECT_EQ(wb[7], 0x01);
  EXPECT_EQ(ByteSwap<std::uint16_t>(0x1234), 0x3412);
}

}  // namespace
}  // namespace tandem
