// Oracle tests: our layout against Linux's uapi <linux/virtio_ring.h>.
#include "tandem/virtio/ring_layout.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>

#include "tandem/base/ring_index.h"

// The Linux uapi header is C-only (vring_init), so the oracle lives in
// linux_vring_oracle.c and reports what Linux computes.
extern "C" {
void LinuxVringOffsets(unsigned num, unsigned long align, std::size_t out[10]);
unsigned LinuxVringSize(unsigned num, unsigned long align);
int LinuxVringNeedEvent(std::uint16_t event, std::uint16_t new_idx, std::uint16_t old_idx);
void LinuxVringStructFacts(std::size_t out[11]);
}

namespace tandem::virtio {
namespace {

TEST(RingLayoutOracle, SizeMatchesLinuxVringSizeForAllSizesAndAlignments) {
  for (std::uint32_t num = 1; num <= kMaxQueueSize; num *= 2) {
    for (std::uint32_t align : {4u, 16u, 64u, 4096u, 65536u}) {
      auto layout = RingLayout::Compute(num, align);
      ASSERT_TRUE(layout.ok()) << num << " " << align;
      EXPECT_EQ(layout->size(), LinuxVringSize(num, align)) << num << " " << align;
      EXPECT_EQ(VringSize(num, align), LinuxVringSize(num, align));
    }
  }
}

TEST(RingLayoutOracle, FieldOffsetsMatchLinuxVringInit) {
  for (std::uint32_t num : {1u, 2u, 16u, 256u, 1024u, 32768u}) {
    for (std::uint32_t align : {4u, 4096u}) {
      std::size_t linux_off[10];
      LinuxVringOffsets(num, align, linux_off);
      RingLayout l = RingLayout::Compute(num, align).value();
      const auto last = static_cast<std::uint16_t>(num - 1);
      const std::size_t ours[10] = {
          l.desc(0),      l.desc(last),   l.avail_flags(), l.avail_idx(),     l.avail_ring(0),
          l.used_event(), l.used_flags(), l.used_idx(),    l.used_ring(last), l.avail_event()};
      for (int i = 0; i < 10; ++i)
        EXPECT_EQ(ours[i], linux_off[i]) << num << "/" << align << " #" << i;
    }
  }
}

TEST(RingLayoutOracle, WireStructsMatchLinux) {
  std::size_t f[11];
  LinuxVringStructFacts(f);
  const std::size_t ours[11] = {sizeof(VringDesc),
                                offsetof(VringDesc, addr),
                                offsetof(VringDesc, len),
                                offsetof(VringDesc, flags),
                                offsetof(VringDesc, next),
                                sizeof(VringUsedElem),
                                kDescFlagNext,
                                kDescFlagWrite,
                                kDescFlagIndirect,
                                kUsedFlagNoNotify,
                                kAvailFlagNoInterrupt};
  for (int i = 0; i < 11; ++i) EXPECT_EQ(ours[i], f[i]) << "#" << i;
}

// vring_need_event over a dense set of wrapping index triples.
TEST(NeedEventOracle, MatchesLinuxOverWrappingTriples) {
  const std::uint16_t bases[] = {0, 1, 0x7ffe, 0x8000, 0xfff0, 0xffff};
  int checked = 0;
  for (std::uint16_t base : bases) {
    for (int dold = -20; dold <= 20; ++dold) {
      for (int dnew = 0; dnew <= 40; ++dnew) {
        for (int devent = -45; devent <= 45; ++devent) {
          const auto old_idx = static_cast<std::uint16_t>(base + dold);
          const auto new_idx = static_cast<std::uint16_t>(old_idx + dnew);
          const auto event = static_cast<std::uint16_t>(base + devent);
          ASSERT_EQ(NeedEvent(RingIndex(event), RingIndex(new_idx), RingIndex(old_idx)),
                    LinuxVringNeedEvent(event, new_idx, old_idx) != 0)
              << event << " " << new_idx << " " << old_idx;
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 100000);
}

TEST(RingLayout, RejectsInvalidSizesAndAlignments) {
  EXPECT_FALSE(RingLayout::Compute(0, 4096).ok());
  EXPECT_FALSE(RingLayout::Compute(3, 4096).ok());
  EXPECT_FALSE(RingLayout::Compute(65536, 4096).ok());
  EXPECT_FALSE(RingLayout::Compute(256, 0).ok());
  EXPECT_FALSE(RingLayout::Compute(256, 2).ok());
  EXPECT_FALSE(RingLayout::Compute(256, 3000).ok());
}

}  // namespace
}  // namespace tandem::virtio
