#include "tandem/rpmsg/name_service.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "tandem/rpmsg/errors.h"

namespace tandem::rpmsg {
namespace {

class Recorder final : public NameServiceListener {
 public:
  void OnNsCreate(const NsAnnouncement& ns) override { created.push_back(Copy(ns)); }
  void OnNsDestroy(const NsAnnouncement& ns) override { destroyed.push_back(Copy(ns)); }
  void OnNsMalformed(Status why) override { malformed.push_back(why); }

  struct Seen {
    std::string name;
    std::uint32_t addr;
  };
  static Seen Copy(const NsAnnouncement& ns) {
    // The listener may rely on a NUL inside the 32 bytes.
    EXPECT_NE(std::memchr(ns.name, '\0', kNameSize), nullptr);
    return {ns.name, ns.addr};
  }
  std::vector<Seen> created;
  std::vector<Seen> destroyed;
  std::vector<Status> malformed;
};

ConstByteSpan Bytes(const NsMessage& m) { return std::as_bytes(std::span(&m, 1)); }

TEST(NameService, ListensOnTheNsAddress) {
  EXPECT_EQ(NameService::kEndpointConfig.addr, kNsAddress);
  EXPECT_EQ(NameService::kEndpointConfig.name, nullptr);  // never announced
}

TEST(NameService, CreateAndDestroyReachTheListener) {
  Recorder r;
  NameService ns(r);
  ASSERT_TRUE(ns.Handle(Bytes(MakeNsMessage("rpmsg-client-sample", 0x401, NsFlags::kCreate))).ok());
  ASSERT_TRUE(
      ns.Handle(Bytes(MakeNsMessage("rpmsg-client-sample", 0x401, NsFlags::kDestroy))).ok());
  ASSERT_EQ(r.created.size(), 1u);
  EXPECT_EQ(r.created[0].name, "rpmsg-client-sample");
  EXPECT_EQ(r.created[0].addr, 0x401u);
  ASSERT_EQ(r.destroyed.size(), 1u);
  EXPECT_EQ(r.destroyed[0].addr, 0x401u);
  EXPECT_TRUE(r.malformed.empty());
}

// Each hostile message is dropped with its reason; the listener never sees
// a channel for it.
template <std::size_t N>
void ExpectMalformed(ConstByteSpan payload, const char (&reason)[N]) {
  Recorder r;
  NameService ns(r);
  const Status s = ns.Handle(payload);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(s.Is(reason)) << s.message();
  ASSERT_EQ(r.malformed.size(), 1u);
  EXPECT_TRUE(r.malformed[0].Is(reason));
  EXPECT_TRUE(r.created.empty());
  EXPECT_TRUE(r.destroyed.empty());
}

TEST(NameService, DropsAMessageOfTheWrongSize) {
  const NsMessage m = MakeNsMessage("a", 0x401, NsFlags::kCreate);
  std::array<std::byte, sizeof(NsMessage) + 1> longer{};
  std::memcpy(longer.data(), &m, sizeof(m));
  ExpectMalformed(longer, kNsWrongSize);
  ExpectMalformed(std::span(longer).first(sizeof(NsMessage) - 1), kNsWrongSize);
  ExpectMalformed({}, kNsWrongSize);
}

TEST(NameService, DropsANameWithoutNul) {
  NsMessage m = MakeNsMessage("x", 0x401, NsFlags::kCreate);
  std::memset(m.name, 'A', sizeof(m.name));
  ExpectMalformed(Bytes(m), kNsNameNotTerminated);
  std::memset(m.name, 0xFF, sizeof(m.name));  // not even ASCII
  ExpectMalformed(Bytes(m), kNsNameNotTerminated);
}

TEST(NameService, DropsAnEmptyName) {
  NsMessage m = MakeNsMessage("x", 0x401, NsFlags::kCreate);
  std::memset(m.name, 0, sizeof(m.name));
  ExpectMalformed(Bytes(m), kNsNameEmpty);
  // A NUL first and garbage after it is still an empty name.
  std::memset(m.name + 1, 'B', sizeof(m.name) - 1);
  ExpectMalformed(Bytes(m), kNsNameEmpty);
}

TEST(NameService, DropsAddrAnyAndUnknownFlags) {
  ExpectMalformed(Bytes(MakeNsMessage("svc", kAddrAny, NsFlags::kCreate)), kNsAddressAny);
  NsMessage m = MakeNsMessage("svc", 0x401, NsFlags::kCreate);
  m.flags.set(2);
  ExpectMalformed(Bytes(m), kNsFlagsUnknown);
  m.flags.set(0x80000001);  // DESTROY bit plus junk: Linux would accept it
  ExpectMalformed(Bytes(m), kNsFlagsUnknown);
}

TEST(NameService, NameEndsAtItsFirstNul) {
  Recorder r;
  NameService ns(r);
  NsMessage m = MakeNsMessage("svc", 0x402, NsFlags::kCreate);
  std::memset(m.name + 4, 'Z', sizeof(m.name) - 4);  // junk after the NUL
  ASSERT_TRUE(ns.Handle(Bytes(m)).ok());
  ASSERT_EQ(r.created.size(), 1u);
  EXPECT_EQ(r.created[0].name, "svc");
  // 31 characters is the longest name that fits with its NUL.
  const std::string longest(kNameSize - 1, 'n');
  ASSERT_TRUE(ns.Handle(Bytes(MakeNsMessage(longest.c_str(), 0x403, NsFlags::kCreate))).ok());
  EXPECT_EQ(r.created[1].name, longest);
}

}  // namespace
}  // namespace tandem::rpmsg
