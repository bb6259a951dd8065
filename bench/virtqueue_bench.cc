// Ring-only benchmarks for the split virtqueue, with the physical limit
// measured in the same binary:
//  - SingleThreadCycle: add -> pop -> walk -> push -> take, one thread (ns/op).
//  - TwoThreadStream:   a driver thread and a device thread streaming buffers
//                       through a ring in a shared anonymous mapping (items/s).
//  - CacheLinePingPong: two threads bouncing one cache line (round trip), the
//                       floor under any cross-core handoff on this machine.
#include <benchmark/benchmark.h>
#include <sys/mman.h>

#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

#include "tandem/virtio/device_queue.h"
#include "tandem/virtio/driver_queue.h"

using namespace tandem;
using namespace tandem::virtio;

namespace {

constexpr std::size_t kMemSize = 1 << 20;
constexpr std::uint64_t kDa = 0x10000000;

struct SharedMapping {
  SharedMapping() {
    base = mmap(nullptr, kMemSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) std::abort();
    region = shm::Region::Create(base, kMemSize, kDa).value();
  }
  ~SharedMapping() { munmap(base, kMemSize); }
  void* base;
  shm::Region region;
};

void BM_SingleThreadCycle(benchmark::State& state) {
  SharedMapping mem;
  const auto num = static_cast<std::uint16_t>(state.range(0));
  std::vector<DriverDescState> storage(num);
  shm::Region ring = mem.region.Sub(0, kMemSize / 2).value();
  auto drv = DriverQueue::Create(ring, num, 4096, storage, {true}).value();
  auto dev = DeviceQueue::Create(ring, num, 4096, {true}).value();
  const BufferSpec buf{kDa + kMemSize / 2, 512, true};
  for (auto _ : state) {
    (void)drv.Add(ring, buf);
    benchmark::DoNotOptimize(drv.KickPrepare(ring));
    auto c = dev.Pop(ring);
    auto d = c->Next(dev, ring, mem.region);
    benchmark::DoNotOptimize(d);
    (void)dev.PushUsed(ring, c->head(), 64);
    benchmark::DoNotOptimize(dev.NotifyPrepare(ring));
    benchmark::DoNotOptimize(drv.TakeUsed(ring));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SingleThreadCycle)->Arg(256);

void BM_TwoThreadStream(benchmark::State& state) {
  SharedMapping mem;
  const auto num = static_cast<std::uint16_t>(state.range(0));
  std::vector<DriverDescState> storage(num);
  shm::Region ring = mem.region.Sub(0, kMemSize / 2).value();
  auto drv = DriverQueue::Create(ring, num, 4096, storage, {true}).value();
  auto dev = DeviceQueue::Create(ring, num, 4096, {true}).value();
  std::atomic<bool> stop{false};
  std::thread device([&] {
    shm::Region r = ring;
    while (!stop.load(std::memory_order_relaxed)) {
      auto c = dev.Pop(r);
      if (!c.ok()) continue;
      auto d = c->Next(dev, r, mem.region);
      (void)dev.PushUsed(r, c->head(), d.ok() ? 64 : 0);
    }
  });
  const BufferSpec buf{kDa + kMemSize / 2, 512, true};
  std::int64_t items = 0;
  for (auto _ : state) {
    // One iteration = one batch of up to 64 buffers handed over and back.
    int added = 0;
    while (added < 64) {
      if (drv.Add(ring, buf).ok()) {
        ++added;
      } else {
        while (drv.TakeUsed(ring).ok()) ++items;
      }
    }
  }
  while (items < static_cast<std::int64_t>(state.iterations()) * 64) {
    if (drv.TakeUsed(ring).ok()) ++items;
  }
  stop = true;
  device.join();
  state.SetItemsProcessed(items);
}
BENCHMARK(BM_TwoThreadStream)->Arg(256)->UseRealTime();

// Physical limit: one round trip of a cache line between two cores.
void BM_CacheLinePingPong(benchmark::State& state) {
  alignas(64) static std::atomic<std::uint64_t> line{0};
  line = 0;
  std::atomic<bool> stop{false};
  std::thread peer([&] {
    std::uint64_t seen = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      const std::uint64_t v = line.load(std::memory_order_acquire);
      if (v != seen && (v & 1) == 1) {
        seen = v + 1;
        line.store(seen, std::memory_order_release);
      }
    }
  });
  std::uint64_t v = 0;
  for (auto _ : state) {
    line.store(++v, std::memory_order_release);  // odd: ping
    ++v;
    while (line.load(std::memory_order_acquire) != v && !stop.load(std::memory_order_relaxed)) {
    }
  }
  stop = true;
  peer.join();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CacheLinePingPong)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
