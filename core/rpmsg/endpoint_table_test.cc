#include "tandem/rpmsg/endpoint_table.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

#include "tandem/rpmsg/endpoint.h"

namespace tandem::rpmsg {
namespace {

// The table only stores the pointers; distinct addresses are enough.
Endpoint* Fake(std::uint32_t i) {
  return reinterpret_cast<Endpoint*>(std::uintptr_t{16} * (i + 1));
}

TEST(EndpointTable, RejectsStorageThatIsNotAPowerOfTwo) {
  std::vector<EndpointSlot> slots(12);
  EXPECT_EQ(EndpointTable::Create(slots).status().code(), StatusCode::kInvalidArgument);
  std::vector<EndpointSlot> one(1);
  EXPECT_FALSE(EndpointTable::Create(one).ok());
}

TEST(EndpointTable, AllocatesLowestFreeDynamicAddressLikeIdr) {
  std::vector<EndpointSlot> slots(16);
  EndpointTable t = EndpointTable::Create(slots).value();
  for (std::uint32_t i = 0; i < 5; ++i) {
    const std::uint32_t a = t.AllocateAddress().value();
    EXPECT_EQ(a, kFirstDynamicAddress + i);
    ASSERT_TRUE(t.Insert(a, Fake(i)).ok());
  }
  EXPECT_TRUE(t.Remove(0x402));
  EXPECT_EQ(t.AllocateAddress().value(), 0x402u);  // the hole is reused first
  ASSERT_TRUE(t.Insert(0x402, Fake(9)).ok());
  EXPECT_EQ(t.AllocateAddress().value(), 0x405u);
  // A static address in the dynamic range is skipped.
  ASSERT_TRUE(t.Insert(0x405, Fake(10)).ok());
  EXPECT_EQ(t.AllocateAddress().value(), 0x406u);
}

TEST(EndpointTable, RefusesDuplicatesAnyAndOverfill) {
  std::vector<EndpointSlot> slots(8);
  EndpointTable t = EndpointTable::Create(slots).value();
  EXPECT_EQ(t.capacity(), 6u);
  EXPECT_EQ(t.Insert(kAddrAny, Fake(0)).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(t.Insert(0x35, Fake(0)).ok());
  EXPECT_EQ(t.Insert(0x35, Fake(1)).code(), StatusCode::kAlreadyExists);
  for (std::uint32_t i = 1; i < 6; ++i) ASSERT_TRUE(t.Insert(0x400 + i, Fake(i)).ok());
  EXPECT_EQ(t.Insert(0x500, Fake(7)).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(t.AllocateAddress().status().code(), StatusCode::kResourceExhausted);
}

// Backward-shift deletion keeps every remaining key findable, whatever the
// order of inserts and removes (checked against std::set).
TEST(EndpointTable, RandomInsertRemoveMatchesAReferenceSet) {
  std::vector<EndpointSlot> slots(64);
  EndpointTable t = EndpointTable::Create(slots).value();
  std::set<std::uint32_t> ref;
  std::mt19937 rng(7);
  for (int step = 0; step < 20000; ++step) {
    // Few distinct keys, so collisions and long probe runs are frequent.
    const std::uint32_t key = 0x400 + rng() % 96;
    if (rng() % 2 == 0) {
      const bool inserted = t.Insert(key, Fake(key)).ok();
      EXPECT_EQ(inserted, ref.size() < t.capacity() && ref.count(key) == 0);
      if (inserted) ref.insert(key);
    } else {
      EXPECT_EQ(t.Remove(key), ref.erase(key) == 1);
    }
    ASSERT_EQ(t.size(), ref.size());
    if (step % 97 == 0) {
      for (std::uint32_t k = 0x400; k < 0x400 + 96; ++k) {
        ASSERT_EQ(t.Find(k), ref.count(k) ? Fake(k) : nullptr) << k;
      }
    }
  }
}

}  // namespace
}  // namespace tandem::rpmsg
