#include "tandem/rpmsg/wire.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "tandem/rpmsg/errors.h"

namespace tandem::rpmsg {
namespace {

template <typename T>
std::array<std::uint8_t, sizeof(T)> BytesOf(const T& v) {
  std::array<std::uint8_t, sizeof(T)> out;
  std::memcpy(out.data(), &v, sizeof(T));
  return out;
}

// struct rpmsg_hdr { __rpmsg32 src; __rpmsg32 dst; __rpmsg32 reserved;
// __rpmsg16 len; __rpmsg16 flags; u8 data[]; } __packed; little-endian for a
// VIRTIO_F_VERSION_1 device. Expected bytes written field by field.
TEST(RpmsgWire, HeaderMatchesLinuxRpmsgHdrBytes) {
  const RpmsgHeader h = MakeHeader(0x401, 0x400, 0x1234);
  const std::array<std::uint8_t, 16> expected = {
      0x01, 0x04, 0x00, 0x00,  // src = 0x401
      0x00, 0x04, 0x00, 0x00,  // dst = 0x400
      0x00, 0x00, 0x00, 0x00,  // reserved
      0x34, 0x12,              // len = 0x1234
      0x00, 0x00,              // flags
  };
  EXPECT_EQ(BytesOf(h), expected);
}

// struct rpmsg_ns_msg { char name[RPMSG_NAME_SIZE]; __rpmsg32 addr;
// __rpmsg32 flags; } __packed;
TEST(RpmsgWire, NsMessageMatchesLinuxRpmsgNsMsgBytes) {
  const NsMessage m = MakeNsMessage("rpmsg-tty", 0x402, NsFlags::kDestroy);
  std::array<std::uint8_t, 40> expected{};
  const char name[] = "rpmsg-tty";
  std::memcpy(expected.data(), name, 9);  // then zero padding up to 32
  expected[32] = 0x02;                    // addr = 0x402
  expected[33] = 0x04;
  expected[36] = 0x01;  // flags = RPMSG_NS_DESTROY
  EXPECT_EQ(BytesOf(m), expected);
}

TEST(RpmsgWire, AddressConstantsAreLinuxs) {
  EXPECT_EQ(kNsAddress, 53u);              // RPMSG_NS_ADDR
  EXPECT_EQ(kFirstDynamicAddress, 1024u);  // RPMSG_RESERVED_ADDRESSES
  EXPECT_EQ(kAddrAny, 0xFFFFFFFFu);        // RPMSG_ADDR_ANY
  EXPECT_EQ(kDefaultBufferSize, 512u);     // MAX_RPMSG_BUF_SIZE
}

TEST(RpmsgWire, ParsesAValidAnnouncement) {
  const NsMessage m = MakeNsMessage("rpmsg-client-sample", 0x401, NsFlags::kCreate);
  auto ns = ParseNsMessage(std::as_bytes(std::span(&m, 1)));
  ASSERT_TRUE(ns.ok()) << ns.status().message();
  EXPECT_STREQ(ns->name, "rpmsg-client-sample");
  EXPECT_EQ(ns->addr, 0x401u);
  EXPECT_EQ(ns->flags, NsFlags::kCreate);
}

TEST(RpmsgWire, RejectsNsMessageOfTheWrongSize) {
  const NsMessage m = MakeNsMessage("a", 0x401, NsFlags::kCreate);
  std::array<std::byte, 41> longer{};
  std::memcpy(longer.data(), &m, sizeof(m));
  EXPECT_EQ(ParseNsMessage(longer).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ParseNsMessage(std::span(longer).first(39)).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ParseNsMessage({}).status().code(), StatusCode::kDataLoss);
}

TEST(RpmsgWire, RejectsNsNameWithoutNul) {
  NsMessage m = MakeNsMessage("x", 0x401, NsFlags::kCreate);
  std::memset(m.name, 'A', sizeof(m.name));
  auto ns = ParseNsMessage(std::as_bytes(std::span(&m, 1)));
  EXPECT_EQ(ns.status().code(), StatusCode::kDataLoss);
  EXPECT_TRUE(ns.status().Is(kNsNameNotTerminated));
  // 31 characters and the NUL in the last byte is the longest legal name.
  m.name[31] = '\0';
  EXPECT_TRUE(ParseNsMessage(std::as_bytes(std::span(&m, 1))).ok());
}

TEST(RpmsgWire, RejectsEmptyNameUnknownFlagsAndAnyAddress) {
  NsMessage m = MakeNsMessage("svc", 0x401, NsFlags::kCreate);
  m.flags.set(2);
  EXPECT_EQ(ParseNsMessage(std::as_bytes(std::span(&m, 1))).status().code(), StatusCode::kDataLoss);
  m.flags.set(0);
  m.addr.set(kAddrAny);
  EXPECT_EQ(ParseNsMessage(std::as_bytes(std::span(&m, 1))).status().code(), StatusCode::kDataLoss);
  const NsMessage empty = MakeNsMessage("", 0x401, NsFlags::kCreate);
  EXPECT_EQ(ParseNsMessage(std::as_bytes(std::span(&empty, 1))).status().code(),
            StatusCode::kDataLoss);
}

TEST(RpmsgWire, NameValidation) {
  EXPECT_FALSE(ValidName(nullptr));
  EXPECT_FALSE(ValidName(""));
  EXPECT_TRUE(ValidName("rpmsg-tty"));
  EXPECT_TRUE(ValidName("0123456789012345678901234567890"));    // 31
  EXPECT_FALSE(ValidName("01234567890123456789012345678901"));  // 32
}

}  // namespace
}  // namespace tandem::rpmsg
