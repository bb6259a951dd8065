// A driver and a device in two threads over one region exchange many buffers
// with content checks in both directions. Runs under TSan in CI (with a
// smaller count), which checks the acquire/release pairs in the ring code.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "tandem/testing/virtqueue_pair.h"

namespace tandem::virtio {
namespace {

std::uint64_t StressCount() {
  if (const char* env = std::getenv("TANDEM_VQ_STRESS_COUNT"))
    return std::strtoull(env, nullptr, 10);
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  return 200'000;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
  return 200'000;
#endif
#endif
  return 1'000'000;  // the `long` label runs 10 M (src/virtio/CMakeLists.txt)
}

constexpr std::uint16_t kNum = 64;
constexpr std::uint32_t kSlot = 64;  // 32 bytes request + 32 bytes response

std::uint64_t Pattern(std::uint64_t seq, int word) { return seq * 0x9E3779B97F4A7C15ull + word; }

TEST(VirtqueueThreads, StreamsBuffersWithContentChecks) {
  const std::uint64_t total = StressCount();
  testing::VirtqueuePair q(kNum, 4096, true, kNum * kSlot);
  std::atomic<bool> failed{false};

  std::thread device([&] {
    DeviceQueue& dev = q.device();
    std::uint64_t expect = 0;
    while (expect < total && !failed.load(std::memory_order_relaxed)) {
      auto chain = dev.Pop(q.ring());
      if (!chain.ok()) {
        if (chain.status().code() != StatusCode::kUnavailable) break;
        std::this_thread::yield();
        continue;
      }
      auto req = chain->Next(dev, q.ring(), q.all());
      auto resp = chain->Next(dev, q.ring(), q.all());
      if (!req.ok() || !resp.ok() || req->device_writes || !resp->device_writes || req->len != 32 ||
          resp->len != 32) {
        failed = true;
        break;
      }
      std::uint64_t words[4];
      std::memcpy(words, q.all().Bytes(req->offset, 32).value().data(), 32);
      for (int w = 0; w < 4; ++w) {
        if (words[w] != Pattern(expect, w)) failed = true;
      }
      for (auto& w : words) w = ~w;
      std::memcpy(q.all().Bytes(resp->offset, 32).value().data(), words, 32);
      if (!dev.PushUsed(q.ring(), chain->head(), 32).ok()) failed = true;
      ++expect;
    }
  });

  DriverQueue& drv = q.driver();
  std::uint64_t sent = 0;
  std::uint64_t done = 0;
  std::uint16_t slot_of_head[kNum];
  std::uint64_t seq_of_slot[kNum];
  std::uint16_t free_slots[kNum];
  int nfree = kNum;
  for (int i = 0; i < kNum; ++i) free_slots[i] = static_cast<std::uint16_t>(i);
  while (done < total && !failed.load(std::memory_order_relaxed)) {
    bool progress = false;
    while (sent < total && nfree > 0 && drv.num_free() >= 2) {
      const std::uint16_t slot = free_slots[--nfree];
      const std::size_t off = std::size_t{slot} * kSlot;
      std::uint64_t words[4];
      for (int w = 0; w < 4; ++w) words[w] = Pattern(sent, w);
      std::memcpy(q.data().base() + off, words, 32);
      BufferSpec chain[] = {{q.data_da(off), 32, false}, {q.data_da(off + 32), 32, true}};
      auto head = drv.Add(q.ring(), chain);
      ASSERT_TRUE(head.ok()) << head.status().message();
      slot_of_head[head.value()] = slot;
      seq_of_slot[slot] = sent++;
      progress = true;
    }
    for (;;) {
      auto used = drv.TakeUsed(q.ring());
      if (!used.ok()) {
        ASSERT_EQ(used.status().code(), StatusCode::kUnavailable) << used.status().message();
        break;
      }
      const std::uint16_t slot = slot_of_head[used->head];
      ASSERT_EQ(used->written, 32u);
      ASSERT_EQ(used->addr, q.data_da(std::size_t{slot} * kSlot));
      std::uint64_t words[4];
      std::memcpy(words, q.data().base() + std::size_t{slot} * kSlot + 32, 32);
      for (int w = 0; w < 4; ++w) ASSERT_EQ(words[w], ~Pattern(seq_of_slot[slot], w));
      free_slots[nfree++] = slot;
      ++done;
      progress = true;
    }
    if (!progress) std::this_thread::yield();
  }
  device.join();
  EXPECT_FALSE(failed.load());
  EXPECT_EQ(done, total);
  EXPECT_EQ(drv.num_free(), kNum);
  EXPECT_FALSE(drv.broken());
}

}  // namespace
}  // namespace tandem::virtio
