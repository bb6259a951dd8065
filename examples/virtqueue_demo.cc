// Two processes, one split virtqueue in shared memory: the parent is the
// VirtIO driver (host), a forked child is the device (remote). The driver
// offers request/response chains, the device answers each request in place,
// and both print what they did. Kicks are polled here; the doorbells come
// with the Linux platform.
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <vector>

#include "tandem/virtio/device_queue.h"
#include "tandem/virtio/driver_queue.h"

using namespace tandem;
using namespace tandem::virtio;

namespace {
constexpr std::size_t kMemSize = 64 * 1024;
constexpr std::uint64_t kDeviceAddress = 0x10000000;
constexpr std::uint16_t kNum = 8;
constexpr std::uint32_t kAlign = 4096;
constexpr std::size_t kRingBytes = 16 * 1024;
constexpr const char* kMessages[] = {"hello remote", "split virtqueue", "event idx", "goodbye"};

int RunDevice(shm::Region all, shm::Region ring) {
  auto dev = DeviceQueue::Create(ring, kNum, kAlign, {true}).value();
  for (std::size_t served = 0; served < std::size(kMessages);) {
    auto chain = dev.Pop(ring);
    if (!chain.ok()) {
      if (chain.status().code() != StatusCode::kUnavailable) return 1;
      usleep(100);
      continue;
    }
    auto req = chain->Next(dev, ring, all).value();
    auto resp = chain->Next(dev, ring, all).value();
    char text[64] = {};
    std::memcpy(text, all.Bytes(req.offset, req.len).value().data(),
                std::min<std::size_t>(req.len, 63));
    std::size_t n = std::strlen(text);
    for (std::size_t i = 0; i < n; ++i) text[i] = static_cast<char>(std::toupper(text[i]));
    std::memcpy(all.Bytes(resp.offset, resp.len).value().data(), text, n);
    std::printf(
        "  device (pid %d): chain head %u: read \"%.*s\" from 0x%llx, wrote %zu bytes to 0x%llx\n",
        getpid(), chain->head(), static_cast<int>(req.len), text,
        static_cast<unsigned long long>(req.addr), n, static_cast<unsigned long long>(resp.addr));
    if (!dev.PushUsed(ring, chain->head(), static_cast<std::uint32_t>(n)).ok()) return 1;
    ++served;
  }
  return 0;
}

}  // namespace

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  void* base = mmap(nullptr, kMemSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return 1;
  shm::Region all = shm::Region::Create(base, kMemSize, kDeviceAddress).value();
  shm::Region ring = all.Sub(0, kRingBytes).value();
  std::vector<DriverDescState> storage(kNum);
  auto drv = DriverQueue::Create(ring, kNum, kAlign, storage, {true}).value();
  std::printf(
      "Tandem virtqueue demo: %u-entry split virtqueue (%zu bytes, align %u) at device address "
      "0x%llx\n",
      kNum, drv.layout().size(), kAlign, static_cast<unsigned long long>(kDeviceAddress));

  const pid_t child = fork();
  if (child == 0) {
    const int rc = RunDevice(all, ring);
    std::fflush(stdout);
    _exit(rc);
  }
  std::printf("  driver (pid %d): device is process %d\n", getpid(), child);

  for (std::size_t i = 0; i < std::size(kMessages); ++i) {
    const std::size_t off = kRingBytes + i * 256;
    const std::size_t len = std::strlen(kMessages[i]);
    std::memcpy(all.Bytes(off, len).value().data(), kMessages[i], len);
    BufferSpec chain[] = {{kDeviceAddress + off, static_cast<std::uint32_t>(len), false},
                          {kDeviceAddress + off + 128, 128, true}};
    auto head = drv.Add(ring, chain).value();
    std::printf("  driver: added chain head %u: \"%s\" + 128-byte reply buffer; kick needed: %s\n",
                head, kMessages[i],
                drv.KickPrepare(ring).value() ? "yes" : "no (suppressed by EVENT_IDX)");
  }
  std::size_t done = 0;
  while (done < std::size(kMessages)) {
    auto used = drv.TakeUsed(ring);
    if (!used.ok()) {
      if (used.status().code() != StatusCode::kUnavailable) return 1;
      usleep(100);
      continue;
    }
    const std::size_t reply = used->addr - kDeviceAddress + 128;
    std::printf("  driver: used chain head %u, %u bytes written: \"%.*s\"\n", used->head,
                used->written, static_cast<int>(used->written),
                reinterpret_cast<const char*>(all.base() + reply));
    ++done;
  }
  int status = 0;
  waitpid(child, &status, 0);
  std::printf("done: %zu buffers round-tripped, %u descriptors free, device exited with %d\n", done,
              drv.num_free(), WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  munmap(base, kMemSize);
  return (WIFEXITED(status) && WEXITSTATUS(status) == 0 && done == std::size(kMessages)) ? 0 : 1;
}
